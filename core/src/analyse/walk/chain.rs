//! Method chains: an operation invoked on a client starts an SDK call; setters on its fluent
//! builder, wherever they are written (the same chain, a binding reassigned later, a helper the
//! builder is passed to), are added to that call. Other methods are dispatched to the crate's
//! functions.

use std::collections::HashSet;

use proc_macro2::Span;
use syn::visit::{self, Visit};
use syn::{Expr, ExprMethodCall};

use super::Walker;
use crate::analyse::types::TypeInfo;
use crate::analyse::values::{Hint, PASS_THROUGH};
use crate::analyse::{Ambiguity, Call, Item, Location};
use crate::catalog::SetterUse;
use crate::declare::services;

/// Methods of a collection that give one of its elements.
pub(super) const ELEMENT: &[&str] = &[
    "get",
    "get_mut",
    "first",
    "last",
    "pop",
    "pop_front",
    "pop_back",
    "front",
    "back",
    "remove",
    "swap_remove",
    "take",
    "next",
    "next_back",
    "find",
    "nth",
    "min",
    "max",
    "min_by_key",
    "max_by_key",
    "or_insert",
    "or_insert_with",
    "or_default",
    "get_or_insert_with",
    "unwrap",
];

/// Methods of a collection (or iterator) that give the same elements again.
const ITERATE: &[&str] = &[
    "iter",
    "iter_mut",
    "into_iter",
    "values",
    "values_mut",
    "into_values",
    "drain",
    "filter",
    "skip",
    "take_while",
    "skip_while",
    "rev",
    "chain",
    "cloned",
    "copied",
    "peekable",
    "entry",
    "as_slice",
    "to_vec",
    "collect",
];

/// Methods of another crate's value that return it, or what it wraps, unchanged in kind.
/// Methods of the wrappers a type is read through (`Mutex`, `RwLock`, `RefCell`, tokio's locks,
/// the `LockResult` they return) that give the wrapped value: `map.read().unwrap().get(k)` is
/// the map's `get`.
pub(super) const GUARDS: &[&str] = &[
    "read",
    "write",
    "lock",
    "try_read",
    "try_write",
    "try_lock",
    "blocking_read",
    "blocking_write",
    "blocking_lock",
    "borrow",
    "borrow_mut",
    "unwrap",
    "expect",
    "as_ref",
    "as_mut",
    "deref",
    "deref_mut",
];

const FOREIGN_KEEPS: &[&str] = &[
    "context",
    "with_context",
    "map_err",
    "build",
    "clone",
    "as_ref",
    "to_owned",
    "into",
    // `Option`/`Result` adapters that give the same value back (`item.get.ok_or(e)?`).
    "ok_or",
    "ok_or_else",
    "unwrap",
    "expect",
    "unwrap_or_default",
    "as_deref",
    "as_mut",
];

/// Builder methods that are not input setters (sending, paginating, presigning, customising).
const NOT_SETTERS: &[&str] = &[
    "send",
    "send_with",
    "into_paginator",
    "items",
    "page_size",
    "stop_on_duplicate_token",
    "presigned",
    "customize",
    "config_override",
    "wait",
    "mutate_request",
    "map_request",
    "as_input",
    "get_input",
];

impl Walker<'_, '_> {
    /// Walks a method chain innermost first and returns the type of its value.
    pub(super) fn chain(&mut self, top: &ExprMethodCall) -> TypeInfo {
        let mut links: Vec<&ExprMethodCall> = vec![top];
        let mut cursor: &Expr = &top.receiver;
        loop {
            match cursor {
                Expr::MethodCall(m) => {
                    links.push(m);
                    cursor = &m.receiver;
                }
                Expr::Await(a) => cursor = &a.base,
                Expr::Try(t) => cursor = &t.expr,
                Expr::Paren(p) => cursor = &p.expr,
                _ => break,
            }
        }
        links.reverse();
        self.record_push(cursor, &links);
        let mut ty = self.eval(cursor);
        let first_new = self.out.calls.len();
        for (i, m) in links.iter().enumerate() {
            let types = self.eval_args(&m.args);
            ty = self.link(ty, m, &types, &links[i + 1..]);
        }
        // What this chain gave the calls it started is definite; later setters may not be.
        if let Some(call) = self.out.calls.get_mut(first_new..) {
            for call in call {
                call.definite.get_or_insert((call.setters.len(), call.items.len()));
            }
        }
        ty
    }

