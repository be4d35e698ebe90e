//! SARIF schema validation shared by the CLI's tests (`lint`, `audit` end to end and the audit
//! renderer's unit test): one helper, included with `#[path]` where needed.

#![allow(clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The Python with the `jsonschema` package: the venv of `LEASTPRIV_CFN_LINT` or
/// `LEASTPRIV_MOTO` (what `.ci/run` exports), else the repository's `.venv`.
fn python(root: &Path) -> PathBuf {
    ["LEASTPRIV_CFN_LINT", "LEASTPRIV_MOTO"]
        .iter()
        .find_map(std::env::var_os)
        .map(|tool| PathBuf::from(tool).with_file_name("python"))
        .unwrap_or_else(|| root.join(".venv/bin/python"))
}

/// Validates a SARIF log against the vendored SARIF 2.1.0 schema
/// (`cli/tests/data/sarif-2.1.0-rtm.5.json`) with the venv's `jsonschema`; skipped with a note
/// when there is no such Python.
pub fn assert_valid_sarif(sarif: &[u8]) {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = python(&root);
    if !python.exists() {
        assert!(
            std::env::var("CI").is_err(),
            "no {} under CI: scripts/test installs the venv with jsonschema",
            python.display()
        );
        eprintln!(
            "skipped the SARIF schema validation: no {} (run .ci/run's venv step)",
            python.display()
        );
        return;
    }
    let file = std::env::temp_dir().join(format!(
        "leastpriv-sarif-{}-{}.sarif",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&file, sarif).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let check = Command::new(&python)
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft4Validator(schema).validate(json.load(open(sys.argv[2])))\n\
             print('valid')",
        ])
        .arg(root.join("cli/tests/data/sarif-2.1.0-rtm.5.json"))
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    let _ = std::fs::remove_file(&file);
    assert!(
        check.status.success(),
        "SARIF invalid: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}
