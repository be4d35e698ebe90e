//! `leastpriv synth`: the IAM role of every annotated handler of a crate, as a manifest,
//! CloudFormation (JSON or YAML), Terraform JSON, bare policies (resolved with `--param`) or
//! merged into a SAM template; `--check` compares with committed output.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args as ClapArgs, ValueEnum};
use leastpriv_core::diagnostic::escape_control;
use leastpriv_core::policy::Params;
use leastpriv_core::synth::Manifest;
use leastpriv_core::synth::render::{Format, Rendered, render, render_resolved_policies};
use leastpriv_core::synth::sam::{SamOptions, merge_text, sam_file_name};

use crate::error::{CliError, EXIT_FINDINGS};
use crate::output;

mod build;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// Declarations, calls with file and line, requirements with provenance, roles (JSON).
    Manifest,
    /// A CloudFormation template with one role and log group per function (JSON).
    CfnJson,
    /// The same template in YAML, with short-form tags (!Ref, !Sub, !GetAtt).
    CfnYaml,
    /// One bare IAM policy document per function (CDK's PolicyDocument.fromJson, any tool);
    /// with --param, every `${Name}` resolved to plain ARNs.
    Policy,
    /// Terraform JSON (leastpriv.tf.json): roles, policies, log groups, variables, outputs.
    Terraform,
    /// The SAM template given with --template, with the roles merged in.
    Sam,
}

impl FormatArg {
    /// The core format it renders; none for `sam` (a merge, see `leastpriv_core::synth::sam`).
    fn format(self) -> Option<Format> {
        match self {
            FormatArg::Manifest => Some(Format::Manifest),
            FormatArg::CfnJson => Some(Format::CfnJson),
            FormatArg::CfnYaml => Some(Format::CfnYaml),
            FormatArg::Policy => Some(Format::Policy),
            FormatArg::Terraform => Some(Format::Terraform),
            FormatArg::Sam => None,
        }
    }

    fn as_str(self) -> &'static str {
        self.format().map_or("sam", Format::as_str)
    }
}

/// Arguments of `leastpriv synth`.
#[derive(Debug, ClapArgs)]
#[command(
    about = "Generate the least-privilege IAM role of every #[leastpriv::role] handler of a crate, a workspace or a folder of crates",
    after_help = "Exit status: 0 written (or up to date), 1 diagnostics, a role that cannot be \
built, or stale output with --check, 2 bad input.\n\n\
Examples:\n  leastpriv synth examples/image-resize --format cfn-yaml\n  \
leastpriv synth . --format cfn-yaml -o leastpriv.cfn.yaml\n  \
leastpriv synth . --format policy -o policies/        # one <Function>.policy.json each\n  \
leastpriv synth . --format policy -o policies/ --param AWS::Partition=aws --param AWS::Region=eu-west-1 \
--param AWS::AccountId=123456789012 --param UploadBucket=my-uploads   # plain ARNs\n  \
leastpriv synth . --format terraform -o roles/        # roles/leastpriv.tf.json\n  \
leastpriv synth . --format cfn-yaml --check           # CI: fails when leastpriv.cfn.yaml is stale\n  \
leastpriv synth . --format sam --template template.yaml -o template.leastpriv.yaml\n  \
leastpriv synth . --format sam --template template.yaml --in-place --map ApiFunction=api\n  \
leastpriv synth lambdas/ --format cfn-yaml --per-crate   # a leastpriv.cfn.yaml in each crate"
)]
pub struct Args {
    /// The crate (its directory or Cargo.toml), a workspace root, or a folder holding crates
    /// (a SAM or CDK app): every annotated handler of every crate there.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// What to write.
    #[arg(long, value_enum, default_value = "cfn-yaml")]
    format: FormatArg,
    /// Write to FILE, or into DIR (an existing directory or a path ending in `/`) under the
    /// format's file name; atomically. Default: stdout.
    #[arg(short, long, value_name = "FILE|DIR")]
    output: Option<PathBuf>,
    /// Compare with the existing output instead of writing it (`-o`, or the format's file
    /// name in the crate's directory); exit 1 with a diff when it differs.
    #[arg(long)]
    check: bool,
    /// `--format sam`: the SAM template to merge the roles into (YAML or JSON). The default
    /// output file is `<stem>.leastpriv.<ext>` next to it.
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
    /// `--format sam`: replace the template itself (atomically) instead of writing a new file.
    #[arg(long, conflicts_with = "output")]
    in_place: bool,
    /// `--format sam`: the template function FUNCTION (logical id) runs the binary BINARY;
    /// overrides Metadata.BuildProperties.Binary and CodeUri. Repeatable.
    #[arg(long = "map", value_name = "FUNCTION=BINARY", value_parser = parse_map)]
    map: Vec<(String, String)>,
    /// `--format sam`: merge the functions that match and warn about the others (a Rust
    /// function of the template with no handler, a handler with no function) instead of
    /// refusing the merge.
    #[arg(long)]
    allow_unmatched: bool,
    /// At a workspace or a folder of crates: one output per crate, written into each crate's
    /// directory (or `-o DIR/<crate>/`), instead of one for all.
    #[arg(long, conflicts_with_all = ["template", "in_place"])]
    per_crate: bool,
    /// `--format policy`: the value of a `${Name}` (or `Resource.Attribute`, or a pseudo
    /// parameter such as `AWS::Region`); with any, every reference is resolved to plain text and
    /// a name without a value is an error. Repeatable. A function's log group
    /// `<Function>LogGroup` defaults to `/aws/lambda/<Function>`.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = crate::input::parse_param)]
    params: Vec<(String, String)>,
}

