//! Policy string values: plain strings or CloudFormation expressions (`Ref`, `Fn::Sub`, …), and
//! the one-or-many lists IAM accepts wherever a list is allowed.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::error::{Pointer, PolicyError};
use super::json::Json;

/// A string in a policy: either literal text or a CloudFormation expression that yields text
/// once the template's parameters and resources are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Literal text (IAM policy variables such as `${aws:username}` stay literal here).
    Literal(String),
    /// A CloudFormation intrinsic function.
    Expr(Box<CfnExpr>),
}

/// A CloudFormation intrinsic function as it may appear inside a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CfnExpr {
    /// `{"Ref": "Name"}`: a parameter, a pseudo parameter (`AWS::Region`) or a resource.
    Ref(String),
    /// `{"Fn::GetAtt": ["Resource", "Attribute"]}` (also read from `"Resource.Attribute"`).
    GetAtt {
        /// Logical id of the resource.
        resource: String,
        /// Attribute name (may itself contain dots, e.g. `Endpoint.Address`).
        attribute: String,
    },
    /// `{"Fn::Sub": "template"}` or `{"Fn::Sub": ["template", {"Var": value}]}`.
    Sub {
        /// The template text with `${Name}` references (`${!Text}` is the literal `${Text}`).
        template: String,
        /// Variables defined by the second form.
        variables: BTreeMap<String, Value>,
    },
    /// `{"Fn::Join": ["delimiter", [values…]]}`.
    Join {
        /// Text put between the items.
        delimiter: String,
        /// The items.
        items: Vec<Value>,
    },
    /// `{"Fn::If": ["Condition", then, otherwise]}`.
    If {
        /// Name of the template condition.
        condition: String,
        /// Value when the condition holds.
        then: Value,
        /// Value when it does not.
        otherwise: Value,
    },
    /// Any other intrinsic function (`Fn::ImportValue`, `Fn::Select`, …), kept verbatim. It is
    /// rendered as written but cannot be resolved offline.
    Other {
        /// The function name, e.g. `Fn::ImportValue`.
        function: String,
        /// Its argument, as JSON.
        argument: serde_json::Value,
    },
}

impl Value {
    /// A literal value.
    pub fn literal(text: impl Into<String>) -> Self {
        Value::Literal(text.into())
    }

    /// A CloudFormation expression value.
    pub fn expr(expr: CfnExpr) -> Self {
        Value::Expr(Box::new(expr))
    }

    /// The text of a literal value; `None` for an expression.
    pub fn as_literal(&self) -> Option<&str> {
        match self {
            Value::Literal(text) => Some(text),
            Value::Expr(_) => None,
        }
    }

    /// Reads a value: a JSON string or a one-member object naming an intrinsic function.
    pub(crate) fn from_json(json: &Json, at: &Pointer) -> Result<Self, PolicyError> {
        match json {
            Json::String(text) => Ok(Value::Literal(text.clone())),
            Json::Object(members) if is_intrinsic(members) => {
                CfnExpr::from_json(members, at).map(Value::expr)
            }
            other => Err(at.error(format!(
                "expected a string or a CloudFormation expression, found {}",
                other.kind()
            ))),
        }
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Literal(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Literal(text)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Literal(text) => f.write_str(text),
            Value::Expr(expr) => {
                let json = serde_json::to_string(expr).map_err(|_| fmt::Error)?;
                f.write_str(&json)
            }
        }
    }
}

/// Whether an object is a CloudFormation intrinsic function: exactly one member, named `Ref` or
/// `Fn::…`.
fn is_intrinsic(members: &[(String, Json)]) -> bool {
    matches!(members, [(name, _)] if name == "Ref" || name.starts_with("Fn::"))
}

fn string_arg(json: &Json, at: &Pointer, what: &str) -> Result<String, PolicyError> {
    match json {
        Json::String(text) => Ok(text.clone()),
        other => Err(at.error(format!("{what} must be a string, found {}", other.kind()))),
    }
}

fn array_arg<'a>(
    json: &'a Json,
    at: &Pointer,
    function: &str,
    len: usize,
    shape: &str,
) -> Result<&'a [Json], PolicyError> {
    match json {
        Json::Array(items) if items.len() == len => Ok(items),
        _ => Err(at.error(format!("`{function}` takes {shape}"))),
    }
}

/// An `Fn::Sub` template whose every `${` is closed by a `}` (CloudFormation rejects it
/// otherwise).
fn check_sub(template: &str, at: &Pointer) -> Result<(), PolicyError> {
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => rest = &after[end + 1..],
            None => {
                let offset = template.len() - rest.len() + start;
                return Err(at
                    .error(format!(
                        "the `Fn::Sub` template has an unclosed `${{` at character {}",
                        template[..offset].chars().count() + 1
                    ))
                    .with_help("close the reference with `}`, or write `${!` for a literal `${`"));
            }
        }
    }
    Ok(())
}

