//! Resolving CloudFormation expressions in policies from parameter values.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use leastpriv_core::policy::{Params, Policy};
use serde_json::json;

fn policy(resource: serde_json::Value) -> Policy {
    Policy::from_json_value(&json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}]
    }))
    .unwrap()
}

fn resources(policy: &Policy) -> serde_json::Value {
    let out: serde_json::Value = serde_json::from_str(&policy.to_compact_json()).unwrap();
    out["Statement"][0]["Resource"].clone()
}

fn params() -> Params {
    Params::new()
        .with("AWS::Partition", "aws")
        .with("AWS::Region", "eu-west-1")
        .with("AWS::AccountId", "111122223333")
        .with("UploadBucket", "uploads")
        .with("Table.Arn", "arn:aws:dynamodb:eu-west-1:111122223333:table/T")
        .with("IsProd", "false")
}

#[test]
fn sub_ref_get_att_join_and_if() {
    let p = policy(json!([
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${UploadBucket}/incoming/*"},
        {"Fn::Sub": ["arn:aws:s3:::${B}-${AWS::Region}", {"B": {"Ref": "UploadBucket"}}]},
        {"Fn::GetAtt": ["Table", "Arn"]},
        {"Fn::Join": [":", ["arn", {"Ref": "AWS::Partition"}, "sqs", {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}, "q"]]},
        {"Fn::If": ["IsProd", "arn:aws:s3:::prod", "arn:aws:s3:::dev"]},
        "arn:aws:s3:::literal"
    ]));
    let resolved = p.resolve(&params()).unwrap();
    assert_eq!(
        resources(&resolved),
        json!([
            "arn:aws:s3:::uploads/incoming/*",
            "arn:aws:s3:::uploads-eu-west-1",
            "arn:aws:dynamodb:eu-west-1:111122223333:table/T",
            "arn:aws:sqs:eu-west-1:111122223333:q",
            "arn:aws:s3:::dev",
            "arn:aws:s3:::literal"
        ])
    );
    assert!(resolved.first_expression().is_none());
    assert!(p.first_expression().is_some());
}

#[test]
fn if_with_no_value_removes_the_item() {
    let p = policy(
        json!([{"Fn::If": ["IsProd", "arn:aws:s3:::prod", {"Ref": "AWS::NoValue"}]}, "arn:aws:s3:::always"]),
    );
    assert_eq!(resources(&p.resolve(&params()).unwrap()), json!("arn:aws:s3:::always"));
    let prod = params().with("IsProd", "true");
    assert_eq!(
        resources(&p.resolve(&prod).unwrap()),
        json!(["arn:aws:s3:::prod", "arn:aws:s3:::always"])
    );
}

#[test]
fn escaped_policy_variables_become_iam_variables() {
    let p = policy(json!({"Fn::Sub": "arn:aws:s3:::${UploadBucket}/home/${!aws:username}/*"}));
    assert_eq!(
        resources(&p.resolve(&params()).unwrap()),
        json!("arn:aws:s3:::uploads/home/${aws:username}/*")
    );
}

#[test]
fn every_missing_name_is_listed_sorted() {
    let p = policy(json!([
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Zeta}/${Alpha}"},
        {"Fn::GetAtt": ["Queue", "Arn"]},
        {"Fn::If": ["UseKms", "a", "b"]}
    ]));
    let err = p.resolve(&Params::new()).unwrap_err();
    assert_eq!(
        err.message,
        "unresolved CloudFormation references: `AWS::Partition`, `Alpha`, `Queue.Arn`, `UseKms (condition: true or false)`, `Zeta`"
    );
    assert_eq!(err.pointer, "/Statement/0/Resource/0");
    assert!(err.help.unwrap().contains("NAME=VALUE"));
}

#[test]
fn an_unescaped_policy_variable_in_sub_gets_a_hint() {
    let p = policy(json!({"Fn::Sub": "arn:aws:s3:::b/${aws:username}/*"}));
    let err = p.resolve(&Params::new()).unwrap_err();
    assert!(err.message.contains("`aws:username`"), "{err}");
    assert!(err.help.unwrap().contains("${!aws:username}"));
}

#[test]
fn import_value_cannot_be_resolved_offline() {
    let p = policy(json!({"Fn::ImportValue": "shared"}));
    let err = p.resolve(&params()).unwrap_err();
    assert_eq!(err.message, "cannot resolve `Fn::ImportValue` offline");
}

#[test]
fn principals_and_condition_values_are_resolved_too() {
    let p = Policy::from_json_value(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}, "Bool": {"aws:SecureTransport": true}}
        }]
    }))
    .unwrap();
    let text = p.resolve(&params()).unwrap().to_compact_json();
    assert!(text.contains(r#""Principal":{"AWS":"arn:aws:iam::111122223333:root"}"#), "{text}");
    assert!(text.contains(r#""aws:SourceAccount":"111122223333""#), "{text}");
    assert!(text.contains(r#""aws:SecureTransport":true"#), "{text}");
}

#[test]
fn a_literal_policy_resolves_to_itself() {
    let p = policy(json!("arn:aws:s3:::b/*"));
    assert_eq!(p.resolve(&Params::new()).unwrap(), p);
}
