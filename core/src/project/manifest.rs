//! The parts of a `Cargo.toml` discovery reads.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::ProjectError;

/// A `Cargo.toml`, reduced to what discovery needs; unknown keys are ignored.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Manifest {
    pub(super) package: Option<Package>,
    pub(super) workspace: Option<Workspace>,
    pub(super) lib: Option<LibTarget>,
    #[serde(default)]
    pub(super) bin: Vec<BinTarget>,
    #[serde(default)]
    pub(super) dependencies: toml::Table,
    /// `[target.'cfg(…)'.dependencies]` and `[target.<triple>.dependencies]`.
    #[serde(default)]
    pub(super) target: BTreeMap<String, TargetTable>,
}

/// `[package]`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Package {
    pub(super) name: String,
    pub(super) autobins: Option<bool>,
    pub(super) autolib: Option<bool>,
    /// `workspace = "../.."`: the workspace root, when it is not found by walking up.
    pub(super) workspace: Option<String>,
}

/// `[workspace]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Workspace {
    #[serde(default)]
    pub(super) members: Vec<String>,
    #[serde(default)]
    pub(super) exclude: Vec<String>,
    #[serde(default)]
    pub(super) dependencies: toml::Table,
}

/// `[lib]`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct LibTarget {
    pub(super) name: Option<String>,
    pub(super) path: Option<String>,
}

/// One `[[bin]]`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct BinTarget {
    pub(super) name: Option<String>,
    pub(super) path: Option<String>,
}

/// One `[target.…]` table.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct TargetTable {
    #[serde(default)]
    pub(super) dependencies: toml::Table,
}

impl Manifest {
    /// Reads and parses the manifest at `path`.
    pub(super) fn read(path: &Path) -> Result<Manifest, ProjectError> {
        let text = crate::observe::read(path, u64::MAX).and_then(|bytes| {
            String::from_utf8(bytes).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                )
            })
        });
        let text = text.map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                ProjectError::missing(path)
            } else {
                ProjectError::unreadable(path, &err)
            }
        })?;
        toml::from_str(&text).map_err(|err| ProjectError::invalid_manifest(path, &err))
    }

    /// Every dependency that is linked into the crate's targets: `[dependencies]`, then each
    /// `[target.….dependencies]` (dev- and build-dependencies are not).
    pub(super) fn linked_dependencies(&self) -> impl Iterator<Item = (&String, &toml::Value)> {
        let targets = self.target.values().flat_map(|t| t.dependencies.iter());
        self.dependencies.iter().chain(targets)
    }
}
