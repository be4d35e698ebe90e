//! Function calls, and the places a client or builder leaves what the analysis can follow:
//! handed to another crate, stored in a map, sent over a channel, called through a function value,
//! or used inside a macro whose body is not Rust the analysis can read. Each becomes an
//! unresolved item.

use proc_macro2::TokenTree;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::visit::Visit;
use syn::{Expr, ExprCall};

use super::Walker;
use super::typing::is_wrapper_call;
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
        let types = self.eval_args(&call.args);
        let Expr::Path(func) = &*call.func else {
            // `(self.callback)(client)`, `make()(x)`: a function value.
            self.visit_expr(&call.func);
            self.through_value(&call.func, &types);
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
                self.through_value(&call.func, &types);
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
            let args = self.bindings(&call.args, &types);
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
            return types.into_iter().next().unwrap_or(TypeInfo::Unknown);
        }
        // A tuple struct or enum variant built from the arguments (`Clients(s3, sqs)`,
        // `Backend::S3(client)`): the value holds them; its uses are followed.
        if segments.last().is_some_and(|s| s.starts_with(|c: char| c.is_ascii_uppercase())) {
            return self.constructed_type(&segments);
        }
        self.signed_by_hand(&segments, span);
        self.escape(&segments.join("::"), &types, span);
        self.constructed_type(&segments)
    }

    /// A request the code signs itself (`aws_sigv4::http_request::sign`, also through a `use`):
    /// an AWS call made without an SDK client, whose action the analysis cannot know (an RDS IAM
    /// authentication token needs `rds-db:connect`). Reported as unresolved.
    fn signed_by_hand(&mut self, segments: &[String], span: proc_macro2::Span) {
        let Some(first) = segments.first() else { return };
        let imported = (self.input.sources.modules.get(&self.module))
            .and_then(|m| m.uses.get(first))
            .and_then(|path| path.first());
        let from_sigv4 = first == "aws_sigv4" || imported.is_some_and(|p| p == "aws_sigv4");
        if from_sigv4 && segments.last().is_some_and(|s| s == "sign") {
            let reason = "a request signed here with `aws-sigv4` goes to AWS without an SDK \
                          client: the actions it needs (`rds-db:connect` for an RDS IAM token, …) \
                          are unknown"
                .to_owned();
            self.unresolved(Some("aws-sigv4".to_owned()), reason, span);
        }
    }

    /// Walks a `static`'s or `const`'s initialiser once per entry point.
    pub(super) fn static_init(&mut self, name: &str, span: proc_macro2::Span) {
        let Some((module, init)) = self.input.sources.static_inits.get(name) else { return };
        if !self.visited.insert(format!("static {module}::{name}")) {
            return;
        }
        let saved = (std::mem::replace(&mut self.module, module.clone()), self.self_ty.take());
        let anchor = self.anchor;
        self.anchor = Some(anchor.unwrap_or(span));
        self.scopes.push(Default::default());
        self.eval(init);
        self.scopes.pop();
        self.anchor = anchor;
        (self.module, self.self_ty) = saved;
    }

    /// Values given to code the analysis cannot follow: a client or builder is an unresolved
    /// item; a value of the crate's own type may have its trait implementations called there.
    pub(super) fn escape(&mut self, callee: &str, args: &[TypeInfo], span: proc_macro2::Span) {
        for arg in args {
            match arg {
                TypeInfo::Named(ty) => self.escape_value(ty, span),
                // `impl Service` / `Box<dyn Handler>`: any of the crate's types implementing it.
                TypeInfo::Trait(traits) => {
                    let sources = self.input.sources;
                    let types: Vec<String> = sources
                        .trait_closure(traits)
                        .iter()
                        .filter_map(|t| sources.impls.get(t))
                        .flatten()
                        .cloned()
                        .collect();
                    for ty in types {
                        self.escape_value(&ty, span);
                    }
                }
                _ => {}
            }
        }
        if KEEPS.contains(&callee) {
            return;
        }
        for arg in args {
            let Some(krate) = arg.sdk_crate().map(str::to_owned) else { continue };
            let what = value_kind(arg);
            let reason = format!(
                "an `{krate}` {what} is passed to `{callee}`, which is not in the analysed sources: \
                 the SDK calls made with it there cannot be seen"
            );
            self.unresolved(Some(krate), reason, span);
        }
    }

    /// A value of the crate's type `ty` handed to another crate (`lambda_runtime::run(service)`,
    /// `ServiceBuilder::layer(metrics)`): that crate may call the methods of every trait it
    /// knows that `ty` implements (`tower::Service::call`) and those of an impl an attribute
    /// macro turns into such a trait (`#[OpenApi] impl Api`), and so on for what they return.
    fn escape_value(&mut self, ty: &str, span: proc_macro2::Span) {
        if !self.visited.insert(format!("escape {ty}")) {
            return;
        }
        let sources = self.input.sources;
        let methods: Vec<crate::analyse::FnEntry> = sources
            .methods_of_type(ty)
            .into_iter()
            .filter(|f| !f.is_trait_default)
            .filter(|f| {
                f.impl_attributed
                    || f.trait_name.as_ref().is_some_and(|t| !sources.traits.contains_key(t))
            })
            .cloned()
            .collect();
        for f in &methods {
            let note = f
                .trait_name
                .as_ref()
                .map(|t| format!("`{ty}` is used by another crate through `{t}`"));
            self.follow(f, Some(TypeInfo::Named(ty.to_owned())), Vec::new(), span, note);
            if let TypeInfo::Named(returned) = self.return_type(f) {
                self.escape_value(&returned, span);
            }
        }
    }

    /// A call through a function value (closure parameter, function pointer, `dyn Fn`).
    fn through_value(&mut self, func: &Expr, args: &[TypeInfo]) {
        if args.iter().all(|a| a.sdk_crate().is_none()) {
            return;
        }
        let text = quote::ToTokens::to_token_stream(func).to_string();
        for arg in args {
            let Some(krate) = arg.sdk_crate().map(str::to_owned) else { continue };
            let what = value_kind(arg);
            let reason = format!(
                "an `{krate}` {what} is passed to `{text}`, a function value the analysis cannot \
                 follow"
            );
            self.unresolved(Some(krate), reason, func.span());
        }
    }

    /// A macro's body: a list of expressions (`join!`, `vec!`, `format!`) or statements is
    /// walked; anything else that mentions a client or builder is unresolved.
    pub(super) fn macro_body(&mut self, mac: &syn::Macro) {
        self.crate_macro(mac);
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
        // `tokio::select! { x = fut => { … } }`: what parses between its punctuation is walked,
        // and the macro is still reported when it uses a client.
        self.scopes.push(Default::default());
        for piece in pieces(mac.tokens.clone()) {
            if let Ok(expr) = syn::parse2::<Expr>(piece) {
                self.eval(&expr);
            }
        }
        self.scopes.pop();
        let name = mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        let mut crates: Vec<String> = Vec::new();
        self.mentioned_sdk_values(mac.tokens.clone(), &mut crates);
        let span = mac.path.segments.last().map_or_else(|| mac.span(), |s| s.ident.span());
        for krate in crates {
            let reason = format!(
                "`{name}!` uses an `{krate}` value, but its body is not Rust the analysis can read"
            );
            self.unresolved(Some(krate), reason, span);
        }
    }

    /// A `macro_rules!` of the crate: each rule's body is walked as code (its metavariables are
    /// values of unknown type, so the operations written on them are still found); a body that
    /// is not expressions or statements is unresolved when the invocation uses a client.
    fn crate_macro(&mut self, mac: &syn::Macro) {
        let Some(name) = mac.path.segments.last().map(|s| s.ident.to_string()) else { return };
        let Some(bodies) = self.input.sources.macros.get(&name) else { return };
        let key = format!("macro {name}");
        if !self.visited.insert(key.clone()) {
            return;
        }
        let mut unreadable = false;
        for body in bodies {
            self.scopes.push(Default::default());
            match syn::parse::Parser::parse2(syn::Block::parse_within, body.clone()) {
                Ok(stmts) => {
                    for stmt in &stmts {
                        self.visit_stmt(stmt);
                    }
                }
                Err(_) => unreadable = true,
            }
            self.scopes.pop();
        }
        self.visited.remove(&key);
        if unreadable {
            let mut crates = Vec::new();
            self.mentioned_sdk_values(mac.tokens.clone(), &mut crates);
            let span = mac.path.segments.last().map_or_else(|| mac.span(), |s| s.ident.span());
            for krate in crates {
                let reason = format!(
                    "`{name}!` is given an `{krate}` value, and a rule of its definition is not code the \
                     analysis can read"
                );
                self.unresolved(Some(krate), reason, span);
            }
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

/// A macro body cut at its top-level `,`, `=>`, `=` and `;` (not `==`, `<=`, `>=`, `!=`).
fn pieces(tokens: proc_macro2::TokenStream) -> Vec<proc_macro2::TokenStream> {
    let mut out = Vec::new();
    let mut current: Vec<TokenTree> = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        let cut = match &token {
            TokenTree::Punct(p) => match p.as_char() {
                ',' | ';' => true,
                '=' => {
                    let previous = current.last().and_then(|t| match t {
                        TokenTree::Punct(q) if q.spacing() == proc_macro2::Spacing::Joint => {
                            Some(q.as_char())
                        }
                        _ => None,
                    });
                    if matches!(previous, Some('=' | '<' | '>' | '!')) {
                        false
                    } else {
                        if p.spacing() == proc_macro2::Spacing::Joint
                            && let Some(TokenTree::Punct(next)) = tokens.peek()
                            && matches!(next.as_char(), '>' | '=')
                        {
                            tokens.next();
                        }
                        true
                    }
                }
                _ => false,
            },
            _ => false,
        };
        if cut {
            out.push(current.drain(..).collect());
        } else {
            // A block ends an arm (`=> { … }` needs no comma after it).
            let block = matches!(&token, TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace);
            current.push(token);
            if block {
                out.push(current.drain(..).collect());
            }
        }
    }
    out.push(current.into_iter().collect());
    out
}

fn value_kind(ty: &TypeInfo) -> &'static str {
    match ty {
        TypeInfo::Builder { .. } => "request builder",
        _ => "client",
    }
}
