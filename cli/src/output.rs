//! Writing results to stdout: pretty JSON with a trailing newline, or text.

use serde::Serialize;

use crate::error::CliError;

/// Prints `value` as pretty JSON followed by a newline.
pub fn json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|err| CliError::input(format!("cannot render JSON: {err}")))?;
    text_line(&text)
}

/// Prints `text` as is.
pub fn text(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    write_all(&mut stdout, text)
}

fn text_line(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    write_all(&mut stdout, text)?;
    write_all(&mut stdout, "\n")
}

fn write_all(out: &mut impl std::io::Write, text: &str) -> Result<(), CliError> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`leastpriv … | head`) is not an error worth reporting.
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(CliError::input(format!("cannot write to stdout: {err}"))),
    }
}
