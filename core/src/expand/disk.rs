//! The attribute's expansions kept on disk between compiler processes, each served only while
//! every answer the file system gave when its crate was loaded still holds.
//!
//! Every `cargo check`, `cargo build`, `cargo test`, `cargo clippy` and rust-analyzer pass runs
//! the attribute again in a new process, most often on sources that did not change. An
//! expansion depends only on the engine that made it, the crate's folder, where the handler is,
//! and what the file system said while the crate was loaded ([`crate::observe`]: the contents of
//! every source file and manifest read, every probe for a module file, every folder listed, every
//! path resolved). So each expansion is saved under a *state*: the set of those answers, plus the
//! contents of the nearest `Cargo.lock` (a dependency update, such as a new `syn`, starts over).
//! A later process replays a state's answers once (file contents are compared by digest, so a
//! touch that changes no byte keeps the state) and then serves every handler saved under it
//! without parsing anything.
//!
//! Layout, under the cache folder ([`default_dir`]):
//! `<engine build, crate folder, guard flag>/<state digest>/deps` (the answers) and one file per
//! handler position next to it. At most [`KEPT_STATES`] states are kept per crate. Files are
//! written to a temporary name and renamed, so a reader never sees half of one; anything
//! unreadable is a miss, never an error.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use super::{HandlerPosition, MacroContext};
use crate::observe::{self, Observation};

/// How many states of one crate are kept besides those the current process wrote: enough for
/// the library, its tests and a few examples compiled side by side, each of which loads a
/// slightly different set of files.
const KEPT_STATES: usize = 8;

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
/// set (`off` or empty: no cache), else `leastpriv-cache` in `CARGO_TARGET_DIR` when that is an
/// absolute path, else in the `target` folder next to the nearest `Cargo.lock` above the crate,
/// when that folder exists. `None`: expansions are not kept.
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
        let dir = find_default_dir(manifest_dir);
        dirs.borrow_mut().push((key, dir.clone()));
        dir
    })
}

fn find_default_dir(manifest_dir: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LEASTPRIV_CACHE_DIR") {
        if dir.is_empty() || dir == "off" {
            return None;
        }
        return Some(manifest_dir.join(dir));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from)
        && target.is_absolute()
    {
        return Some(target.join("leastpriv-cache"));
    }
    let root = manifest_dir.ancestors().find(|dir| dir.join("Cargo.lock").is_file())?;
    let target = root.join("target");
    target.is_dir().then(|| target.join("leastpriv-cache"))
}

/// Where one crate's states are kept.
struct Store {
    dir: PathBuf,
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
fn one_compilation() -> bool {
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

#[derive(Debug, PartialEq, Eq)]
struct Stamp(Option<(SystemTime, u64, bool)>);

fn stamp(path: &Path) -> Stamp {
    Stamp(
        std::fs::metadata(path).ok().and_then(|m| Some((m.modified().ok()?, m.len(), m.is_dir()))),
    )
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
    /// The states this process wrote: never removed by it. One process can write several (the
    /// answers grow as handlers of further files are expanded), and all are needed next time.
    static WRITTEN: RefCell<Vec<PathBuf>> = const { RefCell::new(Vec::new()) };
}

/// What a crate's store depends on: the cache folder, the crate's folder, the guard flag.
type StoreKey = (PathBuf, PathBuf, bool);

/// What [`default_dir`] depends on.
type DirKey = (PathBuf, Option<std::ffi::OsString>, Option<std::ffi::OsString>);

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
        stores.iter().find(|(k, _)| *k == key).map(|(_, store)| store.dir.clone())
    });
    let dir = known.unwrap_or_else(|| {
        let dir = root.join(digest((ENGINE_BUILD, manifest_dir, cx.guard_table)));
        STORES.with(|stores| stores.borrow_mut().push((key, Store { dir: dir.clone() })));
        dir
    });
    f(&Store { dir })
}

/// The file name of the handler at `position` (with the file the compiler names).
fn entry_name(cx: &MacroContext, position: &HandlerPosition) -> String {
    digest((&cx.handler_file, &position.name, position.name_at, position.end_at))
}

