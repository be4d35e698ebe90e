//! The CLI's error type and exit codes.

use std::fmt;

use leastpriv_core::diagnostic::escape_control;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: the command ran and found problems (findings, drift, denied checks).
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: bad usage or bad input (unknown action, unreadable file, invalid document).
pub const EXIT_INPUT: u8 = 2;

/// An error a subcommand reports to the user: what went wrong, how to fix it, and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// One line saying what is wrong and where.
    pub message: String,
    /// Optional hint on how to fix it.
    pub help: Option<String>,
    /// The process exit code.
    pub code: u8,
}

impl CliError {
    /// An input or usage error (exit code 2).
    pub fn input(message: impl Into<String>) -> Self {
        Self { message: message.into(), help: None, code: EXIT_INPUT }
    }

    /// Adds a help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Text from inputs (file names, template keys, attribute values) may hold control
        // characters: they are escaped, never sent to the terminal.
        write!(f, "error: {}", escape_control(&self.message))?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {}", escape_control(help))?;
        }
        Ok(())
    }
}

impl std::error::Error for CliError {}

/// Converts a catalog look-up error into a one-line input error naming the closest real names.
pub fn catalog_error(err: leastpriv_core::catalog::CatalogError) -> CliError {
    match err.help() {
        Some(help) => CliError::input(format!("{err}; {help}")),
        None => CliError::input(err.to_string()),
    }
}

/// The help line of an input error for a source file over the bounds.
pub const LIMITS_HELP: &str = "leastpriv reads source files of at most 16 MiB whose brackets nest \
                               at most 128 deep; the crate was not analysed";

/// An input error (exit code 2) when a source file of the crate breaks an input bound (over
/// 16 MiB, or nested or chained too deeply to parse safely): the crate cannot be analysed, so
/// no result is given, rather than a finding among others.
pub fn source_limits(sources: &leastpriv_core::analyse::CrateSources) -> Result<(), CliError> {
    match sources.limit_error() {
        Some((path, reason)) => {
            Err(CliError::input(format!("{}: {reason}", path.display())).with_help(LIMITS_HELP))
        }
        None => Ok(()),
    }
}
