//! Benchmark: `leastpriv synth --format cfn-yaml` of generated crates of 100, 1,000 and 10,000
//! annotated handlers (target: 1,000 under 1 s, growing linearly). Run with
//! `cargo bench -p leastpriv-cli --bench synth`; see BENCHMARKS.md.
//!
//! Each generated crate has one binary per handler (`src/bin/hNNNNN.rs`), each handler declaring
//! an S3 bucket, a DynamoDB table and an SQS queue and making four SDK calls, two of them in a helper.
//! Rows time the whole command (`leastpriv_cli::run`, output to a file), then its phases through
//! the core API: reading and analysing the crate, building the manifest, rendering the template.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use leastpriv_core::catalog::Catalog;
use leastpriv_core::pipeline::check_crate;
use leastpriv_core::synth::render::{Format, render};
use leastpriv_core::synth::{Manifest, binary_of};

const SIZES: &[usize] = &[100, 1_000, 10_000];

fn handler(i: usize) -> String {
    format!(
        r#"//! Generated handler {i}.

use std::env;

#[leastpriv::role(
    s3(read, bucket = "${{Uploads{i}}}", key = "in/*", env = "BUCKET"),
    dynamodb(read, write, table = "${{Table{i}}}", env = "TABLE"),
    sqs(write, queue = "${{Queue{i}.QueueName}}", env = "QUEUE_URL"),
    name = "Handler{i}",
)]
pub async fn handler_{i}(
    s3: &aws_sdk_s3::Client,
    ddb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
) -> Result<(), Box<dyn std::error::Error>> {{
    let bucket = env::var("BUCKET")?;
    let table = env::var("TABLE")?;
    let object = s3.get_object().bucket(&bucket).key("in/item").send().await?;
    store(ddb, &table, object.e_tag().unwrap_or_default()).await?;
    sqs.send_message().queue_url(env::var("QUEUE_URL")?).message_body("done").send().await?;
    Ok(())
}}

async fn store(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    tag: &str,
) -> Result<(), Box<dyn std::error::Error>> {{
    ddb.get_item().table_name(table).send().await?;
    ddb.put_item().table_name(table).item("tag", tag_value(tag)).send().await?;
    Ok(())
}}

fn tag_value(tag: &str) -> aws_sdk_dynamodb::types::AttributeValue {{
    aws_sdk_dynamodb::types::AttributeValue::S(tag.to_owned())
}}

fn main() {{}}
"#
    )
}

/// Writes a crate of `n` handlers under the temp directory; returns its directory.
fn generate(n: usize) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("leastpriv-bench-synth-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"bench-app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\naws-sdk-s3 = \"1\"\naws-sdk-dynamodb = \"1\"\naws-sdk-sqs = \"1\"\n",
    )
    .unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("src/bin/h{i:05}.rs")), handler(i)).unwrap();
    }
    dir
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn whole(dir: &Path, out: &Path) -> Duration {
    let args = ["leastpriv", "synth", dir.to_str().unwrap(), "--format", "cfn-yaml", "-o"];
    let (code, took) =
        time(|| leastpriv_cli::run(args.iter().copied().chain([out.to_str().unwrap()])));
    assert_eq!(code, ExitCode::SUCCESS);
    took
}

fn main() {
    let catalog = Catalog::embedded().unwrap();
    // Load the services once, as the first row would otherwise pay for it.
    let warm = generate(1);
    let _ = whole(&warm, &warm.join("out.yaml"));
    let _ = std::fs::remove_dir_all(&warm);
    let runs = |n: usize| if n >= 10_000 { 3 } else { 5 };
    println!(
        "{:>8} {:>12} {:>12} {:>12} {:>12} {:>12} {:>10}",
        "handlers", "synth (min)", "synth (med)", "analyse", "manifest", "render", "ms/handler"
    );
    // `LEASTPRIV_BENCH_SIZES=10000` runs one size (for profiling).
    let sizes: Vec<usize> = match std::env::var("LEASTPRIV_BENCH_SIZES") {
        Ok(list) => list.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) => SIZES.to_vec(),
    };
    for n in sizes {
        let dir = generate(n);
        let out = dir.join("leastpriv.cfn.yaml");
        let mut totals: Vec<Duration> = (0..runs(n)).map(|_| whole(&dir, &out)).collect();
        totals.sort();
        let ((_, results), analyse) = time(|| check_crate(catalog, &dir));
        assert_eq!(results.len(), n);
        assert!(results.iter().all(|r| r.diagnostics.is_empty()), "{:?}", results[0].diagnostics);
        let (manifest, build) = time(|| {
            Manifest::build(catalog, "bench-app", &results, |h| {
                binary_of(&h.file.to_string_lossy(), "bench-app")
            })
            .unwrap()
        });
        let (docs, rendering) = time(|| render(&manifest, Format::CfnYaml).unwrap());
        black_box(docs);
        let median = totals[totals.len() / 2];
        println!(
            "{n:>8} {:>9.1} ms {:>9.1} ms {:>9.1} ms {:>9.1} ms {:>9.1} ms {:>10.3}",
            ms(totals[0]),
            ms(median),
            ms(analyse),
            ms(build),
            ms(rendering),
            ms(median) / n as f64
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
