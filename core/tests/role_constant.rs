//! The `<HANDLER>_ROLE` constant the attribute writes is read back by the facade's decoder (its
//! source, `src/constant.rs`, compiled into this test): every handler of every example, with and
//! without the guard's operations table, decodes to the declaration and the requirements the
//! pipeline derived.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs, dead_code)]

#[path = "../../src/constant.rs"]
mod constant;

use std::path::{Path, PathBuf};

use leastpriv_core::analyse::HandlerLines;
use leastpriv_core::expand::{MacroContext, expand};
use leastpriv_core::pipeline::is_role_attribute;
use quote::ToTokens as _;

/// Every file under `dir/src` with its annotated functions, as (file, attribute tokens, item).
fn handlers(dir: &Path) -> Vec<(PathBuf, proc_macro2::TokenStream, syn::ItemFn)> {
    let mut files = vec![dir.join("src")];
    let mut out = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let ast = syn::parse_file(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for item in ast.items {
            let syn::Item::Fn(mut func) = item else { continue };
            let Some(at) = func.attrs.iter().position(is_role_attribute) else { continue };
            let syn::Meta::List(list) = func.attrs.remove(at).meta else { panic!("no arguments") };
            out.push((path.clone(), list.tokens, func));
        }
    }
    out
}

/// The string the constant's `Role { __encoded: … }` literal holds.
fn encoded(role: &str) -> String {
    let item: syn::ItemConst = syn::parse_str(role).unwrap();
    let syn::Expr::Struct(literal) = *item.expr else { panic!("not a struct literal: {role}") };
    let field = literal.fields.first().unwrap_or_else(|| panic!("no field: {role}"));
    let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = &field.expr else {
        panic!("no string: {role}")
    };
    text.value()
}

#[test]
fn every_example_handler_decodes_to_its_role() {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut seen = 0;
    for name in
        ["image-resize", "orders", "queue-worker", "inventory/functions", "inventory/shared"]
    {
        let dir = examples.join(name);
        for (file, attr, func) in handlers(&dir) {
            for guard_table in [false, true] {
                let cx = MacroContext {
                    manifest_dir: Some(dir.clone()),
                    handler_file: Some(file.clone()),
                    guard_table,
                    disk_cache: None,
                    attribute_at: None,
                };
                let out = expand(attr.clone(), func.to_token_stream(), &cx, HandlerLines::Spans);
                assert!(out.errors.is_empty(), "{}: {:?}", file.display(), out.errors);
                let text: &'static str = Box::leak(encoded(&out.role).into_boxed_str());
                let role = constant::Role::__from_encoded(text);
                let handler = func.sig.ident.to_string();
                assert!(role.is_readable(), "{handler}: {text}");
                assert_eq!(role.handler(), handler);
                assert!(!role.name().is_empty());
                let grants = role.grants();
                assert!(!grants.is_empty(), "{handler}");
                assert!(grants.iter().all(|g| !g.service.is_empty() && !g.resource.is_empty()));
                for r in role.requirements() {
                    let grant = &grants[r.grant];
                    assert!(
                        r.action.starts_with(&format!("{}:", grant.service))
                            || r.action.starts_with("kms:"),
                        "{handler}: {} on {}",
                        r.action,
                        grant.resource
                    );
                    assert!(r.location.contains(".rs:"), "{}", r.location);
                }
                assert_eq!(role.operations().is_empty(), !guard_table, "{handler}");
                seen += 1;
            }
        }
    }
    assert!(seen >= 2 * 8, "{seen} expansions");
}
