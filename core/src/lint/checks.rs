//! Statement checks: wildcards, `NotAction`/`NotResource`, `Resource: "*"`, unknown actions,
//! resources that can never match, data exfiltration, credential and resource exposure.

use crate::catalog::{AccessLevel, ActionInfo, CatalogError, did_you_mean, suggest_closest};
use crate::evaluate::wildcard_match;
use crate::policy::{Actions, Effect, Resources, Value};

use super::arn::{self, Shape, Tok};
use super::model::{Ctx, Say, Stmt};
use super::{RuleId, escalation};

/// A wildcard matching at least this many actions is reported.
pub(crate) const BROAD_WILDCARD: usize = 5;

/// How many actions a message lists before "and N more".
const LISTED: usize = 8;

/// Reading data or secrets: flagged on resources covering every resource of a type.
pub(crate) const EXFILTRATION: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "kms:Decrypt",
    "dynamodb:Scan",
    "dynamodb:Query",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:ExportTableToPointInTime",
    "rds:DownloadDBLogFilePortion",
    "lambda:GetFunction",
];

/// Creating or reading credentials.
pub(crate) const CREDENTIALS: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "sts:GetFederationToken",
    "redshift:GetClusterCredentials",
    "ecr:GetAuthorizationToken",
    "codecommit:GetCredentials",
];

/// A short list of actions for a message.
pub(crate) fn listed(actions: &[String]) -> String {
    let mut out: Vec<String> = actions.iter().take(LISTED).map(|a| format!("`{a}`")).collect();
    if actions.len() > LISTED {
        out.push(format!("and {} more", actions.len() - LISTED));
    }
    out.join(", ")
}

fn say(
    message: String,
    help: &str,
    resource: &str,
    function: Option<&str>,
    actions: Vec<String>,
) -> Say {
    Say {
        message,
        help: help.to_owned(),
        resource: (!resource.is_empty()).then(|| resource.to_owned()),
        function: function.map(str::to_owned),
        actions,
    }
}

/// The actions of a service (canonical name, lower-cased name), cached.
fn service_actions<'c>(ctx: &'c mut Ctx<'_>, prefix: &str) -> Option<&'c [(String, String)]> {
    let prefix = prefix.to_ascii_lowercase();
    if !ctx.service_actions.contains_key(&prefix) {
        let actions = ctx.catalog.actions_of(&prefix).ok()?;
        let pairs = actions
            .into_iter()
            .map(|a| {
                let l = a.to_ascii_lowercase();
                (a, l)
            })
            .collect();
        ctx.service_actions.insert(prefix.clone(), pairs);
    }
    ctx.service_actions.get(&prefix).map(Vec::as_slice)
}

/// What one written action stands for.
enum Written {
    /// `*`.
    All,
    /// `svc:*`.
    Service(Vec<String>),
    /// Another wildcard.
    Wildcard(Vec<String>),
    /// One action.
    One(String),
    /// Unknown: reported.
    Unknown,
}

