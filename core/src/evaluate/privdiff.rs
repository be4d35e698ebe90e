//! The privilege difference between two policies, judged by the evaluator: what the new one
//! grants that the old one does not, and what the old one grants that the new one does not.
//!
//! Both directions are [`super::drift::drift`]'s excess: every action × resource an `Allow`
//! statement of one policy names (wildcards and `NotAction` expanded over the catalog, with the
//! values its own conditions test as the request context) that this policy effectively allows
//! and the other does not. A resource that is a lone reference (`${Queue.Arn}`) can grant any
//! action (what it stands for is unknown), so every action expanded from a wildcard counts on
//! it; an ARN with references inside is judged by its shape, as drift judges ARNs. So a widened resource (`table/Orders` → `table/*`) is a grant added
//! (`table/*`, which the old pattern does not cover), and a narrowed one a grant removed.
//!
//! Unresolved CloudFormation references (`${Bucket}`, `${Queue.Arn}`, `${AWS::Region}`) are
//! compared as text: each becomes the same opaque token in both policies, so equal text is the
//! same resource and different text different resources; results show them as `${Name}`. IAM
//! policy variables (`${aws:username}`) are compared as text too.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::drift::drift_with;
use crate::catalog::Catalog;
use crate::policy::{Params, Policy, PolicyError};
use crate::synth::resolve::policy_names;

/// One action on one resource that one policy grants and the other does not.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PrivilegeChange {
    /// The action (`s3:DeleteObject`).
    pub action: String,
    /// The resource pattern, references shown as `${Name}`.
    pub resource: String,
    /// The conditions of the statement that grants it (compact JSON), when it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// What changes between two policies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrivilegeDiff {
    /// Granted by the new policy and not by the old, ordered by action, resource, condition.
    pub added: Vec<PrivilegeChange>,
    /// Granted by the old policy and not by the new, in the same order.
    pub removed: Vec<PrivilegeChange>,
}

