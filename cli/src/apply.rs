//! `leastpriv apply`: creates and updates each function's role through the IAM API, without
//! CloudFormation; plans first, changes only roles it created, converges when rerun.
//!
//! Order of operations, per role (so no role is left with less than its policy beyond the run):
//!
//! 1. `CreateRole` with the trust policy, path, boundary and every tag, including the
//!    `leastpriv:managed-by` marker: a role that exists is marked as leastpriv's from its first
//!    instant, so a rerun after a crash recognises it. A new role has no permissions until step 2;
//!    a run that stops in between leaves a role with none, which the next run completes.
//! 2. `PutRolePolicy` of the new policy (replacing the old one of the same name in one call).
//! 3. `UpdateAssumeRolePolicy`, `PutRolePermissionsBoundary` when they differ.
//! 4. `DeleteRolePolicy` of inline policies leastpriv wrote earlier (listed in the
//!    `leastpriv:inline-policies` tag) and no longer wants: only after the new one is in place.
//! 5. `TagRole` last, so the tag still lists a stale policy until it is gone.
//!
//! `--prune` then deletes roles leastpriv created for this crate whose function is gone (inline
//! policies deleted and managed ones detached first, as IAM requires). Roles without the marker,
//! or marked for another crate, are never changed: their presence under a wanted name is an error.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::process::ExitCode;

use aws_sdk_iam::types::Tag;
use clap::Args as ClapArgs;

use crate::aws::{self, Connection, Deployed, sdk_error};
use crate::desired::{
    Desired, DesiredRole, MANAGED_BY, Source, TAG_CRATE, TAG_FUNCTION, TAG_MANAGED, TAG_POLICIES,
    same_trust,
};
use crate::error::CliError;
use crate::output;

/// Arguments of `leastpriv apply`.
#[derive(Debug, ClapArgs)]
#[command(
    about = "Create or update each function's IAM role through the IAM API (no CloudFormation)",
    after_help = "Exit status: 0 applied (or nothing to do), 1 diagnostics in the code, 2 bad \
input or an IAM error.\n\n\
Examples:\n  leastpriv apply examples/image-resize --param UploadBucketName=uploads \\\n    \
--param ThumbnailBucket=thumbs --dry-run\n  \
leastpriv apply --manifest leastpriv.manifest.json --param UploadBucketName=uploads --prune"
)]
pub struct Args {
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    connection: Connection,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also delete the roles leastpriv created for functions of this crate that are gone.
    #[arg(long)]
    prune: bool,
}

/// One change to IAM.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    /// `CreateRole` (trust, path, boundary, tags).
    Create { role: usize },
    /// `PutRolePolicy`.
    PutPolicy { role: usize, name: String, new: bool },
    /// `UpdateAssumeRolePolicy`.
    UpdateTrust { role: usize },
    /// `PutRolePermissionsBoundary`.
    SetBoundary { role: usize, arn: String },
    /// `DeleteRolePolicy` of an inline policy leastpriv wrote earlier.
    DeleteInline { role_name: String, policy: String },
    /// `TagRole`.
    Tag { role: usize, tags: Vec<(String, String)> },
    /// `--prune`: `DeleteRole` after deleting inline and detaching managed policies.
    DeleteRole { role_name: String, function: String },
}

impl Change {
    fn describe(&self, desired: &Desired) -> String {
        let name = |role: &usize| desired.roles.get(*role).map_or("?", |r| r.role_name.as_str());
        match self {
            Change::Create { role } => {
                let r = desired.roles.get(*role);
                let function = r.map_or("?", |r| r.function.as_str());
                let path = r.map_or("/", |r| r.path.as_str());
                format!("+ create role {} (function {function}, path {path})", name(role))
            }
            Change::PutPolicy { role, name: policy, new } => {
                let verb = if *new { "add" } else { "update" };
                format!("~ {verb} inline policy {policy} of {}", name(role))
            }
            Change::UpdateTrust { role } => format!("~ update the trust policy of {}", name(role)),
            Change::SetBoundary { role, arn } => {
                format!("~ set the permissions boundary of {} to {arn}", name(role))
            }
            Change::DeleteInline { role_name, policy } => format!(
                "- delete inline policy {policy} of {role_name} (written by leastpriv, no longer wanted)"
            ),
            Change::Tag { role, tags } => {
                let list: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("~ tag {} with {}", name(role), list.join(", "))
            }
            Change::DeleteRole { role_name, function } => {
                format!("- delete role {role_name} (--prune: function {function} is gone)")
            }
        }
    }
}

/// Refuses to touch a role leastpriv did not create for this crate.
fn check_owned(deployed: &Deployed, crate_name: &str) -> Result<(), CliError> {
    let ours = deployed.tags.get(TAG_MANAGED).map(String::as_str) == Some(MANAGED_BY);
    let crate_tag = deployed.tags.get(TAG_CRATE).map(String::as_str);
    if !ours {
        return Err(CliError::input(format!(
            "role {} exists and was not created by leastpriv (no `{TAG_MANAGED}` tag); \
             leaving it alone and changing nothing",
            deployed.name
        ))
        .with_help(
            "choose other role names with --role-prefix, or audit it with `leastpriv audit`",
        ));
    }
    if crate_tag.is_some_and(|c| c != crate_name) {
        return Err(CliError::input(format!(
            "role {} belongs to the crate {} (tag `{TAG_CRATE}`), not {crate_name}; changing nothing",
            deployed.name,
            crate_tag.unwrap_or_default()
        ))
        .with_help("choose other role names with --role-prefix"));
    }
    Ok(())
}