fn classify(
    ctx: &mut Ctx<'_>,
    text: &str,
    at: &str,
    resource: &str,
    function: Option<&str>,
) -> Written {
    if text == "*" || text == "*:*" {
        return Written::All;
    }
    let Some((prefix, name)) = text.split_once(':') else {
        ctx.push(
            RuleId::UnknownAction,
            at,
            say(
                format!("`{text}` is not an action (`service:Action`)"),
                "write the action as `service:Action`, e.g. `s3:GetObject`",
                resource,
                function,
                vec![text.to_owned()],
            ),
        );
        return Written::Unknown;
    };
    if prefix.contains(['*', '?']) {
        // `*:Get*`-style: matched across every service would be huge; judged as all.
        return Written::All;
    }
    let Some(actions) = service_actions(ctx, prefix).map(<[_]>::to_vec) else {
        let suggestions = suggest_closest(prefix, ctx.catalog.service_prefixes());
        let help =
            did_you_mean(&suggestions).unwrap_or_else(|| "check the service prefix".to_owned());
        ctx.push(
            RuleId::UnknownAction,
            at,
            say(
                format!("`{prefix}` is not an IAM service prefix"),
                &help,
                resource,
                function,
                vec![text.to_owned()],
            ),
        );
        return Written::Unknown;
    };
    if name == "*" {
        return Written::Service(actions.into_iter().map(|(a, _)| a).collect());
    }
    if name.contains(['*', '?']) {
        let pattern = text.to_ascii_lowercase();
        let matched: Vec<String> = actions
            .into_iter()
            .filter(|(_, l)| wildcard_match(&pattern, l))
            .map(|(a, _)| a)
            .collect();
        if matched.is_empty() {
            ctx.push(
                RuleId::UnknownAction,
                at,
                say(
                    format!("`{text}` matches no action of `{prefix}`"),
                    "check the spelling; the wildcard grants nothing",
                    resource,
                    function,
                    vec![text.to_owned()],
                ),
            );
            return Written::Unknown;
        }
        return Written::Wildcard(matched);
    }
    match ctx.catalog.action(text) {
        Ok(info) => Written::One(info.action),
        Err(CatalogError::UnknownAction { suggestions, .. }) => {
            let help = did_you_mean(&suggestions).unwrap_or_else(|| {
                "check the action's name in the Service Authorization Reference".to_owned()
            });
            ctx.push(
                RuleId::UnknownAction,
                at,
                say(
                    format!("`{text}` is not an action IAM knows"),
                    &help,
                    resource,
                    function,
                    vec![text.to_owned()],
                ),
            );
            Written::Unknown
        }
        Err(_) => Written::Unknown,
    }
}

/// Judges one statement of a document.
pub(crate) fn statement(ctx: &mut Ctx<'_>, resource: &str, function: Option<&str>, stmt: &Stmt) {
    let s = &stmt.statement;
    if s.effect != Effect::Allow {
        return;
    }
    // Resources first: their shapes decide several action checks.
    let resources = statement_resources(ctx, resource, function, stmt);
    let list = match &s.action {
        Actions::Action(list) => list,
        Actions::NotAction(_) => {
            ctx.push(RuleId::NotActionAllow, &at(stmt, "NotAction"), say(
                "`NotAction` with `Allow` grants every action but the listed ones, including actions AWS adds later".to_owned(),
                "list the actions needed in `Action` instead", resource, function, Vec::new()));
            return;
        }
    };
    let mut granted: Vec<(String, String, bool)> = Vec::new(); // (action, pointer, explicit)
    let mut all = false;
    for (i, value) in list.iter().enumerate() {
        let p = if stmt.exact {
            item_pointer_len(ctx, list.len(), &at(stmt, "Action"), i)
        } else {
            stmt.pointer.clone()
        };
        for text in action_texts(ctx, value, &p) {
            let written = classify(ctx, &text, &p, resource, function);
            all |= wildcard_findings(ctx, &text, &p, resource, function, written, &mut granted);
        }
    }
    if all {
        return;
    }
    let infos: Vec<(ActionInfo, String, bool)> = granted
        .into_iter()
        .filter_map(|(a, p, explicit)| ctx.catalog.action(&a).ok().map(|i| (i, p, explicit)))
        .collect();
    let scope =
        Scope { resource, function, conditioned: !s.condition.is_empty(), written: stmt.exact };
    resource_checks(ctx, &scope, &infos, &resources);
}

/// Where a finding on a statement is, and whether it is about values the user wrote.
struct Scope<'s> {
    resource: &'s str,
    function: Option<&'s str>,
    conditioned: bool,
    written: bool,
}

/// The pointer of a member of a statement (the statement's own when it was generated).
fn at(stmt: &Stmt, member: &str) -> String {
    if stmt.exact { format!("{}/{member}", stmt.pointer) } else { stmt.pointer.clone() }
}

