//! The declaration a handler carries: the resources it may touch and how far (DESIGN §3).
//!
//! `parse` turns the attribute's tokens into a [`Declaration`] and accumulates every problem it
//! finds; spans of the original tokens are kept so later checks can point at them.

mod parse;
pub mod services;
mod template;

use std::collections::BTreeMap;

use proc_macro2::Span;

use crate::catalog::AccessLevel;

pub use parse::parse;
pub use services::{KeySpec, ResourceSpec, ServiceSpec};
pub use template::{Part, Template};

/// A value with the span of the tokens it was written with.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs a value with its span.
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

/// Everything one `#[leastpriv::role(...)]` declares.
#[derive(Debug, Clone, Default)]
pub struct Declaration {
    /// The role's logical id (`name = "ResizeImage"`); default: the handler's name in PascalCase.
    pub name: Option<Spanned<String>>,
    /// One entry per resource.
    pub entries: Vec<Entry>,
    /// Role-wide options.
    pub options: RoleOptions,
}

/// Role-wide options of a declaration.
#[derive(Debug, Clone, Default)]
pub struct RoleOptions {
    /// Retention of the function's log group in days (`log_retention_days = 14`).
    pub log_retention_days: Option<Spanned<u32>>,
    /// The permissions boundary policy ARN (`boundary = "arn:…"`).
    pub boundary: Option<Spanned<Template>>,
    /// The role's IAM path (`path = "/app/"`).
    pub path: Option<Spanned<String>>,
    /// Tags of the role (`tags = ["Team=media"]`), in the order given.
    pub tags: Vec<Spanned<(String, String)>>,
    /// The SAM template function the role is merged into (`function = "ApiFunction"`), when
    /// neither its `Metadata.BuildProperties.Binary` nor its `CodeUri` names the binary.
    pub function: Option<Spanned<String>>,
}

/// Which service an entry is about and how its resources are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A service with named keys (`s3(bucket = …)`).
    Known(&'static ServiceSpec),
    /// Any other catalog service, resources given by `arn = "…"` (`xray(write, arn = "*")`, or
    /// `resource(arn = "…")` where the service comes from the ARN).
    Generic,
}

/// One resource (or set of resources) and the access allowed on it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Known service or generic ARN entry.
    pub kind: EntryKind,
    /// The IAM prefix of the entry's actions (`s3`, `execute-api`).
    pub prefix: String,
    /// The entry's name as written (`s3`, `resource`), with its span.
    pub service: Spanned<String>,
    /// Access levels, each with its token.
    pub access: Vec<Spanned<AccessLevel>>,
    /// Explicit actions (`actions = ["s3:GetObjectTagging"]`), canonical case.
    pub actions: Vec<Spanned<String>>,
    /// `trigger`: the resource is the function's event source.
    pub trigger: Option<Span>,
    /// Resource keys (`bucket`, `key`, `table`, …) and, for generic entries, `arn`.
    pub keys: BTreeMap<String, Spanned<Template>>,
    /// The environment variable carrying the resource's name to the code.
    pub env: Option<Spanned<String>>,
    /// The customer managed KMS key that encrypts the resource.
    pub kms_key: Option<Spanned<Template>>,
    /// `allow_unused`: the grant is used in ways the analysis cannot see.
    pub allow_unused: Option<Span>,
    /// The whole entry.
    pub span: Span,
}

impl Entry {
    /// Whether the entry's ceiling allows an action of `level`, or lists `action` explicitly.
    pub fn allows(&self, action: &str, level: AccessLevel) -> bool {
        self.access.iter().any(|a| a.value == level)
            || self.actions.iter().any(|a| a.value.eq_ignore_ascii_case(action))
    }

    /// The value of a resource key, or its default.
    pub fn key(&self, name: &str) -> Option<Template> {
        if let Some(value) = self.keys.get(name) {
            return Some(value.value.clone());
        }
        match self.kind {
            EntryKind::Known(spec) => spec
                .keys
                .iter()
                .find(|k| k.name == name)
                .and_then(|k| k.default)
                .map(Template::literal),
            EntryKind::Generic => None,
        }
    }

    /// A short human label: `s3(bucket = "${UploadBucket}")`.
    pub fn label(&self) -> String {
        let keys: Vec<String> =
            self.keys.iter().map(|(k, v)| format!("{k} = \"{}\"", v.value)).collect();
        format!("{}({})", self.service.value, keys.join(", "))
    }

    /// The IAM resource types this entry provides.
    pub fn resource_types(&self) -> Vec<&'static str> {
        match self.kind {
            EntryKind::Known(spec) => spec.resources.iter().map(|r| r.iam_type).collect(),
            EntryKind::Generic => Vec::new(),
        }
    }
}
