//! The attribute's expansions kept on disk between compiler processes, each served only while
//! every answer the file system gave when its crate was loaded still holds.
//!
//! Every `cargo check`, `cargo build`, `cargo test`, `cargo clippy` and rust-analyzer pass runs
//! the attribute again in a new process, most often on sources that did not change. An
//! expansion depends only on the engine that made it, the crate's folder, where the handler is,
//! and what the file system said while the crate was loaded ([`crate::observe`]: the contents of
//! every source file and manifest read, every probe for a module file, every folder listed, every
//! path resolved). So each expansion is saved under a *state*: the set of those answers, plus the
//! contents of every `Cargo.lock` above the crate (a dependency update starts over). A later
//! process replays a state's answers once (contents are compared by a digest keyed with the
//! cache folder's random secret, `seed`, so a touch that changes no byte keeps the state and
//! nobody who only writes sources can forge a match) and then serves every handler saved under
//! it without parsing anything.
//!
//! The engine is named by its build script's identity and, on Linux, by the path, size and time
//! of the library the process loaded it from (a rebuild for any reason is a new engine).
//! Expansions made while the process also held files of other handlers outside `src/` are not
//! saved (they may differ from what a process without those files makes).
//!
//! Layout, under the cache folder ([`default_dir`]): `seed`, then
//! `<engine, crate folder, guard flag>/<state digest>/deps` (the answers) and one file per
//! handler next to it. At most [`KEPT_STATES`] states are kept per crate besides the newest
//! [`KEPT_STATES`] the current process wrote, and a store unused for [`STALE_STORE`] (an
//! earlier engine's) is removed when a new store starts. Files are written to a temporary name
//! and renamed, so a reader never sees half of one; anything unreadable is a miss, never an
//! error.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use super::encoding::{Reader, Writer};
use super::{HandlerPosition, MacroContext};
use crate::observe::{self, Observation, Stamp, stamp};

/// How many states of one crate are kept besides those the current process wrote: enough for
/// the library, its tests and a few examples compiled side by side, each of which loads a
/// slightly different set of files.
const KEPT_STATES: usize = 32;

/// How many checked states a process remembers (each with its paths' stamps).
const REMEMBERED_CHECKS: usize = 4 * KEPT_STATES;

/// A crate's store unused for this long is removed when another store is created: every new
/// build of the engine (an upgrade, a dependency or feature change) starts new stores, and the
/// old ones would otherwise stay forever.
const STALE_STORE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// A store in use has its time set to now when it is older than this (once per process), so
/// that a store only ever read from is not taken for a stale one.
const REFRESH_STORE: Duration = Duration::from_secs(24 * 60 * 60);

/// The identity of this build of the engine (see `core/build.rs`).
const ENGINE_BUILD: &str = env!("LEASTPRIV_ENGINE_BUILD");

const DEPS_HEADER: &str = "leastpriv-deps 1\n";
const ENTRY_HEADER: &str = "leastpriv-entry 1\n";

/// One saved expansion: what [`super::expand_from_file`] hands the macro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Saved {
    /// The constant's text.
    pub(crate) role: String,
    /// Each error as the (line, column) of its first token in the handler's file, or `None`
    /// for the attribute itself, and its message.
    pub(crate) errors: Vec<(Option<(usize, usize)>, String)>,
    /// Every source file of the crate, for the compiler to watch.
    pub(crate) sources: Vec<PathBuf>,
}

/// The cache folder the attribute uses when nothing says otherwise: `LEASTPRIV_CACHE_DIR` when
/// set (`off` or empty: no cache), else `leastpriv-cache` in `CARGO_TARGET_DIR` (a relative one
/// only when the process's working folder shows it is cargo's: cargo runs the compiler in the
/// workspace's folder, and the user may have named it from another), else in the `target`
/// folder next to the nearest `Cargo.lock` above the crate, when that folder exists. `None`:
/// expansions are not kept.
pub fn default_dir(manifest_dir: &Path) -> Option<PathBuf> {
    let key: DirKey = (
        manifest_dir.to_path_buf(),
        std::env::var_os("LEASTPRIV_CACHE_DIR"),
        std::env::var_os("CARGO_TARGET_DIR"),
    );
    DEFAULT_DIRS.with(|dirs| {
        if let Some((_, known)) = dirs.borrow().iter().find(|(k, _)| *k == key) {
            return known.clone();
        }
        let dir = find_default_dir(
            manifest_dir,
            key.1.as_deref(),
            key.2.as_deref().map(Path::new),
            std::env::current_dir().ok().as_deref(),
        );
        dirs.borrow_mut().push((key, dir.clone()));
        dir
    })
}

