//! Gives each build of the engine its own identity (`LEASTPRIV_ENGINE_BUILD`), so that the
//! attribute's on-disk cache of expansions never serves what another build of the engine made.
//!
//! The identity is the package version and the time of the build: any change to the engine's
//! sources or data reruns this script and so starts an empty cache. An identical rebuild also
//! gets a new identity, which costs one re-analysis and is never wrong.

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    for path in ["build.rs", "Cargo.toml", "src", "data"] {
        println!("cargo:rerun-if-changed={path}");
    }
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    println!("cargo:rustc-env=LEASTPRIV_ENGINE_BUILD={version}+{nanos}");
}
