//! The typed IAM policy model: documents, statements, principals, conditions and CloudFormation
//! values; reading every form IAM accepts and writing one canonical form.
//!
//! Reading follows the IAM JSON policy grammar
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>):
//! element names, `Effect` values, principal types and condition operator names are
//! case-sensitive; condition key names are not; wherever a list is allowed a single value is too;
//! an element may not repeat a key.
//!
//! The canonical form (what [`Policy::to_pretty_json`] and [`Policy::to_compact_json`] write):
//! `Version`, `Id`, `Statement` in that order; `Statement` always a list, in the given order;
//! statement members in the order `Sid`, `Effect`, `Principal`/`NotPrincipal`,
//! `Action`/`NotAction`, `Resource`/`NotResource`, `Condition`; one-item lists as the bare value;
//! condition operators and keys sorted (see [`Condition`]).

mod condition;
mod error;
pub(crate) mod json;
mod parse;
mod principal;
mod resolve;
mod schema;
mod size;
mod value;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use condition::{
    BaseOperator, Condition, ConditionBlock, ConditionKey, ConditionOperator, ConditionValue,
    OperatorFamily, SetQualifier,
};
pub use error::PolicyError;
pub use principal::{Principal, PrincipalMap};
pub use resolve::Params;
pub use schema::policy_schema;
pub use size::{MANAGED_POLICY_MAX_SIZE, ROLE_INLINE_POLICIES_MAX_SIZE, json_size};
pub use value::{CfnExpr, OneOrMany, Value};

use error::Pointer;

/// An IAM policy document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// The policy language version; `None` when the document has no `Version` (IAM then reads
    /// it as `2008-10-17`, where policy variables are plain text).
    pub version: Option<Version>,
    /// The optional `Id` (resource-based policies only).
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// `2012-10-17`, the current version (policy variables supported).
    V2012_10_17,
    /// `2008-10-17`, the original version.
    V2008_10_17,
}

impl Version {
    /// The version string as written in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2012_10_17 => "2012-10-17",
            Version::V2008_10_17 => "2008-10-17",
        }
    }
}

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

impl Effect {
    /// `"Allow"` or `"Deny"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

impl Serialize for Effect {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The actions a statement covers: the listed ones (`Action`) or all but them (`NotAction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actions {
    /// `Action`: the listed actions (with `*` and `?` wildcards).
    Action(OneOrMany<Value>),
    /// `NotAction`: every action except the listed ones.
    NotAction(OneOrMany<Value>),
}

/// The resources a statement covers: the listed ones (`Resource`) or all but them
/// (`NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resources {
    /// `Resource`: the listed ARN patterns.
    Resource(OneOrMany<Value>),
    /// `NotResource`: every resource except the listed ones.
    NotResource(OneOrMany<Value>),
}

/// The principals a statement covers (trust and resource-based policies only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principals {
    /// `Principal`.
    Principal(Principal),
    /// `NotPrincipal`.
    NotPrincipal(Principal),
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The optional statement id.
    pub sid: Option<String>,
    /// Allow or deny.
    pub effect: Effect,
    /// `Principal`/`NotPrincipal`; must be absent in identity policies and boundaries.
    pub principal: Option<Principals>,
    /// `Action`/`NotAction`.
    pub action: Actions,
    /// `Resource`/`NotResource`; some resource-based policies leave it out.
    pub resource: Option<Resources>,
    /// Conditions; empty when the statement has none.
    pub condition: Condition,
}

impl Statement {
    /// A statement with `effect` on `actions` and `resources`, no condition.
    pub fn new(
        effect: Effect,
        actions: impl IntoIterator<Item = impl Into<Value>>,
        resources: impl IntoIterator<Item = impl Into<Value>>,
    ) -> Self {
        Self {
            sid: None,
            effect,
            principal: None,
            action: Actions::Action(OneOrMany(actions.into_iter().map(Into::into).collect())),
            resource: Some(Resources::Resource(OneOrMany(
                resources.into_iter().map(Into::into).collect(),
            ))),
            condition: Condition::default(),
        }
    }

    /// Sets the statement id.
    #[must_use]
    pub fn with_sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }
}

impl Policy {
    /// A `2012-10-17` policy with these statements.
    pub fn new(statements: Vec<Statement>) -> Self {
        Self { version: Some(Version::V2012_10_17), id: None, statements }
    }

    /// Reads a policy from JSON text. Syntax errors give the line and column; invalid documents
    /// give the JSON pointer of the offending value.
    pub fn from_json_str(text: &str) -> Result<Self, PolicyError> {
        let json: json::Json =
            serde_json::from_str(text).map_err(|e| PolicyError::from_json(&e))?;
        parse::policy(&json)
    }

    /// Reads a policy from JSON text like [`Policy::from_json_str`], first choosing the branch of
    /// each statement-level `{"Fn::If": ["Condition", statement, statement]}` by the
    /// condition's value in `conditions` (`true`/`false`); a branch `{"Ref": "AWS::NoValue"}`
    /// drops the statement. A condition without a value is an error naming it.
    pub fn from_json_str_with_conditions(
        text: &str,
        conditions: &Params,
    ) -> Result<Self, PolicyError> {
        let json: json::Json =
            serde_json::from_str(text).map_err(|e| PolicyError::from_json(&e))?;
        parse::policy_with(&json, Some(conditions))
    }

