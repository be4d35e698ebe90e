//! Benchmark: the cost of the catalog's first look-up (cold index + one service parsed), and of
//! warm look-ups. Run with `cargo bench -p leastpriv-core --bench catalog`; see BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use leastpriv_core::catalog::{Catalog, SetterUse};

const RUNS: usize = 60;

fn stats(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<44} min {:>9.3} ms  median {:>9.3} ms  p95 {:>9.3} ms  (n={})",
        pick(0.0).as_secs_f64() * 1e3,
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.95).as_secs_f64() * 1e3,
        samples.len()
    );
}

fn cold<F: Fn(&Catalog)>(name: &str, lookup: F) {
    let samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let catalog = Catalog::load_embedded().unwrap();
            lookup(&catalog);
            start.elapsed()
        })
        .collect();
    stats(name, samples);
}

fn main() {
    cold("cold: index only", |_| {});
    cold("cold: index + action s3:GetObject", |c| {
        black_box(c.action("s3:GetObject").unwrap());
    });
    cold("cold: index + action ec2:RunInstances", |c| {
        black_box(c.action("ec2:RunInstances").unwrap());
    });
    cold("cold: index + sdk aws-sdk-s3 get_object", |c| {
        let op = c.sdk_operation("aws-sdk-s3", "get_object").unwrap();
        black_box(op.resolve(&[SetterUse::named("version_id")]));
    });
    cold("cold: index + sdk aws-sdk-ec2 run_instances", |c| {
        black_box(c.sdk_operation("aws-sdk-ec2", "run_instances").unwrap());
    });

    let warm = Catalog::load_embedded().unwrap();
    warm.action("s3:GetObject").unwrap();
    let samples = (0..RUNS * 100)
        .map(|_| {
            let start = Instant::now();
            black_box(warm.action(black_box("s3:getobject")).unwrap());
            start.elapsed()
        })
        .collect();
    stats("warm: action s3:getobject", samples);
}
