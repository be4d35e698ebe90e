//! Resolving CloudFormation expressions (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::If`)
//! to literal strings from given parameter values.

use std::collections::{BTreeMap, BTreeSet};

use super::condition::ConditionValue;
use super::error::{Pointer, PolicyError};
use super::principal::Principal;
use super::value::{CfnExpr, OneOrMany, Value};
use super::{Actions, Policy, Principals, Resources};

/// Values for the names CloudFormation expressions refer to.
///
/// Names are: template parameters and resource logical ids (`UploadBucket`), pseudo parameters
/// (`AWS::Region`, `AWS::AccountId`, `AWS::Partition`, …), `Resource.Attribute` for
/// `Fn::GetAtt`, and template condition names (value `true` or `false`) for `Fn::If`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value` (replacing an earlier value).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// Builder form of [`Params::insert`].
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(name, value);
        self
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// What an expression resolved to.
enum Resolved {
    Text(String),
    /// `{"Ref": "AWS::NoValue"}`: the item disappears from its list.
    NoValue,
}

/// Walks values, collecting every missing name rather than stopping at the first.
struct Resolver<'a> {
    params: &'a Params,
    missing: BTreeSet<String>,
    policy_variables: BTreeSet<String>,
    unsupported: BTreeSet<String>,
    first_at: Option<Pointer>,
}

impl Resolver<'_> {
    fn note(&mut self, at: &Pointer) {
        if self.first_at.is_none() {
            self.first_at = Some(at.clone());
        }
    }

    fn lookup(&mut self, name: &str, at: &Pointer) -> String {
        if let Some(value) = self.params.get(name) {
            return value.to_owned();
        }
        // `${aws:username}` inside `Fn::Sub` is read by CloudFormation as a reference.
        if name.contains(':') && !name.starts_with("AWS::") {
            self.policy_variables.insert(name.to_owned());
        }
        self.missing.insert(name.to_owned());
        self.note(at);
        String::new()
    }

    fn value(&mut self, value: &Value, at: &Pointer) -> Resolved {
        match value {
            Value::Literal(text) => Resolved::Text(text.clone()),
            Value::Expr(expr) => self.expr(expr, at),
        }
    }

    fn text(&mut self, value: &Value, at: &Pointer) -> String {
        match self.value(value, at) {
            Resolved::Text(text) => text,
            Resolved::NoValue => String::new(),
        }
    }

    fn expr(&mut self, expr: &CfnExpr, at: &Pointer) -> Resolved {
        match expr {
            CfnExpr::Ref(name) if name == "AWS::NoValue" => Resolved::NoValue,
            CfnExpr::Ref(name) => Resolved::Text(self.lookup(name, at)),
            CfnExpr::GetAtt { resource, attribute } => {
                Resolved::Text(self.lookup(&format!("{resource}.{attribute}"), at))
            }
            CfnExpr::Sub { template, variables } => {
                Resolved::Text(self.sub(template, variables, at))
            }
            CfnExpr::Join { delimiter, items } => {
                let mut parts = Vec::new();
                for item in items {
                    if let Resolved::Text(text) = self.value(item, at) {
                        parts.push(text);
                    }
                }
                Resolved::Text(parts.join(delimiter))
            }
            CfnExpr::If { condition, then, otherwise } => match self.params.get(condition) {
                Some(v) if v.eq_ignore_ascii_case("true") => self.value(then, at),
                Some(v) if v.eq_ignore_ascii_case("false") => self.value(otherwise, at),
                _ => {
                    self.missing.insert(format!("{condition} (condition: true or false)"));
                    self.note(at);
                    Resolved::Text(String::new())
                }
            },
            CfnExpr::Other { function, .. } => {
                self.unsupported.insert(function.clone());
                self.note(at);
                Resolved::Text(String::new())
            }
        }
    }

    /// Expands an `Fn::Sub` template: `${Name}` from its variables or the parameters, `${!Text}`
    /// to the literal `${Text}`.
    fn sub(&mut self, template: &str, variables: &BTreeMap<String, Value>, at: &Pointer) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = variables.get(name) {
                let text = self.text(value, at);
                out.push_str(&text);
            } else {
                let text = self.lookup(name.trim(), at);
                out.push_str(&text);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn list(&mut self, items: &OneOrMany<Value>, at: &Pointer) -> OneOrMany<Value> {
        let single = items.len() == 1;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = if single { at.clone() } else { at.index(i) };
            if let Resolved::Text(text) = self.value(item, &at) {
                out.push(Value::Literal(text));
            }
        }
        OneOrMany(out)
    }

    fn principal(&mut self, principal: &Principal, at: &Pointer) -> Principal {
        let Principal::Map(map) = principal else {
            return Principal::Any;
        };
        let mut map = map.clone();
        let slots = [
            ("AWS", &mut map.aws),
            ("CanonicalUser", &mut map.canonical_user),
            ("Federated", &mut map.federated),
            ("Service", &mut map.service),
        ];
        for (name, slot) in slots {
            if let Some(ids) = slot.as_ref() {
                *slot = Some(self.list(ids, &at.key(name)));
            }
        }
        Principal::Map(map)
    }
}

