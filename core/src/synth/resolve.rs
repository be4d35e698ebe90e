//! The one resolver of a manifest's roles: `${Name}`, `${Resource.Attribute}` and pseudo
//! parameters replaced by given values, for `synth --format policy --param`, `audit` and `apply`.
//!
//! Values come from [`Params`]: the user's `NAME=VALUE`s over defaults. The one default is a
//! function's own log group, `${<Function>LogGroup}`, which is `/aws/lambda/<Function>` (the
//! group Lambda writes to when no other is configured) unless given. Every name without a value
//! is reported at once, with the functions that use it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::policy::{
    Actions, CfnExpr, Effect, OneOrMany, Params, Policy, PolicyError, Resources, Statement, Value,
};

use super::manifest::Manifest;
use super::{FunctionRole, Placement};

/// Why a manifest's roles cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// Names without a value: each with the functions whose roles use it.
    Missing {
        /// Name → functions, sorted.
        names: BTreeMap<String, BTreeSet<String>>,
    },
    /// A value the resolver cannot evaluate offline (`Fn::ImportValue`, an `Fn::If` condition).
    Policy {
        /// The function.
        function: String,
        /// The resolver's error.
        error: PolicyError,
    },
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::Missing { names } => {
                let list: Vec<String> = names
                    .iter()
                    .map(|(name, functions)| {
                        let functions: Vec<&str> = functions.iter().map(String::as_str).collect();
                        format!("`{name}` (used by {})", functions.join(", "))
                    })
                    .collect();
                write!(
                    f,
                    "no value for {} name{}: {}",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" },
                    list.join(", ")
                )
            }
            ResolveError::Policy { function, error } => write!(f, "function {function}: {error}"),
        }
    }
}

impl std::error::Error for ResolveError {}

/// One function's role with every value resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedRole {
    /// The function's logical id.
    pub function: String,
    /// Every permission of the role.
    pub policy: Policy,
    /// The managed policies of a split role (logical id, permissions), in order; empty when the
    /// role has one inline policy.
    pub managed: Vec<(String, Policy)>,
    /// The permissions boundary ARN.
    pub boundary: Option<String>,
}

/// The name a CloudFormation value refers to, pushed into `out` (pseudo parameters included,
/// `${!Literal}` escapes and `Fn::Sub` variables excluded). `Fn::If` conditions are listed as
/// their names; other functions refer to nothing that can be given.
fn value_names(value: &Value, out: &mut BTreeSet<String>) {
    let Value::Expr(expr) = value else { return };
    match expr.as_ref() {
        CfnExpr::Ref(name) if name == "AWS::NoValue" => {}
        CfnExpr::Ref(name) => {
            out.insert(name.clone());
        }
        CfnExpr::GetAtt { resource, attribute } => {
            out.insert(format!("{resource}.{attribute}"));
        }
        CfnExpr::Sub { template, variables } => {
            let mut rest = template.as_str();
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else { break };
                let name = after[..end].trim();
                if !name.starts_with('!') && !variables.contains_key(name) {
                    out.insert(name.to_owned());
                }
                rest = &after[end + 1..];
            }
            for value in variables.values() {
                value_names(value, out);
            }
        }
        CfnExpr::Join { items, .. } => items.iter().for_each(|item| value_names(item, out)),
        CfnExpr::If { condition, then, otherwise } => {
            out.insert(condition.clone());
            value_names(then, out);
            value_names(otherwise, out);
        }
        CfnExpr::Other { .. } => {}
    }
}

/// Every name the policy's CloudFormation expressions refer to: parameters and resources
/// (`Bucket`), resource attributes (`Queue.Arn`), pseudo parameters (`AWS::Region`) and
/// `Fn::If` conditions, sorted.
pub fn policy_names(policy: &Policy) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (_, value) in policy.values() {
        value_names(value, &mut out);
    }
    out
}

/// Every name one value refers to (see [`policy_names`]).
pub fn names_of(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    value_names(value, &mut out);
    out
}

