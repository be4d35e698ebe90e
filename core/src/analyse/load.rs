//! The one place a crate's sources are loaded: its library and binaries and its path
//! dependencies (transitively). The attribute, `check`, `synth` and `infer` all load through here
//! (`pipeline::load_sources`), so they see the same code; the attribute adds the handler's own
//! file when it lies outside `src/` (an example, a test).

use std::path::{Path, PathBuf};

use super::sources::{CrateRoot, CrateSources};
use crate::project::{self, CrateInfo};

/// The packages of leastpriv itself, never analysed as the user's code.
const TOOL_CRATES: [&str; 4] = ["leastpriv", "leastpriv-macros", "leastpriv-core", "leastpriv-cli"];

/// The module key of a binary's crate root (`products@get-product`).
pub fn binary_key(info: &CrateInfo, binary: &str) -> String {
    format!("{}@{binary}", info.lib_name)
}

/// Loads a crate and its path dependencies. `has_lines`: whether parsed spans carry the files'
/// lines (true unless tokens are the compiler's, which text parsed in a proc macro gets).
pub fn load_crate(info: &CrateInfo, has_lines: bool) -> CrateSources {
    let mut sources = CrateSources::default();
    for (name, krate) in &info.sdk_aliases {
        sources.sdk_aliases.insert(name.clone(), krate.clone());
    }
    let mut loaded: Vec<PathBuf> = Vec::new();
    add_crate(&mut sources, info, &info.dir, has_lines, true, &mut loaded);
    sources
}

fn add_crate(
    sources: &mut CrateSources,
    info: &CrateInfo,
    display_root: &Path,
    has_lines: bool,
    with_bins: bool,
    loaded: &mut Vec<PathBuf>,
) {
    let dir = crate::observe::canonicalize(&info.dir).unwrap_or_else(|| info.dir.clone());
    if loaded.contains(&dir) {
        return;
    }
    sources.watched.push(dir.join("Cargo.toml"));
    loaded.push(dir);
    let mut roots = Vec::new();
    if let Some(lib) = &info.lib {
        roots.push(CrateRoot {
            key: info.lib_name.clone(),
            file: info.dir.join(lib),
            is_lib: true,
        });
    }
    if with_bins {
        for binary in &info.binaries {
            roots.push(CrateRoot {
                key: binary_key(info, &binary.name),
                file: info.dir.join(&binary.entry),
                is_lib: false,
            });
        }
    }
    // Binaries name the library by its name in code.
    if info.lib.is_some() {
        sources.externs.insert(info.lib_name.clone(), info.lib_name.clone());
    }
    sources.load_roots(display_root, &info.dir.join("src"), &roots, has_lines);
    for dep in &info.path_dependencies {
        match project::discover_crate(&dep.dir) {
            // leastpriv's own crates (a path dependency in this repository's examples and in
            // workspaces that vendor it) are the tool, not the function's code: they make no
            // SDK calls and only slow every expansion down.
            Ok(dep_info) if TOOL_CRATES.contains(&dep_info.name.as_str()) => {}
            Ok(dep_info) => {
                sources.externs.insert(dep.code_name.clone(), dep_info.lib_name.clone());
                for (name, krate) in &dep_info.sdk_aliases {
                    sources.sdk_aliases.entry(name.clone()).or_insert_with(|| krate.clone());
                }
                // A dependency's files are shown by their own path: they are not under the
                // analysed crate's directory.
                add_crate(sources, &dep_info, Path::new(""), has_lines, false, loaded);
            }
            Err(err) => sources.errors.push((dep.dir.join("Cargo.toml"), err.to_string())),
        }
    }
}