fn parse_map(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((function, binary)) if !function.is_empty() && !binary.is_empty() => {
            Ok((function.to_owned(), binary.to_owned()))
        }
        _ => Err(format!("expected FUNCTION=BINARY, got `{text}`")),
    }
}

/// Rejects options that belong to another format.
fn validate(args: &Args) -> Result<(), CliError> {
    let sam = args.format == FormatArg::Sam;
    if sam && args.template.is_none() {
        return Err(CliError::input("--format sam needs --template FILE (the SAM template)"));
    }
    let sam_only = [
        ("--template", args.template.is_some()),
        ("--in-place", args.in_place),
        ("--map", !args.map.is_empty()),
        ("--allow-unmatched", args.allow_unmatched),
    ];
    if let Some((name, _)) = sam_only.iter().find(|(_, given)| *given && !sam) {
        return Err(CliError::input(format!("{name} is for --format sam only")));
    }
    if !args.params.is_empty() && args.format != FormatArg::Policy {
        return Err(CliError::input("--param is for --format policy only").with_help(
            "the other formats keep the references for the deploying tool (CloudFormation \
             parameters, Terraform variables)",
        ));
    }
    Ok(())
}

/// Where each rendered document goes.
fn targets(args: &Args, dir: &Path, docs: &[Rendered]) -> Result<Option<Vec<PathBuf>>, CliError> {
    let template = args.template.as_deref().filter(|_| args.format == FormatArg::Sam);
    if let Some(template) = template.filter(|_| args.in_place) {
        return Ok(Some(vec![template.to_path_buf()]));
    }
    let output = match (&args.output, args.check, template) {
        (Some(path), _, _) => path.clone(),
        (None, true, Some(template)) => template_dir(template).join(""),
        (None, true, None) => dir.join(""),
        (None, false, _) => return Ok(None),
    };
    let is_dir = output.is_dir() || output.to_string_lossy().ends_with(['/', '\\']);
    if is_dir {
        return Ok(Some(docs.iter().map(|d| output.join(&d.file_name)).collect()));
    }
    if docs.len() != 1 {
        return Err(CliError::input(format!(
            "--format {} gives {} documents; -o needs a directory",
            args.format.as_str(),
            docs.len()
        ))
        .with_help("end the path with `/`, e.g. `-o policies/`"));
    }
    Ok(Some(vec![output]))
}

