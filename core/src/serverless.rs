//! What SAM grants an `AWS::Serverless::Function`'s generated role: its `Policies` (managed policy
//! names and ARNs, inline documents, SAM policy templates expanded) and the permissions SAM adds on
//! its own (basic execution, `Tracing`, `VpcConfig`, event sources, `DeadLetterQueue`,
//! `EventInvokeConfig` destinations), as aws-sam-translator builds them.
//!
//! `lint` reads a function's grants from here; `synth --format sam` can ask for
//! [`implicit_grants`] to keep what SAM adds when it replaces the generated role.
//! The policy templates are embedded from aws-sam-translator (`core/data/sam-policy-templates.json`,
//! written by `scripts/gen_lint_data.py`).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::synth::document::Node;

/// The generated policy template data, embedded at compile time.
const TEMPLATES: &str = include_str!("../data/sam-policy-templates.json");

/// The managed policy SAM adds for `Tracing` (aws-sam-translator's `get_xray_managed_policy_name`
/// in the `aws` partition).
pub const XRAY_POLICY: &str = "AWSXrayWriteOnlyAccess";

/// What adds a grant to a function's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantOrigin {
    /// An inline policy document in `Policies`.
    Inline,
    /// A SAM policy template in `Policies` (`S3ReadPolicy`).
    PolicyTemplate(String),
    /// A managed policy name or ARN in `Policies`.
    Policies,
    /// `AWSLambdaBasicExecutionRole`, added to every generated role.
    BasicExecution,
    /// `Tracing` (X-Ray).
    Tracing,
    /// `VpcConfig`.
    Vpc,
    /// An event source's polling permissions (event name, source type).
    EventSource(String, String),
    /// `DeadLetterQueue`.
    DeadLetterQueue,
    /// An `EventInvokeConfig` destination (`OnSuccess`/`OnFailure`).
    Destination(String),
}

impl GrantOrigin {
    /// A short description for messages (`SAM policy template S3ReadPolicy`).
    pub fn describe(&self) -> String {
        match self {
            GrantOrigin::Inline => "an inline policy in Policies".to_owned(),
            GrantOrigin::PolicyTemplate(name) => format!("SAM policy template {name}"),
            GrantOrigin::Policies => "a managed policy in Policies".to_owned(),
            GrantOrigin::BasicExecution => "SAM's basic execution policy".to_owned(),
            GrantOrigin::Tracing => "Tracing (SAM adds X-Ray)".to_owned(),
            GrantOrigin::Vpc => "VpcConfig (SAM adds network interface rights)".to_owned(),
            GrantOrigin::EventSource(name, kind) => format!("the {kind} event source {name}"),
            GrantOrigin::DeadLetterQueue => "DeadLetterQueue".to_owned(),
            GrantOrigin::Destination(which) => format!("the EventInvokeConfig {which} destination"),
        }
    }

    /// True for what SAM adds without a `Policies` entry.
    pub fn is_implicit(&self) -> bool {
        !matches!(
            self,
            GrantOrigin::Inline | GrantOrigin::PolicyTemplate(_) | GrantOrigin::Policies
        )
    }
}

/// A policy document or a managed policy reference.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantKind {
    /// A policy document (`{"Statement": …}`), intrinsics kept.
    Document(Node),
    /// A managed policy: a name, an ARN, or an expression yielding an ARN.
    Managed(Node),
}

/// One thing a function's role is granted, with where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// What adds it.
    pub origin: GrantOrigin,
    /// JSON pointer, in the template, of the value that adds it.
    pub pointer: String,
    /// The document or managed policy.
    pub kind: GrantKind,
}

/// A function's role as SAM builds it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunctionRole {
    /// `Role` when the function names its own role (then SAM generates none and `grants` is
    /// empty), with its pointer.
    pub role: Option<(String, Node)>,
    /// What the generated role grants.
    pub grants: Vec<Grant>,
    /// What could not be expanded (pointer, message).
    pub problems: Vec<(String, String)>,
}

/// JSON pointer escaping (RFC 6901).
pub(crate) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn policy_templates() -> Option<&'static Node> {
    static PARSED: OnceLock<Option<Node>> = OnceLock::new();
    PARSED.get_or_init(|| Node::from_json_str(TEMPLATES).ok()).as_ref()
}

