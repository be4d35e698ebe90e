//! Generated policies never put `*` in an action, and put `Resource: "*"` only on actions the
//! catalog says take no resource, each with a grant in the manifest saying why: checked over
//! every example and every soundness fixture that synthesizes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};

use leastpriv_core::catalog::Catalog;
use leastpriv_core::pipeline::check_crate;
use leastpriv_core::policy::{Actions, Resources};
use leastpriv_core::synth::{Manifest, binary_of};

fn crates() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs: Vec<PathBuf> = ["image-resize", "orders", "queue-worker"]
        .iter()
        .map(|n| root.join("examples").join(n))
        .collect();
    let fixtures = root.join("cli/tests/fixtures/soundness");
    let mut more: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    more.sort();
    dirs.extend(more);
    dirs
}

fn check(catalog: &Catalog, dir: &Path) -> usize {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let (_, results) = check_crate(catalog, dir);
    let Ok(manifest) =
        Manifest::build(catalog, &name, &results, |h| binary_of(&h.file.to_string_lossy(), &name))
    else {
        return 0;
    };
    let mut checked = 0;
    for function in &manifest.functions {
        let role = &function.role;
        for statement in &role.policy.statements {
            let Actions::Action(actions) = &statement.action else {
                panic!("{name}: {} has a NotAction", role.name);
            };
            for action in actions.iter().filter_map(|a| a.as_literal()) {
                assert!(!action.contains('*') && !action.contains('?'), "{name}: {action}");
            }
            let star = matches!(&statement.resource, Some(Resources::Resource(r))
                if r.iter().any(|v| v.as_literal() == Some("*")));
            if !star {
                continue;
            }
            for action in actions.iter().filter_map(|a| a.as_literal()) {
                let info = catalog.action(action).unwrap();
                assert!(
                    info.resource_star_only(),
                    "{name}: {action} takes a resource but is granted on \"*\""
                );
                assert!(
                    role.grants
                        .iter()
                        .any(|g| g.action == action && g.resource.as_literal() == Some("*")),
                    "{name}: {action} on \"*\" has no grant explaining it"
                );
                checked += 1;
            }
        }
    }
    checked + 1
}

#[test]
fn no_wildcard_actions_and_star_resources_only_where_the_catalog_allows() {
    let catalog = Catalog::embedded().unwrap();
    let synthesized: usize = crates().iter().map(|dir| usize::from(check(catalog, dir) > 0)).sum();
    eprintln!("{synthesized} crates synthesized and checked");
    assert!(synthesized >= 3, "only {synthesized} crates synthesized");
}
