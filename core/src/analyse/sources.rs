//! A crate's source files, parsed once, with an index of its modules, functions, methods,
//! traits, structs, consts and `use` declarations.
//!
//! Files are found the way rustc finds them: from each crate root (the library, every binary)
//! through `mod name;` declarations (`#[path]` honoured). Files under `src/` that no root reaches
//! are still read (a `mod` written by a macro, a `cfg` the analysis does not evaluate), with the
//! module their path implies: the analysis over-approximates rather than lose a call.

pub(crate) mod index;
mod paths;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub use index::{FnEntry, Generics, TraitInfo};
pub use paths::Resolved;

/// One parsed source file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as read.
    pub path: PathBuf,
    /// The path relative to the crate root when known, for messages.
    pub display: PathBuf,
    /// Whether spans of this file carry real line numbers (parsed outside a proc macro).
    pub has_lines: bool,
    /// The module the file defines (`products::store::dynamodb`).
    pub module: String,
    /// The parsed file (kept so callers need not read and parse it again).
    pub ast: syn::File,
}

/// What one module declares: its `use` names, glob imports and child modules.
#[derive(Debug, Default, Clone)]
pub struct ModuleInfo {
    /// `use` declarations: local name → the path as written (`S3` → `aws_sdk_s3::Client`).
    pub uses: HashMap<String, Vec<String>>,
    /// Glob imports (`use crate::domain::*`), as written.
    pub globs: Vec<Vec<String>>,
    /// Child modules by name.
    pub children: HashSet<String>,
    /// Type aliases (`type Db = aws_sdk_dynamodb::Client;`).
    pub type_aliases: HashMap<String, syn::Type>,
}

/// Where a crate root is and what it is called in code.
#[derive(Debug, Clone)]
pub struct CrateRoot {
    /// The module key of the root (`products` for a library, `products@get-product` for a
    /// binary).
    pub key: String,
    /// The root file.
    pub file: PathBuf,
    /// Whether this root is a library others can name.
    pub is_lib: bool,
}

/// All source files of a crate (and its path dependencies), with the index the analysis needs.
#[derive(Debug, Default)]
pub struct CrateSources {
    /// The files, in the order read.
    pub files: Vec<SourceFile>,
    /// Functions and methods (trait default methods included).
    pub fns: Vec<FnEntry>,
    /// Function name → indexes into `fns`, so look-ups stay cheap in large crates.
    by_name: HashMap<String, Vec<usize>>,
    /// Module → free function name → indexes into `fns` (looked up without allocating).
    by_module: HashMap<String, HashMap<String, Vec<usize>>>,
    /// `impl` type (or trait, for default bodies) → indexes into `fns` of its methods.
    by_self: HashMap<String, Vec<usize>>,
    /// Every type some `impl Trait for Type` names, for path resolution.
    pub(crate) impl_types: HashSet<String>,
    /// Modules by key.
    pub modules: HashMap<String, ModuleInfo>,
    /// Names a path may start with to reach a loaded library (`products`, a path dependency's
    /// name, a renamed dependency) → its module key.
    pub externs: HashMap<String, String>,
    /// Names in code of the aws-sdk crates (`aws_sdk_s3`, a renamed `ddb`) → the SDK crate.
    pub sdk_aliases: HashMap<String, String>,
    /// Struct name → field name → field type.
    pub structs: HashMap<String, HashMap<String, syn::Type>>,
    /// Struct name → its generic parameters and their trait bounds.
    pub struct_generics: HashMap<String, Generics>,
    /// Struct name → the module that defines it (where its field types are written).
    pub struct_modules: HashMap<String, String>,
    /// (struct, field) → the module whose definition gave the field.
    pub field_modules: HashMap<(String, String), String>,
    /// Trait name → what it declares.
    pub traits: HashMap<String, TraitInfo>,
    /// (impl type, associated type name) → the module and the type (`type Service = Metrics<S>`).
    pub assoc_types: HashMap<(String, String), (String, syn::Type)>,
    /// `macro_rules!` of the loaded crates: name → each rule's body, with its metavariables
    /// replaced by a placeholder name (`$c` → `__leastpriv_meta`) and repetitions written once.
    pub macros: HashMap<String, Vec<proc_macro2::TokenStream>>,
    /// Trait name → the types implementing it (outside test code).
    pub impls: HashMap<String, Vec<String>>,
    /// `const`/`static` string items: name → value.
    pub consts: HashMap<String, String>,
    /// `static` items (and consts) by name → their module and declared type.
    pub statics: HashMap<String, (String, syn::Type)>,
    /// `static` and `const` initialisers that are not plain literals, by name → their module
    /// and expression (a table of function pointers, a `LazyLock::new(|| …)`).
    pub static_inits: HashMap<String, (String, syn::Expr)>,
    /// Files that could not be read or parsed, with the reason.
    pub errors: Vec<(PathBuf, String)>,
    /// Of [`errors`](Self::errors), the files refused for breaking an input bound (larger than
    /// 16 MiB, nested or chained too deeply to parse safely): bad input rather than code the
    /// analysis could not follow (see [`CrateSources::limit_error`]).
    pub over_limit: Vec<PathBuf>,
    /// Manifests read and directories listed: a change to one (a file added, a dependency
    /// changed) may change what a new load would find, besides changes to `files`.
    pub watched: Vec<PathBuf>,
    /// Files already read (canonical paths), so a file reached twice is parsed once.
    seen: HashSet<PathBuf>,
    /// Canonical path → index into `files`.
    by_path: HashMap<PathBuf, usize>,
    /// Files already read, by the path as given.
    seen_raw: HashSet<PathBuf>,
}