/// [`default_dir`] from the two variables' values and the working folder.
fn find_default_dir(
    manifest_dir: &Path,
    cache_var: Option<&std::ffi::OsStr>,
    target_var: Option<&Path>,
    working_dir: Option<&Path>,
) -> Option<PathBuf> {
    if let Some(dir) = cache_var {
        if dir.is_empty() || dir == "off" {
            return None;
        }
        return Some(manifest_dir.join(dir));
    }
    if let Some(target) = target_var.filter(|t| !t.as_os_str().is_empty()) {
        if target.is_absolute() {
            return Some(target.join("leastpriv-cache"));
        }
        // Cargo marks every target folder it creates with this file.
        if let Some(target) = working_dir.map(|w| w.join(target))
            && target.join("CACHEDIR.TAG").is_file()
        {
            return Some(target.join("leastpriv-cache"));
        }
    }
    let root = manifest_dir.ancestors().find(|dir| dir.join("Cargo.lock").is_file())?;
    let target = root.join("target");
    target.is_dir().then(|| target.join("leastpriv-cache"))
}

/// Where one crate's states are kept, and the cache folder's secret for digests.
#[derive(Clone)]
struct Store {
    dir: PathBuf,
    seed: u64,
}

/// What this process knows of one state folder.
struct Checked {
    valid: bool,
    /// Each path the state asks about, with what `metadata` said when it was checked: in a
    /// long-lived process, the answer stands while none of them changes.
    stamps: Vec<(PathBuf, Stamp)>,
}

/// Whether this process is one compilation (rustc, clippy-driver, rustdoc): it reads the
/// crate's sources once, at its start, so an answer checked once holds for its whole life, as
/// the compiler's own reading does. Any other host (rust-analyzer's proc-macro server lives as
/// long as the editor) re-checks a state's stamps on every look-up, and lists the states again.
pub fn one_compilation() -> bool {
    static ONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ONE.get_or_init(|| {
        // The name the process was started as (a tool such as valgrind runs rustc under its own
        // executable), else the executable's.
        let named = std::env::args_os().next().map(PathBuf::from);
        let exe = std::env::current_exe().ok();
        [named, exe].iter().flatten().any(|path| {
            let stem = path.file_stem().and_then(|s| s.to_str());
            matches!(stem, Some("rustc" | "clippy-driver" | "rustdoc"))
        })
    })
}

// Per-process memories, searched by equality: a compiler process sees one crate, and hashing
// paths with std's SipHash in an unoptimised proc macro costs more than comparing a few.
thread_local! {
    static STORES: RefCell<Vec<(StoreKey, Store)>> = const { RefCell::new(Vec::new()) };
    static CHECKED: RefCell<Vec<(PathBuf, Checked)>> = const { RefCell::new(Vec::new()) };
    /// The state folders of each crate folder, listed once per compilation.
    static LISTED: RefCell<Vec<(PathBuf, Vec<PathBuf>)>> = const { RefCell::new(Vec::new()) };
    static DEFAULT_DIRS: RefCell<Vec<(DirKey, Option<PathBuf>)>> =
        const { RefCell::new(Vec::new()) };
    /// The newest [`KEPT_STATES`] states this process wrote: never removed by it. One
    /// compilation can write several (the answers grow as handlers of further files are
    /// expanded), and all are needed next time; a long-lived host writes one per edit, and only
    /// its recent ones are worth protecting.
    static WRITTEN: RefCell<Vec<PathBuf>> = const { RefCell::new(Vec::new()) };
    /// The answers about the Cargo.lock files above each crate folder, asked once.
    static LOCKS: RefCell<Vec<(PathBuf, Vec<Observation>)>> = const { RefCell::new(Vec::new()) };
}

