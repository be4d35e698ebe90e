//! `leastpriv explain`: what an IAM action is, or which actions an SDK call needs.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use leastpriv_core::catalog::{ActionInfo, Catalog, Mapping, Resolved, RuleOutcome, SetterUse};

use crate::error::{CliError, catalog_error};
use crate::output;

/// Arguments of `leastpriv explain`.
#[derive(Debug, ClapArgs)]
#[command(
    about = "Explain an IAM action, or the actions an aws-sdk-rust call needs",
    after_help = "Examples:\n  leastpriv explain s3:GetObject\n  leastpriv explain --sdk aws-sdk-s3 get_object --setter version_id --json\n  leastpriv explain --sdk aws_sdk_dynamodb execute_statement --setter 'statement=SELECT * FROM t'"
)]
pub struct Args {
    /// The IAM action, `prefix:Name` (any case).
    #[arg(value_name = "ACTION", required_unless_present = "sdk", conflicts_with = "sdk")]
    action: Option<String>,
    /// Explain an SDK call instead: the crate (`aws-sdk-s3` or `aws_sdk_s3`) and the client method.
    #[arg(long, num_args = 2, value_names = ["CRATE", "METHOD"])]
    sdk: Option<Vec<String>>,
    /// A builder setter the call uses, `NAME` or `NAME=VALUE` (repeatable; with --sdk).
    #[arg(long = "setter", value_name = "NAME[=VALUE]")]
    setters: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `leastpriv explain`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.sdk.is_none() && !args.setters.is_empty() {
        return Err(CliError::input(
            "--setter describes an SDK call: use it with --sdk CRATE METHOD",
        ));
    }
    let catalog = Catalog::embedded().map_err(catalog_error)?;
    match (&args.sdk, &args.action) {
        (Some(sdk), _) => {
            let [krate, method] = sdk.as_slice() else {
                return Err(CliError::input("--sdk takes two values: CRATE METHOD"));
            };
            let setters: Vec<SetterUse> =
                args.setters.iter().map(|s| SetterUse::parse(s)).collect();
            let resolved = catalog.resolve_call(krate, method, &setters).map_err(catalog_error)?;
            if args.json {
                output::json(&resolved)?;
            } else {
                output::text(&render_sdk(&resolved))?;
            }
        }
        (None, Some(action)) => {
            let info = catalog.action(action).map_err(catalog_error)?;
            if args.json {
                output::json(&info)?;
            } else {
                output::text(&render_action(&info))?;
            }
        }
        (None, None) => return Err(CliError::input("give an ACTION or --sdk CRATE METHOD")),
    }
    Ok(ExitCode::SUCCESS)
}

fn render_action(info: &ActionInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", info.action, info.service_name);
    let _ = writeln!(out, "  access level:   {}", info.access_level);
    if info.resource_types.is_empty() {
        let _ = writeln!(out, "  resources:      * only (no resource-level permissions)");
    } else {
        let _ = writeln!(out, "  resource types:");
        let width = info.resource_types.iter().map(|r| r.name.len()).max().unwrap_or(0);
        for r in &info.resource_types {
            let required = if r.required { " (required)" } else { "" };
            let _ = writeln!(out, "    {:width$}  {}{required}", r.name, r.arn);
        }
    }
    if !info.condition_keys.is_empty() {
        let _ = writeln!(out, "  condition keys: {}", info.condition_keys.join(", "));
    }
    if !info.dependent_actions.is_empty() {
        let _ = writeln!(out, "  also requires:  {}", info.dependent_actions.join(", "));
    }
    out
}

fn render_sdk(r: &Resolved) -> String {
    let mut out = String::new();
    match &r.waiter_of {
        Some(polled) => {
            let _ = writeln!(out, "{} {} (waiter of {polled})", r.crate_name, r.method);
            let _ = writeln!(
                out,
                "  waiter:  polls {polled} until its condition holds; needs that operation's actions"
            );
        }
        None => {
            let _ = writeln!(out, "{} {} ({})", r.crate_name, r.method, r.operation);
        }
    }
    match r.mapping {
        Mapping::NoPermission => {
            let _ =
                writeln!(out, "  needs:   no IAM permission (the call is not authorised by IAM)");
        }
        Mapping::Unmapped => {
            let _ = writeln!(
                out,
                "  needs:   unknown: the catalog knows no IAM action for this operation;\n           declare the actions with `actions = [\"prefix:Name\"]`"
            );
        }
        Mapping::SetterDependent => {
            let candidates: Vec<String> = r
                .candidates
                .iter()
                .map(|c| {
                    let setter = match &c.when.value_prefix {
                        Some(prefix) => format!("{}={prefix}", c.when.setter),
                        None => c.when.setter.clone(),
                    };
                    format!("{setter} → {}", c.actions.join(" + "))
                })
                .collect();
            let _ = writeln!(
                out,
                "  needs:   actions that depend on its setters; give them with --setter: {}",
                candidates.join(", ")
            );
        }
        _ if r.actions.is_empty() => {
            let _ = writeln!(out, "  needs:   nothing with these setters (see the rules)");
        }
        _ => {
            let _ = writeln!(out, "  needs:   {}", r.actions.join(", "));
        }
    }
    let rules: Vec<_> =
        r.details.iter().filter(|d| d.rule.when.is_some() || d.rule.target.is_some()).collect();
    if !rules.is_empty() {
        let _ = writeln!(out, "  rules:");
        for d in rules {
            let mut line = String::new();
            if let Some(when) = &d.rule.when {
                let _ = write!(line, "with `{}`", when.setter);
                if let Some(prefix) = &when.value_prefix {
                    let _ = write!(line, " = \"{prefix} …\"");
                }
                line.push_str(": ");
            }
            line.push_str(&d.rule.actions.join(", "));
            if let Some(target) = &d.rule.target {
                let _ = write!(line, " on the {target}");
                if let Some(setter) = &d.rule.target_setter {
                    let _ = write!(line, " (named by `{setter}`)");
                }
            }
            if let Some(resource) = &d.rule.resource {
                let _ = write!(line, " [resource: {resource}]");
            }
            if !d.rule.replaces.is_empty() {
                let _ = write!(line, " instead of {}", d.rule.replaces.join(", "));
            }
            let mark = match d.outcome {
                RuleOutcome::Applies => "applies",
                RuleOutcome::DoesNotApply => "not used",
                RuleOutcome::Undecided => "value unknown",
            };
            let _ = writeln!(out, "    {line}  ({mark})");
        }
    }
    if !r.implied.is_empty() {
        let _ = writeln!(out, "  implied:");
        for imp in &r.implied {
            let _ =
                writeln!(out, "    {} when {}", imp.implied.actions.join(", "), imp.applies_when);
            if let Some(condition) = &imp.condition {
                let _ = writeln!(out, "      with condition {condition}");
            }
        }
    }
    let source = match r.mapping {
        Mapping::Derived => "the action of the same name",
        Mapping::DocLink => "the action whose API documentation names this operation",
        Mapping::Exception | Mapping::NoPermission | Mapping::SetterDependent => {
            "leastpriv's exceptions table"
        }
        Mapping::Unmapped => "none",
    };
    let _ = writeln!(out, "  source:  {source}");
    if let Some(doc) = &r.doc {
        let _ = writeln!(out, "  see:     {doc}");
    }
    out
}
