//! Suppressions with a reason, from a template's `Metadata` or a config file: matching findings
//! are marked suppressed (with the reason) and still listed.
//!
//! In a template, top-level or in one resource's `Metadata` (then only findings on that
//! resource or function):
//!
//! ```yaml
//! Metadata:
//!   leastpriv:
//!     suppress:
//!       - rule: resource-star
//!         resource: LegacyRole        # optional
//!         reason: X-Ray has no resource-level permissions here
//! ```
//!
//! A config file (`--config`, TOML) holds `[[suppress]]` tables with `rule`, `reason` and
//! optionally `file` (a path suffix) and `resource`.

use serde::Deserialize;

use super::{Finding, RuleId, Severity};
use crate::synth::document::Node;

/// One suppression.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// The rule id it suppresses (`*` for every rule).
    pub rule: String,
    /// Why: required, shown with the suppressed finding.
    #[serde(default)]
    pub reason: String,
    /// Only findings in files whose path ends with this.
    #[serde(default)]
    pub file: Option<String>,
    /// Only findings on this logical id (resource or function).
    #[serde(default)]
    pub resource: Option<String>,
}

/// A config file's content.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The suppressions.
    #[serde(default)]
    pub suppress: Vec<Suppression>,
}

impl Config {
    /// Reads a TOML config; the error says where and what.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

impl Suppression {
    fn matches(&self, f: &Finding) -> bool {
        (self.rule == "*" || self.rule == f.rule)
            && self.file.as_deref().is_none_or(|suffix| f.file.ends_with(suffix))
            && self.resource.as_deref().is_none_or(|r| {
                f.resource.as_deref() == Some(r) || f.function.as_deref() == Some(r)
            })
    }
}

/// Marks the findings the suppressions match.
pub fn apply(suppressions: &[Suppression], findings: &mut [Finding]) {
    for s in suppressions.iter().filter(|s| !s.reason.trim().is_empty()) {
        for f in findings.iter_mut() {
            if f.suppressed.is_none() && f.rule != RuleId::InvalidSuppression.id() && s.matches(f) {
                f.suppressed = Some(s.reason.clone());
            }
        }
    }
}

fn read_list(
    node: Option<&Node>,
    resource: Option<&str>,
    at: &str,
    out: &mut Vec<(Suppression, String)>,
) {
    let Some(Node::List(items)) =
        node.and_then(|m| m.get("leastpriv")).and_then(|l| l.get("suppress"))
    else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let text = |k: &str| item.get(k).and_then(Node::as_str).map(str::to_owned);
        out.push((
            Suppression {
                rule: text("rule").unwrap_or_else(|| "*".to_owned()),
                reason: text("reason").unwrap_or_default(),
                file: None,
                resource: text("resource").or_else(|| resource.map(str::to_owned)),
            },
            format!("{at}/leastpriv/suppress/{i}"),
        ));
    }
}

/// Applies the suppressions of a template's `Metadata` (top level and per resource); one
/// without a reason becomes an `invalid-suppression` finding.
pub(crate) fn apply_metadata(node: &Node, findings: &mut Vec<Finding>) {
    let mut list = Vec::new();
    read_list(node.get("Metadata"), None, "/Metadata", &mut list);
    if let Some(Node::Map(resources)) = node.get("Resources") {
        for (id, r) in resources {
            let at = format!("/Resources/{}/Metadata", crate::serverless::escape(id));
            read_list(r.get("Metadata"), Some(id), &at, &mut list);
        }
    }
    if list.is_empty() {
        return;
    }
    let file = findings.first().map(|f| f.file.clone()).unwrap_or_default();
    let suppressions: Vec<Suppression> = list.iter().map(|(s, _)| s.clone()).collect();
    apply(&suppressions, findings);
    for (s, at) in list {
        if s.reason.trim().is_empty() {
            findings.push(Finding {
                rule: RuleId::InvalidSuppression.id(),
                severity: Severity::Warning,
                file: file.clone(),
                line: 0,
                column: 0,
                message: format!(
                    "the suppression of `{}` has no reason, so it suppresses nothing",
                    s.rule
                ),
                help: "add `reason:` saying why the finding is acceptable".to_owned(),
                resource: s.resource.clone(),
                function: None,
                actions: Vec::new(),
                suppressed: None,
                length: 0,
                pointer: at,
            });
        }
    }
}
