//! `leastpriv audit`: how far deployed IAM roles are from what each function needs.
//!
//! Each role's trust policy, inline policies, attached managed policies (default versions),
//! permissions boundary and tags are read through the IAM API (paginated) and judged with the
//! evaluator against the function's derived policy (`leastpriv_core::evaluate::drift`). Roles are
//! matched to functions by their `leastpriv:function` tag or by `--role NAME=FUNCTION`.

mod render;

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use clap::{ArgGroup, Args as ClapArgs, ValueEnum};
use leastpriv_core::catalog::Catalog;
use leastpriv_core::evaluate::drift::{Excess, Missing, drift};
use leastpriv_core::policy::Policy;
use serde::Serialize;

use crate::aws::{self, Connection, Deployed, sdk_error};
use crate::desired::{
    Desired, DesiredRole, MANAGED_BY, Source, TAG_CRATE, TAG_FUNCTION, TAG_MANAGED, same_trust,
};
use crate::error::{CliError, EXIT_FINDINGS, EXIT_INPUT, catalog_error};
use crate::output;

/// From how many roles a progress line is shown (on a terminal).
const PROGRESS_FROM: usize = 10;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Text for people.
    Human,
    /// The report as JSON.
    Json,
    /// SARIF 2.1.0 (code scanning).
    Sarif,
}

/// Arguments of `leastpriv audit`.
#[derive(Debug, ClapArgs)]
#[command(
    about = "Compare deployed IAM roles with what each function needs: excess, missing, drift",
    group(ArgGroup::new("which").required(true).args(["roles", "all"])),
    after_help = "Exit status: 0 no drift, 1 drift (excess or missing permissions, trust or \
boundary differences, roles or functions unaccounted for), 2 bad input or an IAM error.\n\n\
Examples:\n  leastpriv audit examples/image-resize --all --param UploadBucketName=uploads \\\n    \
--param ThumbnailBucket=thumbs\n  \
leastpriv audit --manifest leastpriv.manifest.json --role legacy-resizer=ResizeImage --format sarif"
)]
pub struct Args {
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    connection: Connection,
    /// A role to audit: NAME (its `leastpriv:function` tag names the function) or
    /// NAME=FUNCTION. Repeatable.
    #[arg(long = "role", value_name = "NAME[=FUNCTION]")]
    roles: Vec<String>,
    /// Audit every role of the account tagged for a function of this crate, and report roles
    /// and functions nothing accounts for.
    #[arg(long)]
    all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Skip service last-accessed data (GenerateServiceLastAccessedDetails).
    #[arg(long)]
    no_last_accessed: bool,
}

/// When a granted service was last used, from IAM's last-accessed data.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ServiceUse {
    /// The service prefix (`s3`).
    namespace: String,
    /// Last authentication (RFC 3339), if any in the tracking period.
    last_authenticated: Option<String>,
}

/// Service last-accessed data, or why there is none.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub(crate) enum LastAccessed {
    /// The data.
    Available {
        /// Per granted service.
        services: Vec<ServiceUse>,
    },
    /// The API did not give it.
    Unavailable {
        /// Why.
        reason: String,
    },
    /// `--no-last-accessed`.
    Skipped,
}

/// Two values that should be equal and are not.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Difference {
    /// As deployed.
    deployed: String,
    /// As the function needs.
    needed: String,
}

/// One audited role.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RoleReport {
    role: String,
    arn: Option<String>,
    function: Option<String>,
    /// The handler's file, relative to the crate.
    file: Option<String>,
    excess: Vec<Excess>,
    missing: Vec<Missing>,
    trust: Option<Difference>,
    boundary: Option<Difference>,
    last_accessed: LastAccessed,
    /// Why the role could not be audited.
    error: Option<String>,
}

impl RoleReport {
    fn drifts(&self) -> bool {
        !self.excess.is_empty()
            || !self.missing.is_empty()
            || self.trust.is_some()
            || self.boundary.is_some()
    }

    fn failed(role: &str, function: Option<&DesiredRole>, error: String) -> Self {
        RoleReport {
            role: role.to_owned(),
            arn: None,
            function: function.map(|f| f.function.clone()),
            file: function.map(|f| f.file.clone()),
            excess: Vec::new(),
            missing: Vec::new(),
            trust: None,
            boundary: None,
            last_accessed: LastAccessed::Skipped,
            error: Some(error),
        }
    }
}

/// A role leastpriv created for a function of this crate that is gone.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Unaccounted {
    role: String,
    function: String,
}

