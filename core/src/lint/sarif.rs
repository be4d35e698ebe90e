//! SARIF 2.1.0 output of lint findings (for code scanning): one run, every rule with its id and
//! help URI, one result per finding with its region; suppressed findings carry a suppression.

use serde_json::{Value, json};

use super::{Finding, RULES, Severity};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn result(finding: &Finding) -> Value {
    let index = RULES.iter().position(|r| r.id == finding.rule).unwrap_or_default();
    let mut location = json!({ "artifactLocation": { "uri": finding.file.replace('\\', "/") } });
    if finding.line > 0 {
        location["region"] =
            json!({ "startLine": finding.line, "startColumn": finding.column.max(1) });
    }
    let mut result = json!({
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": level(finding.severity),
        "message": { "text": format!("{} (help: {})", finding.message, finding.help) },
        "locations": [ { "physicalLocation": location } ],
        "properties": {
            "resource": finding.resource,
            "function": finding.function,
            "actions": finding.actions,
        },
    });
    if let Some(reason) = &finding.suppressed {
        result["suppressions"] = json!([{ "kind": "external", "justification": reason }]);
    }
    result
}

/// The SARIF log of `findings` (pretty JSON with a trailing newline).
pub fn render(findings: &[&Finding], version: &str) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.title },
                "helpUri": r.rule.help_uri(),
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let results: Vec<Value> = findings.iter().map(|f| result(f)).collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "leastpriv",
                "version": version,
                "informationUri": "https://example.invalid/leastpriv",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}
