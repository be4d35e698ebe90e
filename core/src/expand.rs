//! The expansion of `#[leastpriv::role(...)]`: parse, analyse, check, then the handler's
//! `<HANDLER>_ROLE` constant and every error at its tokens.
//!
//! Inside the compiler the attribute (`leastpriv-macros`) hands over tokens parsed by
//! proc-macro2's own parser from the compiler's tokens' text, so everything here is plain data:
//! a crate's sources are parsed once per compiler process ([`cache`]) and the analysis runs
//! exactly as the command line's does. The macro maps the spans of the diagnostics back to the
//! compiler's tokens.

mod allowed;
mod cache;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use crate::analyse::{CrateSources, HandlerLines};
use crate::catalog::{AccessLevel, Catalog};
use crate::check::CheckResult;
use crate::declare::{Declaration, EntryKind};
use crate::pipeline::{HandlerSource, is_role_attribute, run_handler};

/// What the macro knows about where it runs.
#[derive(Debug, Clone, Default)]
pub struct MacroContext {
    /// `CARGO_MANIFEST_DIR` of the crate being compiled.
    pub manifest_dir: Option<PathBuf>,
    /// The file of the annotated handler, as the compiler names it (`None` where the compiler
    /// does not say, as in rust-analyzer: the handler is then looked up by name).
    pub handler_file: Option<PathBuf>,
    /// Whether to work out the SDK operations the runtime guard checks (the facade's `runtime`
    /// feature, passed on to the macro crate). Off, the constant's `operations` is empty and
    /// the expansion skips walking every operation of the declared services.
    pub guard_table: bool,
}

/// Where the compiler's handler is: its name and the positions of its name and of its body's
/// closing brace (lines 1-based, columns 0-based in characters, as proc-macro2 counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerPosition {
    /// The function's name.
    pub name: String,
    /// Line and column where the name starts.
    pub name_at: (usize, usize),
    /// Line and column where the body's closing brace ends.
    pub end_at: (usize, usize),
}

/// What one expansion adds after the unchanged handler.
#[derive(Debug, Default)]
pub struct Expansion {
    /// The `<HANDLER>_ROLE` constant (empty when the item is not a function).
    pub role: TokenStream,
    /// Source files read that this compiler process has not been told about yet: the compiler
    /// re-runs the crate's expansions when one of them changes.
    pub tracked: Vec<PathBuf>,
    /// Every problem, as (the tokens it is on, the full message).
    pub errors: Vec<(Span, String)>,
}

