//! A crate's source files, parsed once, with an index of its functions, structs, consts and
//! `use` aliases.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use syn::{Expr, ExprLit, Fields, ImplItem, Item, Lit, UseTree};

/// One parsed source file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as read.
    pub path: PathBuf,
    /// The path relative to the crate root, for messages.
    pub display: PathBuf,
    /// Whether spans of this file carry real line numbers (parsed outside a proc macro).
    pub has_lines: bool,
    /// `use` aliases of the file: local name → full path (`S3` → `aws_sdk_s3::Client`).
    pub aliases: HashMap<String, String>,
    /// The parsed file (kept so callers need not read and parse it again).
    pub ast: syn::File,
}

/// A function or method of the crate.
#[derive(Debug, Clone)]
pub struct FnEntry {
    /// Index of its file in [`CrateSources::files`].
    pub file: usize,
    /// The `impl` type for methods.
    pub self_ty: Option<String>,
    /// Its name.
    pub name: String,
    /// Its signature.
    pub sig: syn::Signature,
    /// Its body.
    pub block: syn::Block,
}

impl FnEntry {
    /// `Store::get_order` or `helper`.
    pub fn display(&self) -> String {
        match &self.self_ty {
            Some(ty) => format!("{ty}::{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// All source files of a crate, with the index the analysis needs.
#[derive(Debug, Default)]
pub struct CrateSources {
    /// The files, in the order read.
    pub files: Vec<SourceFile>,
    /// Functions and methods.
    pub fns: Vec<FnEntry>,
    /// Function name → indexes into `fns`, so look-ups stay cheap in large crates.
    by_name: HashMap<String, Vec<usize>>,
    /// (file, free function name) → indexes into `fns`: a file's own functions come first.
    by_file: HashMap<(usize, String), Vec<usize>>,
    /// Struct name → field name → field type.
    pub structs: HashMap<String, HashMap<String, syn::Type>>,
    /// `const`/`static` string items: name → value.
    pub consts: HashMap<String, String>,
    /// `static` items (and consts) by name → their declared type (`static S3: OnceCell<Client>`).
    pub statics: HashMap<String, (usize, syn::Type)>,
    /// Files that could not be read or parsed, with the reason.
    pub errors: Vec<(PathBuf, String)>,
}

impl CrateSources {
    /// Reads and parses every `.rs` file under `src_dir` (sorted, so results are deterministic).
    ///
    /// `has_lines` says whether spans will carry line numbers (false inside a proc macro, where
    /// text parsed at expansion time gets the call site's span).
    pub fn load(root: &Path, src_dir: &Path, has_lines: bool) -> Self {
        let mut paths = Vec::new();
        collect_rs(src_dir, &mut paths);
        paths.sort();
        let mut sources = CrateSources::default();
        for path in paths {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let display = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                    sources.add(path, display, &text, has_lines);
                }
                Err(err) => sources.errors.push((path, err.to_string())),
            }
        }
        sources
    }

    /// Parses one file's text and indexes it.
    pub fn add(&mut self, path: PathBuf, display: PathBuf, text: &str, has_lines: bool) {
        match syn::parse_file(text) {
            Ok(ast) => {
                let file = self.files.len();
                let mut aliases = HashMap::new();
                for item in &ast.items {
                    if let Item::Use(u) = item {
                        flatten_use(&u.tree, String::new(), &mut aliases);
                    }
                }
                self.index_items(file, &ast.items);
                self.files.push(SourceFile { path, display, has_lines, aliases, ast });
            }
            Err(err) => {
                let at = err.span().start();
                self.errors.push((path, format!("line {}: {err}", at.line)));
            }
        }
    }

    fn index_items(&mut self, file: usize, items: &[Item]) {
        for item in items {
            if is_test_only(item) {
                continue;
            }
            match item {
                Item::Fn(f) => self.push_fn(FnEntry {
                    file,
                    self_ty: None,
                    name: f.sig.ident.to_string(),
                    sig: f.sig.clone(),
                    block: (*f.block).clone(),
                }),
                Item::Impl(imp) => {
                    let Some(self_ty) = type_name(&imp.self_ty) else { continue };
                    for impl_item in &imp.items {
                        if let ImplItem::Fn(m) = impl_item {
                            self.push_fn(FnEntry {
                                file,
                                self_ty: Some(self_ty.clone()),
                                name: m.sig.ident.to_string(),
                                sig: m.sig.clone(),
                                block: m.block.clone(),
                            });
                        }
                    }
                }
                Item::Struct(s) => {
                    let fields = match &s.fields {
                        Fields::Named(named) => named
                            .named
                            .iter()
                            .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                            .collect(),
                        Fields::Unnamed(unnamed) => unnamed
                            .unnamed
                            .iter()
                            .enumerate()
                            .map(|(i, f)| (i.to_string(), f.ty.clone()))
                            .collect(),
                        Fields::Unit => HashMap::new(),
                    };
                    self.structs.insert(s.ident.to_string(), fields);
                }
                Item::Const(c) => {
                    if let Some(value) = str_lit(&c.expr) {
                        self.consts.insert(c.ident.to_string(), value);
                    }
                }
                Item::Static(s) => {
                    if let Some(value) = str_lit(&s.expr) {
                        self.consts.insert(s.ident.to_string(), value);
                    }
                    self.statics.insert(s.ident.to_string(), (file, (*s.ty).clone()));
                }
                Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        self.index_items(file, inner);
                    }
                }
                _ => {}
            }
        }
    }

