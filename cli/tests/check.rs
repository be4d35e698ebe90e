//! `leastpriv check` on the examples (clean) and on a copy with a narrowed declaration (exit 1 with
//! a report on the call).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn leastpriv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leastpriv")).args(args).output().expect("binary runs")
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_workspace_checks_clean() {
    let out = leastpriv(&["check", workspace().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("8 handler(s), no problems"));
}

#[test]
fn a_narrowed_declaration_fails_with_a_report_on_the_call() {
    let dir = std::env::temp_dir().join(format!("leastpriv-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&workspace().join("examples/image-resize"), &dir);
    let main = dir.join("src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap();
    let narrowed = text.replace(
        "s3(write, bucket = \"${ThumbnailBucket}\"",
        "s3(read, bucket = \"${ThumbnailBucket}\"",
    );
    assert_ne!(text, narrowed);
    std::fs::write(&main, narrowed).unwrap();

    let out = leastpriv(&["check", "--short", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let put_line = text.lines().position(|l| l.contains("s3.put_object()")).unwrap() + 1;
    assert!(
        err.contains(&format!("src/main.rs:{put_line}:")) && err.contains("error[exceeds-ceiling]"),
        "{err}"
    );
    assert!(err.contains("s3:PutObject"), "{err}");

    let out = leastpriv(&["check", dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("help: add `write` to that entry"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_path_is_an_input_error() {
    assert_eq!(leastpriv(&["check", "/no/such/dir"]).status.code(), Some(2));
}

/// A crate of `name` with `main.rs`, depending on the SDKs and aws_lambda_events.
fn scratch_crate(name: &str, main: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leastpriv-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\naws-sdk-dynamodb = \"1\"\naws-sdk-sns = \"1\"\naws-sdk-s3 = \"1\"\n\
             aws_lambda_events = \"1\"\nlambda_runtime = \"1\"\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
    dir
}

/// What a trait of the crate named `get` does: a DynamoDB read.
const STORE: &str = "pub trait Store { async fn get(&self, id: &str) -> Option<String>; }\n\
pub struct Dynamo(aws_sdk_dynamodb::Client);\n\
impl Store for Dynamo {\n    async fn get(&self, id: &str) -> Option<String> {\n        \
self.0.get_item().table_name(\"t\").send().await.ok();\n        Some(id.to_owned())\n    }\n}\n\
fn main() {}\n";

#[test]
fn fields_of_another_crates_event_are_not_the_crates_values() {
    // `keys.get(…)` is a map look-up in another crate's event type: not the crate's `Store::get`.
    let dir = scratch_crate(
        "closed-event",
        &format!(
            "{STORE}\nuse aws_lambda_events::event::dynamodb::Event;\n\
             use lambda_runtime::LambdaEvent;\n\n\
             #[leastpriv::role(sns(write, topic = \"t\"))]\n\
             async fn announce(sns: &aws_sdk_sns::Client, event: LambdaEvent<Event>) {{\n    \
             for record in &event.payload.records {{\n        \
             let sku = record.change.keys.get(\"sku\").map(|v| format!(\"{{v:?}}\"));\n        \
             sns.publish().topic_arn(\"t\").message(sku.unwrap_or_default()).send().await.ok();\n    \
             }}\n}}\n"
        ),
    );
    let out = leastpriv(&["check", dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_payload_of_the_crates_own_type_stays_open() {
    // `LambdaEvent<Job>`: the payload is the crate's `Job`, whose method reads S3.
    let dir = scratch_crate(
        "open-event",
        "use lambda_runtime::LambdaEvent;\n\
         pub struct Job { s3: aws_sdk_s3::Client }\n\
         impl Job {\n    async fn fetch(&self) {\n        \
         self.s3.get_object().bucket(\"b\").key(\"k\").send().await.ok();\n    }\n}\n\
         #[leastpriv::role(sns(write, topic = \"t\"))]\n\
         async fn run(sns: &aws_sdk_sns::Client, event: LambdaEvent<Job>) {\n    \
         event.payload.fetch().await;\n    \
         sns.publish().topic_arn(\"t\").message(\"m\").send().await.ok();\n}\nfn main() {}\n",
    );
    let out = leastpriv(&["check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("s3"), "{report}");
}
