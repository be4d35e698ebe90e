//! The audit report as text for people and as SARIF.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use leastpriv_core::sarif::{Finding, Level, LogicalLocation, PhysicalLocation, Rule, Run};

use super::{LastAccessed, Report, RoleReport};

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

/// The audit's rules: id, what it means, the level of its results.
const RULES: &[(&str, &str, Level)] = &[
    (
        "excess-permission",
        "The role grants an action on a resource the function does not need.",
        Level::Warning,
    ),
    (
        "missing-permission",
        "The function needs an action on a resource the role does not grant.",
        Level::Error,
    ),
    ("trust-drift", "The role's trust policy differs from the one derived.", Level::Warning),
    (
        "boundary-drift",
        "The role's permissions boundary differs from the declared one.",
        Level::Error,
    ),
    (
        "unaccounted-role",
        "A role leastpriv created for a function that no longer exists.",
        Level::Warning,
    ),
    ("function-without-role", "A function with no deployed role.", Level::Warning),
    ("audit-error", "A role that could not be audited.", Level::Error),
];

/// A result of `rule` at the level `RULES` gives it (every id used here is there; the tests
/// check), on the role or function `resource` (if any).
fn finding(rule: &str, message: String, resource: Option<&str>) -> Finding {
    let level = RULES.iter().find(|(id, ..)| *id == rule).map_or(Level::Warning, |r| r.2);
    let mut finding = Finding::new(rule, level, message);
    if let Some(resource) = resource {
        finding.logical.push(LogicalLocation {
            fully_qualified_name: resource.to_owned(),
            kind: "resource".to_owned(),
        });
    }
    finding
}

fn role_findings(role: &RoleReport, findings: &mut Vec<Finding>) {
    let resource = role.arn.as_deref().unwrap_or(&role.role);
    let at = |rule, message| {
        let mut finding = finding(rule, message, Some(resource));
        finding.physical =
            role.file.as_ref().map(|file| PhysicalLocation { uri: file.clone(), region: None });
        finding
    };
    if let Some(error) = &role.error {
        findings.push(at("audit-error", error.clone()));
    }
    for e in &role.excess {
        let message = format!(
            "role {} grants {} on {} ({} statement {}), which the function does not need",
            role.role, e.action, e.resource, e.policy, e.statement
        );
        findings.push(at("excess-permission", message));
    }
    for m in &role.missing {
        let message = format!(
            "role {} does not grant {} on {}: {}",
            role.role, m.action, m.resource, m.reason
        );
        findings.push(at("missing-permission", message));
    }
    if let Some(t) = &role.trust {
        let message =
            format!("role {}: trust policy {} differs from {}", role.role, t.deployed, t.needed);
        findings.push(at("trust-drift", message));
    }
    if let Some(b) = &role.boundary {
        let message =
            format!("role {}: boundary {} differs from {}", role.role, b.deployed, b.needed);
        findings.push(at("boundary-drift", message));
    }
}

/// The report as a SARIF run (rendered by the shared writer).
pub(super) fn sarif(report: &Report) -> Run {
    let mut findings = Vec::new();
    for role in &report.roles {
        role_findings(role, &mut findings);
    }
    for u in &report.unaccounted_roles {
        let message =
            format!("role {} was made for the function {}, which is gone", u.role, u.function);
        findings.push(finding("unaccounted-role", message, Some(&u.role)));
    }
    for f in &report.functions_without_role {
        findings.push(finding(
            "function-without-role",
            format!("function {f} has no deployed role"),
            None,
        ));
    }
    let rules = RULES
        .iter()
        .map(|&(id, description, level)| Rule {
            id: id.to_owned(),
            description: description.to_owned(),
            help_uri: None,
            level,
        })
        .collect();
    Run { version: env!("CARGO_PKG_VERSION").to_owned(), rules, results: findings }
}

#[cfg(test)]
#[path = "../../tests/common/sarif.rs"]
mod sarif_schema;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use leastpriv_core::evaluate::drift::{Excess, Missing};

    use super::super::{Difference, Unaccounted};
    use super::*;

    fn role(name: &str) -> RoleReport {
        RoleReport {
            role: name.to_owned(),
            arn: Some(format!("arn:aws:iam::123456789012:role/{name}")),
            function: Some("Resize".to_owned()),
            file: Some("src/bin/resize.rs".to_owned()),
            excess: Vec::new(),
            missing: Vec::new(),
            trust: None,
            boundary: None,
            last_accessed: LastAccessed::Skipped,
            error: None,
        }
    }

    /// A report with one result of every rule.
    fn report() -> Report {
        let mut drifting = role("app-Resize");
        drifting.excess.push(Excess {
            policy: "inline:oob".to_owned(),
            statement: 0,
            action: "s3:DeleteObject".to_owned(),
            resource: "arn:aws:s3:::up/*".to_owned(),
        });
        drifting.missing.push(Missing {
            action: "s3:PutObject".to_owned(),
            resource: "arn:aws:s3:::th/thumbs/*".to_owned(),
            reason: "no identity policy allows it".to_owned(),
        });
        let differs = Difference { deployed: "a".to_owned(), needed: "b".to_owned() };
        drifting.trust = Some(differs.clone());
        drifting.boundary = Some(differs);
        let mut failed = role("app-Notify");
        failed.arn = None;
        failed.file = None;
        failed.error = Some("AccessDenied".to_owned());
        Report {
            crate_name: "app".to_owned(),
            roles: vec![drifting, failed],
            unaccounted_roles: vec![Unaccounted {
                role: "app-Gone".to_owned(),
                function: "Gone".to_owned(),
            }],
            functions_without_role: vec!["Orphan".to_owned()],
            other_roles: Vec::new(),
        }
    }

    #[test]
    fn every_result_names_its_rule_by_id_and_index() {
        let log = sarif(&report()).log();
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let results = run["results"].as_array().unwrap();
        let ids: Vec<&str> = results.iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
        let mut every: Vec<&str> = RULES.iter().map(|r| r.0).collect();
        let mut seen = ids.clone();
        every.sort_unstable();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, every, "one result of every rule");
        for r in results {
            let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
            assert_eq!(rules[index]["id"], r["ruleId"]);
            assert_eq!(rules[index]["defaultConfiguration"]["level"], r["level"]);
        }
        let excess = &results[0];
        assert_eq!(excess["ruleId"], "excess-permission");
        assert_eq!(excess["level"], "warning");
        let location = &excess["locations"][0];
        assert_eq!(location["physicalLocation"]["artifactLocation"]["uri"], "src/bin/resize.rs");
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            "arn:aws:iam::123456789012:role/app-Resize"
        );
        let orphan = results.last().unwrap();
        assert_eq!(orphan["ruleId"], "function-without-role");
        assert!(orphan.get("locations").is_none());
    }

    /// The log validates against the vendored SARIF 2.1.0 schema (the tests' shared helper).
    #[test]
    fn the_log_validates_against_the_sarif_schema() {
        super::sarif_schema::assert_valid_sarif(sarif(&report()).render().as_bytes());
    }
}
