//! Benchmark: `lint` throughput on the committed corpus (templates per second) and on one
//! generated 5,000-resource template. Run with `cargo bench -p leastpriv-core --bench lint`;
//! see BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use leastpriv_core::catalog::Catalog;
use leastpriv_core::lint::{LintOptions, lint_text};

fn stats(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<40} min {:>9.3} ms  median {:>9.3} ms  p95 {:>9.3} ms  (n={})",
        pick(0.0).as_secs_f64() * 1e3,
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.95).as_secs_f64() * 1e3,
        samples.len()
    );
    pick(0.5)
}

/// 5,000 resources: 1,250 each of tables, roles with two inline statements, SAM functions using
/// a policy template, tracing and an SQS event source, and IAM policies attached to the roles.
fn big_template() -> String {
    let mut t = String::from("Transform: AWS::Serverless-2016-10-31\nResources:\n");
    for i in 0..1250 {
        let _ = write!(
            t,
            "  Table{i}:\n    Type: AWS::DynamoDB::Table\n\
             \x20 Role{i}:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n\
             \x20       - PolicyName: p\n          PolicyDocument:\n            Statement:\n\
             \x20             - {{Effect: Allow, Action: [dynamodb:GetItem, dynamodb:PutItem], Resource: !GetAtt Table{i}.Arn}}\n\
             \x20             - {{Effect: Allow, Action: 's3:Get*', Resource: '*'}}\n\
             \x20 Fn{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Tracing: Active\n\
             \x20     Policies:\n        - DynamoDBCrudPolicy:\n            TableName: !Ref Table{i}\n\
             \x20     Events:\n        Q:\n          Type: SQS\n          Properties:\n            Queue: !GetAtt Q{i}.Arn\n\
             \x20 Policy{i}:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: x\n      Roles: [!Ref Role{i}]\n\
             \x20     PolicyDocument:\n        Statement:\n          - {{Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Q{i}.Arn}}\n"
        );
    }
    t
}

fn main() {
    let catalog = Catalog::embedded().unwrap();
    let options = LintOptions::default();
    let corpus_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/lint-corpus");
    let mut corpus: Vec<(String, String)> = std::fs::read_dir(&corpus_dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (path.display().to_string(), std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    corpus.sort();
    // Warm-up: parses the services and managed policies the corpus uses.
    for (file, text) in &corpus {
        let _ = lint_text(catalog, file, text, &options);
    }
    let samples = (0..20)
        .map(|_| {
            let start = Instant::now();
            for (file, text) in &corpus {
                let _ = lint_text(catalog, file, text, &options);
            }
            start.elapsed()
        })
        .collect();
    let median = stats(&format!("corpus ({} templates)", corpus.len()), samples);
    println!("  = {:.0} templates/s", corpus.len() as f64 / median.as_secs_f64());
    let big = big_template();
    let samples = (0..5)
        .map(|_| {
            let start = Instant::now();
            let findings = lint_text(catalog, "big.yaml", &big, &options).unwrap();
            assert!(!findings.is_empty());
            start.elapsed()
        })
        .collect();
    stats(&format!("one 5,000-resource template ({} KB)", big.len() / 1024), samples);
}