    /// `items.push(TransactWriteItem::builder()…)`: what is pushed into a local collection is
    /// read with it when it is later given to a setter.
    fn record_push(&mut self, base: &Expr, links: &[&ExprMethodCall]) {
        let Some(first) = links.first() else { return };
        if !matches!(
            first.method.to_string().as_str(),
            "push" | "push_back" | "extend" | "insert" | "append" | "push_front"
        ) {
            return;
        }
        let Expr::Path(p) = base else { return };
        let Some(name) = p.path.get_ident().map(ToString::to_string) else { return };
        for scope in self.scopes.iter_mut().rev() {
            if let Some(b) = scope.get_mut(&name) {
                b.init.extend(first.args.iter().map(|a| std::rc::Rc::new(a.clone())));
                break;
            }
        }
    }

    /// One method of a chain on a value of type `ty`.
    fn link(
        &mut self,
        ty: TypeInfo,
        m: &ExprMethodCall,
        types: &[TypeInfo],
        later: &[&ExprMethodCall],
    ) -> TypeInfo {
        let name = m.method.to_string();
        let span = m.method.span();
        match ty {
            TypeInfo::Client(krate) => {
                // Operations and waiters take no arguments: a method given some is the crate's
                // own (an extension trait on the client).
                if m.args.is_empty() && self.is_operation(&krate, &name) {
                    return self.new_call(&krate, &name, span);
                }
                if let (true, Some(op)) =
                    (m.args.is_empty(), self.input.catalog.waiter_operation(&krate, &name))
                {
                    let op = op.to_owned();
                    return self.new_call(&krate, &op, span);
                }
                let (found, note) = self.dispatch(&TypeInfo::Client(krate.clone()), &name);
                if !found.is_empty() {
                    let receiver = Some(TypeInfo::Client(krate));
                    let args = self.bindings(&m.args, types);
                    return self.follow_all(&found, receiver, &args, span, note);
                }
                if PASS_THROUGH.contains(&name.as_str()) || GUARDS.contains(&name.as_str()) {
                    return TypeInfo::Client(krate);
                }
                self.escape(&format!(".{name}()"), types, span);
                TypeInfo::Unknown
            }
            TypeInfo::Builder { krate, method, call } => {
                match call {
                    Some(index) => self.add_setter(index, &krate, m),
                    // A builder a function returned: its call was recorded where the function
                    // built it; the setters go to every call of that operation.
                    None => {
                        let indexes: Vec<usize> = (0..self.out.calls.len())
                            .filter(|&i| {
                                self.out.calls[i].crate_name == krate
                                    && self.out.calls[i].method == method
                            })
                            .collect();
                        for index in indexes {
                            self.add_setter(index, &krate, m);
                        }
                    }
                }
                match name.as_str() {
                    "send" | "presigned" | "wait" | "send_with" => TypeInfo::Unknown,
                    _ => TypeInfo::Builder { krate, method, call },
                }
            }
            TypeInfo::Container(inner) => {
                // A collection's own methods: those that give an element, or iterate.
                if ELEMENT.contains(&name.as_str()) {
                    return *inner;
                }
                if ITERATE.contains(&name.as_str()) {
                    return TypeInfo::Container(inner);
                }
                if name == "clone" || GUARDS.contains(&name.as_str()) {
                    return TypeInfo::Container(inner);
                }
                // A trait of the crate implemented for a std collection (`impl Repo for
                // Vec<Item>`, its default bodies, a blanket impl): the collection's kind is not
                // kept, so every collection's.
                let mut found: Vec<crate::analyse::sources::FnEntry> = Vec::new();
                let collections = crate::analyse::types::MAPS.iter();
                for kind in collections.chain(crate::analyse::types::SEQUENCES) {
                    found.extend(self.dispatch(&TypeInfo::Named((*kind).to_owned()), &name).0);
                }
                super::dispatch::dedup(&mut found);
                if !found.is_empty() {
                    let note = (found.len() > 1).then(|| {
                        format!("one of {} methods `{name}` a collection may have", found.len())
                    });
                    let args = self.bindings(&m.args, types);
                    let receiver = Some(TypeInfo::Container(inner));
                    return self.follow_all(&found, receiver, &args, span, note);
                }
                self.escape(&format!(".{name}()"), types, span);
                TypeInfo::Unknown
            }
            other => {
                let (found, note) = self.dispatch(&other, &name);
                // Where the union was taken, so a reader can find the call to type.
                let note = note.map(|n| {
                    let at = self.location(m.method.span());
                    match at.line {
                        Some(line) => format!("{n}, at {}:{line}", at.file.display()),
                        None => format!("{n}, in {}", at.file.display()),
                    }
                });
                if !found.is_empty() {
                    let args = self.bindings(&m.args, types);
                    return self.follow_all(&found, Some(other), &args, span, note);
                }
                // An operation's name on a value whose type the analysis does not know (or
                // knows wrongly, e.g. a client inside an enum variant).
                if m.args.is_empty()
                    && !matches!(other, TypeInfo::Tuple(_))
                    && self.input.sources.methods(None, &name).is_empty()
                    && let Some(krate) = self.untyped_operation(&name, span, later)
                {
                    return self.new_call(&krate, &name, span);
                }
                if let TypeInfo::Named(ty) = &other
                    && self.builds_field(ty, &name)
                {
                    // A derived builder's setter (`App::builder().sqs(client)`): the value goes
                    // into the field of that name, whose declared type the analysis reads.
                    return other;
                }
                if other == TypeInfo::Foreign {
                    // Another crate's value: its result adapters keep it foreign; what its other
                    // methods return (a map's element) may be anything.
                    if FOREIGN_KEEPS.contains(&name.as_str()) {
                        return TypeInfo::Foreign;
                    }
                    self.escape(&format!(".{name}()"), types, span);
                    return TypeInfo::Unknown;
                }
                if PASS_THROUGH.contains(&name.as_str()) || GUARDS.contains(&name.as_str()) {
                    return other;
                }
                self.escape(&format!(".{name}()"), types, span);
                TypeInfo::Unknown
            }
        }
    }

