//! Benchmark: expanding one `#[leastpriv::role]` once the catalog is loaded (target: under 5 ms).
//! Run with `cargo bench -p leastpriv-core --bench expand`; see BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use leastpriv_core::catalog::Catalog;
use leastpriv_core::expand::{HandlerPosition, MacroContext, expand_from_file, expand_role};
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
        disk_cache: None,
        attribute_at: None,
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
/// crate `scripts/bench_compile.py` generates (same handler text), written under the system's
/// temporary directory.
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
        let handlers: Vec<String> = range
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
    ddb.put_item()
        .table_name(&table)
        .item("id", aws_sdk_dynamodb::types::AttributeValue::S("{i}".into()))
        .item("size", aws_sdk_dynamodb::types::AttributeValue::N(size.to_string()))
        .send()
        .await?;
    sqs.send_message().queue_url(&queue).message_body("{i}").send().await?;
    Ok(())
}}
"#
                )
            })
            .collect();
        let text = format!("//! Generated handlers.\n\n{}", handlers.join("\n"));
        std::fs::write(dir.join("src").join(format!("{file}.rs")), text).unwrap();
    }
    dir
}

/// The generated crate's handler files and, for each, where the compiler would say its
/// handlers are (worked out before timing: the macro reads them off the compiler's spans).
type Handlers = Vec<(PathBuf, Vec<HandlerPosition>)>;

fn handlers_of(dir: &std::path::Path) -> Handlers {
    ["src/first.rs", "src/second.rs"]
        .iter()
        .map(|file| {
            let path = dir.join(file);
            let positions = handler_positions(&std::fs::read_to_string(&path).unwrap());
            (path, positions)
        })
        .collect()
}

/// Every handler of the generated crate expanded once, in file order, as one `cargo check` of it
/// runs the attribute: the macro's usual path (`expand_from_file`, the handler found at the
/// compiler's position) and the constant's text. Runs on a fresh thread, so the per-thread
/// source cache starts empty; the catalog (per process) is whatever the caller loaded before.
fn expand_every_handler(dir: &std::path::Path, handlers: &Handlers) -> usize {
    let (dir, handlers) = (dir.to_path_buf(), handlers.clone());
    std::thread::spawn(move || {
        let mut expanded = 0;
        for (path, positions) in handlers {
            let cx = MacroContext {
                manifest_dir: Some(dir.clone()),
                handler_file: Some(path),
                guard_table: false,
                disk_cache: None,
                attribute_at: None,
            };
            for position in positions {
                let out = expand_from_file(&cx, || Some(position)).unwrap();
                assert!(out.errors.is_empty(), "{:?}", out.errors);
                black_box(out.role);
                expanded += 1;
            }
        }
        expanded
    })
    .join()
    .unwrap()
}

/// Where the compiler would say each annotated handler of a file is (its name's start, its
/// body's end), from the text: what the macro reads off the compiler's spans.
fn handler_positions(text: &str) -> Vec<HandlerPosition> {
    let ast = syn::parse_file(text).unwrap();
    ast.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Fn(f) if f.attrs.iter().any(is_role_attribute) => {
                let name = f.sig.ident.span().start();
                let end = f.block.brace_token.span.close().end();
                Some(HandlerPosition {
                    name: f.sig.ident.to_string(),
                    name_at: (name.line, name.column),
                    end_at: (end.line, end.column),
                })
            }
            _ => None,
        })
        .collect()
}

fn main() {
    // `LEASTPRIV_BENCH_CRATE=200`: only expand every handler of a 200-handler crate once, catalog
    // load included (one compiler process's work, for a profiler such as callgrind).
    if let Some(n) = std::env::var("LEASTPRIV_BENCH_CRATE").ok().and_then(|n| n.parse().ok()) {
        let dir = generated_crate(n);
        let handlers = handlers_of(&dir);
        let start = Instant::now();
        let expanded = expand_every_handler(&dir, &handlers);
        println!(
            "{n}-handler crate: {expanded} expansions in {:.1} ms (catalog load included)",
            start.elapsed().as_secs_f64() * 1e3
        );
        return;
    }
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
    // What one `cargo check` of the compile benchmark's crates asks of the attribute (catalog
    // loaded already): every handler once, the crate parsed by the first.
    for n in [50, 200] {
        let dir = generated_crate(n);
        let handlers = handlers_of(&dir);
        let samples = (0..10)
            .map(|_| {
                let start = Instant::now();
                black_box(expand_every_handler(&dir, &handlers));
                start.elapsed()
            })
            .collect();
        stats(&format!("{n}-handler crate, every handler once"), samples);
    }
}
