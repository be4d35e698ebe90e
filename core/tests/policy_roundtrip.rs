//! Round-trip tests: real-world policy shapes read, rendered canonically and read back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use leastpriv_core::policy::{
    Actions, BaseOperator, CfnExpr, ConditionOperator, ConditionValue, Effect, OneOrMany, Policy,
    Principal, Principals, Resources, SetQualifier, Statement, Value, Version,
};
use serde_json::json;

fn parse(value: serde_json::Value) -> Policy {
    Policy::from_json_value(&value).unwrap_or_else(|e| panic!("{e} ({:?})", e.help))
}

/// Parses, renders (pretty and compact), parses again: same model, same text.
fn round_trip(value: serde_json::Value) -> Policy {
    let policy = parse(value);
    let pretty = policy.to_pretty_json();
    let compact = policy.to_compact_json();
    let again = Policy::from_json_str(&pretty).unwrap();
    assert_eq!(again, policy, "pretty round trip changed the model:\n{pretty}");
    assert_eq!(Policy::from_json_str(&compact).unwrap(), policy);
    assert_eq!(again.to_pretty_json(), pretty, "rendering is not stable");
    assert!(pretty.ends_with("}\n"));
    policy
}

#[test]
fn single_statement_object_becomes_a_list() {
    let policy = round_trip(json!({
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    }));
    assert_eq!(policy.statements.len(), 1);
    let out: serde_json::Value = serde_json::from_str(&policy.to_compact_json()).unwrap();
    assert!(out["Statement"].is_array());
}

#[test]
fn string_and_list_actions_mean_the_same() {
    let one = parse(
        json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
    );
    let list = parse(
        json!({"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]}),
    );
    assert_eq!(one, list);
    assert_eq!(
        list.to_compact_json(),
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
    );
    let many = round_trip(
        json!({"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}),
    );
    assert!(many.to_compact_json().contains(r#""Action":["s3:GetObject","s3:PutObject"]"#));
}

#[test]
fn canonical_member_order_whatever_the_input_order() {
    let policy = round_trip(json!({
        "Statement": [{
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            "Resource": "*",
            "Action": "s3:*",
            "Effect": "Deny",
            "Sid": "TlsOnly"
        }],
        "Id": "p1",
        "Version": "2012-10-17"
    }));
    assert_eq!(
        policy.to_compact_json(),
        r#"{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"TlsOnly","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#
    );
}

#[test]
fn pretty_layout_is_two_space_indented() {
    let policy = Policy::new(vec![Statement::new(
        Effect::Allow,
        ["sqs:SendMessage"],
        ["arn:aws:sqs:us-east-1:111122223333:q"],
    )]);
    let expected = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"sqs:SendMessage\",\n      \"Resource\": \"arn:aws:sqs:us-east-1:111122223333:q\"\n    }\n  ]\n}\n";
    assert_eq!(policy.to_pretty_json(), expected);
}

#[test]
fn trust_policy_with_service_principal() {
    let policy = round_trip(json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }));
    let st = &policy.statements[0];
    assert_eq!(
        st.principal,
        Some(Principals::Principal(Principal::service("lambda.amazonaws.com")))
    );
    assert_eq!(st.resource, None);
}

#[test]
fn not_principal_and_every_principal_type() {
    let policy = round_trip(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "NotPrincipal": {
                "Service": ["s3.amazonaws.com"],
                "AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/Admin"],
                "Federated": "cognito-identity.amazonaws.com",
                "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
            },
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
        }]
    }));
    let text = policy.to_compact_json();
    let aws = text.find("\"AWS\"").unwrap();
    let canonical = text.find("\"CanonicalUser\"").unwrap();
    let federated = text.find("\"Federated\"").unwrap();
    let service = text.find("\"Service\"").unwrap();
    assert!(aws < canonical && canonical < federated && federated < service, "{text}");
    assert!(matches!(policy.statements[0].principal, Some(Principals::NotPrincipal(_))));
}

