//! leastpriv-core: the one pipeline every leastpriv command shares (catalog, policy model, analysis,
//! synthesis, lint, evaluation).

pub mod catalog;
pub mod policy;
