//! Drift between a deployed role's policies and the policy its function needs, judged by the
//! evaluator: what the deployed role effectively grants that the function does not need, and
//! what it needs that the deployed role does not grant.
//!
//! - **Missing**: every action × resource of the needed policy's `Allow` statements is a
//!   request (context: the values its own conditions test), judged against the deployed identity
//!   policies and boundary; anything but `allow` is missing.
//! - **Excess**: every action × resource a deployed `Allow` statement names is a request —
//!   action wildcards and `NotAction` expanded over the catalog's actions, `NotResource` read as
//!   `*` — with the values that statement's conditions test as context. One the deployed set
//!   effectively allows (so a `Deny` or the boundary can take it away) and the needed policy
//!   does not allow is excess.
//!
//! Excess counts only actions the statement's resource can grant (a specific ARN grants no
//! action that takes only `*`, nor one whose resource types it cannot name).
//!
//! A needed resource pattern (`arn:aws:s3:::b/incoming/*`) is matched as text, so a deployed
//! pattern covers it when it matches that text (`b/*` does, `b/incoming/a*` does not): a
//! conservative reading of pattern containment.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Context, ContextValue, Decision, PolicySet, Request, pattern};
use crate::catalog::Catalog;
use crate::policy::{
    Actions, BaseOperator, Condition, Effect, OperatorFamily, Policy, PolicyError, Resources,
};

/// An action on a resource the deployed role grants and the function does not need.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Excess {
    /// The policy that grants it (as named to [`drift`]).
    pub policy: String,
    /// The statement's index in it.
    pub statement: usize,
    /// The action.
    pub action: String,
    /// The resource pattern (`*` for `NotResource`).
    pub resource: String,
}

/// An action on a resource the function needs and the deployed role does not grant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Missing {
    /// The action.
    pub action: String,
    /// The resource (pattern) needed.
    pub resource: String,
    /// Why the deployed policies do not allow it.
    pub reason: String,
}

/// The drift of one role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// Granted but not needed, ordered by policy, statement, action, resource.
    pub excess: Vec<Excess>,
    /// Needed but not granted, ordered by action and resource.
    pub missing: Vec<Missing>,
}

impl Drift {
    /// Whether the deployed role grants exactly what is needed.
    pub fn is_empty(&self) -> bool {
        self.excess.is_empty() && self.missing.is_empty()
    }
}

/// The context in which a statement's own conditions hold where they can: each positive test
/// gets its first value; negated tests and `Null: true` leave the key absent.
pub fn context_of(condition: &Condition) -> Context {
    let mut context = Context::new();
    for (operator, key, values) in condition.tests() {
        let base = operator.base;
        let Some(first) = values.iter().next().and_then(|v| v.as_text()) else { continue };
        if base.is_negated() {
            continue;
        }
        let value = match base.family() {
            OperatorFamily::String | OperatorFamily::Arn | OperatorFamily::Date => {
                ContextValue::String(first.into_owned())
            }
            OperatorFamily::Bool => ContextValue::Bool(first.eq_ignore_ascii_case("true")),
            OperatorFamily::Numeric => match first.parse::<f64>() {
                Ok(n) => ContextValue::Number(n),
                Err(_) => continue,
            },
            OperatorFamily::Null if base == BaseOperator::Null => {
                if first.eq_ignore_ascii_case("true") {
                    continue;
                }
                ContextValue::String("present".to_owned())
            }
            _ => continue,
        };
        context.insert(key.as_str(), value);
    }
    context
}

/// The actions a statement's action element covers, as concrete names where the catalog
/// knows them: wildcards and `NotAction` are expanded over the catalog's actions; a literal
/// action the catalog does not know stays as written.
fn actions_of(catalog: &Catalog, actions: &Actions) -> BTreeSet<String> {
    let (list, negated) = match actions {
        Actions::Action(list) => (list, false),
        Actions::NotAction(list) => (list, true),
    };
    let patterns: Vec<&str> = list.iter().filter_map(|v| v.as_literal()).collect();
    let wild = |p: &str| p.contains(['*', '?']);
    if !negated && !patterns.iter().any(|p| wild(p)) {
        return patterns.iter().map(|p| (*p).to_owned()).collect();
    }
    let mut out = BTreeSet::new();
    for prefix in catalog.service_prefixes() {
        let candidates = patterns.iter().any(|p| {
            let service = p.split(':').next().unwrap_or(p);
            negated || pattern::action_matches(service, prefix)
        });
        if !candidates {
            continue;
        }
        for action in catalog.actions_of(prefix).unwrap_or_default() {
            let hit = patterns.iter().any(|p| pattern::action_matches(p, &action));
            if hit != negated {
                out.insert(action);
            }
        }
    }
    if !negated {
        out.extend(patterns.iter().filter(|p| !wild(p)).map(|p| (*p).to_owned()));
    }
    out
}

