//! What a Lambda binary links from leastpriv: the facade's run-time dependency tree holds none of
//! the engine (leastpriv-core, syn, quote, saphyr, schemars, toml), for the facade and for every
//! example function. The engine is reached only through the proc macro, which runs in the
//! compiler and is never compiled for the Lambda's target.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;

const ENGINE: [&str; 7] =
    ["leastpriv-core", "syn", "quote", "proc-macro2", "saphyr", "schemars", "toml"];

/// The packages `package` links at run time (`cargo tree -e normal -e no-proc-macro`).
fn runtime_tree(package: &str) -> Vec<String> {
    runtime_tree_with(package, &[])
}

/// [`runtime_tree`] with extra `cargo tree` arguments (`--features runtime`).
fn runtime_tree_with(package: &str, extra: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["tree", "--offline", "-p", package, "-e", "normal", "-e", "no-proc-macro"])
        .args(["--prefix", "none", "--format", "{p}"])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn the_facade_and_the_examples_link_none_of_the_engine() {
    for package in ["leastpriv", "image-resize", "orders", "queue-worker"] {
        let tree = runtime_tree(package);
        assert!(
            tree.iter().any(|p| p == "leastpriv"),
            "{package} does not use leastpriv: {tree:?}"
        );
        let engine: Vec<&String> = tree.iter().filter(|p| ENGINE.contains(&p.as_str())).collect();
        assert!(engine.is_empty(), "{package} links engine crates at run time: {engine:?}");
    }
}

#[test]
fn the_runtime_guard_adds_only_crates_the_sdk_brings() {
    let plain = runtime_tree("leastpriv");
    let guarded = runtime_tree_with("leastpriv", &["--features", "runtime"]);
    let engine: Vec<&String> = guarded.iter().filter(|p| ENGINE.contains(&p.as_str())).collect();
    assert!(engine.is_empty(), "the guard links engine crates: {engine:?}");
    // Everything the feature adds is in the tree of an SDK client (image-resize links aws-sdk-s3).
    let sdk = runtime_tree("image-resize");
    let added: Vec<&String> = guarded.iter().filter(|p| !plain.contains(p)).collect();
    assert!(added.iter().any(|p| p.as_str() == "aws-smithy-runtime-api"), "{added:?}");
    let foreign: Vec<&&String> = added.iter().filter(|p| !sdk.contains(p)).collect();
    assert!(foreign.is_empty(), "the guard adds crates no SDK client links: {foreign:?}");
}

#[test]
fn the_engine_is_still_behind_the_attribute() {
    // The check above must not pass because the tree came out empty or the macro went missing.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["tree", "--offline", "-p", "leastpriv", "-e", "normal", "--prefix", "none"])
        .args(["--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("leastpriv-macros"), "{text}");
    assert!(text.contains("leastpriv-core"), "{text}");
}
