//! `lint`: over-permissive roles in CloudFormation/SAM templates and bare policy documents.
//!
//! A template is read with the document reader synth uses ([`Node`]); what each role can do is
//! computed the way AWS does ([`model`]: `AWS::IAM::Role` inline policies and managed policy ARNs,
//! `AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy`, SAM functions through [`crate::serverless`]);
//! every statement is read with the policy model ([`crate::policy::Policy`]) and judged against
//! the catalog ([`checks`]), then each role as a whole ([`escalation`]). Intrinsic functions never
//! stop the analysis: a value that cannot be resolved is not judged, and is listed once as
//! `unresolved` (`--param NAME=VALUE` gives it a value).
//!
//! Findings have a stable rule id ([`RuleId`]), a severity, a file position and a help line;
//! [`sarif`] renders them as SARIF 2.1.0. Suppressions ([`suppress`]) mark findings as suppressed
//! with their reason and never drop them.

mod arn;
mod checks;
pub mod code;
mod escalation;
mod locate;
pub(crate) mod model;
mod resources;
mod rules;
pub mod sarif;
pub mod suppress;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::catalog::{Catalog, CatalogError};
use crate::policy::{Params, Policy};
use crate::synth::document::Node;

pub use rules::{RULES, RuleId, RuleInfo};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Advice; never fails a run unless `--min-severity info`.
    Info,
    /// Broader than needed.
    Warning,
    /// A grant a reviewer would block.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Reads `info`, `warning` or `error`.
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" | "note" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable id (`service-wildcard`).
    pub rule: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// The file, as given.
    pub file: String,
    /// 1-based line (0 when the input has no lines, e.g. a deployed policy).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// One line saying what is wrong.
    pub message: String,
    /// One line saying how to fix it.
    pub help: String,
    /// The logical id of the resource the finding is on (a role, policy or function).
    pub resource: Option<String>,
    /// The function's logical id when the finding is about one function.
    pub function: Option<String>,
    /// The actions concerned.
    pub actions: Vec<String>,
    /// The suppression's reason when the finding is suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// Length of the flagged text in characters (for underlining), 0 when unknown.
    #[serde(skip)]
    pub length: usize,
    /// JSON pointer of the flagged value in the input.
    #[serde(skip)]
    pub pointer: String,
}

/// An input that could not be linted (the others still are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintInputError {
    /// The file.
    pub file: String,
    /// What is wrong, with the position when known.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl fmt::Display for LintInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (help: {})", self.file, self.message, self.help)
    }
}

impl std::error::Error for LintInputError {}

/// What the run knows besides the files.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// Values for template parameters and conditions (`--param NAME=VALUE`).
    pub params: Params,
}

/// The findings of one file, with its text for rendering snippets.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file, as given.
    pub file: String,
    /// Its text.
    pub text: String,
    /// Its findings, in file order.
    pub findings: Vec<Finding>,
}

/// Every file's findings and every unreadable input.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// Files linted, in the order found.
    pub files: Vec<FileReport>,
    /// Inputs that could not be read.
    pub errors: Vec<LintInputError>,
}

impl LintReport {
    /// Every finding, file by file.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|f| f.findings.iter())
    }
}

/// A parsed policy document with a name, for [`lint_policy_documents`].
#[derive(Debug, Clone, Copy)]
pub struct NamedPolicy<'a> {
    /// What to call it in findings (`file`): a policy ARN, `role/Name inline Policy`.
    pub name: &'a str,
    /// The role (or user) it belongs to, for cross-policy checks; policies with the same role
    /// are judged together.
    pub role: Option<&'a str>,
    /// The document.
    pub policy: &'a Policy,
}

/// Lints parsed (deployed) policy documents: each statement, then each role's policies together
/// (privilege escalation across policies). Positions are 0; `pointer` says where.
pub fn lint_policy_documents(catalog: &Catalog, policies: &[NamedPolicy<'_>]) -> Vec<Finding> {
    model::lint_documents(catalog, policies)
}

/// Lints one template or bare policy document given as text (`file` is only used in findings).
/// Template `Metadata` suppressions are applied.
pub fn lint_text(
    catalog: &Catalog,
    file: &str,
    text: &str,
    options: &LintOptions,
) -> Result<Vec<Finding>, LintInputError> {
    let node = read_node(file, text)?;
    let locator = locate::Locator::new(text);
    let mut findings = model::lint_node(catalog, file, &node, &locator, options)?;
    suppress::apply_metadata(&node, &mut findings);
    findings.sort_by(|a, b| {
        (a.line, a.column, a.rule, &a.message).cmp(&(b.line, b.column, b.rule, &b.message))
    });
    findings.dedup();
    Ok(findings)
}

fn read_node(file: &str, text: &str) -> Result<Node, LintInputError> {
    let json = text.trim_start().starts_with('{');
    let node = if json { Node::from_json_str(text) } else { Node::from_yaml_str(text) };
    node.map_err(|err| LintInputError {
        file: file.to_owned(),
        message: err.message,
        help: "fix the syntax; lint reads CloudFormation/SAM templates (YAML or JSON) and IAM \
               policy documents (JSON)"
            .to_owned(),
    })
}

/// Whether a file name looks like a template or policy (for directory walks).
fn lintable(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json" | "template"))
}

/// Directories a walk skips (build output, dependencies, VCS).
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", ".git", "cdk.out", ".aws-sam", ".venv"];

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<LintInputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            errors.push(unreadable(dir, &err));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !SKIPPED_DIRS.contains(&name) {
                walk(&path, out, errors);
            }
        } else if lintable(&path) {
            out.push(path);
        }
    }
}

fn unreadable(path: &Path, err: &std::io::Error) -> LintInputError {
    LintInputError {
        file: path.display().to_string(),
        message: format!("cannot read: {err}"),
        help: "check the path and its permissions".to_owned(),
    }
}

/// True when a document found in a directory walk is something lint reads: a template (has
/// `Resources`) or a policy (has `Statement`). Named files are always linted.
fn looks_lintable(node: &Node) -> bool {
    node.get("Resources").is_some() || node.get("Statement").is_some()
}

/// Lints files and directories (directories: every `.yaml`, `.yml`, `.json` and `.template`
/// file below, skipping build output, that is a template or a policy). Unreadable inputs are
/// reported in [`LintReport::errors`]; the others are still linted.
pub fn lint_paths(catalog: &Catalog, paths: &[PathBuf], options: &LintOptions) -> LintReport {
    let mut report = LintReport::default();
    for path in paths {
        let (files, named) = if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files, &mut report.errors);
            (files, false)
        } else {
            (vec![path.clone()], true)
        };
        for file in files {
            let name = file.display().to_string();
            let text = match std::fs::read_to_string(&file) {
                Ok(text) => text,
                Err(err) => {
                    report.errors.push(unreadable(&file, &err));
                    continue;
                }
            };
            if !named && read_node(&name, &text).is_ok_and(|n| !looks_lintable(&n)) {
                continue;
            }
            match lint_text(catalog, &name, &text, options) {
                Ok(findings) => report.files.push(FileReport { file: name, text, findings }),
                Err(err) => report.errors.push(err),
            }
        }
    }
    report
}

/// The catalog error as a lint input error (the embedded catalog failed to load).
pub fn catalog_input_error(err: &CatalogError) -> LintInputError {
    LintInputError {
        file: String::new(),
        message: err.to_string(),
        help: "rebuild leastpriv: the embedded catalog is corrupt".to_owned(),
    }
}

#[cfg(test)]
mod tests;