/// A one-statement policy whose resource is `value`: how a lone value goes through the policy
/// resolver.
fn carrier(value: &Value) -> Policy {
    Policy::new(vec![Statement {
        sid: None,
        effect: Effect::Allow,
        principal: None,
        action: Actions::Action(OneOrMany::one(Value::literal("iam:GetPolicy"))),
        resource: Some(Resources::Resource(OneOrMany::one(value.clone()))),
        condition: Default::default(),
    }])
}

/// Resolves one value (a permissions boundary, an environment value) with the policy resolver.
pub fn resolve_value(value: &Value, params: &Params) -> Result<String, PolicyError> {
    let policy = carrier(value).resolve(params)?;
    let resource = policy.statements.first().and_then(|s| match &s.resource {
        Some(Resources::Resource(list)) => {
            list.iter().next().and_then(|v| v.as_literal()).map(str::to_owned)
        }
        _ => None,
    });
    Ok(resource.unwrap_or_default())
}

/// Reads a value as the manifest writes it (a string, or a CloudFormation expression object).
pub fn value_from_json(json: &serde_json::Value) -> Result<Value, PolicyError> {
    let document = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetPolicy", "Resource": json}],
    });
    let policy = Policy::from_json_value(&document)?;
    policy
        .statements
        .into_iter()
        .next()
        .and_then(|s| match s.resource {
            Some(Resources::Resource(list)) => list.0.into_iter().next(),
            _ => None,
        })
        .ok_or_else(|| PolicyError::new("", "expected a string or a CloudFormation expression"))
}

/// The values for one function: `defaults` (pseudo parameters the caller knows), the function's
/// log group `/aws/lambda/<Function>`, then `user` (which wins).
pub fn function_params(
    function: &str,
    log_group_logical_id: &str,
    defaults: &Params,
    user: &[(String, String)],
) -> Params {
    let mut params = defaults.clone();
    params.insert(log_group_logical_id, format!("/aws/lambda/{function}"));
    for (name, value) in user {
        params.insert(name.clone(), value.clone());
    }
    params
}

/// One role to resolve: what the manifest (in memory or read back from its JSON) holds.
#[derive(Debug, Clone, Copy)]
pub struct RoleValues<'a> {
    /// The function's logical id.
    pub function: &'a str,
    /// Its log group's logical id.
    pub log_group: &'a str,
    /// Every permission of the role.
    pub policy: &'a Policy,
    /// The managed policies of a split role (logical id, permissions).
    pub managed: &'a [(String, Policy)],
    /// The permissions boundary.
    pub boundary: Option<&'a Value>,
}

