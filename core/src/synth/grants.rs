//! From a handler's requirements, triggers and log group to grants: one action on one resource
//! under one condition, each with where it comes from.

use crate::analyse::Call;
use crate::catalog::{ActionInfo, Catalog, ImpliedKind};
use crate::check::Reason;
use crate::declare::{Entry, EntryKind, Template};
use crate::pipeline::HandlerResult;
use crate::policy::{BaseOperator, Condition, ConditionOperator, ConditionValue, Value};

use super::arn::{generic_arn, kms_key_arn, resource_arn, value_of};
use super::trigger::polling;
use super::{Grant, GrantReason, SynthError};

/// The actions a function needs to write to its own log group
/// (<https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html>);
/// the group is created by the template, so `logs:CreateLogGroup` is not needed.
pub(crate) const LOG_ACTIONS: &[&str] = &["logs:CreateLogStream", "logs:PutLogEvents"];

/// The resource an action gets on an entry: `*` when the action has no resource-level
/// permissions; otherwise the entry's resource of the wanted type, or of the first type (in the
/// entry's order) the action takes. Returns the resource and its type.
pub(crate) fn resource_for(
    entry: &Entry,
    info: &ActionInfo,
    wanted: Option<&str>,
) -> Result<(Template, Option<String>), SynthError> {
    if info.resource_star_only() {
        return Ok((Template::literal("*"), None));
    }
    let spec = match entry.kind {
        EntryKind::Generic => return Ok((generic_arn(entry)?, wanted.map(str::to_owned))),
        EntryKind::Known(spec) => spec,
    };
    let takes = |t: &str| info.resource_types.iter().any(|r| r.name == t);
    let provided = |t: &str| spec.resources.iter().any(|r| r.iam_type == t);
    let chosen = wanted.filter(|t| provided(t) && takes(t)).map(str::to_owned).or_else(|| {
        spec.resources.iter().find(|r| takes(r.iam_type)).map(|r| r.iam_type.to_owned())
    });
    let Some(resource_type) = chosen else {
        let types: Vec<&str> = info.resource_types.iter().map(|r| r.name.as_str()).collect();
        return Err(SynthError::NoResource {
            action: info.action.clone(),
            entry: entry.label(),
            types: types.join(", "),
        });
    };
    Ok((resource_arn(entry, &resource_type)?, Some(resource_type)))
}

fn string_equals(key: &str, value: Value) -> Condition {
    let mut condition = Condition::default();
    condition.insert(
        ConditionOperator::new(BaseOperator::StringEquals),
        key,
        vec![ConditionValue::String(value)],
    );
    condition
}

/// `kms:ViaService = <service>.${AWS::Region}.${AWS::URLSuffix}`: the key may be used only
/// through that service, in the function's region and partition.
fn via_service(service: &str) -> Result<Condition, SynthError> {
    let template = Template::parse(&format!("{service}.${{AWS::Region}}.${{AWS::URLSuffix}}"))
        .map_err(|message| SynthError::Internal { message })?;
    Ok(string_equals("kms:ViaService", value_of(&template)))
}

/// The catalog's implied-action entry of `kind` for a call that includes `action`.
fn implied(
    catalog: &Catalog,
    call: &Call,
    action: &str,
    kind: ImpliedKind,
) -> Option<crate::catalog::Implied> {
    let op = catalog.sdk_operation(&call.crate_name, &call.method).ok()?;
    op.resolve(&call.all_setters())
        .implied
        .into_iter()
        .map(|detail| detail.implied)
        .find(|i| i.kind == kind && i.actions.iter().any(|a| a.eq_ignore_ascii_case(action)))
}

