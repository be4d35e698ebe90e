//! leastpriv: per-function least-privilege IAM roles for Rust AWS Lambda handlers.
//!
//! This facade re-exports what a Lambda crate depends on. The analysis, the IAM catalog and the
//! policy model live in [`leastpriv_core`]; the `#[leastpriv::role]` attribute comes from
//! `leastpriv-macros`.

pub use leastpriv_core::catalog;
