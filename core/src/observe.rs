//! Every question the engine asks the file system while loading a crate, answered in one place
//! and recorded, so that a saved expansion can later tell whether any answer would now differ.
//!
//! The attribute keeps its expansions on disk between compiler processes (`expand::disk`). An
//! expansion depends on more than the files it parsed: which of `foo.rs` and `foo/mod.rs`
//! exists, which folders a workspace glob matches, which binaries `src/bin/` holds, where a path
//! leads. Each such answer is an [`Observation`]; replaying all of them ([`Observation::holds`])
//! is what makes a saved expansion valid. Code that loads sources must ask through here, not
//! through `std::fs`, or the cache would miss a dependency.

use std::cell::RefCell;
use std::ffi::OsString;
use std::hash::Hasher;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// What a path is, following symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Nothing there (or not readable).
    Missing,
    /// A regular file, of this many bytes.
    File(u64),
    /// A directory.
    Dir,
    /// A pipe, socket or device.
    Other,
}

/// One answer the file system gave.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Observation {
    /// What the path is ([`kind`]).
    Kind(PathBuf, Kind),
    /// Whether the path itself is a symbolic link ([`is_symlink`]).
    Link(PathBuf, bool),
    /// Where the path leads ([`canonicalize`]); `None` when it leads nowhere.
    Canonical(PathBuf, Option<PathBuf>),
    /// A digest of the sorted entry names of a directory ([`entry_names`]); `None` when it could
    /// not be listed.
    Listing(PathBuf, Option<u64>),
    /// At most `limit` bytes read from a file ([`read`]): a digest of them, or the error.
    Contents(PathBuf, u64, Result<u64, String>),
}

impl Observation {
    /// The path asked about.
    pub fn path(&self) -> &Path {
        match self {
            Observation::Kind(p, _)
            | Observation::Link(p, _)
            | Observation::Canonical(p, _)
            | Observation::Listing(p, _)
            | Observation::Contents(p, _, _) => p,
        }
    }

    /// Whether asking again now gives the same answer (nothing is recorded).
    pub fn holds(&self) -> bool {
        *self == self.ask_again()
    }

    fn ask_again(&self) -> Observation {
        let path = self.path();
        match self {
            Observation::Kind(..) => Observation::Kind(path.to_path_buf(), kind_of(path)),
            Observation::Link(..) => Observation::Link(path.to_path_buf(), link_of(path)),
            Observation::Canonical(..) => {
                Observation::Canonical(path.to_path_buf(), std::fs::canonicalize(path).ok())
            }
            Observation::Listing(..) => {
                Observation::Listing(path.to_path_buf(), names_of(path).map(|n| names_digest(&n)))
            }
            Observation::Contents(_, limit, _) => {
                Observation::Contents(path.to_path_buf(), *limit, remembered_digest(path, *limit))
            }
        }
    }
}

thread_local! {
    /// The observations of the recordings in progress, innermost last.
    static LOG: RefCell<Vec<Vec<Observation>>> = const { RefCell::new(Vec::new()) };
    /// The secret the digests of contents and listings are keyed with ([`set_seed`]).
    static SEED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Keys the digests of file contents and folder listings taken from now on in this thread with
/// `seed`: the disk cache keeps a random secret per cache folder, so that nobody who can only
/// write sources can make two versions of a file look the same to it.
pub fn set_seed(seed: u64) {
    SEED.with(|s| s.set(seed));
}

fn seed() -> u64 {
    SEED.with(std::cell::Cell::get)
}

/// Ends a recording even if what it wraps unwinds.
struct Frame;

impl Drop for Frame {
    fn drop(&mut self) {
        LOG.with(|log| {
            let mut log = log.borrow_mut();
            if let Some(seen) = log.pop()
                && let Some(outer) = log.last_mut()
            {
                outer.extend(seen);
            }
        });
    }
}

/// Runs `f` and returns what it asked the file system, in order, repeats included. Recordings
/// nest: an outer one also gets what an inner one saw.
pub fn recording<R>(f: impl FnOnce() -> R) -> (R, Vec<Observation>) {
    LOG.with(|log| log.borrow_mut().push(Vec::new()));
    let frame = Frame;
    let out = f();
    let seen = LOG.with(|log| log.borrow().last().cloned().unwrap_or_default());
    drop(frame);
    (out, seen)
}

fn record(observation: Observation) {
    LOG.with(|log| {
        if let Some(current) = log.borrow_mut().last_mut() {
            current.push(observation);
        }
    });
}

fn kind_of(path: &Path) -> Kind {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Kind::File(meta.len()),
        Ok(meta) if meta.is_dir() => Kind::Dir,
        Ok(_) => Kind::Other,
        Err(_) => Kind::Missing,
    }
}

