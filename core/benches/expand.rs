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
    bench_file(&format!("expand {name}"), &dir, file, RUNS);
}

fn bench_file(label: &str, dir: &std::path::Path, file: &str, runs: usize) {
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
    let cx = MacroContext {
        manifest_dir: Some(dir.to_path_buf()),
        handler_file: Some(path),
        guard_table: true,
    };
    if runs == 1 {
        black_box(expand_role(attr_tokens, item, &cx));
        return;
    }
    // The catalog's services and the crate's sources are loaded once per compiler process;
    // exclude that.
    black_box(expand_role(attr_tokens.clone(), item.clone(), &cx));
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(expand_role(attr_tokens.clone(), item.clone(), &cx));
            start.elapsed()
        })
        .collect();
    stats(label, samples);
}

/// A library crate of `n` handlers (3 SDK calls, 3 declared resources each) in two files, the
/// shape `scripts/bench_compile.py` generates, written under the system's temporary directory.
fn generated_crate(n: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leastpriv-bench-expand-{n}"));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"generated\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\naws-sdk-s3 = \"1\"\naws-sdk-dynamodb = \"1\"\naws-sdk-sqs = \"1\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), "pub mod first;\npub mod second;\n").unwrap();
    for (file, range) in [("first", 0..n / 2), ("second", n / 2..n)] {
        let text: String = range
            .map(|i| {
                format!(
                    r#"#[leastpriv::role(
    s3(read, bucket = "${{Uploads{i}}}", key = "in/*", env = "BUCKET_{i}"),
    dynamodb(write, table = "${{Table{i}}}", env = "TABLE_{i}"),
    sqs(write, queue = "${{Queue{i}.QueueName}}", env = "QUEUE_{i}"),
)]
pub async fn handler_{i}(
    s3: &aws_sdk_s3::Client,
    ddb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
) -> Result<(), Box<dyn std::error::Error>> {{
    let bucket = std::env::var("BUCKET_{i}")?;
    let table = std::env::var("TABLE_{i}")?;
    let queue = std::env::var("QUEUE_{i}")?;
    let object = s3.get_object().bucket(&bucket).key("in/{i}").send().await?;
    let size = object.content_length().unwrap_or_default();
    ddb.put_item().table_name(&table).item("size", size.to_string().into()).send().await?;
    sqs.send_message().queue_url(&queue).message_body("{i}").send().await?;
    Ok(())
}}
"#
                )
            })
            .collect();
        std::fs::write(dir.join("src").join(format!("{file}.rs")), text).unwrap();
    }
    dir
}

fn main() {
    Catalog::embedded().unwrap();
    bench_example("image-resize", "src/main.rs");
    bench_example("orders", "src/main.rs");
    bench_example("queue-worker", "src/main.rs");
    // A handler of a 100-handler crate: the crate is parsed by the first expansion, once per
    // compiler process; later (warm) expansions reuse it.
    let dir = generated_crate(100);
    let first = std::time::Instant::now();
    bench_file("100-handler crate, first expansion", &dir, "src/second.rs", 1);
    println!("  (first expansion, crate parsed: {:.3} ms)", first.elapsed().as_secs_f64() * 1e3);
    bench_file("100-handler crate, warm", &dir, "src/second.rs", RUNS);
}
