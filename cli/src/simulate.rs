//! `leastpriv simulate`: judge one request against identity policies and a permissions boundary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args as ClapArgs;
use leastpriv_core::diagnostic::escape_control;
use leastpriv_core::evaluate::{
    Context, Evaluation, PolicyKind, PolicySet, Request, check_evaluable,
};
use leastpriv_core::policy::{Params, Policy, PolicyError};

use crate::error::CliError;
use crate::output;

/// Arguments of `leastpriv simulate`.
#[derive(Debug, ClapArgs)]
#[command(
    about = "Judge a request against IAM policies: allow, explicit_deny or implicit_deny",
    after_help = "Exit status: 0 with a decision (whichever it is), 2 on bad input.\n\n\
Examples:\n  leastpriv simulate --policy role.json --action s3:GetObject --resource arn:aws:s3:::b/k\n  \
leastpriv simulate --policy a.json b.json --boundary boundary.json --action s3:PutObject \\\n    \
--resource arn:aws:s3:::b/k --context aws:SecureTransport=true --json\n  \
leastpriv simulate --policy template-policy.json --param AWS::Partition=aws --param UploadBucket=uploads \\\n    \
--action s3:GetObject --resource arn:aws:s3:::uploads/incoming/a.png\n  \
leastpriv simulate --policy p.json --action ec2:CreateTags --resource '*' \\\n    \
--context aws:TagKeys=env --context aws:TagKeys=team   # a multivalued key"
)]
pub struct Args {
    /// Identity policy documents (JSON files); give one or more.
    #[arg(long = "policy", value_name = "FILE", required = true, num_args = 1..)]
    policies: Vec<PathBuf>,
    /// A permissions boundary policy document (JSON file).
    #[arg(long, value_name = "FILE")]
    boundary: Option<PathBuf>,
    /// The action requested, `service:Action` (e.g. s3:GetObject).
    #[arg(long, value_name = "ACTION")]
    action: String,
    /// The resource ARN requested (`*` for actions without a resource).
    #[arg(long, value_name = "ARN")]
    resource: String,
    /// A request context value; repeat a key to make it multivalued.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// A value for a CloudFormation name used in the policies (parameter, resource,
    /// `AWS::Region`, `Resource.Attribute`, or an `Fn::If` condition as true/false).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Print JSON: {"decision", "statements", "reason", "notes"}.
    #[arg(long)]
    json: bool,
}

/// Splits `NAME=VALUE` at the first `=`.
fn pair<'a>(text: &'a str, flag: &str) -> Result<(&'a str, &'a str), CliError> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim(), value)),
        _ => Err(CliError::input(format!("`--{flag} {text}`: expected NAME=VALUE"))
            .with_help(format!("e.g. --{flag} aws:username=alice"))),
    }
}

fn policy_error(path: &Path, err: PolicyError) -> CliError {
    let out = CliError::input(format!("{}: {err}", path.display()));
    match err.help {
        Some(help) => out.with_help(help),
        None => out,
    }
}

/// Reads, resolves and checks one policy file.
fn load(path: &Path, params: &Params) -> Result<Policy, CliError> {
    let text = crate::input::read_text(path, "the policy")?;
    let policy = Policy::from_json_str_with_conditions(&text, params)
        .map_err(|err| policy_error(path, err))?;
    let policy = policy.resolve(params).map_err(|mut err| {
        if let Some(help) = &mut err.help {
            *help = help
                .replace("give each a value as NAME=VALUE", "pass each with --param NAME=VALUE");
        }
        policy_error(path, err)
    })?;
    check_evaluable(&policy).map_err(|err| policy_error(path, err))?;
    Ok(policy)
}

fn check_action(action: &str) -> Result<(), CliError> {
    match action.split_once(':') {
        Some((service, name)) if !service.is_empty() && !name.is_empty() => Ok(()),
        _ => Err(CliError::input(format!("`--action {action}`: expected service:Action"))
            .with_help("e.g. --action s3:GetObject")),
    }
}

fn render(evaluation: &Evaluation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "decision: {}", evaluation.decision.as_str());
    let _ = writeln!(out, "reason:   {}", evaluation.reason);
    for s in &evaluation.statements {
        let kind = match s.kind {
            PolicyKind::Identity => "identity policy",
            PolicyKind::Boundary => "boundary",
        };
        let sid = s.sid.as_deref().map(|sid| format!(" ({sid})")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} by {kind} {}, statement {}{sid}",
            s.effect.as_str(),
            s.policy,
            s.index
        );
    }
    for note in &evaluation.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// Runs `leastpriv simulate`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    check_action(&args.action)?;
    let mut params = Params::new();
    for text in &args.params {
        let (name, value) = pair(text, "param")?;
        params.insert(name, value);
    }
    let mut context = Context::new();
    for text in &args.context {
        let (key, value) = pair(text, "context")?;
        context.insert(key, value);
    }
    let identity: Vec<(String, Policy)> = args
        .policies
        .iter()
        .map(|path| Ok((path.display().to_string(), load(path, &params)?)))
        .collect::<Result<_, CliError>>()?;
    let boundary = match &args.boundary {
        Some(path) => Some((path.display().to_string(), load(path, &params)?)),
        None => None,
    };
    let mut set = PolicySet::new();
    for (name, policy) in &identity {
        set = set.identity(name, policy);
    }
    if let Some((name, policy)) = &boundary {
        set = set.boundary(name, policy);
    }
    let request = Request { action: args.action, resource: args.resource, context };
    let evaluation = set.evaluate(&request).map_err(|err| {
        let help = err.help.clone();
        let out = CliError::input(err.to_string());
        match help {
            Some(help) => out.with_help(help),
            None => out,
        }
    })?;
    if args.json {
        output::json(&evaluation)?;
    } else {
        output::text(&escape_control(&render(&evaluation)))?;
    }
    Ok(ExitCode::SUCCESS)
}
