//! The walk over an entry point's body and the crate functions it reaches.

mod chain;
mod dispatch;
mod escape;
mod typing;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::visit::{self, Visit};
use syn::{Expr, FnArg, Pat};

use super::sources::{CrateSources, FnEntry, Generics};
use super::types::{TypeCx, TypeInfo};
use super::values::{self, Hint};
use super::{Analysis, ClientUse, Location, Unresolved};
use crate::catalog::Catalog;

/// What an analysis needs besides the entry point itself.
#[derive(Debug)]
pub struct AnalysisInput<'a> {
    /// The catalog (for operation names).
    pub catalog: &'a Catalog,
    /// The crate's sources, for following calls; the handler's own file included.
    pub sources: &'a CrateSources,
    /// The IAM prefixes of services a value of unknown type may be a client of: the declared
    /// ones and those of the crate's SDK dependencies.
    pub declared_prefixes: Vec<String>,
    /// The handler's file, as shown in messages.
    pub handler_file: std::path::PathBuf,
    /// Index of the handler's file in `sources`, for its module and `use` declarations.
    pub handler_file_index: Option<usize>,
    /// How the handler's spans give line numbers.
    pub handler_lines: HandlerLines<'a>,
}

/// How the spans of the handler's tokens give line numbers.
#[derive(Clone, Copy, Default)]
pub enum HandlerLines<'a> {
    /// They give none.
    #[default]
    None,
    /// Their own positions are the file's (parsed from the file).
    Spans,
    /// A map from a token's span to its line (the attribute parses the compiler's tokens from
    /// their text and maps each back to the compiler's position).
    Mapped(&'a dyn Fn(Span) -> Option<usize>),
}

impl HandlerLines<'_> {
    /// The line of the token at `span`, when known.
    pub fn line(&self, span: Span) -> Option<usize> {
        match self {
            HandlerLines::None => None,
            HandlerLines::Spans => Some(span.start().line),
            HandlerLines::Mapped(map) => map(span),
        }
        .filter(|l| *l > 0)
    }
}

impl std::fmt::Debug for HandlerLines<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HandlerLines::None => "None",
            HandlerLines::Spans => "Spans",
            HandlerLines::Mapped(_) => "Mapped",
        })
    }
}

/// Analyses one handler function: its own calls and those of every crate function it reaches.
pub fn analyse_function(input: &AnalysisInput<'_>, handler: &syn::ItemFn) -> Analysis {
    let mut out = Analysis::default();
    let mut visited = HashSet::new();
    let handler_name = handler.sig.ident.to_string();
    visited.insert(format!("::{handler_name}"));
    let module = input
        .handler_file_index
        .and_then(|i| input.sources.files.get(i))
        .map(|f| f.module.clone())
        .unwrap_or_default();
    let generics = super::sources::index::generics_of(&handler.sig.generics, Vec::new());
    let mut walker = Walker::root(input, &mut out, &mut visited, module, generics, &handler_name);
    walker.bind_params(&handler.sig, &[], true);
    walker.visit_block(&handler.block);
    walker.follow_implicit(Some((&handler.sig, &handler.block)), handler.sig.ident.span());
    out
}

/// Analyses entry points given as crate functions (a handler named in a macro that writes
/// `main`): each is followed as if called from `root`.
pub fn analyse_fns(input: &AnalysisInput<'_>, root: &str, fns: &[FnEntry]) -> Analysis {
    let mut out = Analysis::default();
    let mut visited = HashSet::new();
    let mut walker = Walker::root(input, &mut out, &mut visited, String::new(), Vec::new(), root);
    for f in fns {
        let span = f.sig.ident.span();
        walker.follow(f, None, Vec::new(), span, None);
    }
    if let Some(first) = fns.first() {
        walker.follow_implicit(None, first.sig.ident.span());
    }
    out
}

/// The names a function's signature and body mention: every path segment, and every
/// identifier inside macro calls (whose tokens `syn` leaves unparsed).
struct Mentions<'a>(&'a mut HashSet<String>);

