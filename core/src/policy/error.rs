//! The policy error type: where in the document (JSON pointer or line), what is wrong, how to fix it.

use std::fmt;

/// An invalid or unusable policy document.
///
/// `pointer` is an RFC 6901 JSON pointer into the document (`/Statement/0/Effect`; empty for the
/// whole document). JSON syntax errors have no pointer but a `line` and `column` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// JSON pointer to the offending value (empty string: the document itself).
    pub pointer: String,
    /// Line and column (1-based) when the error comes from the JSON syntax.
    pub line: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl PolicyError {
    /// An error at `pointer` with `message`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self { pointer: pointer.into(), line: None, message: message.into(), help: None }
    }

    /// Adds a help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Where the error is, as a short human string (`/Statement/0/Effect`, `line 3 column 7`,
    /// or `document`).
    pub fn location(&self) -> String {
        match self.line {
            Some((line, column)) => format!("line {line} column {column}"),
            None if self.pointer.is_empty() => "document".to_owned(),
            None => self.pointer.clone(),
        }
    }

    /// Converts a `serde_json` error: syntax errors keep their line and column; errors raised
    /// by our own conversion carry their pointer in the message already.
    pub(crate) fn from_json(err: &serde_json::Error) -> Self {
        let text = err.to_string();
        // serde_json appends " at line L column C"; keep the position separately.
        let message = match text.rfind(" at line ") {
            Some(at) if err.line() > 0 => text[..at].to_owned(),
            _ => text,
        };
        let line = (err.line() > 0).then(|| (err.line(), err.column()));
        Self { pointer: String::new(), line, message, help: None }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)
    }
}

impl std::error::Error for PolicyError {}

/// Builds JSON pointers while walking a document.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pointer(String);

impl Pointer {
    /// The pointer to the document root.
    pub(crate) fn root() -> Self {
        Self(String::new())
    }

    /// The pointer to member `key` of this object.
    pub(crate) fn key(&self, key: &str) -> Self {
        let escaped = key.replace('~', "~0").replace('/', "~1");
        Self(format!("{}/{escaped}", self.0))
    }

    /// The pointer to item `index` of this array.
    pub(crate) fn index(&self, index: usize) -> Self {
        Self(format!("{}/{index}", self.0))
    }

    /// An error at this pointer.
    pub(crate) fn error(&self, message: impl Into<String>) -> PolicyError {
        PolicyError::new(self.0.clone(), message)
    }

    /// The pointer text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}
