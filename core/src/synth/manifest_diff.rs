//! `leastpriv diff`: per function, the privileges the roles of two manifests differ by, judged
//! by the evaluator ([`privilege_diff`]).
//!
//! Functions are matched by name. A function only in the new manifest is added whole (every
//! grant of its role is added), one only in the old is removed whole. Besides permissions, a
//! changed trust policy or permissions boundary is reported as a note; since the diff cannot
//! judge either, both count as growth (a dropped or replaced boundary may widen what the role
//! can do, a changed trust policy changes who can use it).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::evaluate::privdiff::{PrivilegeDiff, privilege_diff};
use crate::policy::{Policy, PolicyError};

use super::stored::{StoredFunction, StoredManifest};

/// How a function's role changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionStatus {
    /// Only in the new manifest.
    Added,
    /// Only in the old manifest.
    Removed,
    /// In both, with different privileges, trust or boundary.
    Changed,
    /// In both, granting the same.
    Unchanged,
}

impl FunctionStatus {
    /// `added`, `removed`, `changed` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            FunctionStatus::Added => "added",
            FunctionStatus::Removed => "removed",
            FunctionStatus::Changed => "changed",
            FunctionStatus::Unchanged => "unchanged",
        }
    }
}

/// One function's difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionDiff {
    /// The function's logical id.
    pub function: String,
    /// How its role changed.
    pub status: FunctionStatus,
    /// The grants added and removed.
    #[serde(flatten)]
    pub privileges: PrivilegeDiff,
    /// Changes the privilege diff does not judge (trust policy, permissions boundary).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl FunctionDiff {
    /// Whether the function gains privileges (a grant added, a function added, or a trust or
    /// boundary change).
    pub fn grows(&self) -> bool {
        !self.privileges.added.is_empty()
            || !self.notes.is_empty()
            || self.status == FunctionStatus::Added
    }
}

/// Every function's difference, ordered by function name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ManifestDiff {
    /// The functions, unchanged ones included.
    pub functions: Vec<FunctionDiff>,
}

impl ManifestDiff {
    /// Whether any function gains privileges.
    pub fn grows(&self) -> bool {
        self.functions.iter().any(FunctionDiff::grows)
    }

    /// Whether anything changed.
    pub fn changed(&self) -> bool {
        self.functions.iter().any(|f| f.status != FunctionStatus::Unchanged)
    }
}

/// Why two manifests cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestDiffError {
    /// The function.
    pub function: String,
    /// Whether the policy is the old manifest's.
    pub old: bool,
    /// The evaluator's error.
    pub error: Box<PolicyError>,
}

impl std::fmt::Display for ManifestDiffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let which = if self.old { "old" } else { "new" };
        write!(f, "function {} (the {which} manifest): {}", self.function, self.error)
    }
}

impl std::error::Error for ManifestDiffError {}

fn notes(old: &StoredFunction, new: &StoredFunction) -> Vec<String> {
    let mut out = Vec::new();
    if old.trust_policy.to_compact_json() != new.trust_policy.to_compact_json() {
        out.push(format!(
            "the trust policy changed: {} → {}",
            old.trust_policy.to_compact_json(),
            new.trust_policy.to_compact_json()
        ));
    }
    let shown = |f: &StoredFunction| {
        f.permissions_boundary.as_ref().map_or_else(|| "none".to_owned(), ToString::to_string)
    };
    if shown(old) != shown(new) {
        out.push(format!("the permissions boundary changed: {} → {}", shown(old), shown(new)));
    }
    out
}

