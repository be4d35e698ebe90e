//! The soundness suite: fixture crates, workspaces and folders of crates written in the shapes
//! public Rust Lambda projects take (tests/fixtures/soundness/*), each with the exact actions per
//! binary and the unresolved items a careful reader determines (`expected.json`). `infer` must
//! report exactly those.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/soundness");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn infer(path: &Path) -> (Option<i32>, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_leastpriv"))
        .args(["infer", path.to_str().unwrap(), "--json"])
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), json, stderr)
}

type Item = (String, u64, Option<String>);

fn items(v: &Value) -> BTreeSet<Item> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|u| {
                    (
                        u["file"].as_str().unwrap_or_default().to_owned(),
                        u["line"].as_u64().unwrap_or(0),
                        u["service"].as_str().map(str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Compares one fixture; returns its mismatches.
fn compare(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let path = dir.join(expected["infer_path"].as_str().unwrap_or("."));
    let (code, got, stderr) = infer(&path);
    let mut problems = Vec::new();
    let Some(functions) = got["functions"].as_array() else {
        return vec![format!("{name}: infer exited {code:?}: {stderr}")];
    };
    let want_fns = expected["functions"].as_array().unwrap();
    let got_names: BTreeSet<&str> = functions.iter().filter_map(|f| f["binary"].as_str()).collect();
    let want_names: BTreeSet<&str> = want_fns.iter().filter_map(|f| f["binary"].as_str()).collect();
    if got_names != want_names {
        problems.push(format!("{name}: binaries {got_names:?}, expected {want_names:?}"));
    }
    let mut any_unresolved = false;
    for want in want_fns {
        let binary = want["binary"].as_str().unwrap();
        let Some(f) = functions.iter().find(|f| f["binary"] == binary) else { continue };
        let (got_actions, want_actions) = (strings(&f["actions"]), strings(&want["actions"]));
        if got_actions != want_actions {
            problems.push(format!(
                "{name}/{binary}: actions {got_actions:?}, expected {want_actions:?}"
            ));
        }
        let (got_items, want_items) = (items(&f["unresolved"]), items(&want["unresolved"]));
        any_unresolved |= !got_items.is_empty();
        if got_items != want_items {
            let reasons: Vec<String> = f["unresolved"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|u| format!("{}:{} {}", u["file"], u["line"], u["reason"]))
                .collect();
            problems.push(format!(
                "{name}/{binary}: unresolved {got_items:?}, expected {want_items:?} ({reasons:?})"
            ));
        }
    }
    // Exit 1 exactly when something is unresolved.
    let want_code = if any_unresolved { 1 } else { 0 };
    if code != Some(want_code) {
        problems.push(format!("{name}: exit {code:?}, expected {want_code}"));
    }
    problems
}

#[test]
fn every_fixture_gives_exactly_the_expected_actions_and_unresolved_items() {
    let dirs = fixtures();
    assert!(dirs.len() >= 40, "the suite has {} fixtures", dirs.len());
    let problems: Vec<String> = dirs.iter().flat_map(|d| compare(d)).collect();
    assert!(problems.is_empty(), "{} mismatches:\n{}", problems.len(), problems.join("\n"));
}
