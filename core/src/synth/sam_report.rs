//! What a SAM merge changes in each function's permissions: the role SAM generated for the
//! function before the merge (its `Policies`, SAM policy templates expanded, and the grants SAM
//! adds on its own) against the leastpriv role the merge gives it, as policy documents for the
//! evaluator.

use crate::catalog::Catalog;
use crate::evaluate::privdiff::privilege_diff;
use crate::managed;
use crate::policy::Policy;
use crate::serverless::{GrantKind, function_role};

use super::document::Node;

/// The permissions of one template function before and after the merge.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleChange {
    /// The template function (logical id).
    pub function: String,
    /// The leastpriv function whose role it gets.
    pub role: String,
    /// What the function had before.
    pub before: Before,
    /// The documents of the role it gets (its inline policies, its managed policies).
    pub after: Vec<(String, Policy)>,
}

/// A function's permissions before the merge.
#[derive(Debug, Clone, PartialEq)]
pub enum Before {
    /// The role SAM generated: its documents, and what could not be read (a customer managed
    /// policy, an expression naming a policy, a policy template that does not expand).
    Generated {
        /// Each document, named by where it comes from.
        documents: Vec<(String, Policy)>,
        /// What is not among `documents`, and why.
        unknown: Vec<String>,
    },
    /// The function named a role of its own (`Role`), which the merge replaces.
    OwnRole(String),
}

/// The managed policy an expression names, when it is a plain AWS managed policy name or ARN
/// (`!Sub arn:${AWS::Partition}:iam::aws:policy/…` included).
fn managed_name(node: &Node) -> Option<String> {
    let text = match node {
        Node::String(text) => text.clone(),
        _ => node.get("Fn::Sub").and_then(Node::as_str)?.replace("${AWS::Partition}", "aws"),
    };
    Some(text)
}

/// A document read as a policy (`None` when the policy model rejects it).
fn policy(node: &Node) -> Option<Policy> {
    let value = serde_json::to_value(node).ok()?;
    Policy::from_json_value(&value).ok()
}

/// The role SAM generates for the function `id` of `template` (the template before the merge).
pub(crate) fn before(template: &Node, id: &str) -> Before {
    let role = function_role(template, id);
    if let Some((_, named)) = &role.role {
        return Before::OwnRole(serde_json::to_string(named).unwrap_or_default());
    }
    let mut documents = Vec::new();
    let mut unknown = Vec::new();
    for grant in &role.grants {
        let label = grant.origin.describe();
        match &grant.kind {
            GrantKind::Document(doc) => match policy(doc) {
                Some(policy) => documents.push((label, policy)),
                None => unknown.push(format!("{label}: not a readable policy")),
            },
            GrantKind::Managed(node) => {
                match managed_name(node).as_deref().and_then(managed::lookup) {
                    Some(found) => documents.push((found.name.clone(), found.document.clone())),
                    None => unknown.push(format!(
                        "{label}: {} is not an AWS managed policy leastpriv knows",
                        serde_json::to_string(node).unwrap_or_default()
                    )),
                }
            }
        }
    }
    for (at, problem) in role.problems {
        unknown.push(format!("{at}: {problem}"));
    }
    Before::Generated { documents, unknown }
}

/// The documents of a generated role resource: its inline policies, the AWS managed policies
/// it attaches, and its customer managed policies among `resources` (by `!Ref`).
pub(crate) fn after(role: &Node, resources: &[(String, Node)]) -> Vec<(String, Policy)> {
    let mut out = Vec::new();
    let properties = role.get("Properties");
    if let Some(Node::List(policies)) = properties.and_then(|p| p.get("Policies")) {
        for item in policies {
            let name = item.get("PolicyName").and_then(Node::as_str).unwrap_or("inline");
            if let Some(policy) = item.get("PolicyDocument").and_then(policy) {
                out.push((name.to_owned(), policy));
            }
        }
    }
    if let Some(Node::List(arns)) = properties.and_then(|p| p.get("ManagedPolicyArns")) {
        for arn in arns {
            if let Some(Node::String(id)) = arn.get("Ref")
                && let Some((_, resource)) = resources.iter().find(|(k, _)| k == id)
                && let Some(policy) = resource
                    .get("Properties")
                    .and_then(|p| p.get("PolicyDocument"))
                    .and_then(policy)
            {
                out.push((id.clone(), policy));
            } else if let Some(found) = managed_name(arn).as_deref().and_then(managed::lookup) {
                out.push((found.name.clone(), found.document.clone()));
            }
        }
    }
    out
}

/// All statements of several documents as one policy (one role's identity policies).
fn joined(documents: &[(String, Policy)]) -> Policy {
    Policy::new(documents.iter().flat_map(|(_, p)| p.statements.iter().cloned()).collect())
}

/// What the merge changes in one function's permissions, as lines for the merge report: the
/// actions × resources the new role grants that the old one did not (`+`), those the old one
/// granted that the new one drops (`-`), computed with the evaluator
/// ([`crate::evaluate::privdiff::privilege_diff`]); or why they cannot be compared.
pub fn report(catalog: &Catalog, change: &RoleChange) -> Vec<String> {
    let mut lines = vec![format!("{} (role of {}):", change.function, change.role)];
    let (documents, unknown) = match &change.before {
        Before::OwnRole(role) => {
            lines.push(format!("  had its own role {role}; not compared"));
            return lines;
        }
        Before::Generated { documents, unknown } => (documents, unknown),
    };
    match privilege_diff(catalog, &joined(documents), &joined(&change.after)) {
        Ok(diff) if diff.is_empty() => lines.push("  grants what SAM's role granted".to_owned()),
        Ok(diff) => {
            for (sign, what, changes) in [
                ("+", "grants, that SAM's role did not", &diff.added),
                ("-", "drops, that SAM's role granted", &diff.removed),
            ] {
                if changes.is_empty() {
                    continue;
                }
                lines.push(format!("  {sign} {} {what}:", changes.len()));
                for c in changes {
                    let condition =
                        c.condition.as_deref().map(|c| format!(" if {c}")).unwrap_or_default();
                    lines.push(format!("      {} on {}{condition}", c.action, c.resource));
                }
            }
        }
        Err(err) => lines.push(format!("  not compared: {err}")),
    }
    for what in unknown {
        lines.push(format!("  not compared: {what}"));
    }
    lines
}