/// The changes that bring one existing role to what is wanted.
fn plan_role(index: usize, want: &DesiredRole, have: &Deployed) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    if let Some(name) = &want.inline_name {
        let current = have.inline.get(name);
        if current.map(|p| p.to_compact_json()) != Some(want.policy.to_compact_json()) {
            changes.push(Change::PutPolicy {
                role: index,
                name: name.clone(),
                new: current.is_none(),
            });
        }
    }
    if !same_trust(&have.trust, &want.trust) {
        changes.push(Change::UpdateTrust { role: index });
    }
    match (&want.boundary, &have.boundary) {
        (Some(arn), Some((current, _))) if arn == current => {}
        (Some(arn), _) => changes.push(Change::SetBoundary { role: index, arn: arn.clone() }),
        (None, Some((current, _))) => notes.push(format!(
            "{} keeps its permissions boundary {current}: the declaration names none, and \
             removing a boundary would widen the role",
            have.name
        )),
        (None, None) => {}
    }
    let written = have.tags.get(TAG_POLICIES).map(String::as_str).unwrap_or_default();
    for policy in written.split(',').filter(|p| !p.is_empty()) {
        if Some(policy) != want.inline_name.as_deref() && have.inline.contains_key(policy) {
            let role_name = have.name.clone();
            changes.push(Change::DeleteInline { role_name, policy: policy.to_owned() });
        }
    }
    let tags: Vec<(String, String)> = want
        .tags
        .iter()
        .filter(|(k, v)| have.tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !tags.is_empty() {
        changes.push(Change::Tag { role: index, tags });
    }
    if have.path != want.path {
        notes.push(format!(
            "{} has the path {}, the declaration says {}: IAM cannot change a role's path; \
             delete the role to recreate it",
            have.name, have.path, want.path
        ));
    }
    (changes, notes)
}

/// The plan: every change, in the order they will be made, and notes.
async fn plan(
    iam: &aws_sdk_iam::Client,
    desired: &Desired,
    prefix_filter: &str,
    prune: bool,
) -> Result<(Vec<Change>, Vec<String>), CliError> {
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    for (index, want) in desired.roles.iter().enumerate() {
        if want.inline_name.is_none() {
            return Err(CliError::input(format!(
                "function {}: its policy is split into managed policies (over the inline quota); \
                 apply writes inline policies only",
                want.function
            ))
            .with_help("deploy this role with `leastpriv synth --format cfn-yaml` instead"));
        }
        match aws::read_role(iam, &want.role_name, false).await? {
            None => {
                changes.push(Change::Create { role: index });
                let name = want.inline_name.clone().unwrap_or_default();
                changes.push(Change::PutPolicy { role: index, name, new: true });
            }
            Some(have) => {
                check_owned(&have, &desired.crate_name)?;
                let (more, more_notes) = plan_role(index, want, &have);
                changes.extend(more);
                notes.extend(more_notes);
            }
        }
    }
    if prune {
        let wanted: BTreeSet<&str> = desired.roles.iter().map(|r| r.role_name.as_str()).collect();
        for name in aws::role_names(iam).await? {
            if !name.starts_with(prefix_filter) || wanted.contains(name.as_str()) {
                continue;
            }
            let tags = aws::role_tags(iam, &name).await?;
            let ours = tags.get(TAG_MANAGED).map(String::as_str) == Some(MANAGED_BY)
                && tags.get(TAG_CRATE) == Some(&desired.crate_name);
            if ours {
                let function = tags.get(TAG_FUNCTION).cloned().unwrap_or_default();
                changes.push(Change::DeleteRole { role_name: name, function });
            }
        }
    }
    Ok((changes, notes))
}

fn tags_of(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Vec<Tag>, CliError> {
    pairs
        .into_iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|err| CliError::input(format!("invalid tag: {err}")))
        })
        .collect()
}

async fn create(iam: &aws_sdk_iam::Client, role: &DesiredRole) -> Result<(), CliError> {
    let tags = tags_of(role.tags.clone())?;
    let description =
        format!("Least-privilege role of the Lambda function {}, by leastpriv", role.function);
    iam.create_role()
        .role_name(&role.role_name)
        .path(&role.path)
        .assume_role_policy_document(role.trust.to_compact_json())
        .description(description)
        .set_permissions_boundary(role.boundary.clone())
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| sdk_error("iam:CreateRole", &role.role_name, e))?;
    Ok(())
}

