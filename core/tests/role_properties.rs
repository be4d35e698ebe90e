//! For any generated role the pipeline synthesizes, the evaluator allows every required (action,
//! resource), and denies every other action of the same services on the same resources and
//! every required action on another resource of the same type.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use leastpriv_core::catalog::Catalog;
use leastpriv_core::evaluate::{Decision, PolicySet, Request};
use leastpriv_core::pipeline::check_crate;
use leastpriv_core::policy::Params;
use leastpriv_core::synth::{Manifest, binary_of};
use proptest::prelude::*;

/// A declared entry and the call that uses it. `{n}` is the resource's name, `{i}` the entry's
/// index; `arn` is the resource the call touches.
struct Shape {
    client: (&'static str, &'static str),
    entry: &'static str,
    call: &'static str,
    action: &'static str,
    arn: &'static str,
}

const SHAPES: &[Shape] = &[
    Shape {
        client: ("s3", "aws_sdk_s3"),
        entry: r#"s3(read, bucket = "{n}", key = "in/*", env = "V{i}")"#,
        call: r#"s3.get_object().bucket(&v{i}).key("in/a").send().await?;"#,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::{n}/in/a",
    },
    Shape {
        client: ("s3", "aws_sdk_s3"),
        entry: r#"s3(write, bucket = "{n}", key = "out/*", env = "V{i}")"#,
        call: r#"s3.put_object().bucket(&v{i}).key("out/a").send().await?;"#,
        action: "s3:PutObject",
        arn: "arn:aws:s3:::{n}/out/a",
    },
    Shape {
        client: ("dynamodb", "aws_sdk_dynamodb"),
        entry: r#"dynamodb(read, table = "{n}", env = "V{i}")"#,
        call: r#"dynamodb.get_item().table_name(&v{i}).send().await?;"#,
        action: "dynamodb:GetItem",
        arn: "arn:aws:dynamodb:us-east-1:111122223333:table/{n}",
    },
    Shape {
        client: ("dynamodb", "aws_sdk_dynamodb"),
        entry: r#"dynamodb(write, table = "{n}", env = "V{i}")"#,
        call: r#"dynamodb.put_item().table_name(&v{i}).send().await?;"#,
        action: "dynamodb:PutItem",
        arn: "arn:aws:dynamodb:us-east-1:111122223333:table/{n}",
    },
    Shape {
        client: ("sqs", "aws_sdk_sqs"),
        entry: r#"sqs(write, queue = "{n}", env = "V{i}")"#,
        call: r#"sqs.send_message().queue_url(&v{i}).message_body("m").send().await?;"#,
        action: "sqs:SendMessage",
        arn: "arn:aws:sqs:us-east-1:111122223333:{n}",
    },
    Shape {
        client: ("sns", "aws_sdk_sns"),
        entry: r#"sns(write, topic = "{n}", env = "V{i}")"#,
        call: r#"sns.publish().topic_arn(&v{i}).message("m").send().await?;"#,
        action: "sns:Publish",
        arn: "arn:aws:sns:us-east-1:111122223333:{n}",
    },
];

fn fill(template: &str, i: usize, name: &str) -> String {
    template.replace("{n}", name).replace("{i}", &i.to_string())
}

/// Writes a crate with one handler using `picks` (shape index, resource name suffix).
fn write_crate(case: usize, picks: &[(usize, u8)]) -> (PathBuf, Vec<(String, String)>) {
    let dir = std::env::temp_dir().join(format!("leastpriv-role-properties-{case}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let mut entries = Vec::new();
    let mut calls = Vec::new();
    let mut clients = BTreeSet::new();
    let mut required = Vec::new();
    for (i, &(shape, suffix)) in picks.iter().enumerate() {
        let s = &SHAPES[shape];
        let name = format!("res{i}n{suffix}");
        entries.push(fill(s.entry, i, &name));
        calls.push(format!("    let v{i} = std::env::var(\"V{i}\").unwrap_or_default();"));
        calls.push(format!("    {}", fill(s.call, i, &name)));
        clients.insert(s.client);
        required.push((s.action.to_owned(), fill(s.arn, i, &name)));
    }
    let params: Vec<String> =
        clients.iter().map(|(var, krate)| format!("{var}: &{krate}::Client")).collect();
    let deps: String =
        clients.iter().map(|(_, krate)| format!("{} = \"1\"\n", krate.replace('_', "-"))).collect();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"props\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [[bin]]\nname = \"props\"\npath = \"src/main.rs\"\n\n[dependencies]\n{deps}"
        ),
    )
    .unwrap();
    let source = format!(
        "#[leastpriv::role({}, name = \"Props\")]\n\
         pub async fn handler({}) -> Result<(), Box<dyn std::error::Error>> {{\n{}\n    Ok(())\n}}\n\
         fn main() {{}}\n",
        entries.join(", "),
        params.join(", "),
        calls.join("\n")
    );
    std::fs::write(dir.join("src/main.rs"), source).unwrap();
    (dir, required)
}

fn allowed(set: &PolicySet<'_>, action: &str, resource: &str) -> bool {
    let request = Request::new(action, resource);
    set.evaluate(&request).unwrap().decision == Decision::Allow
}

fn picks() -> impl Strategy<Value = Vec<(usize, u8)>> {
    proptest::collection::vec((0..SHAPES.len(), 0u8..3), 1..5)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_synthesized_role_allows_what_is_needed_and_nothing_near_it(picks in picks()) {
        let catalog = Catalog::embedded().unwrap();
        let case = picks.iter().fold(7usize, |h, (s, n)| h * 31 + s * 3 + usize::from(*n));
        let (dir, required) = write_crate(case, &picks);
        let (_, results) = check_crate(catalog, &dir);
        prop_assert_eq!(results.len(), 1);
        let diagnostics: Vec<String> =
            results[0].diagnostics.iter().map(|d| d.message.clone()).collect();
        prop_assert!(diagnostics.is_empty(), "{:?}", diagnostics);
        let manifest =
            Manifest::build(catalog, "props", &results, |h| binary_of(&h.file.to_string_lossy(), "props"))
                .unwrap();
        let function = &manifest.functions[0];
        let params = Params::new()
            .with("AWS::Region", "us-east-1")
            .with("AWS::AccountId", "111122223333")
            .with("AWS::Partition", "aws")
            .with("AWS::URLSuffix", "amazonaws.com")
            .with("AWS::StackName", "props")
            .with("PropsLogGroup", "/aws/lambda/props");
        let policy = function.role.policy.resolve(&params).unwrap();
        let set = PolicySet::new().identity("role", &policy);
        let needed: BTreeSet<&str> = required.iter().map(|(a, _)| a.as_str()).collect();
        for (action, resource) in &required {
            prop_assert!(allowed(&set, action, resource), "{} on {} denied", action, resource);
            // The same action on another resource of the same type.
            let other = resource.replacen("res", "zzz", 1);
            prop_assert!(!allowed(&set, action, &other), "{} allowed on {}", action, other);
            // Every other action of the service on this resource, unless another entry of the
            // role needs it on the very same resource.
            let prefix = action.split(':').next().unwrap();
            for candidate in catalog.actions_of(prefix).unwrap() {
                let full = format!("{prefix}:{candidate}");
                let needed_here = required.iter().any(|(a, r)| a.eq_ignore_ascii_case(&full) && r == resource);
                if needed.contains(full.as_str()) || needed_here {
                    continue;
                }
                prop_assert!(!allowed(&set, &full, resource), "{} allowed on {}", full, resource);
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