/// The saved expansion of the handler at `position`, when one was saved under a state that
/// still holds.
pub(crate) fn lookup(cx: &MacroContext, position: &HandlerPosition) -> Option<Saved> {
    let entry = entry_name(cx, position);
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
        checked.push((state.to_path_buf(), Checked { valid, stamps }));
        valid
    })
}

/// Saves the expansion of the handler at `position`, made from sources whose loading asked
/// `observations`. Failing to write is not an error: the next process expands again.
pub(crate) fn save(
    cx: &MacroContext,
    position: &HandlerPosition,
    saved: &Saved,
    observations: &BTreeSet<Observation>,
) {
    let entry = entry_name(cx, position);
    let _ = with_store(cx, |store| {
        // The nearest Cargo.lock: a dependency update (a new syn, say) starts a new state.
        let ((), lock) = observe::recording(|| {
            let dir = cx
                .manifest_dir
                .as_deref()
                .and_then(|d| d.ancestors().find(|d| observe::is_file(&d.join("Cargo.lock"))));
            if let Some(dir) = dir {
                let _ = observe::read(&dir.join("Cargo.lock"), u64::MAX);
            }
        });
        let mut all: BTreeSet<&Observation> = observations.iter().collect();
        all.extend(lock.iter());
        let deps = write_deps(all.into_iter())?;
        let state = store.dir.join(digest(&deps));
        // Written when missing or damaged; a concurrent writer writes the same text.
        if std::fs::read_to_string(state.join("deps")).ok().as_deref() != Some(deps.as_str()) {
            std::fs::create_dir_all(&state).ok()?;
            write_atomically(&state.join("deps"), &deps)?;
            WRITTEN.with(|written| written.borrow_mut().push(state.clone()));
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

/// Texts as `LEN:BYTES`, numbers as `DIGITS;`, absent values as `~`.
#[derive(Default)]
struct Writer(String);

impl Writer {
    fn text(&mut self, text: &str) {
        self.0.push_str(&text.len().to_string());
        self.0.push(':');
        self.0.push_str(text);
    }

    fn path(&mut self, path: &Path) -> Option<()> {
        self.text(path.to_str()?);
        Some(())
    }

    fn number(&mut self, n: u64) {
        self.0.push_str(&n.to_string());
        self.0.push(';');
    }

    fn tag(&mut self, tag: char) {
        self.0.push(tag);
    }
}

/// Reads what [`Writer`] wrote; every method is `None` on anything else.
struct Reader<'a>(&'a str);

impl<'a> Reader<'a> {
    fn number(&mut self) -> Option<u64> {
        let (digits, rest) = self.0.split_once(';')?;
        self.0 = rest;
        digits.parse().ok()
    }

    fn text(&mut self) -> Option<&'a str> {
        let (len, rest) = self.0.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let text = rest.get(..len)?;
        self.0 = rest.get(len..)?;
        Some(text)
    }

    fn tag(&mut self) -> Option<char> {
        let tag = self.0.chars().next()?;
        self.0 = self.0.get(tag.len_utf8()..)?;
        Some(tag)
    }

    fn count(&mut self) -> Option<usize> {
        usize::try_from(self.number()?).ok()
    }
}

fn write_deps<'a>(observations: impl Iterator<Item = &'a Observation>) -> Option<String> {
    let observations: Vec<&Observation> = observations.collect();
    let mut out = Writer(DEPS_HEADER.to_owned());
    out.number(observations.len() as u64);
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
            'C' => {
                let to = if r.0.starts_with('~') {
                    r.tag()?;
                    None
                } else {
                    Some(PathBuf::from(r.text()?))
                };
                Observation::Canonical(path, to)
            }
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
    r.0.is_empty().then_some(out)
}

fn write_entry(saved: &Saved) -> Option<String> {
    let mut out = Writer(ENTRY_HEADER.to_owned());
    out.text(&saved.role);
    out.number(saved.errors.len() as u64);
    for (at, message) in &saved.errors {
        match at {
            Some((line, column)) => {
                out.tag('@');
                out.number(*line as u64);
                out.number(*column as u64);
            }
            None => out.tag('~'),
        }
        out.text(message);
    }
    out.number(saved.sources.len() as u64);
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
    r.0.is_empty().then_some(Saved { role, errors, sources })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

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
