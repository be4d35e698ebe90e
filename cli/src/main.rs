//! `leastpriv`: parses the command line and hands it to [`leastpriv_cli::run`].

fn main() -> std::process::ExitCode {
    leastpriv_cli::run(std::env::args_os())
}
