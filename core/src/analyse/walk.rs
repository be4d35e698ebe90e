//! The walk over a handler's body and the crate functions it reaches.

mod chain;
mod typing;

use std::collections::{HashMap, HashSet};

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::visit::{self, Visit};
use syn::{Expr, ExprCall, ExprMethodCall, FnArg, Pat};

use super::sources::{CrateSources, FnEntry};
use super::types::{self, TypeInfo};
use super::values::{self, Hint};
use super::{Analysis, ClientUse, Location};
use crate::catalog::Catalog;

/// What an analysis needs besides the handler itself.
#[derive(Debug)]
pub struct AnalysisInput<'a> {
    /// The catalog (for operation names of declared services).
    pub catalog: &'a Catalog,
    /// The crate's sources, for following calls; the handler's own file included.
    pub sources: &'a CrateSources,
    /// The IAM prefixes the declaration names (for `.send()` chains on untyped receivers).
    pub declared_prefixes: Vec<String>,
    /// The handler's file, as shown in messages.
    pub handler_file: std::path::PathBuf,
    /// Index of the handler's file in `sources`, for its `use` aliases.
    pub handler_file_index: Option<usize>,
    /// Whether spans of the handler's tokens carry real line numbers.
    pub handler_has_lines: bool,
}

/// Analyses one handler function: its own calls and those of every crate function it reaches.
pub fn analyse_function(input: &AnalysisInput<'_>, handler: &syn::ItemFn) -> Analysis {
    let mut out = Analysis::default();
    let mut visited = HashSet::new();
    let handler_name = handler.sig.ident.to_string();
    visited.insert(format!("::{handler_name}"));
    let mut walker = Walker {
        input,
        out: &mut out,
        visited: &mut visited,
        scopes: vec![HashMap::new()],
        file: input.handler_file_index,
        self_ty: None,
        function: handler_name.clone(),
        anchor: None,
        via: vec![handler_name],
    };
    walker.bind_params(&handler.sig, &[], true);
    walker.visit_block(&handler.block);
    out
}

#[derive(Debug, Clone)]
struct Binding {
    ty: TypeInfo,
    hint: Hint,
    /// The expression a `let` bound, so builders built ahead of a call can be read.
    init: Option<std::rc::Rc<Expr>>,
}

struct Walker<'a, 'i> {
    input: &'a AnalysisInput<'i>,
    out: &'a mut Analysis,
    visited: &'a mut HashSet<String>,
    scopes: Vec<HashMap<String, Binding>>,
    /// The file being walked (None: the handler's tokens, not found among the sources).
    file: Option<usize>,
    self_ty: Option<String>,
    function: String,
    /// Inside a callee: the handler's call expression that reached it.
    anchor: Option<Span>,
    via: Vec<String>,
}

/// Max depth of followed calls, against pathological recursion through name look-ups.
const MAX_DEPTH: usize = 32;

impl Walker<'_, '_> {
    fn aliases(&self) -> Option<&HashMap<String, String>> {
        self.file.and_then(|i| self.input.sources.files.get(i)).map(|f| &f.aliases)
    }

