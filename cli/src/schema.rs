//! `leastpriv schema`: print the JSON Schema of a leastpriv data format.

use std::process::ExitCode;

use clap::{Args as ClapArgs, ValueEnum};
use leastpriv_core::policy::policy_schema;
use leastpriv_core::synth::manifest_schema;

use crate::error::CliError;
use crate::output;

/// The formats with a schema.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    /// An IAM policy document, in every form leastpriv reads.
    Policy,
    /// The manifest `leastpriv synth --format manifest` writes.
    Manifest,
}

/// Arguments of `leastpriv schema`.
#[derive(Debug, ClapArgs)]
#[command(
    about = "Print the JSON Schema of a format leastpriv reads or writes",
    after_help = "Examples:\n  leastpriv schema policy > policy.schema.json\n  leastpriv schema manifest > manifest.schema.json"
)]
pub struct Args {
    /// Which format.
    #[arg(value_enum, value_name = "FORMAT")]
    kind: Kind,
}

/// Runs `leastpriv schema`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let schema = match args.kind {
        Kind::Policy => policy_schema(),
        Kind::Manifest => manifest_schema(),
    };
    output::json(&schema)?;
    Ok(ExitCode::SUCCESS)
}
