//! Every front end gives the same answer on the soundness fixtures (cli/tests/fixtures/soundness):
//! for each binary that has no unresolved item, the declaration `infer` suggests, put on its
//! `main`, passes the checks the attribute and `check` run, and `synth` on it grants exactly the
//! actions `infer` lists (besides writing to the function's own log group).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use leastpriv_core::analyse::{binary_key, load_crate};
use leastpriv_core::catalog::Catalog;
use leastpriv_core::infer::infer;
use leastpriv_core::pipeline::{HandlerSource, run_handler};
use leastpriv_core::project;
use leastpriv_core::synth::{GrantReason, synthesize};

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/fixtures/soundness");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// The problems of one fixture, and how many binaries were checked.
fn check_fixture(catalog: &Catalog, dir: &Path) -> (Vec<String>, usize) {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let crates = project::discover(dir).unwrap();
    let inferred = infer(catalog, &crates, dir);
    let mut problems = Vec::new();
    let mut checked = 0;
    for info in &crates {
        let sources = load_crate(info, true);
        for binary in &info.binaries {
            let Some(function) = inferred.iter().find(|f| f.binary == binary.name) else {
                continue;
            };
            if !function.unresolved.is_empty() {
                continue;
            }
            let key = binary_key(info, &binary.name);
            let Some(main) = sources.fns_in(&key, "main").into_iter().next() else { continue };
            let attr_text = function
                .suggestion
                .trim()
                .strip_prefix("#[leastpriv::role(")
                .and_then(|s| s.strip_suffix(")]"))
                .unwrap();
            let attr: proc_macro2::TokenStream = attr_text.parse().unwrap();
            let func = syn::ItemFn {
                attrs: Vec::new(),
                vis: syn::Visibility::Inherited,
                sig: main.sig.clone(),
                block: Box::new(main.block.clone()),
            };
            let source = HandlerSource {
                sources: &sources,
                file_index: Some(main.file),
                file: binary.entry.clone(),
                lines: leastpriv_core::analyse::HandlerLines::Spans,
            };
            let result = run_handler(catalog, attr, &func, &source);
            checked += 1;
            let who = format!("{name}/{}", binary.name);
            if !result.diagnostics.is_empty() {
                let messages: Vec<String> = result
                    .diagnostics
                    .iter()
                    .map(|d| format!("{}: {}", d.code, d.message))
                    .collect();
                problems.push(format!(
                    "{who}: the suggested declaration fails the checks:\n{}\n  {messages:#?}",
                    function.suggestion
                ));
                continue;
            }
            let role = match synthesize(catalog, &result, &info.name, Some(&binary.name)) {
                Ok(role) => role,
                Err(err) => {
                    problems.push(format!("{who}: synth fails: {err}"));
                    continue;
                }
            };
            let granted: BTreeSet<String> = role
                .grants
                .iter()
                .filter(|g| g.reason != GrantReason::Logs)
                .map(|g| g.action.clone())
                .collect();
            let wanted: BTreeSet<String> = function.actions.iter().cloned().collect();
            if granted != wanted {
                problems.push(format!("{who}: synth grants {granted:?}, infer says {wanted:?}"));
            }
        }
    }
    (problems, checked)
}

#[test]
fn the_suggested_declaration_passes_check_and_synth_grants_exactly_what_infer_lists() {
    let catalog = Catalog::embedded().unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for dir in fixtures() {
        let (p, n) = check_fixture(catalog, &dir);
        problems.extend(p);
        checked += n;
    }
    assert!(checked >= 40, "only {checked} binaries were checked");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