    fn resolve_type(&self, ty: &syn::Type) -> TypeInfo {
        let empty = HashMap::new();
        types::resolve(ty, self.aliases().unwrap_or(&empty), self.self_ty.as_deref())
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    fn bind(&mut self, name: String, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name, binding);
        }
    }

    /// The span problems are reported on: the token itself in the handler, the handler's call
    /// expression inside callees.
    fn report_span(&self, span: Span) -> Span {
        self.anchor.unwrap_or(span)
    }

    fn location(&self, span: Span) -> Location {
        let (file, has_lines) = match self.file.and_then(|i| self.input.sources.files.get(i)) {
            Some(f) if self.anchor.is_some() => (f.display.clone(), f.has_lines),
            _ => (self.input.handler_file.clone(), self.input.handler_has_lines),
        };
        let line = has_lines.then(|| span.start().line).filter(|l| *l > 0);
        Location { file, function: self.function.clone(), line }
    }

    fn bind_params(&mut self, sig: &syn::Signature, args: &[Binding], record_clients: bool) {
        let mut args = args.iter();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(_) => {
                    let ty = self.self_ty.clone().map_or(TypeInfo::Unknown, TypeInfo::Named);
                    self.bind("self".to_owned(), Binding { ty, hint: Hint::Unknown, init: None });
                }
                FnArg::Typed(pt) => {
                    let ty = self.resolve_type(&pt.ty);
                    let hint = args.next().map_or(Hint::Unknown, |b| b.hint.clone());
                    if let (TypeInfo::Client(krate), true) = (&ty, record_clients) {
                        let span = self.report_span(pt.pat.span());
                        self.out.clients.push(ClientUse { crate_name: krate.clone(), span });
                    }
                    for name in pat_idents(&pt.pat) {
                        self.bind(name, Binding { ty: ty.clone(), hint: hint.clone(), init: None });
                    }
                }
            }
        }
    }

    fn hint(&self, expr: &Expr) -> Hint {
        let local = |name: &str| self.lookup(name).map(|b| b.hint.clone()).filter(Hint::is_known);
        let konst = |name: &str| self.input.sources.consts.get(name).cloned();
        let field = |f: &syn::ExprField| {
            let TypeInfo::Named(owner) = self.type_of(&f.base) else { return None };
            let syn::Member::Named(member) = &f.member else { return None };
            self.out.field_hints.get(&(owner, member.to_string())).cloned()
        };
        values::hint_of(expr, &local, &konst, &field)
    }

    /// Follows a call into a crate function, binding its parameters to the arguments' types and
    /// hints.
    fn follow(&mut self, f: &FnEntry, args: Vec<Binding>, call_span: Span) {
        let key = format!("{}:{}::{}", f.file, f.self_ty.as_deref().unwrap_or_default(), f.name);
        if self.via.len() >= MAX_DEPTH || !self.visited.insert(key) {
            return;
        }
        let mut callee = Walker {
            input: self.input,
            out: &mut *self.out,
            visited: &mut *self.visited,
            scopes: vec![HashMap::new()],
            file: Some(f.file),
            self_ty: f.self_ty.clone(),
            function: f.display(),
            anchor: Some(self.anchor.unwrap_or(call_span)),
            via: self.via.iter().cloned().chain([f.display()]).collect(),
        };
        callee.bind_params(&f.sig, &args, true);
        callee.visit_block(&f.block);
    }
}