impl CfnExpr {
    fn from_json(members: &[(String, Json)], at: &Pointer) -> Result<Self, PolicyError> {
        let Some((function, arg)) = members.first() else {
            return Err(at.error("empty CloudFormation expression"));
        };
        let at = at.key(function);
        match function.as_str() {
            "Ref" => Ok(CfnExpr::Ref(string_arg(arg, &at, "the argument of `Ref`")?)),
            "Fn::GetAtt" => match arg {
                Json::String(text) => match text.split_once('.') {
                    Some((resource, attribute)) => Ok(CfnExpr::GetAtt {
                        resource: resource.to_owned(),
                        attribute: attribute.to_owned(),
                    }),
                    None => Err(at.error("`Fn::GetAtt` takes `Resource.Attribute`")),
                },
                _ => {
                    let items = array_arg(arg, &at, function, 2, "[\"Resource\", \"Attribute\"]")?;
                    Ok(CfnExpr::GetAtt {
                        resource: string_arg(&items[0], &at.index(0), "the resource")?,
                        attribute: string_arg(&items[1], &at.index(1), "the attribute")?,
                    })
                }
            },
            "Fn::Sub" => match arg {
                Json::String(template) => {
                    check_sub(template, &at)?;
                    Ok(CfnExpr::Sub { template: template.clone(), variables: BTreeMap::new() })
                }
                _ => {
                    let items =
                        array_arg(arg, &at, function, 2, "a string or [\"template\", {vars}]")?;
                    let template = string_arg(&items[0], &at.index(0), "the template")?;
                    check_sub(&template, &at.index(0))?;
                    let Json::Object(vars) = &items[1] else {
                        return Err(at.index(1).error("`Fn::Sub` variables must be an object"));
                    };
                    let mut variables = BTreeMap::new();
                    for (name, value) in vars {
                        let value = Value::from_json(value, &at.index(1).key(name))?;
                        variables.insert(name.clone(), value);
                    }
                    Ok(CfnExpr::Sub { template, variables })
                }
            },
            "Fn::Join" => {
                let items = array_arg(arg, &at, function, 2, "[\"delimiter\", [values…]]")?;
                let delimiter = string_arg(&items[0], &at.index(0), "the delimiter")?;
                let Json::Array(parts) = &items[1] else {
                    return Err(at.index(1).error("`Fn::Join` values must be a list"));
                };
                let items = parts
                    .iter()
                    .enumerate()
                    .map(|(i, part)| Value::from_json(part, &at.index(1).index(i)))
                    .collect::<Result<_, _>>()?;
                Ok(CfnExpr::Join { delimiter, items })
            }
            "Fn::If" => {
                let items = array_arg(arg, &at, function, 3, "[\"Condition\", then, otherwise]")?;
                let branch = |i: usize| match &items[i] {
                    Json::Array(_) => Err(at
                        .index(i)
                        .error(
                            "a `Fn::If` branch that yields a list is not supported inside a policy",
                        )
                        .with_help("put one `Fn::If` on each list item instead")),
                    json => Value::from_json(json, &at.index(i)),
                };
                Ok(CfnExpr::If {
                    condition: string_arg(&items[0], &at.index(0), "the condition name")?,
                    then: branch(1)?,
                    otherwise: branch(2)?,
                })
            }
            _ => Ok(CfnExpr::Other { function: function.clone(), argument: arg.to_value() }),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Literal(text) => serializer.serialize_str(text),
            Value::Expr(expr) => expr.serialize(serializer),
        }
    }
}

/// `[a, b]` as a two-item JSON list of heterogeneous items.
struct Pair<'a, A, B>(&'a A, &'a B);

impl<A: Serialize, B: Serialize> Serialize for Pair<'_, A, B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(2))?;
        seq.serialize_element(self.0)?;
        seq.serialize_element(self.1)?;
        seq.end()
    }
}

impl Serialize for CfnExpr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            CfnExpr::Ref(name) => map.serialize_entry("Ref", name)?,
            CfnExpr::GetAtt { resource, attribute } => {
                map.serialize_entry("Fn::GetAtt", &Pair(resource, attribute))?;
            }
            CfnExpr::Sub { template, variables } if variables.is_empty() => {
                map.serialize_entry("Fn::Sub", template)?;
            }
            CfnExpr::Sub { template, variables } => {
                map.serialize_entry("Fn::Sub", &Pair(template, variables))?;
            }
            CfnExpr::Join { delimiter, items } => {
                map.serialize_entry("Fn::Join", &Pair(delimiter, items))?;
            }
            CfnExpr::If { condition, then, otherwise } => {
                map.serialize_entry("Fn::If", &(condition, then, otherwise))?;
            }
            CfnExpr::Other { function, argument } => map.serialize_entry(function, argument)?,
        }
        map.end()
    }
}

/// A list IAM lets you write as a single value when it has one item (`"Action": "s3:GetObject"`
/// or `"Action": ["s3:GetObject", "s3:PutObject"]`).
///
/// The canonical form writes one item as the bare value and anything else as a list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> OneOrMany<T> {
    /// A list with one item.
    pub fn one(item: T) -> Self {
        OneOrMany(vec![item])
    }

    /// The items.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no item.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads a single JSON value or a JSON array, converting each item with `item`.
    pub(crate) fn from_json(
        json: &Json,
        at: &Pointer,
        item: impl Fn(&Json, &Pointer) -> Result<T, PolicyError>,
    ) -> Result<Self, PolicyError> {
        match json {
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, json)| item(json, &at.index(i)))
                .collect::<Result<Vec<_>, _>>()
                .map(OneOrMany),
            single => item(single, at).map(OneOrMany::one),
        }
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(items: Vec<T>) -> Self {
        OneOrMany(items)
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.serialize(serializer),
            many => {
                let mut seq = serializer.serialize_seq(Some(many.len()))?;
                for item in many {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}
