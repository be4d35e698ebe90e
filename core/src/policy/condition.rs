//! The `Condition` element: operators (with their set qualifier and `IfExists` form), context
//! keys (case-insensitive, as IAM treats them) and values.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::error::{Pointer, PolicyError};
use super::json::Json;
use super::value::{OneOrMany, Value};

/// A condition operator without its set qualifier or `IfExists` suffix.
///
/// Names are case-sensitive, as IAM treats them (it rejects `stringEquals` with
/// "Invalid Condition type").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)] // each variant is the operator of the same name
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// The family of an operator: how its values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorFamily {
    /// String comparison (exact, case-insensitive or with wildcards).
    String,
    /// Decimal comparison.
    Numeric,
    /// Date and time comparison (ISO 8601 or epoch seconds).
    Date,
    /// `true`/`false` comparison.
    Bool,
    /// Base64-encoded bytes.
    Binary,
    /// IP address against CIDR ranges.
    IpAddress,
    /// ARN comparison, component by component.
    Arn,
    /// Key presence.
    Null,
}

impl BaseOperator {
    /// Every operator, in declaration order.
    pub const ALL: [BaseOperator; 27] = {
        use BaseOperator::*;
        [
            StringEquals,
            StringNotEquals,
            StringEqualsIgnoreCase,
            StringNotEqualsIgnoreCase,
            StringLike,
            StringNotLike,
            NumericEquals,
            NumericNotEquals,
            NumericLessThan,
            NumericLessThanEquals,
            NumericGreaterThan,
            NumericGreaterThanEquals,
            DateEquals,
            DateNotEquals,
            DateLessThan,
            DateLessThanEquals,
            DateGreaterThan,
            DateGreaterThanEquals,
            Bool,
            BinaryEquals,
            IpAddress,
            NotIpAddress,
            ArnEquals,
            ArnLike,
            ArnNotEquals,
            ArnNotLike,
            Null,
        ]
    };

    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        use BaseOperator::*;
        match self {
            StringEquals => "StringEquals",
            StringNotEquals => "StringNotEquals",
            StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            StringLike => "StringLike",
            StringNotLike => "StringNotLike",
            NumericEquals => "NumericEquals",
            NumericNotEquals => "NumericNotEquals",
            NumericLessThan => "NumericLessThan",
            NumericLessThanEquals => "NumericLessThanEquals",
            NumericGreaterThan => "NumericGreaterThan",
            NumericGreaterThanEquals => "NumericGreaterThanEquals",
            DateEquals => "DateEquals",
            DateNotEquals => "DateNotEquals",
            DateLessThan => "DateLessThan",
            DateLessThanEquals => "DateLessThanEquals",
            DateGreaterThan => "DateGreaterThan",
            DateGreaterThanEquals => "DateGreaterThanEquals",
            Bool => "Bool",
            BinaryEquals => "BinaryEquals",
            IpAddress => "IpAddress",
            NotIpAddress => "NotIpAddress",
            ArnEquals => "ArnEquals",
            ArnLike => "ArnLike",
            ArnNotEquals => "ArnNotEquals",
            ArnNotLike => "ArnNotLike",
            Null => "Null",
        }
    }

    /// How values are compared.
    pub fn family(self) -> OperatorFamily {
        use BaseOperator::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => OperatorFamily::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => OperatorFamily::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => OperatorFamily::Date,
            Bool => OperatorFamily::Bool,
            BinaryEquals => OperatorFamily::Binary,
            IpAddress | NotIpAddress => OperatorFamily::IpAddress,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => OperatorFamily::Arn,
            Null => OperatorFamily::Null,
        }
    }

    /// Whether the operator is the negation of another (`StringNotEquals`, `NotIpAddress`, …):
    /// it holds when the request value matches none of the policy values.
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// Whether policy variables (`${aws:username}`) are substituted in this operator's values:
    /// the string, ARN and Bool operators.
    pub fn supports_variables(self) -> bool {
        matches!(self.family(), OperatorFamily::String | OperatorFamily::Arn | OperatorFamily::Bool)
    }
}

/// A set qualifier for multivalued context keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SetQualifier {
    /// `ForAllValues:`: every request value must match (true when the key is absent or empty).
    ForAllValues,
    /// `ForAnyValue:`: at least one request value must match (false when absent or empty).
    ForAnyValue,
}

impl SetQualifier {
    /// The qualifier as written, without the colon.
    pub fn name(self) -> &'static str {
        match self {
            SetQualifier::ForAllValues => "ForAllValues",
            SetQualifier::ForAnyValue => "ForAnyValue",
        }
    }
}