/// Where the embedded policy templates come from (`aws-sam-translator 1.115.0 (PyPI), …`).
pub fn templates_source() -> String {
    policy_templates()
        .and_then(|t| t.get("source"))
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Every SAM policy template name, sorted.
pub fn template_names() -> Vec<String> {
    match policy_templates().and_then(|t| t.get("templates")) {
        Some(Node::Map(entries)) => entries.iter().map(|(k, _)| k.clone()).collect(),
        _ => Vec::new(),
    }
}

/// The parameter names of a SAM policy template (`S3ReadPolicy` → `BucketName`).
pub fn template_parameters(name: &str) -> Option<Vec<String>> {
    let template = policy_templates()?.get("templates")?.get(name)?;
    match template.get("Parameters") {
        Some(Node::Map(entries)) => Some(entries.iter().map(|(k, _)| k.clone()).collect()),
        _ => Some(Vec::new()),
    }
}

/// Expands a SAM policy template with its parameter values (`{"BucketName": !Ref Uploads}`) into
/// the policy document it grants. `Err` says what is wrong (unknown template, missing parameter).
pub fn expand_template(name: &str, values: &Node) -> Result<Node, String> {
    let template = policy_templates()
        .and_then(|t| t.get("templates"))
        .and_then(|t| t.get(name))
        .ok_or_else(|| format!("`{name}` is not a SAM policy template"))?;
    let params = template_parameters(name).unwrap_or_default();
    let mut missing = Vec::new();
    for param in &params {
        if values.get(param).is_none() {
            missing.push(format!("`{param}`"));
        }
    }
    if !missing.is_empty() {
        return Err(format!("SAM policy template {name} needs {}", missing.join(", ")));
    }
    let definition =
        template.get("Definition").ok_or_else(|| format!("{name} has no Definition"))?;
    Ok(substitute(definition, &params, values))
}

/// Replaces `{"Ref": Param}` by the parameter's value.
fn substitute(node: &Node, params: &[String], values: &Node) -> Node {
    match node {
        Node::Map(entries) => {
            if let [(key, Node::String(name))] = entries.as_slice()
                && key == "Ref"
                && params.contains(name)
                && let Some(value) = values.get(name)
            {
                return value.clone();
            }
            Node::Map(
                entries.iter().map(|(k, v)| (k.clone(), substitute(v, params, values))).collect(),
            )
        }
        Node::List(items) => {
            Node::List(items.iter().map(|i| substitute(i, params, values)).collect())
        }
        other => other.clone(),
    }
}

/// A function property, from the function or else from `Globals.Function`, with its pointer.
pub fn property<'a>(
    template: &'a Node,
    logical_id: &str,
    name: &str,
) -> Option<(String, &'a Node)> {
    let id = escape(logical_id);
    if let Some(value) =
        template.get("Resources")?.get(logical_id)?.get("Properties").and_then(|p| p.get(name))
    {
        return Some((format!("/Resources/{id}/Properties/{name}"), value));
    }
    let value = template.get("Globals")?.get("Function")?.get(name)?;
    Some((format!("/Globals/Function/{name}"), value))
}

fn managed(origin: GrantOrigin, pointer: &str, name: &str) -> Grant {
    let arn = format!("arn:${{AWS::Partition}}:iam::aws:policy/{name}");
    Grant { origin, pointer: pointer.to_owned(), kind: GrantKind::Managed(Node::sub(arn)) }
}

fn document(origin: GrantOrigin, pointer: &str, statements: Vec<Node>) -> Grant {
    let doc =
        Node::map([("Version", Node::string("2012-10-17")), ("Statement", Node::List(statements))]);
    Grant { origin, pointer: pointer.to_owned(), kind: GrantKind::Document(doc) }
}

fn statement(actions: &[&str], resource: Node) -> Node {
    let actions = actions.iter().map(|a| Node::string(*a)).collect();
    Node::map([
        ("Effect", Node::string("Allow")),
        ("Action", Node::List(actions)),
        ("Resource", resource),
    ])
}