/// What a crate's store depends on: the cache folder, the crate's folder, the guard flag.
type StoreKey = (PathBuf, PathBuf, bool);

/// What [`default_dir`] depends on.
type DirKey = (PathBuf, Option<std::ffi::OsString>, Option<std::ffi::OsString>);

/// This build of the engine: the identity `core/build.rs` gives it and, where the system says
/// (Linux's `/proc/self/maps`), the path, size and modification time of the library it was
/// loaded from, which change whenever anything it is linked from is rebuilt (a dependency, a
/// feature) even when the build script did not run again. `None` when that library was
/// replaced while loaded: this process then saves nothing.
fn engine_identity() -> Option<&'static str> {
    static IDENTITY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    IDENTITY
        .get_or_init(|| {
            let library = loaded_library()?;
            Some(format!("{ENGINE_BUILD}|{library}"))
        })
        .as_deref()
}

fn loaded_library() -> Option<String> {
    let here = loaded_library as fn() -> Option<String> as usize;
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        // Not Linux: the build script's identity and the Cargo.lock answers stand alone.
        return Some(String::new());
    };
    for line in maps.lines() {
        let Some((range, mut rest)) = line.split_once(' ') else { continue };
        let Some((low, high)) = range.split_once('-') else { continue };
        let (Ok(low), Ok(high)) = (usize::from_str_radix(low, 16), usize::from_str_radix(high, 16))
        else {
            continue;
        };
        if !(low..high).contains(&here) {
            continue;
        }
        // Permissions, offset, device and inode come before the path.
        for _ in 0..4 {
            rest = rest.trim_start().split_once(' ').map_or("", |(_, r)| r);
        }
        let path = rest.trim();
        if path.is_empty() || path.ends_with("(deleted)") {
            return None;
        }
        let meta = std::fs::metadata(path).ok()?;
        return Some(format!("{path}|{}|{:?}", meta.len(), meta.modified().ok()?));
    }
    Some(String::new())
}

/// The secret of the cache folder `root` (a random number kept in `root/seed`, made by the first
/// process that needs it), or `None` when it can be neither read nor made.
fn seed_of(root: &Path) -> Option<u64> {
    let path = root.join("seed");
    let read = || {
        let text = std::fs::read_to_string(&path).ok()?;
        u64::from_str_radix(text.trim(), 16).ok()
    };
    if let Some(seed) = read() {
        return Some(seed);
    }
    use std::hash::BuildHasher as _;
    let random = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
    std::fs::create_dir_all(root).ok()?;
    write_atomically(&path, &format!("{random:016x}\n"))?;
    // Two processes may race to make it: the one on disk wins.
    read()
}

/// Keys this thread's digests with the secret of the cache folder `cx` uses, before anything is
/// loaded or looked up.
pub(crate) fn prepare(cx: &MacroContext) {
    let _ = with_store(cx, |store| {
        observe::set_seed(store.seed);
        Some(())
    });
}