fn link_of(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

fn names_of(path: &Path) -> Option<Vec<OsString>> {
    let entries = std::fs::read_dir(path).ok()?;
    let mut names: Vec<OsString> = entries.flatten().map(|e| e.file_name()).collect();
    names.sort();
    Some(names)
}

fn names_digest(names: &[OsString]) -> u64 {
    let mut hasher = Digest::default();
    hasher.write_u64(seed());
    for name in names {
        hasher.write(name.as_encoded_bytes());
        hasher.write_u8(0xff);
    }
    hasher.finish()
}

fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn contents_digest(read: &std::io::Result<Vec<u8>>) -> Result<u64, String> {
    match read {
        Ok(bytes) => Ok(seeded_digest(seed(), bytes)),
        Err(err) => Err(err.to_string()),
    }
}

/// What `metadata` says of a path (modification time, length, whether a directory), `None`
/// when it says nothing: while it stays the same, a long-lived process takes the path's contents
/// as unchanged (the in-process cache of sources, the disk cache's re-checks, the digests below).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp(Option<(std::time::SystemTime, u64, bool)>);

impl Stamp {
    /// Whether the system gave a time and a length to compare.
    fn is_known(&self) -> bool {
        self.0.is_some()
    }
}

/// The path's [`Stamp`] now (not recorded: a stamp only decides whether to ask again).
pub(crate) fn stamp(path: &Path) -> Stamp {
    Stamp(
        std::fs::metadata(path).ok().and_then(|m| Some((m.modified().ok()?, m.len(), m.is_dir()))),
    )
}

/// A file's path, the read limit, its stamp, the seed and the digest of what was read.
type RememberedDigest = (PathBuf, u64, Stamp, u64, Result<u64, String>);

thread_local! {
    /// Digests of files read to check observations, by path, limit and stamp: several saved
    /// states ask about the same files.
    static DIGESTS: RefCell<Vec<RememberedDigest>> = const { RefCell::new(Vec::new()) };
}

fn remembered_digest(path: &Path, limit: u64) -> Result<u64, String> {
    let stamp = stamp(path);
    let seed = seed();
    let known = DIGESTS.with(|digests| {
        let digests = digests.borrow();
        let found = digests
            .iter()
            .find(|(p, l, s, k, _)| *l == limit && *s == stamp && *k == seed && p == path);
        found.map(|(.., digest)| digest.clone())
    });
    if let Some(digest) = known.filter(|_| stamp.is_known()) {
        return digest;
    }
    let digest = contents_digest(&read_limited(path, limit));
    DIGESTS.with(|digests| {
        let mut digests = digests.borrow_mut();
        digests.retain(|(p, l, ..)| !(*l == limit && p == path));
        digests.push((path.to_path_buf(), limit, stamp, seed, digest.clone()));
    });
    digest
}

/// The digest of a whole file's bytes: four lanes of [`Digest`]'s round over 32-byte blocks,
/// the rest through [`Digest`]. Written so that the unoptimised build a consumer's proc macro
/// gets costs about eight instructions a byte (callgrind; chunk iterators made it 28).
pub(crate) fn bulk_digest(bytes: &[u8]) -> u64 {
    seeded_digest(0, bytes)
}

/// xxHash64's round: `word` mixed into `acc`.
fn round(acc: u64, word: u64) -> u64 {
    (acc ^ word.wrapping_mul(PRIME_2).rotate_left(31).wrapping_mul(PRIME_1))
        .rotate_left(27)
        .wrapping_mul(PRIME_1)
        .wrapping_add(PRIME_3)
}

/// [`bulk_digest`] with its four lanes and its tail started from `seed`.
fn seeded_digest(seed: u64, bytes: &[u8]) -> u64 {
    let (mut a, mut b, mut c, mut d) =
        (PRIME_1 ^ seed, PRIME_2 ^ seed, PRIME_3 ^ seed, (PRIME_1 ^ PRIME_3) ^ seed);
    // Blocks of four whole words as arrays: chunk iterators and per-word copies cost several
    // calls a word in the unoptimised build, and most of the time of a served check.
    let (words, _) = bytes.as_chunks::<8>();
    let (blocks, _) = words.as_chunks::<4>();
    for &[w0, w1, w2, w3] in blocks {
        a = round(a, u64::from_le_bytes(w0));
        b = round(b, u64::from_le_bytes(w1));
        c = round(c, u64::from_le_bytes(w2));
        d = round(d, u64::from_le_bytes(w3));
    }
    let mut tail = Digest::default();
    tail.write_u64(seed);
    tail.write_u64(bytes.len() as u64);
    for lane in [a, b, c, d] {
        tail.write_u64(lane);
    }
    tail.write(bytes.get(blocks.len() * 32..).unwrap_or_default());
    tail.finish()
}

/// A 64-bit digest of bytes, stable across processes and builds: the round and the final mix
/// of xxHash64, one lane. Cheap in the unoptimised build a proc macro gets, where std's SipHash
/// costs about fifty instructions a byte. Not collision-resistant by itself: the digests that
/// decide whether a saved expansion holds are keyed with a secret seed ([`set_seed`]).
#[derive(Debug, Clone)]
pub struct Digest {
    acc: u64,
    /// Bytes not yet mixed, fewer than eight.
    tail: [u8; 8],
    tail_len: usize,
}

const PRIME_1: u64 = 0x9E37_79B1_85EB_CA87;
const PRIME_2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const PRIME_3: u64 = 0x1656_67B1_9E37_79F9;

impl Default for Digest {
    fn default() -> Self {
        Self { acc: PRIME_3, tail: [0; 8], tail_len: 0 }
    }
}

impl Hasher for Digest {
    fn write(&mut self, mut bytes: &[u8]) {
        while self.tail_len > 0 && !bytes.is_empty() {
            if let (Some(slot), Some((&first, rest))) =
                (self.tail.get_mut(self.tail_len), bytes.split_first())
            {
                *slot = first;
                bytes = rest;
            }
            self.tail_len += 1;
            if self.tail_len == 8 {
                self.tail_len = 0;
                self.acc = round(self.acc, u64::from_le_bytes(self.tail));
            }
        }
        let (words, rest) = bytes.as_chunks::<8>();
        for &word in words {
            self.acc = round(self.acc, u64::from_le_bytes(word));
        }
        for &byte in rest {
            if let Some(slot) = self.tail.get_mut(self.tail_len) {
                *slot = byte;
            }
            self.tail_len += 1;
        }
    }

    fn finish(&self) -> u64 {
        let mut h = self.acc;
        for &byte in self.tail.iter().take(self.tail_len) {
            h = (h ^ u64::from(byte).wrapping_mul(PRIME_3)).rotate_left(11).wrapping_mul(PRIME_1);
        }
        h ^= self.tail_len as u64;
        h ^= h >> 33;
        h = h.wrapping_mul(PRIME_2);
        h ^= h >> 29;
        h = h.wrapping_mul(PRIME_3);
        h ^ (h >> 32)
    }
}

/// What `path` is, following symbolic links.
pub fn kind(path: &Path) -> Kind {
    let kind = kind_of(path);
    record(Observation::Kind(path.to_path_buf(), kind));
    kind
}

/// Whether `path` is a regular file (or a link to one).
pub fn is_file(path: &Path) -> bool {
    matches!(kind(path), Kind::File(_))
}

/// Whether `path` is a directory (or a link to one).
pub fn is_dir(path: &Path) -> bool {
    kind(path) == Kind::Dir
}

/// Whether anything is at `path`.
pub fn exists(path: &Path) -> bool {
    kind(path) != Kind::Missing
}

/// Whether `path` itself is a symbolic link.
pub fn is_symlink(path: &Path) -> bool {
    let link = link_of(path);
    record(Observation::Link(path.to_path_buf(), link));
    link
}

/// `path` with every link and `..` resolved, when it leads somewhere.
pub fn canonicalize(path: &Path) -> Option<PathBuf> {
    let canonical = std::fs::canonicalize(path).ok();
    record(Observation::Canonical(path.to_path_buf(), canonical.clone()));
    canonical
}

/// The names in directory `path`, sorted; `None` when it cannot be listed.
pub fn entry_names(path: &Path) -> Option<Vec<OsString>> {
    let names = names_of(path);
    record(Observation::Listing(path.to_path_buf(), names.as_deref().map(names_digest)));
    names
}

/// At most `limit` bytes of the file at `path`.
pub fn read(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let read = read_limited(path, limit);
    record(Observation::Contents(path.to_path_buf(), limit, contents_digest(&read)));
    read
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lp-observe-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn every_answer_is_recorded_and_replays_until_it_changes() {
        let dir = scratch("replay");
        std::fs::write(dir.join("a.rs"), "fn a() {}").unwrap();
        let ((), seen) = recording(|| {
            assert!(is_file(&dir.join("a.rs")));
            assert!(!exists(&dir.join("b.rs")));
            assert_eq!(read(&dir.join("a.rs"), 100).unwrap(), b"fn a() {}");
            assert_eq!(entry_names(&dir).unwrap(), vec![OsString::from("a.rs")]);
            assert!(canonicalize(&dir).is_some());
            assert!(!is_symlink(&dir));
        });
        assert_eq!(seen.len(), 6);
        assert!(seen.iter().all(Observation::holds));
        // The same bytes written again: every answer still holds (a touch changes nothing).
        std::fs::write(dir.join("a.rs"), "fn a() {}").unwrap();
        assert!(seen.iter().all(Observation::holds));
        // New contents of the same length: only the contents differ.
        std::fs::write(dir.join("a.rs"), "fn b() {}").unwrap();
        let changed: Vec<_> = seen.iter().filter(|o| !o.holds()).collect();
        assert!(matches!(changed.as_slice(), [Observation::Contents(..)]), "{changed:?}");
        // A new file: the probe of b.rs and the listing no longer hold.
        std::fs::write(dir.join("b.rs"), "").unwrap();
        let changed = seen.iter().filter(|o| !o.holds()).count();
        assert_eq!(changed, 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_digest_sees_every_byte_and_not_how_they_were_split() {
        let digest = |parts: &[&[u8]]| {
            let mut d = Digest::default();
            for part in parts {
                d.write(part);
            }
            d.finish()
        };
        let text = b"pub fn handler() { s3.get_object().send(); }";
        let whole = digest(&[text]);
        // The bulk digest of files: every byte of every 32-byte block counts.
        let long: Vec<u8> = text.iter().cycle().take(200).copied().collect();
        let mut bulk = std::collections::HashSet::new();
        for i in 0..long.len() {
            let mut changed = long.clone();
            changed[i] ^= 0x80;
            assert!(bulk.insert(bulk_digest(&changed)), "a flipped bit at {i}");
            assert!(bulk.insert(bulk_digest(&long[..i])), "a prefix of {i} bytes");
        }
        assert!(!bulk.contains(&bulk_digest(&long)));
        assert_eq!(digest(&[&text[..3], &text[3..20], &text[20..]]), whole);
        let mut seen = std::collections::HashSet::new();
        for i in 0..text.len() {
            let mut changed = text.to_vec();
            changed[i] ^= 1;
            assert!(seen.insert(digest(&[&changed])), "a flipped bit at {i}");
            assert!(seen.insert(digest(&[&text[..i]])), "a prefix of {i} bytes");
        }
        assert!(!seen.contains(&whole));
    }

    #[test]
    fn recordings_nest_and_nothing_is_kept_outside_one() {
        let dir = scratch("nest");
        let _ = is_dir(&dir);
        let ((), outer) = recording(|| {
            let ((), inner) = recording(|| {
                let _ = is_dir(&dir);
            });
            assert_eq!(inner.len(), 1);
            let _ = exists(&dir);
        });
        assert_eq!(outer.len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