impl<'ast> Visit<'ast> for Walker<'_, '_> {
    fn visit_block(&mut self, block: &'ast syn::Block) {
        self.scopes.push(HashMap::new());
        visit::visit_block(self, block);
        self.scopes.pop();
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        let (pat, explicit) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some(self.resolve_type(&pt.ty))),
            other => (other, None),
        };
        let (ty, hint) = match &local.init {
            Some(init) => {
                (explicit.unwrap_or_else(|| self.type_of(&init.expr)), self.hint(&init.expr))
            }
            None => (explicit.unwrap_or(TypeInfo::Unknown), Hint::Unknown),
        };
        // A config filled from the environment: its type is the one it deserialises into.
        let config = local.init.as_ref().and_then(|init| self.env_config(&init.expr, &ty));
        let ty = match (ty, config) {
            (TypeInfo::Unknown, Some(owner)) => TypeInfo::Named(owner),
            (ty, _) => ty,
        };
        let init = local.init.as_ref().map(|i| std::rc::Rc::new((*i.expr).clone()));
        for name in pat_idents(pat) {
            self.bind(name, Binding { ty: ty.clone(), hint: hint.clone(), init: init.clone() });
        }
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        self.scopes.push(HashMap::new());
        for input in &closure.inputs {
            let (pat, ty) = match input {
                Pat::Type(pt) => (&*pt.pat, self.resolve_type(&pt.ty)),
                other => (other, TypeInfo::Unknown),
            };
            for name in pat_idents(pat) {
                self.bind(name, Binding { ty: ty.clone(), hint: Hint::Unknown, init: None });
            }
        }
        self.visit_expr(&closure.body);
        self.scopes.pop();
    }

    fn visit_expr_method_call(&mut self, m: &'ast ExprMethodCall) {
        if m.method == "send" && m.args.is_empty() {
            self.sdk_chain(m);
            return;
        }
        visit::visit_expr_method_call(self, m);
        // A method of the crate's own types: follow it.
        let name = m.method.to_string();
        let receiver = self.type_of(&m.receiver);
        let owner = match &receiver {
            TypeInfo::Client(_) => return,
            TypeInfo::Named(owner) => Some(owner.clone()),
            TypeInfo::Unknown => None,
        };
        let found: Vec<FnEntry> =
            self.input.sources.methods(owner.as_deref(), &name).into_iter().cloned().collect();
        // Without a receiver type, follow only a method name the crate defines once.
        if found.len() == 1 || (owner.is_some() && !found.is_empty()) {
            let args: Vec<Binding> = m
                .args
                .iter()
                .map(|a| Binding { ty: self.type_of(a), hint: self.hint(a), init: None })
                .collect();
            for f in &found {
                self.follow(f, args.clone(), m.method.span());
            }
        }
    }

    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        // The callee's path is followed below with the arguments' types and hints; visiting it
        // as a plain path first would follow it without them.
        if !matches!(&*call.func, Expr::Path(_)) {
            self.visit_expr(&call.func);
        }
        for arg in &call.args {
            self.visit_expr(arg);
        }
        let Expr::Path(func) = &*call.func else { return };
        let segments: Vec<String> =
            func.path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let TypeInfo::Client(krate) = self.call_type(call)
            && matches!(segments.last().map(String::as_str), Some("new" | "from_conf"))
        {
            let span = self.report_span(call.span());
            self.out.clients.push(ClientUse { crate_name: krate, span });
            return;
        }
        let found: Vec<FnEntry> = self.callee(&segments).into_iter().cloned().collect();
        if found.len() == 1 {
            let args: Vec<Binding> = call
                .args
                .iter()
                .map(|a| Binding { ty: self.type_of(a), hint: self.hint(a), init: None })
                .collect();
            let name_span =
                func.path.segments.last().map_or_else(|| call.span(), |s| s.ident.span());
            if let Some(f) = found.first() {
                self.follow(f, args, name_span);
            }
        }
    }

    fn visit_expr_struct(&mut self, lit: &'ast syn::ExprStruct) {
        visit::visit_expr_struct(self, lit);
        let Some(owner) = lit.path.segments.last().map(|s| s.ident.to_string()) else { return };
        let owner = if owner == "Self" { self.self_ty.clone().unwrap_or(owner) } else { owner };
        for fv in &lit.fields {
            let syn::Member::Named(member) = &fv.member else { continue };
            let hint = self.hint(&fv.expr);
            if hint.is_known() {
                self.out.field_hints.insert((owner.clone(), member.to_string()), hint);
            }
        }
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        // A crate function passed as a value (`service_fn(handler)`) runs later: follow it.
        let segments: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() == 1 && segments.first().is_some_and(|name| self.lookup(name).is_some()) {
            return;
        }
        let found: Vec<FnEntry> = self.callee(&segments).into_iter().cloned().collect();
        if let [f] = found.as_slice() {
            let span = p.path.segments.last().map_or_else(|| p.span(), |s| s.ident.span());
            self.follow(f, Vec::new(), span);
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {
        // Nested items (fns, impls inside a body) are indexed with the crate's sources and
        // followed only when called.
    }
}

/// The identifiers a pattern binds.
fn pat_idents(pat: &Pat) -> Vec<String> {
    match pat {
        Pat::Ident(p) => vec![p.ident.to_string()],
        Pat::Type(pt) => pat_idents(&pt.pat),
        Pat::Reference(r) => pat_idents(&r.pat),
        Pat::Tuple(t) => t.elems.iter().flat_map(pat_idents).collect(),
        Pat::TupleStruct(t) => t.elems.iter().flat_map(pat_idents).collect(),
        Pat::Struct(s) => s.fields.iter().flat_map(|f| pat_idents(&f.pat)).collect(),
        Pat::Paren(p) => pat_idents(&p.pat),
        _ => Vec::new(),
    }
}
