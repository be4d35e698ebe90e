//! The request being judged: action, resource and the request context keys with typed values.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// One value of a context key.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    /// Text (also how dates, IP addresses, ARNs and base64 binaries are given).
    String(String),
    /// A number (`s3:max-keys`, `aws:EpochTime`).
    Number(f64),
    /// A boolean (`aws:SecureTransport`, `aws:MultiFactorAuthPresent`).
    Bool(bool),
}

impl ContextValue {
    /// The value as text, as a policy variable substitutes it.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            ContextValue::String(text) => Cow::Borrowed(text),
            ContextValue::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            ContextValue::Number(n) => Cow::Owned(n.to_string()),
        }
    }
}

impl From<&str> for ContextValue {
    fn from(text: &str) -> Self {
        ContextValue::String(text.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(text: String) -> Self {
        ContextValue::String(text)
    }
}

impl From<bool> for ContextValue {
    fn from(b: bool) -> Self {
        ContextValue::Bool(b)
    }
}

impl From<f64> for ContextValue {
    fn from(n: f64) -> Self {
        ContextValue::Number(n)
    }
}

impl From<i64> for ContextValue {
    fn from(n: i64) -> Self {
        // Context numbers are small (counts, epoch seconds): exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        ContextValue::Number(n as f64)
    }
}

/// The request context: context keys (case-insensitive) and their values. A key with several
/// values is a multivalued key (`aws:TagKeys`, `dynamodb:Attributes`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context {
    /// Lower-cased key → (key as given, values).
    entries: BTreeMap<String, (String, Vec<ContextValue>)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value to `key` (a second value makes the key multivalued).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<ContextValue>) {
        let key = key.into();
        let entry = self.entries.entry(key.to_lowercase()).or_insert_with(|| (key, Vec::new()));
        entry.1.push(value.into());
    }

    /// Builder form of [`Context::insert`].
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<ContextValue>) -> Self {
        self.insert(key, value);
        self
    }

    /// Sets every value of `key` at once; an empty list is a present key with no value (the
    /// "empty data set" of the set operators).
    pub fn set(&mut self, key: impl Into<String>, values: Vec<ContextValue>) {
        let key = key.into();
        self.entries.insert(key.to_lowercase(), (key, values));
    }

    /// The values of `key` (looked up case-insensitively), if present.
    pub fn get(&self, key: &str) -> Option<&[ContextValue]> {
        self.entries.get(&key.to_lowercase()).map(|(_, values)| values.as_slice())
    }

    /// Every key as given, with its values, ordered case-insensitively.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[ContextValue])> {
        self.entries.values().map(|(key, values)| (key.as_str(), values.as_slice()))
    }
}

/// A request: who asks is implied by the policies given; this is what they ask for.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The action, `service:Action` (`s3:GetObject`).
    pub action: String,
    /// The resource ARN (or `*` for actions that take no resource).
    pub resource: String,
    /// The request context keys.
    pub context: Context,
}

impl Request {
    /// A request for `action` on `resource` with an empty context.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self { action: action.into(), resource: resource.into(), context: Context::new() }
    }

    /// Adds a context value (builder form).
    #[must_use]
    pub fn with_context(mut self, key: impl Into<String>, value: impl Into<ContextValue>) -> Self {
        self.context.insert(key, value);
        self
    }
}
