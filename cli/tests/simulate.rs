//! End-to-end tests of `leastpriv simulate` and `leastpriv schema`, run on the built binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn leastpriv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leastpriv")).args(args).output().expect("binary runs")
}

/// Writes `contents` to a fresh file in a per-test temporary directory.
fn file(test: &str, name: &str, contents: &str) -> String {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("leastpriv-simulate-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

fn policy(test: &str, name: &str, statements: Value) -> String {
    file(test, name, &json!({"Version": "2012-10-17", "Statement": statements}).to_string())
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn simulate_json(args: &[&str]) -> Value {
    let mut all = vec!["simulate"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = leastpriv(&all);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn read_policy(test: &str) -> String {
    policy(
        test,
        "read.json",
        json!([{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]),
    )
}

#[test]
fn allow_json_contract() {
    let p = read_policy("allow_json");
    let v = simulate_json(&[
        "--policy",
        &p,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
    ]);
    assert_eq!(
        v,
        json!({
            "decision": "allow",
            "statements": [{"policy": p, "kind": "identity", "index": 0, "sid": "Read", "effect": "Allow"}],
            "reason": "allowed: `s3:GetObject` on `arn:aws:s3:::b/k`",
            "notes": []
        })
    );
}

#[test]
fn allow_text_output() {
    let p = read_policy("allow_text");
    let out = leastpriv(&[
        "simulate",
        "--policy",
        &p,
        "--action",
        "S3:getobject",
        "--resource",
        "arn:aws:s3:::b/k",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("decision: allow\n"), "{text}");
    assert!(text.contains(&format!("Allow by identity policy {p}, statement 0 (Read)")), "{text}");
}

#[test]
fn denials_exit_zero_with_their_decision() {
    let p = read_policy("denials");
    let deny = policy(
        "denials",
        "deny.json",
        json!([{"Sid": "NoTls", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]),
    );
    let v = simulate_json(&[
        "--policy",
        &p,
        &deny,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--context",
        "aws:SecureTransport=false",
    ]);
    assert_eq!(v["decision"], "explicit_deny");
    assert_eq!(v["statements"][0]["sid"], "NoTls");
    assert_eq!(v["statements"][0]["policy"], deny);
    let v = simulate_json(&[
        "--policy",
        &p,
        "--policy",
        &deny,
        "--action",
        "s3:PutObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--context",
        "aws:SecureTransport=true",
    ]);
    assert_eq!(v["decision"], "implicit_deny");
    assert_eq!(v["statements"], json!([]));
}

#[test]
fn boundary_limits_the_identity_policies() {
    let p = policy(
        "boundary",
        "all.json",
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
    );
    let b = policy(
        "boundary",
        "boundary.json",
        json!([{"Sid": "S3Only", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
    );
    let v = simulate_json(&[
        "--policy",
        &p,
        "--boundary",
        &b,
        "--action",
        "iam:CreateUser",
        "--resource",
        "arn:aws:iam::111122223333:user/x",
    ]);
    assert_eq!(v["decision"], "implicit_deny");
    assert!(v["reason"].as_str().unwrap().contains("permissions boundary"));
    let v = simulate_json(&[
        "--policy",
        &p,
        "--boundary",
        &b,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
    ]);
    assert_eq!(v["decision"], "allow");
    assert_eq!(
        v["statements"][1],
        json!({"policy": b, "kind": "boundary", "index": 0, "sid": "S3Only", "effect": "Allow"})
    );
}

#[test]
fn repeated_context_keys_are_multivalued() {
    let p = policy(
        "multi",
        "tags.json",
        json!([{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}}]),
    );
    let base = ["--policy", &p, "--action", "ec2:CreateTags", "--resource", "*"];
    let mut ok = base.to_vec();
    ok.extend(["--context", "aws:TagKeys=env", "--context", "aws:TagKeys=team"]);
    assert_eq!(simulate_json(&ok)["decision"], "allow");
    let mut bad = base.to_vec();
    bad.extend(["--context", "aws:TagKeys=env", "--context", "aws:tagkeys=owner"]);
    assert_eq!(simulate_json(&bad)["decision"], "implicit_deny");
}

#[test]
fn policy_variables_come_from_the_context() {
    let p = policy(
        "vars",
        "home.json",
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/home/${aws:username}/*"}]),
    );
    let v = simulate_json(&[
        "--policy",
        &p,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/home/ana/x",
        "--context",
        "aws:username=ana",
    ]);
    assert_eq!(v["decision"], "allow");
    let v = simulate_json(&[
        "--policy",
        &p,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/home/ana/x",
    ]);
    assert_eq!(v["decision"], "implicit_deny");
    assert!(v["notes"][0].as_str().unwrap().contains("${aws:username}"));
}

#[test]
fn params_resolve_cloudformation_expressions() {
    let p = policy(
        "params",
        "cfn.json",
        json!([{"Effect": "Allow", "Action": "s3:GetObject",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${UploadBucket}/incoming/*"}}]),
    );
    let v = simulate_json(&[
        "--policy",
        &p,
        "--param",
        "AWS::Partition=aws",
        "--param",
        "UploadBucket=uploads",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::uploads/incoming/a.png",
    ]);
    assert_eq!(v["decision"], "allow");

    let out = leastpriv(&[
        "simulate",
        "--policy",
        &p,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::uploads/incoming/a.png",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unresolved CloudFormation references: `AWS::Partition`, `UploadBucket`"),
        "{err}"
    );
    assert!(err.contains("/Statement/0/Resource"), "{err}");
    assert!(err.contains("--param NAME=VALUE"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn bad_input_exits_two_with_a_clear_message() {
    let p = read_policy("bad_input");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--policy".into(),
                "/nonexistent/leastpriv.json".into(),
                "--action".into(),
                "s3:GetObject".into(),
                "--resource".into(),
                "*".into(),
            ],
            "cannot read /nonexistent/leastpriv.json",
        ),
        (
            vec![
                "--policy".into(),
                p.clone(),
                "--action".into(),
                "GetObject".into(),
                "--resource".into(),
                "*".into(),
            ],
            "expected service:Action",
        ),
        (
            vec![
                "--policy".into(),
                p.clone(),
                "--action".into(),
                "s3:GetObject".into(),
                "--resource".into(),
                "*".into(),
                "--context".into(),
                "novalue".into(),
            ],
            "expected NAME=VALUE",
        ),
        (vec!["--policy".into(), p.clone(), "--resource".into(), "*".into()], "--action <ACTION>"),
    ];
    for (args, expected) in cases {
        let mut all: Vec<&str> = vec!["simulate"];
        all.extend(args.iter().map(String::as_str));
        let out = leastpriv(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        assert!(stderr(&out).contains(expected), "{all:?}: {}", stderr(&out));
    }
}

#[test]
fn invalid_documents_say_where() {
    let syntax = file(
        "invalid",
        "syntax.json",
        "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",}\n  ]\n}\n",
    );
    let out = leastpriv(&[
        "simulate",
        "--policy",
        &syntax,
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("{syntax}: line 3 column")), "{}", stderr(&out));

    let effect = policy(
        "invalid",
        "effect.json",
        json!([{"Effect": "allow", "Action": "*", "Resource": "*"}]),
    );
    let out = leastpriv(&[
        "simulate",
        "--policy",
        &effect,
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("/Statement/0/Effect"), "{err}");
    assert!(err.contains("help: `Effect` values are case-sensitive"), "{err}");

    let operator = policy(
        "invalid",
        "operator.json",
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"StringEqual": {"aws:username": "a"}}}]),
    );
    let out = leastpriv(&[
        "simulate",
        "--policy",
        &operator,
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `StringEquals`?"), "{}", stderr(&out));

    let trust = policy(
        "invalid",
        "trust.json",
        json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole", "Resource": "*"}]),
    );
    let out = leastpriv(&[
        "simulate",
        "--policy",
        &trust,
        "--action",
        "sts:AssumeRole",
        "--resource",
        "*",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("must not name a principal"), "{}", stderr(&out));
}

#[test]
fn schema_policy_prints_the_json_schema() {
    let out = leastpriv(&["schema", "policy"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["title"], "PolicyDocument");
    assert!(v["$defs"]["Statement"].is_object());
    assert!(stdout(&out).ends_with("}\n"));
    let out = leastpriv(&["schema", "manifesto"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn statement_level_fn_if_takes_the_branch_its_condition_gives() {
    let p = policy(
        "statement_if",
        "if.json",
        json!([
            {"Fn::If": ["IsProd",
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
                {"Ref": "AWS::NoValue"}]}
        ]),
    );
    let args = |cond: &'static str| {
        vec!["--policy", &p, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"]
            .into_iter()
            .map(str::to_owned)
            .chain(["--param".to_owned(), format!("IsProd={cond}")])
            .collect::<Vec<String>>()
    };
    let run = |cond| {
        let a = args(cond);
        simulate_json(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(run("true")["decision"], "allow");
    assert_eq!(run("false")["decision"], "implicit_deny");
    // Without the condition: an error naming it.
    let out = leastpriv(&[
        "simulate",
        "--policy",
        &p,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("IsProd"), "{}", stderr(&out));
}

#[test]
fn an_unclosed_sub_reference_is_an_error() {
    let p = policy(
        "unclosed_sub",
        "sub.json",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "arn:aws:s3:::${Bucket/*"}}]),
    );
    let out = leastpriv(&[
        "simulate",
        "--policy",
        &p,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--param",
        "Bucket=b",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unclosed `${`"), "{}", stderr(&out));
}