    /// Whether `.name(…)` on a value of the crate's struct `ty` is a derived builder's setter or
    /// `build` (typed-builder, derive_builder, bon): the struct has a field of that name.
    fn builds_field(&self, ty: &str, name: &str) -> bool {
        let Some(fields) = self.input.sources.structs.get(ty) else { return false };
        let field =
            name.strip_prefix("set_").or_else(|| name.strip_prefix("with_")).unwrap_or(name);
        fields.contains_key(field) || matches!(name, "build" | "finish")
    }

    /// Records an SDK call at the operation's method name; its setters come later.
    fn new_call(&mut self, krate: &str, method: &str, span: Span) -> TypeInfo {
        let index = self.out.calls.len();
        let location: Location = self.location(span);
        self.out.calls.push(Call {
            crate_name: krate.to_owned(),
            method: method.to_owned(),
            setters: Vec::new(),
            hints: Vec::new(),
            items: Vec::new(),
            span: self.report_span(span),
            location,
            via: self.via.clone(),
            provenance: self.notes.clone(),
            definite: None,
        });
        TypeInfo::Builder { krate: krate.to_owned(), method: method.to_owned(), call: Some(index) }
    }

    /// Adds a setter (and the resource hints and nested builders in its argument) to a call.
    fn add_setter(&mut self, index: usize, krate: &str, m: &ExprMethodCall) {
        let name = m.method.to_string();
        if NOT_SETTERS.contains(&name.as_str()) {
            return;
        }
        let name_setters = self.name_setters(krate);
        let value = m.args.first().and_then(|a| match self.hint(a) {
            Hint::Literal(text) => Some(text),
            _ => None,
        });
        let hint = match m.args.first() {
            Some(arg) if name_setters.contains(&name.as_str()) => Some(self.hint(arg)),
            _ => None,
        };
        let mut items = Vec::new();
        for arg in &m.args {
            // A collection filled element by element (`items.push(…)`): one item per element,
            // so each keeps its own setters and resource.
            let parts = self.elements(arg);
            let parts: Vec<&Expr> =
                if parts.len() > 1 { parts.iter().map(|e| &**e).collect() } else { vec![arg] };
            for part in parts {
                let mut item = Item::default();
                self.nested(part, &name_setters, &mut item);
                item.opaque = self.opaque_source(part);
                if !item.setters.is_empty() || item.opaque {
                    items.push(item);
                }
            }
        }
        let Some(call) = self.out.calls.get_mut(index) else { return };
        if let Some(hint) = hint {
            call.hints.push((name.clone(), hint));
        }
        call.setters.push(SetterUse { name, value });
        call.items.extend(items);
    }

