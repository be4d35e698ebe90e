//! The environment variables an entry's `env = "NAME"` wires into the function: per service, the
//! form of the resource's name the SDK call conventionally takes.
//!
//! | service | value | why |
//! | --- | --- | --- |
//! | `s3` | bucket name | `bucket(…)` takes the name |
//! | `dynamodb` | table name | `table_name(…)` |
//! | `sqs` | queue URL | `queue_url(…)`; `!Ref` of an `AWS::SQS::Queue` is its URL |
//! | `sns` | topic ARN | `topic_arn(…)`; `!Ref` of an `AWS::SNS::Topic` is its ARN |
//! | `events` | bus name | `event_bus_name(…)` takes the name (or ARN) |
//! | `states` | state machine ARN | `state_machine_arn(…)`; `!Ref` of the state machine is its ARN |
//! | `lambda` | function name | `function_name(…)` takes the name |
//! | `kms` | key id | `key_id(…)` |
//! | `secretsmanager` | secret name | `secret_id(…)` takes the name (the ARN has a random suffix) |
//! | `ssm` | parameter name | `name(…)` |
//! | `kinesis` | stream name | `stream_name(…)` |
//! | `firehose` | delivery stream name | `delivery_stream_name(…)` |
//! | `ses` | identity (the sender address or domain) | `from_email_address(…)` |
//! | `bedrock` | model id | `model_id(…)` |
//! | `execute_api` | the stage's invoke URL | the code calls the API over HTTPS |
//! | `logs` | log group name | `log_group_name(…)` |
//! | `resource(arn = …)` and other services | the ARN | the only name the entry has |
//!
//! A name key that is a lone `${Resource.Attribute}` reference whose resource's `Ref` already is
//! the wanted form is written as that `Ref` (`${ForwardQueue.QueueName}` → `!Ref ForwardQueue`),
//! which is what templates usually say; otherwise the value is built with `Fn::Sub`
//! (`https://sqs.${AWS::Region}.${AWS::URLSuffix}/${AWS::AccountId}/NAME`).

use crate::declare::{Entry, EntryKind, Part, Template};
use crate::policy::{CfnExpr, Value};

use super::SynthError;
use super::arn::{generic_arn, reference_of, resource_arn, value_of};

/// How a service's environment value is formed.
enum Form {
    /// The value of this key, as written.
    Key(&'static str),
    /// The ARN of this resource type; `Ref` of the resource when the key is
    /// `${Resource.<attribute>}`.
    Arn(&'static str, &'static str),
    /// The queue URL.
    QueueUrl,
    /// The API stage's invoke URL.
    ApiUrl,
}

fn form(prefix: &str) -> Option<Form> {
    Some(match prefix {
        "s3" => Form::Key("bucket"),
        "dynamodb" => Form::Key("table"),
        "sqs" => Form::QueueUrl,
        "sns" => Form::Arn("topic", "TopicName"),
        "events" => Form::Key("bus"),
        "states" => Form::Arn("statemachine", "Name"),
        "lambda" => Form::Key("function"),
        "kms" => Form::Key("key"),
        "secretsmanager" => Form::Key("secret"),
        "ssm" => Form::Key("parameter"),
        "kinesis" => Form::Key("stream"),
        "firehose" => Form::Key("delivery_stream"),
        "ses" => Form::Key("identity"),
        "bedrock" => Form::Key("model"),
        "execute-api" => Form::ApiUrl,
        "logs" => Form::Key("log_group"),
        _ => return None,
    })
}

/// `Ref` of the resource when `template` is exactly `${Resource.<attribute>}`.
fn ref_of_attribute(template: &Template, attribute: &str) -> Option<Value> {
    let name = template.single_ref()?;
    let (resource, attr) = name.split_once('.')?;
    (attr == attribute).then(|| Value::expr(CfnExpr::Ref(resource.to_owned())))
}

fn key(entry: &Entry, name: &str) -> Result<Template, SynthError> {
    entry.key(name).ok_or_else(|| SynthError::Internal {
        message: format!("`{}` entry without `{name}`", entry.service.value),
    })
}

/// Builds a template from literal text around another template's parts.
fn around(before: &str, middle: &Template, after: &str) -> Result<Template, SynthError> {
    let mut parts =
        Template::parse(before).map_err(|message| SynthError::Internal { message })?.parts;
    parts.extend(middle.parts.iter().cloned());
    parts.push(Part::Text(after.to_owned()));
    let text: String = Template { parts }.to_string();
    Template::parse(&text).map_err(|message| SynthError::Internal { message })
}

/// The value of an entry's environment variable.
pub(crate) fn env_value(entry: &Entry) -> Result<Value, SynthError> {
    let form = match entry.kind {
        EntryKind::Generic => return Ok(reference_of(&generic_arn(entry)?)),
        EntryKind::Known(spec) => form(spec.prefix),
    };
    match form {
        None => Ok(reference_of(&generic_arn(entry)?)),
        Some(Form::Key(name)) => Ok(reference_of(&key(entry, name)?)),
        Some(Form::Arn(resource_type, attribute)) => {
            let name_key = match entry.kind {
                EntryKind::Known(spec) => spec.keys.first().map(|k| k.name).unwrap_or_default(),
                EntryKind::Generic => "arn",
            };
            let name = key(entry, name_key)?;
            match ref_of_attribute(&name, attribute) {
                Some(value) => Ok(value),
                None => Ok(value_of(&resource_arn(entry, resource_type)?)),
            }
        }
        Some(Form::QueueUrl) => {
            let queue = key(entry, "queue")?;
            if let Some(value) = ref_of_attribute(&queue, "QueueName") {
                return Ok(value);
            }
            if queue.to_string().starts_with("https://") {
                return Ok(reference_of(&queue));
            }
            let url = around(
                "https://sqs.${AWS::Region}.${AWS::URLSuffix}/${AWS::AccountId}/",
                &queue,
                "",
            )?;
            Ok(value_of(&url))
        }
        Some(Form::ApiUrl) => {
            let api = key(entry, "api")?;
            let stage = key(entry, "stage")?;
            let base = around("https://", &api, ".execute-api.${AWS::Region}.${AWS::URLSuffix}")?;
            let url = if stage.as_literal() == Some("*") {
                base
            } else {
                let mut parts = base.parts;
                parts.push(Part::Text("/".to_owned()));
                parts.extend(stage.parts.iter().cloned());
                Template::parse(&Template { parts }.to_string())
                    .map_err(|message| SynthError::Internal { message })?
            };
            Ok(value_of(&url))
        }
    }
}
