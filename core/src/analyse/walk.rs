//! The walk over a handler's body and the crate functions it reaches.

use std::collections::{HashMap, HashSet};

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::visit::{self, Visit};
use syn::{Expr, ExprCall, ExprMethodCall, FnArg, Pat};

use super::sources::{CrateSources, FnEntry};
use super::types::{self, TypeInfo};
use super::values::{self, Hint};
use super::{Ambiguity, Analysis, Call, ClientUse, Item, Location};
use crate::catalog::{Catalog, SetterUse};
use crate::declare::services;

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
    let mut out = Analysis {
        files_read: input.sources.files.iter().map(|f| f.path.clone()).collect(),
        ..Analysis::default()
    };
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

    fn type_of(&self, expr: &Expr) -> TypeInfo {
        match expr {
            Expr::Path(p) => {
                let Some(ident) = p.path.get_ident().map(ToString::to_string) else {
                    return TypeInfo::Unknown;
                };
                if let Some(b) = self.lookup(&ident) {
                    return b.ty.clone();
                }
                // A `static` client (`static S3: OnceCell<aws_sdk_s3::Client>`).
                match self.input.sources.statics.get(&ident) {
                    Some((file, ty)) => {
                        let empty = HashMap::new();
                        let aliases =
                            self.input.sources.files.get(*file).map_or(&empty, |f| &f.aliases);
                        types::resolve(ty, aliases, None)
                    }
                    None => TypeInfo::Unknown,
                }
            }
            Expr::Reference(r) => self.type_of(&r.expr),
            Expr::Paren(p) => self.type_of(&p.expr),
            Expr::Group(g) => self.type_of(&g.expr),
            Expr::Unary(u) => self.type_of(&u.expr),
            Expr::Try(t) => self.type_of(&t.expr),
            Expr::Await(a) => self.type_of(&a.base),
            Expr::Field(f) => {
                let TypeInfo::Named(owner) = self.type_of(&f.base) else {
                    return TypeInfo::Unknown;
                };
                let member = match &f.member {
                    syn::Member::Named(ident) => ident.to_string(),
                    syn::Member::Unnamed(index) => index.index.to_string(),
                };
                match self.input.sources.field_type(&owner, &member) {
                    Some(ty) => self.resolve_type(ty),
                    None => TypeInfo::Unknown,
                }
            }
            Expr::MethodCall(m)
                if values::PASS_THROUGH.contains(&m.method.to_string().as_str()) =>
            {
                self.type_of(&m.receiver)
            }
            Expr::MethodCall(m) => {
                // A method of the crate with a declared return type.
                let owner = match self.type_of(&m.receiver) {
                    TypeInfo::Named(owner) => Some(owner),
                    _ => None,
                };
                let found = self.input.sources.methods(owner.as_deref(), &m.method.to_string());
                match found.as_slice() {
                    [one] => self.return_type(one),
                    _ => TypeInfo::Unknown,
                }
            }
            Expr::Call(call) => self.call_type(call),
            Expr::Struct(s) => s.path.segments.last().map_or(TypeInfo::Unknown, |seg| {
                match seg.ident.to_string().as_str() {
                    "Self" => self.self_ty.clone().map_or(TypeInfo::Unknown, TypeInfo::Named),
                    name => TypeInfo::Named(name.to_owned()),
                }
            }),
            _ => TypeInfo::Unknown,
        }
    }

    fn return_type(&self, f: &FnEntry) -> TypeInfo {
        match &f.sig.output {
            syn::ReturnType::Type(_, ty) => {
                let empty = HashMap::new();
                let aliases = self.input.sources.files.get(f.file).map_or(&empty, |s| &s.aliases);
                let ty = unwrap_result(ty);
                types::resolve(ty, aliases, f.self_ty.as_deref())
            }
            syn::ReturnType::Default => TypeInfo::Unknown,
        }
    }

    fn call_type(&self, call: &ExprCall) -> TypeInfo {
        let Expr::Path(func) = &*call.func else { return TypeInfo::Unknown };
        let segments: Vec<String> =
            func.path.segments.iter().map(|s| s.ident.to_string()).collect();
        let Some(last) = segments.last().map(String::as_str) else { return TypeInfo::Unknown };
        if matches!(last, "new" | "from_conf" | "from") && segments.len() >= 2 {
            let owner = &segments[..segments.len() - 1];
            let empty = HashMap::new();
            let full = types::expand(owner, self.aliases().unwrap_or(&empty));
            if let Some(krate) = types::client_crate(&full) {
                return TypeInfo::Client(krate);
            }
            if matches!(owner.last().map(String::as_str), Some("Arc" | "Box" | "Rc" | "Some")) {
                return call.args.first().map_or(TypeInfo::Unknown, |a| self.type_of(a));
            }
        }
        if matches!(last, "Some" | "Ok") {
            return call.args.first().map_or(TypeInfo::Unknown, |a| self.type_of(a));
        }
        let found = self.callee(&segments);
        match found.as_slice() {
            [one] => self.return_type(one),
            _ if segments.len() >= 2 && last == "new" => {
                segments.get(segments.len() - 2).map_or(TypeInfo::Unknown, |o| {
                    if o == "Self" {
                        self.self_ty.clone().map_or(TypeInfo::Unknown, TypeInfo::Named)
                    } else {
                        TypeInfo::Named(o.clone())
                    }
                })
            }
            _ => TypeInfo::Unknown,
        }
    }

    /// Crate functions a call path may name: `helper`, `module::helper`, `Store::new`,
    /// `Self::new`.
    fn callee(&self, segments: &[String]) -> Vec<&FnEntry> {
        let Some(last) = segments.last() else { return Vec::new() };
        if segments.len() >= 2 {
            let owner = &segments[segments.len() - 2];
            let owner = if owner == "Self" { self.self_ty.clone() } else { Some(owner.clone()) };
            if let Some(owner) = owner {
                let methods = self.input.sources.methods(Some(&owner), last);
                if !methods.is_empty() {
                    return methods;
                }
            }
        }
        let free = self.input.sources.free_fns(last);
        if free.len() > 1 {
            // Prefer the one in the current file.
            let here: Vec<&FnEntry> =
                free.iter().copied().filter(|f| Some(f.file) == self.file).collect();
            if here.len() == 1 {
                return here;
            }
        }
        free
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

    fn sdk_chain(&mut self, send: &ExprMethodCall) {
        // Collect the chain from `.send()` back to the operation call.
        let mut chain: Vec<&ExprMethodCall> = Vec::new();
        let mut cursor: &Expr = &send.receiver;
        while let Expr::MethodCall(m) = cursor {
            chain.push(m);
            cursor = &m.receiver;
        }
        // The operation is the first call on a client-typed value, counting from the innermost
        // (`STATIC.get().unwrap().get_object()` → `get_object`); without a typed receiver, the
        // innermost method that is an operation of a declared service.
        let catalog = self.input.catalog;
        let typed = chain.iter().rposition(|m| match self.type_of(&m.receiver) {
            // The receiver may be a wrapper the type resolution sees through (`OnceCell::get`):
            // the method must be an operation of the client's crate.
            TypeInfo::Client(krate) => {
                let method = m.method.to_string();
                catalog.methods_of(&krate).is_ok_and(|ms| ms.contains(&method))
            }
            _ => false,
        });
        let (position, krate) = match typed {
            Some(i) => {
                let krate = match chain.get(i).map(|m| self.type_of(&m.receiver)) {
                    Some(TypeInfo::Client(krate)) => Some(krate),
                    _ => None,
                };
                (i, krate)
            }
            None => {
                let found =
                    chain.iter().rposition(|m| self.is_declared_operation(&m.method.to_string()));
                match found {
                    Some(i) => {
                        let m = chain[i];
                        (i, self.untyped_client(&m.method.to_string(), m.method.span()))
                    }
                    None => return self.visit_chain_parts(&chain),
                }
            }
        };
        let Some(op) = chain.get(position).copied() else { return };
        chain.truncate(position + 1);
        let base = &*op.receiver;
        let method = op.method.to_string();
        // Visit everything inside the chain (arguments, the base) for nested calls.
        self.visit_expr(base);
        for m in &chain {
            for arg in &m.args {
                self.visit_expr(arg);
            }
        }
        let Some(krate) = krate else { return };
        let name_setters = self.name_setters(&krate);
        let mut setters = Vec::new();
        let mut hints = Vec::new();
        let mut items = Vec::new();
        // Setters between the operation and `.send()` (the chain is stored outermost first).
        for m in chain.iter().rev().skip(1) {
            let name = m.method.to_string();
            let value = m.args.first().and_then(|a| match self.hint(a) {
                Hint::Literal(text) => Some(text),
                _ => None,
            });
            if name_setters.contains(&name.as_str())
                && let Some(arg) = m.args.first()
            {
                hints.push((name.clone(), self.hint(arg)));
            }
            setters.push(SetterUse { name, value });
            for arg in &m.args {
                let mut item = Item::default();
                self.nested(arg, &name_setters, &mut item);
                if !item.setters.is_empty() {
                    items.push(item);
                }
            }
        }
        let span = self.report_span(op.method.span());
        let location = self.location(op.method.span());
        self.out.calls.push(Call {
            crate_name: krate,
            method,
            setters,
            hints,
            items,
            span,
            location,
            via: self.via.clone(),
        });
    }

    /// Whether any declared service's SDK crate has this client method.
    fn is_declared_operation(&self, method: &str) -> bool {
        let catalog = self.input.catalog;
        self.input.declared_prefixes.iter().any(|prefix| {
            catalog
                .crates_of_prefix(prefix)
                .any(|krate| catalog.methods_of(krate).is_ok_and(|m| m.iter().any(|x| x == method)))
        })
    }

    /// Visits a `.send()` chain that is not an SDK call (its receiver and arguments).
    fn visit_chain_parts(&mut self, chain: &[&ExprMethodCall]) {
        if let Some(innermost) = chain.last() {
            self.visit_expr(&innermost.receiver);
        }
        for m in chain {
            for arg in &m.args {
                self.visit_expr(arg);
            }
        }
    }

    /// The crate of a `.send()` chain whose receiver has no known type: the one declared service
    /// that has the operation, if exactly one does.
    fn untyped_client(&mut self, method: &str, span: Span) -> Option<String> {
        let catalog = self.input.catalog;
        let mut crates: Vec<String> = Vec::new();
        for prefix in &self.input.declared_prefixes {
            for krate in catalog.crates_of_prefix(prefix) {
                let has = catalog.methods_of(krate).is_ok_and(|m| m.iter().any(|x| x == method));
                if has && !crates.iter().any(|c| c == krate) {
                    crates.push(krate.to_owned());
                }
            }
        }
        match crates.len() {
            0 => None,
            1 => crates.pop(),
            _ => {
                let span = self.report_span(span);
                self.out.ambiguities.push(Ambiguity { method: method.to_owned(), crates, span });
                None
            }
        }
    }

    /// `envy::from_env::<Config>()` (or `envy::prefixed("P_").from_env()`) fills every field of
    /// the struct from the environment variable of the same name in upper case: record those as
    /// the fields' hints.
    fn envy_config(&mut self, expr: &Expr, bound: &TypeInfo) {
        let mut cursor = expr;
        let mut target: Option<String> = None;
        let mut prefix = String::new();
        let mut is_envy = false;
        loop {
            match cursor {
                Expr::Try(t) => cursor = &t.expr,
                Expr::Await(a) => cursor = &a.base,
                Expr::MethodCall(m) => {
                    if m.method == "from_env" {
                        target = target.or_else(|| turbofish(m.turbofish.as_ref()));
                    }
                    cursor = &m.receiver;
                }
                Expr::Call(call) => {
                    let Expr::Path(func) = &*call.func else { break };
                    let segments: Vec<String> =
                        func.path.segments.iter().map(|s| s.ident.to_string()).collect();
                    is_envy = segments.first().is_some_and(|s| s == "envy");
                    match segments.last().map(String::as_str) {
                        Some("from_env") => {
                            target = target.or_else(|| {
                                func.path.segments.last().and_then(|s| match &s.arguments {
                                    syn::PathArguments::AngleBracketed(a) => {
                                        a.args.first().and_then(|g| match g {
                                            syn::GenericArgument::Type(ty) => {
                                                super::sources::type_name(ty)
                                            }
                                            _ => None,
                                        })
                                    }
                                    _ => None,
                                })
                            });
                        }
                        Some("prefixed") => {
                            if let Some(Hint::Literal(p)) = call.args.first().map(|a| self.hint(a))
                            {
                                prefix = p;
                            }
                        }
                        _ => {}
                    }
                    break;
                }
                _ => break,
            }
        }
        if !is_envy {
            return;
        }
        let Some(owner) = target.or(match bound {
            TypeInfo::Named(name) => Some(name.clone()),
            _ => None,
        }) else {
            return;
        };
        let Some(fields) = self.input.sources.structs.get(&owner) else { return };
        for field in fields.keys() {
            let var = format!("{prefix}{}", field.to_ascii_uppercase());
            self.out.field_hints.insert((owner.clone(), field.clone()), Hint::Env(var));
        }
    }

    fn name_setters(&self, krate: &str) -> Vec<&'static str> {
        let prefix = self.input.catalog.crate_prefix(krate).unwrap_or_default();
        services::by_prefix(prefix).map(|s| s.name_setters.to_vec()).unwrap_or_default()
    }

    /// Setters and resource hints inside a setter's argument (nested builders).
    fn nested(&self, expr: &Expr, name_setters: &[&'static str], item: &mut Item) {
        struct Nested<'w, 'a, 'i> {
            walker: &'w Walker<'a, 'i>,
            name_setters: &'w [&'static str],
            item: &'w mut Item,
            /// Bindings already expanded (`let x = f(x)` would otherwise loop).
            expanded: HashSet<String>,
        }
        impl<'ast> Visit<'ast> for Nested<'_, '_, '_> {
            fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
                // A builder bound ahead of the call: read what it was built from.
                let Some(name) = p.path.get_ident().map(ToString::to_string) else { return };
                if !self.expanded.insert(name.clone()) {
                    return;
                }
                if let Some(init) = self.walker.lookup(&name).and_then(|b| b.init.clone()) {
                    self.visit_expr(&init);
                }
            }

            fn visit_expr_method_call(&mut self, m: &'ast ExprMethodCall) {
                let name = m.method.to_string();
                if !matches!(name.as_str(), "build" | "builder") {
                    let value = m.args.first().and_then(|a| match self.walker.hint(a) {
                        Hint::Literal(text) => Some(text),
                        _ => None,
                    });
                    if self.name_setters.contains(&name.as_str())
                        && let Some(arg) = m.args.first()
                    {
                        self.item.hints.push((name.clone(), self.walker.hint(arg)));
                    }
                    self.item.setters.push(SetterUse { name, value });
                }
                visit::visit_expr_method_call(self, m);
            }
        }
        let mut nested = Nested { walker: self, name_setters, item, expanded: HashSet::new() };
        nested.visit_expr(expr);
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
        if let Some(init) = &local.init {
            self.envy_config(&init.expr, &ty);
        }
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

/// `Result<T, E>` → `T`, for return types.
fn unwrap_result(ty: &syn::Type) -> &syn::Type {
    if let syn::Type::Path(p) = ty
        && let Some(last) = p.path.segments.last()
        && last.ident == "Result"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return inner;
    }
    ty
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

/// The type named by a method turbofish (`from_env::<Config>()`).
fn turbofish(t: Option<&syn::AngleBracketedGenericArguments>) -> Option<String> {
    t?.args.iter().find_map(|g| match g {
        syn::GenericArgument::Type(ty) => super::sources::type_name(ty),
        _ => None,
    })
}
