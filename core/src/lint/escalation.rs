//! Role checks: privilege escalation paths across every statement and policy of one role.
//!
//! The paths are the well-known IAM escalation methods (Rhino Security Labs' list, also used by
//! Cloudsplaining and PMapper): each is a set of actions that together let a principal grant
//! itself more. They are reported whatever the resources: a role that may pass a scoped role to
//! a function it creates still acts with that role's rights.

use crate::evaluate::wildcard_match;
use crate::policy::{Actions, Effect, Resources};

use super::RuleId;
use super::arn;
use super::checks::listed;
use super::model::{Ctx, Doc, Role, Say};

/// Escalation paths: every action of a path must be allowed.
const PATHS: &[&[&str]] = &[
    &["iam:CreatePolicyVersion"],
    &["iam:SetDefaultPolicyVersion"],
    &["iam:AttachRolePolicy"],
    &["iam:AttachUserPolicy"],
    &["iam:AttachGroupPolicy"],
    &["iam:PutRolePolicy"],
    &["iam:PutUserPolicy"],
    &["iam:PutGroupPolicy"],
    &["iam:UpdateAssumeRolePolicy"],
    &["iam:AddUserToGroup"],
    &["iam:CreateLoginProfile"],
    &["iam:UpdateLoginProfile"],
    &["iam:CreateAccessKey"],
    &["iam:PassRole", "lambda:CreateFunction"],
    &["lambda:UpdateFunctionCode"],
    &["iam:PassRole", "ec2:RunInstances"],
    &["iam:PassRole", "cloudformation:CreateStack"],
    &["iam:PassRole", "glue:CreateDevEndpoint"],
    &["glue:UpdateDevEndpoint"],
    &["iam:PassRole", "datapipeline:CreatePipeline"],
    &["iam:PassRole", "codebuild:CreateProject"],
    &["iam:PassRole", "sagemaker:CreateNotebookInstance"],
    &["iam:PassRole", "ecs:RunTask"],
];

/// True for an action that is part of an escalation path (reported here, not as exposure).
pub(crate) fn is_escalation_action(action: &str) -> bool {
    PATHS.iter().any(|p| p.iter().any(|a| a.eq_ignore_ascii_case(action)))
        || action.eq_ignore_ascii_case("sts:AssumeRole")
}

/// Whether an action pattern matches a lower-cased action (most patterns have no wildcard).
pub(crate) fn action_matches(pattern: &str, lower: &str) -> bool {
    if pattern.contains(['*', '?']) {
        wildcard_match(&pattern.to_ascii_lowercase(), lower)
    } else {
        pattern.eq_ignore_ascii_case(lower)
    }
}

/// The statement (pointer) of the role that allows `action`, and whether it is on `*`.
fn allows(docs: &[&Doc], action: &str) -> Option<(String, bool)> {
    let lower = action.to_ascii_lowercase();
    let matches = |list: &crate::policy::OneOrMany<crate::policy::Value>| {
        list.iter().any(|v| v.as_literal().is_some_and(|p| action_matches(p, &lower)))
    };
    let star = |resource: &Option<Resources>| match resource {
        Some(Resources::Resource(list)) => list.iter().any(|v| v.as_literal() == Some("*")),
        Some(Resources::NotResource(_)) => true,
        None => false,
    };
    let denied = docs.iter().flat_map(|d| d.stmts.iter()).any(|s| {
        let st = &s.statement;
        st.effect == Effect::Deny
            && st.condition.is_empty()
            && star(&st.resource)
            && matches!(&st.action, Actions::Action(l) if matches(l))
    });
    if denied {
        return None;
    }
    for doc in docs {
        for s in &doc.stmts {
            let st = &s.statement;
            if st.effect != Effect::Allow {
                continue;
            }
            let hit = match &st.action {
                Actions::Action(list) => matches(list),
                Actions::NotAction(list) => !matches(list),
            };
            if hit {
                return Some((s.pointer.clone(), star(&st.resource)));
            }
        }
    }
    None
}

/// Judges a role as a whole.
pub(crate) fn role(ctx: &mut Ctx<'_>, role: &Role, docs: Vec<&Doc>, function: Option<&str>) {
    let mut found: Vec<String> = Vec::new();
    let mut actions: Vec<String> = Vec::new();
    let mut first: Option<String> = None;
    for path in PATHS {
        let hits: Vec<(String, bool)> = path.iter().filter_map(|a| allows(&docs, a)).collect();
        if hits.len() == path.len() {
            found.push(path.join(" + "));
            actions.extend(path.iter().map(|a| (*a).to_owned()));
            if first.is_none() {
                first = hits.first().map(|(p, _)| p.clone());
            }
        }
    }
    if let Some((p, true)) = allows(&docs, "sts:AssumeRole") {
        found.push("sts:AssumeRole on `*`".to_owned());
        actions.push("sts:AssumeRole".to_owned());
        first.get_or_insert(p);
    }
    let _ = arn::Tok::Any;
    if found.is_empty() {
        return;
    }
    actions.sort();
    actions.dedup();
    let name = if role.id.is_empty() { "the policy".to_owned() } else { format!("`{}`", role.id) };
    let paths = if found.len() > 4 {
        format!("{} escalation paths, e.g. {}", found.len(), found[..3].join("; "))
    } else {
        found.join("; ")
    };
    let at = first.unwrap_or_else(|| role.pointer.clone());
    ctx.push(
        RuleId::PrivilegeEscalation,
        &at,
        Say {
            message: format!("{name} can grant itself more permissions: {paths}"),
            help: format!(
                "remove {} unless this role administers IAM; a function should never hold them",
                listed(&actions)
            ),
            resource: (!role.id.is_empty()).then(|| role.id.clone()),
            function: function.map(str::to_owned),
            actions,
        },
    );
}