/// The whole audit.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    #[serde(rename = "crate")]
    crate_name: String,
    roles: Vec<RoleReport>,
    /// `--all`: roles tagged for functions of this crate that no longer exist.
    unaccounted_roles: Vec<Unaccounted>,
    /// `--all`: functions no role was found for.
    functions_without_role: Vec<String>,
    /// `--all`: roles of the account not made by leastpriv for this crate (not audited).
    other_roles: Vec<String>,
}

impl Report {
    fn drifts(&self) -> bool {
        self.roles.iter().any(RoleReport::drifts)
            || !self.unaccounted_roles.is_empty()
            || !self.functions_without_role.is_empty()
    }

    fn errors(&self) -> bool {
        self.roles.iter().any(|r| r.error.is_some())
    }
}

/// Which roles to audit, and for which function each (`None`: read its tag).
async fn targets(
    args: &Args,
    iam: &aws_sdk_iam::Client,
    desired: &Desired,
    report: &mut Report,
) -> Result<Vec<(String, Option<String>)>, CliError> {
    let mut out = Vec::new();
    for text in &args.roles {
        match text.split_once('=') {
            Some((role, function)) if !role.is_empty() && !function.is_empty() => {
                out.push((role.to_owned(), Some(function.to_owned())));
            }
            None if !text.is_empty() => out.push((text.clone(), None)),
            _ => {
                return Err(CliError::input(format!(
                    "`--role {text}`: expected NAME or NAME=FUNCTION"
                )));
            }
        }
    }
    if !args.all {
        return Ok(out);
    }
    let functions: BTreeSet<&str> = desired.roles.iter().map(|r| r.function.as_str()).collect();
    let mut found = BTreeSet::new();
    for name in aws::role_names(iam).await? {
        let tags = aws::role_tags(iam, &name).await?;
        let crate_tag = tags.get(TAG_CRATE);
        let function =
            tags.get(TAG_FUNCTION).filter(|_| crate_tag.is_none_or(|c| *c == desired.crate_name));
        match function {
            Some(f) if functions.contains(f.as_str()) => {
                found.insert(f.clone());
                out.push((name, Some(f.clone())));
            }
            Some(f) if tags.get(TAG_MANAGED).map(String::as_str) == Some(MANAGED_BY) => {
                report.unaccounted_roles.push(Unaccounted { role: name, function: f.clone() });
            }
            _ => report.other_roles.push(name),
        }
    }
    report.functions_without_role =
        functions.iter().filter(|f| !found.contains(**f)).map(|f| (*f).to_owned()).collect();
    Ok(out)
}

/// Service last-accessed data: a job IAM runs, polled for a bounded time.
async fn last_accessed(iam: &aws_sdk_iam::Client, arn: &str) -> LastAccessed {
    // No retries: an API that does not offer it (an emulator's 500) should not cost backoffs.
    let once = aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled());
    let job = iam
        .generate_service_last_accessed_details()
        .arn(arn)
        .customize()
        .config_override(once)
        .send()
        .await;
    let job_id = match job {
        Ok(out) => out.job_id().unwrap_or_default().to_owned(),
        Err(err) => {
            let reason = sdk_error("iam:GenerateServiceLastAccessedDetails", arn, err).message;
            return LastAccessed::Unavailable { reason };
        }
    };
    let mut services = Vec::new();
    let mut marker: Option<String> = None;
    for attempt in 0..20u32 {
        let out = iam
            .get_service_last_accessed_details()
            .job_id(&job_id)
            .set_marker(marker.clone())
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(err) => {
                let reason = sdk_error("iam:GetServiceLastAccessedDetails", arn, err).message;
                return LastAccessed::Unavailable { reason };
            }
        };
        match out.job_status() {
            aws_sdk_iam::types::JobStatusType::InProgress => {
                tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt + 1))).await;
                continue;
            }
            aws_sdk_iam::types::JobStatusType::Completed => {}
            other => {
                let reason = format!("the last-accessed job ended {}", other.as_str());
                return LastAccessed::Unavailable { reason };
            }
        }
        services.extend(out.services_last_accessed().iter().map(|s| {
            ServiceUse {
                namespace: s.service_namespace().to_owned(),
                last_authenticated: s
                    .last_authenticated()
                    .and_then(|d| d.fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime).ok()),
            }
        }));
        if out.is_truncated() {
            marker = out.marker().map(str::to_owned);
            continue;
        }
        return LastAccessed::Available { services };
    }
    LastAccessed::Unavailable { reason: "the last-accessed job did not finish in time".to_owned() }
}

