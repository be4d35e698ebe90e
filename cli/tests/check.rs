//! `leastpriv check` on the examples (clean) and on a copy with a narrowed declaration (exit 1 with
//! a report on the call).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn leastpriv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leastpriv")).args(args).output().expect("binary runs")
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_workspace_checks_clean() {
    let out = leastpriv(&["check", workspace().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("8 handler(s), no problems"));
}

#[test]
fn a_narrowed_declaration_fails_with_a_report_on_the_call() {
    let dir = std::env::temp_dir().join(format!("leastpriv-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&workspace().join("examples/image-resize"), &dir);
    let main = dir.join("src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap();
    let narrowed = text.replace(
        "s3(write, bucket = \"${ThumbnailBucket}\"",
        "s3(read, bucket = \"${ThumbnailBucket}\"",
    );
    assert_ne!(text, narrowed);
    std::fs::write(&main, narrowed).unwrap();

    let out = leastpriv(&["check", "--short", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let put_line = text.lines().position(|l| l.contains("s3.put_object()")).unwrap() + 1;
    assert!(
        err.contains(&format!("src/main.rs:{put_line}:")) && err.contains("error[exceeds-ceiling]"),
        "{err}"
    );
    assert!(err.contains("s3:PutObject"), "{err}");

    let out = leastpriv(&["check", dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("help: add `write` to that entry"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_path_is_an_input_error() {
    assert_eq!(leastpriv(&["check", "/no/such/dir"]).status.code(), Some(2));
}
