//! The guard's cost per call (BENCHMARKS.md): `Guard::check` on real SDK inputs, as the
//! interceptor runs it. Run with
//! `cargo test --release -p leastpriv-guard-tests --test overhead -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use leastpriv::{Decision, Guard};

#[leastpriv::role(s3(read, bucket = "${UploadBucket}", env = "CARGO_PKG_NAME"))]
pub async fn resize(s3: &aws_sdk_s3::Client) -> Result<(), aws_sdk_s3::Error> {
    let bucket = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
    s3.get_object().bucket(&bucket).key("in.png").send().await?;
    Ok(())
}

/// Mean time of `f` over `n` runs, in nanoseconds.
fn time(n: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

#[test]
#[ignore = "a benchmark: run in release with --ignored --nocapture"]
fn guard_overhead_per_call() {
    let guard = Guard::enforce(&RESIZE_ROLE);
    let get = aws_sdk_s3::operation::get_object::GetObjectInput::builder()
        .bucket("leastpriv-guard-tests")
        .key("incoming/cat.png")
        .build()
        .unwrap();
    assert_eq!(guard.check("S3", "GetObject", &get).decision, Decision::Allowed);
    let ns = time(200_000, || {
        black_box(guard.check(black_box("S3"), black_box("GetObject"), black_box(&get)));
    });
    println!("GetObject, allowed, bucket checked: {ns:.0} ns per call");
    let refused = time(200_000, || {
        black_box(guard.check(black_box("S3"), black_box("DeleteObject"), black_box(&get)));
    });
    println!("DeleteObject, refused: {refused:.0} ns per call");
    let sqs = aws_sdk_sqs::operation::receive_message::ReceiveMessageInput::builder()
        .queue_url("https://sqs.eu-west-1.amazonaws.com/123456789012/jobs")
        .build()
        .unwrap();
    let other = time(200_000, || {
        black_box(guard.check(black_box("SQS"), black_box("ReceiveMessage"), black_box(&sqs)));
    });
    println!("ReceiveMessage, undeclared service: {other:.0} ns per call");
    for size in [1024usize, 1024 * 1024] {
        let put = aws_sdk_s3::operation::put_object::PutObjectInput::builder()
            .body(aws_sdk_s3::primitives::ByteStream::from(vec![b'x'; size]))
            .bucket("leastpriv-guard-tests")
            .key("thumbs/cat.png")
            .build()
            .unwrap();
        let n = if size > 4096 { 200 } else { 20_000 };
        let put_ns = time(n, || {
            black_box(guard.check(black_box("S3"), black_box("PutObject"), black_box(&put)));
        });
        println!("PutObject with an in-memory body of {size} bytes: {put_ns:.0} ns per call");
    }
    // The 2 µs budget is for release builds; `scripts/test` runs this unoptimised (with every
    // ignored test), where it only checks that the measurement runs.
    if !cfg!(debug_assertions) {
        assert!(ns < 2_000.0, "{ns} ns per call");
    }
}
