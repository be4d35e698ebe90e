//! Reads the JSON tree into the typed model, reporting each problem with its JSON pointer.

use super::condition::{Condition, did_you_mean};
use super::error::{Pointer, PolicyError};
use super::json::Json;
use super::principal::Principal;
use super::value::{OneOrMany, Value};
use super::{Actions, Effect, Params, Policy, Principals, Resources, Statement, Version};

const POLICY_KEYS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_KEYS: [&str; 10] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    // Not an IAM element, but a frequent mistake worth a precise message.
    "Conditions",
];

fn unknown_key(name: &str, known: &[&str], at: &Pointer, what: &str) -> PolicyError {
    let err = at.error(format!("unknown {what} element `{name}`"));
    if let Some(exact) = known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        return err.with_help(format!("element names are case-sensitive: write `{exact}`"));
    }
    match did_you_mean(name, known.iter().copied()) {
        Some(best) => err.with_help(format!("did you mean `{best}`?")),
        None => err.with_help(format!("the {what} elements are {}", known.join(", "))),
    }
}

fn string(json: &Json, at: &Pointer, what: &str) -> Result<String, PolicyError> {
    match json {
        Json::String(text) => Ok(text.clone()),
        other => Err(at.error(format!("`{what}` must be a string, found {}", other.kind()))),
    }
}

/// Reads a whole policy document.
pub(crate) fn policy(json: &Json) -> Result<Policy, PolicyError> {
    policy_with(json, None)
}

/// Reads a whole policy document, choosing statement-level `Fn::If` branches by `conditions`.
pub(crate) fn policy_with(json: &Json, conditions: Option<&Params>) -> Result<Policy, PolicyError> {
    let root = Pointer::root();
    let Json::Object(members) = json else {
        return Err(root.error(format!("a policy must be a JSON object, found {}", json.kind())));
    };
    let mut policy = Policy::default();
    let mut statements = None;
    for (name, value) in members {
        let at = root.key(name);
        match name.as_str() {
            "Version" => policy.version = Some(version(value, &at)?),
            "Id" => policy.id = Some(string(value, &at, "Id")?),
            "Statement" => statements = Some(statement_list(value, &at, conditions)?),
            _ => return Err(unknown_key(name, &POLICY_KEYS, &at, "policy")),
        }
    }
    policy.statements = statements.ok_or_else(|| {
        root.error("a policy needs a `Statement` element")
            .with_help("add \"Statement\": [ … ] with at least one statement")
    })?;
    Ok(policy)
}

fn version(json: &Json, at: &Pointer) -> Result<Version, PolicyError> {
    match json {
        Json::String(v) if v == "2012-10-17" => Ok(Version::V2012_10_17),
        Json::String(v) if v == "2008-10-17" => Ok(Version::V2008_10_17),
        other => {
            let found = match other {
                Json::String(v) => format!("\"{v}\""),
                other => other.kind().to_owned(),
            };
            Err(at
                .error(format!("unknown policy language version {found}"))
                .with_help("use \"2012-10-17\" (the only version with policy variables)"))
        }
    }
}

fn statement_list(
    json: &Json,
    at: &Pointer,
    conditions: Option<&Params>,
) -> Result<Vec<Statement>, PolicyError> {
    match json {
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let at = at.index(i);
                if let Some(item) = chosen(item, &at, conditions)? {
                    out.push(statement(item, &at)?);
                }
            }
            Ok(out)
        }
        Json::Object(_) => match chosen(json, at, conditions)? {
            Some(item) => Ok(vec![statement(item, at)?]),
            None => Ok(Vec::new()),
        },
        other => Err(at.error(format!(
            "`Statement` must be an object or a list of objects, found {}",
            other.kind()
        ))),
    }
}

