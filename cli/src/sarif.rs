//! A small SARIF 2.1.0 writer for the CLI's findings (one run, rules, results with a file or a
//! logical location). Kept minimal so it can give way to a shared writer when `lint` has one.

use serde_json::{Value, json};

/// The SARIF schema the output declares.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// A rule: an id and what it means.
pub(crate) struct Rule {
    /// The rule id (`excess-permission`).
    pub(crate) id: &'static str,
    /// One sentence.
    pub(crate) description: &'static str,
}

/// One result.
pub(crate) struct Finding {
    /// The rule id.
    pub(crate) rule: &'static str,
    /// `error`, `warning` or `note`.
    pub(crate) level: &'static str,
    /// The message.
    pub(crate) message: String,
    /// The source file it concerns, relative to the project, if any.
    pub(crate) file: Option<String>,
    /// The cloud resource it concerns (a role ARN or name), if any.
    pub(crate) resource: Option<String>,
}

/// The SARIF log: one run of `leastpriv` with `rules` and `findings`.
pub(crate) fn log(rules: &[Rule], findings: &[Finding]) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| json!({"id": r.id, "shortDescription": {"text": r.description}}))
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut location = serde_json::Map::new();
            if let Some(file) = &f.file {
                location.insert(
                    "physicalLocation".to_owned(),
                    json!({"artifactLocation": {"uri": file}}),
                );
            }
            if let Some(resource) = &f.resource {
                location.insert(
                    "logicalLocations".to_owned(),
                    json!([{"fullyQualifiedName": resource, "kind": "resource"}]),
                );
            }
            let mut result = json!({
                "ruleId": f.rule,
                "level": f.level,
                "message": {"text": f.message},
            });
            if !location.is_empty() {
                result["locations"] = json!([Value::Object(location)]);
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "leastpriv",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