impl CrateSources {
    /// Reads the crate roots and every file their `mod` declarations reach, then every other
    /// `.rs` file under `src_dir` (sorted, so results are deterministic).
    ///
    /// `has_lines` says whether spans will carry line numbers (false inside a proc macro, where
    /// text parsed at expansion time gets the call site's span).
    pub fn load_roots(
        &mut self,
        root: &Path,
        src_dir: &Path,
        roots: &[CrateRoot],
        has_lines: bool,
    ) {
        for r in roots {
            if r.is_lib {
                self.externs.entry(r.key.clone()).or_insert_with(|| r.key.clone());
            }
            self.load_module_file(root, &r.file, r.key.clone(), has_lines);
        }
        let mut rest = Vec::new();
        super::limits::collect_rs(src_dir, &mut rest, &mut self.watched);
        rest.sort();
        let fallback = roots.iter().find(|r| r.is_lib).or_else(|| roots.first());
        for path in rest {
            // The path as read first (no system call), then canonically.
            if self.seen_raw.contains(&path) || self.seen.contains(&canonical(&path)) {
                continue;
            }
            let module = match fallback {
                Some(r) => implied_module(&r.key, src_dir, &path),
                None => implied_module("crate", src_dir, &path),
            };
            self.load_module_file(root, &path, module, has_lines);
        }
    }

    /// Reads every `.rs` file under `src_dir` of a crate without a known layout: `lib.rs` and
    /// `main.rs` are roots named `key`, the rest get the module their path implies.
    pub fn load(root: &Path, src_dir: &Path, has_lines: bool) -> Self {
        let mut sources = CrateSources::default();
        let roots: Vec<CrateRoot> = ["lib.rs", "main.rs"]
            .iter()
            .map(|f| src_dir.join(f))
            .filter(|p| crate::observe::is_file(p))
            .map(|file| CrateRoot { key: "crate".to_owned(), file, is_lib: false })
            .collect();
        sources.load_roots(root, src_dir, &roots, has_lines);
        sources
    }

    /// The index of a loaded file, by path (compared canonically).
    pub fn file_index(&self, path: &Path) -> Option<usize> {
        self.by_path.get(&canonical(path)).copied()
    }

    /// Whether a file (by canonical path) is already loaded.
    pub fn has_file(&self, path: &Path) -> bool {
        self.seen.contains(&canonical(path))
    }

