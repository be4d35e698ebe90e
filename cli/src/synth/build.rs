//! The manifest `synth` (and `audit`/`apply`) work from: every annotated handler of the crates
//! at a path — one crate, a workspace or a folder of crates — checked, mapped to the binary it
//! runs in and synthesized by the one pipeline.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use leastpriv_core::analyse::CrateSources;
use leastpriv_core::catalog::Catalog;
use leastpriv_core::diagnostic::escape_control;
use leastpriv_core::pipeline::{HandlerResult, check_crate};
use leastpriv_core::project::{self, CrateInfo};
use leastpriv_core::synth::{Manifest, SynthError, binary_of};

use crate::error::{CliError, EXIT_FINDINGS, catalog_error, source_limits};
use crate::report;

/// The crates at a path and the manifest of their handlers.
pub(crate) struct Built {
    /// The directory the path names (the crate's, the workspace's or the folder's).
    pub dir: PathBuf,
    /// The crates with at least one annotated handler, in discovery order.
    pub crates: Vec<CrateInfo>,
    /// Per crate of `crates`, its own manifest (for `--per-crate`).
    pub per_crate: Vec<Manifest>,
    /// All functions together.
    pub manifest: Manifest,
}

/// The crates `path` names: one package, or the members of a workspace, or every crate of a
/// folder.
fn the_crates(path: &Path) -> Result<Vec<CrateInfo>, CliError> {
    let crates = project::discover(path).map_err(|err| CliError::input(err.to_string()))?;
    if crates.is_empty() {
        return Err(CliError::input(format!("no crate (Cargo.toml) in {}", path.display()))
            .with_help("run synth in a crate, a workspace or a folder holding crates"));
    }
    Ok(crates)
}

/// The crate's binaries by root file (`/`-separated), for [`binary`].
fn binaries_by_entry(info: &CrateInfo) -> HashMap<String, String> {
    let entries = info.binaries.iter().rev();
    entries.map(|b| (b.entry.to_string_lossy().replace('\\', "/"), b.name.clone())).collect()
}

/// Which crate functions each binary of a crate reaches, and the modules of the free functions
/// of each (file, name).
struct Reach {
    by_binary: BTreeMap<String, BTreeSet<(String, String)>>,
    modules: HashMap<(String, String), Vec<String>>,
}

impl Reach {
    /// Analyses the binaries' `main`s only when some handler is not in a binary's own file.
    fn new(
        catalog: &Catalog,
        info: &CrateInfo,
        sources: &CrateSources,
        results: &[HandlerResult],
        by_entry: &HashMap<String, String>,
    ) -> Self {
        let all_in_binaries = results.iter().all(|h| {
            let file = h.file.to_string_lossy().replace('\\', "/");
            by_entry.contains_key(&file) || binary_of(&file, &info.name).is_some()
        });
        if all_in_binaries || info.binaries.is_empty() {
            return Reach { by_binary: BTreeMap::new(), modules: HashMap::new() };
        }
        let mut modules: HashMap<(String, String), Vec<String>> = HashMap::new();
        for f in sources.fns.iter().filter(|f| f.self_ty.is_none()) {
            let Some(file) = sources.files.get(f.file) else { continue };
            let file = file.display.to_string_lossy().replace('\\', "/");
            modules.entry((file, f.name.clone())).or_default().push(f.module.clone());
        }
        Reach { by_binary: leastpriv_core::infer::binary_reach(catalog, info, sources), modules }
    }

    /// The one binary whose `main` reaches the handler, if exactly one does.
    fn binary(&self, handler: &HandlerResult) -> Option<String> {
        let file = handler.file.to_string_lossy().replace('\\', "/");
        let modules = self.modules.get(&(file, handler.handler.clone()))?;
        let reaching: Vec<&String> = (self.by_binary.iter())
            .filter(|(_, fns)| {
                modules.iter().any(|m| fns.contains(&(m.clone(), handler.handler.clone())))
            })
            .map(|(b, _)| b)
            .collect();
        match reaching.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        }
    }
}

/// The binary a handler of the crate's own files runs in: the binary whose root file holds it,
/// else the one binary whose `main` reaches it (a handler of the library called from
/// `src/bin/*.rs`), else the crate's only binary.
fn own_binary(
    info: &CrateInfo,
    by_entry: &HashMap<String, String>,
    reach: &Reach,
    handler: &HandlerResult,
) -> Option<String> {
    let file = handler.file.to_string_lossy().replace('\\', "/");
    by_entry
        .get(&file)
        .cloned()
        .or_else(|| binary_of(&file, &info.name))
        .or_else(|| reach.binary(handler))
        .or_else(|| match info.binaries.as_slice() {
            [only] => Some(only.name.clone()),
            _ => None,
        })
}

