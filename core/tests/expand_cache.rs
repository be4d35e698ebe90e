//! The attribute's entry points as the compiler and rust-analyzer call them: the handler found in
//! the cached sources by position or by name, the cache dropped when a file changes, and the
//! re-parse fallback when the compiler's handler is not in the file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};

use leastpriv_core::analyse::HandlerLines;
use leastpriv_core::expand::{HandlerPosition, MacroContext, expand, expand_from_file};

const HANDLER: &str = r#"#[leastpriv::role(s3(read, bucket = "${Uploads}", env = "BUCKET"))]
pub async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), aws_sdk_s3::Error> {
    let bucket = std::env::var("BUCKET").unwrap_or_default();
    s3.get_object().bucket(&bucket).key("k").send().await?;
    CALL
    Ok(())
}
"#;

fn write_crate(name: &str, extra_call: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leastpriv-expand-cache-{name}"));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"cached\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\naws-sdk-s3 = \"1\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), HANDLER.replace("CALL", extra_call)).unwrap();
    dir
}

/// The handler's position as the compiler would give it for `src/lib.rs`.
fn position(dir: &Path) -> HandlerPosition {
    let text = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    let file = syn::parse_file(&text).unwrap();
    let syn::Item::Fn(func) = &file.items[0] else { panic!("no fn") };
    let name = func.sig.ident.span().start();
    let end = func.block.brace_token.span.close().end();
    HandlerPosition {
        name: "handler".to_owned(),
        name_at: (name.line, name.column),
        end_at: (end.line, end.column),
    }
}

fn messages(errors: &[(proc_macro2::Span, String)]) -> Vec<String> {
    errors.iter().map(|(_, m)| m.clone()).collect()
}

#[test]
fn the_handler_is_found_by_name_where_the_compiler_names_no_file() {
    let dir = write_crate("by-name", "");
    // rust-analyzer's proc-macro server: no file, only CARGO_MANIFEST_DIR.
    let cx =
        MacroContext { manifest_dir: Some(dir.clone()), handler_file: None, guard_table: false };
    let out = expand_from_file(&cx, &position(&dir)).expect("found in the cached sources");
    assert!(out.errors.is_empty(), "{:?}", messages(&out.errors));
    assert!(out.role.to_string().contains("s3:GetObject"), "{}", out.role);
}

#[test]
fn a_changed_file_is_read_again() {
    let dir = write_crate("changed", "");
    let cx = MacroContext {
        manifest_dir: Some(dir.clone()),
        handler_file: Some(dir.join("src/lib.rs")),
        guard_table: false,
    };
    let first = expand_from_file(&cx, &position(&dir)).unwrap();
    assert!(first.errors.is_empty(), "{:?}", messages(&first.errors));
    assert_eq!(first.tracked.len(), 1, "the file is reported to the compiler once");
    // The same process, the file edited: a delete the declaration does not cover.
    write_crate("changed", "s3.delete_object().bucket(&bucket).key(\"k\").send().await?;");
    let second = expand_from_file(&cx, &position(&dir)).unwrap();
    let errors = messages(&second.errors);
    assert!(errors.iter().any(|m| m.contains("s3:DeleteObject")), "{errors:?}");
    assert!(second.tracked.is_empty(), "already reported: {:?}", second.tracked);
}

#[test]
fn a_handler_not_in_its_file_falls_back_to_the_compiler_tokens() {
    let dir = write_crate("fallback", "");
    let cx = MacroContext {
        manifest_dir: Some(dir.clone()),
        handler_file: Some(dir.join("src/lib.rs")),
        guard_table: false,
    };
    // A handler written by a macro: its position matches nothing in the file.
    let mut elsewhere = position(&dir);
    elsewhere.name_at.0 += 40;
    assert!(expand_from_file(&cx, &elsewhere).is_none());
    let text = HANDLER.replace("CALL", "s3.delete_object().bucket(&bucket).send().await?;");
    let file = syn::parse_file(&text).unwrap();
    let syn::Item::Fn(mut func) = file.items[0].clone() else { panic!("no fn") };
    let attr = func.attrs.remove(0);
    let syn::Meta::List(list) = attr.meta else { panic!("no list") };
    let item = quote::ToTokens::to_token_stream(&func);
    let out = expand(list.tokens, item, &cx, HandlerLines::Spans);
    let errors = messages(&out.errors);
    assert!(errors.iter().any(|m| m.contains("s3:DeleteObject")), "{errors:?}");
}