fn template_dir(template: &Path) -> &Path {
    template.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Writes `text` to `path`, never replacing anything but a regular file.
///
/// A symbolic link is followed (the link stays, the file it names is written); a regular file
/// (or a new one) is replaced through a temporary file in its own directory and a rename, keeping
/// its permissions, so on any error it is untouched; a device or pipe (`-o /dev/stdout`) is
/// written directly, never replaced; a directory or socket is an error.
fn write_atomically(path: &Path, text: &str) -> Result<(), CliError> {
    let shown = escape_control(&path.display().to_string()).into_owned();
    let fail = |err: std::io::Error| CliError::input(format!("cannot write {shown}: {err}"));
    let target = resolve_links(path).map_err(fail)?;
    let old = match std::fs::metadata(&target) {
        Ok(meta) => Some(meta),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(fail(err)),
    };
    if let Some(meta) = &old
        && !meta.is_file()
    {
        if meta.is_dir() {
            return Err(CliError::input(format!("cannot write {shown}: it is a directory"))
                .with_help("end the path with `/` to write into the directory"));
        }
        // A device or pipe: write into it, never replace it with a regular file.
        let mut file = std::fs::OpenOptions::new().write(true).open(&target).map_err(fail)?;
        return std::io::Write::write_all(&mut file, text.as_bytes()).map_err(fail);
    }
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (temp, mut file) = create_temp(dir, &name).map_err(fail)?;
    let written = std::io::Write::write_all(&mut file, text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| match &old {
            Some(old) => std::fs::set_permissions(&temp, old.permissions()),
            None => Ok(()),
        });
    drop(file);
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(fail(err));
    }
    std::fs::rename(&temp, &target).map_err(|err| {
        let _ = std::fs::remove_file(&temp);
        fail(err)
    })
}

