//! leastpriv-core: the one pipeline every leastpriv command shares (catalog, policy model, analysis,
//! synthesis, lint, evaluation).

pub mod analyse;
pub mod catalog;
pub mod check;
pub mod declare;
pub mod diagnostic;
pub mod evaluate;
pub mod expand;
pub mod infer;
pub mod lint;
pub mod managed;
pub mod observe;
pub mod pipeline;
pub mod policy;
pub mod project;
pub mod sarif;
pub mod serverless;
pub mod synth;
