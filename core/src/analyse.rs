//! Finding the aws-sdk-rust calls an entry point makes, directly or through the crate's own
//! functions, and what could not be followed.
//!
//! The analysis reads syntax only (no type checker). An SDK call is an operation method invoked on
//! a value known to be an `aws_sdk_<service>::Client` — a parameter, a binding, a struct field, a
//! `Client::new`/`from_conf` result, through `&`, `Arc`, `Box`, `Option`, `OnceCell`, tuples… —
//! wherever its fluent builder is finally sent (kept in a binding, given more setters, passed to a
//! helper, paginated, waited on, presigned); or a zero-argument operation method on a value of
//! unknown type whose name exactly one candidate SDK has. Calls to functions and methods of the
//! crate and its path dependencies are followed by path (`use`, `crate::`, `super::`, re-exports);
//! methods by the receiver's type, through every implementation of a trait for trait objects and
//! bounded generics, and through every method of that name when the receiver's type is unknown.
//!
//! Sound or loud: what cannot be followed — a client or builder handed to another crate, stored
//! in a map, sent over a channel, called through a function value, used in a macro the analysis
//! cannot read — is an [`Unresolved`] item, never silently dropped.

mod limits;
mod load;
mod sources;
mod types;
mod values;
mod walk;

use std::path::PathBuf;

use proc_macro2::Span;

use crate::catalog::SetterUse;

pub use limits::{TokenShape, check_tokens, check_tree};
pub use load::{binary_key, load_crate};
pub(crate) use sources::index::is_macro_attribute;
pub use sources::{CrateRoot, CrateSources, FnEntry, Resolved, SourceFile};
pub use types::TypeInfo;
pub use values::Hint;
pub use walk::{AnalysisInput, HandlerLines, analyse_fns, analyse_function};

/// Where a call is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, relative to the crate root when known.
    pub file: PathBuf,
    /// The function or method that contains the call (`Store::get_order`).
    pub function: String,
    /// The 1-based line, when the source was parsed with positions.
    pub line: Option<usize>,
}

/// A nested builder passed to a setter (`TransactWriteItem::builder().put(…)`): its own setters
/// and resource hints.
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// Setters used inside the argument.
    pub setters: Vec<SetterUse>,
    /// Resource-naming setters inside it and their values.
    pub hints: Vec<(String, Hint)>,
    /// Part of the argument is built where the analysis cannot see (a parameter, another
    /// crate's function): its setters may be more than `setters`.
    pub opaque: bool,
}

/// One SDK call found by the analysis.
#[derive(Debug, Clone)]
pub struct Call {
    /// The aws-sdk-rust crate (`aws-sdk-s3`).
    pub crate_name: String,
    /// The client method (`get_object`).
    pub method: String,
    /// Setters used on the call's own builder (`bucket`, `version_id`), with literal values.
    pub setters: Vec<SetterUse>,
    /// Values of resource-naming setters on the call's own builder.
    pub hints: Vec<(String, Hint)>,
    /// Builders passed as setter arguments, one per argument.
    pub items: Vec<Item>,
    /// The tokens to report problems on: the operation's method name, or — for calls inside
    /// helpers read from other files — the handler's call that reaches them.
    pub span: Span,
    /// Where the call is written.
    pub location: Location,
    /// The chain of crate functions from the handler to the call (`handler → Store::put`).
    pub via: Vec<String>,
    /// How the walk got there when dispatch was ambiguous ("one of 2 implementations of
    /// `StoreGet::get`").
    pub provenance: Vec<String>,
    /// How many of `setters` and `items` the operation's own chain gave: those after them were
    /// added later (a reassigned builder, a helper), maybe only on some paths.
    pub definite: Option<(usize, usize)>,
}

impl Call {
    /// Whether some nested builder of the call is built where the analysis cannot see.
    pub fn has_opaque_items(&self) -> bool {
        self.items.iter().any(|i| i.opaque)
    }

    /// Every setter used anywhere in the call (own builder and nested builders).
    pub fn all_setters(&self) -> Vec<SetterUse> {
        let mut all = self.setters.clone();
        for item in &self.items {
            all.extend(item.setters.iter().cloned());
        }
        all
    }

    /// The call as its operation's own chain wrote it, without the setters added later, when
    /// some were: the request may be sent with or without them.
    pub fn without_later_setters(&self) -> Option<Call> {
        let (setters, items) = self.definite?;
        if setters >= self.setters.len() && items >= self.items.len() {
            return None;
        }
        let mut call = self.clone();
        call.setters.truncate(setters);
        call.items.truncate(items);
        call.definite = None;
        Some(call)
    }
}

/// A value of an SDK client type that the code creates or receives.
#[derive(Debug, Clone)]
pub struct ClientUse {
    /// The crate of the client.
    pub crate_name: String,
    /// The parameter, field or constructor tokens.
    pub span: Span,
}

/// A `.send()` chain whose operation several declared services share and whose client type the
/// analysis could not resolve.
#[derive(Debug, Clone)]
pub struct Ambiguity {
    /// The operation method.
    pub method: String,
    /// The crates that have it.
    pub crates: Vec<String>,
    /// The method name's tokens.
    pub span: Span,
    /// Where the call is written.
    pub location: Location,
}

/// Something on a path from the entry point that may make SDK calls the analysis cannot see.
#[derive(Debug, Clone)]
pub struct Unresolved {
    /// The SDK crate of the client or builder involved, when known.
    pub crate_name: Option<String>,
    /// Why it could not be followed, naming the expression.
    pub reason: String,
    /// The tokens to report it on (like [`Call::span`]).
    pub span: Span,
    /// Where it is written.
    pub location: Location,
    /// The chain of crate functions from the entry point to it.
    pub via: Vec<String>,
}

/// Everything the analysis found for one handler.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// SDK calls, in source order of discovery.
    pub calls: Vec<Call>,
    /// Clients the handler's code receives or builds.
    pub clients: Vec<ClientUse>,
    /// Calls whose client could not be told apart.
    pub ambiguities: Vec<Ambiguity>,
    /// What could not be followed.
    pub unresolved: Vec<Unresolved>,
    /// The crate functions the walk reached: (module, `Type::name` or `name`).
    pub reached: std::collections::BTreeSet<(String, String)>,
    /// Hints of struct fields, learnt where a struct literal assigns them a known value
    /// (`Store { table: env::var("TABLE")? }`): (struct, field) → hint.
    pub field_hints: std::collections::HashMap<(String, String), Hint>,
}
