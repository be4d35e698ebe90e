//! Fitting a role's permissions into IAM's size quotas: one inline policy when it fits, otherwise
//! customer managed policies filled in statement order.
//!
//! Quotas (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>): all
//! inline policies of a role together 10,240 characters, one managed policy 6,144, at most 10
//! managed policies attached to a role by default; whitespace is not counted. Sizes are measured
//! on the canonical policy with its CloudFormation expressions as written (the policy model's
//! [`Policy::size`]), not on the values CloudFormation substitutes at deployment.

use crate::policy::{
    MANAGED_POLICY_MAX_SIZE, Policy, ROLE_INLINE_POLICIES_MAX_SIZE, Resources, Statement,
};

use super::{ManagedPolicy, Placement, SynthError};

/// The default quota of managed policies attached to one role.
pub const MAX_MANAGED_POLICIES_PER_ROLE: usize = 10;

/// The inline policy's name.
pub const INLINE_POLICY_NAME: &str = "leastpriv";

/// Where a role's statements go: inline when they fit, else managed policies named
/// `{name}Policy1`, `{name}Policy2`, …
pub(crate) fn place(name: &str, policy: &Policy) -> Result<Placement, SynthError> {
    let size = policy.size();
    if size <= ROLE_INLINE_POLICIES_MAX_SIZE {
        return Ok(Placement::Inline { policy_name: INLINE_POLICY_NAME.to_owned() });
    }
    let mut pieces = Vec::new();
    for statement in &policy.statements {
        split_statement(statement.clone(), &mut pieces, name)?;
    }
    let mut chunks: Vec<Vec<Statement>> = Vec::new();
    let mut current: Vec<Statement> = Vec::new();
    for piece in pieces {
        let mut candidate = current.clone();
        candidate.push(piece.clone());
        if Policy::new(candidate.clone()).size() <= MANAGED_POLICY_MAX_SIZE {
            current = candidate;
        } else {
            chunks.push(std::mem::take(&mut current));
            current.push(piece);
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    if chunks.len() > MAX_MANAGED_POLICIES_PER_ROLE {
        return Err(SynthError::PolicyTooLarge {
            function: name.to_owned(),
            size,
            managed_policies: chunks.len(),
        });
    }
    let policies = chunks
        .into_iter()
        .enumerate()
        .map(|(i, statements)| ManagedPolicy {
            logical_id: format!("{name}Policy{}", i + 1),
            policy: Policy::new(statements),
        })
        .collect();
    Ok(Placement::Managed { policies })
}

/// Splits a statement too large for one managed policy over halves of its resources (`Sid`s get
/// `Part1`, `Part2`, …); a single resource that still does not fit is an error.
fn split_statement(
    statement: Statement,
    out: &mut Vec<Statement>,
    function: &str,
) -> Result<(), SynthError> {
    let size = Policy::new(vec![statement.clone()]).size();
    if size <= MANAGED_POLICY_MAX_SIZE {
        out.push(statement);
        return Ok(());
    }
    let resources = match &statement.resource {
        Some(Resources::Resource(list)) if list.len() > 1 => list.0.clone(),
        _ => {
            return Err(SynthError::StatementTooLarge {
                function: function.to_owned(),
                sid: statement.sid.clone().unwrap_or_default(),
                size,
            });
        }
    };
    let half = resources.len().div_ceil(2);
    let mut parts = Vec::new();
    for chunk in resources.chunks(half) {
        let mut part = statement.clone();
        part.resource = Some(Resources::Resource(chunk.to_vec().into()));
        let mut pieces = Vec::new();
        split_statement(part, &mut pieces, function)?;
        parts.extend(pieces);
    }
    let sid = statement.sid.unwrap_or_default();
    for (i, mut part) in parts.into_iter().enumerate() {
        part.sid = Some(format!("{sid}Part{}", i + 1));
        out.push(part);
    }
    Ok(())
}
