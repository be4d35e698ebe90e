//! `leastpriv lint`: over-permissive roles in templates and policies (human, JSON or SARIF).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args as ClapArgs, ValueEnum};
use leastpriv_core::catalog::Catalog;
use leastpriv_core::lint::code::{Replacement, lint_code};
use leastpriv_core::lint::suppress::{Config, apply};
use leastpriv_core::lint::{Finding, LintOptions, LintReport, Severity, lint_paths, sarif};
use leastpriv_core::policy::Params;
use miette::{LabeledSpan, MietteDiagnostic, Report};
use serde::Serialize;

use crate::error::{CliError, EXIT_FINDINGS, EXIT_INPUT, catalog_error};
use crate::output;
use crate::report::{Source, Window};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source snippets with the flagged value underlined.
    Human,
    /// `{"findings": [...]}`.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// Arguments of `leastpriv lint`.
#[derive(Debug, ClapArgs)]
#[command(about = "Find over-permissive roles in CloudFormation/SAM templates and IAM policies")]
pub struct Args {
    /// Templates, policy documents or directories holding them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// A template parameter or condition value, NAME=VALUE (repeatable).
    #[arg(long = "param", value_parser = crate::input::parse_param)]
    params: Vec<(String, String)>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// The lowest severity that fails the run (exit 1): info, warning or error.
    #[arg(long, default_value = "warning", value_parser = parse_severity)]
    min_severity: Severity,
    /// The code of the template's functions (a crate, a workspace or a folder of crates):
    /// reports per function what is granted but unused and used but not granted, and the
    /// least-privilege replacement.
    #[arg(long)]
    code: Option<PathBuf>,
    /// A TOML file of suppressions (`[[suppress]]` with rule, reason, optional file and resource).
    #[arg(long)]
    config: Option<PathBuf>,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text).ok_or_else(|| format!("expected info, warning or error, got `{text}`"))
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    findings: Vec<&'a Finding>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    replacements: &'a [Replacement],
    errors: Vec<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    file: &'a str,
    message: &'a str,
    help: &'a str,
}

/// Runs `leastpriv lint`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let catalog = Catalog::embedded().map_err(catalog_error)?;
    let mut params = Params::new();
    for (name, value) in &args.params {
        params.insert(name.clone(), value.clone());
    }
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?;
            Config::from_toml(&text).map_err(|e| {
                CliError::input(format!("{}: {e}", path.display())).with_help(
                    "write [[suppress]] tables with rule, reason, and optionally file, resource",
                )
            })?
        }
        None => Config::default(),
    };
    let options = LintOptions { params };
    let mut report = lint_paths(catalog, &args.paths, &options);
    let replacements = match &args.code {
        Some(code) => with_code(catalog, &mut report, code, &options),
        None => Vec::new(),
    };
    for file in &mut report.files {
        apply(&config.suppress, &mut file.findings);
    }
    let failing =
        report.findings().any(|f| f.suppressed.is_none() && f.severity >= args.min_severity);
    match args.format {
        Format::Json => output::json(&JsonOutput {
            findings: report.findings().collect(),
            replacements: &replacements,
            errors: report
                .errors
                .iter()
                .map(|e| JsonError { file: &e.file, message: &e.message, help: &e.help })
                .collect(),
        })?,
        Format::Sarif => {
            let findings: Vec<&Finding> = report.findings().collect();
            output::text(&sarif::render(&findings, env!("CARGO_PKG_VERSION")))?;
        }
        Format::Human => {
            let mut text = human(&report, args.min_severity);
            for r in &replacements {
                let incomplete = if r.incomplete { " (incomplete: see unresolved)" } else { "" };
                let _ = writeln!(
                    text,
                    "\nleast-privilege replacement for {} (binary {}){incomplete}:\n{}attribute:\n{}",
                    r.function,
                    r.binary,
                    r.policy.to_pretty_json(),
                    r.attribute
                );
            }
            output::text(&text)?;
        }
    }
    for err in &report.errors {
        eprintln!("error: {}: {}\n  help: {}", err.file, err.message, err.help);
    }
    let code = if !report.errors.is_empty() {
        EXIT_INPUT
    } else if failing {
        EXIT_FINDINGS
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

/// Adds `--code` findings to each file's and returns the replacements.
fn with_code(
    catalog: &Catalog,
    report: &mut LintReport,
    code: &std::path::Path,
    options: &LintOptions,
) -> Vec<Replacement> {
    let mut replacements = Vec::new();
    let mut errors = Vec::new();
    for file in &mut report.files {
        match lint_code(catalog, &file.file, &file.text, code, options) {
            Ok(found) => {
                file.findings.extend(found.findings);
                file.findings.sort_by_key(|f| (f.line, f.column));
                replacements.extend(found.replacements);
                for note in found.notes {
                    eprintln!("note: {note}");
                }
            }
            Err(err) => errors.push(err),
        }
    }
    report.errors.extend(errors);
    replacements
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn human(report: &LintReport, threshold: Severity) -> String {
    let mut out = String::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for file in &report.files {
        // One line index per file, and each report rendered against a window of lines: a
        // finding costs the size of its window, not of the file (linear in findings).
        let source = Source::new(&file.text);
        for f in &file.findings {
            let status = if f.suppressed.is_some() { "suppressed" } else { f.severity.as_str() };
            *counts.entry(status).or_default() += 1;
            let mut diagnostic = MietteDiagnostic::new(f.message.clone())
                .with_code(format!("leastpriv::lint::{}", f.rule))
                .with_severity(miette_severity(f.severity));
            let mut help = f.help.clone();
            if let Some(reason) = &f.suppressed {
                help = format!("suppressed: {reason}");
            }
            diagnostic = diagnostic.with_help(help);
            if f.line > 0 {
                let from = source.offset(f.line, f.column.saturating_sub(1));
                let to = source.offset(f.line, f.column.saturating_sub(1) + f.length.max(1));
                let label = match (&f.function, &f.resource) {
                    (Some(function), _) => format!("function {function}"),
                    (None, Some(resource)) => resource.clone(),
                    _ => "here".to_owned(),
                };
                diagnostic = diagnostic.with_label(LabeledSpan::at(from..to.max(from), label));
            }
            let line = f.line.max(1);
            let window = Window::new(file.file.clone(), &source, line, line);
            let rendered = format!("{:?}", Report::new(diagnostic).with_source_code(window));
            if f.suppressed.is_some() {
                let _ = writeln!(out, "[suppressed] {}:{}:{} {}", f.file, f.line, f.column, f.rule);
            }
            out.push_str(&rendered);
            out.push('\n');
        }
    }
    let files = report.files.len();
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = writeln!(
        out,
        "{files} file{} linted: {} (runs fail at {threshold} and above)",
        if files == 1 { "" } else { "s" },
        if summary.is_empty() { "no findings".to_owned() } else { summary.join(", ") }
    );
    out
}