/// Prints the pipeline's diagnostics of the handlers in `own`; returns how many there were.
fn print_diagnostics(
    info: &CrateInfo,
    results: &[&HandlerResult],
    sources: &CrateSources,
) -> usize {
    let mut problems = 0;
    let mut out = String::new();
    for result in results.iter().filter(|r| !r.diagnostics.is_empty()) {
        let file = sources.files.iter().find(|f| f.display == result.file);
        let text = file.and_then(|f| std::fs::read_to_string(&f.path).ok()).unwrap_or_default();
        let shown = info.dir.join(&result.file);
        let source = report::Source::new(&text);
        for d in &result.diagnostics {
            problems += 1;
            out.push_str(&report::render(d, &shown, &source));
            out.push('\n');
        }
    }
    eprint!("{out}");
    problems
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A synthesis error with exit code 1 (a role that cannot be built).
fn synth_error(err: &SynthError) -> CliError {
    let mut error = CliError::input(err.to_string());
    error.code = EXIT_FINDINGS;
    match err.help() {
        Some(help) => error.with_help(help),
        None => error,
    }
}

/// One annotated handler, found from every crate whose sources hold it.
struct Found {
    /// Index of the crate it is written in.
    owner: usize,
    /// Its result, from the owner's check.
    result: Option<HandlerResult>,
    /// The binary the owner says it runs in.
    own_binary: Option<String>,
    /// Binaries of other crates whose `main` reaches it.
    reached_from: BTreeSet<String>,
}

/// Checks every crate at `path` and synthesizes the manifest of all its handlers; diagnostics
/// go to stderr and make it an error with exit code 1 (`command` names the caller in messages).
pub(crate) fn build(path: &Path, command: &str) -> Result<Built, CliError> {
    let catalog = Catalog::embedded().map_err(catalog_error)?;
    let crates = the_crates(path)?;
    let dirs: Vec<PathBuf> = crates.iter().map(|c| canonical(&c.dir)).collect();
    // The crate a file is written in: the deepest crate directory holding it.
    let owner_of = |file: &Path| -> Option<usize> {
        let file = canonical(file);
        (dirs.iter().enumerate())
            .filter(|(_, d)| file.starts_with(d))
            .max_by_key(|(_, d)| d.components().count())
            .map(|(i, _)| i)
    };
    let mut found: BTreeMap<(PathBuf, String), Found> = BTreeMap::new();
    let mut problems = 0;
    let mut unreadable: BTreeSet<PathBuf> = BTreeSet::new();
    for (index, info) in crates.iter().enumerate() {
        let (sources, results) = check_crate(catalog, &info.dir);
        source_limits(&sources)?;
        // A path dependency's unreadable file is reported once, not once per crate using it.
        for (path, error) in &sources.errors {
            if unreadable.insert(path.clone()) {
                problems += 1;
                eprint!("{}", report::unreadable_source(path, error));
            }
        }
        let by_entry = binaries_by_entry(info);
        let reach = Reach::new(catalog, info, &sources, &results, &by_entry);
        let mut own = Vec::new();
        for result in results {
            let file = (sources.files.iter())
                .find(|f| f.display == result.file)
                .map_or_else(|| info.dir.join(&result.file), |f| f.path.clone());
            let owner = owner_of(&file).unwrap_or(index);
            let key = (canonical(&file), result.handler.clone());
            let entry = found.entry(key).or_insert_with(|| Found {
                owner,
                result: None,
                own_binary: None,
                reached_from: BTreeSet::new(),
            });
            if entry.owner == index {
                entry.own_binary = own_binary(info, &by_entry, &reach, &result);
                own.push(result);
            } else if let Some(binary) = reach.binary(&result) {
                entry.reached_from.insert(binary);
            }
        }
        problems += print_diagnostics(info, &own.iter().collect::<Vec<_>>(), &sources);
        for result in own {
            let file = (sources.files.iter())
                .find(|f| f.display == result.file)
                .map_or_else(|| info.dir.join(&result.file), |f| f.path.clone());
            if let Some(entry) = found.get_mut(&(canonical(&file), result.handler.clone())) {
                entry.result = Some(result);
            }
        }
    }
    if problems > 0 {
        let mut error = CliError::input(format!("leastpriv {command}: {problems} problem(s)"));
        error.code = EXIT_FINDINGS;
        return Err(error);
    }
    // Per crate, its handlers and the binary each runs in.
    let mut grouped: Vec<Vec<(HandlerResult, Option<String>)>> =
        crates.iter().map(|_| Vec::new()).collect();
    for found in found.into_values() {
        let Some(result) = found.result else { continue };
        let binary = found.own_binary.or_else(|| match found.reached_from.len() {
            1 => found.reached_from.into_iter().next(),
            _ => None,
        });
        if let Some(group) = grouped.get_mut(found.owner) {
            group.push((result, binary));
        }
    }
    let mut with_handlers = Vec::new();
    let mut per_crate = Vec::new();
    for (info, group) in crates.iter().zip(grouped) {
        if group.is_empty() {
            continue;
        }
        let binaries: HashMap<(PathBuf, String), Option<String>> =
            (group.iter()).map(|(r, b)| ((r.file.clone(), r.handler.clone()), b.clone())).collect();
        let results: Vec<HandlerResult> = group.into_iter().map(|(r, _)| r).collect();
        let manifest = Manifest::build(catalog, &info.name, &results, |h| {
            binaries.get(&(h.file.clone(), h.handler.clone())).cloned().flatten()
        })
        .map_err(|err| synth_error(&err))?;
        with_handlers.push(info.clone());
        per_crate.push(manifest);
    }
    let dir = if path.is_dir() { path } else { path.parent().unwrap_or(path) };
    if per_crate.is_empty() {
        return Err(CliError::input(format!(
            "no #[leastpriv::role] handler in {}",
            escape_control(&dir.display().to_string())
        ))
        .with_help("annotate each handler; `leastpriv infer` suggests the attribute"));
    }
    let manifest = match per_crate.as_slice() {
        [one] if crates.len() == 1 => one.clone(),
        _ => {
            let name = canonical(dir)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "project".to_owned());
            Manifest::combine(&name, per_crate.clone()).map_err(|err| synth_error(&err))?
        }
    };
    Ok(Built { dir: dir.to_path_buf(), crates: with_handlers, per_crate, manifest })
}
