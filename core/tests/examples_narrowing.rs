//! Removing or narrowing any entry of the examples' declarations fails the check with an error on
//! a call of that entry's service: the examples' declarations are exactly what their code needs.
//!
//! The examples compile with their declarations (the workspace build proves it); here the same
//! pipeline the attribute runs is applied to mutated copies of each declaration.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use leastpriv_core::catalog::Catalog;
use leastpriv_core::diagnostic::Code;
use leastpriv_core::pipeline::{HandlerSource, annotated_handlers, check_crate, run_handler};
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Meta, Token};

const EXAMPLES: &[&str] = &["image-resize", "orders", "queue-worker"];
const ACCESS: &[&str] = &["read", "write", "list", "tagging", "permissions"];

fn example_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name)
}

#[test]
fn examples_check_clean() {
    let catalog = Catalog::embedded().unwrap();
    for name in EXAMPLES {
        let (_, results) = check_crate(catalog, &example_dir(name));
        assert_eq!(results.len(), 1, "{name}: one annotated handler");
        let messages: Vec<String> =
            results[0].diagnostics.iter().map(|d| d.message.clone()).collect();
        assert!(messages.is_empty(), "{name}: {messages:#?}");
        assert!(!results[0].check.requirements.is_empty(), "{name}: derives requirements");
    }
}

#[test]
fn every_removed_or_narrowed_entry_fails_on_a_call() {
    let catalog = Catalog::embedded().unwrap();
    let mut mutations = 0;
    for name in EXAMPLES {
        let dir = example_dir(name);
        let (sources, _) = check_crate(catalog, &dir);
        let (index, func, attr) = annotated_handlers(&sources).pop().unwrap();
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated;
        let entries: Vec<Meta> =
            syn::parse::Parser::parse2(metas, attr).unwrap().into_iter().collect();
        let file = sources.files[index].display.clone();
        let source = HandlerSource {
            sources: &sources,
            file_index: Some(index),
            file,
            lines: leastpriv_core::analyse::HandlerLines::Spans,
        };
        let attr_line = func.sig.ident.span().start().line;

        for (i, entry) in entries.iter().enumerate() {
            let Meta::List(list) = entry else { continue };
            let service = list.path.get_ident().unwrap().to_string();
            let args: Vec<Meta> = list
                .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                .unwrap()
                .into_iter()
                .collect();
            let words: Vec<String> = args
                .iter()
                .filter_map(|m| match m {
                    Meta::Path(p) => p.get_ident().map(ToString::to_string),
                    _ => None,
                })
                .filter(|w| ACCESS.contains(&w.as_str()))
                .collect();
            if words.is_empty() {
                continue; // `trigger`-only entries grant polling, not the code's calls
            }
            // 1. The entry removed.
            let without: Vec<&Meta> =
                entries.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, m)| m).collect();
            let variants =
                std::iter::once((format!("without {}", quote!(#entry)), quote!(#(#without),*)));
            // 2. Each access word narrowed (dropped, or swapped for `list` when it is the only one).
            let narrowed = words.iter().map(|word| {
                let kept: Vec<proc_macro2::TokenStream> = args
                    .iter()
                    .filter_map(|m| match m {
                        Meta::Path(p) if p.is_ident(word) => (words.len() == 1).then(|| {
                            let other = if word == "list" { "read" } else { "list" };
                            let ident = syn::Ident::new(other, proc_macro2::Span::call_site());
                            quote!(#ident)
                        }),
                        other => Some(quote!(#other)),
                    })
                    .collect();
                let path = &list.path;
                let replaced = quote!(#path(#(#kept),*));
                let all: Vec<proc_macro2::TokenStream> = entries
                    .iter()
                    .enumerate()
                    .map(|(j, m)| if j == i { replaced.clone() } else { quote!(#m) })
                    .collect();
                (format!("{service} without `{word}`"), quote!(#(#all),*))
            });
            for (label, tokens) in variants.chain(narrowed) {
                mutations += 1;
                let result = run_handler(catalog, tokens, &func, &source);
                let on_call = result.diagnostics.iter().find(|d| {
                    matches!(
                        d.code,
                        Code::UncoveredCall | Code::ExceedsCeiling | Code::UndeclaredService
                    )
                });
                let Some(d) = on_call else {
                    let all: Vec<&str> =
                        result.diagnostics.iter().map(|d| d.message.as_str()).collect();
                    panic!("{name}: {label}: no error on a call; got {all:#?}");
                };
                assert!(
                    d.span.start().line >= attr_line,
                    "{name}: {label}: error should point into the handler's code: {}",
                    d.message
                );
            }
        }
    }
    assert!(mutations >= 10, "only {mutations} mutations");
}
