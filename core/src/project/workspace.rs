//! Workspaces: a root's members (globs, `exclude`, path dependencies inside the root), and the root
//! a member belongs to.

use std::collections::{HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};

use super::manifest::{Manifest, Workspace};
use super::{CrateInfo, ProjectError, absolute, crate_info, normalize, parent_dir};

/// A workspace root: its directory (as given, relative or absolute) and its manifest.
#[derive(Debug, Clone)]
pub(super) struct WorkspaceRoot {
    pub(super) dir: PathBuf,
    manifest: Manifest,
    /// `dir` made absolute, for comparing paths.
    absolute: PathBuf,
}

impl WorkspaceRoot {
    /// The root in `dir`, whose manifest has `[workspace]`.
    pub(super) fn new(dir: &Path, manifest: Manifest) -> Self {
        WorkspaceRoot { dir: dir.to_path_buf(), absolute: absolute(dir), manifest }
    }

    fn workspace(&self) -> Option<&Workspace> {
        self.manifest.workspace.as_ref()
    }

    /// The root's manifest file.
    pub(super) fn manifest_path(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }

    /// `[workspace.dependencies] KEY`.
    pub(super) fn dependency(&self, key: &str) -> Option<&toml::Value> {
        self.workspace()?.dependencies.get(key)
    }

    /// The root's own package (if any), then its members in the order `members` lists them (a
    /// glob's matches sorted), then path dependencies inside the root that are not members yet
    /// (Cargo makes them members too); each crate once. Empty for a virtual workspace without
    /// members.
    pub(super) fn crates(&self, manifest_path: &Path) -> Result<Vec<CrateInfo>, ProjectError> {
        let mut crates = Vec::new();
        let mut taken: HashSet<PathBuf> = HashSet::new();
        let mut queue: VecDeque<PathBuf> = VecDeque::new();
        if self.manifest.package.is_some() {
            taken.insert(identity(&self.dir));
            let info = crate_info(&self.dir, &self.manifest, Some(self))?;
            self.queue_path_dependencies(&info, &mut queue);
            crates.push(info);
        }
        let members = self.member_dirs(manifest_path)?;
        // Members first, in their order; then implicit members.
        for dir in members.into_iter().rev() {
            queue.push_front(dir);
        }
        while let Some(dir) = queue.pop_front() {
            if !taken.insert(identity(&dir)) {
                continue;
            }
            let manifest = Manifest::read(&dir.join("Cargo.toml"))?;
            if manifest.package.is_none() {
                continue;
            }
            let info = crate_info(&dir, &manifest, Some(self))?;
            self.queue_path_dependencies(&info, &mut queue);
            crates.push(info);
        }
        Ok(crates)
    }

    /// Queues the path dependencies of `info` that are inside the root and not excluded.
    fn queue_path_dependencies(&self, info: &CrateInfo, queue: &mut VecDeque<PathBuf>) {
        for dep in &info.path_dependencies {
            let inside = absolute(&dep.dir).starts_with(&self.absolute);
            if inside
                && !self.is_excluded(&dep.dir)
                && crate::observe::is_file(&dep.dir.join("Cargo.toml"))
            {
                queue.push_back(dep.dir.clone());
            }
        }
    }

    /// The member directories `members` names, in order, `exclude`d ones left out (an explicit
    /// member wins over `exclude`, as in Cargo). A glob takes the matching folders that have a
    /// `Cargo.toml`; an explicit member without one is an error.
    fn member_dirs(&self, manifest_path: &Path) -> Result<Vec<PathBuf>, ProjectError> {
        let Some(ws) = self.workspace() else { return Ok(Vec::new()) };
        let mut dirs = Vec::new();
        for member in &ws.members {
            if is_glob(member) {
                for dir in expand_glob(&self.dir, member) {
                    if crate::observe::is_file(&dir.join("Cargo.toml")) && !self.is_excluded(&dir) {
                        dirs.push(dir);
                    }
                }
            } else {
                let dir = normalize(&self.dir.join(member));
                if !crate::observe::is_file(&dir.join("Cargo.toml")) {
                    return Err(ProjectError::missing_member(manifest_path, member, &dir));
                }
                dirs.push(dir);
            }
        }
        Ok(dirs)
    }