/// Expands the attribute into tokens placed after the unchanged handler: the constant, the
/// tracked files and the errors as `compile_error!`s (for callers outside a proc macro, such as
/// the benchmarks; the macro itself uses [`expand`] and maps spans).
pub fn expand_role(attr: TokenStream, item: TokenStream, cx: &MacroContext) -> TokenStream {
    let out = expand(attr, item.clone(), cx, HandlerLines::Spans);
    let role = &out.role;
    let tracked = out.tracked.iter().filter_map(|p| p.to_str()).map(|p| {
        quote! { const _: &[u8] = include_bytes!(#p); }
    });
    let errors =
        out.errors.iter().map(|(span, message)| syn::Error::new(*span, message).to_compile_error());
    quote! {
        #item
        #role
        #(#tracked)*
        #(#errors)*
    }
}

/// Runs the pipeline for one annotated handler. Never fails: problems are in
/// [`Expansion::errors`]. `lines` says how the handler's spans give line numbers.
pub fn expand(
    attr: TokenStream,
    item: TokenStream,
    cx: &MacroContext,
    lines: HandlerLines<'_>,
) -> Expansion {
    // `syn` parses recursively: absurdly nested handlers are refused before it sees them (the
    // attribute's own tokens are checked by the declaration parser).
    if let Err(reason) = crate::analyse::check_tokens(&item) {
        let message = format!("`#[leastpriv::role]` cannot read this handler: {reason}");
        return Expansion { errors: vec![(Span::call_site(), message)], ..Expansion::default() };
    }
    let func: syn::ItemFn = match syn::parse2(item) {
        Ok(func) => func,
        Err(err) => {
            let message = "`#[leastpriv::role]` goes on the Lambda handler function".to_owned();
            return Expansion { errors: vec![(err.span(), message)], ..Expansion::default() };
        }
    };
    let catalog = match Catalog::embedded() {
        Ok(catalog) => catalog,
        Err(err) => {
            return Expansion {
                errors: vec![(Span::call_site(), err.to_string())],
                ..Expansion::default()
            };
        }
    };
    match &cx.manifest_dir {
        Some(dir) => cache::with_sources(dir, |sources| {
            expand_in(catalog, attr, &func, cx, dir, sources, lines)
        }),
        None => {
            let mut sources = CrateSources::default();
            expand_in(catalog, attr, &func, cx, Path::new(""), &mut sources, lines)
        }
    }
}

/// Runs the pipeline for the handler at `position` taken from the crate's parsed sources (the
/// same tokens the command line analyses), when its file holds a function at exactly that place;
/// `None` otherwise (a handler a macro wrote, an editor buffer not saved yet): then the caller
/// re-parses the compiler's tokens and uses [`expand`]. The spans of the errors are the file's.
pub fn expand_from_file(cx: &MacroContext, position: &HandlerPosition) -> Option<Expansion> {
    let dir = cx.manifest_dir.as_ref()?;
    let catalog = Catalog::embedded().ok()?;
    cache::with_sources(dir, |sources| {
        load_handler_file(sources, cx, dir);
        let index = match &cx.handler_file {
            Some(file) => sources.file_index(file)?,
            None => file_of_handler(sources, &position.name)?,
        };
        let (func, attr) = handler_at(&sources.files.get(index)?.ast.items, position)?;
        let mut out = expand_in(catalog, attr, &func, cx, dir, sources, HandlerLines::Spans);
        // Positions are compared without the file: a span of another file is reported at the
        // attribute rather than risk landing on the handler's token at the same place.
        let file = func.sig.ident.span().file();
        for (span, _) in &mut out.errors {
            if span.file() != file {
                *span = Span::call_site();
            }
        }
        Some(out)
    })
}

/// The annotated function at `position` among `items` (inline modules included), without its
/// role attribute, and that attribute's tokens.
fn handler_at(
    items: &[syn::Item],
    position: &HandlerPosition,
) -> Option<(syn::ItemFn, TokenStream)> {
    items.iter().find_map(|item| match item {
        syn::Item::Fn(func) => {
            let name = func.sig.ident.span().start();
            let end = func.block.brace_token.span.close().end();
            if func.sig.ident != position.name
                || (name.line, name.column) != position.name_at
                || (end.line, end.column) != position.end_at
            {
                return None;
            }
            let attr = func.attrs.iter().find(|a| is_role_attribute(a))?;
            let tokens = match &attr.meta {
                syn::Meta::List(list) => list.tokens.clone(),
                _ => TokenStream::new(),
            };
            let mut func = func.clone();
            func.attrs.retain(|a| !is_role_attribute(a));
            Some((func, tokens))
        }
        syn::Item::Mod(m) => m.content.as_ref().and_then(|(_, inner)| handler_at(inner, position)),
        _ => None,
    })
}

fn expand_in(
    catalog: &Catalog,
    attr: TokenStream,
    func: &syn::ItemFn,
    cx: &MacroContext,
    root: &Path,
    sources: &mut CrateSources,
    lines: HandlerLines<'_>,
) -> Expansion {
    load_handler_file(sources, cx, root);
    let file_index = match &cx.handler_file {
        Some(file) => sources.file_index(file),
        None => file_of_handler(sources, &func.sig.ident.to_string()),
    };
    let file = match (&cx.handler_file, file_index.and_then(|i| sources.files.get(i))) {
        (Some(f), _) => canonical(f)
            .strip_prefix(canonical(root))
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| f.clone()),
        (None, Some(f)) => f.display.clone(),
        (None, None) => PathBuf::new(),
    };
    let sources: &CrateSources = sources;
    let source = HandlerSource { sources, file_index, file, lines };
    let result = run_handler(catalog, attr, func, &source);
    let errors = result.diagnostics.iter().map(|d| (d.span, d.full_message())).collect();
    let allowed = if cx.guard_table {
        allowed::allowed_operations(
            catalog,
            &result.declaration,
            &result.check,
            &result.analysis.calls,
        )
    } else {
        allowed::AllowedOps::new()
    };
    let role =
        role_const(func, &result.declaration, &result.check, &result.analysis.calls, &allowed);
    let tracked = cache::not_yet_reported(sources.files.iter().map(|f| f.path.clone()));
    Expansion { role, tracked, errors }
}

/// A handler outside `src/` (an example, a test) brings its own file.
fn load_handler_file(sources: &mut CrateSources, cx: &MacroContext, root: &Path) {
    if let Some(file) = &cx.handler_file {
        let wanted = canonical(file);
        if sources.file_index(&wanted).is_none() {
            let stem =
                file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            sources.load_file(root, &wanted, &format!("crate@{stem}"), true);
        }
    }
}

/// Where the compiler does not name the handler's file (rust-analyzer's proc-macro server), the
/// one file with an annotated function of the handler's name.
fn file_of_handler(sources: &CrateSources, name: &str) -> Option<usize> {
    let mut found = sources.files.iter().enumerate().filter(|(_, f)| {
        f.ast.items.iter().any(|item| {
            matches!(item, syn::Item::Fn(func)
                if func.sig.ident == name && func.attrs.iter().any(is_role_attribute))
        })
    });
    let first = found.next().map(|(i, _)| i);
    if found.next().is_some() { None } else { first }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

fn level_tokens(level: AccessLevel) -> TokenStream {
    let variant = match level {
        AccessLevel::List => quote!(List),
        AccessLevel::Read => quote!(Read),
        AccessLevel::Write => quote!(Write),
        AccessLevel::Tagging => quote!(Tagging),
        AccessLevel::PermissionsManagement => quote!(PermissionsManagement),
    };
    quote!(::leastpriv::__private::AccessLevel::#variant)
}

fn role_const(
    func: &syn::ItemFn,
    decl: &Declaration,
    result: &CheckResult,
    calls: &[crate::analyse::Call],
    allowed: &allowed::AllowedOps,
) -> TokenStream {
    let handler = func.sig.ident.to_string();
    let name =
        decl.name.as_ref().map_or_else(|| crate::synth::pascal_case(&handler), |n| n.value.clone());
    let ident = format_ident!("{}_ROLE", handler.to_ascii_uppercase());
    let vis = &func.vis;
    let grants = decl.entries.iter().map(|e| {
        let service = &e.prefix;
        let resource = e.label();
        let access = e.access.iter().map(|a| level_tokens(a.value));
        let actions = e.actions.iter().map(|a| a.value.as_str());
        let env = match &e.env {
            Some(env) => {
                let env = env.value.as_str();
                quote!(::core::option::Option::Some(#env))
            }
            None => quote!(::core::option::Option::None),
        };
        let (key, name, fields) = match e.kind {
            EntryKind::Known(spec) => {
                let key = spec.keys.first().map(|k| k.name);
                let name = key.and_then(|k| e.key(k)).map(|t| t.to_string());
                (key, name, spec.name_setters)
            }
            EntryKind::Generic => (None, None, &[][..]),
        };
        let name = option_str(name.as_deref());
        let key = option_str(key);
        quote! {
            ::leastpriv::__private::Grant {
                service: #service,
                resource: #resource,
                access: &[#(#access),*],
                actions: &[#(#actions),*],
                env: #env,
                name: #name,
                name_key: #key,
                name_fields: &[#(#fields),*],
            }
        }
    });
    let requirements = result.requirements.iter().map(|r| {
        let action = r.action.as_str();
        let grant = r.entry;
        let call = calls.get(r.call);
        let call_name = call.map(|c| format!("{} {}", c.crate_name, c.method)).unwrap_or_default();
        let location = call
            .map(|c| match c.location.line {
                Some(line) => format!("{}:{line}", c.location.file.display()),
                None => c.location.file.display().to_string(),
            })
            .unwrap_or_default();
        quote! {
            ::leastpriv::__private::RequiredAction {
                action: #action,
                grant: #grant,
                call: #call_name,
                location: #location,
            }
        }
    });
    let operations = operations_table(allowed);
    let doc = format!("The IAM role `#[leastpriv::role]` derived for `{handler}`.");
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #vis const #ident: ::leastpriv::Role = ::leastpriv::__private::Role {
            name: #name,
            handler: #handler,
            grants: &[#(#grants),*],
            requirements: &[#(#requirements),*],
            operations: #operations,
        };
    }
}

/// The allowed operations as the facade's packed `Operations`: one string with every service id
/// (once) and operation name, rows of offsets into it, and one array of grant indexes. Plain
/// integers instead of a `&str` and a slice per operation keep the table small in a Lambda
/// binary (no relocation per entry).
fn operations_table(allowed: &allowed::AllowedOps) -> TokenStream {
    if allowed.is_empty() {
        return quote!(::leastpriv::__private::Operations::EMPTY);
    }
    let mut names = String::new();
    let mut services: BTreeMap<&str, [u32; 2]> = BTreeMap::new();
    let mut grants: Vec<u32> = Vec::new();
    let mut rows = Vec::new();
    let push = |names: &mut String, text: &str| {
        let start = offset(names.len());
        names.push_str(text);
        [start, offset(names.len())]
    };
    for ((service, operation), entries) in allowed {
        let service_at = match services.get(service.as_str()) {
            Some(at) => *at,
            None => {
                let at = push(&mut names, service);
                services.insert(service, at);
                at
            }
        };
        let operation_at = push(&mut names, operation);
        let first = offset(grants.len());
        grants.extend(entries.iter().map(|&i| offset(i)));
        let grants_at = [first, offset(grants.len())];
        let [s0, s1] = service_at;
        let [o0, o1] = operation_at;
        let [g0, g1] = grants_at;
        rows.push(quote! {
            ::leastpriv::__private::OperationRow {
                service: [#s0, #s1],
                operation: [#o0, #o1],
                grants: [#g0, #g1],
            }
        });
    }
    quote! {
        ::leastpriv::__private::Operations {
            names: #names,
            rows: &[#(#rows),*],
            grants: &[#(#grants),*],
        }
    }
}

/// A table offset as the facade stores it (tables stay far below 4 GiB).
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
