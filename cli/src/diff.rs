//! `leastpriv diff`: per function, the privileges two manifests' roles differ by (the review
//! step: a change that adds `s3:DeleteObject` shows up in the pull request).

mod render;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Args as ClapArgs, ValueEnum};
use leastpriv_core::catalog::Catalog;
use leastpriv_core::diagnostic::escape_control;
use leastpriv_core::synth::manifest_diff::manifest_diff;
use leastpriv_core::synth::stored::StoredManifest;

use crate::error::{CliError, EXIT_FINDINGS, catalog_error};
use crate::input::{MAX_INPUT_BYTES, read_text};
use crate::output;

/// The manifest file `synth --format manifest` writes by default.
const MANIFEST_FILE: &str = "leastpriv.manifest.json";

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// One line per grant added (`+`) or removed (`-`), per function.
    Human,
    /// A pull-request comment: a headline and a table per function.
    Markdown,
    /// `{"summary": …, "functions": [...]}`.
    Json,
}

/// When the run fails (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// When any function gains a privilege (or a function is added, or a trust policy or
    /// permissions boundary changes).
    Grow,
    /// On any change.
    Any,
    /// Never: report only.
    Never,
}

/// Arguments of `leastpriv diff`.
#[derive(Debug, ClapArgs)]
#[command(
    about = "Compare the roles of two manifests: per function, the actions × resources added and removed",
    after_help = "Exit status: 0 no change that --fail-on counts, 1 privileges grow (or any change \
with --fail-on any), 2 bad input.\n\n\
Examples:\n  leastpriv synth . --format manifest -o leastpriv.manifest.json\n  \
leastpriv diff old.manifest.json leastpriv.manifest.json\n  \
leastpriv diff --git origin/main                       # leastpriv.manifest.json at origin/main vs now\n  \
leastpriv diff --git HEAD~1 crates/api/leastpriv.manifest.json --format markdown > comment.md"
)]
pub struct Args {
    /// OLD NEW: two manifests (`leastpriv synth --format manifest`). With --git: [NEW] only,
    /// default `leastpriv.manifest.json`.
    #[arg(value_name = "MANIFEST", num_args = 0..=2)]
    files: Vec<PathBuf>,
    /// Compare the manifest as committed at git revision REV (`git show REV:PATH`) with the
    /// working-tree file.
    #[arg(long, value_name = "REV")]
    git: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: FormatArg,
    /// When to exit 1.
    #[arg(long, value_enum, default_value = "grow")]
    fail_on: FailOn,
}

/// Reads and parses a manifest; `shown` names it in messages.
fn parse(text: &str, shown: &str) -> Result<StoredManifest, CliError> {
    StoredManifest::from_json_str(text)
        .map_err(|err| CliError::input(format!("{shown}: {}", err.message)).with_help(err.help))
}

fn read_manifest(path: &Path) -> Result<StoredManifest, CliError> {
    let text = read_text(path, "a manifest").map_err(|err| {
        if path.exists() {
            err
        } else {
            err.with_help(format!(
                "write it with `leastpriv synth CRATE --format manifest -o {}`",
                path.display()
            ))
        }
    })?;
    parse(&text, &path.display().to_string())
}

/// Runs git in `dir`; `Err` holds its stderr (or why it did not run).
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// The manifest `path` (a working-tree file) as committed at `rev`.
fn manifest_at(rev: &str, path: &Path) -> Result<(String, String), CliError> {
    let absolute = std::path::absolute(path)
        .map_err(|err| CliError::input(format!("{}: {err}", path.display())))?;
    let dir = absolute.parent().unwrap_or(Path::new("/")).to_path_buf();
    if !dir.is_dir() {
        return Err(CliError::input(format!("{}: no such directory", dir.display())));
    }
    let root = git(&dir, &["rev-parse", "--show-toplevel"]).map_err(|err| {
        CliError::input(format!("--git: {} is not in a git repository ({err})", path.display()))
            .with_help("run leastpriv diff inside the repository, or compare two files: `leastpriv diff OLD NEW`")
    })?;
    let root = PathBuf::from(String::from_utf8_lossy(&root).trim());
    let canonical_root = root.canonicalize().unwrap_or(root);
    let canonical_dir = dir.canonicalize().unwrap_or(dir);
    let name = absolute.file_name().map(PathBuf::from).unwrap_or_default();
    let relative = canonical_dir
        .strip_prefix(&canonical_root)
        .map(|d| d.join(&name))
        .map_err(|_| CliError::input(format!("{} is outside the repository", path.display())))?;
    let relative = relative.to_string_lossy().replace('\\', "/");
    let commit = format!("{rev}^{{commit}}");
    if git(&canonical_root, &["rev-parse", "--verify", "--quiet", &commit]).is_err() {
        return Err(CliError::input(format!("--git: unknown git revision `{rev}`")).with_help(
            "give a commit, branch or tag that exists here (`git log --oneline`); in CI, fetch \
             it first (`git fetch origin main`, or a checkout with `fetch-depth: 0`)",
        ));
    }
    let spec = format!("{rev}:{relative}");
    let bytes = git(&canonical_root, &["show", &spec]).map_err(|err| {
        CliError::input(format!("--git: {relative} does not exist at `{rev}` ({err})")).with_help(
            "commit the manifest (`leastpriv synth --format manifest -o …`) on that revision \
             first, or compare two files: `leastpriv diff OLD NEW`",
        )
    })?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::input(format!("{spec}: larger than {MAX_INPUT_BYTES} bytes")));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::input(format!("{spec}: not valid UTF-8")))?;
    Ok((text, spec))
}

/// The old and new manifests the arguments name.
fn manifests(args: &Args) -> Result<(StoredManifest, StoredManifest), CliError> {
    match (&args.git, args.files.as_slice()) {
        (Some(rev), files) if files.len() <= 1 => {
            let new = files.first().cloned().unwrap_or_else(|| PathBuf::from(MANIFEST_FILE));
            let new_manifest = read_manifest(&new)?;
            let (text, spec) = manifest_at(rev, &new)?;
            Ok((parse(&text, &spec)?, new_manifest))
        }
        (Some(_), _) => Err(CliError::input("--git REV takes one manifest (the new one)")
            .with_help(
                "`leastpriv diff --git REV [NEW]`, or `leastpriv diff OLD NEW` without --git",
            )),
        (None, [old, new]) => Ok((read_manifest(old)?, read_manifest(new)?)),
        (None, _) => Err(CliError::input("leastpriv diff needs two manifests, OLD and NEW")
            .with_help("`leastpriv diff OLD NEW`, or `leastpriv diff --git REV [NEW]`")),
    }
}

/// Runs `leastpriv diff`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let (old, new) = manifests(&args)?;
    let catalog = Catalog::embedded().map_err(catalog_error)?;
    let diff = manifest_diff(catalog, &old, &new).map_err(|err| {
        CliError::input(err.to_string())
            .with_help("regenerate the manifest with `leastpriv synth --format manifest`")
    })?;
    match args.format {
        // Names and resources come from the manifests: no control character reaches the
        // terminal.
        FormatArg::Human => output::text(&escape_control(&render::human(&diff)))?,
        FormatArg::Markdown => output::text(&escape_control(&render::markdown(&diff)))?,
        FormatArg::Json => output::json(&render::json(&diff))?,
    }
    let fails = match args.fail_on {
        FailOn::Grow => diff.grows(),
        FailOn::Any => diff.changed(),
        FailOn::Never => false,
    };
    Ok(ExitCode::from(if fails { EXIT_FINDINGS } else { 0 }))
}
