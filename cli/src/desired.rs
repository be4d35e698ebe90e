//! The roles `apply` and `audit` compare with IAM: the synth pipeline's manifest, resolved.
//!
//! The manifest comes from the crate (the same `synth` pipeline) or from a file `synth --format
//! manifest` wrote (read back by `leastpriv_core::synth::stored`); `${Name}`s are resolved by
//! the one resolver (`leastpriv_core::synth::resolve`) with `--param` values and the caller's
//! pseudo parameters. Role names are
//! `<prefix><Function>`, the prefix defaulting to `<crate>-`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use leastpriv_core::policy::{Params, Policy};
use leastpriv_core::synth::INLINE_POLICY_NAME;
use leastpriv_core::synth::resolve::{ResolveError, ResolvedRole, resolve_roles};
use leastpriv_core::synth::stored::{StoredFunction, StoredManifest};

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
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = crate::input::parse_param)]
    params: Vec<(String, String)>,
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

    /// Derives and resolves every function's role. `pseudo` holds the caller's pseudo
    /// parameters.
    pub(crate) fn desired(&self, command: &str, pseudo: &Params) -> Result<Desired, CliError> {
        let json = self.manifest_json(command)?;
        let shown = self.manifest.as_ref().map_or_else(
            || format!("the manifest of {}", self.crate_path().display()),
            |f| f.display().to_string(),
        );
        let manifest = StoredManifest::from_json_value(json).map_err(|err| {
            CliError::input(format!("{shown}: {}", err.message)).with_help(err.help)
        })?;
        let prefix =
            self.role_prefix.clone().unwrap_or_else(|| format!("{}-", manifest.crate_name));
        let values: Vec<_> = manifest.functions.iter().map(StoredFunction::values).collect();
        let resolved = resolve_roles(&values, pseudo, &self.params)
            .map_err(|err| resolve_error(&err, &format!("leastpriv {command} …")))?;
        // Every function's problem at once.
        let mut roles = Vec::new();
        let mut errors: Vec<CliError> = Vec::new();
        for (function, resolved) in manifest.functions.into_iter().zip(resolved) {
            match desired_role(function, resolved, &manifest.crate_name, &prefix) {
                Ok(role) => roles.push(role),
                Err(err) => errors.push(err),
            }
        }
        let mut errors = errors.into_iter();
        if let Some(mut first) = errors.next() {
            for more in errors {
                first.message.push_str("\nerror: ");
                first.message.push_str(&more.message);
            }
            return Err(first);
        }
        Ok(Desired { crate_name: manifest.crate_name, prefix, roles })
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

/// The error for roles that cannot be resolved: every missing name, and `command` (the command
/// run, up to its arguments) with a `--param` for each (shared by `audit`, `apply` and `synth
/// --format policy`).
pub(crate) fn resolve_error(err: &ResolveError, command: &str) -> CliError {
    match err {
        ResolveError::Missing { names } => {
            let example: Vec<String> = names
                .keys()
                .map(|name| format!("--param {name}={}", example_value(name)))
                .collect();
            CliError::input(err.to_string()).with_help(format!(
                "pass each with --param NAME=VALUE, e.g. `{command} {}`",
                example.join(" ")
            ))
        }
        ResolveError::Policy { error, .. } => {
            let out = CliError::input(err.to_string());
            match &error.help {
                Some(help) => out.with_help(help.replace(
                    "give each a value as NAME=VALUE",
                    "pass each with --param NAME=VALUE",
                )),
                None => out,
            }
        }
    }
}

/// A placeholder value for a name in an example command.
fn example_value(name: &str) -> &'static str {
    match name {
        "AWS::Partition" => "aws",
        "AWS::Region" => "eu-west-1",
        "AWS::AccountId" => "123456789012",
        _ if name.ends_with(".Arn") => "arn:…",
        _ => "…",
    }
}

fn desired_role(
    function: StoredFunction,
    resolved: ResolvedRole,
    crate_name: &str,
    prefix: &str,
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
    let inline_name = function.inline_policy_name;
    let mut tags: BTreeMap<String, String> = function.tags.into_iter().collect();
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
        policy: resolved.policy,
        inline_name,
        boundary: resolved.boundary,
        tags,
    })
}