fn compare(catalog: &Catalog, want: &DesiredRole, have: &Deployed) -> Result<RoleReport, CliError> {
    let mut identity: Vec<(String, Policy)> =
        have.inline.iter().map(|(n, p)| (format!("inline:{n}"), p.clone())).collect();
    identity.extend(have.attached.iter().map(|a| (format!("managed:{}", a.arn), a.policy.clone())));
    let boundary = have
        .boundary
        .as_ref()
        .and_then(|(arn, doc)| doc.clone().map(|d| (format!("boundary:{arn}"), d)));
    let found = drift(catalog, &identity, boundary.as_ref(), &want.policy)
        .map_err(|err| CliError::input(format!("role {}: {err}", have.name)))?;
    let trust = (!same_trust(&have.trust, &want.trust)).then(|| Difference {
        deployed: have.trust.to_compact_json(),
        needed: want.trust.to_compact_json(),
    });
    let deployed_boundary = have.boundary.as_ref().map(|(arn, _)| arn.clone());
    let boundary =
        (want.boundary.is_some() && deployed_boundary != want.boundary).then(|| Difference {
            deployed: deployed_boundary.unwrap_or_else(|| "(none)".to_owned()),
            needed: want.boundary.clone().unwrap_or_default(),
        });
    Ok(RoleReport {
        role: have.name.clone(),
        arn: Some(have.arn.clone()),
        function: Some(want.function.clone()),
        file: Some(want.file.clone()),
        excess: found.excess,
        missing: found.missing,
        trust,
        boundary,
        last_accessed: LastAccessed::Skipped,
        error: None,
    })
}

async fn audit_role(
    args: &Args,
    iam: &aws_sdk_iam::Client,
    catalog: &Catalog,
    desired: &Desired,
    role: &str,
    function: Option<&str>,
) -> RoleReport {
    let have = match aws::read_role(iam, role, true).await {
        Ok(Some(have)) => have,
        Ok(None) => return RoleReport::failed(role, None, format!("role {role} does not exist")),
        Err(err) => return RoleReport::failed(role, None, err.message),
    };
    let function = function.map(str::to_owned).or_else(|| have.tags.get(TAG_FUNCTION).cloned());
    let Some(function) = function else {
        let error = format!(
            "role {role} has no `{TAG_FUNCTION}` tag; name its function with --role {role}=FUNCTION"
        );
        return RoleReport::failed(role, None, error);
    };
    let Some(want) = desired.roles.iter().find(|r| r.function == function) else {
        let names: Vec<&str> = desired.roles.iter().map(|r| r.function.as_str()).collect();
        let error = format!(
            "no function {function} in {} (functions: {})",
            desired.crate_name,
            names.join(", ")
        );
        return RoleReport::failed(role, None, error);
    };
    let mut report = match compare(catalog, want, &have) {
        Ok(report) => report,
        Err(err) => return RoleReport::failed(role, Some(want), err.message),
    };
    if !args.no_last_accessed {
        report.last_accessed = last_accessed(iam, &have.arn).await;
    }
    report
}

/// Runs `leastpriv audit`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    aws::runtime()?.block_on(audit(args))
}

async fn audit(args: Args) -> Result<ExitCode, CliError> {
    let catalog = Catalog::embedded().map_err(catalog_error)?;
    let aws = args.connection.connect().await?;
    let desired = args.source.desired("audit", &aws.pseudo)?;
    let mut report = Report {
        crate_name: desired.crate_name.clone(),
        roles: Vec::new(),
        unaccounted_roles: Vec::new(),
        functions_without_role: Vec::new(),
        other_roles: Vec::new(),
    };
    let targets = targets(&args, &aws.iam, &desired, &mut report).await?;
    let mut seen = BTreeSet::new();
    let targets: Vec<_> =
        targets.into_iter().filter(|(role, _)| seen.insert(role.clone())).collect();
    // A progress line on a terminal when there are many roles (stdout stays the report).
    let progress = targets.len() >= PROGRESS_FROM && std::io::stderr().is_terminal();
    for (done, (role, function)) in targets.iter().enumerate() {
        if progress {
            eprint!("\raudit: {done}/{} roles", targets.len());
        }
        let audited =
            audit_role(&args, &aws.iam, catalog, &desired, role, function.as_deref()).await;
        report.roles.push(audited);
    }
    if progress {
        eprintln!("\raudit: {0}/{0} roles", targets.len());
    }
    match args.format {
        Format::Human => output::text(&render::human(&report))?,
        Format::Json => output::json(&report)?,
        Format::Sarif => output::text(&render::sarif(&report).render())?,
    }
    let code = if report.errors() {
        EXIT_INPUT
    } else if report.drifts() {
        EXIT_FINDINGS
    } else {
        0
    };
    Ok(ExitCode::from(code))
}