    /// Whether `method` is an operation of the SDK crate.
    fn is_operation(&self, krate: &str, method: &str) -> bool {
        self.input.catalog.has_method(krate, method)
    }

    /// The crate of an operation method invoked on a value of unknown type: the one candidate
    /// SDK that has the operation. Several → an ambiguity (an error asking for the type).
    fn untyped_operation(
        &mut self,
        method: &str,
        span: Span,
        later: &[&ExprMethodCall],
    ) -> Option<String> {
        let catalog = self.input.catalog;
        let mut crates: Vec<String> = Vec::new();
        let deps: Vec<&String> = self.input.sources.sdk_aliases.values().collect();
        if deps.is_empty() {
            for prefix in &self.input.declared_prefixes {
                for krate in catalog.crates_of_prefix(prefix) {
                    if self.is_operation(krate, method) && !crates.iter().any(|c| c == krate) {
                        crates.push(krate.to_owned());
                    }
                }
            }
        } else {
            // Only the SDKs the crate depends on, when its manifest says which.
            for krate in deps {
                let declared = catalog
                    .crate_prefix(krate)
                    .is_some_and(|p| self.input.declared_prefixes.iter().any(|d| d == p));
                if declared && self.is_operation(krate, method) && !crates.contains(krate) {
                    crates.push(krate.clone());
                }
            }
        }
        match crates.len() {
            0 => None,
            1 => crates.pop(),
            _ => {
                // Only a chain that is visibly an SDK request is worth an error.
                let sent = later.iter().any(|m| {
                    matches!(m.method.to_string().as_str(), "send" | "into_paginator" | "presigned")
                });
                if sent {
                    let location = self.location(span);
                    let span = self.report_span(span);
                    self.out.ambiguities.push(Ambiguity {
                        location,
                        method: method.to_owned(),
                        crates,
                        span,
                    });
                }
                None
            }
        }
    }

