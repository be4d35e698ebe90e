//! Diagnostics every check produces: what is wrong, on which tokens, and how to fix it.

use std::fmt;

use proc_macro2::Span;

/// What kind of problem a diagnostic reports; each kind has its own message and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// The attribute's syntax or a value in it is wrong.
    MalformedAttribute,
    /// An SDK call needs an action no declared resource of its service covers.
    UncoveredCall,
    /// An SDK call targets a declared resource whose access ceiling is too low.
    ExceedsCeiling,
    /// A client of a service that has no declaration at all.
    UndeclaredService,
    /// A method name shared by several SDKs whose client type cannot be resolved.
    AmbiguousClient,
    /// A declared grant that no reachable call uses.
    UnusedGrant,
    /// An SDK operation the catalog cannot map to actions.
    UnmappedOperation,
    /// A source file the analysis could not read or parse.
    UnreadableSource,
    /// Something on a path from the handler that may make SDK calls the analysis cannot see
    /// (a client handed to another crate, stored in a map, called through a function value).
    Unresolved,
}

impl Code {
    /// A stable short name, used in CLI output and tests.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedAttribute => "malformed-attribute",
            Code::UncoveredCall => "uncovered-call",
            Code::ExceedsCeiling => "exceeds-ceiling",
            Code::UndeclaredService => "undeclared-service",
            Code::AmbiguousClient => "ambiguous-client",
            Code::UnusedGrant => "unused-grant",
            Code::UnmappedOperation => "unmapped-operation",
            Code::UnreadableSource => "unreadable-source",
            Code::Unresolved => "unresolved",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem, attached to the tokens that cause it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The kind of problem.
    pub code: Code,
    /// The offending tokens.
    pub span: Span,
    /// One sentence: what is wrong.
    pub message: String,
    /// How to fix it, when there is a concrete fix.
    pub help: Option<String>,
    /// Further facts (where a helper's call is, which resources were considered).
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic without help or notes.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self { code, span, message: message.into(), help: None, notes: Vec::new() }
    }

    /// Adds the help line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The message with its notes and help, as one text (for `compile_error!`).
    pub fn full_message(&self) -> String {
        let mut text = self.message.clone();
        for note in &self.notes {
            text.push_str("\n  = note: ");
            text.push_str(note);
        }
        if let Some(help) = &self.help {
            text.push_str("\n  = help: ");
            text.push_str(help);
        }
        text
    }

    /// Converts into a `syn::Error` at the diagnostic's span.
    pub fn to_syn_error(&self) -> syn::Error {
        syn::Error::new(self.span, self.full_message())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full_message())
    }
}

/// `text` with its control characters (other than newline and tab) written as `\u{…}` escapes,
/// so that text from an input echoed in a message cannot drive the terminal.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}