    /// Reads one file (and the files its `mod` declarations name) as the module `module`,
    /// unless it is loaded already.
    pub fn load_file(&mut self, root: &Path, path: &Path, module: &str, has_lines: bool) {
        self.load_module_file(root, path, module.to_owned(), has_lines);
    }

    fn load_module_file(&mut self, root: &Path, path: &Path, module: String, has_lines: bool) {
        let canon = canonical(path);
        if !self.seen.insert(canon.clone()) {
            return;
        }
        self.seen_raw.insert(path.to_path_buf());
        match super::limits::read_source(path) {
            Ok(text) => {
                // Files outside the analysed crate (path dependencies) are shown by their full
                // path.
                let display = if root.as_os_str().is_empty() {
                    canonical(path)
                } else {
                    path.strip_prefix(root).unwrap_or(path).to_path_buf()
                };
                let children = self.add_canonical(
                    path.to_path_buf(),
                    canon,
                    display,
                    &text,
                    has_lines,
                    &module,
                );
                for (name, file) in children {
                    self.load_module_file(root, &file, format!("{module}::{name}"), has_lines);
                }
            }
            Err(err) => {
                if err.over_limit {
                    self.over_limit.push(path.to_path_buf());
                }
                self.errors.push((path.to_path_buf(), err.message));
            }
        }
    }

    /// The first file refused for breaking an input bound (size, nesting depth), with the
    /// reason. The command line treats it as bad input (exit 2) rather than as a finding: no
    /// result can be given for a crate part of which cannot be read safely.
    pub fn limit_error(&self) -> Option<&(PathBuf, String)> {
        self.errors.iter().find(|(path, _)| self.over_limit.contains(path))
    }

    /// Parses one file's text as the module `module` and indexes it. Returns the files of the
    /// `mod name;` declarations it makes (name, path), for the caller to load.
    pub fn add_module(
        &mut self,
        path: PathBuf,
        display: PathBuf,
        text: &str,
        has_lines: bool,
        module: &str,
    ) -> Vec<(String, PathBuf)> {
        let canon = canonical(&path);
        self.seen.insert(canon.clone());
        self.add_canonical(path, canon, display, text, has_lines, module)
    }

    fn add_canonical(
        &mut self,
        path: PathBuf,
        canon: PathBuf,
        display: PathBuf,
        text: &str,
        has_lines: bool,
        module: &str,
    ) -> Vec<(String, PathBuf)> {
        if let Err(err) = super::limits::check_nesting(text) {
            self.over_limit.push(path.clone());
            self.errors.push((path, err));
            return Vec::new();
        }
        match syn::parse_file(text) {
            Ok(ast) => {
                let file = self.files.len();
                let dir = child_dir(&path, module);
                let mut out = Vec::new();
                self.index_module(file, module, &ast.items, &dir, &path, &mut out);
                self.by_path.insert(canon, self.files.len());
                self.files.push(SourceFile {
                    path,
                    display,
                    has_lines,
                    module: module.to_owned(),
                    ast,
                });
                out
            }
            Err(err) => {
                let at = err.span().start();
                self.errors.push((path, format!("line {}: {err}", at.line)));
                Vec::new()
            }
        }
    }

    /// Free functions named `name`, anywhere.
    pub fn free_fns(&self, name: &str) -> Vec<&FnEntry> {
        self.named(name).filter(|f| f.self_ty.is_none()).collect()
    }