/// A full condition operator such as `ForAnyValue:StringLikeIfExists`.
///
/// Ordered by base operator name, then plain before `IfExists`, then unqualified before
/// qualified: the canonical order of operators in a `Condition` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConditionOperator {
    /// `ForAllValues:` or `ForAnyValue:`, if given.
    pub set: Option<SetQualifier>,
    /// The operator proper.
    pub base: BaseOperator,
    /// The `…IfExists` form: the condition holds when the key is absent.
    pub if_exists: bool,
}

impl ConditionOperator {
    /// A plain operator (no qualifier, no `IfExists`).
    pub fn new(base: BaseOperator) -> Self {
        Self { set: None, base, if_exists: false }
    }

    /// Parses an operator name as IAM does (case-sensitive), with a did-you-mean on failure.
    pub fn parse(name: &str) -> Result<Self, PolicyError> {
        parse_operator(name, &Pointer::root())
    }

    fn sort_key(&self) -> (&'static str, bool, Option<SetQualifier>) {
        (self.base.name(), self.if_exists, self.set)
    }
}

impl PartialOrd for ConditionOperator {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ConditionOperator {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(set) = self.set {
            write!(f, "{}:", set.name())?;
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// The closest known name to `input`, if it is close enough to be a plausible typo.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = input.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (c, strsim::jaro_winkler(&lower, &c.to_lowercase())))
        .filter(|(_, score)| *score >= 0.85)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

fn unknown_operator(name: &str, at: &Pointer) -> PolicyError {
    let mut names: Vec<String> = Vec::new();
    for base in BaseOperator::ALL {
        names.push(base.name().to_owned());
        if base != BaseOperator::Null {
            names.push(format!("{}IfExists", base.name()));
        }
    }
    let err = at.error(format!("unknown condition operator `{name}`"));
    let plain = name.rsplit(':').next().unwrap_or(name);
    if let Some(exact) = names.iter().find(|n| n.eq_ignore_ascii_case(plain)) {
        return err.with_help(format!(
            "condition operator names are case-sensitive: write `{}`",
            name.replace(plain, exact)
        ));
    }
    match did_you_mean(plain, names.iter().map(String::as_str)) {
        Some(best) => err.with_help(format!("did you mean `{}`?", name.replace(plain, best))),
        None => err.with_help(
            "see the IAM condition operators: String*, Numeric*, Date*, Bool, BinaryEquals, \
             IpAddress, NotIpAddress, Arn*, Null, each (except Null) with an IfExists form",
        ),
    }
}

pub(crate) fn parse_operator(name: &str, at: &Pointer) -> Result<ConditionOperator, PolicyError> {
    let (set, rest) = match name.split_once(':') {
        None => (None, name),
        Some(("ForAllValues", rest)) => (Some(SetQualifier::ForAllValues), rest),
        Some(("ForAnyValue", rest)) => (Some(SetQualifier::ForAnyValue), rest),
        Some((qualifier, _)) => {
            let err = at.error(format!("unknown set operator `{qualifier}:` in `{name}`"));
            return Err(match did_you_mean(qualifier, ["ForAllValues", "ForAnyValue"]) {
                Some(best) => err.with_help(format!("did you mean `{best}:`?")),
                None => err.with_help("the set operators are `ForAllValues:` and `ForAnyValue:`"),
            });
        }
    };
    let (base_name, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) if !base.is_empty() => (base, true),
        _ => (rest, false),
    };
    let base = BaseOperator::ALL
        .into_iter()
        .find(|b| b.name() == base_name)
        .ok_or_else(|| unknown_operator(name, at))?;
    if base == BaseOperator::Null && if_exists {
        return Err(at
            .error("`NullIfExists` is not an operator")
            .with_help("`Null` already tests whether the key exists; use `Null`"));
    }
    Ok(ConditionOperator { set, base, if_exists })
}

/// A condition context key (`aws:SourceIp`, `s3:prefix`, `aws:PrincipalTag/team`).
///
/// Compared, ordered and hashed case-insensitively, as IAM treats key names; the spelling
/// written in the policy is kept for rendering.
#[derive(Debug, Clone)]
pub struct ConditionKey(String);

impl ConditionKey {
    /// A key with this spelling.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The key as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key in lower case: the form used to compare and look keys up.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl PartialEq for ConditionKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ConditionKey {}

impl PartialOrd for ConditionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ConditionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        let a = self.0.chars().flat_map(char::to_lowercase);
        let b = other.0.chars().flat_map(char::to_lowercase);
        a.cmp(b)
    }
}

impl Hash for ConditionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalized().hash(state);
    }
}

