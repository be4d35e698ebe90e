//! trybuild UI tests: every diagnostic of `#[leastpriv::role]`, one tiny file per mistake, and the
//! shapes of code that must pass. Refresh the `.stderr` snapshots with `TRYBUILD=overwrite` and
//! review them.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    for category in
        ["uncovered", "ceiling", "undeclared", "ambiguous", "unused", "malformed", "unresolved"]
    {
        t.compile_fail(format!("tests/ui/{category}/*.rs"));
    }
}
