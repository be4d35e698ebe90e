//! leastpriv-core: the one pipeline every leastpriv command shares (catalog, policy model, analysis,
//! synthesis, lint, evaluation).

pub mod catalog;
pub mod declare;
pub mod diagnostic;
pub mod policy;
pub mod evaluate;
