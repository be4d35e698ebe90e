//! Resource ARNs and CloudFormation values built from a declaration's `${Name}` templates.

use crate::declare::{Entry, EntryKind, Part, Template};
use crate::policy::{CfnExpr, Value};

use super::SynthError;

/// Whether a reference is a pseudo parameter (`AWS::Region`); the attribute parser rejects
/// every other `AWS::` name.
pub(crate) fn is_pseudo(name: &str) -> bool {
    name.starts_with("AWS::")
}

/// Whether a reference is an IAM policy variable (`aws:username`, `s3:prefix`) rather than a
/// name of the consuming template: it has a colon but is not a pseudo parameter.
pub(crate) fn is_policy_variable(name: &str) -> bool {
    name.contains(':') && !is_pseudo(name)
}

/// The template text for `Fn::Sub`: references as written, policy variables escaped
/// (`${!aws:username}`) so CloudFormation leaves them for IAM.
fn sub_text(template: &Template) -> String {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Ref(name) if is_policy_variable(name) => {
                out.push_str("${!");
                out.push_str(name);
                out.push('}');
            }
            Part::Ref(name) => {
                out.push_str("${");
                out.push_str(name);
                out.push('}');
            }
        }
    }
    out
}

/// A template as a policy value: literal text, or `Fn::Sub` when it has references.
pub(crate) fn value_of(template: &Template) -> Value {
    let only_variables = template.refs().all(is_policy_variable);
    match template.as_literal() {
        Some(text) => Value::literal(text),
        None if only_variables => Value::literal(template.to_string()),
        None => Value::expr(CfnExpr::Sub {
            template: sub_text(template),
            variables: Default::default(),
        }),
    }
}

/// A template as a property value: a lone reference becomes `Ref` (`${Bucket}`) or
/// `Fn::GetAtt` (`${Bus.Name}`); anything else as [`value_of`].
pub(crate) fn reference_of(template: &Template) -> Value {
    match template.single_ref() {
        Some(name) if is_policy_variable(name) => value_of(template),
        Some(name) => match name.split_once('.') {
            Some((resource, attribute)) if !is_pseudo(name) => Value::expr(CfnExpr::GetAtt {
                resource: resource.to_owned(),
                attribute: attribute.to_owned(),
            }),
            _ => Value::expr(CfnExpr::Ref(name.to_owned())),
        },
        None => value_of(template),
    }
}

/// Joins adjacent text parts so equal templates compare equal.
fn normalise(parts: Vec<Part>) -> Template {
    let mut out: Vec<Part> = Vec::new();
    for part in parts {
        match (out.last_mut(), part) {
            (_, Part::Text(text)) if text.is_empty() => {}
            (Some(Part::Text(last)), Part::Text(text)) => last.push_str(&text),
            (_, part) => out.push(part),
        }
    }
    if out.is_empty() {
        out.push(Part::Text(String::new()));
    }
    Template { parts: out }
}

/// Replaces `{key}` placeholders in `format` with the parts `value(key)` gives.
fn fill(
    format: &str,
    mut value: impl FnMut(&str) -> Result<Vec<Part>, SynthError>,
) -> Result<Template, SynthError> {
    let base = Template::parse(format).map_err(|message| SynthError::Internal { message })?;
    let mut parts = Vec::new();
    for part in base.parts {
        let Part::Text(text) = part else {
            parts.push(part);
            continue;
        };
        let mut rest = text.as_str();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            parts.push(Part::Text(rest[..open].to_owned()));
            parts.extend(value(&rest[open + 1..open + close])?);
            rest = &rest[open + close + 1..];
        }
        parts.push(Part::Text(rest.to_owned()));
    }
    Ok(normalise(parts))
}

