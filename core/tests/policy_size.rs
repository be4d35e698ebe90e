//! Policy size as IAM counts it, and the JSON Schema of the model.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use leastpriv_core::policy::{
    Effect, MANAGED_POLICY_MAX_SIZE, Policy, ROLE_INLINE_POLICIES_MAX_SIZE, Statement, json_size,
    policy_schema,
};

#[test]
fn whitespace_outside_strings_is_not_counted() {
    assert_eq!(json_size(r#"{"a":"b c"}"#), 11);
    assert_eq!(json_size("{\n  \"a\" : \"b c\"\n}\n"), 11);
    assert_eq!(json_size(r#"{"a":"x\" y"}"#), 13, "escaped quotes do not end the string");
    assert_eq!(json_size(r#"["é"]"#), 5, "characters, not bytes");
}

#[test]
fn size_of_a_policy_is_the_compact_canonical_length() {
    let policy =
        Policy::new(vec![Statement::new(Effect::Allow, ["s3:GetObject"], ["arn:aws:s3:::b/*"])]);
    let compact = policy.to_compact_json();
    assert_eq!(policy.size(), compact.len());
    assert_eq!(policy.size(), json_size(&policy.to_pretty_json()));
    assert_eq!(policy.size(), 111, "counted by hand from the compact text");
}

#[test]
fn quotas() {
    assert_eq!(ROLE_INLINE_POLICIES_MAX_SIZE, 10_240);
    assert_eq!(MANAGED_POLICY_MAX_SIZE, 6_144);
    let big = Policy::new(
        (0..120)
            .map(|i| {
                Statement::new(
                    Effect::Allow,
                    [format!("s3:GetObject{i}")],
                    [format!("arn:aws:s3:::bucket-{i}/*")],
                )
            })
            .collect(),
    );
    assert!(big.size() > MANAGED_POLICY_MAX_SIZE);
}

#[test]
fn schema_describes_the_document() {
    let schema = policy_schema();
    assert_eq!(schema["title"], "PolicyDocument");
    assert_eq!(schema["required"], serde_json::json!(["Statement"]));
    assert_eq!(
        schema["properties"]["Version"]["enum"],
        serde_json::json!(["2012-10-17", "2008-10-17"])
    );
    let defs = schema["$defs"].as_object().unwrap();
    for name in ["Statement", "Principal", "Condition", "Value", "CfnExpression"] {
        assert!(defs.contains_key(name), "missing $defs/{name}: {schema:#}");
    }
    let pattern = defs["Condition"]["propertyNames"]["pattern"].as_str().unwrap();
    assert!(pattern.contains("StringEquals") && pattern.contains("ForAnyValue:"));
    assert_eq!(
        defs["Statement"]["properties"]["Effect"]["enum"],
        serde_json::json!(["Allow", "Deny"])
    );
}