fn digest(value: impl Hash) -> String {
    let mut hasher = observe::Digest::default();
    value.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// Runs `f` with the store of the crate `cx` names, when it has a cache folder.
fn with_store<R>(cx: &MacroContext, f: impl FnOnce(&Store) -> Option<R>) -> Option<R> {
    let root = cx.disk_cache.as_ref()?;
    let manifest_dir = cx.manifest_dir.as_ref()?;
    let key = (root.clone(), manifest_dir.clone(), cx.guard_table);
    let known = STORES.with(|stores| {
        let stores = stores.borrow();
        stores.iter().find(|(k, _)| *k == key).map(|(_, store)| store.clone())
    });
    let store = match known {
        Some(store) => store,
        None => {
            let dir = root.join(digest((engine_identity()?, manifest_dir, cx.guard_table)));
            refresh_or_sweep(root, &dir);
            let store = Store { dir, seed: seed_of(root)? };
            STORES.with(|stores| stores.borrow_mut().push((key, store.clone())));
            store
        }
    };
    f(&store)
}

/// Marks the store at `dir` as in use when it exists (its time set to now once a day); when it
/// does not (a new engine or crate), removes the stores of `root` unused for [`STALE_STORE`].
/// Only folders shaped as stores are (see [`is_digest_name`]): the cache folder may be one the
/// user named. Failures are ignored.
fn refresh_or_sweep(root: &Path, dir: &Path) {
    let now = SystemTime::now();
    let age = |meta: &std::fs::Metadata| {
        meta.modified().ok().and_then(|t| now.duration_since(t).ok()).unwrap_or_default()
    };
    if let Ok(meta) = std::fs::metadata(dir) {
        if age(&meta) > REFRESH_STORE {
            let _ = std::fs::File::open(dir).and_then(|d| d.set_modified(now));
        }
        return;
    }
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let stale = entry.metadata().is_ok_and(|m| m.is_dir() && age(&m) > STALE_STORE);
        if stale && is_digest_name(&entry.file_name()) && holds_only_states(&entry.path()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether `name` is one this module gives stores and states: 16 hexadecimal digits.
fn is_digest_name(name: &std::ffi::OsStr) -> bool {
    name.len() == 16 && name.to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether every entry of `dir` is a state folder (a digest name).
fn holds_only_states(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().all(|e| is_digest_name(&e.file_name()) && e.path().is_dir())
    })
}

/// What names a handler among a state's saved expansions, with the file the compiler names.
#[derive(Debug, Clone)]
pub(crate) enum EntryKey {
    /// Where the compiler read the attribute ([`MacroContext::attribute_at`]): one handler per
    /// place in a file of given contents.
    Attribute((usize, usize)),
    /// The handler's name and extent, as the compiler's tokens give them.
    Handler(HandlerPosition),
}

/// The file name of a handler's saved expansion.
fn entry_name(cx: &MacroContext, key: &EntryKey) -> String {
    // The file's own bytes: two names must never meet in one text (a lossy form could).
    let mut text: Vec<u8> = match &cx.handler_file {
        Some(file) => [b"file ", file.as_os_str().as_encoded_bytes()].concat(),
        None => b"no file".to_vec(),
    };
    let rest = match key {
        EntryKey::Attribute((line, column)) => format!("\0attribute {line}:{column}"),
        EntryKey::Handler(p) => format!(
            "\0handler {} {}:{} {}:{}",
            p.name, p.name_at.0, p.name_at.1, p.end_at.0, p.end_at.1
        ),
    };
    text.extend_from_slice(rest.as_bytes());
    format!("{:016x}", observe::bulk_digest(&text))
}

/// The saved expansion of the handler `key` names, when one was saved under a state that still
/// holds.
pub(crate) fn lookup(cx: &MacroContext, key: &EntryKey) -> Option<Saved> {
    let entry = entry_name(cx, key);
    with_store(cx, |store| {
        let states = if one_compilation() {
            LISTED.with(|listed| {
                let mut listed = listed.borrow_mut();
                if let Some((_, states)) = listed.iter().find(|(dir, _)| *dir == store.dir) {
                    return states.clone();
                }
                let states = states_of(&store.dir);
                listed.push((store.dir.clone(), states.clone()));
                states
            })
        } else {
            states_of(&store.dir)
        };
        states.iter().find_map(|state| {
            let text = std::fs::read_to_string(state.join(&entry)).ok()?;
            if !state_holds(state) {
                return None;
            }
            parse_entry(&text)
        })
    })
}

/// The state folders of a crate, newest first (none when it has no folder yet).
fn states_of(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut states: Vec<(SystemTime, PathBuf)> = entries
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    states.sort_by(|a, b| b.cmp(a));
    states.into_iter().map(|(_, p)| p).collect()
}

/// Whether every answer of the state at `state` holds now: replayed once, then re-checked only
/// when a path it asks about changes its metadata.
fn state_holds(state: &Path) -> bool {
    CHECKED.with(|checked| {
        let mut checked = checked.borrow_mut();
        let known = checked.iter().position(|(dir, _)| dir == state);
        if let Some((_, known)) = known.and_then(|i| checked.get(i))
            && (one_compilation() || known.stamps.iter().all(|(path, was)| stamp(path) == *was))
        {
            return known.valid;
        }
        if let Some(i) = known {
            checked.swap_remove(i);
        }
        let observations = std::fs::read_to_string(state.join("deps"))
            .ok()
            .and_then(|text| parse_deps(&text))
            .unwrap_or_default();
        let mut paths: Vec<&Path> = observations.iter().map(Observation::path).collect();
        paths.sort();
        paths.dedup();
        // Stamps first: a change while replaying shows up at the next look-up.
        let stamps = paths.iter().map(|p| (p.to_path_buf(), stamp(p))).collect();
        let valid = !observations.is_empty() && observations.iter().all(Observation::holds);
        // A long-lived host meets a new state at every edit: the oldest answers go first.
        if checked.len() >= REMEMBERED_CHECKS {
            checked.remove(0);
        }
        checked.push((state.to_path_buf(), Checked { valid, stamps }));
        valid
    })
}

/// Saves the expansion of the handler `key` names, made from sources whose loading asked
/// `observations`. Failing to write is not an error: the next process expands again.
pub(crate) fn save(
    cx: &MacroContext,
    key: &EntryKey,
    saved: &Saved,
    observations: &BTreeSet<Observation>,
) {
    let entry = entry_name(cx, key);
    let _ = with_store(cx, |store| {
        // Every Cargo.lock above the crate (a member's stray one as well as the workspace's): a
        // dependency update (a new syn, say) starts a new state.
        let lock = LOCKS.with(|locks| {
            let mut locks = locks.borrow_mut();
            let dir = cx.manifest_dir.clone().unwrap_or_default();
            if let Some((_, seen)) = locks.iter().find(|(d, _)| *d == dir) {
                return seen.clone();
            }
            let ((), seen) = observe::recording(|| {
                for ancestor in dir.ancestors() {
                    let lock = ancestor.join("Cargo.lock");
                    if observe::is_file(&lock) {
                        let _ = observe::read(&lock, u64::MAX);
                    }
                }
            });
            locks.push((dir, seen.clone()));
            seen
        });
        let mut all: BTreeSet<&Observation> = observations.iter().collect();
        all.extend(lock.iter());
        let deps = write_deps(all.into_iter())?;
        let state = store.dir.join(digest(&deps));
        // Written when missing; a concurrent writer writes the same text. A damaged one is
        // removed with every expansion saved beside it.
        let written = WRITTEN.with(|written| written.borrow().contains(&state));
        let on_disk = if written { None } else { std::fs::read_to_string(state.join("deps")).ok() };
        if !written && on_disk.as_deref() != Some(deps.as_str()) {
            if on_disk.is_some() {
                std::fs::remove_dir_all(&state).ok()?;
            }
            std::fs::create_dir_all(&state).ok()?;
            write_atomically(&state.join("deps"), &deps)?;
            WRITTEN.with(|written| {
                let mut written = written.borrow_mut();
                written.push(state.clone());
                let over = written.len().saturating_sub(KEPT_STATES);
                written.drain(..over);
            });
            forget_old_states(&store.dir);
        }
        write_atomically(&state.join(entry), &write_entry(saved)?)
    });
}

/// Removes all but the newest [`KEPT_STATES`] states of a crate that this process did not write.
fn forget_old_states(dir: &Path) {
    let others: Vec<PathBuf> = WRITTEN.with(|written| {
        let written = written.borrow();
        states_of(dir).into_iter().filter(|state| !written.contains(state)).collect()
    });
    for old in others.iter().skip(KEPT_STATES) {
        let _ = std::fs::remove_dir_all(old);
    }
}

/// Writes `text` to a temporary file next to `path`, then renames it over `path`.
fn write_atomically(path: &Path, text: &str) -> Option<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name()?.to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
    if std::fs::write(&temp, text).is_err() || std::fs::rename(&temp, path).is_err() {
        let _ = std::fs::remove_file(&temp);
        return None;
    }
    Some(())
}

fn write_deps<'a>(observations: impl Iterator<Item = &'a Observation>) -> Option<String> {
    let observations: Vec<&Observation> = observations.collect();
    let mut out = Writer::starting(DEPS_HEADER);
    out.count(observations.len());
    for observation in observations {
        match observation {
            Observation::Kind(path, kind) => {
                out.tag('K');
                out.path(path)?;
                match kind {
                    observe::Kind::Missing => out.tag('m'),
                    observe::Kind::File(len) => {
                        out.tag('f');
                        out.number(*len);
                    }
                    observe::Kind::Dir => out.tag('d'),
                    observe::Kind::Other => out.tag('o'),
                }
            }
            Observation::Link(path, link) => {
                out.tag('L');
                out.path(path)?;
                out.tag(if *link { 'y' } else { 'n' });
            }
            Observation::Canonical(path, to) => {
                out.tag('C');
                out.path(path)?;
                match to {
                    Some(to) => out.path(to)?,
                    None => out.tag('~'),
                }
            }
            Observation::Listing(path, names) => {
                out.tag('D');
                out.path(path)?;
                match names {
                    Some(names) => out.number(*names),
                    None => out.tag('~'),
                }
            }
            Observation::Contents(path, limit, read) => {
                out.tag('R');
                out.path(path)?;
                out.number(*limit);
                match read {
                    Ok(digest) => {
                        out.tag('+');
                        out.number(*digest);
                    }
                    Err(error) => {
                        out.tag('!');
                        out.text(error);
                    }
                }
            }
        }
    }
    Some(out.0)
}

