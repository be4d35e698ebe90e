//! `leastpriv infer` on fixture crates written in the shapes real Rust Lambdas take; each test
//! asserts the exact actions per binary. The fixtures are parsed, never compiled.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;

use serde_json::Value;

fn infer(fixture: &str) -> Value {
    let dir = format!("{}/tests/fixtures/infer/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_leastpriv"))
        .args(["infer", &dir, "--json"])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn actions_by_binary(v: &Value) -> Vec<(String, Vec<String>)> {
    v["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let actions = f["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect();
            (f["binary"].as_str().unwrap().to_owned(), actions)
        })
        .collect()
}

fn expect(fixture: &str, expected: &[(&str, &[&str])]) -> Value {
    let v = infer(fixture);
    let got = actions_by_binary(&v);
    let want: Vec<(String, Vec<String>)> = expected
        .iter()
        .map(|(b, a)| ((*b).to_owned(), a.iter().map(|s| (*s).to_owned()).collect()))
        .collect();
    assert_eq!(got, want, "{fixture}");
    v
}

#[test]
fn clients_captured_by_service_fn_closures() {
    let v = expect(
        "closure-clients",
        &[("closure-clients", &["s3:GetObject", "s3:ListBucket", "s3:PutObject"])],
    );
    let f = &v["functions"][0];
    assert_eq!(f["entry"], "src/main.rs");
    let calls = f["calls"].as_array().unwrap();
    // sts:GetCallerIdentity is listed as a call that needs nothing.
    let sts = calls.iter().find(|c| c["operation"] == "GetCallerIdentity").unwrap();
    assert_eq!(sts["actions"], serde_json::json!([]));
    let get = calls.iter().find(|c| c["operation"] == "GetObject").unwrap();
    assert_eq!(
        (get["crate"].as_str(), get["file"].as_str(), get["line"].as_u64()),
        (Some("aws-sdk-s3"), Some("src/main.rs"), Some(20))
    );
    let suggestion = f["suggestion"].as_str().unwrap();
    assert!(
        suggestion.contains(
            "s3(list, read, write, bucket = \"${ReportBucket}\", env = \"REPORT_BUCKET\")"
        ),
        "{suggestion}"
    );
}

#[test]
fn struct_fields_arc_static_oncecell_and_const_env_names() {
    let v = expect(
        "state-and-statics",
        &[("state-and-statics", &["secretsmanager:GetSecretValue", "sqs:SendMessage"])],
    );
    let suggestion = v["functions"][0]["suggestion"].as_str().unwrap();
    assert!(suggestion.contains("env = \"OUTBOX_URL\""), "{suggestion}");
    assert!(suggestion.contains("secret = \"api-key\""), "{suggestion}");
}

#[test]
fn repository_behind_a_trait_in_a_module_and_dead_code_ignored() {
    expect("repo-trait", &[("repo-trait", &["dynamodb:DeleteItem"])]);
}

#[test]
fn config_struct_filled_by_envy_and_test_code_ignored() {
    let v = expect("envy-config", &[("envy-config", &["sns:Publish"])]);
    let suggestion = v["functions"][0]["suggestion"].as_str().unwrap();
    assert!(suggestion.contains("env = \"ALERTS_TOPIC_ARN\""), "{suggestion}");
}

#[test]
fn several_binaries_get_their_own_reachable_calls() {
    let v = expect(
        "multi-bin",
        &[("get-products", &["dynamodb:Scan"]), ("put-product", &["dynamodb:PutItem"])],
    );
    assert_eq!(v["functions"][0]["entry"], "src/bin/get-products.rs");
    assert_eq!(v["functions"][0]["calls"][0]["file"], "src/store.rs");
}

#[test]
fn older_sdk_model_paths_and_from_conf() {
    expect("old-sdk", &[("old-sdk", &["dynamodb:PutItem"])]);
}

#[test]
fn workspace_with_a_path_dependency() {
    let v = expect("workspace", &[("notifier", &["ses:SendEmail"])]);
    let f = &v["functions"][0];
    assert_eq!(f["entry"], "lambda/src/main.rs");
    assert_eq!(f["calls"][0]["file"], "shared/src/mail.rs");
}

#[test]
fn annotated_examples_infer_the_same_actions_as_their_declarations_check() {
    let dir = format!("{}/../examples/image-resize", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_leastpriv"))
        .args(["infer", &dir, "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["functions"][0]["actions"], serde_json::json!(["s3:GetObject", "s3:PutObject"]));
}

#[test]
fn bad_path_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_leastpriv"))
        .args(["infer", "/no/such/crate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("give a crate directory or its Cargo.toml")
    );
}

#[test]
fn config_struct_extracted_by_figment_from_prefixed_variables() {
    let v = expect("figment-config", &[("figment-config", &["s3:PutObject"])]);
    let suggestion = v["functions"][0]["suggestion"].as_str().unwrap();
    assert!(suggestion.contains("env = \"APP_ARCHIVE_BUCKET\""), "{suggestion}");
}

#[test]
fn config_struct_deserialised_by_the_config_crate_from_a_prefixed_environment() {
    let v = expect("config-crate", &[("config-crate", &["dynamodb:PutItem"])]);
    let suggestion = v["functions"][0]["suggestion"].as_str().unwrap();
    assert!(suggestion.contains("env = \"SVC_AUDIT_TABLE\""), "{suggestion}");
}

/// The human output lists a call site once however many paths reach it, and says how it was
/// reached when every path took a union or an implicit call.
#[test]
fn human_output_lists_each_call_once_with_how_it_was_reached() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/soundness");
    let run = |fixture: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_leastpriv"))
            .args(["infer", root.join(fixture).to_str().unwrap()])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let implicit = run("shape-implicit-trait-calls");
    assert!(
        implicit.contains(
            "src/lib.rs:21  aws-sdk-dynamodb DeleteItem  → dynamodb:DeleteItem\n      via `drop` of \
             `impl Drop for Lease`, which code outside the crate calls implicitly\n"
        ),
        "{implicit}"
    );
    let union = run("shape-dyn-trait-union");
    assert_eq!(union.matches("src/lib.rs:33  aws-sdk-s3 GetObject").count(), 1, "{union}");
    assert_eq!(union.matches("via one of 3 implementations of `BlobStore::get`").count(), 2);
    // A call reached directly has no `via` line.
    let direct = run("shape-static-clients");
    assert!(!direct.contains("      via "), "{direct}");
}
