//! Reading what a command is given: files (templates, policies, manifests) as regular files of
//! bounded size, and `--param NAME=VALUE` values.

use std::io::Read;
use std::path::Path;

use leastpriv_core::diagnostic::escape_control;

use crate::error::CliError;

/// The largest template or policy read, in bytes. CloudFormation takes templates up to 1 MB
/// and IAM policies are far smaller; the bound keeps a stray huge file from exhausting memory.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a UTF-8 text file given on the command line: a regular file (or a link to one) of at
/// most [`MAX_INPUT_BYTES`]; anything else is an input error (exit 2) naming the file.
pub fn read_text(path: &Path, what: &str) -> Result<String, CliError> {
    let shown = escape_control(&path.display().to_string()).into_owned();
    let fail = |err: String| CliError::input(format!("cannot read {shown} ({what}): {err}"));
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".to_owned()));
    }
    let too_big = || {
        fail(format!("larger than {MAX_INPUT_BYTES} bytes"))
            .with_help("CloudFormation templates are at most 1 MB; check the path")
    };
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|_| fail("not valid UTF-8".to_owned()))
}

/// Parses a `--param NAME=VALUE` (clap value parser shared by `lint`, `synth`, `audit` and
/// `apply`): the name is trimmed and must not be empty; the value is taken as written.
pub fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("expected NAME=VALUE (e.g. UploadBucket=my-uploads), got `{text}`")),
    }
}
