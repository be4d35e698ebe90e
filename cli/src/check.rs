//! `leastpriv check`: the attribute's compile-time checks over a crate or workspace, for CI and
//! editors.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use leastpriv_core::catalog::Catalog;
use leastpriv_core::pipeline::check_crate;
use leastpriv_core::project;

use crate::error::{CliError, EXIT_FINDINGS, catalog_error, source_limits};
use crate::{output, report};

/// Arguments of `leastpriv check`.
#[derive(Debug, ClapArgs)]
#[command(
    about = "Check every #[leastpriv::role] handler of a crate or workspace against its code"
)]
pub struct Args {
    /// A crate or workspace directory, or its Cargo.toml.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// One line per problem (`file:line:col: error[code]: message`) instead of full reports.
    #[arg(long)]
    short: bool,
}

/// Runs `leastpriv check`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let catalog = Catalog::embedded().map_err(catalog_error)?;
    let crates = project::discover(&args.path).map_err(|err| CliError::input(err.to_string()))?;
    let mut problems = 0;
    let mut handlers = 0;
    let mut out = String::new();
    for info in &crates {
        let (sources, results) = check_crate(catalog, &info.dir);
        source_limits(&sources)?;
        problems += report::unreadable_sources(&sources, &mut out);
        for result in &results {
            handlers += 1;
            let file = sources.files.iter().find(|f| f.display == result.file);
            let text = file.and_then(|f| std::fs::read_to_string(&f.path).ok()).unwrap_or_default();
            let shown = info.dir.join(&result.file);
            let shown = shown.strip_prefix(&args.path).map(PathBuf::from).unwrap_or(shown);
            let source = report::Source::new(&text);
            for d in &result.diagnostics {
                problems += 1;
                if args.short {
                    out.push_str(&report::one_line(d, &shown));
                    out.push('\n');
                } else {
                    out.push_str(&report::render(d, &shown, &source));
                    out.push('\n');
                }
            }
        }
    }
    if problems > 0 {
        eprint!("{out}");
        eprintln!("leastpriv check: {problems} problem(s) in {handlers} handler(s)");
        return Ok(ExitCode::from(EXIT_FINDINGS));
    }
    output::text(&format!("leastpriv check: {handlers} handler(s), no problems\n"))?;
    Ok(ExitCode::SUCCESS)
}
