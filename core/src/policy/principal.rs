//! The `Principal` / `NotPrincipal` element of trust and resource policies.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::error::{Pointer, PolicyError};
use super::json::Json;
use super::value::{OneOrMany, Value};

/// Who a statement is about: everyone (`"*"`) or a map of principal types to identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"Principal": "*"`: everyone, including anonymous users.
    Any,
    /// `"Principal": {"AWS": …, "Service": …}`.
    Map(PrincipalMap),
}

/// The principal types IAM knows. Absent types are `None`; `{"AWS": "*"}` (every AWS principal)
/// is distinct from `"*"`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrincipalMap {
    /// Account ids, account/user/role ARNs, or `*`.
    pub aws: Option<OneOrMany<Value>>,
    /// S3 canonical user ids.
    pub canonical_user: Option<OneOrMany<Value>>,
    /// Identity providers (`cognito-identity.amazonaws.com`, SAML provider ARNs).
    pub federated: Option<OneOrMany<Value>>,
    /// Service principals (`lambda.amazonaws.com`).
    pub service: Option<OneOrMany<Value>>,
}

/// The principal type names, in canonical (alphabetical) order.
const TYPES: [&str; 4] = ["AWS", "CanonicalUser", "Federated", "Service"];

impl PrincipalMap {
    fn slot(&mut self, name: &str) -> Option<&mut Option<OneOrMany<Value>>> {
        match name {
            "AWS" => Some(&mut self.aws),
            "CanonicalUser" => Some(&mut self.canonical_user),
            "Federated" => Some(&mut self.federated),
            "Service" => Some(&mut self.service),
            _ => None,
        }
    }

    fn entries(&self) -> [(&'static str, &Option<OneOrMany<Value>>); 4] {
        [
            (TYPES[0], &self.aws),
            (TYPES[1], &self.canonical_user),
            (TYPES[2], &self.federated),
            (TYPES[3], &self.service),
        ]
    }
}

/// One principal identifier. The grammar lets numbers go unquoted, so an account id written as
/// a JSON number (`{"AWS": 111122223333}`) is read as its text.
fn principal_id(json: &Json, at: &Pointer) -> Result<Value, PolicyError> {
    match json {
        Json::Number(n) => Ok(Value::Literal(n.to_string())),
        other => Value::from_json(other, at),
    }
}

impl Principal {
    /// A principal naming one service (`lambda.amazonaws.com`).
    pub fn service(name: impl Into<Value>) -> Self {
        Principal::Map(PrincipalMap {
            service: Some(OneOrMany::one(name.into())),
            ..PrincipalMap::default()
        })
    }

    /// Every value in the principal (none for `"*"`).
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        let map = match self {
            Principal::Any => None,
            Principal::Map(map) => Some(map),
        };
        map.into_iter().flat_map(|m| {
            [&m.aws, &m.canonical_user, &m.federated, &m.service]
                .into_iter()
                .flatten()
                .flat_map(OneOrMany::iter)
        })
    }

    pub(crate) fn from_json(json: &Json, at: &Pointer) -> Result<Self, PolicyError> {
        match json {
            Json::String(star) if star == "*" => Ok(Principal::Any),
            Json::String(other) => Err(at
                .error(format!("a principal must be \"*\" or an object, found \"{other}\""))
                .with_help(format!(
                    "write {{\"AWS\": \"{other}\"}} or {{\"Service\": \"{other}\"}}"
                ))),
            Json::Object(members) => {
                let mut map = PrincipalMap::default();
                for (name, ids) in members {
                    let at = at.key(name);
                    let Some(slot) = map.slot(name) else {
                        let err = at.error(format!("unknown principal type `{name}`"));
                        let hint = TYPES.iter().find(|t| t.eq_ignore_ascii_case(name)).map_or_else(
                            || "the principal types are `AWS`, `CanonicalUser`, `Federated` and `Service`".to_owned(),
                            |t| format!("principal types are case-sensitive: write `{t}`"),
                        );
                        return Err(err.with_help(hint));
                    };
                    *slot = Some(OneOrMany::from_json(ids, &at, principal_id)?);
                }
                Ok(Principal::Map(map))
            }
            other => Err(
                at.error(format!("a principal must be \"*\" or an object, found {}", other.kind()))
            ),
        }
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Principal::Any => serializer.serialize_str("*"),
            Principal::Map(map) => {
                let entries = map.entries();
                let present = entries.iter().filter(|(_, v)| v.is_some()).count();
                let mut out = serializer.serialize_map(Some(present))?;
                for (name, ids) in entries {
                    if let Some(ids) = ids {
                        out.serialize_entry(name, ids)?;
                    }
                }
                out.end()
            }
        }
    }
}
