//! Errors of catalog look-ups, each with the closest real names as suggestions.

use std::fmt;

/// A look-up the catalog cannot answer, or embedded data it cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogError {
    /// The action's service prefix is unknown.
    UnknownService {
        /// What was asked for.
        prefix: String,
        /// The closest real prefixes.
        suggestions: Vec<String>,
    },
    /// The service exists but has no such action.
    UnknownAction {
        /// What was asked for.
        action: String,
        /// The closest real actions.
        suggestions: Vec<String>,
    },
    /// The text is not of the form `prefix:Action`.
    MalformedAction {
        /// What was given.
        input: String,
    },
    /// No aws-sdk-rust crate of that name.
    UnknownCrate {
        /// What was asked for.
        crate_name: String,
        /// The closest real crates.
        suggestions: Vec<String>,
    },
    /// The crate has no such client method.
    UnknownOperation {
        /// The crate.
        crate_name: String,
        /// What was asked for.
        method: String,
        /// The closest real methods.
        suggestions: Vec<String>,
    },
    /// The embedded catalog data is damaged (a build problem, not a user error).
    Corrupt {
        /// Where in the data.
        what: String,
        /// The parser's message.
        detail: String,
    },
}

impl CatalogError {
    /// The closest real names, for a "did you mean" line.
    pub fn suggestions(&self) -> &[String] {
        match self {
            CatalogError::UnknownService { suggestions, .. }
            | CatalogError::UnknownAction { suggestions, .. }
            | CatalogError::UnknownCrate { suggestions, .. }
            | CatalogError::UnknownOperation { suggestions, .. } => suggestions,
            CatalogError::MalformedAction { .. } | CatalogError::Corrupt { .. } => &[],
        }
    }

    /// A help line: the suggestions, or what the input should look like.
    pub fn help(&self) -> Option<String> {
        match self {
            CatalogError::MalformedAction { .. } => {
                Some("write the action as `prefix:Name`, e.g. `s3:GetObject`".to_owned())
            }
            CatalogError::Corrupt { .. } => {
                Some("regenerate it with `python3 scripts/gen_catalog.py` and rebuild".to_owned())
            }
            _ => super::suggest::did_you_mean(self.suggestions()),
        }
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatalogError::UnknownService { prefix, .. } => {
                write!(f, "unknown AWS service prefix `{prefix}`")
            }
            CatalogError::UnknownAction { action, .. } => {
                write!(f, "unknown IAM action `{action}`")
            }
            CatalogError::MalformedAction { input } => {
                write!(f, "`{input}` is not an IAM action (expected `prefix:Name`)")
            }
            CatalogError::UnknownCrate { crate_name, .. } => {
                write!(f, "unknown aws-sdk-rust crate `{crate_name}`")
            }
            CatalogError::UnknownOperation { crate_name, method, .. } => {
                write!(f, "`{crate_name}` has no client method `{method}`")
            }
            CatalogError::Corrupt { what, detail } => {
                write!(f, "the embedded IAM catalog is damaged at {what}: {detail}")
            }
        }
    }
}

impl std::error::Error for CatalogError {}