    /// Whether `dir` is excluded: it is under an `exclude` path or matches an `exclude` glob, and
    /// no explicit (non-glob) member names it.
    pub(super) fn is_excluded(&self, dir: &Path) -> bool {
        let Some(ws) = self.workspace() else { return false };
        let Some(rel) = self.relative(dir) else { return false };
        let excluded = ws.exclude.iter().any(|ex| {
            if is_glob(ex) {
                glob_matches_path(ex, &rel)
            } else {
                rel.starts_with(normalize(Path::new(ex)))
            }
        });
        excluded && !ws.members.iter().any(|m| !is_glob(m) && normalize(Path::new(m)) == rel)
    }

    /// Whether `members` lists or globs `dir` (or `dir` is the root itself) and `exclude` does not
    /// take it out.
    fn claims(&self, dir: &Path) -> bool {
        let Some(rel) = self.relative(dir) else { return false };
        if rel == Path::new(".") {
            return true;
        }
        let Some(ws) = self.workspace() else { return false };
        let listed = ws.members.iter().any(|m| {
            if is_glob(m) { glob_matches_path(m, &rel) } else { normalize(Path::new(m)) == rel }
        });
        listed && !self.is_excluded(dir)
    }

    /// When `dir` is inside the root's folder: how deep the root is (the nearest enclosing root
    /// has the largest).
    pub(super) fn encloses(&self, dir: &Path) -> Option<usize> {
        absolute(dir).starts_with(&self.absolute).then(|| self.absolute.components().count())
    }

    /// `dir` relative to the root (`.` for the root), if it is inside it.
    fn relative(&self, dir: &Path) -> Option<PathBuf> {
        let rel = absolute(dir).strip_prefix(&self.absolute).ok()?.to_path_buf();
        Some(normalize(&rel))
    }

    /// The workspace root of the package in `dir` whose manifest is `manifest`: the root its
    /// `package.workspace` names, else the nearest folder at or above `dir` whose `[workspace]`
    /// lists or globs it; failing that, the nearest whose `[workspace]` does not exclude it (where
    /// Cargo looks, e.g. for a path dependency that is a member implicitly). `None` when no
    /// `Cargo.toml` up to the file system's root has a `[workspace]` that would take it.
    pub(super) fn find(dir: &Path, manifest: &Manifest) -> Result<Option<Self>, ProjectError> {
        let explicit = manifest.package.as_ref().and_then(|p| p.workspace.as_ref());
        if let Some(root) = explicit {
            let root_dir = normalize(&dir.join(root));
            let root_manifest = Manifest::read(&root_dir.join("Cargo.toml"))?;
            return Ok(Some(WorkspaceRoot::new(&root_dir, root_manifest)));
        }
        if manifest.workspace.is_some() {
            return Ok(Some(WorkspaceRoot::new(dir, manifest.clone())));
        }
        let mut fallback = None;
        for ancestor in absolute(dir).ancestors().skip(1) {
            let path = ancestor.join("Cargo.toml");
            if !crate::observe::is_file(&path) {
                continue;
            }
            let ancestor_manifest = Manifest::read(&path)?;
            if ancestor_manifest.workspace.is_none() {
                continue;
            }
            let root = WorkspaceRoot::new(&parent_dir(&path), ancestor_manifest);
            if root.claims(dir) {
                return Ok(Some(root));
            }
            if fallback.is_none() && !root.is_excluded(dir) {
                fallback = Some(root);
            }
        }
        Ok(fallback)
    }
}

