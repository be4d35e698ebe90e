//! The expansion of `#[leastpriv::role(...)]`: parse, analyse, check, then re-emit the handler
//! unchanged with its `<HANDLER>_ROLE` constant and every error at its tokens.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use crate::analyse::CrateSources;
use crate::catalog::{AccessLevel, Catalog};
use crate::check::CheckResult;
use crate::declare::Declaration;
use crate::pipeline::{HandlerSource, run_handler};

/// What the macro knows about where it runs.
#[derive(Debug, Clone, Default)]
pub struct MacroContext {
    /// `CARGO_MANIFEST_DIR` of the crate being compiled.
    pub manifest_dir: Option<PathBuf>,
    /// The file of the annotated handler, as the compiler names it.
    pub handler_file: Option<PathBuf>,
}

/// Expands the attribute. Never fails: problems become `compile_error!`s next to the unchanged
/// handler.
pub fn expand_role(attr: TokenStream, item: TokenStream, cx: &MacroContext) -> TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(err) => {
            let err = syn::Error::new(
                err.span(),
                "`#[leastpriv::role]` goes on the Lambda handler function",
            )
            .to_compile_error();
            return quote! { #err #item };
        }
    };
    let catalog = match Catalog::embedded() {
        Ok(catalog) => catalog,
        Err(err) => {
            let err = syn::Error::new(Span::call_site(), err.to_string()).to_compile_error();
            return quote! { #err #item };
        }
    };
    let (mut sources, root) = match &cx.manifest_dir {
        Some(dir) => (crate::pipeline::load_sources(dir, false), dir.clone()),
        None => (CrateSources::default(), PathBuf::new()),
    };
    // A handler outside `src/` (an example, a test) brings its own file.
    if let Some(file) = &cx.handler_file {
        let wanted = canonical(file);
        if sources.file_index(&wanted).is_none() {
            let stem =
                file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            sources.load_file(&root, &wanted, &format!("crate@{stem}"), false);
        }
    }
    let file_index = cx.handler_file.as_ref().and_then(|file| sources.file_index(file));
    let file = cx
        .handler_file
        .as_ref()
        .map(|f| {
            canonical(f)
                .strip_prefix(canonical(&root))
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| f.clone())
        })
        .unwrap_or_default();
    let source = HandlerSource { sources: &sources, file_index, file, has_lines: true };
    let result = run_handler(catalog, attr, &func, &source);
    let diagnostics = &result.diagnostics;
    let (decl, analysis) = (&result.declaration, &result.analysis);
    let errors = diagnostics.iter().map(|d| d.to_syn_error().to_compile_error());
    let role = role_const(&func, decl, &result.check, &analysis.calls);
    // Every source file read: cargo re-runs the expansion when one of them changes.
    let tracked = sources.files.iter().filter_map(|f| f.path.to_str()).map(|p| {
        quote! { const _: &[u8] = include_bytes!(#p); }
    });
    quote! {
        #func
        #role
        #(#tracked)*
        #(#errors)*
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
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
        quote! {
            ::leastpriv::__private::Grant {
                service: #service,
                resource: #resource,
                access: &[#(#access),*],
                actions: &[#(#actions),*],
                env: #env,
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
    let doc = format!("The IAM role `#[leastpriv::role]` derived for `{handler}`.");
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #vis const #ident: ::leastpriv::Role = ::leastpriv::__private::Role {
            name: #name,
            handler: #handler,
            grants: &[#(#grants),*],
            requirements: &[#(#requirements),*],
        };
    }
}