/// What SAM adds to a generated role without a `Policies` entry: basic execution, X-Ray for
/// `Tracing`, network interfaces for `VpcConfig`, the polling policies of event sources, the
/// dead-letter queue and the `EventInvokeConfig` destinations.
pub fn implicit_grants(template: &Node, logical_id: &str) -> Vec<Grant> {
    let mut out = Vec::new();
    let resource_pointer = format!("/Resources/{}", escape(logical_id));
    let basic = if property(template, logical_id, "DurableConfig").is_some() {
        "service-role/AWSLambdaBasicDurableExecutionRolePolicy"
    } else {
        "service-role/AWSLambdaBasicExecutionRole"
    };
    out.push(managed(GrantOrigin::BasicExecution, &resource_pointer, basic));
    if let Some((at, tracing)) = property(template, logical_id, "Tracing")
        && tracing.as_str() != Some("Disabled")
    {
        out.push(managed(GrantOrigin::Tracing, &at, XRAY_POLICY));
    }
    if let Some((at, _)) = property(template, logical_id, "VpcConfig") {
        out.push(managed(GrantOrigin::Vpc, &at, "service-role/AWSLambdaVPCAccessExecutionRole"));
    }
    event_grants(template, logical_id, &mut out);
    if let Some((at, dlq)) = property(template, logical_id, "DeadLetterQueue")
        && let Some(target) = dlq.get("TargetArn")
    {
        let action = match dlq.get("Type").and_then(Node::as_str) {
            Some("SNS") => "sns:Publish",
            _ => "sqs:SendMessage",
        };
        let stmt = statement(&[action], target.clone());
        out.push(document(GrantOrigin::DeadLetterQueue, &at, vec![stmt]));
    }
    if let Some((at, config)) = property(template, logical_id, "EventInvokeConfig")
        && let Some(destinations) = config.get("DestinationConfig")
    {
        for which in ["OnSuccess", "OnFailure"] {
            if let Some(dest) = destinations.get(which) {
                let at = format!("{at}/DestinationConfig/{which}");
                if let Some(grant) = destination(dest, &at, GrantOrigin::Destination(which.into()))
                {
                    out.push(grant);
                }
            }
        }
    }
    out
}

/// The X-Ray actions a function with `Tracing` enabled needs: Lambda sends the function's
/// trace segments and telemetry with its role (the Lambda developer guide, "Execution role
/// permissions" for X-Ray). Neither action has a resource type.
pub const TRACING_ACTIONS: &[&str] = &["xray:PutTraceSegments", "xray:PutTelemetryRecords"];

/// What a function's own role must hold to keep working when it replaces the role SAM would
/// generate (`synth --format sam` sets `Role`, and SAM then adds nothing): every implicit grant
/// but basic execution (the leastpriv role writes to its own log group), with `Tracing` and the
/// SQS, Kinesis and DynamoDB event sources scoped to what they need — the X-Ray actions, and the
/// polling actions on the event's own queue or stream instead of SAM's managed policies on `*`.
/// The other implicit grants (VPC, MSK and MQ sources, dead-letter queue, destinations) are
/// kept as SAM writes them.
///
/// `polled` holds the (IAM prefix, logical id) of the sources the role's own `trigger` entries
/// already poll (`sqs(trigger, queue = "${Jobs.QueueName}")` → `("sqs", "Jobs")`): an event
/// whose queue or stream names the same resource (`Queue: !GetAtt Jobs.Arn`) adds nothing.
pub fn kept_grants(
    template: &Node,
    logical_id: &str,
    polled: &BTreeSet<(String, String)>,
) -> Vec<Grant> {
    let mut out = Vec::new();
    for grant in implicit_grants(template, logical_id) {
        match &grant.origin {
            GrantOrigin::BasicExecution => {}
            GrantOrigin::Tracing => {
                let stmt = statement(TRACING_ACTIONS, Node::string("*"));
                out.push(document(GrantOrigin::Tracing, &grant.pointer, vec![stmt]));
            }
            GrantOrigin::EventSource(name, kind)
                if matches!(grant.kind, GrantKind::Managed(_))
                    && matches!(kind.as_str(), "SQS" | "Kinesis" | "DynamoDB") =>
            {
                let source = property(template, logical_id, "Events")
                    .and_then(|(_, events)| events.get(name))
                    .and_then(|event| event.get("Properties"))
                    .and_then(|p| p.get(if kind == "SQS" { "Queue" } else { "Stream" }));
                let prefix = match kind.as_str() {
                    "SQS" => "sqs",
                    "Kinesis" => "kinesis",
                    _ => "dynamodb",
                };
                let named = source.and_then(crate::lint::model::referenced);
                if named.is_some_and(|id| polled.contains(&(prefix.to_owned(), id.to_owned()))) {
                    continue;
                }
                match (source, crate::synth::trigger::polling(prefix)) {
                    (Some(source), Some(polling)) => {
                        // ListStreams names no stream: it takes no resource.
                        let (scoped, unscoped): (Vec<&str>, Vec<&str>) =
                            polling.actions.iter().partition(|a| **a != "dynamodb:ListStreams");
                        let mut statements = vec![statement(&scoped, source.clone())];
                        if !unscoped.is_empty() {
                            statements.push(statement(&unscoped, Node::string("*")));
                        }
                        out.push(document(grant.origin.clone(), &grant.pointer, statements));
                    }
                    // No source to scope to: keep what SAM grants.
                    _ => out.push(grant),
                }
            }
            _ => out.push(grant),
        }
    }
    out
}

