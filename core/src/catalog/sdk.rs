//! Resolving an SDK call to the actions it needs, given the builder setters it uses.

use std::collections::BTreeSet;

use serde::Serialize;

use super::model::{Implied, Mapping, Rule, SdkOperation, When};

/// A builder setter used on a call, with its string value when the analysis knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SetterUse {
    /// The setter name in snake case (`version_id`).
    pub name: String,
    /// Its string argument, when it is a literal the analysis could read.
    pub value: Option<String>,
}

impl SetterUse {
    /// A setter used with an unknown value.
    pub fn named(name: impl Into<String>) -> Self {
        Self { name: name.into(), value: None }
    }

    /// Parses `NAME` or `NAME=VALUE` (the CLI's `--setter` form).
    pub fn parse(text: &str) -> Self {
        match text.split_once('=') {
            Some((name, value)) => {
                Self { name: name.trim().to_owned(), value: Some(value.to_owned()) }
            }
            None => Self::named(text.trim()),
        }
    }
}

/// Whether a rule applies to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOutcome {
    /// The rule's condition holds (or it has none).
    Applies,
    /// Its setter is not used, or its value does not match.
    DoesNotApply,
    /// Its setter is used but its value is not known, and the rule depends on the value.
    Undecided,
}

/// One rule of an operation and whether it applies to the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleDetail {
    /// The rule.
    #[serde(flatten)]
    pub rule: Rule,
    /// Whether it applies.
    pub outcome: RuleOutcome,
}

/// An implied action set that applies to the call, with the condition it comes with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImpliedDetail {
    /// The catalog's entry.
    #[serde(flatten)]
    pub implied: Implied,
    /// In words: when the actions are needed.
    pub applies_when: String,
    /// The IAM condition block the actions carry: operator → key → value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<serde_json::Value>,
}

/// A setter a setter-dependent call may use, and the actions it then needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The setter (and the value prefix, for rules that depend on the value).
    #[serde(flatten)]
    pub when: When,
    /// The actions the rule adds.
    pub actions: Vec<String>,
}

/// What an SDK call needs: the answer of [`SdkOperation::resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The aws-sdk-rust crate.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The API operation name.
    pub operation: String,
    /// The client method.
    pub method: String,
    /// How the actions are known; [`Mapping::SetterDependent`] when every action depends on
    /// setters and none of them is used.
    pub mapping: Mapping,
    /// For a waiter method (`wait_until_bucket_exists`): the API operation it polls (`HeadBucket`),
    /// whose actions these are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiter_of: Option<String>,
    /// The actions the call needs with these setters, sorted and unique (all targets).
    pub actions: Vec<String>,
    /// The base actions and every rule, each with whether it applies.
    pub details: Vec<RuleDetail>,
    /// Conditional extras (customer managed KMS keys, passed roles) that apply with these setters.
    pub implied: Vec<ImpliedDetail>,
    /// With [`Mapping::SetterDependent`]: every rule's setter condition and its actions, in the
    /// catalog's order; empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// The AWS page the mapping comes from, for exceptions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

