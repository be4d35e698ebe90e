//! End-to-end tests of `leastpriv lint`, run on the built binary from the repository root.
//!
//! The corpus snapshot (`cli/tests/snapshots/lint-corpus.txt`) is regenerated with
//! `LEASTPRIV_BLESS=1 cargo test -p leastpriv-cli --test lint`; review its diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

#[path = "common/sarif.rs"]
mod sarif_schema;
use sarif_schema::assert_valid_sarif;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn leastpriv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leastpriv"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("binary runs")
}

fn json(args: &[&str]) -> (Value, i32) {
    let out = leastpriv(args);
    let value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (value, out.status.code().unwrap())
}

fn rules(value: &Value) -> Vec<(String, String)> {
    value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (f["rule"].as_str().unwrap().to_owned(), f["message"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn the_broad_before_template_yields_what_a_reviewer_raises() {
    let (value, code) =
        json(&["lint", "--format", "json", "examples/image-resize/template.before.yaml"]);
    assert_eq!(code, 1);
    let found = rules(&value);
    let has = |rule: &str, text: &str| found.iter().any(|(r, m)| r == rule && m.contains(text));
    assert!(has("service-wildcard", "`s3:*`"), "{found:#?}");
    assert!(has("service-wildcard", "`logs:*`"), "{found:#?}");
    assert!(has("data-exfiltration", "`kms:Decrypt`"), "{found:#?}");
    assert!(has("data-exfiltration", "`s3:GetObject`"), "{found:#?}");
    assert!(has("resource-star", "`ses:SendEmail`"), "{found:#?}");
    assert!(has("resource-exposure", "s3:"), "{found:#?}");
    let first = &value["findings"][0];
    for key in [
        "rule", "severity", "file", "line", "column", "message", "help", "resource", "function",
        "actions",
    ] {
        assert!(first.get(key).is_some(), "missing {key}: {first}");
    }
    assert_eq!(first["function"], "ResizeFunction");
    assert_eq!(first["resource"], "SharedLambdaRole");
}

#[test]
fn every_generated_role_yields_nothing() {
    for example in ["image-resize", "orders", "queue-worker"] {
        for file in ["template.leastpriv.yaml", "leastpriv.cfn.yaml", "leastpriv.cfn.json"] {
            let path = format!("examples/{example}/{file}");
            let (value, code) =
                json(&["lint", "--format", "json", "--min-severity", "info", &path]);
            assert_eq!(rules(&value), Vec::<(String, String)>::new(), "{path}");
            assert_eq!(code, 0, "{path}");
        }
    }
}

#[test]
fn escalation_across_policies_of_one_role() {
    let (value, _) =
        json(&["lint", "--format", "json", "tests/lint-corpus/escalation-across-policies.yaml"]);
    let found = rules(&value);
    assert!(
        found.iter().any(|(r, m)| r == "privilege-escalation"
            && m.contains("iam:PassRole + lambda:CreateFunction")),
        "{found:#?}"
    );
}

#[test]
fn suppressions_are_listed_and_do_not_fail_the_run() {
    let (value, code) = json(&["lint", "--format", "json", "tests/lint-corpus/suppressed.yaml"]);
    let findings = value["findings"].as_array().unwrap();
    let star = findings.iter().find(|f| f["rule"] == "resource-star").unwrap();
    assert_eq!(star["suppressed"], "X-Ray needs it");
    assert!(findings.iter().any(|f| f["rule"] == "invalid-suppression"));
    // The service wildcard's suppression has no reason: it stays and fails the run.
    assert!(
        findings.iter().any(|f| f["rule"] == "service-wildcard" && f.get("suppressed").is_none())
    );
    assert_eq!(code, 1);
}

#[test]
fn params_resolve_values() {
    let file = "tests/lint-corpus/role-if-resource.json";
    let (value, _) = json(&["lint", "--format", "json", file]);
    assert!(rules(&value).iter().any(|(r, _)| r == "data-exfiltration"));
    let (value, _) = json(&["lint", "--format", "json", "--param", "IsProd=true", file]);
    assert!(!rules(&value).iter().any(|(r, _)| r == "data-exfiltration"), "{value}");
}

#[test]
fn unreadable_input_exits_2_and_the_rest_is_linted() {
    let out = leastpriv(&[
        "lint",
        "--format",
        "json",
        "tests/lint-corpus/malformed-yaml.yaml",
        "tests/lint-corpus/role-star.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules(&value).iter().any(|(r, _)| r == "star-action"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid YAML"));
}

#[test]
fn human_output_shows_the_snippet() {
    let out = leastpriv(&["lint", "examples/image-resize/template.before.yaml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("leastpriv::lint::service-wildcard"), "{text}");
    assert!(text.contains("Action: s3:*"), "{text}");
    assert!(text.contains("file linted"), "{text}");
}

/// One line per finding of the whole corpus; compared with the committed snapshot.
#[test]
fn the_corpus_lints_without_a_crash_and_matches_its_snapshot() {
    let (value, code) =
        json(&["lint", "--format", "json", "--min-severity", "info", "tests/lint-corpus"]);
    assert_eq!(code, 2, "two corpus files are malformed on purpose");
    let count = std::fs::read_dir(root().join("tests/lint-corpus")).unwrap().count();
    assert!(count >= 200, "{count} corpus files");
    let mut lines = Vec::new();
    for f in value["findings"].as_array().unwrap() {
        lines.push(format!(
            "{}:{}:{} {} {} [{}] {}",
            f["file"].as_str().unwrap(),
            f["line"],
            f["column"],
            f["severity"].as_str().unwrap(),
            f["rule"].as_str().unwrap(),
            f["actions"].as_array().unwrap().len(),
            f["message"].as_str().unwrap()
        ));
    }
    for e in value["errors"].as_array().unwrap() {
        lines.push(format!(
            "{} error {}",
            e["file"].as_str().unwrap(),
            e["message"].as_str().unwrap()
        ));
    }
    let text = lines.join("\n") + "\n";
    let snapshot = root().join("cli/tests/snapshots/lint-corpus.txt");
    if std::env::var_os("LEASTPRIV_BLESS").is_some() {
        std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
        std::fs::write(&snapshot, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        expected == text,
        "the corpus findings changed; review and bless with LEASTPRIV_BLESS=1 (first difference: {:?})",
        expected.lines().zip(text.lines()).find(|(a, b)| a != b)
    );
}

/// The SARIF output validates against the published schema (skipped with a note when the venv
/// with `jsonschema` is not there).
#[test]
fn sarif_validates_against_the_published_schema() {
    let out = leastpriv(&[
        "lint",
        "--format",
        "sarif",
        "examples/image-resize/template.before.yaml",
        "tests/lint-corpus/suppressed.yaml",
        "tests/lint-corpus/policy-star.json",
    ]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
    assert_valid_sarif(&out.stdout);
}

/// `--code` on a SAM app with DynamoDBCrudPolicy, S3ReadPolicy, SQSSendMessagePolicy and an
/// inline statement: exactly the over-grant a reviewer counts, action by action.
#[test]
fn code_reports_the_exact_over_grant() {
    let dir = "cli/tests/fixtures/lint-code";
    let (value, code) =
        json(&["lint", "--format", "json", "--code", dir, &format!("{dir}/template.yaml")]);
    assert_eq!(code, 1);
    let findings = value["findings"].as_array().unwrap();
    let of = |rule: &str| -> Vec<Vec<String>> {
        findings
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| {
                assert_eq!(f["function"], "ProcessOrder");
                f["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_owned())
                    .collect()
            })
            .collect()
    };
    assert_eq!(
        of("unused-grant"),
        vec![
            vec![
                "dynamodb:BatchGetItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:DescribeTable",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:UpdateItem",
            ],
            vec![
                "s3:GetBucketLocation",
                "s3:GetLifecycleConfiguration",
                "s3:GetObjectVersion",
                "s3:ListBucket"
            ],
            vec!["sns:Publish"],
        ]
    );
    assert!(of("missing-grant").is_empty());
    let replacement = &value["replacements"][0];
    assert_eq!(replacement["binary"], "process-order");
    let actions: Vec<String> = replacement["policy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(list) => list.iter().map(|a| a.as_str().unwrap().to_owned()).collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(
        actions,
        ["dynamodb:GetItem", "dynamodb:PutItem", "s3:GetObject", "sqs:SendMessage"]
    );
    assert!(replacement["attribute"].as_str().unwrap().starts_with("#[leastpriv::role("));
}

/// A function whose code the analysis cannot fully follow: the unresolved call is shown and its
/// service's grants are not counted as unused.
#[test]
fn code_never_counts_unresolved_services_as_unused() {
    let dir = "examples/image-resize";
    let (value, _) =
        json(&["lint", "--format", "json", "--code", dir, &format!("{dir}/template.before.yaml")]);
    let findings = value["findings"].as_array().unwrap();
    let unused: Vec<&Value> = findings.iter().filter(|f| f["rule"] == "unused-grant").collect();
    assert!(unused.iter().any(|f| f["actions"][0] == "kms:Decrypt"), "{unused:#?}");
    assert!(findings.iter().all(|f| f["rule"] != "missing-grant"));
}

#[test]
fn config_suppressions_and_the_threshold_pick_what_fails() {
    let dir = std::env::temp_dir().join(format!("leastpriv-lint-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("lint.toml");
    std::fs::write(
        &config,
        "[[suppress]]\nrule = \"resource-star\"\nfile = \"role-ddb-star.json\"\nreason = \"tables created at run time\"\n\n[[suppress]]\nrule = \"data-exfiltration\"\nresource = \"F\"\nreason = \"reads every table by design\"\n",
    )
    .unwrap();
    let file = "tests/lint-corpus/role-ddb-star.json";
    let (value, code) = json(&["lint", "--format", "json", file]);
    assert_eq!(code, 1, "{value}");
    let config = config.to_str().unwrap();
    let (value, code) = json(&["lint", "--format", "json", "--config", config, file]);
    assert_eq!(code, 0, "{value}");
    let star = value["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "resource-star");
    assert_eq!(star.unwrap()["suppressed"], "tables created at run time");
    // Warnings only: failing at error and above passes.
    let (_, code) = json(&["lint", "--format", "json", "--min-severity", "error", file]);
    assert_eq!(code, 0);
    let out = leastpriv(&["lint", "--config", "/nonexistent/lint.toml", file]);
    assert_eq!(out.status.code(), Some(2));
}

/// Functions matched to binaries as `synth` matches them — a cargo-lambda `CodeUri` whatever the
/// function is called, and never a binary the `CodeUri` does not name — and the grants SAM
/// writes for the Lambda service itself (a dead-letter queue, a destination) never counted as
/// unused.
#[test]
fn code_matches_cargo_lambda_code_uris_and_keeps_service_grants() {
    let dir = std::env::temp_dir().join(format!("leastpriv-lint-code-uri-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        "Transform: AWS::Serverless-2016-10-31\n\
         Resources:\n\
         \x20 Dlq:\n    Type: AWS::SNS::Topic\n\
         \x20 Failed:\n    Type: AWS::SNS::Topic\n\
         \x20 Worker:\n    Type: AWS::Serverless::Function\n    Properties:\n\
         \x20     CodeUri: target/lambda/process-order/\n      Handler: bootstrap\n\
         \x20     Runtime: provided.al2023\n\
         \x20     DeadLetterQueue:\n        Type: SNS\n        TargetArn: !Ref Dlq\n\
         \x20     EventInvokeConfig:\n        DestinationConfig:\n          OnFailure:\n\
         \x20           Type: SNS\n            Destination: !Ref Failed\n\
         \x20 ProcessOrderFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n\
         \x20     CodeUri: target/lambda/another-binary/\n      Handler: bootstrap\n\
         \x20     Runtime: provided.al2023\n",
    )
    .unwrap();
    let code = root().join("cli/tests/fixtures/lint-code");
    let out = leastpriv(&[
        "lint",
        "--format",
        "json",
        "--code",
        code.to_str().unwrap(),
        template.to_str().unwrap(),
    ]);
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = value["findings"].as_array().unwrap();
    // `Worker` is the process-order binary: its role lacks the code's grants.
    let missing: Vec<&Value> = findings.iter().filter(|f| f["rule"] == "missing-grant").collect();
    assert_eq!(missing.len(), 1, "{findings:#?}");
    assert_eq!(missing[0]["function"], "Worker");
    assert!(missing[0]["actions"].as_array().unwrap().contains(&Value::from("dynamodb:GetItem")));
    // The dead-letter topic's and the destination's sns:Publish (which the code never calls)
    // are the service's.
    assert!(findings.iter().all(|f| f["rule"] != "unused-grant"), "{findings:#?}");
    // `ProcessOrderFunction` names another binary: it is not judged as process-order.
    let judged = |f: &&Value| f["rule"] == "missing-grant" || f["rule"] == "unused-grant";
    assert!(
        findings.iter().filter(judged).all(|f| f["function"] != "ProcessOrderFunction"),
        "{findings:#?}"
    );
    let replaced: Vec<&Value> =
        value["replacements"].as_array().unwrap().iter().map(|r| &r["binary"]).collect();
    assert_eq!(replaced, [&Value::from("process-order")]);
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}