/// A statement, or the branch a statement-level `Fn::If` takes (`None` for `AWS::NoValue`).
fn chosen<'a>(
    json: &'a Json,
    at: &Pointer,
    conditions: Option<&Params>,
) -> Result<Option<&'a Json>, PolicyError> {
    let mut json = json;
    let mut at = at.clone();
    // Nested `Fn::If`s are followed one level at a time (bounded by the reader's depth limit).
    loop {
        match json {
            Json::Object(members) => match members.as_slice() {
                [(function, Json::String(name))] if function == "Ref" && name == "AWS::NoValue" => {
                    return Ok(None);
                }
                [(function, arg)] if function == "Fn::If" => {
                    let at_if = at.key(function);
                    let Json::Array(parts) = arg else {
                        return Err(at_if.error("`Fn::If` takes [\"Condition\", then, else]"));
                    };
                    let [Json::String(condition), then, otherwise] = parts.as_slice() else {
                        return Err(at_if.error("`Fn::If` takes [\"Condition\", then, else]"));
                    };
                    let value = conditions.and_then(|c| c.get(condition));
                    let (branch, index) = match value {
                        Some(v) if v.eq_ignore_ascii_case("true") => (then, 1),
                        Some(v) if v.eq_ignore_ascii_case("false") => (otherwise, 2),
                        _ => {
                            return Err(at_if
                                .error(format!(
                                    "a statement chosen by `Fn::If` on the condition \
                                     `{condition}`, which has no value"
                                ))
                                .with_help(format!(
                                    "give the condition a value: --param {condition}=true or \
                                     --param {condition}=false"
                                )));
                        }
                    };
                    json = branch;
                    at = at_if.index(index);
                }
                _ => return Ok(Some(json)),
            },
            _ => return Ok(Some(json)),
        }
    }
}

fn values(json: &Json, at: &Pointer) -> Result<OneOrMany<Value>, PolicyError> {
    OneOrMany::from_json(json, at, Value::from_json)
}

fn statement(json: &Json, at: &Pointer) -> Result<Statement, PolicyError> {
    let Json::Object(members) = json else {
        return Err(at.error(format!("a statement must be an object, found {}", json.kind())));
    };
    let mut sid = None;
    let mut effect = None;
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut condition = Condition::default();
    let both = |a: &str, b: &str| {
        at.error(format!("a statement cannot have both `{a}` and `{b}`"))
            .with_help(format!("keep `{a}` or `{b}`, not both"))
    };
    for (name, value) in members {
        let here = at.key(name);
        match name.as_str() {
            "Sid" => sid = Some(string(value, &here, "Sid")?),
            "Effect" => effect = Some(effect_of(value, &here)?),
            "Principal" | "NotPrincipal" => {
                if principal.is_some() {
                    return Err(both("Principal", "NotPrincipal"));
                }
                let p = Principal::from_json(value, &here)?;
                principal = Some(if name == "Principal" {
                    Principals::Principal(p)
                } else {
                    Principals::NotPrincipal(p)
                });
            }
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(both("Action", "NotAction"));
                }
                let list = values(value, &here)?;
                action = Some(if name == "Action" {
                    Actions::Action(list)
                } else {
                    Actions::NotAction(list)
                });
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(both("Resource", "NotResource"));
                }
                let list = values(value, &here)?;
                resource = Some(if name == "Resource" {
                    Resources::Resource(list)
                } else {
                    Resources::NotResource(list)
                });
            }
            "Condition" => condition = Condition::from_json(value, &here)?,
            "Conditions" => {
                return Err(here
                    .error("unknown statement element `Conditions`")
                    .with_help("the element is `Condition` (singular)"));
            }
            _ => return Err(unknown_key(name, &STATEMENT_KEYS[..9], &here, "statement")),
        }
    }
    let effect = effect.ok_or_else(|| {
        at.error("a statement needs an `Effect`").with_help("add \"Effect\": \"Allow\" or \"Deny\"")
    })?;
    let action = action.ok_or_else(|| {
        at.error("a statement needs `Action` or `NotAction`")
            .with_help("add \"Action\": [\"service:Action\", …]")
    })?;
    Ok(Statement { sid, effect, principal, action, resource, condition })
}

fn effect_of(json: &Json, at: &Pointer) -> Result<Effect, PolicyError> {
    match json {
        Json::String(e) if e == "Allow" => Ok(Effect::Allow),
        Json::String(e) if e == "Deny" => Ok(Effect::Deny),
        Json::String(e) => {
            let err = at.error(format!("`Effect` must be \"Allow\" or \"Deny\", found \"{e}\""));
            Err(if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") {
                err.with_help("`Effect` values are case-sensitive")
            } else {
                err
            })
        }
        other => {
            Err(at.error(format!("`Effect` must be \"Allow\" or \"Deny\", found {}", other.kind())))
        }
    }
}
