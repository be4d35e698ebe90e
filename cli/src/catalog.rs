//! `leastpriv catalog`: the embedded catalog's data date, counts and source versions.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use leastpriv_core::catalog::Catalog;

use crate::error::{CliError, catalog_error};
use crate::output;

/// Arguments of `leastpriv catalog`.
#[derive(Debug, ClapArgs)]
#[command(about = "Show the embedded IAM catalog's data date, counts and sources")]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `leastpriv catalog`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let summary = Catalog::embedded().map_err(catalog_error)?.summary();
    if args.json {
        output::json(&summary)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(out, "IAM catalog, data of {}", summary.data_date);
    let _ = writeln!(out, "  IAM services:    {:>6}", summary.services);
    let _ = writeln!(out, "  IAM actions:     {:>6}", summary.actions);
    let _ = writeln!(out, "  SDK crates:      {:>6}", summary.sdk_services);
    let _ = writeln!(out, "  SDK operations:  {:>6}", summary.sdk_operations);
    for (mapping, count) in &summary.operations_by_mapping {
        let _ = writeln!(out, "    {mapping:<14} {count:>6}");
    }
    let _ = writeln!(out, "  SDK waiters:     {:>6}", summary.sdk_waiters);
    let _ = writeln!(out, "  exceptions:      {:>6}", summary.exceptions);
    let _ = writeln!(out, "  prefix overrides:{:>6}", summary.overrides);
    let sources: Vec<String> = summary.sources.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(out, "  sources:         {}", sources.join(", "));
    output::text(&out)?;
    Ok(ExitCode::SUCCESS)
}
