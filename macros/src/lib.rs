//! Procedural macros of leastpriv; the `#[leastpriv::role]` attribute arrives with its own issue.