impl<'ast> Visit<'ast> for Mentions<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        for segment in &path.segments {
            self.0.insert(segment.ident.to_string());
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let mut stack = vec![mac.tokens.clone()];
        while let Some(tokens) = stack.pop() {
            for tree in tokens {
                match tree {
                    proc_macro2::TokenTree::Ident(ident) => {
                        self.0.insert(ident.to_string());
                    }
                    proc_macro2::TokenTree::Group(group) => stack.push(group.stream()),
                    _ => {}
                }
            }
        }
        visit::visit_macro(self, mac);
    }
}

#[derive(Debug, Clone)]
struct Binding {
    ty: TypeInfo,
    hint: Hint,
    /// The expression a `let` bound and what was pushed into it later, so builders built
    /// ahead of a call can be read.
    init: Vec<Rc<Expr>>,
}

struct Walker<'a, 'i> {
    input: &'a AnalysisInput<'i>,
    out: &'a mut Analysis,
    visited: &'a mut HashSet<String>,
    scopes: Vec<HashMap<String, Binding>>,
    /// The file being walked (None: the handler's tokens, not found among the sources).
    file: Option<usize>,
    /// The module being walked, for path resolution.
    module: String,
    self_ty: Option<String>,
    generics: Generics,
    function: String,
    /// Inside a callee: the handler's call expression that reached it.
    anchor: Option<Span>,
    via: Vec<String>,
    /// Ambiguous dispatch taken on the way here.
    notes: Vec<String>,
}

/// Max depth of followed calls, against pathological recursion through name look-ups.
const MAX_DEPTH: usize = 48;

impl<'a, 'i> Walker<'a, 'i> {
    /// The walker of an entry point named `function`, in `module`.
    fn root(
        input: &'a AnalysisInput<'i>,
        out: &'a mut Analysis,
        visited: &'a mut HashSet<String>,
        module: String,
        generics: Generics,
        function: &str,
    ) -> Self {
        Walker {
            input,
            out,
            visited,
            scopes: vec![HashMap::new()],
            file: input.handler_file_index,
            module,
            self_ty: None,
            generics,
            function: function.to_owned(),
            anchor: None,
            via: vec![function.to_owned()],
            notes: Vec::new(),
        }
    }
}

impl Walker<'_, '_> {
    /// Follows the methods of the crate's impls of traits declared outside the loaded sources
    /// (`Drop`, `Iterator`, `From`, `Display`, `Deref`, `Future`, serde's, …) for every type
    /// the reached code mentions: the language and other crates call them with no call written
    /// here (a value dropped, a `for` loop, `?`, `format!`), so the walk cannot see the call.
    /// Repeats until the followed methods mention no new type. `root` is the entry point's own
    /// signature and body; `span` is where problems found this way are reported.
    fn follow_implicit(&mut self, root: Option<(&syn::Signature, &syn::Block)>, span: Span) {
        let sources = self.input.sources;
        let implicit: Vec<&FnEntry> = (sources.fns.iter())
            .filter(|f| !f.is_trait_default && f.self_ty.is_some())
            .filter(|f| f.trait_name.as_ref().is_some_and(|t| !sources.traits.contains_key(t)))
            .collect();
        if implicit.is_empty() {
            return;
        }
        // The reached functions, as `Analysis::reached` names them.
        let entries = |module: &str, display: &str| -> Vec<&FnEntry> {
            match display.rsplit_once("::") {
                Some((ty, name)) => (sources.methods_of_type(ty).into_iter())
                    .filter(|f| f.name == name && f.module == module)
                    .collect(),
                None => sources.fns_in(module, display),
            }
        };
        let mut names = HashSet::new();
        if let Some((sig, block)) = root {
            Mentions(&mut names).visit_signature(sig);
            Mentions(&mut names).visit_block(block);
        }
        let mut scanned: HashSet<(String, String)> = HashSet::new();
        let mut followed = vec![false; implicit.len()];
        loop {
            let reached: Vec<(String, String)> =
                self.out.reached.iter().filter(|r| !scanned.contains(*r)).cloned().collect();
            for key in reached {
                for f in entries(&key.0, &key.1) {
                    Mentions(&mut names).visit_signature(&f.sig);
                    Mentions(&mut names).visit_block(&f.block);
                }
                scanned.insert(key);
            }
            let mut any = false;
            for (i, f) in implicit.iter().enumerate() {
                let ty = f.self_ty.as_deref().unwrap_or_default();
                if followed.get(i).copied().unwrap_or(true) || !names.contains(ty) {
                    continue;
                }
                if let Some(done) = followed.get_mut(i) {
                    *done = true;
                }
                any = true;
                let note = format!(
                    "`{}` of `impl {} for {ty}`, which code outside the crate calls implicitly",
                    f.name,
                    f.trait_name.as_deref().unwrap_or_default()
                );
                self.follow(f, None, Vec::new(), span, Some(note));
            }
            if !any {
                break;
            }
        }
    }