impl Policy {
    /// A copy of the policy with every CloudFormation expression replaced by its value.
    ///
    /// Fails when a name has no value, listing every missing name (sorted), or when the policy
    /// uses an intrinsic function that needs the deployed stack (`Fn::ImportValue`, …). An
    /// `Fn::If` branch that is `{"Ref": "AWS::NoValue"}` removes its item from the list.
    pub fn resolve(&self, params: &Params) -> Result<Policy, PolicyError> {
        let mut r = Resolver {
            params,
            missing: BTreeSet::new(),
            policy_variables: BTreeSet::new(),
            unsupported: BTreeSet::new(),
            first_at: None,
        };
        let mut out = self.clone();
        for (index, statement) in out.statements.iter_mut().enumerate() {
            let at = Pointer::root().key("Statement").index(index);
            statement.principal = match &statement.principal {
                Some(Principals::Principal(p)) => {
                    Some(Principals::Principal(r.principal(p, &at.key("Principal"))))
                }
                Some(Principals::NotPrincipal(p)) => {
                    Some(Principals::NotPrincipal(r.principal(p, &at.key("NotPrincipal"))))
                }
                None => None,
            };
            statement.action = match &statement.action {
                Actions::Action(a) => Actions::Action(r.list(a, &at.key("Action"))),
                Actions::NotAction(a) => Actions::NotAction(r.list(a, &at.key("NotAction"))),
            };
            statement.resource = match &statement.resource {
                Some(Resources::Resource(a)) => {
                    Some(Resources::Resource(r.list(a, &at.key("Resource"))))
                }
                Some(Resources::NotResource(a)) => {
                    Some(Resources::NotResource(r.list(a, &at.key("NotResource"))))
                }
                None => None,
            };
            for (operator, block) in &mut statement.condition.0 {
                for (key, values) in block.iter_mut() {
                    let key_at = at.key("Condition").key(&operator.to_string()).key(key.as_str());
                    let single = values.len() == 1;
                    let mut resolved = Vec::with_capacity(values.len());
                    for (i, value) in values.iter().enumerate() {
                        let ConditionValue::String(text) = value else {
                            resolved.push(value.clone());
                            continue;
                        };
                        let at = if single { key_at.clone() } else { key_at.index(i) };
                        if let Resolved::Text(text) = r.value(text, &at) {
                            resolved.push(ConditionValue::String(Value::Literal(text)));
                        }
                    }
                    *values = OneOrMany(resolved);
                }
            }
        }
        let at = r.first_at.clone().unwrap_or_default();
        if !r.unsupported.is_empty() {
            let names: Vec<String> = r.unsupported.iter().map(|n| format!("`{n}`")).collect();
            return Err(at
                .error(format!("cannot resolve {} offline", names.join(", ")))
                .with_help("replace the expression with a parameter (`Ref`) or a literal value"));
        }
        if !r.missing.is_empty() {
            let names: Vec<String> = r.missing.iter().map(|n| format!("`{n}`")).collect();
            let mut help = "give each a value as NAME=VALUE (`Resource.Attribute` for \
                            `Fn::GetAtt`, `true`/`false` for an `Fn::If` condition)"
                .to_owned();
            if let Some(var) = r.policy_variables.first() {
                help.push_str(&format!(
                    "; to keep the IAM policy variable inside `Fn::Sub`, write `${{!{var}}}`"
                ));
            }
            return Err(at
                .error(format!(
                    "unresolved CloudFormation reference{}: {}",
                    if names.len() == 1 { "" } else { "s" },
                    names.join(", ")
                ))
                .with_help(help));
        }
        Ok(out)
    }
}
