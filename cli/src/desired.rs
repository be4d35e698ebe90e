//! The roles `apply` and `audit` compare with IAM: the synth pipeline's manifest, resolved.
//!
//! The manifest comes from the crate (the same `synth` pipeline) or from a file `synth --format
//! manifest` wrote; its policies are read with the one policy parser and `${Name}`s resolved
//! with `--param` values and the caller's pseudo parameters. Role names are
//! `<prefix><Function>`, the prefix defaulting to `<crate>-`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use leastpriv_core::policy::{Params, Policy, PolicyError};
use leastpriv_core::synth::INLINE_POLICY_NAME;
use serde::Deserialize;

use crate::error::CliError;

/// Tag naming the function whose role it is.
pub(crate) const TAG_FUNCTION: &str = "leastpriv:function";
/// Tag marking a role leastpriv created (value [`MANAGED_BY`]); roles without it are never
/// changed.
pub(crate) const TAG_MANAGED: &str = "leastpriv:managed-by";
/// The value of [`TAG_MANAGED`].
pub(crate) const MANAGED_BY: &str = "leastpriv";
/// Tag naming the crate the function belongs to (scopes `--prune`).
pub(crate) const TAG_CRATE: &str = "leastpriv:crate";
/// Tag listing the inline policies leastpriv wrote (comma-separated), so it deletes only its own.
pub(crate) const TAG_POLICIES: &str = "leastpriv:inline-policies";

/// Where the functions come from, and the values of their `${Name}`s.
#[derive(Debug, Clone, ClapArgs)]
pub struct Source {
    /// The crate (directory or Cargo.toml) whose handlers' roles to derive. Default: `.`.
    #[arg(conflicts_with = "manifest")]
    path: Option<PathBuf>,
    /// Read the functions from a manifest (`leastpriv synth --format manifest`) instead.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// A value for a `${Name}` of the declarations (repeatable). `${AWS::Partition}`,
    /// `${AWS::Region}` and `${AWS::AccountId}` come from the caller; a function's log group
    /// `${<Function>LogGroup}` defaults to `/aws/lambda/<Function>`.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Role names are PREFIX + the function's name. Default: the crate's name and `-`.
    #[arg(long, value_name = "PREFIX")]
    role_prefix: Option<String>,
}

/// One function's role as it should be deployed.
#[derive(Debug, Clone)]
pub(crate) struct DesiredRole {
    /// The function's logical id.
    pub(crate) function: String,
    /// The handler's file, relative to the crate.
    pub(crate) file: String,
    /// The IAM role name.
    pub(crate) role_name: String,
    /// The IAM path (`/` by default).
    pub(crate) path: String,
    /// The trust policy.
    pub(crate) trust: Policy,
    /// The permissions, resolved.
    pub(crate) policy: Policy,
    /// The inline policy's name; `None` when synthesis split it into managed policies.
    pub(crate) inline_name: Option<String>,
    /// The permissions boundary ARN, resolved.
    pub(crate) boundary: Option<String>,
    /// The tags it must carry, leastpriv's own included.
    pub(crate) tags: BTreeMap<String, String>,
}

/// Every function's role.
#[derive(Debug, Clone)]
pub(crate) struct Desired {
    /// The crate's package name.
    pub(crate) crate_name: String,
    /// The role name prefix.
    pub(crate) prefix: String,
    /// The roles, ordered by function.
    pub(crate) roles: Vec<DesiredRole>,
}

#[derive(Deserialize)]
struct ManifestView {
    format: u32,
    #[serde(rename = "crate")]
    crate_name: String,
    functions: Vec<FunctionView>,
}

#[derive(Deserialize)]
struct FunctionView {
    name: String,
    file: String,
    trust_policy: Policy,
    policy: Policy,
    placement: PlacementView,
    #[serde(default)]
    tags: Vec<TagView>,
    permissions_boundary: Option<serde_json::Value>,
    path: Option<String>,
    log_group: LogGroupView,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum PlacementView {
    Inline { policy_name: String },
    Managed {},
}

#[derive(Deserialize)]
struct TagView {
    key: String,
    value: String,
}

#[derive(Deserialize)]
struct LogGroupView {
    logical_id: String,
}

impl Source {
    fn crate_path(&self) -> PathBuf {
        self.path.clone().unwrap_or_else(|| PathBuf::from("."))
    }

    /// The manifest as JSON: read from `--manifest`, or built from the crate by synth.
    fn manifest_json(&self, command: &str) -> Result<serde_json::Value, CliError> {
        if let Some(file) = &self.manifest {
            let text = std::fs::read_to_string(file)
                .map_err(|err| CliError::input(format!("cannot read {}: {err}", file.display())))?;
            return serde_json::from_str(&text).map_err(|err| {
                CliError::input(format!("{}: not a manifest: {err}", file.display()))
            });
        }
        let (_, manifest) = crate::synth::manifest_of(&self.crate_path(), command)?;
        serde_json::to_value(&manifest)
            .map_err(|err| CliError::input(format!("cannot render the manifest: {err}")))
    }

    /// The user's `--param` values.
    fn user_params(&self) -> Result<Vec<(String, String)>, CliError> {
        self.params
            .iter()
            .map(|text| match text.split_once('=') {
                Some((name, value)) if !name.trim().is_empty() => {
                    Ok((name.trim().to_owned(), value.to_owned()))
                }
                _ => Err(CliError::input(format!("`--param {text}`: expected NAME=VALUE"))
                    .with_help("e.g. --param UploadBucket=my-uploads")),
            })
            .collect()
    }

