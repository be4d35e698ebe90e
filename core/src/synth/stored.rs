//! Manifests read back from their JSON (`leastpriv synth --format manifest`): the fields of each
//! function's role that `audit`, `apply` and `diff` use.

use serde::Deserialize;

use crate::policy::{Policy, PolicyError, Value};

use super::manifest::MANIFEST_FORMAT;
use super::resolve::{RoleValues, value_from_json};

/// A manifest as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredManifest {
    /// The crate's package name.
    pub crate_name: String,
    /// Its functions, in the manifest's order.
    pub functions: Vec<StoredFunction>,
}

/// One function's role as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFunction {
    /// The function's logical id.
    pub name: String,
    /// The handler's file, relative to the crate.
    pub file: String,
    /// The trust policy.
    pub trust_policy: Policy,
    /// Every permission of the role.
    pub policy: Policy,
    /// The inline policy's name; none when the role is split into managed policies.
    pub inline_policy_name: Option<String>,
    /// The managed policies of a split role (logical id, permissions).
    pub managed: Vec<(String, Policy)>,
    /// The role's tags (key, value), in declaration order.
    pub tags: Vec<(String, String)>,
    /// The permissions boundary.
    pub permissions_boundary: Option<Value>,
    /// The role's IAM path.
    pub path: Option<String>,
    /// The log group's logical id.
    pub log_group: String,
}

impl StoredFunction {
    /// The role as the resolver takes it.
    pub fn values(&self) -> RoleValues<'_> {
        RoleValues {
            function: &self.name,
            log_group: &self.log_group,
            policy: &self.policy,
            managed: &self.managed,
            boundary: self.permissions_boundary.as_ref(),
        }
    }
}

/// Why a text is not a manifest this leastpriv reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl std::fmt::Display for StoredError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoredError {}

#[derive(Deserialize)]
struct ManifestJson {
    format: u32,
    #[serde(rename = "crate")]
    crate_name: String,
    functions: Vec<FunctionJson>,
}

#[derive(Deserialize)]
struct FunctionJson {
    name: String,
    file: String,
    trust_policy: Policy,
    policy: Policy,
    placement: PlacementJson,
    #[serde(default)]
    tags: Vec<TagJson>,
    permissions_boundary: Option<serde_json::Value>,
    path: Option<String>,
    log_group: LogGroupJson,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum PlacementJson {
    Inline { policy_name: String },
    Managed { policies: Vec<ManagedJson> },
}

#[derive(Deserialize)]
struct ManagedJson {
    logical_id: String,
    policy: Policy,
}

#[derive(Deserialize)]
struct TagJson {
    key: String,
    value: String,
}

#[derive(Deserialize)]
struct LogGroupJson {
    logical_id: String,
}

const REGENERATE: &str = "regenerate it with `leastpriv synth --format manifest`";

fn stored_function(f: FunctionJson) -> Result<StoredFunction, PolicyError> {
    let (inline_policy_name, managed) = match f.placement {
        PlacementJson::Inline { policy_name } => (Some(policy_name), Vec::new()),
        PlacementJson::Managed { policies } => {
            (None, policies.into_iter().map(|p| (p.logical_id, p.policy)).collect())
        }
    };
    Ok(StoredFunction {
        name: f.name,
        file: f.file,
        trust_policy: f.trust_policy,
        policy: f.policy,
        inline_policy_name,
        managed,
        tags: f.tags.into_iter().map(|t| (t.key, t.value)).collect(),
        permissions_boundary: f.permissions_boundary.as_ref().map(value_from_json).transpose()?,
        path: f.path,
        log_group: f.log_group.logical_id,
    })
}

impl StoredManifest {
    /// Reads a manifest from its JSON value, checking its format version.
    pub fn from_json_value(json: serde_json::Value) -> Result<StoredManifest, StoredError> {
        let format = json.get("format").and_then(serde_json::Value::as_u64);
        if let Some(format) = format.filter(|f| *f != u64::from(MANIFEST_FORMAT)) {
            return Err(StoredError {
                message: format!(
                    "manifest format {format} (this leastpriv reads {MANIFEST_FORMAT})"
                ),
                help: REGENERATE.to_owned(),
            });
        }
        let view: ManifestJson = serde_json::from_value(json).map_err(|err| StoredError {
            message: format!("not a leastpriv manifest: {err}"),
            help: REGENERATE.to_owned(),
        })?;
        let _ = view.format;
        let functions = view
            .functions
            .into_iter()
            .map(stored_function)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| StoredError {
                message: format!("not a leastpriv manifest: a permissions boundary: {err}"),
                help: REGENERATE.to_owned(),
            })?;
        Ok(StoredManifest { crate_name: view.crate_name, functions })
    }

    /// Reads a manifest from its text.
    pub fn from_json_str(text: &str) -> Result<StoredManifest, StoredError> {
        let json: serde_json::Value = serde_json::from_str(text).map_err(|err| StoredError {
            message: format!("not JSON: {err}"),
            help: "give the file `leastpriv synth --format manifest` writes \
                   (leastpriv.manifest.json)"
                .to_owned(),
        })?;
        Self::from_json_value(json)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn bad_manifests_say_how_to_fix_them() {
        let err = StoredManifest::from_json_str("{").unwrap_err();
        assert!(err.message.starts_with("not JSON"), "{err:?}");
        let err = StoredManifest::from_json_str(r#"{"format": 99}"#).unwrap_err();
        assert!(err.message.contains("manifest format 99"), "{err:?}");
        assert!(err.help.contains("leastpriv synth --format manifest"));
        let err = StoredManifest::from_json_str(r#"{"format": 1, "crate": "x"}"#).unwrap_err();
        assert!(err.message.contains("missing field `functions`"), "{err:?}");
    }
}
