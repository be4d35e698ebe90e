//! `cargo leastpriv …`: cargo runs `cargo-leastpriv leastpriv ARGS…`; help and usage say
//! `cargo leastpriv`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;

#[test]
fn help_and_usage_name_the_cargo_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-leastpriv"))
        .args(["leastpriv", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Usage: cargo leastpriv"), "{help}");
    assert!(!help.contains("cargo-leastpriv"), "{help}");

    let out = Command::new(env!("CARGO_BIN_EXE_cargo-leastpriv"))
        .args(["leastpriv", "synth", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Usage: cargo leastpriv synth"), "{help}");

    let out = Command::new(env!("CARGO_BIN_EXE_cargo-leastpriv"))
        .args(["leastpriv", "no-such-command"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cargo leastpriv"));
}