impl SdkOperation {
    /// The actions this call needs when it uses `setters` (setters of nested builders included).
    pub fn resolve(&self, setters: &[SetterUse]) -> Resolved {
        let mut details = Vec::with_capacity(self.rules.len() + 1);
        if !self.actions.is_empty() {
            let base = Rule {
                actions: self.actions.clone(),
                when: None,
                replaces: Vec::new(),
                target: None,
                target_setter: None,
                resource: None,
                doc: None,
            };
            details.push(RuleDetail { rule: base, outcome: RuleOutcome::Applies });
        }
        let mut replaced = BTreeSet::new();
        let mut actions = BTreeSet::new();
        for rule in &self.rules {
            let outcome = outcome(rule.when.as_ref(), setters);
            if outcome == RuleOutcome::Applies {
                replaced.extend(rule.replaces.iter().cloned());
                actions.extend(rule.actions.iter().cloned());
            }
            details.push(RuleDetail { rule: rule.clone(), outcome });
        }
        actions.extend(self.actions.iter().filter(|a| !replaced.contains(*a)).cloned());
        let candidates = if self.setter_dependent(setters) {
            self.rules
                .iter()
                .filter_map(|rule| {
                    let when = rule.when.clone()?;
                    Some(Candidate { when, actions: rule.actions.clone() })
                })
                .collect()
        } else {
            Vec::new()
        };
        let implied = self
            .implied
            .iter()
            .filter(|imp| outcome(imp.when.as_ref(), setters) != RuleOutcome::DoesNotApply)
            .map(|imp| ImpliedDetail {
                implied: imp.clone(),
                applies_when: applies_when(imp),
                condition: imp
                    .condition()
                    .map(|(op, key, value)| serde_json::json!({ op: { key: value } })),
            })
            .collect();
        Resolved {
            crate_name: self.crate_name.clone(),
            operation: self.operation.clone(),
            method: self.method.clone(),
            mapping: if candidates.is_empty() { self.mapping } else { Mapping::SetterDependent },
            waiter_of: None,
            actions: actions.into_iter().collect(),
            details,
            implied,
            candidates,
            doc: self.doc.clone(),
        }
    }

    /// True when every action of the call depends on a setter (no base actions, every rule has a
    /// setter condition) and none of those setters is used.
    fn setter_dependent(&self, setters: &[SetterUse]) -> bool {
        self.actions.is_empty()
            && !self.rules.is_empty()
            && self.rules.iter().all(|rule| {
                rule.when.as_ref().is_some_and(|when| setters.iter().all(|s| s.name != when.setter))
            })
    }
}

fn outcome(when: Option<&When>, setters: &[SetterUse]) -> RuleOutcome {
    let Some(when) = when else { return RuleOutcome::Applies };
    let mut used = setters.iter().filter(|s| s.name == when.setter).peekable();
    if used.peek().is_none() {
        return RuleOutcome::DoesNotApply;
    }
    let Some(prefix) = &when.value_prefix else { return RuleOutcome::Applies };
    let mut undecided = false;
    for setter in used {
        match &setter.value {
            Some(value) if starts_with_word(value, prefix) => return RuleOutcome::Applies,
            Some(_) => {}
            None => undecided = true,
        }
    }
    if undecided { RuleOutcome::Undecided } else { RuleOutcome::DoesNotApply }
}

/// True when `value`, past leading whitespace, starts with `word` (any case) followed by a
/// non-word character or the end.
fn starts_with_word(value: &str, word: &str) -> bool {
    let value = value.trim_start();
    match value.get(..word.len()) {
        Some(head) if head.eq_ignore_ascii_case(word) => {
            value[word.len()..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        }
        _ => false,
    }
}

fn applies_when(imp: &Implied) -> String {
    let base = match imp.kind {
        super::ImpliedKind::Kms => {
            "the resource is encrypted with a customer managed KMS key (declare `kms_key = ...`)"
                .to_owned()
        }
        super::ImpliedKind::PassRole => "the call passes an IAM role to the service".to_owned(),
    };
    match &imp.when {
        Some(when) => format!("{base}, and `{}` is used", when.setter),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_prefix_matching() {
        assert!(starts_with_word("  select * from t", "SELECT"));
        assert!(starts_with_word("SELECT", "select"));
        assert!(!starts_with_word("selection", "select"));
        assert!(!starts_with_word("sel", "select"));
        assert!(!starts_with_word("", "select"));
    }

    #[test]
    fn setter_parsing() {
        assert_eq!(SetterUse::parse("version_id"), SetterUse::named("version_id"));
        assert_eq!(
            SetterUse::parse("statement=SELECT * FROM t"),
            SetterUse { name: "statement".into(), value: Some("SELECT * FROM t".into()) }
        );
    }
}
