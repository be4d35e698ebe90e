//! End-to-end tests of `leastpriv synth` and `leastpriv schema manifest`, run on the built binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn leastpriv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leastpriv")).args(args).output().expect("binary runs")
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("leastpriv-synth-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn stdout_is_the_committed_template() {
    for name in ["image-resize", "orders", "queue-worker"] {
        for (format, file) in
            [("cfn-yaml", "leastpriv.cfn.yaml"), ("cfn-json", "leastpriv.cfn.json")]
        {
            let out = leastpriv(&["synth", s(&example(name)), "--format", format]);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let committed = std::fs::read_to_string(example(name).join(file)).unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), committed, "{name} {format}");
        }
    }
}

#[test]
fn check_passes_on_committed_output_and_fails_with_a_diff_and_the_fix() {
    let out = leastpriv(&["synth", s(&example("orders")), "--format", "cfn-yaml", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let dir = scratch("check");
    let target = dir.join("roles.yaml");
    let fresh = std::fs::read_to_string(example("orders").join("leastpriv.cfn.yaml")).unwrap();
    std::fs::write(&target, fresh.replace("dynamodb:PutItem", "dynamodb:DeleteItem")).unwrap();
    let orders = example("orders");
    let args = ["synth", s(&orders), "--format", "cfn-yaml", "-o", s(&target), "--check"];
    let out = leastpriv(&args);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(diff.contains("-                  - \"dynamodb:DeleteItem\""), "{diff}");
    assert!(diff.contains("+                  - \"dynamodb:PutItem\""), "{diff}");
    let err = stderr(&out);
    assert!(err.contains("is out of date"), "{err}");
    assert!(err.contains(&format!("--format cfn-yaml -o {}", target.display())), "{err}");
    // --check never writes.
    assert!(std::fs::read_to_string(&target).unwrap().contains("DeleteItem"));
}

#[test]
fn output_files_and_directories() {
    let dir = scratch("out");
    let file = dir.join("nested/roles.json");
    let out =
        leastpriv(&["synth", s(&example("image-resize")), "--format", "cfn-json", "-o", s(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let committed =
        std::fs::read_to_string(example("image-resize").join("leastpriv.cfn.json")).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), committed);
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("nested")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");

    let policies = format!("{}/", dir.join("policies").display());
    let out =
        leastpriv(&["synth", s(&example("queue-worker")), "--format", "policy", "-o", &policies]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("policies/ForwardJobs.policy.json")).unwrap();
    let policy: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(policy["Version"], "2012-10-17");
    assert!(policy["Statement"].as_array().unwrap().iter().any(|s| s["Action"] == "sns:Publish"));
}

#[test]
fn the_manifest_has_calls_with_lines_and_requirements_with_provenance() {
    let out = leastpriv(&["synth", s(&example("orders")), "--format", "manifest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["crate"], "orders");
    let function = &manifest["functions"][0];
    assert_eq!(function["name"], "OrdersApi");
    assert_eq!(function["binary"], "orders");
    let calls = function["calls"].as_array().unwrap();
    let query = calls.iter().position(|c| c["method"] == "query").unwrap();
    assert_eq!(calls[query]["file"], "src/store.rs");
    assert!(calls[query]["line"].as_u64().unwrap() > 0);
    let requirement = function["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "dynamodb:Query")
        .unwrap();
    assert_eq!(requirement["call"], query);
    assert_eq!(requirement["resource_type"], "index");
    assert_eq!(function["declaration"]["entries"][0]["keys"]["index"], "customer-index");

    let schema = leastpriv(&["schema", "manifest"]);
    assert_eq!(schema.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&schema.stdout).unwrap();
    assert!(schema["properties"]["functions"].is_object(), "{schema}");
}

#[test]
fn diagnostics_stop_synthesis_before_anything_is_written() {
    let dir = scratch("diagnostics");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"broken\"\nversion = \"0.1.0\"\n")
        .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "#[leastpriv::role(s3(read, bucket = \"b\"))]\n\
         pub async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), Error> {\n    \
         s3.delete_object().bucket(\"b\").key(\"k\").send().await?;\n    Ok(())\n}\n",
    )
    .unwrap();
    let target = dir.join("out.yaml");
    let out = leastpriv(&["synth", s(&dir), "-o", s(&target)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("s3:DeleteObject") && err.contains("nothing written"), "{err}");
    assert!(!target.exists());
}

#[test]
fn bad_input_exits_2() {
    let out = leastpriv(&["synth", "/nonexistent/crate"]);
    assert_eq!(out.status.code(), Some(2));
    let dir = scratch("empty");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"plain\"\nversion = \"0.1.0\"\n")
        .unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    let out = leastpriv(&["synth", s(&dir)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no #[leastpriv::role] handler"), "{}", stderr(&out));
    let out = leastpriv(&["synth", s(&example("orders")), "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
}