/// The path a chain of symbolic links ends at (the path itself when it is no link; the target
/// may not exist yet).
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// A new file next to the target (never an existing one: `create_new`).
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut attempt = 0u32;
    loop {
        let temp = dir.join(format!(".{name}.leastpriv-{}-{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// A unified diff of the committed file against the fresh output.
fn diff(path: &Path, old: &str, new: &str) -> String {
    let shown = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{shown}"), &format!("b/{shown}"))
        .to_string()
}

/// The command that regenerates the checked output.
fn update_command(args: &Args, target: &Path) -> String {
    let out = match &args.output {
        _ if args.in_place => "--in-place".to_owned(),
        Some(path) => format!("-o {}", path.display()),
        None if args.format == FormatArg::Policy => {
            format!("-o {}/", target.parent().unwrap_or(Path::new(".")).display())
        }
        None => format!("-o {}", target.display()),
    };
    let mut sam = String::new();
    if let Some(template) = &args.template {
        sam.push_str(&format!(" --template {}", template.display()));
    }
    for (function, binary) in &args.map {
        sam.push_str(&format!(" --map {function}={binary}"));
    }
    for (name, value) in &args.params {
        sam.push_str(&format!(" --param {name}={value}"));
    }
    let format = args.format.as_str();
    format!("leastpriv synth {} --format {format}{sam} {out}", args.path.display())
}

/// `--format sam`: the template with the roles merged in; notes and warnings go to stderr.
fn merge_sam(args: &Args, built: &build::Built) -> Result<Rendered, CliError> {
    let Some(template) = &args.template else {
        return Err(CliError::input("--format sam needs --template FILE (the SAM template)"));
    };
    let text = crate::input::read_text(template, "the template")?;
    let options = SamOptions {
        template_dir: template_dir(template).to_path_buf(),
        crates: built.crates.iter().map(|c| (c.name.clone(), c.dir.clone())).collect(),
        map: args.map.iter().cloned().collect(),
        allow_unmatched: args.allow_unmatched,
    };
    let merged = merge_text(&text, &built.manifest, &options).map_err(|err| {
        let mut error = CliError::input(format!("{}: {}", template.display(), err.message));
        if err.unmatched {
            error.code = EXIT_FINDINGS;
        }
        match err.help {
            Some(help) => error.with_help(help),
            None => error,
        }
    })?;
    for note in &merged.notes {
        eprintln!("note: {}", escape_control(note));
    }
    for warning in &merged.warnings {
        eprintln!("warning: {}", escape_control(warning));
    }
    // What each function may do now against what SAM's generated role let it do.
    let catalog =
        leastpriv_core::catalog::Catalog::embedded().map_err(crate::error::catalog_error)?;
    let mut report = String::new();
    for change in &merged.changes {
        for line in leastpriv_core::synth::sam_report::report(catalog, change) {
            report.push_str(&escape_control(&line));
            report.push('\n');
        }
    }
    if !report.is_empty() {
        eprint!(
            "privileges per function, the merged role against the one SAM generated:\n{report}"
        );
    }
    Ok(Rendered { file_name: sam_file_name(template), text: merged.text })
}

/// The manifest of the crates at `path` (a crate, a workspace or a folder of crates), built by
/// the one synth pipeline; diagnostics go to stderr and make it an error with exit code 1
/// (`command` names the caller in messages).
pub(crate) fn manifest_of(path: &Path, command: &str) -> Result<(PathBuf, Manifest), CliError> {
    let built = build::build(path, command)?;
    Ok((built.dir, built.manifest))
}

/// The documents to write and where (`None`: standard output).
fn documents(
    args: &Args,
    built: &build::Built,
) -> Result<Option<Vec<(Rendered, PathBuf)>>, CliError> {
    let render_one = |manifest: &Manifest| match args.format.format() {
        Some(Format::Policy) if !args.params.is_empty() => {
            render_resolved_policies(manifest, &Params::new(), &args.params).map_err(|err| {
                let mut command =
                    format!("leastpriv synth {} --format policy", args.path.display());
                for (name, value) in &args.params {
                    command.push_str(&format!(" --param {name}={value}"));
                }
                crate::desired::resolve_error(&err, &command)
            })
        }
        Some(format) => {
            render(manifest, format).map_err(|err| CliError::input(format!("cannot render: {err}")))
        }
        None => Ok(vec![merge_sam(args, built)?]),
    };
    if args.per_crate {
        let mut out = Vec::new();
        for (info, manifest) in built.crates.iter().zip(&built.per_crate) {
            let dir = match &args.output {
                Some(output) => output.join(&info.name),
                None => info.dir.clone(),
            };
            out.extend(render_one(manifest)?.into_iter().map(|doc| {
                let path = dir.join(&doc.file_name);
                (doc, path)
            }));
        }
        return Ok(Some(out));
    }
    let docs = render_one(&built.manifest)?;
    match targets(args, &built.dir, &docs)? {
        Some(paths) => Ok(Some(docs.into_iter().zip(paths).collect())),
        None if docs.len() != 1 => Err(CliError::input(format!(
            "--format {} gives {} documents (one per function); write them with -o DIR/",
            args.format.as_str(),
            docs.len()
        ))),
        None => {
            for doc in &docs {
                output::text(&doc.text)?;
            }
            Ok(None)
        }
    }
}

/// Runs `leastpriv synth`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    validate(&args)?;
    let built = match build::build(&args.path, "synth") {
        Ok(built) => built,
        Err(err) if err.code == EXIT_FINDINGS && err.message.starts_with("leastpriv synth:") => {
            eprintln!("{}; nothing written", err.message);
            return Ok(ExitCode::from(EXIT_FINDINGS));
        }
        Err(err) => return Err(err),
    };
    let Some(documents) = documents(&args, &built)? else {
        return Ok(ExitCode::SUCCESS);
    };
    if args.check {
        let mut stale = Vec::new();
        for (doc, path) in &documents {
            let old = std::fs::read_to_string(path).ok();
            if old.as_deref() != Some(doc.text.as_str()) {
                output::text(&diff(path, old.as_deref().unwrap_or_default(), &doc.text))?;
                let state = if old.is_some() { "is out of date" } else { "does not exist" };
                eprintln!("error: {} {state}", escape_control(&path.display().to_string()));
                stale.push(path);
            }
        }
        if let Some(first) = stale.first() {
            eprintln!("  help: update with `{}`", update_command(&args, first));
            return Ok(ExitCode::from(EXIT_FINDINGS));
        }
        return Ok(ExitCode::SUCCESS);
    }
    for (doc, path) in &documents {
        write_atomically(path, &doc.text)?;
        eprintln!("wrote {}", escape_control(&path.display().to_string()));
    }
    Ok(ExitCode::SUCCESS)
}
