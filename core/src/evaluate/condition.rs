//! Evaluating a statement's `Condition` element against the request context.
//!
//! Semantics from "IAM JSON policy elements: Condition operators"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>)
//! and "Creating a condition with multiple keys or values"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html>):
//!
//! - every operator and every key must hold (AND); a key holds when any policy value matches
//!   (OR); a negated operator (`StringNotEquals`, `NotIpAddress`, …) holds when the request
//!   value matches none of them;
//! - a key absent from the request: false, except for negated operators (true), `…IfExists`
//!   (true), `ForAllValues:` (true) and `ForAnyValue:` (false); `Null` tests presence itself;
//! - `ForAnyValue:` holds when some request value holds, `ForAllValues:` when every one does;
//!   without a qualifier a multivalued key is read like `ForAnyValue:` for positive operators and
//!   as "no request value matches" for negated ones.

use std::net::IpAddr;

use crate::policy::{
    BaseOperator, Condition, ConditionOperator, ConditionValue, OneOrMany, OperatorFamily,
    SetQualifier,
};

use super::compare;
use super::context::{Context, ContextValue};
use super::pattern::{self, Tok, Unresolved};

/// Whether every test of `condition` holds. `variables` is the context to substitute policy
/// variables from (`None` when the policy's version does not support them).
pub(crate) fn holds(
    condition: &Condition,
    context: &Context,
    variables: Option<&Context>,
) -> Result<bool, Unresolved> {
    for (operator, key, values) in condition.tests() {
        if !test(operator, context.get(key.as_str()).unwrap_or(&[]), values, variables)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn test(
    operator: &ConditionOperator,
    request: &[ContextValue],
    values: &OneOrMany<ConditionValue>,
    variables: Option<&Context>,
) -> Result<bool, Unresolved> {
    let base = operator.base;
    let variables = variables.filter(|_| base.supports_variables());
    let mut policy = Vec::with_capacity(values.len());
    for value in values {
        // Unresolved CloudFormation expressions are rejected before evaluation starts.
        if let Some(text) = value.as_text() {
            policy.push(pattern::tokens(&text, variables)?);
        }
    }
    if base == BaseOperator::Null {
        let absent = request.is_empty();
        let expected = policy.iter().filter_map(|v| compare::boolean(&pattern::text_of(v)));
        return Ok(expected.into_iter().any(|want| want == absent));
    }
    let negated = base.is_negated();
    if request.is_empty() {
        return Ok(operator.if_exists
            || match operator.set {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => negated,
            });
    }
    let one = |value: &ContextValue| policy.iter().any(|p| matches(base, value, p)) != negated;
    Ok(match operator.set {
        Some(SetQualifier::ForAllValues) => request.iter().all(one),
        Some(SetQualifier::ForAnyValue) => request.iter().any(one),
        None if negated => request.iter().all(one),
        None => request.iter().any(one),
    })
}

/// Whether a request value matches one policy value under the positive form of `base`.
fn matches(base: BaseOperator, value: &ContextValue, policy: &[Tok]) -> bool {
    use BaseOperator::*;
    let text = pattern::value_text(value);
    let policy_text = || pattern::text_of(policy);
    match base.family() {
        OperatorFamily::String => match base {
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                text.to_lowercase() == policy_text().to_lowercase()
            }
            StringLike | StringNotLike => pattern::glob(policy, &text),
            _ => text == policy_text(),
        },
        OperatorFamily::Numeric => {
            let request = match value {
                ContextValue::Number(n) => Some(*n),
                _ => compare::number(&text),
            };
            match (request, compare::number(&policy_text())) {
                (Some(a), Some(b)) => ordered(base, a, b),
                _ => false,
            }
        }
        OperatorFamily::Date => {
            let request = match value {
                ContextValue::Number(n) => Some(*n),
                _ => compare::date(&text),
            };
            match (request, compare::date(&policy_text())) {
                (Some(a), Some(b)) => ordered(base, a, b),
                _ => false,
            }
        }
        OperatorFamily::Bool => {
            let request = match value {
                ContextValue::Bool(b) => Some(*b),
                _ => compare::boolean(&text),
            };
            request.is_some() && request == compare::boolean(&policy_text())
        }
        OperatorFamily::Binary => {
            let policy_text = policy_text();
            match (compare::base64(&text), compare::base64(&policy_text)) {
                (Some(a), Some(b)) => a == b,
                _ => text == policy_text,
            }
        }
        OperatorFamily::IpAddress => {
            let addr = compare::cidr(&text).map(|(addr, _): (IpAddr, u32)| addr);
            match (addr, compare::cidr(&policy_text())) {
                (Some(addr), Some(range)) => compare::ip_in(addr, range),
                _ => false,
            }
        }
        OperatorFamily::Arn => pattern::arn_matches(policy, &text),
        OperatorFamily::Null => false,
    }
}

/// Compares a request value `a` with a policy value `b` for the numeric and date operators.
fn ordered(base: BaseOperator, a: f64, b: f64) -> bool {
    use BaseOperator::*;
    match base {
        NumericLessThan | DateLessThan => a < b,
        NumericLessThanEquals | DateLessThanEquals => a <= b,
        NumericGreaterThan | DateGreaterThan => a > b,
        NumericGreaterThanEquals | DateGreaterThanEquals => a >= b,
        // Equals and NotEquals (the negation is applied by the caller).
        _ => a == b,
    }
}
