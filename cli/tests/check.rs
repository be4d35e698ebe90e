//! `leastpriv check` on the examples (clean) and on a copy with a narrowed declaration (exit 1 with
//! a report on the call).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};

#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{leastpriv, package};

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
    let dependencies = "aws-sdk-dynamodb = \"1\"\naws-sdk-sns = \"1\"\naws-sdk-s3 = \"1\"\n\
                        aws_lambda_events = \"1\"\nlambda_runtime = \"1\"\n";
    package(&dir, name, dependencies, &[("src/main.rs", main)]);
    dir
}

/// `leastpriv check DIR`: its exit code and everything it printed.
fn check(dir: &std::path::Path) -> (Option<i32>, String) {
    let out = leastpriv(&["check", dir.to_str().unwrap()]);
    let report =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), report)
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
    let (code, report) = check(&dir);
    assert_eq!(code, Some(0), "{report}");
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
    let (code, report) = check(&dir);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("s3"), "{report}");
}

#[test]
fn a_crate_trait_implemented_for_another_crates_type_keeps_it_open() {
    // `impl Archive for Event {}`: the trait's default method (an S3 write) runs on the event.
    // The call is followed (not an unresolved escape): the declared `s3(write)` covers it and is
    // used, so the check passes.
    let dir = scratch_crate(
        "impl-for-event",
        "use aws_lambda_events::event::dynamodb::Event;\n\
         use lambda_runtime::LambdaEvent;\n\
         pub trait Archive {\n    async fn archive(&self, s3: &aws_sdk_s3::Client) {\n        \
         s3.put_object().bucket(\"b\").key(\"k\").send().await.ok();\n    }\n}\n\
         impl Archive for Event {}\n\
         #[leastpriv::role(sns(write, topic = \"t\"), s3(write, bucket = \"b\"))]\n\
         async fn run(sns: &aws_sdk_sns::Client, s3: &aws_sdk_s3::Client, event: LambdaEvent<Event>) {\n    \
         event.payload.archive(s3).await;\n    \
         sns.publish().topic_arn(\"t\").message(\"m\").send().await.ok();\n}\nfn main() {}\n",
    );
    let (code, report) = check(&dir);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn a_request_signed_by_hand_is_unresolved_until_declared() {
    // An RDS IAM token signed with aws-sigv4: no SDK client, so the action is unknown to the
    // analysis; an `allow_unused` entry with explicit actions says what it needs.
    let body = |entries: &str| {
        format!(
            "use aws_sigv4::http_request::{{sign, SignableBody, SignableRequest}};\n\
             #[leastpriv::role({entries})]\n\
             async fn token(params: &aws_sigv4::http_request::SigningParams<'_>) -> String {{\n    \
             let request = SignableRequest::new(\"GET\", \"https://db:5432/\", \
             std::iter::empty(), SignableBody::Bytes(&[])).unwrap();\n    \
             let _ = sign(request, params);\n    String::new()\n}}\nfn main() {{}}\n"
        )
    };
    let dir = scratch_crate("sigv4-bare", &body(""));
    let (code, report) = check(&dir);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("aws-sigv4") && report.contains("rds-db:connect"), "{report}");
    let dir = scratch_crate(
        "sigv4-declared",
        &body(
            "resource(arn = \"arn:aws:rds-db:eu-west-1:1:dbuser:db-X/app\", \
             actions = [\"rds-db:connect\"], allow_unused)",
        ),
    );
    let (code, report) = check(&dir);
    assert_eq!(code, Some(0), "{report}");
}