fn parse_deps(text: &str) -> Option<Vec<Observation>> {
    let mut r = Reader(text.strip_prefix(DEPS_HEADER)?);
    let n = r.count()?;
    let mut out = Vec::with_capacity(n.min(100_000));
    for _ in 0..n {
        let tag = r.tag()?;
        let path = PathBuf::from(r.text()?);
        out.push(match tag {
            'K' => {
                let kind = match r.tag()? {
                    'm' => observe::Kind::Missing,
                    'f' => observe::Kind::File(r.number()?),
                    'd' => observe::Kind::Dir,
                    'o' => observe::Kind::Other,
                    _ => return None,
                };
                Observation::Kind(path, kind)
            }
            'L' => Observation::Link(path, r.tag()? == 'y'),
            'C' => Observation::Canonical(path, r.optional()?.map(PathBuf::from)),
            'D' => {
                let names = if r.0.starts_with('~') {
                    r.tag()?;
                    None
                } else {
                    Some(r.number()?)
                };
                Observation::Listing(path, names)
            }
            'R' => {
                let limit = r.number()?;
                let read = match r.tag()? {
                    '+' => Ok(r.number()?),
                    '!' => Err(r.text()?.to_owned()),
                    _ => return None,
                };
                Observation::Contents(path, limit, read)
            }
            _ => return None,
        });
    }
    r.is_done().then_some(out)
}

