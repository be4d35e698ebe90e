//! SDK calls: the `.send()` chain, its operation and client, setters, nested builders and the
//! resource hints they carry.

use proc_macro2::Span;
use syn::visit::{self, Visit};
use syn::{Expr, ExprMethodCall};

use super::Walker;
use crate::analyse::types::TypeInfo;
use crate::analyse::values::Hint;
use crate::analyse::{Ambiguity, Call, Item};
use crate::catalog::SetterUse;
use crate::declare::services;
use std::collections::HashSet;

impl Walker<'_, '_> {
    pub(super) fn sdk_chain(&mut self, send: &ExprMethodCall) {
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
    pub(super) fn is_declared_operation(&self, method: &str) -> bool {
        let catalog = self.input.catalog;
        self.input.declared_prefixes.iter().any(|prefix| {
            catalog
                .crates_of_prefix(prefix)
                .any(|krate| catalog.methods_of(krate).is_ok_and(|m| m.iter().any(|x| x == method)))
        })
    }

    /// Visits a `.send()` chain that is not an SDK call (its receiver and arguments).
    pub(super) fn visit_chain_parts(&mut self, chain: &[&ExprMethodCall]) {
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
    pub(super) fn untyped_client(&mut self, method: &str, span: Span) -> Option<String> {
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
    pub(super) fn name_setters(&self, krate: &str) -> Vec<&'static str> {
        let prefix = self.input.catalog.crate_prefix(krate).unwrap_or_default();
        services::by_prefix(prefix).map(|s| s.name_setters.to_vec()).unwrap_or_default()
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