    /// Derives and resolves every function's role. `pseudo` holds the caller's pseudo
    /// parameters.
    pub(crate) fn desired(&self, command: &str, pseudo: &Params) -> Result<Desired, CliError> {
        let user = self.user_params()?;
        let json = self.manifest_json(command)?;
        let shown = self.manifest.as_ref().map_or_else(
            || format!("the manifest of {}", self.crate_path().display()),
            |f| f.display().to_string(),
        );
        let view: ManifestView = serde_json::from_value(json)
            .map_err(|err| CliError::input(format!("{shown}: not a leastpriv manifest: {err}")))?;
        if view.format != leastpriv_core::synth::manifest::MANIFEST_FORMAT {
            return Err(CliError::input(format!(
                "{shown}: manifest format {} (this leastpriv reads {})",
                view.format,
                leastpriv_core::synth::manifest::MANIFEST_FORMAT
            ))
            .with_help("regenerate it with `leastpriv synth --format manifest`"));
        }
        let prefix = self.role_prefix.clone().unwrap_or_else(|| format!("{}-", view.crate_name));
        let mut roles = Vec::new();
        for function in view.functions {
            let mut params = pseudo.clone();
            params.insert(
                function.log_group.logical_id.clone(),
                format!("/aws/lambda/{}", function.name),
            );
            for (name, value) in &user {
                params.insert(name.clone(), value.clone());
            }
            roles.push(resolve(function, &view.crate_name, &prefix, &params));
        }
        // Every function's problem at once, so one run names every missing `--param`.
        let (roles, errors): (Vec<_>, Vec<_>) = roles.into_iter().partition(Result::is_ok);
        let mut errors = errors.into_iter().filter_map(Result::err);
        if let Some(mut first) = errors.next() {
            for more in errors {
                first.message.push_str("\nerror: ");
                first.message.push_str(&more.message);
            }
            return Err(first);
        }
        let roles = roles.into_iter().filter_map(Result::ok).collect();
        Ok(Desired { crate_name: view.crate_name, prefix, roles })
    }
}

/// Whether two trust policies say the same, statement ids aside (IAM consoles add empty ones).
pub(crate) fn same_trust(a: &Policy, b: &Policy) -> bool {
    let plain = |p: &Policy| {
        let mut p = p.clone();
        p.statements.iter_mut().for_each(|s| s.sid = None);
        p.to_compact_json()
    };
    plain(a) == plain(b)
}

fn resolve_error(function: &str, err: PolicyError) -> CliError {
    let out = CliError::input(format!("function {function}: {err}"));
    match err.help {
        Some(help) => out.with_help(
            help.replace("give each a value as NAME=VALUE", "pass each with --param NAME=VALUE"),
        ),
        None => out,
    }
}

/// Resolves a boundary value (a string or `{"Fn::Sub": …}`) with the policy resolver: it is
/// read as the resource of a one-statement policy.
fn resolve_boundary(value: &serde_json::Value, params: &Params) -> Result<String, PolicyError> {
    let document = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetPolicy", "Resource": value}],
    });
    let policy = Policy::from_json_value(&document)?.resolve(params)?;
    let resource = policy.statements.first().and_then(|s| match &s.resource {
        Some(leastpriv_core::policy::Resources::Resource(list)) => {
            list.iter().next().and_then(|v| v.as_literal()).map(str::to_owned)
        }
        _ => None,
    });
    Ok(resource.unwrap_or_default())
}

fn resolve(
    function: FunctionView,
    crate_name: &str,
    prefix: &str,
    params: &Params,
) -> Result<DesiredRole, CliError> {
    let name = function.name;
    let role_name = format!("{prefix}{name}");
    let valid = role_name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if !valid || role_name.len() > 64 {
        return Err(CliError::input(format!(
            "`{role_name}` is not a valid IAM role name (at most 64 of A-Z a-z 0-9 +=,.@_-)"
        ))
        .with_help("choose a shorter or plainer prefix with --role-prefix"));
    }
    let policy = function.policy.resolve(params).map_err(|e| resolve_error(&name, e))?;
    let boundary = match &function.permissions_boundary {
        Some(value) => Some(resolve_boundary(value, params).map_err(|e| resolve_error(&name, e))?),
        None => None,
    };
    let inline_name = match function.placement {
        PlacementView::Inline { policy_name } => Some(policy_name),
        PlacementView::Managed {} => None,
    };
    let mut tags: BTreeMap<String, String> =
        function.tags.into_iter().map(|t| (t.key, t.value)).collect();
    tags.insert(TAG_FUNCTION.to_owned(), name.clone());
    tags.insert(TAG_MANAGED.to_owned(), MANAGED_BY.to_owned());
    tags.insert(TAG_CRATE.to_owned(), crate_name.to_owned());
    tags.insert(
        TAG_POLICIES.to_owned(),
        inline_name.clone().unwrap_or_else(|| INLINE_POLICY_NAME.to_owned()),
    );
    Ok(DesiredRole {
        function: name,
        file: function.file,
        role_name,
        path: function.path.unwrap_or_else(|| "/".to_owned()),
        trust: function.trust_policy,
        policy,
        inline_name,
        boundary,
        tags,
    })
}
