//! Finding every crate below a folder that is neither a package nor a workspace (a CDK or SAM
//! project, a monorepo), as cargo-lambda and SAM would build them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::manifest::Manifest;
use super::workspace::{WorkspaceRoot, identity, sorted_subdirs};
use super::{CrateInfo, ProjectError, crate_info, normalize};

/// How many folder levels below the given folder are searched.
pub(super) const MAX_DEPTH: usize = 8;

/// Folders never searched (build outputs and dependencies of other tools), besides hidden ones
/// (`.git`, `.aws-sam`, `.serverless`).
pub(super) const SKIPPED: [&str; 4] = ["target", "node_modules", "cdk.out", ".aws-sam"];

/// Every crate in or below `folder`, in sorted folder order: a workspace contributes its own
/// package and its members (not taken again when the walk reaches them); a package outside every
/// workspace found (or excluded from it) is taken on its own; a package inside a found
/// workspace's folder that is not a member is left out, as Cargo refuses to build it.
pub(super) fn discover_folder(folder: &Path) -> Result<Vec<CrateInfo>, ProjectError> {
    let mut walk = Walk::default();
    walk.visit(folder, 0)?;
    if walk.crates.is_empty() {
        return Err(ProjectError::no_crates(folder, walk.searched, walk.manifests));
    }
    Ok(walk.crates)
}

#[derive(Default)]
struct Walk {
    crates: Vec<CrateInfo>,
    /// The crates taken, by [`identity`].
    taken: HashSet<PathBuf>,
    /// The workspace roots found so far.
    roots: Vec<WorkspaceRoot>,
    /// Folders searched, by [`identity`]: a symbolic link back up is not followed again.
    visited: HashSet<PathBuf>,
    searched: usize,
    manifests: usize,
}

impl Walk {
    fn visit(&mut self, dir: &Path, depth: usize) -> Result<(), ProjectError> {
        if !self.visited.insert(identity(dir)) {
            return Ok(());
        }
        self.searched += 1;
        let manifest_path = dir.join("Cargo.toml");
        if crate::observe::is_file(&manifest_path) {
            self.manifests += 1;
            self.take(dir, &manifest_path).map_err(ProjectError::while_searching)?;
        }
        if depth >= MAX_DEPTH {
            return Ok(());
        }
        for name in sorted_subdirs(dir) {
            if !name.starts_with('.') && !SKIPPED.contains(&name.as_str()) {
                self.visit(&normalize(&dir.join(name)), depth + 1)?;
            }
        }
        Ok(())
    }

    fn take(&mut self, dir: &Path, manifest_path: &Path) -> Result<(), ProjectError> {
        let manifest = Manifest::read(manifest_path)?;
        if manifest.workspace.is_some() {
            let root = WorkspaceRoot::new(dir, manifest);
            for info in root.crates(manifest_path)? {
                self.push(info);
            }
            self.roots.push(root);
            return Ok(());
        }
        if manifest.package.is_none() {
            return Ok(());
        }
        let enclosing = self.roots.iter().filter_map(|r| Some((r.encloses(dir)?, r)));
        if let Some((_, root)) = enclosing.max_by_key(|(depth, _)| *depth)
            && !root.is_excluded(dir)
        {
            return Ok(());
        }
        if !self.taken.contains(&identity(dir)) {
            let info = crate_info(dir, &manifest, None)?;
            self.push(info);
        }
        Ok(())
    }

    fn push(&mut self, info: CrateInfo) {
        if self.taken.insert(identity(&info.dir)) {
            self.crates.push(info);
        }
    }
}
