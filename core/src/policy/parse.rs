//! Reads the JSON tree into the typed model, reporting each problem with its JSON pointer.

use super::condition::{Condition, did_you_mean};
use super::error::{Pointer, PolicyError};
use super::json::Json;
use super::principal::Principal;
use super::value::{OneOrMany, Value};
use super::{Actions, Effect, Policy, Principals, Resources, Statement, Version};

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
            "Statement" => statements = Some(statement_list(value, &at)?),
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

fn statement_list(json: &Json, at: &Pointer) -> Result<Vec<Statement>, PolicyError> {
    match json {
        Json::Array(items) => {
            items.iter().enumerate().map(|(i, item)| statement(item, &at.index(i))).collect()
        }
        Json::Object(_) => Ok(vec![statement(json, at)?]),
        other => Err(at.error(format!(
            "`Statement` must be an object or a list of objects, found {}",
            other.kind()
        ))),
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
