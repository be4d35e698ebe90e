//! The audit report as text for people and as SARIF.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{LastAccessed, Report, RoleReport};
use crate::sarif::{self, Finding, Rule};

/// How many actions of one group the text shows before "… and N more".
const SHOWN: usize = 6;

/// A list of actions: in full when short; else the first few of one service, or the services.
fn summary(actions: &[&str]) -> String {
    if actions.len() <= SHOWN {
        return actions.join(", ");
    }
    let services: BTreeSet<&str> = actions.iter().filter_map(|a| a.split(':').next()).collect();
    let more = "(--format json lists all)";
    if services.len() == 1 {
        let first = actions[..SHOWN].join(", ");
        return format!("{first}, … and {} more {more}", actions.len() - SHOWN);
    }
    let names: Vec<&str> = services.iter().take(SHOWN).copied().collect();
    let ellipsis = if services.len() > SHOWN { ", …" } else { "" };
    format!(
        "{} actions of {} services ({}{ellipsis}) {more}",
        actions.len(),
        services.len(),
        names.join(", ")
    )
}

fn role_text(out: &mut String, role: &RoleReport) {
    let function = role.function.as_deref().unwrap_or("?");
    let file = role.file.as_deref().map(|f| format!(", {f}")).unwrap_or_default();
    if let Some(error) = &role.error {
        let _ = writeln!(out, "role {}: error: {error}", role.role);
        return;
    }
    let state = if role.drifts() { "drift" } else { "no drift" };
    let _ = writeln!(out, "role {} (function {function}{file}): {state}", role.role);
    if !role.excess.is_empty() {
        let _ = writeln!(out, "  granted but not needed: {}", role.excess.len());
        let mut groups: BTreeMap<(&str, usize, &str), Vec<&str>> = BTreeMap::new();
        for e in &role.excess {
            let key = (e.policy.as_str(), e.statement, e.resource.as_str());
            groups.entry(key).or_default().push(&e.action);
        }
        for ((policy, statement, resource), actions) in groups {
            let _ = writeln!(
                out,
                "    {policy} statement {statement}: {} on {resource}",
                summary(&actions)
            );
        }
    }
    if !role.missing.is_empty() {
        let _ = writeln!(out, "  needed but missing: {}", role.missing.len());
        for m in &role.missing {
            let _ = writeln!(out, "    {} on {} ({})", m.action, m.resource, m.reason);
        }
    }
    if let Some(trust) = &role.trust {
        let _ = writeln!(
            out,
            "  trust policy differs: deployed {}, needed {}",
            trust.deployed, trust.needed
        );
    }
    if let Some(boundary) = &role.boundary {
        let _ = writeln!(
            out,
            "  permissions boundary differs: deployed {}, needed {}",
            boundary.deployed, boundary.needed
        );
    }
    match &role.last_accessed {
        LastAccessed::Available { services } => {
            for s in services {
                let when =
                    s.last_authenticated.as_deref().unwrap_or("never in the tracking period");
                let _ = writeln!(out, "  last accessed {}: {when}", s.namespace);
            }
        }
        LastAccessed::Unavailable { reason } => {
            let _ = writeln!(out, "  service last-accessed data not available: {reason}");
        }
        LastAccessed::Skipped => {}
    }
}

/// The report as text.
pub(super) fn human(report: &Report) -> String {
    let mut out = String::new();
    for role in &report.roles {
        role_text(&mut out, role);
    }
    for u in &report.unaccounted_roles {
        let _ = writeln!(
            out,
            "role {}: made by leastpriv for the function {}, which {} no longer has \
             (`leastpriv apply --prune` deletes it)",
            u.role, u.function, report.crate_name
        );
    }
    for f in &report.functions_without_role {
        let _ =
            writeln!(out, "function {f}: no role tagged for it (`leastpriv apply` creates one)");
    }
    if !report.other_roles.is_empty() {
        let _ = writeln!(
            out,
            "{} other role(s) of the account are not leastpriv's for {} (not audited)",
            report.other_roles.len(),
            report.crate_name
        );
    }
    let drifting = report.roles.iter().filter(|r| r.drifts()).count();
    let failed = report.roles.iter().filter(|r| r.error.is_some()).count();
    let _ = writeln!(
        out,
        "audit: {} role(s), {drifting} drifting, {failed} not audited",
        report.roles.len()
    );
    out
}

const RULES: &[Rule] = &[
    Rule {
        id: "excess-permission",
        description: "The role grants an action on a resource the function does not need.",
    },
    Rule {
        id: "missing-permission",
        description: "The function needs an action on a resource the role does not grant.",
    },
    Rule {
        id: "trust-drift",
        description: "The role's trust policy differs from the one derived.",
    },
    Rule {
        id: "boundary-drift",
        description: "The role's permissions boundary differs from the declared one.",
    },
    Rule {
        id: "unaccounted-role",
        description: "A role leastpriv created for a function that no longer exists.",
    },
    Rule { id: "function-without-role", description: "A function with no deployed role." },
    Rule { id: "audit-error", description: "A role that could not be audited." },
];

/// The report as a SARIF log.
pub(super) fn sarif(report: &Report) -> serde_json::Value {
    let mut findings = Vec::new();
    for role in &report.roles {
        let at = |rule, level, message| Finding {
            rule,
            level,
            message,
            file: role.file.clone(),
            resource: Some(role.arn.clone().unwrap_or_else(|| role.role.clone())),
        };
        if let Some(error) = &role.error {
            findings.push(at("audit-error", "error", error.clone()));
        }
        for e in &role.excess {
            let message = format!(
                "role {} grants {} on {} ({} statement {}), which the function does not need",
                role.role, e.action, e.resource, e.policy, e.statement
            );
            findings.push(at("excess-permission", "warning", message));
        }
        for m in &role.missing {
            let message = format!(
                "role {} does not grant {} on {}: {}",
                role.role, m.action, m.resource, m.reason
            );
            findings.push(at("missing-permission", "error", message));
        }
        if let Some(t) = &role.trust {
            let message = format!(
                "role {}: trust policy {} differs from {}",
                role.role, t.deployed, t.needed
            );
            findings.push(at("trust-drift", "warning", message));
        }
        if let Some(b) = &role.boundary {
            let message =
                format!("role {}: boundary {} differs from {}", role.role, b.deployed, b.needed);
            findings.push(at("boundary-drift", "error", message));
        }
    }
    for u in &report.unaccounted_roles {
        findings.push(Finding {
            rule: "unaccounted-role",
            level: "warning",
            message: format!(
                "role {} was made for the function {}, which is gone",
                u.role, u.function
            ),
            file: None,
            resource: Some(u.role.clone()),
        });
    }
    for f in &report.functions_without_role {
        findings.push(Finding {
            rule: "function-without-role",
            level: "warning",
            message: format!("function {f} has no deployed role"),
            file: None,
            resource: None,
        });
    }
    sarif::log(RULES, &findings)
}
