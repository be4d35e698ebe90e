//! Grants to policy statements: merged, ordered and named deterministically.
//!
//! Grants are first collected per (resource, condition) into action sets, then action sets with
//! equal conditions are merged into one statement over every resource they apply to. Statements
//! are ordered by their actions, then resources (all sorted), so the same requirements always give
//! the same policy whatever order the calls were found in. Each statement gets a `Sid` from its
//! services and access levels (`S3Read`, `KmsWriteViaSqs`), numbered when one repeats.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{AccessLevel, Catalog};
use crate::policy::{Actions, CfnExpr, Condition, ConditionValue, Statement, Value};

use super::Grant;

/// The text a value sorts by: the literal or the `Fn::Sub` template, else its JSON.
pub(crate) fn sort_key(value: &Value) -> String {
    match value {
        Value::Literal(text) => text.clone(),
        Value::Expr(expr) => match expr.as_ref() {
            CfnExpr::Sub { template, variables } if variables.is_empty() => template.clone(),
            _ => value.to_string(),
        },
    }
}

fn condition_key(condition: &Condition) -> String {
    serde_json::to_string(condition).unwrap_or_default()
}

/// A condition and the resources (by sort key) of one statement being merged.
type Merged = (Condition, BTreeMap<String, Value>);

/// Merges grants into statements, in canonical order, with `Sid`s.
pub(crate) fn statements(grants: &[Grant], catalog: &Catalog) -> Vec<Statement> {
    // (resource, condition) → actions
    let mut by_target: BTreeMap<(String, String), (Value, Condition, BTreeSet<String>)> =
        BTreeMap::new();
    for grant in grants {
        let key = (sort_key(&grant.resource), condition_key(&grant.condition));
        by_target
            .entry(key)
            .or_insert_with(|| (grant.resource.clone(), grant.condition.clone(), BTreeSet::new()))
            .2
            .insert(grant.action.clone());
    }
    // (actions, condition) → resources
    let mut merged: BTreeMap<(Vec<String>, String), Merged> = BTreeMap::new();
    for ((resource_key, condition_key), (resource, condition, actions)) in by_target {
        let actions: Vec<String> = actions.into_iter().collect();
        merged
            .entry((actions, condition_key))
            .or_insert_with(|| (condition, BTreeMap::new()))
            .1
            .insert(resource_key, resource);
    }
    let mut out: Vec<(Vec<String>, Vec<String>, Statement)> = merged
        .into_iter()
        .map(|((actions, _), (condition, resources))| {
            let resource_keys: Vec<String> = resources.keys().cloned().collect();
            let mut statement = Statement::new(
                crate::policy::Effect::Allow,
                actions.iter().map(String::as_str),
                resources.into_values(),
            );
            statement.condition = condition;
            (actions, resource_keys, statement)
        })
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    out.into_iter()
        .map(|(_, _, mut statement)| {
            let base = sid(&statement, catalog);
            let count = seen.entry(base.clone()).or_insert(0);
            *count += 1;
            statement.sid = Some(if *count == 1 { base } else { format!("{base}{count}") });
            statement
        })
        .collect()
}

/// `s3` → `S3`, `execute-api` → `ExecuteApi`.
fn pascal(word: &str) -> String {
    super::pascal_case(word)
}

/// The statement id: services, access levels, and what a KMS or PassRole condition names.
fn sid(statement: &Statement, catalog: &Catalog) -> String {
    let actions: Vec<&Value> = match &statement.action {
        Actions::Action(list) | Actions::NotAction(list) => list.iter().collect(),
    };
    let mut prefixes: Vec<String> = Vec::new();
    let mut levels: BTreeSet<AccessLevel> = BTreeSet::new();
    for action in actions.iter().filter_map(|a| a.as_literal()) {
        let prefix = action.split(':').next().unwrap_or_default();
        if !prefixes.iter().any(|p| p == prefix) {
            prefixes.push(prefix.to_owned());
        }
        if let Ok(info) = catalog.action(action) {
            levels.insert(info.access_level);
        }
    }
    let mut sid: String = prefixes.iter().map(|p| pascal(p)).collect();
    for level in levels {
        sid.push_str(match level {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::PermissionsManagement => "Permissions",
        });
    }
    for (_, key, values) in statement.condition.tests() {
        let first = values.iter().next().and_then(|v| match v {
            ConditionValue::String(value) => Some(sort_key(value)),
            _ => None,
        });
        let Some(first) = first else { continue };
        match key.normalized().as_str() {
            "kms:viaservice" => {
                sid.push_str("Via");
                sid.push_str(&pascal(first.split('.').next().unwrap_or_default()));
            }
            "iam:passedtoservice" => {
                sid.push_str("To");
                sid.push_str(&pascal(first.split('.').next().unwrap_or_default()));
            }
            _ => {}
        }
    }
    // IAM takes only ASCII letters and digits in a `Sid`; names from inputs may hold others.
    sid.retain(|c| c.is_ascii_alphanumeric());
    if sid.is_empty() { "Grant".to_owned() } else { sid }
}