impl PrivilegeDiff {
    /// Whether both policies grant the same.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Each reference → an opaque token without `:`, `*`, `?` or `$`, so the evaluator reads it as
/// plain text that matches only itself.
fn tokens(old: &Policy, new: &Policy) -> (Params, BTreeMap<String, String>) {
    let mut names = policy_names(old);
    names.extend(policy_names(new));
    let mut params = Params::new();
    let mut back = BTreeMap::new();
    for (index, name) in names.into_iter().enumerate() {
        let token = format!("{OPEN}{index}{CLOSE}");
        params.insert(name.clone(), token.clone());
        back.insert(token, format!("${{{name}}}"));
    }
    (params, back)
}

/// Shows tokens as the references they stand for.
fn shown(text: &str, back: &BTreeMap<String, String>) -> String {
    if !text.contains(OPEN) {
        return text.to_owned();
    }
    back.iter().fold(text.to_owned(), |text, (token, name)| text.replace(token, name))
}

/// The policy ready for the evaluator: references tokenised, no version (so `${…}` policy
/// variables are plain text, as they are in the other policy).
fn prepared(policy: &Policy, params: &Params) -> Result<Policy, PolicyError> {
    let mut out = policy.resolve(params)?;
    out.version = None;
    Ok(out)
}

/// What `granting` allows that `other` does not, as changes.
fn excess(
    catalog: &Catalog,
    granting: &Policy,
    other: &Policy,
    back: &BTreeMap<String, String>,
) -> Result<Vec<PrivilegeChange>, PolicyError> {
    // An ARN with references inside is judged by its shape; a lone reference cannot be.
    let opaque = |resource: &str| resource.contains(OPEN) && !resource.starts_with("arn:");
    let found =
        drift_with(catalog, &[("granting".to_owned(), granting.clone())], None, other, &opaque)?;
    let mut out = BTreeSet::new();
    for excess in found.excess {
        let condition = granting
            .statements
            .get(excess.statement)
            .filter(|s| !s.condition.is_empty())
            .and_then(|s| serde_json::to_string(&s.condition).ok())
            .map(|c| shown(&c, back));
        out.insert(PrivilegeChange {
            action: excess.action,
            resource: shown(&excess.resource, back),
            condition,
        });
    }
    Ok(out.into_iter().collect())
}

/// The privileges `new` grants that `old` does not (`added`) and those `old` grants that
/// `new` does not (`removed`), each an action × resource pattern, judged by the evaluator.
///
/// Semantics, exactly:
///
/// - Only `Allow` statements grant; a `Deny` in a policy takes its own grants away. Both
///   policies are identity policies of one role, without a permissions boundary.
/// - A grant of `new` is added when `new` effectively allows it and `old` does not allow the
///   same request (the action on the statement's resource pattern taken as text, with the
///   values the statement's own conditions test as context); removed is the same with the roles
///   swapped. Action wildcards and `NotAction` expand over the catalog's actions (counting only
///   actions the resource can grant); `NotResource` counts as `*`.
/// - So widening a resource (`table/Orders` → `table/*`) adds the wider grant and removes
///   nothing; narrowing removes the wider grant and adds nothing; changing a condition adds the
///   grant under the new condition when the old condition does not hold for it.
/// - CloudFormation references (`${Bucket}`, `Ref`, `Fn::GetAtt`, pseudo parameters) compare as
///   text: the same reference is the same resource in both policies. IAM policy variables
///   compare as text too.
///
/// Fails when a policy cannot be evaluated: a statement without `Resource`, a `Principal`, or
/// an expression that is no reference (`Fn::ImportValue`, `Fn::If`).
pub fn privilege_diff(
    catalog: &Catalog,
    old: &Policy,
    new: &Policy,
) -> Result<PrivilegeDiff, PolicyError> {
    let (params, back) = tokens(old, new);
    let old = prepared(old, &params)?;
    let new = prepared(new, &params)?;
    Ok(PrivilegeDiff {
        added: excess(catalog, &new, &old, &back)?,
        removed: excess(catalog, &old, &new, &back)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn policy(statements: &str) -> Policy {
        Policy::from_json_str(&format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#))
            .unwrap()
    }

    fn pairs(changes: &[PrivilegeChange]) -> Vec<(&str, &str)> {
        changes.iter().map(|c| (c.action.as_str(), c.resource.as_str())).collect()
    }

    const TABLE: &str = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table";

    #[test]
    fn adds_removes_and_widens_with_references_as_text() {
        let catalog = Catalog::embedded().unwrap();
        let old = policy(&format!(
            r#"{{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],
                "Resource":{{"Fn::Sub":"{TABLE}/${{Orders}}"}}}},
               {{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/in/*"}}"#
        ));
        let new = policy(&format!(
            r#"{{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],
                "Resource":{{"Fn::Sub":"{TABLE}/*"}}}},
               {{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/in/*"}}"#
        ));
        let diff = privilege_diff(catalog, &old, &new).unwrap();
        let wide = format!("{TABLE}/*");
        assert_eq!(
            pairs(&diff.added),
            [
                ("dynamodb:GetItem", wide.as_str()),
                ("dynamodb:PutItem", wide.as_str()),
                ("s3:DeleteObject", "arn:aws:s3:::b/in/*")
            ]
        );
        // The table grants are covered by the wider ones: only the S3 read goes.
        assert_eq!(pairs(&diff.removed), [("s3:GetObject", "arn:aws:s3:::b/in/*")]);
        assert!(privilege_diff(catalog, &new, &new).unwrap().is_empty());
    }

    #[test]
    fn different_references_are_different_resources_and_wildcards_expand() {
        let catalog = Catalog::embedded().unwrap();
        let old = policy(
            r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":{"Fn::GetAtt":["A","Arn"]}}"#,
        );
        let new = policy(
            r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":{"Fn::GetAtt":["B","Arn"]}},
               {"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}"#,
        );
        let diff = privilege_diff(catalog, &old, &new).unwrap();
        assert_eq!(pairs(&diff.removed), [("sqs:SendMessage", "${A.Arn}")]);
        assert!(
            diff.added.iter().any(|c| c.action == "sqs:SendMessage" && c.resource == "${B.Arn}")
        );
        assert!(
            diff.added.iter().any(|c| c.action == "s3:GetObject"
                && c.resource == "arn:aws:s3:::b/home/${aws:username}/*"),
            "{:?}",
            diff.added
        );
    }

    #[test]
    fn a_changed_condition_is_a_grant_added_and_one_removed() {
        let catalog = Catalog::embedded().unwrap();
        let old = policy(
            r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
                "Condition":{"StringLike":{"s3:prefix":"in/*"}}}"#,
        );
        let new =
            policy(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#);
        let diff = privilege_diff(catalog, &old, &new).unwrap();
        assert_eq!(pairs(&diff.added), [("s3:ListBucket", "arn:aws:s3:::b")]);
        assert_eq!(diff.added[0].condition, None);
        // The old, conditional grant is still allowed by the unconditional one.
        assert!(diff.removed.is_empty(), "{:?}", diff.removed);
        let back = privilege_diff(catalog, &new, &old).unwrap();
        assert_eq!(back.removed.len(), 1);
        assert!(back.added.is_empty());
    }

    #[test]
    fn unevaluable_policies_are_errors() {
        let catalog = Catalog::embedded().unwrap();
        let bad = policy(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":{"Fn::ImportValue":"X"}}"#,
        );
        assert!(privilege_diff(catalog, &bad, &bad).is_err());
    }
}
