//! The one SARIF 2.1.0 writer: a log of one run of the `leastpriv` driver, its rules and results.

use serde_json::{Map, Value, json};

/// The SARIF schema the log declares.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The driver's information URI.
pub const INFORMATION_URI: &str = "https://example.invalid/leastpriv";

/// A result's (or a rule's default) level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `error`.
    Error,
    /// `warning`.
    Warning,
    /// `note`.
    Note,
}

impl Level {
    /// The SARIF spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// A rule of the run's driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The stable id (`excess-permission`); also written as the rule's `name`.
    pub id: String,
    /// One line saying what the rule means.
    pub description: String,
    /// Where the rule is documented, if anywhere.
    pub help_uri: Option<String>,
    /// The level of its results unless a result says otherwise.
    pub level: Level,
}

/// A region of a file: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (0 is written as 1).
    pub column: usize,
}

/// A file a result concerns, with the region when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhysicalLocation {
    /// The file (backslashes are written as `/`).
    pub uri: String,
    /// The region, if known.
    pub region: Option<Region>,
}

/// A named thing a result concerns that is not a place in a file (a deployed role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalLocation {
    /// Its full name (a role ARN).
    pub fully_qualified_name: String,
    /// Its kind (`resource`).
    pub kind: String,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The id of one of the run's rules (its index is looked up).
    pub rule: String,
    /// The level.
    pub level: Level,
    /// The message.
    pub message: String,
    /// The file it concerns, if any.
    pub physical: Option<PhysicalLocation>,
    /// The named things it concerns.
    pub logical: Vec<LogicalLocation>,
    /// Extra properties (written when not empty).
    pub properties: Map<String, Value>,
    /// Why it is suppressed (an external suppression), if it is.
    pub suppression: Option<String>,
}

impl Finding {
    /// A finding of `rule` with `message` and no location, properties or suppression.
    pub fn new(rule: impl Into<String>, level: Level, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.into(),
            level,
            message: message.into(),
            physical: None,
            logical: Vec::new(),
            properties: Map::new(),
            suppression: None,
        }
    }
}

/// One run of the `leastpriv` driver.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The driver's version.
    pub version: String,
    /// Every rule results may refer to, in a stable order.
    pub rules: Vec<Rule>,
    /// The results.
    pub results: Vec<Finding>,
}

fn rule(rule: &Rule) -> Value {
    let mut value = json!({
        "id": rule.id,
        "name": rule.id,
        "shortDescription": { "text": rule.description },
    });
    if let Some(uri) = &rule.help_uri {
        value["helpUri"] = json!(uri);
    }
    value["defaultConfiguration"] = json!({ "level": rule.level.as_str() });
    value
}

fn location(finding: &Finding) -> Option<Value> {
    let mut location = Map::new();
    if let Some(physical) = &finding.physical {
        let mut value = json!({ "artifactLocation": { "uri": physical.uri.replace('\\', "/") } });
        if let Some(region) = physical.region {
            value["region"] =
                json!({ "startLine": region.line, "startColumn": region.column.max(1) });
        }
        location.insert("physicalLocation".to_owned(), value);
    }
    if !finding.logical.is_empty() {
        let logical: Vec<Value> = finding
            .logical
            .iter()
            .map(|l| json!({ "fullyQualifiedName": l.fully_qualified_name, "kind": l.kind }))
            .collect();
        location.insert("logicalLocations".to_owned(), Value::Array(logical));
    }
    (!location.is_empty()).then_some(Value::Object(location))
}

fn result(rules: &[Rule], finding: &Finding) -> Value {
    let mut value = json!({ "ruleId": finding.rule });
    if let Some(index) = rules.iter().position(|r| r.id == finding.rule) {
        value["ruleIndex"] = json!(index);
    }
    value["level"] = json!(finding.level.as_str());
    value["message"] = json!({ "text": finding.message });
    if let Some(location) = location(finding) {
        value["locations"] = json!([location]);
    }
    if !finding.properties.is_empty() {
        value["properties"] = Value::Object(finding.properties.clone());
    }
    if let Some(reason) = &finding.suppression {
        value["suppressions"] = json!([{ "kind": "external", "justification": reason }]);
    }
    value
}

impl Run {
    /// The SARIF log of this run.
    pub fn log(&self) -> Value {
        let rules: Vec<Value> = self.rules.iter().map(rule).collect();
        let results: Vec<Value> = self.results.iter().map(|f| result(&self.rules, f)).collect();
        json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "leastpriv",
                    "version": self.version,
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                }},
                "results": results,
            }],
        })
    }

    /// The SARIF log as pretty JSON with a trailing newline.
    pub fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.log()).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Run {
        let mut located = Finding::new("a", Level::Warning, "on a line");
        located.physical = Some(PhysicalLocation {
            uri: "dir\\file.yaml".to_owned(),
            region: Some(Region { line: 3, column: 0 }),
        });
        located.properties.insert("resource".to_owned(), json!("Role"));
        located.suppression = Some("reviewed".to_owned());
        let mut logical = Finding::new("b", Level::Error, "on a role");
        logical.logical.push(LogicalLocation {
            fully_qualified_name: "arn:aws:iam::1:role/r".to_owned(),
            kind: "resource".to_owned(),
        });
        Run {
            version: "9.9.9".to_owned(),
            rules: vec![
                Rule {
                    id: "a".to_owned(),
                    description: "A.".to_owned(),
                    help_uri: Some("https://example.invalid/a".to_owned()),
                    level: Level::Warning,
                },
                Rule {
                    id: "b".to_owned(),
                    description: "B.".to_owned(),
                    help_uri: None,
                    level: Level::Error,
                },
            ],
            results: vec![located, logical, Finding::new("b", Level::Note, "nowhere")],
        }
    }

    #[test]
    fn rules_and_results_are_written_with_their_index_locations_and_suppression() {
        let log = run().log();
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "leastpriv");
        assert_eq!(run["tool"]["driver"]["version"], "9.9.9");
        let rules = &run["tool"]["driver"]["rules"];
        assert_eq!(rules[0]["helpUri"], "https://example.invalid/a");
        assert!(rules[1].get("helpUri").is_none());
        assert_eq!(rules[1]["defaultConfiguration"]["level"], "error");
        let results = &run["results"];
        assert_eq!(results[0]["ruleIndex"], 0);
        let physical = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "dir/file.yaml");
        assert_eq!(physical["region"], json!({ "startLine": 3, "startColumn": 1 }));
        assert_eq!(results[0]["properties"]["resource"], "Role");
        assert_eq!(results[0]["suppressions"][0]["justification"], "reviewed");
        assert_eq!(results[1]["ruleIndex"], 1);
        assert_eq!(
            results[1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "arn:aws:iam::1:role/r"
        );
        assert!(results[1].get("properties").is_none());
        assert!(results[2].get("locations").is_none());
        assert_eq!(results[2]["level"], "note");
    }

    #[test]
    fn an_unknown_rule_has_no_index_and_the_text_ends_with_a_newline() {
        let mut run = run();
        run.results = vec![Finding::new("z", Level::Note, "?")];
        assert!(run.log()["runs"][0]["results"][0].get("ruleIndex").is_none());
        assert!(run.render().ends_with("}\n"));
    }
}