    /// Reads a policy from an already parsed JSON value (e.g. a `PolicyDocument` taken out of a
    /// CloudFormation template).
    pub fn from_json_value(value: &serde_json::Value) -> Result<Self, PolicyError> {
        let json = json::Json::deserialize(value).map_err(|e| PolicyError::from_json(&e))?;
        parse::policy(&json)
    }

    /// The canonical form, pretty-printed (two-space indent) with a trailing newline.
    pub fn to_pretty_json(&self) -> String {
        // Serializing into a String cannot fail: every map key is a string and no Serialize
        // impl here raises a custom error.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The canonical form on one line, without whitespace outside strings.
    pub fn to_compact_json(&self) -> String {
        // See `to_pretty_json` for why this cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The policy's size as IAM counts it against its quotas: characters of the canonical form,
    /// whitespace outside strings not counted. See [`ROLE_INLINE_POLICIES_MAX_SIZE`] and
    /// [`MANAGED_POLICY_MAX_SIZE`].
    pub fn size(&self) -> usize {
        self.to_compact_json().chars().count()
    }

    /// Every string value of the policy with its JSON pointer in the canonical form (actions,
    /// resources, principal ids, condition string values), in document order.
    pub fn values(&self) -> Vec<(String, &Value)> {
        fn list<'a>(out: &mut Vec<(String, &'a Value)>, at: Pointer, items: &'a OneOrMany<Value>) {
            for (i, item) in items.iter().enumerate() {
                let at = if items.len() == 1 { at.clone() } else { at.index(i) };
                out.push((at.as_str().to_owned(), item));
            }
        }
        let mut out = Vec::new();
        for (index, statement) in self.statements.iter().enumerate() {
            let at = Pointer::root().key("Statement").index(index);
            if let Some(principals) = &statement.principal {
                let (name, principal) = match principals {
                    Principals::Principal(p) => ("Principal", p),
                    Principals::NotPrincipal(p) => ("NotPrincipal", p),
                };
                if let Principal::Map(map) = principal {
                    let entries = [
                        ("AWS", &map.aws),
                        ("CanonicalUser", &map.canonical_user),
                        ("Federated", &map.federated),
                        ("Service", &map.service),
                    ];
                    for (kind, ids) in entries {
                        if let Some(ids) = ids {
                            list(&mut out, at.key(name).key(kind), ids);
                        }
                    }
                }
            }
            let (name, actions) = match &statement.action {
                Actions::Action(a) => ("Action", a),
                Actions::NotAction(a) => ("NotAction", a),
            };
            list(&mut out, at.key(name), actions);
            if let Some(resources) = &statement.resource {
                let (name, resources) = match resources {
                    Resources::Resource(r) => ("Resource", r),
                    Resources::NotResource(r) => ("NotResource", r),
                };
                list(&mut out, at.key(name), resources);
            }
            for (operator, key, values) in statement.condition.tests() {
                let key_at = at.key("Condition").key(&operator.to_string()).key(key.as_str());
                for (i, value) in values.iter().enumerate() {
                    if let ConditionValue::String(value) = value {
                        let at = if values.len() == 1 { key_at.clone() } else { key_at.index(i) };
                        out.push((at.as_str().to_owned(), value));
                    }
                }
            }
        }
        out
    }

    /// The first CloudFormation expression left in the policy, with its pointer, if any.
    pub fn first_expression(&self) -> Option<(String, &Value)> {
        self.values().into_iter().find(|(_, value)| matches!(value, Value::Expr(_)))
    }
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(version) = self.version {
            map.serialize_entry("Version", version.as_str())?;
        }
        if let Some(id) = &self.id {
            map.serialize_entry("Id", id)?;
        }
        map.serialize_entry("Statement", &self.statements)?;
        map.end()
    }
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(sid) = &self.sid {
            map.serialize_entry("Sid", sid)?;
        }
        map.serialize_entry("Effect", &self.effect)?;
        match &self.principal {
            Some(Principals::Principal(p)) => map.serialize_entry("Principal", p)?,
            Some(Principals::NotPrincipal(p)) => map.serialize_entry("NotPrincipal", p)?,
            None => {}
        }
        match &self.action {
            Actions::Action(a) => map.serialize_entry("Action", a)?,
            Actions::NotAction(a) => map.serialize_entry("NotAction", a)?,
        }
        match &self.resource {
            Some(Resources::Resource(r)) => map.serialize_entry("Resource", r)?,
            Some(Resources::NotResource(r)) => map.serialize_entry("NotResource", r)?,
            None => {}
        }
        if !self.condition.is_empty() {
            map.serialize_entry("Condition", &self.condition)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = json::Json::deserialize(deserializer)?;
        parse::policy(&json).map_err(|err| {
            let help = err.help.as_deref().map(|h| format!(" (help: {h})")).unwrap_or_default();
            serde::de::Error::custom(format_args!("{err}{help}"))
        })
    }
}