/// The policy for a destination (`{"Type": "SQS", "Destination": arn}`), as aws-sam-translator's
/// `IAMRolePolicies` writes it.
fn destination(dest: &Node, at: &str, origin: GrantOrigin) -> Option<Grant> {
    let arn = dest.get("Destination")?.clone();
    let statements = match dest.get("Type").and_then(Node::as_str)? {
        "SQS" => vec![statement(&["sqs:SendMessage"], arn)],
        "SNS" => vec![statement(&["sns:Publish"], arn)],
        "Lambda" => vec![statement(&["lambda:InvokeFunction"], arn)],
        "EventBridge" => vec![statement(&["events:PutEvents"], arn)],
        "S3" => vec![
            statement(
                &["s3:PutObject"],
                Node::map([(
                    "Fn::Join",
                    Node::List(vec![
                        Node::string("/"),
                        Node::List(vec![arn.clone(), Node::string("*")]),
                    ]),
                )]),
            ),
            statement(&["s3:ListBucket"], arn),
        ],
        _ => return None,
    };
    Some(document(origin, at, statements))
}

fn event_grants(template: &Node, logical_id: &str, out: &mut Vec<Grant>) {
    let Some((events_at, Node::Map(events))) = property(template, logical_id, "Events") else {
        return;
    };
    for (name, event) in events {
        let Some(kind) = event.get("Type").and_then(Node::as_str) else { continue };
        let at = format!("{events_at}/{}", escape(name));
        let origin = GrantOrigin::EventSource(name.clone(), kind.to_owned());
        let props = event.get("Properties");
        let policy = match kind {
            "SQS" => Some("service-role/AWSLambdaSQSQueueExecutionRole"),
            "Kinesis" => Some("service-role/AWSLambdaKinesisExecutionRole"),
            "DynamoDB" => Some("service-role/AWSLambdaDynamoDBExecutionRole"),
            "MSK" => Some("service-role/AWSLambdaMSKExecutionRole"),
            _ => None,
        };
        if let Some(policy) = policy {
            out.push(managed(origin.clone(), &at, policy));
        }
        if kind == "MQ"
            && let Some(props) = props
        {
            let mut statements = Vec::new();
            if let Some(uri) = source_access_uri(props, &["BASIC_AUTH", "VIRTUAL_HOST"]) {
                statements.push(statement(&["secretsmanager:GetSecretValue"], uri));
            }
            if let Some(broker) = props.get("Broker") {
                statements.push(statement(&["mq:DescribeBroker"], broker.clone()));
            }
            if !statements.is_empty() {
                out.push(document(origin.clone(), &at, statements));
            }
        }
        if kind == "MSK"
            && let Some(props) = props
            && let Some(uri) = source_access_uri(props, &["CLIENT_CERTIFICATE_TLS_AUTH"])
        {
            let stmt = statement(&["secretsmanager:GetSecretValue"], uri);
            out.push(document(origin.clone(), &at, vec![stmt]));
        }
        if let Some(on_failure) =
            props.and_then(|p| p.get("DestinationConfig")).and_then(|d| d.get("OnFailure"))
            && let Some(grant) = destination(on_failure, &format!("{at}/Properties"), origin)
        {
            out.push(grant);
        }
    }
}

