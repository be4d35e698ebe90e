//! SARIF 2.1.0 output of lint findings (for code scanning), through the shared writer
//! ([`crate::sarif`]): every rule with its id and help URI, one result per finding with its
//! region; suppressed findings carry a suppression.

use serde_json::{Map, json};

use super::{Finding, RULES, Severity};
use crate::sarif::{self, Level, PhysicalLocation, Region, Run};

fn level(severity: Severity) -> Level {
    match severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
        Severity::Info => Level::Note,
    }
}

fn result(finding: &Finding) -> sarif::Finding {
    let message = format!("{} (help: {})", finding.message, finding.help);
    let mut result = sarif::Finding::new(finding.rule, level(finding.severity), message);
    let region =
        (finding.line > 0).then_some(Region { line: finding.line, column: finding.column });
    result.physical = Some(PhysicalLocation { uri: finding.file.clone(), region });
    let mut properties = Map::new();
    properties.insert("resource".to_owned(), json!(finding.resource));
    properties.insert("function".to_owned(), json!(finding.function));
    properties.insert("actions".to_owned(), json!(finding.actions));
    result.properties = properties;
    result.suppression = finding.suppressed.clone();
    result
}

/// The SARIF log of `findings` (pretty JSON with a trailing newline).
pub fn render(findings: &[&Finding], version: &str) -> String {
    let rules = RULES
        .iter()
        .map(|r| sarif::Rule {
            id: r.id.to_owned(),
            description: r.title.to_owned(),
            help_uri: Some(r.rule.help_uri()),
            level: level(r.severity),
        })
        .collect();
    let results = findings.iter().map(|f| result(f)).collect();
    Run { version: version.to_owned(), rules, results }.render()
}
