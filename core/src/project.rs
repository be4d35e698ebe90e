//! Finding crates and binaries: a path (a package, a workspace, or a folder of crates) → its crates
//! → each crate's library, binaries, path dependencies and aws-sdk dependencies.
//!
//! Discovery follows Cargo's own rules where Cargo has them (workspace roots, glob members,
//! `exclude`, `{ workspace = true }` dependencies, target auto-discovery, `autobins`), and
//! cargo-lambda's and SAM's habit of building every crate below a folder where Cargo has none.

mod dependencies;
mod manifest;
mod targets;
#[cfg(test)]
mod tests;
mod walk;
mod workspace;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use manifest::Manifest;
use workspace::WorkspaceRoot;

/// One crate (package) of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateInfo {
    /// The package name.
    pub name: String,
    /// The crate's directory.
    pub dir: PathBuf,
    /// The library's root file relative to `dir` (`[lib] path`, else `src/lib.rs` when it exists);
    /// `None` when the package has no library.
    pub lib: Option<PathBuf>,
    /// The library's name in code (`[lib] name`, else the package name with `-` as `_`).
    pub lib_name: String,
    /// Its binaries (each one a Lambda function).
    pub binaries: Vec<Binary>,
    /// Its direct path dependencies (normal and target-specific, not dev- or build-dependencies),
    /// including those inherited from `[workspace.dependencies]`.
    pub path_dependencies: Vec<PathDependency>,
    /// The aws-sdk-* packages it depends on (`aws-sdk-s3`), sorted, renamed ones included.
    pub sdk_crates: Vec<String>,
    /// For every aws-sdk dependency, the name code uses → the package: `aws_sdk_s3` →
    /// `aws-sdk-s3`, and for `ddb = { package = "aws-sdk-dynamodb" }`, `ddb` → `aws-sdk-dynamodb`.
    pub sdk_aliases: BTreeMap<String, String>,
}

/// A dependency given by `path` (directly or through `[workspace.dependencies]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathDependency {
    /// The name code uses for it in `use` paths: the dependency key with `-` as `_` when it is
    /// renamed (`package = …`), else the dependency's library name (its `[lib] name` when it has
    /// one, which is the key with `-` as `_` in the usual case).
    pub code_name: String,
    /// The dependency's directory: the depending manifest's directory (or the workspace root's, for
    /// an inherited one) joined with `path`, with `.` and `..` resolved lexically as Cargo does.
    pub dir: PathBuf,
}

/// One binary target: one Lambda function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    /// The binary's name.
    pub name: String,
    /// Its root source file, relative to the crate's directory.
    pub entry: PathBuf,
}

/// A project that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectError {
    /// The file or directory.
    pub path: PathBuf,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl fmt::Display for ProjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for ProjectError {}

/// The messages of every kind of [`ProjectError`], in one place.
impl ProjectError {
    fn new(path: &Path, message: String) -> Self {
        ProjectError { path: path.to_path_buf(), message }
    }

    fn missing(path: &Path) -> Self {
        Self::new(
            path,
            "does not exist; give a crate directory or its Cargo.toml, a workspace, or a folder \
             that contains crates"
                .to_owned(),
        )
    }

    fn unreadable(path: &Path, err: &std::io::Error) -> Self {
        Self::new(
            path,
            format!(
                "cannot read: {err}; give a crate directory or its Cargo.toml, a workspace, or a \
                 folder that contains crates"
            ),
        )
    }

    fn invalid_manifest(path: &Path, err: &toml::de::Error) -> Self {
        let err = err.to_string();
        let err = err.trim_end();
        Self::new(
            path,
            format!(
                "invalid Cargo.toml: {err}; fix the file (`cargo metadata` shows Cargo's view)"
            ),
        )
    }

    fn nothing_declared(path: &Path) -> Self {
        Self::new(
            path,
            "has neither `[package]` nor `[workspace]`; give a package's or a workspace's \
             Cargo.toml"
                .to_owned(),
        )
    }

    fn not_a_package(path: &Path) -> Self {
        Self::new(
            path,
            "is a virtual workspace manifest, not a package; give one of its members' \
             directories"
                .to_owned(),
        )
    }

    fn no_members(path: &Path) -> Self {
        Self::new(
            path,
            "is a workspace without member packages; list them in `[workspace] members` or give a \
             crate's directory"
                .to_owned(),
        )
    }

    fn missing_member(manifest: &Path, member: &str, dir: &Path) -> Self {
        Self::new(
            manifest,
            format!(
                "workspace member `{member}` has no Cargo.toml at {}; fix `[workspace] members` \
                 or add the crate",
                dir.join("Cargo.toml").display()
            ),
        )
    }