/// Compares every function of `old` with the function of the same name in `new`.
pub fn manifest_diff(
    catalog: &Catalog,
    old: &StoredManifest,
    new: &StoredManifest,
) -> Result<ManifestDiff, ManifestDiffError> {
    let mut pairs: BTreeMap<&str, (Option<&StoredFunction>, Option<&StoredFunction>)> =
        BTreeMap::new();
    for f in &old.functions {
        pairs.entry(&f.name).or_default().0 = Some(f);
    }
    for f in &new.functions {
        pairs.entry(&f.name).or_default().1 = Some(f);
    }
    let empty = Policy::new(Vec::new());
    let mut functions = Vec::with_capacity(pairs.len());
    for (name, (before, after)) in pairs {
        let old_policy = before.map_or(&empty, |f| &f.policy);
        let new_policy = after.map_or(&empty, |f| &f.policy);
        let privileges = privilege_diff(catalog, old_policy, new_policy).map_err(|error| {
            // Say which side failed: the one that fails alone.
            let old = privilege_diff(catalog, old_policy, &empty).is_err();
            ManifestDiffError { function: name.to_owned(), old, error: Box::new(error) }
        })?;
        let notes = match (before, after) {
            (Some(before), Some(after)) => notes(before, after),
            _ => Vec::new(),
        };
        let status = match (before, after) {
            (None, _) => FunctionStatus::Added,
            (_, None) => FunctionStatus::Removed,
            _ if privileges.is_empty() && notes.is_empty() => FunctionStatus::Unchanged,
            _ => FunctionStatus::Changed,
        };
        functions.push(FunctionDiff { function: name.to_owned(), status, privileges, notes });
    }
    Ok(ManifestDiff { functions })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn function(name: &str, statements: &str) -> StoredFunction {
        let policy = |s: &str| {
            Policy::from_json_str(&format!(r#"{{"Version":"2012-10-17","Statement":[{s}]}}"#))
                .unwrap()
        };
        StoredFunction {
            name: name.to_owned(),
            file: "src/main.rs".to_owned(),
            trust_policy: policy(
                r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
            ),
            policy: policy(statements),
            inline_policy_name: Some("p".to_owned()),
            managed: Vec::new(),
            tags: Vec::new(),
            permissions_boundary: None,
            path: None,
            log_group: format!("{name}LogGroup"),
        }
    }

    fn manifest(functions: Vec<StoredFunction>) -> StoredManifest {
        StoredManifest { crate_name: "c".to_owned(), functions }
    }

    #[test]
    fn functions_are_matched_by_name() {
        let catalog = Catalog::embedded().unwrap();
        let get = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;
        let put = r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}"#;
        let old = manifest(vec![
            function("Gone", get),
            function("Same", get),
            function("Less", &format!("{get},{put}")),
        ]);
        let mut narrower = function("Less", get);
        narrower.permissions_boundary = None;
        let new = manifest(vec![function("Same", get), narrower, function("New", put)]);
        let diff = manifest_diff(catalog, &old, &new).unwrap();
        let statuses: Vec<(&str, FunctionStatus)> =
            diff.functions.iter().map(|f| (f.function.as_str(), f.status)).collect();
        assert_eq!(
            statuses,
            [
                ("Gone", FunctionStatus::Removed),
                ("Less", FunctionStatus::Changed),
                ("New", FunctionStatus::Added),
                ("Same", FunctionStatus::Unchanged)
            ]
        );
        assert_eq!(diff.functions[0].privileges.removed.len(), 1);
        assert!(!diff.functions[1].grows());
        assert_eq!(diff.functions[1].privileges.removed[0].action, "s3:PutObject");
        assert!(diff.functions[2].grows());
        assert!(diff.grows() && diff.changed());
        let same = manifest_diff(catalog, &new, &new).unwrap();
        assert!(!same.grows() && !same.changed());
    }

    #[test]
    fn a_boundary_change_is_a_note_that_counts_as_growth() {
        let catalog = Catalog::embedded().unwrap();
        let get = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;
        let mut bounded = function("F", get);
        bounded.permissions_boundary =
            Some(crate::policy::Value::literal("arn:aws:iam::1:policy/b"));
        let diff =
            manifest_diff(catalog, &manifest(vec![bounded]), &manifest(vec![function("F", get)]))
                .unwrap();
        assert_eq!(diff.functions[0].status, FunctionStatus::Changed);
        assert!(diff.functions[0].notes[0].contains("arn:aws:iam::1:policy/b → none"));
        assert!(diff.grows());
    }
}
