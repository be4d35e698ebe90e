//! The services the attribute knows by name: their resource keys, ARN formats and naming setters.

/// A resource key of a service entry (`bucket`, `table`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The key as written in the attribute.
    pub name: &'static str,
    /// Whether the entry must give it.
    pub required: bool,
    /// Its value when omitted (`key` of S3 defaults to `*`).
    pub default: Option<&'static str>,
}

/// A resource type an entry provides, with its ARN format in terms of the entry's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceSpec {
    /// The IAM resource type (as in the Service Authorization Reference).
    pub iam_type: &'static str,
    /// The ARN, with `{key}` placeholders for the entry's keys and CloudFormation pseudo
    /// parameters (`${AWS::Partition}` …) for the rest.
    pub arn: &'static str,
}

/// A service the attribute knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceSpec {
    /// The entry name in the attribute (`s3`, `execute_api`).
    pub attr: &'static str,
    /// The IAM service prefix (`s3`, `execute-api`).
    pub prefix: &'static str,
    /// Resource keys.
    pub keys: &'static [KeySpec],
    /// Resource types the entry provides.
    pub resources: &'static [ResourceSpec],
    /// SDK setters whose argument names the resource (`bucket`, `table_name`).
    pub name_setters: &'static [&'static str],
}

const fn key(name: &'static str) -> KeySpec {
    KeySpec { name, required: true, default: None }
}

const fn optional(name: &'static str, default: &'static str) -> KeySpec {
    KeySpec { name, required: false, default: Some(default) }
}

const fn res(iam_type: &'static str, arn: &'static str) -> ResourceSpec {
    ResourceSpec { iam_type, arn }
}

/// The region-and-account part every regional ARN shares.
macro_rules! regional {
    ($service:literal, $rest:literal) => {
        concat!("arn:${AWS::Partition}:", $service, ":${AWS::Region}:${AWS::AccountId}:", $rest)
    };
}

/// Every service with named resource keys. Other catalog services use `PREFIX(arn = "…")` or
/// `resource(arn = "…")`.
pub const SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        attr: "s3",
        prefix: "s3",
        keys: &[key("bucket"), optional("key", "*")],
        resources: &[
            res("bucket", "arn:${AWS::Partition}:s3:::{bucket}"),
            res("object", "arn:${AWS::Partition}:s3:::{bucket}/{key}"),
        ],
        name_setters: &["bucket"],
    },
    ServiceSpec {
        attr: "dynamodb",
        prefix: "dynamodb",
        keys: &[key("table"), optional("index", "*")],
        resources: &[
            res("table", regional!("dynamodb", "table/{table}")),
            res("index", regional!("dynamodb", "table/{table}/index/{index}")),
            res("stream", regional!("dynamodb", "table/{table}/stream/*")),
        ],
        name_setters: &["table_name"],
    },
    ServiceSpec {
        attr: "sqs",
        prefix: "sqs",
        keys: &[key("queue")],
        resources: &[res("queue", regional!("sqs", "{queue}"))],
        name_setters: &["queue_url", "queue_name"],
    },
    ServiceSpec {
        attr: "sns",
        prefix: "sns",
        keys: &[key("topic")],
        resources: &[res("topic", regional!("sns", "{topic}"))],
        name_setters: &["topic_arn", "target_arn"],
    },
    ServiceSpec {
        attr: "events",
        prefix: "events",
        keys: &[key("bus")],
        resources: &[res("event-bus", regional!("events", "event-bus/{bus}"))],
        name_setters: &["event_bus_name"],
    },
    ServiceSpec {
        attr: "states",
        prefix: "states",
        keys: &[key("state_machine")],
        resources: &[
            res("statemachine", regional!("states", "stateMachine:{state_machine}")),
            res("execution", regional!("states", "execution:{state_machine}:*")),
        ],
        name_setters: &["state_machine_arn", "execution_arn"],
    },
    ServiceSpec {
        attr: "lambda",
        prefix: "lambda",
        keys: &[key("function")],
        resources: &[res("function", regional!("lambda", "function:{function}"))],
        name_setters: &["function_name"],
    },
    ServiceSpec {
        attr: "kms",
        prefix: "kms",
        keys: &[key("key")],
        resources: &[res("key", regional!("kms", "key/{key}"))],
        name_setters: &["key_id"],
    },
    ServiceSpec {
        attr: "secretsmanager",
        prefix: "secretsmanager",
        keys: &[key("secret")],
        // Secrets Manager appends a hyphen and six random characters to every secret's ARN.
        resources: &[res("Secret", regional!("secretsmanager", "secret:{secret}-??????"))],
        name_setters: &["secret_id"],
    },
    ServiceSpec {
        attr: "ssm",
        prefix: "ssm",
        keys: &[key("parameter")],
        resources: &[res("parameter", regional!("ssm", "parameter/{parameter}"))],
        name_setters: &["name", "names", "path"],
    },
    ServiceSpec {
        attr: "kinesis",
        prefix: "kinesis",
        keys: &[key("stream")],
        resources: &[
            res("stream", regional!("kinesis", "stream/{stream}")),
            res("consumer", regional!("kinesis", "stream/{stream}/consumer/*")),
        ],
        name_setters: &["stream_name", "stream_arn"],
    },
    ServiceSpec {
        attr: "firehose",
        prefix: "firehose",
        keys: &[key("delivery_stream")],
        resources: &[res(
            "deliverystream",
            regional!("firehose", "deliverystream/{delivery_stream}"),
        )],
        name_setters: &["delivery_stream_name"],
    },
    ServiceSpec {
        attr: "ses",
        prefix: "ses",
        keys: &[key("identity")],
        resources: &[res("identity", regional!("ses", "identity/{identity}"))],
        name_setters: &["from_email_address", "source", "from_email_address_identity_arn"],
    },
    ServiceSpec {
        attr: "bedrock",
        prefix: "bedrock",
        keys: &[key("model")],
        resources: &[res(
            "foundation-model",
            "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/{model}",
        )],
        name_setters: &["model_id"],
    },
    ServiceSpec {
        attr: "execute_api",
        prefix: "execute-api",
        keys: &[key("api"), optional("stage", "*")],
        resources: &[res("execute-api-general", regional!("execute-api", "{api}/{stage}/*"))],
        name_setters: &[],
    },
    ServiceSpec {
        attr: "logs",
        prefix: "logs",
        keys: &[key("log_group")],
        resources: &[
            res("log-group", regional!("logs", "log-group:{log_group}")),
            res("log-stream", regional!("logs", "log-group:{log_group}:log-stream:*")),
        ],
        name_setters: &["log_group_name"],
    },
];

/// The spec of a service known by name, by its attribute name.
pub fn by_attr(attr: &str) -> Option<&'static ServiceSpec> {
    SERVICES.iter().find(|s| s.attr == attr)
}

/// The spec of a service known by name, by its IAM prefix.
pub fn by_prefix(prefix: &str) -> Option<&'static ServiceSpec> {
    SERVICES.iter().find(|s| s.prefix == prefix)
}

/// The IAM prefix an attribute entry name stands for (`execute_api` → `execute-api`).
pub fn attr_to_prefix(attr: &str) -> String {
    by_attr(attr).map_or_else(|| attr.replace('_', "-"), |s| s.prefix.to_owned())
}