    fn type_cx(&self) -> TypeCx<'_> {
        TypeCx {
            sources: self.input.sources,
            module: &self.module,
            self_ty: self.self_ty.as_deref(),
            generics: &self.generics,
        }
    }

    fn resolve_type(&self, ty: &syn::Type) -> TypeInfo {
        self.type_cx().resolve(ty)
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
        let (file, line) = match self.file.and_then(|i| self.input.sources.files.get(i)) {
            Some(f) if self.anchor.is_some() || self.input.handler_file.as_os_str().is_empty() => {
                let line = f.has_lines.then(|| span.start().line).filter(|l| *l > 0);
                (f.display.clone(), line)
            }
            _ => (self.input.handler_file.clone(), self.input.handler_lines.line(span)),
        };
        Location { file, function: self.function.clone(), line }
    }

    fn unresolved(&mut self, crate_name: Option<String>, reason: String, span: Span) {
        let location = self.location(span);
        let report = self.report_span(span);
        let duplicate =
            self.out.unresolved.iter().any(|u| {
                u.location == location && u.crate_name == crate_name && u.reason == reason
            });
        if !duplicate {
            self.out.unresolved.push(Unresolved {
                crate_name,
                reason,
                span: report,
                location,
                via: self.via.clone(),
            });
        }
    }

    fn bind_params(&mut self, sig: &syn::Signature, args: &[Binding], record_clients: bool) {
        let mut args = args.iter();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(_) => {}
                FnArg::Typed(pt) => {
                    let declared = self.resolve_type(&pt.ty);
                    let arg = args.next();
                    let ty = narrow(declared, arg.map(|b| &b.ty));
                    let hint = arg.map_or(Hint::Unknown, |b| b.hint.clone());
                    if let (TypeInfo::Client(krate), true) = (&ty, record_clients) {
                        let span = self.report_span(pt.pat.span());
                        self.out.clients.push(ClientUse { crate_name: krate.clone(), span });
                    }
                    self.bind_pat(&pt.pat, &ty, &hint, None);
                }
            }
        }
    }

    /// Binds the names of a pattern to the parts of a value of type `ty`.
    fn bind_pat(&mut self, pat: &Pat, ty: &TypeInfo, hint: &Hint, init: Option<&Rc<Expr>>) {
        match pat {
            Pat::Ident(p) => {
                let binding = Binding {
                    ty: ty.clone(),
                    hint: hint.clone(),
                    init: init.into_iter().cloned().collect(),
                };
                self.bind(p.ident.to_string(), binding);
                if let Some((_, sub)) = &p.subpat {
                    self.bind_pat(sub, ty, hint, init);
                }
            }
            Pat::Type(pt) => {
                let explicit = self.resolve_type(&pt.ty);
                let ty = narrow(explicit, Some(ty));
                self.bind_pat(&pt.pat, &ty, hint, init);
            }
            Pat::Reference(r) => self.bind_pat(&r.pat, ty, hint, init),
            Pat::Paren(p) => self.bind_pat(&p.pat, ty, hint, init),
            Pat::Or(o) => {
                for case in &o.cases {
                    self.bind_pat(case, ty, hint, init);
                }
            }
            Pat::Tuple(t) => {
                for (i, elem) in t.elems.iter().enumerate() {
                    let part = match ty {
                        TypeInfo::Tuple(items) => {
                            items.get(i).cloned().unwrap_or(TypeInfo::Unknown)
                        }
                        _ => TypeInfo::Unknown,
                    };
                    self.bind_pat(elem, &part, &Hint::Unknown, None);
                }
            }
            Pat::TupleStruct(t) => {
                let owner = t.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                let fields = self.input.sources.structs.contains_key(&owner);
                for (i, elem) in t.elems.iter().enumerate() {
                    let part = if fields {
                        self.field_of(&owner, &i.to_string())
                    } else if t.elems.len() == 1 {
                        // `Some(x)`, `Ok(x)`, `Extension(x)`, `State(x)`: the wrapped value.
                        ty.clone()
                    } else {
                        TypeInfo::Unknown
                    };
                    self.bind_pat(elem, &part, hint, None);
                }
            }
            Pat::Struct(s) => {
                let owner = s.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                for field in &s.fields {
                    let member = match &field.member {
                        syn::Member::Named(n) => n.to_string(),
                        syn::Member::Unnamed(i) => i.index.to_string(),
                    };
                    let part = self.field_of(&owner, &member);
                    self.bind_pat(&field.pat, &part, &Hint::Unknown, None);
                }
            }
            Pat::Slice(s) => {
                let elem_ty = match ty {
                    TypeInfo::Container(inner) => (**inner).clone(),
                    other => other.clone(),
                };
                for elem in &s.elems {
                    self.bind_pat(elem, &elem_ty, &Hint::Unknown, None);
                }
            }
            _ => {}
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

    /// Visits an expression and returns its type.
    fn eval(&mut self, expr: &Expr) -> TypeInfo {
        match expr {
            Expr::MethodCall(m) => self.chain(m),
            Expr::Call(c) => self.call(c),
            Expr::Await(a) => self.eval(&a.base),
            Expr::Try(t) => self.eval(&t.expr),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Group(g) => self.eval(&g.expr),
            Expr::Reference(r) => self.eval(&r.expr),
            Expr::Unary(u) => self.eval(&u.expr),
            Expr::Tuple(t) => TypeInfo::Tuple(t.elems.iter().map(|e| self.eval(e)).collect()),
            _ => {
                self.visit_expr(expr);
                self.type_of(expr)
            }
        }
    }

    /// Evaluates call arguments: their types (hints are read only when a call is followed).
    fn eval_args<'e>(&mut self, args: impl IntoIterator<Item = &'e Expr>) -> Vec<TypeInfo> {
        args.into_iter().map(|a| self.eval(a)).collect()
    }

    /// The arguments of a followed call: their types and resource hints.
    fn bindings<'e>(
        &self,
        exprs: impl IntoIterator<Item = &'e Expr>,
        types: &[TypeInfo],
    ) -> Vec<Binding> {
        exprs
            .into_iter()
            .zip(types)
            .map(|(a, ty)| Binding { ty: ty.clone(), hint: self.hint(a), init: Vec::new() })
            .collect()
    }
}