#[test]
fn star_principal_and_aws_star_differ() {
    let star = round_trip(
        json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}),
    );
    let aws_star = round_trip(
        json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}]}),
    );
    assert_ne!(star, aws_star);
    assert!(star.to_compact_json().contains(r#""Principal":"*""#));
    assert!(aws_star.to_compact_json().contains(r#""Principal":{"AWS":"*"}"#));
}

#[test]
fn conditions_with_lists_booleans_numbers_and_qualifiers() {
    let policy = round_trip(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/Thread",
            "Condition": {
                "ForAllValues:StringLike": {"dynamodb:Attributes": ["PostDateTime", "Message", "Tags"]},
                "NumericLessThanEquals": {"s3:max-keys": 10},
                "Bool": {"aws:MultiFactorAuthPresent": true},
                "StringEqualsIfExists": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]},
                "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}
            }
        }]
    }));
    let condition = &policy.statements[0].condition;
    let like = ConditionOperator {
        set: Some(SetQualifier::ForAllValues),
        base: BaseOperator::StringLike,
        if_exists: false,
    };
    assert_eq!(condition.0[&like].values().next().unwrap().len(), 3);
    let text = policy.to_compact_json();
    assert!(text.contains(r#""NumericLessThanEquals":{"s3:max-keys":10}"#), "{text}");
    assert!(text.contains(r#""Bool":{"aws:MultiFactorAuthPresent":true}"#), "{text}");
    // Operators sorted by name.
    let bool_at = text.find("\"Bool\"").unwrap();
    let ip_at = text.find("\"IpAddress\"").unwrap();
    let num_at = text.find("\"NumericLessThanEquals\"").unwrap();
    let str_at = text.find("\"StringEqualsIfExists\"").unwrap();
    let like_at = text.find("\"ForAllValues:StringLike\"").unwrap();
    assert!(bool_at < ip_at && ip_at < num_at && num_at < str_at && str_at < like_at, "{text}");
}

#[test]
fn condition_member_order_does_not_matter() {
    let a = parse(json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringEquals": {"s3:prefix": "a", "aws:PrincipalTag/team": "x"}, "Bool": {"aws:SecureTransport": "true"}}}]}));
    let b = parse(json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:PrincipalTag/team": "x", "s3:prefix": "a"}}}]}));
    assert_eq!(a, b);
    assert_eq!(a.to_compact_json(), b.to_compact_json());
}

#[test]
fn condition_keys_keep_their_spelling_and_compare_case_insensitively() {
    let upper =
        round_trip(json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"IpAddress": {"AWS:SourceIP": "10.0.0.0/8"}}}]}));
    assert!(upper.to_compact_json().contains("AWS:SourceIP"));
    let lower = parse(json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"IpAddress": {"aws:sourceip": "10.0.0.0/8"}}}]}));
    assert_eq!(upper, lower);
}