    /// The setters that name the resource of the crate's service (`bucket`, `table_name`).
    pub(super) fn name_setters(&self, krate: &str) -> Vec<&'static str> {
        let prefix = self.input.catalog.crate_prefix(krate).unwrap_or_default();
        services::by_prefix(prefix).map(|s| s.name_setters.to_vec()).unwrap_or_default()
    }

    /// The expressions a local collection was built from (`let mut v = Vec::new(); v.push(a);
    /// v.push(b)` → `a`, `b`), when the argument is one (`Some(v)`, `&v`, `v.clone()`).
    fn elements(&self, expr: &Expr) -> Vec<std::rc::Rc<Expr>> {
        match expr {
            Expr::Reference(r) => self.elements(&r.expr),
            Expr::Paren(p) => self.elements(&p.expr),
            Expr::Call(call) if call.args.len() == 1 => {
                call.args.first().map(|a| self.elements(a)).unwrap_or_default()
            }
            Expr::MethodCall(m) if PASS_THROUGH.contains(&m.method.to_string().as_str()) => {
                self.elements(&m.receiver)
            }
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|name| self.lookup(&name.to_string()))
                .map(|b| b.init.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Whether a setter's argument comes, in part, from where the analysis cannot see its
    /// builders: a parameter, or a function of another crate (`Some(items)` of a parameter
    /// `items`, `load_items()` of a dependency).
    fn opaque_source(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Reference(r) => self.opaque_source(&r.expr),
            Expr::Paren(p) => self.opaque_source(&p.expr),
            Expr::Group(g) => self.opaque_source(&g.expr),
            Expr::Try(t) => self.opaque_source(&t.expr),
            Expr::Await(a) => self.opaque_source(&a.base),
            // A parameter (a binding with no initialiser here) that is not a plain string.
            Expr::Path(p) => p.path.get_ident().is_some_and(|name| {
                let name = name.to_string();
                self.lookup(&name).is_some_and(|b| {
                    b.init.is_empty()
                        && !matches!(&b.ty, TypeInfo::Named(t) if matches!(t.as_str(), "str" | "String"))
                })
            }),
            // `params.into_iter().chain(extra).collect()`: opaque if any part is.
            Expr::MethodCall(m) => {
                self.opaque_source(&m.receiver) || m.args.iter().any(|a| self.opaque_source(a))
            }
            Expr::Call(call) => {
                let Expr::Path(func) = &*call.func else { return true };
                let segments: Vec<String> =
                    func.path.segments.iter().map(|s| s.ident.to_string()).collect();
                let last = segments.last().map(String::as_str).unwrap_or_default();
                if matches!(last, "Some" | "Ok" | "from" | "new") {
                    return call.args.iter().any(|a| self.opaque_source(a));
                }
                // A function of another crate (`event_codec::decode(…)`), not a constructor of a
                // type (`Vec::with_capacity`, `Item::S(…)`).
                let owner = segments.iter().rev().nth(1);
                let constructor = last.starts_with(|c: char| c.is_ascii_uppercase())
                    || owner.is_some_and(|o| o.starts_with(|c: char| c.is_ascii_uppercase()));
                let (found, _) = self.resolve_fn(&segments, true);
                found.is_empty() && !constructor
            }
            _ => false,
        }
    }

    /// Setters and resource hints inside a setter's argument (nested builders).
    pub(super) fn nested(&self, expr: &Expr, name_setters: &[&'static str], item: &mut Item) {
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
                let inits = self.walker.lookup(&name).map(|b| b.init.clone()).unwrap_or_default();
                for init in inits {
                    self.visit_expr(&init);
                }
            }

            fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
                // An item built by a helper of the crate (`put_event("events")`): what its body
                // builds.
                if let Expr::Path(func) = &*call.func {
                    let segments: Vec<String> =
                        func.path.segments.iter().map(|s| s.ident.to_string()).collect();
                    let (found, _) = self.walker.resolve_fn(&segments, true);
                    for f in found {
                        if self.expanded.insert(format!("fn {}::{}", f.module, f.display())) {
                            self.visit_block(&f.block);
                        }
                    }
                }
                visit::visit_expr_call(self, call);
            }

            fn visit_macro(&mut self, mac: &'ast syn::Macro) {
                // `vec![item, …]`
                let parse = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
                if let Ok(exprs) = mac.parse_body_with(parse) {
                    for e in &exprs {
                        self.visit_expr(e);
                    }
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
                    // A method of the crate that builds items (`self.put_event(…)`).
                    for f in self.walker.input.sources.methods(None, &name) {
                        if self.expanded.insert(format!("fn {}::{}", f.module, f.display())) {
                            self.visit_block(&f.block);
                        }
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
