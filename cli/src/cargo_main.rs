//! `cargo leastpriv …`: the same CLI, invoked as a cargo subcommand.

fn main() -> std::process::ExitCode {
    // Cargo runs `cargo-leastpriv leastpriv ARGS…`; drop the repeated subcommand name.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "leastpriv") {
        args.remove(1);
    }
    leastpriv_cli::run_as("cargo leastpriv", args)
}