#[test]
fn not_action_and_not_resource() {
    let policy = round_trip(json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": "arn:aws:s3:::logs/*"}]
    }));
    let st = &policy.statements[0];
    assert!(matches!(&st.action, Actions::NotAction(list) if list.len() == 2));
    assert!(matches!(&st.resource, Some(Resources::NotResource(list)) if list.len() == 1));
}

#[test]
fn cloudformation_values_are_kept_and_rendered() {
    let policy = round_trip(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [
                {"Fn::Sub": "arn:${AWS::Partition}:s3:::${UploadBucket}/incoming/*"},
                {"Fn::Sub": ["arn:${AWS::Partition}:s3:::${B}/*", {"B": {"Ref": "ThumbBucket"}}]},
                {"Fn::GetAtt": ["Table", "Arn"]},
                {"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": "Bucket"}, "/*"]]},
                {"Fn::If": ["IsProd", "arn:aws:s3:::prod/*", {"Ref": "AWS::NoValue"}]},
                {"Fn::ImportValue": "shared-bucket-arn"}
            ],
            "Condition": {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}
        }]
    }));
    let Some(Resources::Resource(resources)) = &policy.statements[0].resource else { panic!() };
    assert_eq!(
        resources.0[0],
        Value::expr(CfnExpr::Sub {
            template: "arn:${AWS::Partition}:s3:::${UploadBucket}/incoming/*".into(),
            variables: Default::default()
        })
    );
    assert!(matches!(&resources.0[2], Value::Expr(e) if matches!(**e, CfnExpr::GetAtt { .. })));
    assert!(
        matches!(&resources.0[5], Value::Expr(e) if matches!(&**e, CfnExpr::Other { function, .. } if function == "Fn::ImportValue"))
    );
    let text = policy.to_compact_json();
    assert!(
        text.contains(
            r#"{"Fn::Sub":["arn:${AWS::Partition}:s3:::${B}/*",{"B":{"Ref":"ThumbBucket"}}]}"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"{"Fn::ImportValue":"shared-bucket-arn"}"#), "{text}");
    assert!(text.contains(r#""aws:PrincipalAccount":{"Ref":"AWS::AccountId"}"#), "{text}");
}

#[test]
fn get_att_dotted_string_form_renders_as_a_list() {
    let policy = round_trip(
        json!({"Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": {"Fn::GetAtt": "Queue.Arn"}}]}),
    );
    assert!(policy.to_compact_json().contains(r#"{"Fn::GetAtt":["Queue","Arn"]}"#));
}

#[test]
fn policy_variables_stay_literal_text() {
    let policy = round_trip(json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*",
            "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}}}]
    }));
    assert!(policy.to_compact_json().contains("home/${aws:username}/*"));
}

#[test]
fn version_2008_and_missing_version_are_kept() {
    let old = round_trip(json!({"Version": "2008-10-17", "Statement": []}));
    assert_eq!(old.version, Some(Version::V2008_10_17));
    let none = round_trip(json!({"Statement": []}));
    assert_eq!(none.version, None);
    assert_eq!(none.to_compact_json(), r#"{"Statement":[]}"#);
}

#[test]
fn a_large_managed_policy_shape_round_trips() {
    let statements: Vec<serde_json::Value> = (0..25)
        .map(|i| json!({
            "Sid": format!("S{i}"),
            "Effect": if i % 3 == 0 { "Deny" } else { "Allow" },
            "Action": [format!("svc{i}:Get*"), format!("svc{i}:List*")],
            "Resource": format!("arn:aws:svc{i}:*:*:thing/{i}/*"),
            "Condition": {"StringEquals": {format!("aws:ResourceTag/k{i}"): [format!("v{i}"), "x"]}}
        }))
        .collect();
    let policy = round_trip(json!({"Version": "2012-10-17", "Statement": statements}));
    assert_eq!(policy.statements.len(), 25);
    assert_eq!(policy.statements[24].sid.as_deref(), Some("S24"));
}

#[test]
fn serde_deserialize_reads_the_same_model() {
    let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
    let via_serde: Policy = serde_json::from_str(text).unwrap();
    assert_eq!(via_serde, Policy::from_json_str(text).unwrap());
}

#[test]
fn builders_make_the_same_policy_as_json() {
    let mut statement =
        Statement::new(Effect::Allow, ["s3:ListBucket"], ["arn:aws:s3:::b"]).with_sid("List");
    statement.condition.insert(
        ConditionOperator::new(BaseOperator::StringLike),
        "s3:prefix",
        OneOrMany(vec![ConditionValue::from("incoming/*")]),
    );
    let built = Policy::new(vec![statement]);
    let parsed = parse(
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "List", "Effect": "Allow",
        "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": "incoming/*"}}}]}),
    );
    assert_eq!(built, parsed);
}

#[test]
fn unquoted_account_ids_in_principals_are_read_as_text() {
    let number = parse(
        json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": 111122223333u64}, "Action": "sts:AssumeRole"}]}),
    );
    let text = parse(
        json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}]}),
    );
    assert_eq!(number, text);
}
