//! Finding crates and binaries: a path (directory or `Cargo.toml`) → the workspace's member crates
//! → each crate's binaries (`src/main.rs`, `src/bin/*.rs`, `[[bin]]` entries).

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One crate of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateInfo {
    /// The package name.
    pub name: String,
    /// The crate's directory.
    pub dir: PathBuf,
    /// Its binaries.
    pub binaries: Vec<Binary>,
    /// Directories of the crate's path dependencies (their sources are analysed too).
    pub path_dependencies: Vec<PathBuf>,
    /// The aws-sdk-* crates it depends on (`aws-sdk-s3`).
    pub sdk_crates: Vec<String>,
}

/// One binary target: one Lambda function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    /// The binary's name.
    pub name: String,
    /// Its root source file.
    pub entry: PathBuf,
}

/// A project that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectError {
    /// The file or directory.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ProjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for ProjectError {}

#[derive(Debug, Deserialize)]
struct Manifest {
    package: Option<Package>,
    workspace: Option<Workspace>,
    #[serde(default)]
    bin: Vec<BinTarget>,
    #[serde(default)]
    dependencies: toml::Table,
}

#[derive(Debug, Deserialize)]
struct Package {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Workspace {
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct BinTarget {
    name: Option<String>,
    path: Option<String>,
}

/// The crates at `path`: a package, or every member of a workspace.
pub fn discover(path: &Path) -> Result<Vec<CrateInfo>, ProjectError> {
    let manifest_path = if path.is_dir() { path.join("Cargo.toml") } else { path.to_path_buf() };
    let dir = manifest_path.parent().map(Path::to_path_buf).unwrap_or_default();
    let manifest = read_manifest(&manifest_path)?;
    let mut crates = Vec::new();
    if manifest.package.is_some() {
        crates.push(crate_info(&dir, &manifest)?);
    }
    if let Some(ws) = &manifest.workspace {
        for member in &ws.members {
            for member_dir in expand_member(&dir, member) {
                if ws.exclude.iter().any(|e| dir.join(e) == member_dir) || member_dir == dir {
                    continue;
                }
                let m = read_manifest(&member_dir.join("Cargo.toml"))?;
                if m.package.is_some() {
                    crates.push(crate_info(&member_dir, &m)?);
                }
            }
        }
    }
    if crates.is_empty() {
        return Err(ProjectError {
            path: manifest_path,
            message: "neither a package nor a workspace with members".to_owned(),
        });
    }
    Ok(crates)
}

fn read_manifest(path: &Path) -> Result<Manifest, ProjectError> {
    let text = std::fs::read_to_string(path).map_err(|err| ProjectError {
        path: path.to_path_buf(),
        message: format!("cannot read: {err} (give a crate directory or its Cargo.toml)"),
    })?;
    toml::from_str(&text).map_err(|err| ProjectError {
        path: path.to_path_buf(),
        message: format!("invalid Cargo.toml: {err}"),
    })
}

/// `examples/*` → every directory under `examples` with a Cargo.toml.
fn expand_member(root: &Path, member: &str) -> Vec<PathBuf> {
    match member.strip_suffix("/*") {
        Some(parent) => {
            let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(parent))
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.join("Cargo.toml").is_file())
                        .collect()
                })
                .unwrap_or_default();
            dirs.sort();
            dirs
        }
        None => vec![root.join(member)],
    }
}

fn crate_info(dir: &Path, manifest: &Manifest) -> Result<CrateInfo, ProjectError> {
    let name = manifest.package.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    let mut binaries: Vec<Binary> = Vec::new();
    for bin in &manifest.bin {
        let bin_name = bin.name.clone().unwrap_or_else(|| name.clone());
        let entry = match &bin.path {
            Some(path) => PathBuf::from(path),
            None if bin_name == name => PathBuf::from("src/main.rs"),
            None => PathBuf::from(format!("src/bin/{bin_name}.rs")),
        };
        binaries.push(Binary { name: bin_name, entry });
    }
    // Sets of what is taken: a crate with thousands of binaries stays linear.
    let mut entries: HashSet<PathBuf> = binaries.iter().map(|b| b.entry.clone()).collect();
    let mut names: HashSet<String> = binaries.iter().map(|b| b.name.clone()).collect();
    let mut push = |binary: Binary| {
        if !entries.contains(&binary.entry) && !names.contains(&binary.name) {
            entries.insert(binary.entry.clone());
            names.insert(binary.name.clone());
            binaries.push(binary);
        }
    };
    if dir.join("src/main.rs").is_file() {
        push(Binary { name: name.clone(), entry: PathBuf::from("src/main.rs") });
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("src/bin")) {
        let mut found: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        found.sort();
        for path in found {
            let (stem, entry) = if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
                (path.file_stem(), path.clone())
            } else if path.join("main.rs").is_file() {
                (path.file_name(), path.join("main.rs"))
            } else {
                continue;
            };
            let Some(stem) = stem.map(|s| s.to_string_lossy().into_owned()) else { continue };
            let entry = entry.strip_prefix(dir).map(Path::to_path_buf).unwrap_or(entry);
            push(Binary { name: stem, entry });
        }
    }
    let path_dependencies = manifest
        .dependencies
        .values()
        .filter_map(|dep| dep.get("path")?.as_str().map(|p| dir.join(p)))
        .collect();
    let mut sdk_crates: Vec<String> = manifest
        .dependencies
        .iter()
        .map(|(key, dep)| dep.get("package").and_then(|p| p.as_str()).unwrap_or(key).to_owned())
        .filter(|name| name.starts_with("aws-sdk-"))
        .collect();
    sdk_crates.sort();
    Ok(CrateInfo { name, dir: dir.to_path_buf(), binaries, path_dependencies, sdk_crates })
}