    fn named<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s FnEntry> + 's {
        let indexes = self.by_name.get(name).map(Vec::as_slice).unwrap_or_default();
        indexes.iter().filter_map(|&i| self.fns.get(i))
    }

    /// Free functions named `name` defined in `module`.
    pub fn fns_in(&self, module: &str, name: &str) -> Vec<&FnEntry> {
        let indexes = self
            .by_module
            .get(module)
            .and_then(|m| m.get(name))
            .map(Vec::as_slice)
            .unwrap_or_default();
        indexes.iter().filter_map(|&i| self.fns.get(i)).collect()
    }

    fn push_fn(&mut self, entry: FnEntry) {
        if entry.self_ty.is_none() {
            self.by_module
                .entry(entry.module.clone())
                .or_default()
                .entry(entry.name.clone())
                .or_default()
                .push(self.fns.len());
        }
        if let Some(ty) = &entry.self_ty {
            self.by_self.entry(ty.clone()).or_default().push(self.fns.len());
        }
        self.by_name.entry(entry.name.clone()).or_default().push(self.fns.len());
        self.fns.push(entry);
    }

    /// Methods named `name` of `self_ty` (inherent and trait impls), or of any type when `None`
    /// (trait default bodies included then).
    pub fn methods(&self, self_ty: Option<&str>, name: &str) -> Vec<&FnEntry> {
        self.named(name)
            .filter(|f| match (self_ty, &f.self_ty) {
                (Some(want), Some(have)) => want == have && !f.is_trait_default,
                (None, Some(_)) => true,
                (_, None) => false,
            })
            .collect()
    }

    /// Methods named `name` of blanket impls (`impl<T: Bound> Trait for T`): their self type is
    /// a generic parameter of the impl, so they may apply to any type.
    pub fn blanket_methods(&self, name: &str) -> Vec<&FnEntry> {
        self.named(name)
            .filter(|f| !f.is_trait_default)
            .filter(|f| {
                f.self_ty.as_ref().is_some_and(|ty| f.generics.iter().any(|(g, _)| g == ty))
            })
            .collect()
    }

    /// Every method of `self_ty` (its impls' and, for a trait, its default bodies).
    pub fn methods_of_type(&self, self_ty: &str) -> Vec<&FnEntry> {
        let indexes = self.by_self.get(self_ty).map(Vec::as_slice).unwrap_or_default();
        indexes.iter().filter_map(|&i| self.fns.get(i)).collect()
    }

    /// The default body of a trait's method, when the trait gives one.
    pub fn trait_default(&self, trait_name: &str, name: &str) -> Option<&FnEntry> {
        self.named(name).find(|f| f.is_trait_default && f.self_ty.as_deref() == Some(trait_name))
    }

    /// The type of a struct's field.
    pub fn field_type(&self, struct_name: &str, field: &str) -> Option<&syn::Type> {
        self.structs.get(struct_name)?.get(field)
    }

    /// A trait and every trait it extends, transitively.
    pub fn trait_closure(&self, names: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut stack: Vec<String> = names.to_vec();
        while let Some(name) = stack.pop() {
            if out.contains(&name) {
                continue;
            }
            if let Some(info) = self.traits.get(&name) {
                stack.extend(info.supertraits.iter().cloned());
            }
            out.push(name);
        }
        out
    }
}

/// The module a file's path implies under a root key: `src/store/dynamodb.rs` →
/// `key::store::dynamodb`, `src/store/mod.rs` → `key::store`.
fn implied_module(key: &str, src_dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(src_dir).unwrap_or(path);
    let mut parts: Vec<String> =
        rel.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").replace('-', "_")).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib" || p == "main") {
        parts.pop();
    }
    std::iter::once(key.to_owned()).chain(parts).collect::<Vec<_>>().join("::")
}

/// The directory where a file's `mod name;` children live: beside a root or `mod.rs` file, in a
/// folder named after the module otherwise.
fn child_dir(path: &Path, module: &str) -> PathBuf {
    let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let is_root = !module.contains("::");
    if is_root || stem == "mod" { parent } else { parent.join(stem) }
}

fn canonical(path: &Path) -> PathBuf {
    crate::observe::canonicalize(path).unwrap_or_else(|| path.to_path_buf())
}

/// The last identifier of a type path (`crate::store::Store<T>` → `Store`).
pub(crate) fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Reference(r) => type_name(&r.elem),
        syn::Type::Paren(p) => type_name(&p.elem),
        syn::Type::Group(g) => type_name(&g.elem),
        _ => None,
    }
}