/// The `URI` of the first `SourceAccessConfigurations` entry of one of `kinds`.
fn source_access_uri(props: &Node, kinds: &[&str]) -> Option<Node> {
    let Some(Node::List(configs)) = props.get("SourceAccessConfigurations") else { return None };
    configs
        .iter()
        .find(|c| c.get("Type").and_then(Node::as_str).is_some_and(|t| kinds.contains(&t)))
        .and_then(|c| c.get("URI"))
        .cloned()
}

/// The role SAM generates for a function (or the `Role` it names instead).
pub fn function_role(template: &Node, logical_id: &str) -> FunctionRole {
    let mut out = FunctionRole::default();
    if let Some((at, role)) = property(template, logical_id, "Role") {
        out.role = Some((at, role.clone()));
        return out;
    }
    if let Some((at, policies)) = property(template, logical_id, "Policies") {
        match policies {
            Node::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    policies_entry(item, &format!("{at}/{i}"), &mut out);
                }
            }
            other => policies_entry(other, &at, &mut out),
        }
    }
    out.grants.extend(implicit_grants(template, logical_id));
    out
}

fn policies_entry(item: &Node, at: &str, out: &mut FunctionRole) {
    match item {
        Node::String(_) => {
            out.grants.push(Grant {
                origin: GrantOrigin::Policies,
                pointer: at.to_owned(),
                kind: GrantKind::Managed(item.clone()),
            });
        }
        Node::Map(entries) if item.get("Statement").is_some() => {
            let _ = entries;
            out.grants.push(Grant {
                origin: GrantOrigin::Inline,
                pointer: at.to_owned(),
                kind: GrantKind::Document(item.clone()),
            });
        }
        Node::Map(entries) => match entries.as_slice() {
            [(key, _)] if key == "Ref" || key.starts_with("Fn::") => {
                out.grants.push(Grant {
                    origin: GrantOrigin::Policies,
                    pointer: at.to_owned(),
                    kind: GrantKind::Managed(item.clone()),
                });
            }
            [(name, values)] => {
                let at = format!("{at}/{}", escape(name));
                match expand_template(name, values) {
                    Ok(doc) => out.grants.push(Grant {
                        origin: GrantOrigin::PolicyTemplate(name.clone()),
                        pointer: at,
                        kind: GrantKind::Document(doc),
                    }),
                    Err(message) => out.problems.push((at, message)),
                }
            }
            _ => out.problems.push((
                at.to_owned(),
                "a Policies entry is a managed policy, a policy document or one SAM policy \
                 template"
                    .to_owned(),
            )),
        },
        _ => out.problems.push((at.to_owned(), "unreadable Policies entry".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn template(text: &str) -> Node {
        Node::from_yaml_str(text).unwrap()
    }

    #[test]
    fn expands_policy_templates_and_implicit_grants() {
        let t = template(
            "Globals:\n  Function:\n    Tracing: Active\nResources:\n  Fn:\n    Type: \
             AWS::Serverless::Function\n    Properties:\n      Policies:\n        - \
             S3ReadPolicy:\n            BucketName: !Ref Uploads\n        - \
             AmazonDynamoDBFullAccess\n      Events:\n        Q:\n          Type: SQS\n          \
             Properties:\n            Queue: !GetAtt Q.Arn\n",
        );
        let role = function_role(&t, "Fn");
        assert!(role.problems.is_empty(), "{:?}", role.problems);
        let origins: Vec<String> = role.grants.iter().map(|g| g.origin.describe()).collect();
        assert_eq!(
            origins,
            [
                "SAM policy template S3ReadPolicy",
                "a managed policy in Policies",
                "SAM's basic execution policy",
                "Tracing (SAM adds X-Ray)",
                "the SQS event source Q",
            ]
        );
        let GrantKind::Document(doc) = &role.grants[0].kind else { unreachable!("a document") };
        let text = serde_json::to_string(doc).unwrap();
        assert!(text.contains("{\"Ref\":\"Uploads\"}"), "{text}");
        assert_eq!(role.grants[3].pointer, "/Globals/Function/Tracing");
        assert!(template_names().len() > 70);
    }

    #[test]
    fn a_missing_template_parameter_is_a_problem() {
        let t = template(
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
             Policies:\n        - DynamoDBCrudPolicy: {}\n",
        );
        let role = function_role(&t, "Fn");
        assert_eq!(role.problems.len(), 1);
        assert!(role.problems[0].1.contains("TableName"));
    }
}