/// Every grant of a handler: its requirements (calls, implied KMS and PassRole), its triggers'
/// polling, and writing to its log group `log_group` (the group's logical id).
pub(crate) fn grants(
    catalog: &Catalog,
    handler: &HandlerResult,
    log_group: &str,
) -> Result<Vec<Grant>, SynthError> {
    let decl = &handler.declaration;
    let mut out = Vec::new();
    for req in &handler.check.requirements {
        let Some(entry) = decl.entries.get(req.entry) else {
            return Err(SynthError::Internal {
                message: format!("requirement on entry {} of {}", req.entry, decl.entries.len()),
            });
        };
        let info = catalog
            .action(&req.action)
            .map_err(|err| SynthError::Catalog { message: err.to_string() })?;
        let call = handler.analysis.calls.get(req.call);
        let grant = |resource: &Template, resource_type: Option<String>, reason, condition| Grant {
            action: info.action.clone(),
            access_level: info.access_level.as_str().to_owned(),
            reason,
            entry: Some(req.entry),
            call: Some(req.call),
            resource_type,
            resource: value_of(resource),
            condition,
        };
        match req.reason {
            Reason::Call => {
                let (resource, resource_type) =
                    resource_for(entry, &info, req.resource_type.as_deref())?;
                let condition = s3_prefix(entry, &info, resource_type.as_deref());
                out.push(grant(&resource, resource_type, GrantReason::Call, condition));
            }
            Reason::Kms => {
                let Some(key) = &entry.kms_key else {
                    return Err(SynthError::Internal {
                        message: format!("KMS requirement on {} without kms_key", entry.label()),
                    });
                };
                let via = call
                    .and_then(|c| implied(catalog, c, &req.action, ImpliedKind::Kms))
                    .and_then(|i| i.via_service)
                    .ok_or_else(|| SynthError::Internal {
                        message: format!("no kms:ViaService service for {}", req.action),
                    })?;
                let condition = via_service(&via)?;
                let key = kms_key_arn(&key.value)?;
                out.push(grant(&key, Some("key".to_owned()), GrantReason::Kms, condition));
            }
            Reason::PassRole => {
                let (resource, resource_type) =
                    resource_for(entry, &info, req.resource_type.as_deref())?;
                let passed_to = call
                    .and_then(|c| implied(catalog, c, &req.action, ImpliedKind::PassRole))
                    .and_then(|i| i.passed_to);
                let condition = passed_to
                    .map(|p| string_equals("iam:PassedToService", Value::literal(p)))
                    .unwrap_or_default();
                out.push(grant(&resource, resource_type, GrantReason::PassRole, condition));
            }
        }
    }
    for (index, entry) in decl.entries.iter().enumerate() {
        if entry.trigger.is_some() {
            out.extend(trigger_grants(catalog, entry, index)?);
        }
        if entry.allow_unused.is_some() {
            out.extend(declared_grants(catalog, entry, index, &out)?);
        }
    }
    let log_streams = Template::parse(&format!(
        "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{log_group}}}:log-stream:*"
    ))
    .map_err(|message| SynthError::Internal { message })?;
    for action in LOG_ACTIONS {
        let info = catalog
            .action(action)
            .map_err(|err| SynthError::Catalog { message: err.to_string() })?;
        out.push(Grant {
            action: info.action.clone(),
            access_level: info.access_level.as_str().to_owned(),
            reason: GrantReason::Logs,
            entry: None,
            call: None,
            resource_type: Some("log-stream".to_owned()),
            resource: value_of(&log_streams),
            condition: Condition::default(),
        });
    }
    Ok(out)
}

/// The explicit `actions` of an `allow_unused` entry that no call accounts for: the user
/// declared them for uses the analysis cannot see, so the role keeps them.
fn declared_grants(
    catalog: &Catalog,
    entry: &Entry,
    index: usize,
    granted: &[Grant],
) -> Result<Vec<Grant>, SynthError> {
    let mut out = Vec::new();
    for action in &entry.actions {
        let info = catalog
            .action(&action.value)
            .map_err(|err| SynthError::Catalog { message: err.to_string() })?;
        if granted.iter().any(|g| g.entry == Some(index) && g.action == info.action) {
            continue;
        }
        let (resource, resource_type) = resource_for(entry, &info, None)?;
        let condition = s3_prefix(entry, &info, resource_type.as_deref());
        out.push(Grant {
            action: info.action.clone(),
            access_level: info.access_level.as_str().to_owned(),
            reason: GrantReason::Declared,
            entry: Some(index),
            call: None,
            resource_type,
            resource: value_of(&resource),
            condition,
        });
    }
    Ok(out)
}

/// `ListBucket` on a bucket whose entry limits `key`: only listing under that prefix.
fn s3_prefix(entry: &Entry, info: &ActionInfo, resource_type: Option<&str>) -> Condition {
    let mut condition = Condition::default();
    let takes_prefix = info.condition_keys.iter().any(|k| k == "s3:prefix");
    if entry.prefix != "s3" || resource_type != Some("bucket") || !takes_prefix {
        return condition;
    }
    let Some(key) = entry.key("key") else { return condition };
    if key.as_literal() == Some("*") {
        return condition;
    }
    condition.insert(
        ConditionOperator::new(BaseOperator::StringLike),
        "s3:prefix",
        vec![ConditionValue::String(value_of(&key))],
    );
    condition
}

/// The polling actions of a `trigger` entry, and `kms:Decrypt` through the source's service
/// when the source is encrypted with the entry's customer managed key.
fn trigger_grants(
    catalog: &Catalog,
    entry: &Entry,
    index: usize,
) -> Result<Vec<Grant>, SynthError> {
    let Some(polling) = polling(&entry.prefix) else {
        return Err(SynthError::UnsupportedTrigger { entry: entry.label() });
    };
    let mut out = Vec::new();
    for action in polling.actions {
        let info = catalog
            .action(action)
            .map_err(|err| SynthError::Catalog { message: err.to_string() })?;
        let (resource, resource_type) = resource_for(entry, &info, None)?;
        out.push(Grant {
            action: info.action.clone(),
            access_level: info.access_level.as_str().to_owned(),
            reason: GrantReason::Trigger,
            entry: Some(index),
            call: None,
            resource_type,
            resource: value_of(&resource),
            condition: Condition::default(),
        });
    }
    if let Some(key) = &entry.kms_key {
        let info = catalog
            .action("kms:Decrypt")
            .map_err(|err| SynthError::Catalog { message: err.to_string() })?;
        out.push(Grant {
            action: info.action.clone(),
            access_level: info.access_level.as_str().to_owned(),
            reason: GrantReason::TriggerKms,
            entry: Some(index),
            call: None,
            resource_type: Some("key".to_owned()),
            resource: value_of(&kms_key_arn(&key.value)?),
            condition: via_service(polling.via_service)?,
        });
    }
    Ok(out)
}
