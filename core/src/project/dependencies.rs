//! A package's dependencies that matter to the analysis: path dependencies (whose sources it reads)
//! and aws-sdk crates (whose clients it recognises), with renames and workspace inheritance.

use std::collections::BTreeMap;
use std::path::Path;

use super::manifest::Manifest;
use super::workspace::WorkspaceRoot;
use super::{PathDependency, ProjectError, normalize};

/// What [`resolve`] finds.
pub(super) struct Resolved {
    pub(super) path_dependencies: Vec<PathDependency>,
    pub(super) sdk_crates: Vec<String>,
    pub(super) sdk_aliases: BTreeMap<String, String>,
}

/// The path dependencies and aws-sdk dependencies of the package in `dir` among its linked
/// dependencies (`[dependencies]` and `[target.….dependencies]`). A `{ workspace = true }` entry
/// takes `package` and `path` from the workspace root's `[workspace.dependencies]` (`root`, or
/// the root found above `dir`); a path there is relative to the root. Without any workspace root
/// above (a member copied out of its workspace), such an entry counts by its key, without a path.
pub(super) fn resolve(
    dir: &Path,
    manifest: &Manifest,
    root: Option<&WorkspaceRoot>,
) -> Result<Resolved, ProjectError> {
    let mut found_root: Option<Option<WorkspaceRoot>> = None;
    let mut resolved = Resolved {
        path_dependencies: Vec::new(),
        sdk_crates: Vec::new(),
        sdk_aliases: BTreeMap::new(),
    };
    for (key, value) in manifest.linked_dependencies() {
        let inherited = value.get("workspace").and_then(toml::Value::as_bool) == Some(true);
        let (declared, base) = if inherited {
            if root.is_none() && found_root.is_none() {
                found_root = Some(WorkspaceRoot::find(dir, manifest)?);
            }
            let root = root.or(found_root.as_ref().and_then(Option::as_ref));
            match root {
                Some(root) => {
                    let Some(declared) = root.dependency(key) else {
                        let (manifest_path, root_manifest) =
                            (dir.join("Cargo.toml"), root.manifest_path());
                        return Err(ProjectError::uninherited(&manifest_path, key, &root_manifest));
                    };
                    (declared, root.dir.as_path())
                }
                // A member copied out of its workspace (Cargo cannot build it either): the
                // dependency is taken by its key, with no path, rather than refusing the crate.
                None => (value, dir),
            }
        } else {
            (value, dir)
        };
        let renamed = declared.get("package").and_then(toml::Value::as_str);
        let package = renamed.unwrap_or(key);
        let key_code_name = key.replace('-', "_");
        if package.starts_with("aws-sdk-") {
            resolved.sdk_aliases.insert(key_code_name.clone(), package.to_owned());
            resolved.sdk_crates.push(package.to_owned());
        }
        if let Some(path) = declared.get("path").and_then(toml::Value::as_str) {
            let dep_dir = normalize(&base.join(path));
            let code_name = match renamed {
                Some(_) => key_code_name,
                None => library_name(&dep_dir).unwrap_or(key_code_name),
            };
            let dep = PathDependency { code_name, dir: dep_dir };
            if !resolved.path_dependencies.contains(&dep) {
                resolved.path_dependencies.push(dep);
            }
        }
    }
    resolved.sdk_crates.sort();
    resolved.sdk_crates.dedup();
    Ok(resolved)
}

/// The library name of the package in `dir` (its `[lib] name`, else its package name with `-` as
/// `_`), when its manifest can be read; reading errors surface when the dependency itself is
/// discovered.
fn library_name(dir: &Path) -> Option<String> {
    let manifest = Manifest::read(&dir.join("Cargo.toml")).ok()?;
    let package = manifest.package.as_ref()?;
    Some(super::targets::lib_name(&manifest, &package.name))
}