    /// Free functions named `name`.
    pub fn free_fns(&self, name: &str) -> Vec<&FnEntry> {
        self.named(name).filter(|f| f.self_ty.is_none()).collect()
    }

    fn named<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s FnEntry> + 's {
        let indexes = self.by_name.get(name).map(Vec::as_slice).unwrap_or_default();
        indexes.iter().filter_map(|&i| self.fns.get(i))
    }

    /// Free functions named `name` defined in `file`.
    pub fn free_fns_in(&self, file: usize, name: &str) -> Vec<&FnEntry> {
        let key = (file, name.to_owned());
        let indexes = self.by_file.get(&key).map(Vec::as_slice).unwrap_or_default();
        indexes.iter().filter_map(|&i| self.fns.get(i)).collect()
    }

    fn push_fn(&mut self, entry: FnEntry) {
        if entry.self_ty.is_none() {
            self.by_file.entry((entry.file, entry.name.clone())).or_default().push(self.fns.len());
        }
        self.by_name.entry(entry.name.clone()).or_default().push(self.fns.len());
        self.fns.push(entry);
    }

    /// Methods named `name`, of `self_ty` when given.
    pub fn methods(&self, self_ty: Option<&str>, name: &str) -> Vec<&FnEntry> {
        self.named(name)
            .filter(|f| match (self_ty, &f.self_ty) {
                (Some(want), Some(have)) => want == have,
                (None, Some(_)) => true,
                (_, None) => false,
            })
            .collect()
    }

    /// The type of a struct's field.
    pub fn field_type(&self, struct_name: &str, field: &str) -> Option<&syn::Type> {
        self.structs.get(struct_name)?.get(field)
    }
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
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

fn str_lit(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
        Expr::Reference(r) => str_lit(&r.expr),
        Expr::Group(g) => str_lit(&g.expr),
        _ => None,
    }
}

fn flatten_use(tree: &UseTree, prefix: String, out: &mut HashMap<String, String>) {
    let join =
        |name: &str| if prefix.is_empty() { name.to_owned() } else { format!("{prefix}::{name}") };
    match tree {
        UseTree::Path(p) => flatten_use(&p.tree, join(&p.ident.to_string()), out),
        UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                if let Some(last) = prefix.rsplit("::").next() {
                    out.insert(last.to_owned(), prefix.clone());
                }
            } else {
                out.insert(name.clone(), join(&name));
            }
        }
        UseTree::Rename(r) => {
            out.insert(r.rename.to_string(), join(&r.ident.to_string()));
        }
        UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix.clone(), out);
            }
        }
        UseTree::Glob(_) => {}
    }
}

/// Items compiled only for tests (`#[cfg(test)]`, `#[test]`) are not part of any function.
fn is_test_only(item: &Item) -> bool {
    let attrs = match item {
        Item::Fn(f) => &f.attrs,
        Item::Mod(m) => &m.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Struct(s) => &s.attrs,
        Item::Const(c) => &c.attrs,
        Item::Static(s) => &s.attrs,
        Item::Use(u) => &u.attrs,
        _ => return false,
    };
    attrs.iter().any(|a| {
        a.path().is_ident("test")
            || (a.path().is_ident("cfg")
                && a.parse_args::<syn::Ident>().is_ok_and(|ident| ident == "test"))
    })
}
