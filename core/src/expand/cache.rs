//! Work the attribute does once per compiler process, not once per expansion: a crate's parsed
//! sources (kept while no file, manifest or listed directory changes) and the files already
//! reported to cargo.
//!
//! The tokens kept here are proc-macro2's own (the attribute parses in its fallback mode), so
//! they outlive one expansion; they are not `Send`, hence one cache per thread.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};

use crate::analyse::CrateSources;
use crate::observe::{self, Observation, Stamp, stamp};

struct Loaded {
    sources: CrateSources,
    /// How many files the crate's own loading gave; later ones came with handler files outside
    /// `src/` (an example, a test).
    base: usize,
    stamps: Vec<(PathBuf, Stamp)>,
    /// Every answer the file system gave while these sources were loaded and used.
    observations: BTreeSet<Observation>,
}

impl Loaded {
    fn new(sources: CrateSources, base: usize, observations: BTreeSet<Observation>) -> Self {
        let paths = sources
            .files
            .iter()
            .map(|f| f.path.clone())
            .chain(sources.errors.iter().map(|(p, _)| p.clone()))
            .chain(sources.watched.iter().cloned());
        let stamps = paths.map(|p| (stamp(&p), p)).map(|(s, p)| (p, s)).collect();
        Self { sources, base, stamps, observations }
    }

    fn is_fresh(&self) -> bool {
        self.stamps.iter().all(|(path, was)| stamp(path) == *was)
    }
}

thread_local! {
    static CRATES: RefCell<HashMap<PathBuf, Loaded>> = RefCell::new(HashMap::new());
    /// Hashed with the cheap digest: std's SipHash is slow in an unoptimised proc macro.
    static REPORTED: RefCell<HashSet<PathBuf, BuildHasherDefault<observe::Digest>>> =
        RefCell::new(HashSet::default());
    /// The list of files last reported.
    static LAST_REPORTED: RefCell<Vec<PathBuf>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on the sources of the crate at `dir`, loading them only when this thread has not
/// loaded them yet or a file they came from changed since. `f` may add files (a handler outside
/// `src/`); they are kept and watched like the rest.
pub(crate) fn with_sources<R>(dir: &Path, f: impl FnOnce(&mut CrateSources) -> R) -> R {
    with_sources_observed(dir, |sources, _| f(sources)).0
}

/// [`with_sources`], also returning every answer the file system gave for these sources, from
/// their loading to the end of `f` (what an expansion made from them depends on). `f` is also
/// told how many of the files the crate's own loading gave (the others came with handler files
/// outside `src/`).
pub(crate) fn with_sources_observed<R>(
    dir: &Path,
    f: impl FnOnce(&mut CrateSources, usize) -> R,
) -> (R, BTreeSet<Observation>) {
    CRATES.with(|crates| {
        let mut crates = crates.borrow_mut();
        if !crates.get(dir).is_some_and(Loaded::is_fresh) {
            crates.remove(dir);
        }
        let loaded = crates.entry(dir.to_path_buf()).or_insert_with(|| {
            let (sources, seen) = observe::recording(|| crate::pipeline::load_sources(dir, true));
            let base = sources.files.len();
            Loaded::new(sources, base, seen.into_iter().collect())
        });
        let files = loaded.sources.files.len();
        let base = loaded.base;
        let (out, seen) = observe::recording(|| f(&mut loaded.sources, base));
        loaded.observations.extend(seen);
        if loaded.sources.files.len() != files {
            let observations = std::mem::take(&mut loaded.observations);
            *loaded = Loaded::new(std::mem::take(&mut loaded.sources), base, observations);
        }
        (out, loaded.observations.clone())
    })
}

/// The paths among `paths` this thread has not returned before: the compiler needs to be told
/// about each file once to re-run the crate's expansions when it changes.
pub(crate) fn not_yet_reported(paths: impl Iterator<Item = PathBuf>) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = paths.collect();
    // Handlers of one crate report the same files: a list equal to the last one is done
    // (comparing is cheap; hashing paths in an unoptimised macro is not).
    let repeated = LAST_REPORTED.with(|last| *last.borrow() == paths);
    if repeated {
        return Vec::new();
    }
    LAST_REPORTED.with(|last| last.borrow_mut().clone_from(&paths));
    let paths = paths.into_iter();
    REPORTED.with(|reported| {
        let mut reported = reported.borrow_mut();
        paths.filter(|p| reported.insert(p.clone())).collect()
    })
}
