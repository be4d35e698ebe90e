//! leastpriv: per-function least-privilege IAM roles for Rust AWS Lambda handlers.
//!
//! Put `#[leastpriv::role(...)]` on a handler to declare the resources it may touch and how far;
//! the compiler then rejects SDK calls the declaration does not cover and grants the code never
//! uses. See the README for the grammar and the examples under `examples/`.

pub use leastpriv_core::catalog;
pub use leastpriv_core::role::{Grant, RequiredAction, Role};
pub use leastpriv_macros::role;

/// Items the attribute's expansion refers to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use leastpriv_core::catalog::AccessLevel;
    pub use leastpriv_core::role::{Grant, RequiredAction, Role};
}