/// A key for "the same directory": its canonical path, or its absolute path when it has none.
pub(super) fn identity(dir: &Path) -> PathBuf {
    crate::observe::canonicalize(dir).unwrap_or_else(|| absolute(dir))
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// The segments of a pattern or relative path: `./crates/*/` → `crates`, `*`.
fn segments(pattern: &str) -> Vec<&str> {
    pattern.split(['/', '\\']).filter(|s| !s.is_empty() && *s != ".").collect()
}

/// The folders below `root` that `pattern` (`lambdas/*`, `crates/*/`, `functions/*-fn`,
/// `a/**/b`) matches, sorted at each level, normalised and joined to `root`.
fn expand_glob(root: &Path, pattern: &str) -> Vec<PathBuf> {
    let mut current = vec![root.to_path_buf()];
    for segment in segments(pattern) {
        let mut next = Vec::new();
        for dir in &current {
            if segment == "**" {
                descendants(dir, 0, &mut next);
            } else if segment == ".." || !is_glob(segment) {
                let joined = dir.join(segment);
                if crate::observe::is_dir(&joined) {
                    next.push(joined);
                }
            } else {
                for name in sorted_subdirs(dir) {
                    if glob_matches(segment, &name) {
                        next.push(dir.join(name));
                    }
                }
            }
        }
        current = next;
    }
    let mut seen = HashSet::new();
    current.into_iter().map(|d| normalize(&d)).filter(|d| seen.insert(d.clone())).collect()
}

/// `dir` and every folder below it (not through symbolic links, so no loops), depth-bounded.
fn descendants(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    if depth >= super::walk::MAX_DEPTH {
        return;
    }
    for name in sorted_subdirs(dir) {
        let child = dir.join(&name);
        let is_link = crate::observe::is_symlink(&child);
        if !is_link {
            descendants(&child, depth + 1, out);
        }
    }
}

/// The names of the folders in `dir`, sorted.
pub(super) fn sorted_subdirs(dir: &Path) -> Vec<String> {
    let Some(entries) = crate::observe::entry_names(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .iter()
        .filter(|name| crate::observe::is_dir(&dir.join(name)))
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Whether the relative path `rel` matches `pattern` as a whole, segment by segment (`**` is any
/// number of segments).
fn glob_matches_path(pattern: &str, rel: &Path) -> bool {
    let names: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    segments_match(&segments(pattern), &names)
}

fn segments_match(pattern: &[&str], names: &[&str]) -> bool {
    match (pattern.split_first(), names.split_first()) {
        (None, None) => true,
        (Some((&"**", rest)), _) => {
            (0..=names.len()).any(|skip| segments_match(rest, names.get(skip..).unwrap_or(&[])))
        }
        (Some((p, prest)), Some((n, nrest))) => glob_matches(p, n) && segments_match(prest, nrest),
        _ => false,
    }
}

/// Whether one path segment `name` matches the glob segment `pattern`: `*` (any run), `?` (one
/// character), `[abc]`, `[a-z]`, `[!abc]`; anything else literally.
pub(super) fn glob_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    matches_from(&pattern, &name)
}

fn matches_from(pattern: &[char], name: &[char]) -> bool {
    let Some((&first, rest)) = pattern.split_first() else { return name.is_empty() };
    match first {
        '*' => (0..=name.len()).any(|skip| matches_from(rest, name.get(skip..).unwrap_or(&[]))),
        '?' => name.split_first().is_some_and(|(_, n)| matches_from(rest, n)),
        '[' => match (class_end(rest), name.split_first()) {
            (Some(end), Some((&c, n))) => {
                let (class, after) = rest.split_at(end);
                in_class(class, c) && matches_from(after.get(1..).unwrap_or(&[]), n)
            }
            (Some(_), None) => false,
            (None, _) => {
                name.split_first().is_some_and(|(&c, n)| c == '[' && matches_from(rest, n))
            }
        },
        literal => name.split_first().is_some_and(|(&c, n)| c == literal && matches_from(rest, n)),
    }
}

/// The index of the `]` closing a class that starts right after `[` (a `]` first is literal).
fn class_end(rest: &[char]) -> Option<usize> {
    let skip = usize::from(matches!(rest.first(), Some('!' | '^')));
    let start = skip + usize::from(rest.get(skip) == Some(&']'));
    rest.iter().skip(start).position(|&c| c == ']').map(|i| i + start)
}

fn in_class(class: &[char], c: char) -> bool {
    let (negated, items) = match class.split_first() {
        Some(('!' | '^', items)) => (true, items),
        _ => (false, class),
    };
    let mut found = false;
    let mut i = 0;
    while let Some(&lo) = items.get(i) {
        if items.get(i + 1) == Some(&'-')
            && let Some(&hi) = items.get(i + 2)
        {
            found |= lo <= c && c <= hi;
            i += 3;
        } else {
            found |= lo == c;
            i += 1;
        }
    }
    found != negated
}
