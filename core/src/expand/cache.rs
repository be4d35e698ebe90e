//! Work the attribute does once per compiler process, not once per expansion: a crate's parsed
//! sources (kept while no file, manifest or listed directory changes) and the files already
//! reported to cargo.
//!
//! The tokens kept here are proc-macro2's own (the attribute parses in its fallback mode), so
//! they outlive one expansion; they are not `Send`, hence one cache per thread.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::analyse::CrateSources;

/// A file's identity at load time: a later load with the same stamps reads the same text.
#[derive(Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: Option<u64>,
}

fn stamp(path: &Path) -> Stamp {
    match std::fs::metadata(path) {
        Ok(meta) => Stamp { modified: meta.modified().ok(), len: Some(meta.len()) },
        Err(_) => Stamp { modified: None, len: None },
    }
}

struct Loaded {
    sources: CrateSources,
    stamps: Vec<(PathBuf, Stamp)>,
}

impl Loaded {
    fn new(sources: CrateSources) -> Self {
        let paths = sources
            .files
            .iter()
            .map(|f| f.path.clone())
            .chain(sources.errors.iter().map(|(p, _)| p.clone()))
            .chain(sources.watched.iter().cloned());
        let stamps = paths.map(|p| (stamp(&p), p)).map(|(s, p)| (p, s)).collect();
        Self { sources, stamps }
    }

    fn is_fresh(&self) -> bool {
        self.stamps.iter().all(|(path, was)| stamp(path) == *was)
    }
}

thread_local! {
    static CRATES: RefCell<HashMap<PathBuf, Loaded>> = RefCell::new(HashMap::new());
    static REPORTED: RefCell<HashSet<PathBuf>> = RefCell::new(HashSet::new());
}

/// Runs `f` on the sources of the crate at `dir`, loading them only when this thread has not
/// loaded them yet or a file they came from changed since. `f` may add files (a handler outside
/// `src/`); they are kept and watched like the rest.
pub(crate) fn with_sources<R>(dir: &Path, f: impl FnOnce(&mut CrateSources) -> R) -> R {
    CRATES.with(|crates| {
        let mut crates = crates.borrow_mut();
        if !crates.get(dir).is_some_and(Loaded::is_fresh) {
            crates.remove(dir);
        }
        let loaded = crates
            .entry(dir.to_path_buf())
            .or_insert_with(|| Loaded::new(crate::pipeline::load_sources(dir, true)));
        let files = loaded.sources.files.len();
        let out = f(&mut loaded.sources);
        if loaded.sources.files.len() != files {
            *loaded = Loaded::new(std::mem::take(&mut loaded.sources));
        }
        out
    })
}

/// The paths among `paths` this thread has not returned before: the compiler needs to be told
/// about each file once to re-run the crate's expansions when it changes.
pub(crate) fn not_yet_reported(paths: impl Iterator<Item = PathBuf>) -> Vec<PathBuf> {
    REPORTED.with(|reported| {
        let mut reported = reported.borrow_mut();
        paths.filter(|p| reported.insert(p.clone())).collect()
    })
}
