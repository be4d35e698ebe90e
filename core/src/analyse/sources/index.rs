//! Indexing a parsed file's items: functions, methods, trait declarations and impls, structs,
//! consts, statics, `use` declarations and child modules.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use syn::visit::Visit;
use syn::{Expr, ExprLit, Fields, ImplItem, Item, Lit, TraitItem, UseTree};

use super::{CrateSources, ModuleInfo, type_name};

/// Generic parameters in scope and the traits bounding them (`R: UrlRepository` →
/// `R` → `[UrlRepository]`).
pub type Generics = Vec<(String, Vec<String>)>;

/// A function or method of the crate.
#[derive(Debug, Clone)]
pub struct FnEntry {
    /// Index of its file in [`CrateSources::files`].
    pub file: usize,
    /// The module it is defined in.
    pub module: String,
    /// The `impl` type for methods; the trait for a trait's default method.
    pub self_ty: Option<String>,
    /// The trait of an `impl Trait for Type` method.
    pub trait_name: Option<String>,
    /// Whether this is a trait's default body rather than an impl's.
    pub is_trait_default: bool,
    /// Its name.
    pub name: String,
    /// Its signature.
    pub sig: syn::Signature,
    /// Its body.
    pub block: syn::Block,
    /// Generic parameters in scope (the impl's and the function's) with their trait bounds.
    pub generics: Generics,
    /// The `impl` block's self type as written (`S3Client` for `impl GetFile for S3Client`).
    pub impl_ty: Option<syn::Type>,
    /// Whether the `impl` block carries an attribute macro (`#[OpenApi] impl Api`): code it
    /// generates may call the methods from another crate.
    pub impl_attributed: bool,
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

/// A trait the crate declares.
#[derive(Debug, Clone, Default)]
pub struct TraitInfo {
    /// Traits it extends (`trait Store: StoreGet + StorePut`).
    pub supertraits: Vec<String>,
    /// Its method names.
    pub methods: Vec<String>,
}

impl CrateSources {
    pub(super) fn index_module(
        &mut self,
        file: usize,
        module: &str,
        items: &[Item],
        dir: &Path,
        path: &Path,
        children: &mut Vec<(String, PathBuf)>,
    ) {
        self.modules.entry(module.to_owned()).or_default();
        for item in items {
            if is_test_only(item) {
                // A test module's file is not part of the crate: keep the fallback from
                // reading it as one.
                if let Item::Mod(m) = item
                    && m.content.is_none()
                    && let Some(file) = mod_file(m, dir, path, &m.ident.to_string())
                {
                    self.seen.insert(super::canonical(&file));
                }
                continue;
            }
            match item {
                Item::Fn(f) => {
                    self.push_fn(FnEntry {
                        file,
                        module: module.to_owned(),
                        self_ty: None,
                        trait_name: None,
                        is_trait_default: false,
                        name: f.sig.ident.to_string(),
                        sig: f.sig.clone(),
                        block: (*f.block).clone(),
                        generics: generics_of(&f.sig.generics, Vec::new()),
                        impl_ty: None,
                        impl_attributed: false,
                    });
                    self.index_nested(file, module, &f.block);
                }
                Item::Impl(imp) => self.index_impl(file, module, imp),
                Item::Trait(t) => self.index_trait(file, module, t),
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
                    // Two structs of one name (chosen by `cfg`): the fields of both.
                    let name = s.ident.to_string();
                    for (field, ty) in fields {
                        self.field_modules
                            .entry((name.clone(), field.clone()))
                            .or_insert_with(|| module.to_owned());
                        self.structs.entry(name.clone()).or_default().entry(field).or_insert(ty);
                    }
                    self.structs.entry(name.clone()).or_default();
                    self.struct_modules.entry(name).or_insert_with(|| module.to_owned());
                    self.struct_generics
                        .entry(s.ident.to_string())
                        .or_insert_with(|| generics_of(&s.generics, Vec::new()));
                }
                Item::Const(c) => {
                    match str_lit(&c.expr) {
                        Some(value) => {
                            self.consts.insert(c.ident.to_string(), value);
                        }
                        None => {
                            let init = (module.to_owned(), (*c.expr).clone());
                            self.static_inits.insert(c.ident.to_string(), init);
                        }
                    }
                    self.statics.insert(c.ident.to_string(), (module.to_owned(), (*c.ty).clone()));
                }
                Item::Static(s) => {
                    match str_lit(&s.expr) {
                        Some(value) => {
                            self.consts.insert(s.ident.to_string(), value);
                        }
                        None => {
                            let init = (module.to_owned(), (*s.expr).clone());
                            self.static_inits.insert(s.ident.to_string(), init);
                        }
                    }
                    self.statics.insert(s.ident.to_string(), (module.to_owned(), (*s.ty).clone()));
                }
                Item::Type(t) => {
                    self.module_mut(module)
                        .type_aliases
                        .insert(t.ident.to_string(), (*t.ty).clone());
                }
                Item::Use(u) => {
                    let info = self.module_mut(module);
                    flatten_use(&u.tree, Vec::new(), info);
                }
                // `lazy_static! { static ref CONFIG: Config = Config::default(); }`: statics.
                Item::Macro(m)
                    if m.mac.path.segments.last().is_some_and(|s| s.ident == "lazy_static") =>
                {
                    if let Ok(parsed) = syn::parse2::<syn::File>(without_ref(m.mac.tokens.clone()))
                    {
                        let mut ignored = Vec::new();
                        self.index_module(file, module, &parsed.items, dir, path, &mut ignored);
                    }
                }
                Item::Macro(m) if m.mac.path.is_ident("macro_rules") => {
                    if let Some(name) = &m.ident {
                        let bodies = macro_bodies(m.mac.tokens.clone());
                        self.macros.entry(name.to_string()).or_default().extend(bodies);
                    }
                }
                Item::ExternCrate(e) => {
                    let name = e.rename.as_ref().map_or(&e.ident, |(_, r)| r).to_string();
                    self.module_mut(module).uses.insert(name, vec![e.ident.to_string()]);
                }
                Item::Mod(m) => {
                    let name = m.ident.to_string();
                    self.module_mut(module).children.insert(name.clone());
                    let child = format!("{module}::{name}");
                    match &m.content {
                        Some((_, inner)) => {
                            let dir = dir.join(&name);
                            self.index_module(file, &child, inner, &dir, path, children);
                        }
                        None => {
                            if let Some(file) = mod_file(m, dir, path, &name) {
                                children.push((name, file));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn module_mut(&mut self, module: &str) -> &mut ModuleInfo {
        self.modules.entry(module.to_owned()).or_default()
    }

    fn index_impl(&mut self, file: usize, module: &str, imp: &syn::ItemImpl) {
        let Some(self_ty) = impl_self(&imp.self_ty) else { return };
        let trait_name = imp
            .trait_
            .as_ref()
            .and_then(|(_, path, _)| path.segments.last())
            .map(|s| s.ident.to_string());
        if let Some(t) = &trait_name {
            self.impl_types.insert(self_ty.clone());
            let types = self.impls.entry(t.clone()).or_default();
            if !types.contains(&self_ty) {
                types.push(self_ty.clone());
            }
        }
        let outer = generics_of(&imp.generics, Vec::new());
        let impl_attributed = imp.attrs.iter().any(is_macro_attribute);
        for impl_item in &imp.items {
            if let ImplItem::Type(t) = impl_item {
                self.assoc_types.insert(
                    (self_ty.clone(), t.ident.to_string()),
                    (module.to_owned(), t.ty.clone()),
                );
            }
            if let ImplItem::Fn(m) = impl_item {
                if m.attrs.iter().any(is_test_attr) {
                    continue;
                }
                self.push_fn(FnEntry {
                    file,
                    module: module.to_owned(),
                    self_ty: Some(self_ty.clone()),
                    trait_name: trait_name.clone(),
                    is_trait_default: false,
                    name: m.sig.ident.to_string(),
                    sig: m.sig.clone(),
                    block: m.block.clone(),
                    generics: generics_of(&m.sig.generics, outer.clone()),
                    impl_ty: Some((*imp.self_ty).clone()),
                    impl_attributed,
                });
                self.index_nested(file, module, &m.block);
            }
        }
    }

    fn index_trait(&mut self, file: usize, module: &str, t: &syn::ItemTrait) {
        let name = t.ident.to_string();
        let mut info = TraitInfo {
            supertraits: t.supertraits.iter().filter_map(bound_trait).collect(),
            methods: Vec::new(),
        };
        let outer = generics_of(&t.generics, vec![("Self".to_owned(), vec![name.clone()])]);
        for item in &t.items {
            let TraitItem::Fn(m) = item else { continue };
            info.methods.push(m.sig.ident.to_string());
            if let Some(block) = &m.default {
                self.push_fn(FnEntry {
                    file,
                    module: module.to_owned(),
                    self_ty: Some(name.clone()),
                    trait_name: Some(name.clone()),
                    is_trait_default: true,
                    name: m.sig.ident.to_string(),
                    sig: m.sig.clone(),
                    block: block.clone(),
                    generics: generics_of(&m.sig.generics, outer.clone()),
                    impl_ty: None,
                    impl_attributed: false,
                });
            }
        }
        self.traits.insert(name, info);
    }

    /// Functions and impls written inside a function body: indexed in the enclosing module.
    fn index_nested(&mut self, file: usize, module: &str, block: &syn::Block) {
        struct Items(Vec<Item>);
        impl<'ast> Visit<'ast> for Items {
            fn visit_item(&mut self, item: &'ast Item) {
                if matches!(item, Item::Fn(_) | Item::Impl(_) | Item::Struct(_) | Item::Trait(_)) {
                    self.0.push(item.clone());
                }
            }
        }
        let mut found = Items(Vec::new());
        found.visit_block(block);
        if found.0.is_empty() {
            return;
        }
        let mut ignored = Vec::new();
        self.index_module(file, module, &found.0, Path::new(""), Path::new(""), &mut ignored);
    }
}

/// The type an impl is for, by name; wrappers (`Arc<T>`, `&T`) are seen through.
fn impl_self(ty: &syn::Type) -> Option<String> {
    type_name(ty)
}

/// `static ref X: T = e;` (lazy_static's syntax) as `static X: T = e;`.
fn without_ref(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::TokenTree;
    let mut out: Vec<TokenTree> = Vec::new();
    for token in tokens {
        let after_static = matches!(out.last(), Some(TokenTree::Ident(i)) if i == "static");
        if after_static && matches!(&token, TokenTree::Ident(i) if i == "ref") {
            continue;
        }
        out.push(token);
    }
    out.into_iter().collect()
}

/// The name a `macro_rules!` metavariable becomes in a rule body read as code.
pub(crate) const META: &str = "__leastpriv_meta";

/// The bodies of a `macro_rules!`'s rules (`(matcher) => { body };`), as code the analysis can
/// read: `$x` becomes [`META`], `$crate` becomes `crate`, `$( … ),*` its contents once.
fn macro_bodies(tokens: proc_macro2::TokenStream) -> Vec<proc_macro2::TokenStream> {
    use proc_macro2::TokenTree;
    let mut out = Vec::new();
    let mut arrow = false;
    for token in tokens {
        match token {
            TokenTree::Punct(p) if p.as_char() == '>' => arrow = true,
            TokenTree::Group(g) if arrow => {
                out.push(strip_meta(g.stream()));
                arrow = false;
            }
            _ => {}
        }
    }
    out
}

fn strip_meta(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Ident, Span, TokenTree};
    let mut out: Vec<TokenTree> = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Punct(p) if p.as_char() == '$' => match tokens.next() {
                Some(TokenTree::Ident(i)) if i == "crate" => {
                    out.push(TokenTree::Ident(Ident::new("crate", i.span())));
                }
                Some(TokenTree::Ident(i)) => out.push(TokenTree::Ident(Ident::new(META, i.span()))),
                Some(TokenTree::Group(g)) => {
                    out.extend(strip_meta(g.stream()));
                    // The separator and repetition operator after `$( … )`.
                    while let Some(TokenTree::Punct(q)) = tokens.peek() {
                        let c = q.as_char();
                        tokens.next();
                        if matches!(c, '*' | '+' | '?') {
                            break;
                        }
                    }
                }
                Some(other) => out.push(other),
                None => out.push(TokenTree::Ident(Ident::new(META, Span::call_site()))),
            },
            TokenTree::Group(g) => {
                let mut group = proc_macro2::Group::new(g.delimiter(), strip_meta(g.stream()));
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// The file of `mod name;`: `#[path = "…"]`, `dir/name.rs` or `dir/name/mod.rs`.
fn mod_file(m: &syn::ItemMod, dir: &Path, path: &Path, name: &str) -> Option<PathBuf> {
    for attr in &m.attrs {
        if attr.path().is_ident("path")
            && let syn::Meta::NameValue(nv) = &attr.meta
            && let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = &nv.value
        {
            let base = path.parent().unwrap_or(dir);
            return Some(base.join(s.value()));
        }
    }
    let flat = dir.join(format!("{name}.rs"));
    if crate::observe::is_file(&flat) {
        return Some(flat);
    }
    let nested = dir.join(name).join("mod.rs");
    crate::observe::is_file(&nested).then_some(nested)
}

/// The trait a bound names (`UrlRepository`, `Store + Send`), skipping marker traits.
fn bound_trait(bound: &syn::TypeParamBound) -> Option<String> {
    let syn::TypeParamBound::Trait(t) = bound else { return None };
    let name = t.path.segments.last()?.ident.to_string();
    (!MARKERS.contains(&name.as_str())).then_some(name)
}

/// Traits that say nothing about which methods a value has that the crate defines.
const MARKERS: &[&str] =
    &["Send", "Sync", "Sized", "Unpin", "Clone", "Copy", "Debug", "Default", "Display"];

/// The generic parameters of an item and their trait bounds (inline and `where` clauses), added
/// to the enclosing ones.
pub(crate) fn generics_of(generics: &syn::Generics, mut out: Generics) -> Generics {
    let mut add = |name: String, bounds: Vec<String>| match out.iter_mut().find(|(n, _)| *n == name)
    {
        Some((_, have)) => have.extend(bounds),
        None => out.push((name, bounds)),
    };
    for param in generics.type_params() {
        add(param.ident.to_string(), param.bounds.iter().filter_map(bound_trait).collect());
    }
    if let Some(clause) = &generics.where_clause {
        for predicate in &clause.predicates {
            if let syn::WherePredicate::Type(p) = predicate
                && let Some(name) = type_name(&p.bounded_ty)
            {
                add(name, p.bounds.iter().filter_map(bound_trait).collect());
            }
        }
    }
    out
}

/// The traits named by `impl A + B` / `dyn A + B` bounds.
pub(crate) fn bounds_traits<'a>(
    bounds: impl IntoIterator<Item = &'a syn::TypeParamBound>,
) -> Vec<String> {
    bounds.into_iter().filter_map(bound_trait).collect()
}

fn str_lit(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
        Expr::Reference(r) => str_lit(&r.expr),
        Expr::Group(g) => str_lit(&g.expr),
        _ => None,
    }
}

fn flatten_use(tree: &UseTree, prefix: Vec<String>, out: &mut ModuleInfo) {
    let join = |name: &str| {
        let mut path = prefix.clone();
        path.push(name.to_owned());
        path
    };
    match tree {
        UseTree::Path(p) => flatten_use(&p.tree, join(&p.ident.to_string()), out),
        UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                if let Some(last) = prefix.last() {
                    out.uses.insert(last.clone(), prefix.clone());
                }
            } else {
                out.uses.insert(name.clone(), join(&name));
            }
        }
        UseTree::Rename(r) => {
            let ident = r.ident.to_string();
            let path = if ident == "self" { prefix.clone() } else { join(&ident) };
            if r.rename != "_" {
                out.uses.insert(r.rename.to_string(), path);
            }
        }
        UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix.clone(), out);
            }
        }
        UseTree::Glob(_) => out.globs.push(prefix),
    }
}

/// An attribute that is a macro (`#[launch]`, `#[OpenApi]`, `#[async_trait]`), not one the
/// compiler defines.
pub(crate) fn is_macro_attribute(attr: &syn::Attribute) -> bool {
    !attr.path().get_ident().is_some_and(|i| {
        matches!(
            i.to_string().as_str(),
            "doc"
                | "allow"
                | "cfg"
                | "cfg_attr"
                | "warn"
                | "deny"
                | "expect"
                | "inline"
                | "must_use"
                | "deprecated"
                | "cold"
                | "track_caller"
                | "automatically_derived"
        )
    })
}

fn is_test_attr(a: &syn::Attribute) -> bool {
    a.path().is_ident("test")
        || (a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test"))
        || a.path().segments.last().is_some_and(|s| s.ident == "test")
}

/// Items compiled only for tests (`#[cfg(test)]`, `#[test]`, `#[tokio::test]`) are not part of
/// any function.
fn is_test_only(item: &Item) -> bool {
    let attrs = match item {
        Item::Fn(f) => &f.attrs,
        Item::Mod(m) => &m.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Struct(s) => &s.attrs,
        Item::Const(c) => &c.attrs,
        Item::Static(s) => &s.attrs,
        Item::Use(u) => &u.attrs,
        Item::Trait(t) => &t.attrs,
        _ => return false,
    };
    attrs.iter().any(is_test_attr)
}