/// The shapes of a statement's `Resource` values, with their pointers; `NotResource` reported.
fn statement_resources(
    ctx: &mut Ctx<'_>,
    resource: &str,
    function: Option<&str>,
    stmt: &Stmt,
) -> Vec<(String, Shape)> {
    let mut out = Vec::new();
    match &stmt.statement.resource {
        Some(Resources::Resource(list)) => {
            for (i, value) in list.iter().enumerate() {
                let p = if stmt.exact {
                    item_pointer_len(ctx, list.len(), &at(stmt, "Resource"), i)
                } else {
                    stmt.pointer.clone()
                };
                for shape in arn::shapes(value, ctx.params) {
                    ctx.unresolved(shape.unresolved.iter().cloned(), &p);
                    out.push((p.clone(), shape));
                }
            }
        }
        Some(Resources::NotResource(_)) => {
            ctx.push(RuleId::NotResourceAllow, &at(stmt, "NotResource"), say(
                "`NotResource` with `Allow` grants the actions on every resource but the listed ones".to_owned(),
                "list the resources the actions are for in `Resource` instead", resource, function, Vec::new()));
        }
        None => {}
    }
    out
}

/// Reports `*`, service and broad wildcards; adds what a written action grants to `granted`.
/// True for `*`.
fn wildcard_findings(
    ctx: &mut Ctx<'_>,
    text: &str,
    p: &str,
    resource: &str,
    function: Option<&str>,
    written: Written,
    granted: &mut Vec<(String, String, bool)>,
) -> bool {
    let use_infer = "list the actions the function uses (`leastpriv infer` finds them)";
    match written {
        Written::All => {
            let message = format!("`{text}` allows every action of every service");
            ctx.push(
                RuleId::StarAction,
                p,
                say(message, use_infer, resource, function, vec![text.to_owned()]),
            );
            return true;
        }
        Written::Service(actions) => {
            let message = format!("`{text}` allows all {} actions of the service", actions.len());
            ctx.push(
                RuleId::ServiceWildcard,
                p,
                say(message, use_infer, resource, function, vec![text.to_owned()]),
            );
            granted.extend(actions.into_iter().map(|a| (a, p.to_owned(), false)));
        }
        Written::Wildcard(actions) => {
            if actions.len() >= BROAD_WILDCARD {
                let message =
                    format!("`{text}` expands to {} actions: {}", actions.len(), listed(&actions));
                ctx.push(
                    RuleId::BroadWildcard,
                    p,
                    say(message, "list only the actions used", resource, function, actions.clone()),
                );
            }
            granted.extend(actions.into_iter().map(|a| (a, p.to_owned(), false)));
        }
        Written::One(action) => granted.push((action, p.to_owned(), true)),
        Written::Unknown => {}
    }
    false
}

fn item_pointer_len(ctx: &Ctx<'_>, len: usize, at: &str, i: usize) -> String {
    // A one-item list reads like a bare value in the policy model; the text tells them apart.
    let indexed = format!("{at}/{i}");
    if len > 1 || ctx.locator.has(&indexed) { indexed } else { at.to_owned() }
}

/// The texts an action value stands for (intrinsics resolved where possible).
fn action_texts(ctx: &mut Ctx<'_>, value: &Value, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    for shape in arn::shapes(value, ctx.params) {
        if shape.known() && !shape.text.contains("${") {
            out.push(shape.text);
        } else if shape.known() {
            ctx.unresolved([shape.text], at);
        } else {
            ctx.unresolved(shape.unresolved, at);
        }
    }
    out
}