/// The more precise of a declared type and the type of the value given for it: a parameter
/// declared `&dyn Store` or `R` that receives a `DynamoStore` is that store.
fn narrow(declared: TypeInfo, given: Option<&TypeInfo>) -> TypeInfo {
    match (declared, given) {
        // A client given for `T: Store`: the code calls the trait's methods, which the crate
        // implements on the client; the client's own operations are not what `T` offers.
        (t @ TypeInfo::Trait(_), Some(TypeInfo::Client(_))) => t,
        (TypeInfo::Trait(_) | TypeInfo::Unknown, Some(g))
            if !matches!(g, TypeInfo::Unknown | TypeInfo::Foreign) =>
        {
            g.clone()
        }
        (
            TypeInfo::Builder { call: None, .. },
            Some(g @ TypeInfo::Builder { call: Some(_), .. }),
        ) => g.clone(),
        (TypeInfo::Unknown, _) => given.cloned().unwrap_or(TypeInfo::Unknown),
        (declared, _) => declared,
    }
}

impl<'ast> Visit<'ast> for Walker<'_, '_> {
    fn visit_block(&mut self, block: &'ast syn::Block) {
        self.scopes.push(HashMap::new());
        visit::visit_block(self, block);
        self.scopes.pop();
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        let (ty, hint) = match &local.init {
            Some(init) => {
                let ty = self.eval(&init.expr);
                if let Some((_, diverge)) = &init.diverge {
                    self.visit_expr(diverge);
                }
                (ty, self.hint(&init.expr))
            }
            None => (TypeInfo::Unknown, Hint::Unknown),
        };
        let explicit = match &local.pat {
            Pat::Type(pt) => Some(self.resolve_type(&pt.ty)),
            _ => None,
        };
        let ty = match explicit {
            Some(explicit) => narrow(explicit, Some(&ty)),
            None => ty,
        };
        // A config filled from the environment: its type is the one it deserialises into.
        let config = local.init.as_ref().and_then(|init| self.env_config(&init.expr, &ty));
        let ty = match (ty, config) {
            (TypeInfo::Unknown, Some(owner)) => TypeInfo::Named(owner),
            (ty, _) => ty,
        };
        let init = local.init.as_ref().map(|i| Rc::new((*i.expr).clone()));
        let pat = match &local.pat {
            Pat::Type(pt) => &*pt.pat,
            other => other,
        };
        self.bind_pat(pat, &ty, &hint, init.as_ref());
    }