fn write_entry(saved: &Saved) -> Option<String> {
    let mut out = Writer::starting(ENTRY_HEADER);
    out.text(&saved.role);
    out.count(saved.errors.len());
    for (at, message) in &saved.errors {
        match at {
            Some((line, column)) => {
                out.tag('@');
                out.count(*line);
                out.count(*column);
            }
            None => out.tag('~'),
        }
        out.text(message);
    }
    out.count(saved.sources.len());
    for path in &saved.sources {
        out.path(path)?;
    }
    Some(out.0)
}

fn parse_entry(text: &str) -> Option<Saved> {
    let mut r = Reader(text.strip_prefix(ENTRY_HEADER)?);
    let role = r.text()?.to_owned();
    let mut errors = Vec::new();
    for _ in 0..r.count()? {
        let at = match r.tag()? {
            '@' => Some((r.count()?, r.count()?)),
            '~' => None,
            _ => return None,
        };
        errors.push((at, r.text()?.to_owned()));
    }
    let mut sources = Vec::new();
    for _ in 0..r.count()? {
        sources.push(PathBuf::from(r.text()?));
    }
    r.is_done().then_some(Saved { role, errors, sources })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_cache_folder_follows_the_variables_and_a_relative_target_only_where_cargo_made_it() {
        let root = std::env::temp_dir().join(format!("leastpriv-cache-dir-{}", std::process::id()));
        let member = root.join("crates/member");
        std::fs::create_dir_all(&member).unwrap();
        std::fs::write(root.join("Cargo.lock"), "").unwrap();
        let find = |cache: Option<&str>, target: Option<&str>, working: &Path| {
            find_default_dir(
                &member,
                cache.map(std::ffi::OsStr::new),
                target.map(Path::new),
                Some(working),
            )
        };
        // Nothing set, no target folder yet: no cache; then the workspace's target.
        assert_eq!(find(None, None, &root), None);
        std::fs::create_dir_all(root.join("target")).unwrap();
        assert_eq!(find(None, None, &root), Some(root.join("target/leastpriv-cache")));
        // LEASTPRIV_CACHE_DIR wins; `off` and empty turn the cache off.
        assert_eq!(find(Some("c"), Some("/abs"), &root), Some(member.join("c")));
        assert_eq!(find(Some("off"), None, &root), None);
        assert_eq!(find(Some(""), None, &root), None);
        // An absolute CARGO_TARGET_DIR is used as it is.
        assert_eq!(
            find(None, Some("/abs/t"), &root),
            Some(PathBuf::from("/abs/t/leastpriv-cache"))
        );
        // A relative one only where the working folder holds cargo's target folder of that name.
        assert_eq!(find(None, Some("tgt"), &root), Some(root.join("target/leastpriv-cache")));
        std::fs::create_dir_all(root.join("tgt")).unwrap();
        std::fs::write(
            root.join("tgt/CACHEDIR.TAG"),
            "Signature: 8a477f597d28d172789f06886806bc55",
        )
        .unwrap();
        assert_eq!(find(None, Some("tgt"), &root), Some(root.join("tgt/leastpriv-cache")));
        assert_eq!(find(None, Some("tgt"), &member), Some(root.join("target/leastpriv-cache")));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn entries_and_answers_read_back_as_written_and_nothing_else_reads() {
        let saved = Saved {
            role: "const X: u8 = 1; // \u{e9}:;~".to_owned(),
            errors: vec![(Some((3, 4)), "a: b;".to_owned()), (None, String::new())],
            sources: vec![PathBuf::from("/a/src/lib.rs")],
        };
        let text = write_entry(&saved).unwrap();
        assert_eq!(parse_entry(&text), Some(saved));
        for cut in 0..text.len() {
            if text.is_char_boundary(cut) {
                assert_eq!(parse_entry(&text[..cut]), None, "a prefix of {cut} bytes");
            }
        }
        let observations = vec![
            Observation::Kind(PathBuf::from("/a/b.rs"), observe::Kind::File(12)),
            Observation::Kind(PathBuf::from("/a/c"), observe::Kind::Missing),
            Observation::Link(PathBuf::from("/a"), true),
            Observation::Canonical(PathBuf::from("/a/./d"), Some(PathBuf::from("/a/d"))),
            Observation::Canonical(PathBuf::from("/x"), None),
            Observation::Listing(PathBuf::from("/a"), Some(7)),
            Observation::Listing(PathBuf::from("/b"), None),
            Observation::Contents(PathBuf::from("/a/b.rs"), 9, Ok(u64::MAX)),
            Observation::Contents(PathBuf::from("/a/e.rs"), 9, Err("gone: 2;".to_owned())),
        ];
        let text = write_deps(observations.iter()).unwrap();
        assert_eq!(parse_deps(&text), Some(observations));
        assert_eq!(parse_deps(&text[..text.len() - 1]), None);
        assert_eq!(parse_deps(&format!("{text}x")), None);
    }
}
