//! The leastpriv command line: argument parsing, dispatch to `leastpriv-core`, exit codes.
//!
//! Every subcommand lives in its own module with an `Args` struct (clap derive) and a
//! `run(args) -> Result<ExitCode, CliError>` function. Output goes to stdout, errors to stderr.

mod apply;
mod audit;
mod aws;
mod catalog;
mod check;
mod desired;
mod diff;
mod error;
mod explain;
mod infer;
mod input;
mod lint;
mod output;
mod report;
mod schema;
mod simulate;
mod synth;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::{CliError, EXIT_FINDINGS, EXIT_INPUT, EXIT_OK};

/// leastpriv: least-privilege IAM roles for Rust AWS Lambda functions, derived from the code.
#[derive(Debug, Parser)]
#[command(name = "leastpriv", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explain an IAM action, or the actions an aws-sdk-rust call needs.
    Explain(explain::Args),
    /// Show the embedded IAM catalog's data date, counts and sources.
    Catalog(catalog::Args),
    /// Check every #[leastpriv::role] handler against its code.
    Check(check::Args),
    /// Infer the actions each binary needs and suggest a declaration.
    Infer(infer::Args),
    /// Find over-permissive roles in templates and policies.
    Lint(lint::Args),
    /// Judge a request against IAM policies (allow, explicit_deny or implicit_deny).
    Simulate(simulate::Args),
    /// Print the JSON Schema of a format (e.g. `policy`).
    Schema(schema::Args),
    /// Generate each handler's IAM role: manifest, CloudFormation, Terraform or bare policies.
    Synth(synth::Args),
    /// Compare two manifests: per function, the privileges added and removed.
    Diff(diff::Args),
    /// Compare deployed IAM roles with what each function needs (excess, missing, drift).
    Audit(audit::Args),
    /// Create or update each function's IAM role through the IAM API (no CloudFormation).
    Apply(apply::Args),
}

/// Parses `args` (including the program name), runs the subcommand and returns the exit code.
///
/// Exit codes: 0 success, 1 findings or drift, 2 usage or input error.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_as("leastpriv", args)
}

/// [`run`] with usage and help naming the command `bin_name` (`cargo leastpriv` for the cargo
/// subcommand).
pub fn run_as<I, T>(bin_name: &str, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let parsed = <Cli as clap::CommandFactory>::command()
        .bin_name(bin_name.to_owned())
        .try_get_matches_from(args)
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { EXIT_INPUT } else { EXIT_OK };
            // clap formats its own help, version and usage errors.
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let result: Result<ExitCode, CliError> = match cli.command {
        Command::Explain(args) => explain::run(args),
        Command::Catalog(args) => catalog::run(args),
        Command::Check(args) => check::run(args),
        Command::Infer(args) => infer::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Synth(args) => synth::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Apply(args) => apply::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::from(err.code)
        }
    }
}
