//! Benchmark: expanding one `#[leastpriv::role]` once the catalog is loaded (target: under 5 ms).
//! Run with `cargo bench -p leastpriv-core --bench expand`; see BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use leastpriv_core::catalog::Catalog;
use leastpriv_core::expand::{MacroContext, expand_role};
use leastpriv_core::pipeline::is_role_attribute;
use quote::ToTokens;

const RUNS: usize = 200;

fn stats(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<40} min {:>8.3} ms  median {:>8.3} ms  p95 {:>8.3} ms  (n={})",
        pick(0.0).as_secs_f64() * 1e3,
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.95).as_secs_f64() * 1e3,
        samples.len()
    );
}

fn bench_example(name: &str, file: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name);
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let ast = syn::parse_file(&text).unwrap();
    let mut func = ast
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Fn(f) if f.attrs.iter().any(is_role_attribute) => Some(f.clone()),
            _ => None,
        })
        .unwrap();
    let attr = func.attrs.iter().position(is_role_attribute).unwrap();
    let attr = func.attrs.remove(attr);
    let attr_tokens = match attr.meta {
        syn::Meta::List(list) => list.tokens,
        _ => panic!("attribute without arguments"),
    };
    let item = func.to_token_stream();
    let cx = MacroContext { manifest_dir: Some(dir.clone()), handler_file: Some(path) };
    // The catalog and its services are loaded once per compiler process; exclude that.
    black_box(expand_role(attr_tokens.clone(), item.clone(), &cx));
    let samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(expand_role(attr_tokens.clone(), item.clone(), &cx));
            start.elapsed()
        })
        .collect();
    stats(&format!("expand {name}"), samples);
}

fn main() {
    Catalog::embedded().unwrap();
    bench_example("image-resize", "src/main.rs");
    bench_example("orders", "src/main.rs");
    bench_example("queue-worker", "src/main.rs");
}