/// The ARN of an entry's resource of `resource_type`, from the service's ARN format and the
/// entry's keys. A name key given as a full ARN (`queue = "arn:…"`) replaces the format up to
/// its placeholder. Generic entries have one ARN whatever the type.
pub(crate) fn resource_arn(entry: &Entry, resource_type: &str) -> Result<Template, SynthError> {
    let spec = match entry.kind {
        EntryKind::Generic => return generic_arn(entry),
        EntryKind::Known(spec) => spec,
    };
    let Some(resource) = spec.resources.iter().find(|r| r.iam_type == resource_type) else {
        return Err(SynthError::Internal {
            message: format!("`{}` entries have no `{resource_type}` resource", spec.attr),
        });
    };
    let name_key = spec.keys.first().map(|k| k.name).unwrap_or_default();
    let key_value = |key: &str| -> Result<Template, SynthError> {
        entry.key(key).ok_or_else(|| SynthError::Internal {
            message: format!("`{}` entry without `{key}`", spec.attr),
        })
    };
    let name = key_value(name_key)?;
    let placeholder = format!("{{{name_key}}}");
    if name.to_string().starts_with("arn:")
        && let Some(at) = resource.arn.find(&placeholder)
    {
        let tail = fill(&resource.arn[at + placeholder.len()..], |key| Ok(key_value(key)?.parts))?;
        let mut parts = name.parts;
        parts.extend(tail.parts);
        return Ok(normalise(parts));
    }
    fill(resource.arn, |key| {
        let mut parts = key_value(key)?.parts;
        // SSM ARNs have one slash before the name: `parameter/app/db` for `/app/db`.
        if spec.prefix == "ssm"
            && let Some(Part::Text(first)) = parts.first_mut()
            && let Some(stripped) = first.strip_prefix('/')
        {
            *first = stripped.to_owned();
        }
        Ok(parts)
    })
}

/// The `arn` of a generic entry.
pub(crate) fn generic_arn(entry: &Entry) -> Result<Template, SynthError> {
    entry.keys.get("arn").map(|arn| arn.value.clone()).ok_or_else(|| SynthError::Internal {
        message: format!("`{}` entry without `arn`", entry.service.value),
    })
}

/// The ARN of a customer managed key named by `kms_key`: a key id (or a `${Key}` reference,
/// whose `Ref` is the key id) goes into the key ARN format; a full ARN or a `${Key.Arn}`
/// reference stays as it is. Aliases are refused: IAM matches `kms:Decrypt` and friends on the
/// key's ARN, never on an alias ARN.
pub(crate) fn kms_key_arn(key: &Template) -> Result<Template, SynthError> {
    let text = key.to_string();
    if text.starts_with("arn:") && !text.contains(":alias/") {
        return Ok(key.clone());
    }
    if let Some(name) = key.single_ref()
        && name.ends_with(".Arn")
    {
        return Ok(key.clone());
    }
    if text.starts_with("alias/") || text.contains(":alias/") {
        return Err(SynthError::KmsAlias { key: text });
    }
    let mut parts =
        Template::parse("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/")
            .map_err(|message| SynthError::Internal { message })?
            .parts;
    parts.extend(key.parts.iter().cloned());
    Ok(normalise(parts))
}

/// Every name a template refers to that the consuming template must define: parameters and
/// resources (`UploadBucket`) and resource attributes (`ForwardQueue.QueueName`); pseudo
/// parameters and policy variables are left out.
pub(crate) fn template_names(template: &Template) -> impl Iterator<Item = &str> {
    template.refs().filter(|name| !is_pseudo(name) && !is_policy_variable(name))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn t(text: &str) -> Template {
        Template::parse(text).unwrap()
    }

    #[test]
    fn values_pick_the_shortest_faithful_form() {
        assert_eq!(value_of(&t("plain")), Value::literal("plain"));
        assert_eq!(
            value_of(&t("${A}-x")),
            Value::expr(CfnExpr::Sub { template: "${A}-x".into(), variables: Default::default() })
        );
        assert_eq!(reference_of(&t("${Bucket}")), Value::expr(CfnExpr::Ref("Bucket".into())));
        assert_eq!(
            reference_of(&t("${Bus.Name}")),
            Value::expr(CfnExpr::GetAtt { resource: "Bus".into(), attribute: "Name".into() })
        );
        assert_eq!(
            reference_of(&t("${AWS::Region}")),
            Value::expr(CfnExpr::Ref("AWS::Region".into()))
        );
    }

    #[test]
    fn policy_variables_are_escaped_for_sub() {
        let value = value_of(&t("${Bucket}/home/${aws:username}/*"));
        assert_eq!(
            value,
            Value::expr(CfnExpr::Sub {
                template: "${Bucket}/home/${!aws:username}/*".into(),
                variables: Default::default()
            })
        );
        assert_eq!(value_of(&t("home/${aws:username}")), Value::literal("home/${aws:username}"));
    }

    #[test]
    fn kms_keys() {
        assert_eq!(
            kms_key_arn(&t("${WorkerKey}")).unwrap().to_string(),
            "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${WorkerKey}"
        );
        assert_eq!(kms_key_arn(&t("${WorkerKey.Arn}")).unwrap().to_string(), "${WorkerKey.Arn}");
        let arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(kms_key_arn(&t(arn)).unwrap().to_string(), arn);
        assert!(matches!(kms_key_arn(&t("alias/app")), Err(SynthError::KmsAlias { .. })));
    }
}