    fn visit_expr_assign(&mut self, assign: &'ast syn::ExprAssign) {
        let ty = self.eval(&assign.right);
        self.visit_expr(&assign.left);
        // `req = req.exclusive_start_key(…)`: the binding keeps the most precise type seen.
        if let Expr::Path(p) = &*assign.left
            && let Some(name) = p.path.get_ident().map(ToString::to_string)
            && ty != TypeInfo::Unknown
        {
            for scope in self.scopes.iter_mut().rev() {
                if let Some(b) = scope.get_mut(&name) {
                    b.ty = ty;
                    break;
                }
            }
        }
    }

    fn visit_expr_let(&mut self, expr: &'ast syn::ExprLet) {
        // `if let Some(client) = &self.client`: the pattern binds the parts of the value.
        let ty = self.eval(&expr.expr);
        let hint = self.hint(&expr.expr);
        self.bind_pat(&expr.pat, &ty, &hint, None);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        let ty = self.eval(&m.expr);
        for arm in &m.arms {
            self.scopes.push(HashMap::new());
            self.bind_pat(&arm.pat, &ty, &Hint::Unknown, None);
            if let Some((_, guard)) = &arm.guard {
                self.visit_expr(guard);
            }
            self.visit_expr(&arm.body);
            self.scopes.pop();
        }
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        let ty = match self.eval(&f.expr) {
            TypeInfo::Container(inner) => *inner,
            other => other,
        };
        self.scopes.push(HashMap::new());
        self.bind_pat(&f.pat, &ty, &Hint::Unknown, None);
        self.visit_block(&f.body);
        self.scopes.pop();
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        self.scopes.push(HashMap::new());
        for input in &closure.inputs {
            self.bind_pat(input, &TypeInfo::Unknown, &Hint::Unknown, None);
        }
        self.visit_expr(&closure.body);
        self.scopes.pop();
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        self.chain(m);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        self.call(call);
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
        let (found, note) = self.resolve_fn(&segments, false);
        let span = p.path.segments.last().map_or_else(|| p.span(), |s| s.ident.span());
        for f in &found {
            self.follow(f, None, Vec::new(), span, note.clone());
        }
        // A `static`/`const` whose initialiser the code reaches through it (function pointers
        // in a table, a client built in a `LazyLock`).
        if let Some(name) = segments.last() {
            self.static_init(name, span);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.macro_body(mac);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {
        // Nested items (fns, impls inside a body) are indexed with the crate's sources and
        // followed only when called.
    }
}