    fn no_crates(folder: &Path, searched: usize, manifests: usize) -> Self {
        let found = match manifests {
            0 => "no Cargo.toml found".to_owned(),
            n => format!(
                "no crate found ({n} Cargo.toml found, none a package or a workspace with members \
                 that Cargo would build)"
            ),
        };
        Self::new(
            folder,
            format!(
                "{found} in or below {} (searched {searched} folders up to {} levels deep, \
                 skipping {} and hidden folders); give a crate, a workspace, or a folder that \
                 contains crates",
                folder.display(),
                walk::MAX_DEPTH,
                walk::SKIPPED.map(|s| format!("{s}/")).join(", "),
            ),
        )
    }

    /// The same error, met while searching a folder: the user can also search elsewhere.
    fn while_searching(mut self) -> Self {
        self.message.push_str(
            " (found while searching a folder for crates: give a folder below or beside it to \
             leave it out)",
        );
        self
    }

    fn uninherited(manifest: &Path, key: &str, root_manifest: &Path) -> Self {
        Self::new(
            manifest,
            format!(
                "dependency `{key}` says `workspace = true`, but the workspace root {} has no \
                 `[workspace.dependencies] {key}`; add it there, or give the dependency its own \
                 version or path",
                root_manifest.display()
            ),
        )
    }
}

/// The crates at `path`:
/// - a package's directory or its `Cargo.toml` → that package;
/// - a workspace root → its own package (if any), then every member (globs expanded, `exclude`
///   honoured, path dependencies inside the root joined as Cargo does);
/// - a folder without a `Cargo.toml` → every crate below it, found as cargo-lambda and SAM would:
///   a workspace contributes its members, any other package is taken on its own; `target/`,
///   `node_modules/`, `cdk.out/`, `.aws-sam/` and hidden folders are skipped, symbolic links are
///   followed but never into a folder already searched, and the walk stops 8 levels down.
///
/// Crates come in a stable order (members as listed, globs and folders sorted), each once.
pub fn discover(path: &Path) -> Result<Vec<CrateInfo>, ProjectError> {
    let is_dir = match crate::observe::kind(path) {
        crate::observe::Kind::Missing => return Err(ProjectError::missing(path)),
        kind => kind == crate::observe::Kind::Dir,
    };
    if is_dir && !crate::observe::is_file(&path.join("Cargo.toml")) {
        return walk::discover_folder(path);
    }
    let manifest_path = if is_dir { path.join("Cargo.toml") } else { path.to_path_buf() };
    let dir = parent_dir(&manifest_path);
    let manifest = Manifest::read(&manifest_path)?;
    if manifest.workspace.is_some() {
        let crates = WorkspaceRoot::new(&dir, manifest).crates(&manifest_path)?;
        if crates.is_empty() {
            return Err(ProjectError::no_members(&manifest_path));
        }
        return Ok(crates);
    }
    if manifest.package.is_none() {
        return Err(ProjectError::nothing_declared(&manifest_path));
    }
    Ok(vec![crate_info(&dir, &manifest, None)?])
}

/// The one package in `dir` (its library, binaries and dependencies), with `{ workspace = true }`
/// dependencies resolved against the workspace root above it.
pub fn discover_crate(dir: &Path) -> Result<CrateInfo, ProjectError> {
    let manifest_path = dir.join("Cargo.toml");
    let manifest = Manifest::read(&manifest_path)?;
    if manifest.package.is_none() {
        return Err(if manifest.workspace.is_some() {
            ProjectError::not_a_package(&manifest_path)
        } else {
            ProjectError::nothing_declared(&manifest_path)
        });
    }
    crate_info(dir, &manifest, None)
}

/// The crate in `dir` described by `manifest`; `root` is its workspace root when the caller knows
/// it (else it is looked for above `dir` when a dependency needs it).
fn crate_info(
    dir: &Path,
    manifest: &Manifest,
    root: Option<&WorkspaceRoot>,
) -> Result<CrateInfo, ProjectError> {
    let name = manifest.package.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    let deps = dependencies::resolve(dir, manifest, root)?;
    Ok(CrateInfo {
        lib: targets::lib(dir, manifest),
        lib_name: targets::lib_name(manifest, &name),
        binaries: targets::binaries(dir, manifest, &name),
        path_dependencies: deps.path_dependencies,
        sdk_crates: deps.sdk_crates,
        sdk_aliases: deps.sdk_aliases,
        name,
        dir: dir.to_path_buf(),
    })
}

/// The directory a manifest is in (`.` for a bare `Cargo.toml`).
fn parent_dir(manifest_path: &Path) -> PathBuf {
    match manifest_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `a/b/../c/./d` → `a/c/d` without touching the file system, as Cargo normalises path
/// dependencies; leading `..` of a relative path stay; an empty result is `.`.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                match last {
                    Some(Component::Normal(_)) => {
                        out.pop();
                    }
                    Some(Component::RootDir | Component::Prefix(_)) => {}
                    _ => out.push(".."),
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// `path` made absolute against the current directory (lexically, symlinks kept), for walking up
/// its ancestors.
fn absolute(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}
