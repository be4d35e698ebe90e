//! Unit tests of lint over small templates and policies.

#![allow(clippy::unwrap_used)]

use super::*;

fn lint(text: &str) -> Vec<Finding> {
    lint_text(Catalog::embedded().unwrap(), "t.yaml", text, &LintOptions::default()).unwrap()
}

fn rules(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.rule).collect()
}

#[test]
fn deployed_documents_are_judged_per_role() {
    let a = Policy::from_json_str(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::1:role/x"}]}"#,
    )
    .unwrap();
    let b = Policy::from_json_str(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:CreateFunction","Resource":"*"}]}"#,
    )
    .unwrap();
    let catalog = Catalog::embedded().unwrap();
    let together = lint_policy_documents(
        catalog,
        &[
            NamedPolicy { name: "arn:aws:iam::1:policy/a", role: Some("r"), policy: &a },
            NamedPolicy { name: "arn:aws:iam::1:policy/b", role: Some("r"), policy: &b },
        ],
    );
    assert!(together.iter().any(|f| f.rule == "privilege-escalation"), "{together:#?}");
    let apart = lint_policy_documents(
        catalog,
        &[
            NamedPolicy { name: "a", role: Some("r1"), policy: &a },
            NamedPolicy { name: "b", role: Some("r2"), policy: &b },
        ],
    );
    assert!(!apart.iter().any(|f| f.rule == "privilege-escalation"), "{apart:#?}");
    assert!(apart.iter().all(|f| f.file == "a" || f.file == "b"));
}

#[test]
fn positions_point_at_the_value() {
    let findings = lint(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - \
         PolicyName: p\n          PolicyDocument:\n            Statement:\n              - \
         Effect: Allow\n                Action:\n                  - s3:GetObjekt\n                \
         Resource: arn:aws:s3:::b/*\n",
    );
    let unknown = findings.iter().find(|f| f.rule == "unknown-action").unwrap();
    assert_eq!((unknown.line, unknown.column), (11, 21));
    assert!(unknown.help.contains("s3:GetObject"), "{}", unknown.help);
    assert_eq!(unknown.resource.as_deref(), Some("R"));
}

#[test]
fn sam_tracing_and_templates_are_judged_and_globals_apply() {
    let findings = lint(
        "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Tracing: Active\n\
         Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
         Policies:\n        - AmazonS3FullAccess\n        - Statement:\n            - Effect: \
         Allow\n              Action: 's3:*'\n              Resource: '*'\n",
    );
    assert_eq!(
        rules(&findings),
        [
            "unscoped-logs",
            "broad-managed-policy",
            "data-exfiltration",
            "resource-exposure",
            "service-wildcard",
            "resource-star"
        ],
        "{findings:#?}"
    );
    assert!(findings.iter().all(|f| f.function.as_deref() == Some("Fn")));
}

#[test]
fn a_shared_role_and_params_are_reported() {
    let text = "Parameters:\n  Target: {Type: String}\nResources:\n  R:\n    Type: AWS::IAM::Role\n    \
                Properties:\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            \
                Statement:\n              - {Effect: Allow, Action: sqs:SendMessage, Resource: !Ref Target}\n  \
                A:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAtt R.Arn\n  \
                B:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAtt R.Arn\n";
    let findings = lint(text);
    assert_eq!(rules(&findings), ["shared-role", "unresolved"], "{findings:#?}");
    let mut options = LintOptions::default();
    options.params.insert("Target", "*");
    let findings = lint_text(Catalog::embedded().unwrap(), "t.yaml", text, &options).unwrap();
    assert!(rules(&findings).contains(&"resource-star"), "{findings:#?}");
}
