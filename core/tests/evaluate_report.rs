//! What an evaluation reports: the deciding statements, the reason, notes, and input errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use leastpriv_core::evaluate::{Decision, PolicyKind, PolicySet, Request, check_evaluable};
use leastpriv_core::policy::{Effect, Params, Policy};

fn policy(statements: &str) -> Policy {
    Policy::from_json_str(&format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#))
        .unwrap()
}

#[test]
fn explicit_deny_lists_every_applicable_deny() {
    let a = policy(
        r#"{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}"#,
    );
    let b = policy(r#"{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}"#);
    let result = PolicySet::new()
        .identity("a.json", &a)
        .identity("b.json", &b)
        .evaluate(&Request::new("s3:DeleteObject", "arn:aws:s3:::b/k"))
        .unwrap();
    assert_eq!(result.decision, Decision::ExplicitDeny);
    let found: Vec<(&str, usize, Option<&str>)> =
        result.statements.iter().map(|s| (s.policy.as_str(), s.index, s.sid.as_deref())).collect();
    assert_eq!(found, vec![("a.json", 1, Some("NoDelete")), ("b.json", 0, None)]);
    assert!(result.statements.iter().all(|s| s.effect == Effect::Deny));
    assert_eq!(
        result.reason,
        "an explicit Deny applies to `s3:DeleteObject` on `arn:aws:s3:::b/k`"
    );
}

#[test]
fn allow_lists_identity_then_boundary_allows() {
    let identity =
        policy(r#"{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#);
    let boundary = policy(r#"{"Sid":"Ceiling","Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
    let result = PolicySet::new()
        .identity("id.json", &identity)
        .boundary("boundary.json", &boundary)
        .evaluate(&Request::new("s3:GetObject", "arn:aws:s3:::b/k"))
        .unwrap();
    assert_eq!(result.decision, Decision::Allow);
    let kinds: Vec<PolicyKind> = result.statements.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, vec![PolicyKind::Identity, PolicyKind::Boundary]);
}

#[test]
fn implicit_deny_says_which_side_is_missing() {
    let identity = policy(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
    let boundary = policy(r#"{"Effect":"Allow","Action":"sqs:*","Resource":"*"}"#);
    let request = Request::new("s3:GetObject", "arn:aws:s3:::b/k");
    let result = PolicySet::new()
        .identity("id", &identity)
        .boundary("b", &boundary)
        .evaluate(&request)
        .unwrap();
    assert_eq!(result.decision, Decision::ImplicitDeny);
    assert!(result.statements.is_empty());
    assert!(result.reason.contains("permissions boundary"), "{}", result.reason);
    let result = PolicySet::new().identity("b", &boundary).evaluate(&request).unwrap();
    assert!(result.reason.starts_with("no identity policy statement allows"), "{}", result.reason);
}

#[test]
fn unresolved_variables_are_noted() {
    let p = policy(
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}"#,
    );
    let result = PolicySet::new()
        .identity("home.json", &p)
        .evaluate(&Request::new("s3:GetObject", "arn:aws:s3:::b/x/y"))
        .unwrap();
    assert_eq!(result.decision, Decision::ImplicitDeny);
    assert_eq!(result.notes.len(), 1);
    assert!(
        result.notes[0].contains("`${aws:username}`") && result.notes[0].contains("home.json"),
        "{:?}",
        result.notes
    );
}

#[test]
fn the_json_contract() {
    let p = policy(r#"{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#);
    let result = PolicySet::new()
        .identity("p.json", &p)
        .evaluate(&Request::new("s3:GetObject", "arn:aws:s3:::b/k"))
        .unwrap();
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "decision": "allow",
            "statements": [{"policy": "p.json", "kind": "identity", "index": 0, "sid": "Read", "effect": "Allow"}],
            "reason": "allowed: `s3:GetObject` on `arn:aws:s3:::b/k`",
            "notes": []
        })
    );
    assert_eq!(Decision::ExplicitDeny.as_str(), "explicit_deny");
}

#[test]
fn principals_are_rejected_in_identity_policies() {
    let trust = policy(
        r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}"#,
    );
    let err = PolicySet::new()
        .identity("trust.json", &trust)
        .evaluate(&Request::new("sts:AssumeRole", "*"))
        .unwrap_err();
    assert_eq!(err.pointer, "/Statement/0");
    assert!(err.message.contains("`trust.json`") && err.message.contains("principal"), "{err}");
}

#[test]
fn statements_without_resource_are_rejected() {
    let p = policy(r#"{"Effect":"Allow","Action":"s3:*"}"#);
    let err = check_evaluable(&p).unwrap_err();
    assert!(err.message.contains("no `Resource`"), "{err}");
}

#[test]
fn cloudformation_expressions_must_be_resolved_first() {
    let p = policy(
        r#"{"Effect":"Allow","Action":"s3:*","Resource":{"Fn::Sub":"arn:aws:s3:::${Bucket}/*"}}"#,
    );
    let err = check_evaluable(&p).unwrap_err();
    assert_eq!(err.pointer, "/Statement/0/Resource");
    let resolved = p.resolve(&Params::new().with("Bucket", "b")).unwrap();
    let result = PolicySet::new()
        .identity("p", &resolved)
        .evaluate(&Request::new("s3:GetObject", "arn:aws:s3:::b/k"))
        .unwrap();
    assert_eq!(result.decision, Decision::Allow);
}
