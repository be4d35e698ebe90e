//! JSON Schema of policy documents (every form the reader accepts), via `schemars`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::json;

use super::condition::{BaseOperator, Condition, ConditionValue};
use super::principal::Principal;
use super::value::{CfnExpr, OneOrMany, Value};
use super::{Policy, Statement};

/// The JSON Schema (2020-12) of an IAM policy document as leastpriv reads it.
pub fn policy_schema() -> serde_json::Value {
    SchemaGenerator::default().into_root_schema_for::<Policy>().to_value()
}

fn schema(value: serde_json::Value) -> Schema {
    match value {
        serde_json::Value::Object(map) => Schema::from(map),
        // Every literal below is an object; `true` accepts anything if that ever changes.
        _ => Schema::from(true),
    }
}

fn one_or_many<T: JsonSchema>(generator: &mut SchemaGenerator) -> serde_json::Value {
    generator.subschema_for::<OneOrMany<T>>().to_value()
}

impl JsonSchema for Policy {
    fn schema_name() -> Cow<'static, str> {
        "PolicyDocument".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let statement = generator.subschema_for::<Statement>().to_value();
        schema(json!({
            "description": "An IAM policy document.",
            "type": "object",
            "properties": {
                "Version": {
                    "description": "Policy language version; 2012-10-17 enables policy variables.",
                    "enum": ["2012-10-17", "2008-10-17"]
                },
                "Id": { "description": "Policy id (resource-based policies).", "type": "string" },
                "Statement": {
                    "description": "One statement or a list of statements.",
                    "anyOf": [statement, { "type": "array", "items": statement }]
                }
            },
            "required": ["Statement"],
            "additionalProperties": false
        }))
    }
}

impl JsonSchema for Statement {
    fn schema_name() -> Cow<'static, str> {
        "Statement".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let values = one_or_many::<Value>(generator);
        let principal = generator.subschema_for::<Principal>().to_value();
        let condition = generator.subschema_for::<Condition>().to_value();
        schema(json!({
            "description": "One policy statement.",
            "type": "object",
            "properties": {
                "Sid": { "description": "Statement id.", "type": "string" },
                "Effect": { "enum": ["Allow", "Deny"] },
                "Principal": principal,
                "NotPrincipal": principal,
                "Action": values,
                "NotAction": values,
                "Resource": values,
                "NotResource": values,
                "Condition": condition
            },
            "required": ["Effect"],
            "oneOf": [{ "required": ["Action"] }, { "required": ["NotAction"] }],
            "not": {
                "anyOf": [
                    { "required": ["Principal", "NotPrincipal"] },
                    { "required": ["Resource", "NotResource"] }
                ]
            },
            "additionalProperties": false
        }))
    }
}

impl JsonSchema for Value {
    fn schema_name() -> Cow<'static, str> {
        "Value".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let expr = generator.subschema_for::<CfnExpr>().to_value();
        schema(json!({
            "description": "A string, or a CloudFormation expression yielding one.",
            "anyOf": [{ "type": "string" }, expr]
        }))
    }
}

impl JsonSchema for CfnExpr {
    fn schema_name() -> Cow<'static, str> {
        "CfnExpression".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<Value>().to_value();
        schema(json!({
            "description": "A CloudFormation intrinsic function (one member).",
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {
                "Ref": { "type": "string" },
                "Fn::GetAtt": {
                    "anyOf": [
                        { "type": "string", "pattern": "^[^.]+\\..+$" },
                        { "type": "array", "prefixItems": [{ "type": "string" }, { "type": "string" }],
                          "minItems": 2, "maxItems": 2 }
                    ]
                },
                "Fn::Sub": {
                    "anyOf": [
                        { "type": "string" },
                        { "type": "array", "minItems": 2, "maxItems": 2,
                          "prefixItems": [
                            { "type": "string" },
                            { "type": "object", "additionalProperties": value }
                          ] }
                    ]
                },
                "Fn::Join": {
                    "type": "array", "minItems": 2, "maxItems": 2,
                    "prefixItems": [{ "type": "string" }, { "type": "array", "items": value }]
                },
                "Fn::If": {
                    "type": "array", "minItems": 3, "maxItems": 3,
                    "prefixItems": [{ "type": "string" }, value, value]
                }
            },
            "patternProperties": { "^Fn::": true },
            "additionalProperties": false
        }))
    }
}

impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = generator.subschema_for::<T>().to_value();
        schema(json!({ "anyOf": [item, { "type": "array", "items": item }] }))
    }
}

impl JsonSchema for Principal {
    fn schema_name() -> Cow<'static, str> {
        "Principal".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let ids = one_or_many::<Value>(generator);
        schema(json!({
            "description": "\"*\" (everyone) or principal type → identifiers.",
            "anyOf": [
                { "const": "*" },
                {
                    "type": "object",
                    "properties": {
                        "AWS": ids, "CanonicalUser": ids, "Federated": ids, "Service": ids
                    },
                    "additionalProperties": false
                }
            ]
        }))
    }
}

impl JsonSchema for ConditionValue {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "ConditionValue".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<Value>().to_value();
        schema(json!({ "anyOf": [value, { "type": "boolean" }, { "type": "number" }] }))
    }
}

impl JsonSchema for Condition {
    fn schema_name() -> Cow<'static, str> {
        "Condition".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let values = one_or_many::<ConditionValue>(generator);
        let names: Vec<&str> = BaseOperator::ALL
            .iter()
            .filter(|b| **b != BaseOperator::Null)
            .map(|b| b.name())
            .collect();
        let pattern =
            format!("^(ForAllValues:|ForAnyValue:)?(({})(IfExists)?|Null)$", names.join("|"));
        schema(json!({
            "description": "Condition operator → context key → value or values.",
            "type": "object",
            "propertyNames": { "pattern": pattern },
            "additionalProperties": {
                "type": "object",
                "additionalProperties": values
            }
        }))
    }
}