async fn delete_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<(), CliError> {
    let mut inline = iam.list_role_policies().role_name(name).into_paginator().items().send();
    let mut policies = Vec::new();
    while let Some(policy) = inline.next().await {
        policies.push(policy.map_err(|e| sdk_error("iam:ListRolePolicies", name, e))?);
    }
    for policy in policies {
        iam.delete_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await
            .map_err(|e| sdk_error("iam:DeleteRolePolicy", name, e))?;
    }
    let mut attached =
        iam.list_attached_role_policies().role_name(name).into_paginator().items().send();
    let mut arns = Vec::new();
    while let Some(item) = attached.next().await {
        let item = item.map_err(|e| sdk_error("iam:ListAttachedRolePolicies", name, e))?;
        arns.extend(item.policy_arn().map(str::to_owned));
    }
    for arn in arns {
        iam.detach_role_policy()
            .role_name(name)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| sdk_error("iam:DetachRolePolicy", name, e))?;
    }
    iam.delete_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| sdk_error("iam:DeleteRole", name, e))?;
    Ok(())
}

/// Makes one change.
async fn execute(
    iam: &aws_sdk_iam::Client,
    desired: &Desired,
    change: &Change,
) -> Result<(), CliError> {
    let role = |index: &usize| {
        desired.roles.get(*index).ok_or_else(|| CliError::input("internal error: no such role"))
    };
    match change {
        Change::Create { role: index } => create(iam, role(index)?).await,
        Change::PutPolicy { role: index, name, .. } => {
            let r = role(index)?;
            iam.put_role_policy()
                .role_name(&r.role_name)
                .policy_name(name)
                .policy_document(r.policy.to_compact_json())
                .send()
                .await
                .map_err(|e| sdk_error("iam:PutRolePolicy", &r.role_name, e))
                .map(|_| ())
        }
        Change::UpdateTrust { role: index } => {
            let r = role(index)?;
            iam.update_assume_role_policy()
                .role_name(&r.role_name)
                .policy_document(r.trust.to_compact_json())
                .send()
                .await
                .map_err(|e| sdk_error("iam:UpdateAssumeRolePolicy", &r.role_name, e))
                .map(|_| ())
        }
        Change::SetBoundary { role: index, arn } => {
            let r = role(index)?;
            iam.put_role_permissions_boundary()
                .role_name(&r.role_name)
                .permissions_boundary(arn)
                .send()
                .await
                .map_err(|e| sdk_error("iam:PutRolePermissionsBoundary", &r.role_name, e))
                .map(|_| ())
        }
        Change::DeleteInline { role_name, policy } => iam
            .delete_role_policy()
            .role_name(role_name)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| sdk_error("iam:DeleteRolePolicy", role_name, e))
            .map(|_| ()),
        Change::Tag { role: index, tags } => {
            let r = role(index)?;
            iam.tag_role()
                .role_name(&r.role_name)
                .set_tags(Some(tags_of(tags.clone())?))
                .send()
                .await
                .map_err(|e| sdk_error("iam:TagRole", &r.role_name, e))
                .map(|_| ())
        }
        Change::DeleteRole { role_name, .. } => delete_role(iam, role_name).await,
    }
}

/// The plan as text.
fn render_plan(desired: &Desired, changes: &[Change], notes: &[String]) -> String {
    let mut out = String::new();
    let roles = desired.roles.len();
    if changes.is_empty() {
        let _ = writeln!(out, "plan: no changes ({roles} role(s) up to date)");
    } else {
        let _ = writeln!(out, "plan: {} change(s) for {roles} function role(s)", changes.len());
        for change in changes {
            let _ = writeln!(out, "  {}", change.describe(desired));
        }
    }
    for note in notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// Runs `leastpriv apply`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    aws::runtime()?.block_on(apply(args))
}

async fn apply(args: Args) -> Result<ExitCode, CliError> {
    let aws = args.connection.connect().await?;
    let desired = args.source.desired("apply", &aws.pseudo)?;
    let (changes, notes) = plan(&aws.iam, &desired, &desired.prefix, args.prune).await?;
    output::text(&render_plan(&desired, &changes, &notes))?;
    if args.dry_run || changes.is_empty() {
        if args.dry_run && !changes.is_empty() {
            output::text("dry run: nothing changed\n")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut done = 0;
    for change in &changes {
        if let Err(err) = execute(&aws.iam, &desired, change).await {
            eprintln!(
                "leastpriv apply: stopped after {done} of {} change(s); rerun to converge",
                changes.len()
            );
            return Err(err);
        }
        done += 1;
    }
    let mut summary: BTreeMap<&str, usize> = BTreeMap::new();
    for change in &changes {
        *summary.entry(role_of(change, &desired)).or_default() += 1;
    }
    output::text(&format!("applied {done} change(s) to {} role(s)\n", summary.len()))?;
    Ok(ExitCode::SUCCESS)
}

fn role_of<'a>(change: &'a Change, desired: &'a Desired) -> &'a str {
    let name = |i: &usize| desired.roles.get(*i).map_or("", |r| r.role_name.as_str());
    match change {
        Change::Create { role }
        | Change::PutPolicy { role, .. }
        | Change::UpdateTrust { role }
        | Change::SetBoundary { role, .. }
        | Change::Tag { role, .. } => name(role),
        Change::DeleteInline { role_name, .. } | Change::DeleteRole { role_name, .. } => role_name,
    }
}
