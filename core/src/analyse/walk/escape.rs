//! Function calls, and the places a client or builder leaves what the analysis can follow:
//! handed to another crate, stored in a map, sent over a channel, called through a function value,
//! or used inside a macro whose body is not Rust the analysis can read. Each becomes an
//! unresolved item.

use proc_macro2::TokenTree;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::visit::Visit;
use syn::{Expr, ExprCall};

use super::typing::is_wrapper_call;
use super::{Binding, Walker};
use crate::analyse::ClientUse;
use crate::analyse::types::TypeInfo;

/// Methods that keep a value in a place the analysis follows (a cell, the app state of a web
/// framework whose handlers declare what they take) or copy it.
const KEEPS: &[&str] = &[
    ".clone()",
    ".set()",
    ".get_or_init()",
    ".get_or_try_init()",
    ".into()",
    ".to_owned()",
    ".as_ref()",
    ".borrow()",
    ".with_state()",
    ".layer()",
    ".data()",
    ".app_data()",
    ".manage()",
    ".extension()",
];

impl Walker<'_, '_> {
    /// A call expression: a client constructor, a crate function (followed), a wrapper, or a
    /// function of another crate.
    pub(super) fn call(&mut self, call: &ExprCall) -> TypeInfo {
        let args = self.eval_args(&call.args);
        let Expr::Path(func) = &*call.func else {
            // `(self.callback)(client)`, `make()(x)`: a function value.
            self.visit_expr(&call.func);
            self.through_value(&call.func, &args);
            return TypeInfo::Unknown;
        };
        let segments: Vec<String> =
            func.path.segments.iter().map(|s| s.ident.to_string()).collect();
        let span = func.path.segments.last().map_or_else(|| call.span(), |s| s.ident.span());
        if let [name] = segments.as_slice()
            && let Some(binding) = self.lookup(name)
        {
            // A closure bound here was walked where it is written.
            let closure = binding.init.first().is_some_and(|e| matches!(**e, Expr::Closure(_)));
            if !closure {
                self.through_value(&call.func, &args);
            }
            return TypeInfo::Unknown;
        }
        if let Some(krate) = self.client_constructor(&segments) {
            let span = self.report_span(call.span());
            self.out.clients.push(ClientUse { crate_name: krate.clone(), span });
            return TypeInfo::Client(krate);
        }
        let (found, note) = self.resolve_fn(&segments, true);
        if !found.is_empty() {
            for f in &found {
                // `Type::method(&value, …)`: the first argument is the receiver.
                let (receiver, rest) = match (f.sig.receiver(), args.split_first()) {
                    (Some(_), Some((first, rest))) => (Some(first.ty.clone()), rest.to_vec()),
                    _ => (None, args.clone()),
                };
                self.follow(f, receiver, rest, span, note.clone());
            }
            return self.common_return(&found);
        }
        if is_wrapper_call(&segments) {
            return args.first().map_or(TypeInfo::Unknown, |b| b.ty.clone());
        }
        self.escape(&segments.join("::"), &args, span);
        self.call_type(call)
    }

    /// Clients or builders given to code the analysis cannot follow: unresolved items.
    pub(super) fn escape(&mut self, callee: &str, args: &[Binding], span: proc_macro2::Span) {
        if KEEPS.contains(&callee) {
            return;
        }
        for arg in args {
            let Some(krate) = arg.ty.sdk_crate().map(str::to_owned) else { continue };
            let what = value_kind(&arg.ty);
            let reason = format!(
                "a `{krate}` {what} is passed to `{callee}`, which is not in the analysed sources: \
                 the SDK calls made with it there cannot be seen"
            );
            self.unresolved(Some(krate), reason, span);
        }
    }

    /// A call through a function value (closure parameter, function pointer, `dyn Fn`).
    fn through_value(&mut self, func: &Expr, args: &[Binding]) {
        let text = quote::ToTokens::to_token_stream(func).to_string();
        for arg in args {
            let Some(krate) = arg.ty.sdk_crate().map(str::to_owned) else { continue };
            let what = value_kind(&arg.ty);
            let reason = format!(
                "a `{krate}` {what} is passed to `{text}`, a function value the analysis cannot \
                 follow"
            );
            self.unresolved(Some(krate), reason, func.span());
        }
    }

    /// A macro's body: a list of expressions (`join!`, `vec!`, `format!`) or statements is
    /// walked; anything else that mentions a client or builder is unresolved.
    pub(super) fn macro_body(&mut self, mac: &syn::Macro) {
        let parse_exprs = Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        if let Ok(exprs) = mac.parse_body_with(parse_exprs) {
            for e in &exprs {
                self.eval(e);
            }
            return;
        }
        if let Ok(stmts) = mac.parse_body_with(syn::Block::parse_within) {
            self.scopes.push(Default::default());
            for stmt in &stmts {
                self.visit_stmt(stmt);
            }
            self.scopes.pop();
            return;
        }
        let name = mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        let mut crates: Vec<String> = Vec::new();
        self.mentioned_sdk_values(mac.tokens.clone(), &mut crates);
        let span = mac.path.segments.last().map_or_else(|| mac.span(), |s| s.ident.span());
        for krate in crates {
            let reason = format!(
                "`{name}!` uses a `{krate}` value, but its body is not Rust the analysis can read"
            );
            self.unresolved(Some(krate), reason, span);
        }
    }

    fn mentioned_sdk_values(&self, tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
        for token in tokens {
            match token {
                TokenTree::Group(g) => self.mentioned_sdk_values(g.stream(), out),
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    let ty = match self.lookup(&name) {
                        Some(b) => b.ty.clone(),
                        None if name == "self" => TypeInfo::Unknown,
                        None => {
                            self.input.sources.statics.get(&name).map_or(TypeInfo::Unknown, |_| {
                                self.type_of(&syn::parse_quote!(#ident))
                            })
                        }
                    };
                    if let Some(k) = ty.sdk_crate()
                        && !out.iter().any(|o| o == k)
                    {
                        out.push(k.to_owned());
                    }
                }
                _ => {}
            }
        }
    }
}

fn value_kind(ty: &TypeInfo) -> &'static str {
    match ty {
        TypeInfo::Builder { .. } => "request builder",
        _ => "client",
    }
}
