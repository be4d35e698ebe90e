//! Invalid documents: each error says where (JSON pointer or line) and what, with help.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use leastpriv_core::policy::{ConditionOperator, Policy, PolicyError};

fn error(text: &str) -> PolicyError {
    match Policy::from_json_str(text) {
        Ok(p) => panic!("accepted an invalid policy: {p:?}"),
        Err(e) => e,
    }
}

fn stmt(body: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#)
}

#[test]
fn json_syntax_errors_give_line_and_column() {
    let err = error("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n}");
    assert_eq!(err.line.map(|(l, _)| l), Some(4), "{err}");
    assert!(err.to_string().starts_with("line 4 column"), "{err}");
}

#[test]
fn duplicate_keys_are_rejected_with_their_line() {
    let err = error(
        "{\"Statement\": [{\n \"Effect\": \"Allow\",\n \"Effect\": \"Deny\",\n \"Action\": \"*\", \"Resource\": \"*\"}]}",
    );
    assert!(err.message.contains("duplicate key `Effect`"), "{err}");
    assert_eq!(err.line.map(|(l, _)| l), Some(3), "{err}");
}

#[test]
fn effect_is_case_sensitive() {
    let err = error(&stmt(r#"{"Effect":"allow","Action":"*","Resource":"*"}"#));
    assert_eq!(err.pointer, "/Statement/0/Effect");
    assert!(err.message.contains("\"allow\""));
    assert_eq!(err.help.as_deref(), Some("`Effect` values are case-sensitive"));
}

#[test]
fn missing_effect_and_action() {
    let err = error(&stmt(r#"{"Action":"*","Resource":"*"}"#));
    assert_eq!(err.pointer, "/Statement/0");
    assert!(err.message.contains("`Effect`"));
    let err = error(&stmt(r#"{"Effect":"Allow","Resource":"*"}"#));
    assert!(err.message.contains("`Action` or `NotAction`"), "{err}");
}

#[test]
fn unknown_elements_get_a_did_you_mean() {
    let err = error(&stmt(r#"{"Effect":"Allow","Actions":"*","Resource":"*"}"#));
    assert_eq!(err.pointer, "/Statement/0/Actions");
    assert_eq!(err.help.as_deref(), Some("did you mean `Action`?"));
    let err = error(&stmt(r#"{"effect":"Allow","Action":"*","Resource":"*"}"#));
    assert_eq!(err.help.as_deref(), Some("element names are case-sensitive: write `Effect`"));
    let err = error(r#"{"Statment":[]}"#);
    assert_eq!(err.pointer, "/Statment");
    assert_eq!(err.help.as_deref(), Some("did you mean `Statement`?"));
    let err = error(&stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","Conditions":{}}"#));
    assert_eq!(err.help.as_deref(), Some("the element is `Condition` (singular)"));
}

#[test]
fn both_forms_of_an_element_are_rejected() {
    let err = error(&stmt(r#"{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}"#));
    assert!(err.message.contains("both `Action` and `NotAction`"), "{err}");
    let err = error(&stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"a"}"#));
    assert!(err.message.contains("both `Resource` and `NotResource`"), "{err}");
}

#[test]
fn missing_statement_and_bad_version() {
    let err = error(r#"{"Version":"2012-10-17"}"#);
    assert_eq!(err.location(), "document");
    assert!(err.message.contains("`Statement`"));
    let err = error(r#"{"Version":"2012-10-18","Statement":[]}"#);
    assert_eq!(err.pointer, "/Version");
    assert!(err.help.as_deref().unwrap().contains("2012-10-17"));
    let err = error(r#"["not", "an", "object"]"#);
    assert!(err.message.contains("found an array"), "{err}");
}

#[test]
fn wrong_types_name_what_was_found() {
    let err = error(&stmt(r#"{"Effect":"Allow","Action":42,"Resource":"*"}"#));
    assert_eq!(err.pointer, "/Statement/0/Action");
    assert!(err.message.contains("found a number"), "{err}");
    let err = error(&stmt(r#"{"Effect":"Allow","Action":["s3:GetObject",null],"Resource":"*"}"#));
    assert_eq!(err.pointer, "/Statement/0/Action/1");
    let err = error(r#"{"Statement":"nope"}"#);
    assert_eq!(err.pointer, "/Statement");
}

#[test]
fn condition_operators_are_case_sensitive() {
    let err = error(&stmt(
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringEquals":{"aws:username":"a"}}}"#,
    ));
    assert_eq!(err.pointer, "/Statement/0/Condition/stringEquals");
    assert_eq!(
        err.help.as_deref(),
        Some("condition operator names are case-sensitive: write `StringEquals`")
    );
}

#[test]
fn unknown_condition_operators_get_a_did_you_mean() {
    let err = error(&stmt(
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"k":"v"}}}"#,
    ));
    assert!(err.message.contains("unknown condition operator `StringEqual`"), "{err}");
    assert_eq!(err.help.as_deref(), Some("did you mean `StringEquals`?"));
    let err = ConditionOperator::parse("ForAnyValue:StringLikeIfExist").unwrap_err();
    assert_eq!(err.help.as_deref(), Some("did you mean `ForAnyValue:StringLikeIfExists`?"));
    let err = ConditionOperator::parse("ForAnyValues:StringLike").unwrap_err();
    assert_eq!(err.help.as_deref(), Some("did you mean `ForAnyValue:`?"));
    let err = ConditionOperator::parse("NullIfExists").unwrap_err();
    assert!(err.help.unwrap().contains("`Null`"));
    assert!(ConditionOperator::parse("Frobnicate").unwrap_err().help.unwrap().contains("IfExists"));
}

#[test]
fn every_operator_form_parses_and_prints_back() {
    for name in [
        "StringEquals",
        "StringNotEqualsIgnoreCase",
        "StringLikeIfExists",
        "NumericGreaterThanEquals",
        "DateLessThan",
        "Bool",
        "BoolIfExists",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddressIfExists",
        "ArnLike",
        "ArnNotEquals",
        "Null",
        "ForAllValues:StringLike",
        "ForAnyValue:StringEqualsIfExists",
    ] {
        assert_eq!(ConditionOperator::parse(name).unwrap().to_string(), name);
    }
}

#[test]
fn condition_shapes_are_checked() {
    let err = error(&stmt(
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}"#,
    ));
    assert_eq!(err.pointer, "/Statement/0/Condition/StringEquals");
    let err = error(&stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":["x"]}"#));
    assert_eq!(err.pointer, "/Statement/0/Condition");
    let err = error(&stmt(
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","AWS:UserName":"b"}}}"#,
    ));
    assert_eq!(err.pointer, "/Statement/0/Condition/StringEquals/AWS:UserName");
    assert!(err.help.unwrap().contains("case-insensitive"));
}

#[test]
fn principal_errors() {
    let err = error(&stmt(
        r#"{"Effect":"Allow","Principal":{"service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
    ));
    assert_eq!(err.pointer, "/Statement/0/Principal/service");
    assert_eq!(err.help.as_deref(), Some("principal types are case-sensitive: write `Service`"));
    let err = error(&stmt(
        r#"{"Effect":"Allow","Principal":"lambda.amazonaws.com","Action":"sts:AssumeRole"}"#,
    ));
    assert!(err.help.unwrap().contains("\"Service\""));
    let err = error(&stmt(
        r#"{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"sts:AssumeRole"}"#,
    ));
    assert!(err.message.contains("both `Principal` and `NotPrincipal`"));
}

#[test]
fn cloudformation_expression_shapes_are_checked() {
    let err =
        error(&stmt(r#"{"Effect":"Allow","Action":"*","Resource":{"Fn::Join":["",{"Ref":"X"}]}}"#));
    assert_eq!(err.pointer, "/Statement/0/Resource/Fn::Join/1");
    let err = error(&stmt(r#"{"Effect":"Allow","Action":"*","Resource":{"Fn::GetAtt":"NoDot"}}"#));
    assert_eq!(err.pointer, "/Statement/0/Resource/Fn::GetAtt");
    let err =
        error(&stmt(r#"{"Effect":"Allow","Action":"*","Resource":{"Fn::If":["C",["a"],"b"]}}"#));
    assert!(err.help.unwrap().contains("each list item"));
    let err = error(&stmt(r#"{"Effect":"Allow","Action":"*","Resource":{"Bucket":"x"}}"#));
    assert!(err.message.contains("found an object"), "{err}");
}

#[test]
fn json_pointer_escapes_slashes_and_tildes() {
    let err = error(&stmt(
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/a~b":7.5e400}}}"#,
    ));
    // 7.5e400 is out of range: a JSON syntax-level error with a line.
    assert!(err.line.is_some(), "{err}");
    let err = error(&stmt(
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/a~b":null}}}"#,
    ));
    assert_eq!(err.pointer, "/Statement/0/Condition/StringEquals/aws:PrincipalTag~1a~0b");
}
