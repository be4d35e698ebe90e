//! A package's library and binary targets, declared or auto-discovered as Cargo does.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::Binary;
use super::manifest::Manifest;

/// The library's root file relative to `dir`: `[lib] path`, else `src/lib.rs` when it exists
/// (not looked for when `autolib = false` and there is no `[lib]`).
pub(super) fn lib(dir: &Path, manifest: &Manifest) -> Option<PathBuf> {
    if let Some(path) = manifest.lib.as_ref().and_then(|l| l.path.as_ref()) {
        return Some(PathBuf::from(path));
    }
    let autolib = manifest.package.as_ref().and_then(|p| p.autolib) != Some(false);
    let default = PathBuf::from("src/lib.rs");
    ((manifest.lib.is_some() || autolib) && crate::observe::is_file(&dir.join(&default)))
        .then_some(default)
}

/// The library's name in code: `[lib] name`, else the package name with `-` as `_`.
pub(super) fn lib_name(manifest: &Manifest, package: &str) -> String {
    match manifest.lib.as_ref().and_then(|l| l.name.as_ref()) {
        Some(name) => name.clone(),
        None => package.replace('-', "_"),
    }
}

/// The binaries: every `[[bin]]` (its `path`, else the auto-discovered file of that name), then,
/// unless `autobins = false`, the auto-discovered ones not declared: `src/main.rs` (named after
/// the package), `src/bin/NAME.rs`, `src/bin/NAME/main.rs`. Entries are relative to `dir`.
pub(super) fn binaries(dir: &Path, manifest: &Manifest, package: &str) -> Vec<Binary> {
    let inferred = inferred_binaries(dir, package);
    let mut binaries: Vec<Binary> = Vec::new();
    for bin in &manifest.bin {
        let name = bin.name.clone().unwrap_or_else(|| package.to_owned());
        let entry = match &bin.path {
            Some(path) => PathBuf::from(path),
            None => inferred
                .iter()
                .find(|b| b.name == name)
                .map(|b| b.entry.clone())
                // What Cargo's "can't find bin" error points to.
                .unwrap_or_else(|| PathBuf::from(format!("src/bin/{name}.rs"))),
        };
        binaries.push(Binary { name, entry });
    }
    let autobins = manifest.package.as_ref().and_then(|p| p.autobins) != Some(false);
    if !autobins {
        return binaries;
    }
    // Sets of what is taken: a crate with thousands of binaries stays linear.
    let mut entries: HashSet<PathBuf> = binaries.iter().map(|b| b.entry.clone()).collect();
    let mut names: HashSet<String> = binaries.iter().map(|b| b.name.clone()).collect();
    for binary in inferred {
        if !entries.contains(&binary.entry) && !names.contains(&binary.name) {
            entries.insert(binary.entry.clone());
            names.insert(binary.name.clone());
            binaries.push(binary);
        }
    }
    binaries
}

/// The binaries Cargo finds by itself, sorted by file name under `src/bin`.
fn inferred_binaries(dir: &Path, package: &str) -> Vec<Binary> {
    let mut found = Vec::new();
    if crate::observe::is_file(&dir.join("src/main.rs")) {
        found.push(Binary { name: package.to_owned(), entry: PathBuf::from("src/main.rs") });
    }
    let Some(entries) = crate::observe::entry_names(&dir.join("src/bin")) else { return found };
    let mut names: Vec<String> = entries.iter().map(|e| e.to_string_lossy().into_owned()).collect();
    names.sort();
    for file_name in names {
        let path = dir.join("src/bin").join(&file_name);
        let binary = if let Some(stem) = file_name.strip_suffix(".rs")
            && crate::observe::is_file(&path)
        {
            Binary { name: stem.to_owned(), entry: PathBuf::from(format!("src/bin/{file_name}")) }
        } else if crate::observe::is_file(&path.join("main.rs")) {
            let entry = PathBuf::from(format!("src/bin/{file_name}/main.rs"));
            Binary { name: file_name, entry }
        } else {
            continue;
        };
        found.push(binary);
    }
    found
}