impl fmt::Display for ConditionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One value of a condition: JSON strings (or CloudFormation expressions), booleans and numbers
/// are all accepted by IAM and kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionValue {
    /// A string or an expression yielding one.
    String(Value),
    /// A JSON boolean (`"Bool": {"aws:SecureTransport": false}`).
    Bool(bool),
    /// A JSON number (`"NumericLessThan": {"s3:max-keys": 10}`).
    Number(serde_json::Number),
}

impl ConditionValue {
    /// The value as text (booleans and numbers as IAM reads them); `None` for an unresolved
    /// CloudFormation expression.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            ConditionValue::String(value) => value.as_literal().map(Cow::Borrowed),
            ConditionValue::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            ConditionValue::Number(n) => Some(Cow::Owned(n.to_string())),
        }
    }

    fn from_json(json: &Json, at: &Pointer) -> Result<Self, PolicyError> {
        match json {
            Json::Bool(b) => Ok(ConditionValue::Bool(*b)),
            Json::Number(n) => Ok(ConditionValue::Number(n.clone())),
            other => Value::from_json(other, at).map(ConditionValue::String),
        }
    }
}

impl From<&str> for ConditionValue {
    fn from(text: &str) -> Self {
        ConditionValue::String(Value::from(text))
    }
}

impl Serialize for ConditionValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ConditionValue::String(value) => value.serialize(serializer),
            ConditionValue::Bool(b) => serializer.serialize_bool(*b),
            ConditionValue::Number(n) => n.serialize(serializer),
        }
    }
}

/// The tests of one operator: context key → the values (any of which may match).
pub type ConditionBlock = BTreeMap<ConditionKey, OneOrMany<ConditionValue>>;

/// A `Condition` element: operator → key → values. Every operator and every key must hold
/// (AND); a key holds when any of its values matches (OR).
///
/// Kept in canonical order (operators by name, keys case-insensitively), so two conditions
/// that differ only in member order are equal and render identically.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Condition(pub BTreeMap<ConditionOperator, ConditionBlock>);

impl Condition {
    /// Whether there is no test at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a test, merging with the operator's block if present (a repeated key is replaced).
    pub fn insert(
        &mut self,
        operator: ConditionOperator,
        key: impl Into<String>,
        values: impl Into<OneOrMany<ConditionValue>>,
    ) {
        self.0.entry(operator).or_default().insert(ConditionKey::new(key), values.into());
    }

    /// Iterates over `(operator, key, values)` in canonical order.
    pub fn tests(
        &self,
    ) -> impl Iterator<Item = (&ConditionOperator, &ConditionKey, &OneOrMany<ConditionValue>)> {
        self.0.iter().flat_map(|(op, block)| block.iter().map(move |(k, v)| (op, k, v)))
    }

    pub(crate) fn from_json(json: &Json, at: &Pointer) -> Result<Self, PolicyError> {
        let Json::Object(members) = json else {
            return Err(at.error(format!(
                "`Condition` must be an object of operators, found {}",
                json.kind()
            )));
        };
        let mut condition = Condition::default();
        for (name, block) in members {
            let at = at.key(name);
            let operator = parse_operator(name, &at)?;
            let Json::Object(keys) = block else {
                return Err(at.error(format!(
                    "the `{name}` block must be an object of context keys, found {}",
                    block.kind()
                )));
            };
            let entry = condition.0.entry(operator).or_default();
            for (key, values) in keys {
                let at = at.key(key);
                let values = OneOrMany::from_json(values, &at, ConditionValue::from_json)?;
                let key = ConditionKey::new(key.clone());
                if let Some((existing, _)) = entry.get_key_value(&key) {
                    return Err(at
                        .error(format!("`{key}` repeats `{existing}` under `{name}`"))
                        .with_help("context key names are case-insensitive; merge the values"));
                }
                entry.insert(key, values);
            }
        }
        Ok(condition)
    }
}

/// Serializes one operator block, keys in canonical order.
struct BlockRef<'a>(&'a ConditionBlock);

impl Serialize for BlockRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, values) in self.0 {
            map.serialize_entry(key.as_str(), values)?;
        }
        map.end()
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (operator, block) in &self.0 {
            map.serialize_entry(&operator.to_string(), &BlockRef(block))?;
        }
        map.end()
    }
}
