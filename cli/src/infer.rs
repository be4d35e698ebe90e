//! `leastpriv infer`: per binary, the actions its code needs and a declaration to paste.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use leastpriv_core::catalog::Catalog;
use leastpriv_core::infer::{InferredFunction, infer_bounded};
use leastpriv_core::project;
use serde::Serialize;

use crate::error::{CliError, LIMITS_HELP, catalog_error};
use crate::output;

/// Arguments of `leastpriv infer`.
#[derive(Debug, ClapArgs)]
#[command(about = "Infer the actions each binary needs, from code with or without declarations")]
pub struct Args {
    /// A crate or workspace directory, or its Cargo.toml.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Exit 0 even when something on a path from a `main` could not be followed.
    #[arg(long)]
    allow_unresolved: bool,
}

#[derive(Serialize)]
struct Output<'a> {
    functions: &'a [InferredFunction],
}

/// Runs `leastpriv infer`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let catalog = Catalog::embedded().map_err(catalog_error)?;
    let crates = project::discover(&args.path).map_err(|err| CliError::input(err.to_string()))?;
    let functions = infer_bounded(catalog, &crates, &args.path).map_err(|(path, reason)| {
        CliError::input(format!("{}: {reason}", path.display())).with_help(LIMITS_HELP)
    })?;
    let unresolved = functions.iter().any(|f| !f.unresolved.is_empty());
    let code =
        if unresolved && !args.allow_unresolved { ExitCode::from(1) } else { ExitCode::SUCCESS };
    if args.json {
        output::json(&Output { functions: &functions })?;
        return Ok(code);
    }
    let mut out = String::new();
    for f in &functions {
        let _ = writeln!(out, "{} ({})", f.binary, f.entry.display());
        match (f.actions.is_empty(), f.unresolved.is_empty()) {
            (true, true) => {
                let _ = writeln!(out, "  needs no AWS permission");
            }
            (true, false) => {
                let _ = writeln!(
                    out,
                    "  needs no AWS permission that the analysis could see; it could not follow:"
                );
            }
            (false, true) => {
                let _ = writeln!(out, "  needs: {}", f.actions.join(", "));
            }
            (false, false) => {
                let _ = writeln!(out, "  needs at least: {}", f.actions.join(", "));
                let _ = writeln!(out, "  and may need more: the analysis could not follow");
            }
        }
        for item in &f.unresolved {
            let service = item.service.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default();
            let _ = writeln!(
                out,
                "    unresolved {}:{}{service}  {}",
                item.file.display(),
                item.line,
                item.reason
            );
        }
        // One line per call site and operation (a call reached along several paths is listed
        // once); its `via` lines say how it was reached when every path took a union or an
        // implicit call, so a reader can tell a guess from a certainty.
        let mut sites: Vec<(&leastpriv_core::infer::InferredCall, Option<Vec<&str>>)> = Vec::new();
        for call in &f.calls {
            let same = |c: &&leastpriv_core::infer::InferredCall| {
                (&c.file, c.line, &c.crate_name, &c.operation, &c.actions, &c.note)
                    == (
                        &call.file,
                        call.line,
                        &call.crate_name,
                        &call.operation,
                        &call.actions,
                        &call.note,
                    )
            };
            let via: Option<Vec<&str>> = (!call.provenance.is_empty())
                .then(|| call.provenance.iter().map(String::as_str).collect());
            match sites.iter_mut().find(|(c, _)| same(c)) {
                Some((_, seen)) => match (seen.as_mut(), via) {
                    (Some(seen), Some(via)) => seen.extend(via),
                    _ => *seen = None,
                },
                None => sites.push((call, via)),
            }
        }
        for (call, via) in sites {
            let actions =
                if call.actions.is_empty() { "-".to_owned() } else { call.actions.join(", ") };
            let _ = writeln!(
                out,
                "    {}:{}  {} {}  → {actions}{}",
                call.file.display(),
                call.line,
                call.crate_name,
                call.operation,
                call.note.as_deref().map(|n| format!("  ({n})")).unwrap_or_default()
            );
            let mut via = via.unwrap_or_default();
            via.sort_unstable();
            via.dedup();
            for why in via {
                let _ = writeln!(out, "      via {why}");
            }
        }
        let _ = writeln!(out, "  suggested declaration:");
        for line in f.suggestion.lines() {
            let _ = writeln!(out, "    {line}");
        }
        out.push('\n');
    }
    if functions.is_empty() {
        out.push_str("no binaries found\n");
    }
    if unresolved && !args.allow_unresolved {
        out.push_str(
            "some SDK calls could not be followed (listed as unresolved): declare what they need \
             with `allow_unused` and explicit `actions`, or pass --allow-unresolved to exit 0\n",
        );
    }
    output::text(&out)?;
    Ok(code)
}