/// Resolves every role, or names every missing value across all of them.
pub fn resolve_roles(
    roles: &[RoleValues<'_>],
    defaults: &Params,
    user: &[(String, String)],
) -> Result<Vec<ResolvedRole>, ResolveError> {
    let mut missing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut prepared = Vec::with_capacity(roles.len());
    for role in roles {
        let params = function_params(role.function, role.log_group, defaults, user);
        let mut names = policy_names(role.policy);
        for (_, policy) in role.managed {
            names.extend(policy_names(policy));
        }
        if let Some(boundary) = role.boundary {
            names.extend(names_of(boundary));
        }
        for name in names.into_iter().filter(|n| params.get(n).is_none()) {
            missing.entry(name).or_default().insert(role.function.to_owned());
        }
        prepared.push((role, params));
    }
    if !missing.is_empty() {
        return Err(ResolveError::Missing { names: missing });
    }
    prepared
        .into_iter()
        .map(|(role, params)| {
            let fail =
                |error: PolicyError| ResolveError::Policy { function: role.function.into(), error };
            let managed = role
                .managed
                .iter()
                .map(|(id, policy)| Ok((id.clone(), policy.resolve(&params).map_err(fail)?)))
                .collect::<Result<Vec<_>, ResolveError>>()?;
            Ok(ResolvedRole {
                function: role.function.to_owned(),
                policy: role.policy.resolve(&params).map_err(fail)?,
                managed,
                boundary: match role.boundary {
                    Some(value) => Some(resolve_value(value, &params).map_err(fail)?),
                    None => None,
                },
            })
        })
        .collect()
}

/// The managed policies of a role as (logical id, permissions).
fn managed_of(role: &FunctionRole) -> Vec<(String, Policy)> {
    match &role.placement {
        Placement::Inline { .. } => Vec::new(),
        Placement::Managed { policies } => {
            policies.iter().map(|p| (p.logical_id.clone(), p.policy.clone())).collect()
        }
    }
}

/// Resolves every role of a manifest (see [`resolve_roles`]).
pub fn resolve_manifest(
    manifest: &Manifest,
    defaults: &Params,
    user: &[(String, String)],
) -> Result<Vec<ResolvedRole>, ResolveError> {
    let managed: Vec<Vec<(String, Policy)>> =
        manifest.functions.iter().map(|f| managed_of(&f.role)).collect();
    let roles: Vec<RoleValues<'_>> = manifest
        .functions
        .iter()
        .zip(&managed)
        .map(|(f, managed)| RoleValues {
            function: &f.role.name,
            log_group: &f.role.log_group.logical_id,
            policy: &f.role.policy,
            managed,
            boundary: f.role.permissions_boundary.as_ref(),
        })
        .collect();
    resolve_roles(&roles, defaults, user)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn policy(json: &str) -> Policy {
        Policy::from_json_str(json).unwrap()
    }

    #[test]
    fn names_cover_every_kind_of_reference() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
            "Resource":[{"Fn::Sub":"arn:${AWS::Partition}:s3:::${Bucket}/${!aws:username}/*"},
                        {"Fn::GetAtt":["Queue","Arn"]},{"Ref":"Other"},
                        {"Fn::Sub":["${X}-${Y}",{"X":{"Ref":"Inner"}}]}]}]}"#,
        );
        let names: Vec<String> = policy_names(&p).into_iter().collect();
        assert_eq!(names, ["AWS::Partition", "Bucket", "Inner", "Other", "Queue.Arn", "Y"]);
    }

    #[test]
    fn every_missing_name_is_listed_with_its_functions() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
            "Resource":[{"Fn::Sub":"arn:${AWS::Partition}:s3:::${Bucket}/*"},
                        {"Fn::Sub":"arn:aws:logs:::log-group:${FLogGroup}"}]}]}"#,
        );
        let roles = [
            RoleValues {
                function: "F",
                log_group: "FLogGroup",
                policy: &p,
                managed: &[],
                boundary: None,
            },
            RoleValues {
                function: "G",
                log_group: "GLogGroup",
                policy: &p,
                managed: &[],
                boundary: None,
            },
        ];
        let err = resolve_roles(&roles, &Params::new(), &[]).unwrap_err();
        let ResolveError::Missing { names } = &err else { panic!("{err:?}") };
        assert_eq!(names.keys().collect::<Vec<_>>(), ["AWS::Partition", "Bucket", "FLogGroup"]);
        assert_eq!(names["Bucket"].iter().collect::<Vec<_>>(), ["F", "G"]);
        // F's own log group has its default; G's policy names F's group, which G has no value for.
        assert_eq!(names["FLogGroup"].iter().collect::<Vec<_>>(), ["G"]);
        assert!(
            err.to_string().starts_with("no value for 3 names: `AWS::Partition` (used by F, G)")
        );

        let user = [
            ("AWS::Partition".to_owned(), "aws".to_owned()),
            ("Bucket".to_owned(), "uploads".to_owned()),
        ];
        let resolved = resolve_roles(&roles[..1], &Params::new(), &user).unwrap();
        let text = resolved[0].policy.to_compact_json();
        assert!(text.contains("arn:aws:s3:::uploads/*"), "{text}");
        assert!(text.contains("log-group:/aws/lambda/F"), "{text}");
    }

    #[test]
    fn boundaries_resolve_and_read_back() {
        let value = value_from_json(&serde_json::json!({"Fn::Sub":
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${Boundary}"}))
        .unwrap();
        let params = Params::new()
            .with("AWS::Partition", "aws")
            .with("AWS::AccountId", "111122223333")
            .with("Boundary", "dev");
        assert_eq!(resolve_value(&value, &params).unwrap(), "arn:aws:iam::111122223333:policy/dev");
        assert_eq!(value_from_json(&serde_json::json!("plain")).unwrap(), Value::literal("plain"));
        assert!(value_from_json(&serde_json::json!(3)).is_err());
    }
}