fn resource_checks(
    ctx: &mut Ctx<'_>,
    scope: &Scope<'_>,
    infos: &[(ActionInfo, String, bool)],
    resources: &[(String, Shape)],
) {
    let (resource, function, conditioned) = (scope.resource, scope.function, scope.conditioned);
    let star = resources.iter().find(|(_, s)| s.is_star());
    if let Some((p, _)) = star {
        let scoped: Vec<String> = dedup(
            infos
                .iter()
                .filter(|(i, _, _)| !i.resource_star_only())
                .map(|(i, _, _)| i.action.clone()),
        );
        if !scoped.is_empty() && !conditioned {
            ctx.push(
                RuleId::ResourceStar,
                p,
                say(
                    format!(
                        "`Resource: \"*\"` on {} action{} that can be scoped to resources: {}",
                        scoped.len(),
                        if scoped.len() == 1 { "" } else { "s" },
                        listed(&scoped)
                    ),
                    "name the resources (ARNs) the function uses",
                    resource,
                    function,
                    scoped,
                ),
            );
        }
    }
    if scope.written && !resources.is_empty() {
        mismatches(ctx, resource, function, infos, resources);
    }
    let broad = |info: &ActionInfo| -> bool {
        resources.iter().any(|(_, s)| {
            s.is_star() || info.resource_types.iter().any(|rt| arn::is_broad(s, &rt.arn))
        })
    };
    let pick = |names: &[&str]| -> Vec<String> {
        dedup(
            infos
                .iter()
                .filter(|(i, _, _)| {
                    names.iter().any(|n| n.eq_ignore_ascii_case(&i.action)) && broad(i)
                })
                .map(|(i, _, _)| i.action.clone()),
        )
    };
    let at = infos.first().map(|(_, p, _)| p.clone()).unwrap_or_default();
    let exfil = pick(EXFILTRATION);
    if !exfil.is_empty() && !conditioned {
        ctx.push(
            RuleId::DataExfiltration,
            &at,
            say(
                format!(
                    "{} on every resource of its type: one compromised function reads all of them",
                    listed(&exfil)
                ),
                "scope the resources to the ones the function reads",
                resource,
                function,
                exfil,
            ),
        );
    }
    let creds = pick(CREDENTIALS);
    if !creds.is_empty() {
        ctx.push(
            RuleId::CredentialExposure,
            &at,
            say(
                format!(
                    "{} on broad resources: the function can mint or read credentials",
                    listed(&creds)
                ),
                "remove these actions, or scope them to the one principal that needs them",
                resource,
                function,
                creds,
            ),
        );
    }
    let exposure: Vec<String> = dedup(
        infos
            .iter()
            .filter(|(i, _, _)| {
                i.access_level == AccessLevel::PermissionsManagement
                    && !escalation::is_escalation_action(&i.action)
                    && !CREDENTIALS.contains(&i.action.as_str())
            })
            .map(|(i, _, _)| i.action.clone()),
    );
    if !exposure.is_empty() {
        ctx.push(RuleId::ResourceExposure, &at, say(
            format!("{} change{} who may access resources", listed(&exposure), if exposure.len() == 1 { "s" } else { "" }),
            "remove permissions-management actions from a function's role unless it manages access", resource, function, exposure));
    }
}

/// Explicit actions the user wrote whose resources can never match (SAM's own templates are not
/// judged here).
fn mismatches(
    ctx: &mut Ctx<'_>,
    resource: &str,
    function: Option<&str>,
    infos: &[(ActionInfo, String, bool)],
    resources: &[(String, Shape)],
) {
    for (info, p, explicit) in infos {
        if !explicit {
            continue;
        }
        let matches = resources.iter().any(|(_, shape)| {
            if info.resource_star_only() {
                shape.toks.iter().all(|t| *t == Tok::Any)
            } else {
                info.resource_types.iter().any(|rt| {
                    rt.arn.is_empty() || arn::overlap(&shape.toks, &arn::format_toks(&rt.arn))
                })
            }
        });
        if !matches {
            let expected = if info.resource_star_only() {
                "`*` (it supports no resource-level permissions)".to_owned()
            } else {
                info.resource_types
                    .iter()
                    .map(|rt| format!("`{}`", rt.arn))
                    .collect::<Vec<_>>()
                    .join(" or ")
            };
            let written: Vec<String> =
                resources.iter().map(|(_, s)| format!("`{}`", s.text)).collect();
            ctx.push(RuleId::ResourceMismatch, p, say(
                    format!("`{}` can never match {}: it takes {expected}", info.action, written.join(", ")),
                    "give the action a resource of the type it takes (e.g. objects are `bucket/*`, the bucket is `bucket`)",
                    resource, function, vec![info.action.clone()]));
        }
    }
}

fn dedup(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = items.collect();
    out.sort();
    out.dedup();
    out
}