/// Whether a statement's resource can grant `action` at all: `*` can; a specific pattern only
/// when it can name a resource of a type the action takes, since IAM ignores the rest and an
/// action without resource-level permissions needs `*`. Placeholders of the catalog's ARN
/// formats count as `*` (so `arn:aws:s3:::b/*` still counts for bucket actions: over-reporting,
/// never under-reporting). Actions the catalog does not know count.
fn applicable(catalog: &Catalog, action: &str, resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let Ok(info) = catalog.action(action) else { return true };
    info.resource_types.iter().any(|t| {
        let format = placeholders_as_stars(&t.arn);
        super::wildcard_match(&format, resource) || super::wildcard_match(resource, &format)
    })
}

/// `arn:${Partition}:s3:::${BucketName}` → `arn:*:s3:::*`.
fn placeholders_as_stars(format: &str) -> String {
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('*');
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn resources_of(resources: Option<&Resources>) -> Vec<String> {
    match resources {
        Some(Resources::Resource(list)) => {
            list.iter().filter_map(|v| v.as_literal()).map(str::to_owned).collect()
        }
        Some(Resources::NotResource(_)) => vec!["*".to_owned()],
        None => Vec::new(),
    }
}

/// Compares the deployed policies (`identity`, named, and an optional `boundary`) with the
/// `needed` policy. Every policy must be evaluable (resolved, no principals).
pub fn drift(
    catalog: &Catalog,
    identity: &[(String, Policy)],
    boundary: Option<&(String, Policy)>,
    needed: &Policy,
) -> Result<Drift, PolicyError> {
    drift_with(catalog, identity, boundary, needed, &|_| false)
}

/// [`drift`], where a resource `opaque` says is a stand-in for an unknown value (an unresolved
/// reference, see `privdiff`) can grant any action: its applicability cannot be judged.
pub(crate) fn drift_with(
    catalog: &Catalog,
    identity: &[(String, Policy)],
    boundary: Option<&(String, Policy)>,
    needed: &Policy,
    opaque: &dyn Fn(&str) -> bool,
) -> Result<Drift, PolicyError> {
    let mut deployed = PolicySet::new();
    for (name, policy) in identity {
        deployed = deployed.identity(name, policy);
    }
    if let Some((name, policy)) = boundary {
        deployed = deployed.boundary(name, policy);
    }
    let wanted = PolicySet::new().identity("needed", needed);

    let mut missing = BTreeSet::new();
    for statement in needed.statements.iter().filter(|s| s.effect == Effect::Allow) {
        let context = context_of(&statement.condition);
        for action in actions_of(catalog, &statement.action) {
            for resource in resources_of(statement.resource.as_ref()) {
                let request =
                    Request { action: action.clone(), resource, context: context.clone() };
                let evaluation = deployed.evaluate(&request)?;
                if evaluation.decision != Decision::Allow {
                    missing.insert(Missing {
                        action: request.action,
                        resource: request.resource,
                        reason: evaluation.reason,
                    });
                }
            }
        }
    }

    let mut excess = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (name, policy) in identity {
        for (index, statement) in policy.statements.iter().enumerate() {
            if statement.effect != Effect::Allow {
                continue;
            }
            let context = context_of(&statement.condition);
            // The same action and resource under other conditions is another grant.
            let condition = serde_json::to_string(&statement.condition).unwrap_or_default();
            let resources = resources_of(statement.resource.as_ref());
            for action in actions_of(catalog, &statement.action) {
                for resource in &resources {
                    if !seen.insert((action.clone(), resource.clone(), condition.clone()))
                        || !(opaque(resource) || applicable(catalog, &action, resource))
                    {
                        continue;
                    }
                    let request = Request {
                        action: action.clone(),
                        resource: resource.clone(),
                        context: context.clone(),
                    };
                    if deployed.evaluate(&request)?.decision == Decision::Allow
                        && wanted.evaluate(&request)?.decision != Decision::Allow
                    {
                        excess.insert(Excess {
                            policy: name.clone(),
                            statement: index,
                            action: action.clone(),
                            resource: resource.clone(),
                        });
                    }
                }
            }
        }
    }
    Ok(Drift { excess: excess.into_iter().collect(), missing: missing.into_iter().collect() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn policy(json: &str) -> Policy {
        Policy::from_json_str(json).unwrap()
    }

    fn needed() -> Policy {
        policy(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/in/*"},
                {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
                 "Condition":{"StringLike":{"s3:prefix":"in/*"}}}]}"#,
        )
    }

    #[test]
    fn the_same_policy_has_no_drift() {
        let catalog = Catalog::embedded().unwrap();
        let drift = drift(catalog, &[("p".into(), needed())], None, &needed()).unwrap();
        assert!(drift.is_empty(), "{drift:?}");
    }

    #[test]
    fn wildcards_expand_to_excess_actions_and_missing_is_reported() {
        let catalog = Catalog::embedded().unwrap();
        let deployed = policy(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}]}"#,
        );
        let drift = drift(catalog, &[("p".into(), deployed)], None, &needed()).unwrap();
        assert!(drift.excess.iter().any(|e| e.action == "s3:GetObjectAcl"));
        // GetObject on b/* is broader than b/in/*: excess too.
        assert!(drift.excess.iter().any(|e| e.action == "s3:GetObject"));
        assert_eq!(drift.missing.len(), 1);
        assert_eq!(drift.missing[0].action, "s3:ListBucket");
    }

    #[test]
    fn not_action_and_boundaries_count() {
        let catalog = Catalog::embedded().unwrap();
        let deployed = policy(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#,
        );
        let boundary = (
            "boundary".to_owned(),
            policy(
                r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#,
            ),
        );
        let drift = drift(catalog, &[("p".into(), deployed)], Some(&boundary), &needed()).unwrap();
        // Only what the boundary lets through is effectively granted.
        let actions: BTreeSet<&str> = drift.excess.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, BTreeSet::from(["s3:GetObject", "s3:ListBucket"]));
        assert!(drift.missing.is_empty(), "{:?}", drift.missing);
    }

    #[test]
    fn a_grant_without_the_needed_condition_is_excess_after_one_with_it() {
        let catalog = Catalog::embedded().unwrap();
        let deployed = policy(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/in/*"},
                {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
                 "Condition":{"StringLike":{"s3:prefix":"in/*"}}},
                {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}"#,
        );
        let drift = drift(catalog, &[("p".into(), deployed)], None, &needed()).unwrap();
        assert_eq!(drift.excess.len(), 1, "{:?}", drift.excess);
        assert_eq!(
            (drift.excess[0].action.as_str(), drift.excess[0].statement),
            ("s3:ListBucket", 2)
        );
        assert!(drift.missing.is_empty());
    }

    #[test]
    fn actions_the_resource_cannot_grant_are_not_excess() {
        let catalog = Catalog::embedded().unwrap();
        let deployed = policy(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/in/*"}]}"#,
        );
        let drift = drift(catalog, &[("p".into(), deployed)], None, &needed()).unwrap();
        let actions: BTreeSet<&str> = drift.excess.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains("s3:DeleteObject"), "{actions:?}");
        // Takes only `*`; an access grant is no object.
        assert!(!actions.contains("s3:ListAllMyBuckets"), "{actions:?}");
        assert!(!actions.contains("s3:CreateAccessGrant"), "{actions:?}");
        assert!(!actions.contains("s3:GetObject"), "{actions:?}");
        assert_eq!(placeholders_as_stars("arn:${Partition}:s3:::${BucketName}"), "arn:*:s3:::*");
    }

    #[test]
    fn a_deny_takes_a_grant_away() {
        let catalog = Catalog::embedded().unwrap();
        let deployed = policy(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/in/*"},
                {"Effect":"Deny","NotAction":"s3:GetObject","Resource":"*"}]}"#,
        );
        let drift = drift(catalog, &[("p".into(), deployed)], None, &needed()).unwrap();
        assert!(drift.excess.is_empty(), "{:?}", drift.excess);
        assert_eq!(drift.missing.len(), 1);
        assert!(drift.missing[0].reason.contains("explicit Deny"), "{:?}", drift.missing);
    }
}
