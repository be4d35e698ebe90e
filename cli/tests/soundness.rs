//! The soundness suite: fixture crates, workspaces and folders of crates written in the shapes
//! public Rust Lambda projects take (tests/fixtures/soundness/*), each with the exact actions per
//! binary and the unresolved items a careful reader determines (`expected.json`). `infer` must
//! report exactly those.
//!
//! And a property of the same fixtures: insert a call of a random SDK operation, on a client in
//! scope, into a function the binary reaches; `infer` must then report the operation's actions
//! or an unresolved item — never neither. The insertion point is an SDK call `infer` already
//! reports (so the function is reachable and its receiver is a client in scope there):
//! `let _ = RECEIVER.OPERATION();` goes right before the statement holding it. Operations are
//! drawn from the client's whole SDK with a fixed seed, so a failure reproduces.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use leastpriv_core::catalog::{Catalog, Mapping};
use serde_json::Value;
use syn::spanned::Spanned as _;
use syn::visit::Visit;

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

/// A small deterministic generator (xorshift64*), so runs are reproducible without a
/// dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn infer_allowing(path: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_leastpriv"))
        .args(["infer", path.to_str().unwrap(), "--json", "--allow-unresolved"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Finds the statement holding the method call `method` on `line`, and that call's receiver.
struct Finder<'a> {
    method: &'a str,
    line: usize,
    /// The innermost statement seen so far that contains the target line.
    stmt: Option<(usize, usize)>,
    found: Option<(usize, String)>,
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        let (start, end) = (stmt.span().start().line, stmt.span().end().line);
        if start <= self.line && self.line <= end {
            let outer = self.stmt.replace((start, end));
            syn::visit::visit_stmt(self, stmt);
            if self.found.is_none() {
                self.stmt = outer;
            }
        }
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if self.found.is_none()
            && m.method == self.method
            && m.method.span().start().line == self.line
            && let Some((start, _)) = self.stmt
        {
            let receiver = quote::ToTokens::to_token_stream(&m.receiver).to_string();
            self.found = Some((start, receiver));
            return;
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// One mutation; `Err` when the chosen call site cannot take a statement (a macro body, an
/// expression-bodied closure), so another is drawn.
fn mutate(
    catalog: &Catalog,
    fixture: &Path,
    scratch: &Path,
    rng: &mut Rng,
    function: &Value,
) -> Result<(String, String, String), ()> {
    let calls = function["calls"].as_array().ok_or(())?;
    if calls.is_empty() {
        return Err(());
    }
    let call = &calls[rng.below(calls.len())];
    let krate = call["crate"].as_str().ok_or(())?;
    let file = call["file"].as_str().ok_or(())?;
    let line = call["line"].as_u64().ok_or(())? as usize;
    let methods = catalog.methods_of(krate).map_err(|_| ())?;
    let method = methods
        .iter()
        .find(|m| {
            catalog
                .sdk_operation(krate, m)
                .is_ok_and(|op| op.operation == call["operation"].as_str().unwrap_or_default())
        })
        .ok_or(())?;
    let text = std::fs::read_to_string(fixture.join(file)).map_err(|_| ())?;
    let ast = syn::parse_file(&text).map_err(|_| ())?;
    let mut finder = Finder { method, line, stmt: None, found: None };
    finder.visit_file(&ast);
    let (stmt_line, receiver) = finder.found.ok_or(())?;
    // A random operation with a fixed action set (no setter conditions, not permission-free).
    let candidates: Vec<&String> = methods
        .iter()
        .filter(|m| {
            catalog.sdk_operation(krate, m).is_ok_and(|op| {
                matches!(op.mapping, Mapping::Derived | Mapping::Exception)
                    && !op.actions.is_empty()
                    && op.rules.iter().all(|r| r.when.is_none())
            })
        })
        .collect();
    let new_method = candidates.get(rng.below(candidates.len().max(1))).ok_or(())?;
    let mut lines: Vec<&str> = text.lines().collect();
    let inserted = format!("let _ = ({receiver}).{new_method}();");
    lines.insert(stmt_line - 1, &inserted);
    let _ = std::fs::remove_dir_all(scratch);
    copy_dir(fixture, scratch);
    std::fs::write(scratch.join(file), lines.join("\n")).unwrap();
    let what = format!("`{new_method}` on `{receiver}` before {file}:{stmt_line}");
    Ok((what, krate.to_owned(), (*new_method).clone()))
}

#[test]
fn an_inserted_call_is_reported_as_an_action_or_an_unresolved_item() {
    let catalog = Catalog::embedded().unwrap();
    let mut rng = Rng(0x5EED_1EA5_7B41_0001);
    let scratch_root =
        std::env::temp_dir().join(format!("leastpriv-mutation-{}", std::process::id()));
    let mut failures = Vec::new();
    let mut tried = 0;
    for fixture in fixtures() {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture.join("expected.json")).unwrap())
                .unwrap();
        let path = expected["infer_path"].as_str().unwrap_or(".");
        let before = infer_allowing(&fixture.join(path));
        let functions = before["functions"].as_array().unwrap();
        for _ in 0..8 {
            if functions.is_empty() {
                break;
            }
            let function = &functions[rng.below(functions.len())];
            let scratch = scratch_root.join(fixture.file_name().unwrap());
            let Ok((what, krate, method)) = mutate(catalog, &fixture, &scratch, &mut rng, function)
            else {
                continue;
            };
            tried += 1;
            let after = infer_allowing(&scratch.join(path));
            let binary = function["binary"].as_str().unwrap();
            let mutated = after["functions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["binary"] == binary)
                .unwrap();
            let op = catalog.sdk_operation(&krate, &method).unwrap();
            let actions: Vec<&str> =
                mutated["actions"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
            let reported = op.actions.iter().all(|a| actions.contains(&a.as_str()));
            let unresolved_grew = mutated["unresolved"].as_array().unwrap().len()
                > function["unresolved"].as_array().unwrap().len();
            if !reported && !unresolved_grew {
                failures.push(format!(
                    "{}/{binary}: inserted {what}: neither reported nor unresolved",
                    fixture.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch_root);
    eprintln!("{tried} mutations made, {} lost", failures.len());
    assert!(tried >= 150, "only {tried} mutations could be made");
    assert!(
        failures.is_empty(),
        "{} of {tried} mutations lost:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
