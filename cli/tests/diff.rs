//! End-to-end tests of `leastpriv diff`: manifests from two versions of a crate (a grant added,
//! one removed, one widened, a function added), as files and through `--git`.
//!
//! The Markdown output is compared with `cli/tests/snapshots/diff.md`; regenerate it with
//! `LEASTPRIV_BLESS=1 cargo test -p leastpriv-cli --test diff` and review the change.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn leastpriv_in(dir: Option<&Path>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leastpriv"));
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.args(args).output().expect("binary runs")
}

fn leastpriv(args: &[&str]) -> Output {
    leastpriv_in(None, args)
}

/// An empty directory of this call's own (tests run in parallel threads of one process).
fn scratch(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("leastpriv-diff-cli-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const API_V1: &str = r#"#[leastpriv::role(
    dynamodb(read, write, table = "Orders", env = "TABLE"),
    s3(read, bucket = "${Uploads}", key = "in/*", env = "BUCKET"),
    name = "Api",
)]
pub async fn api(db: &aws_sdk_dynamodb::Client, s3: &aws_sdk_s3::Client) -> Result<(), Error> {
    db.get_item().table_name(std::env::var("TABLE")?).send().await?;
    db.put_item().table_name(std::env::var("TABLE")?).send().await?;
    s3.get_object().bucket(std::env::var("BUCKET")?).key("in/a").send().await?;
    Ok(())
}
"#;

/// Version 2: the table widened to every table, the S3 read dropped, an SQS send added.
const API_V2: &str = r#"#[leastpriv::role(
    dynamodb(read, write, table = "*", env = "TABLE"),
    sqs(write, queue = "${Jobs}", env = "QUEUE"),
    name = "Api",
)]
pub async fn api(db: &aws_sdk_dynamodb::Client, sqs: &aws_sdk_sqs::Client) -> Result<(), Error> {
    db.get_item().table_name(std::env::var("TABLE")?).send().await?;
    db.put_item().table_name(std::env::var("TABLE")?).send().await?;
    sqs.send_message().queue_url(std::env::var("QUEUE")?).message_body("x").send().await?;
    Ok(())
}
"#;

const REPORT: &str = r#"#[leastpriv::role(s3(read, bucket = "${Reports}", key = "*", env = "BUCKET"), name = "Report")]
pub async fn report(s3: &aws_sdk_s3::Client) -> Result<(), Error> {
    s3.get_object().bucket(std::env::var("BUCKET")?).key("r").send().await?;
    Ok(())
}
"#;

const AUDIT: &str = r#"#[leastpriv::role(sns(write, topic = "${Alerts}", env = "TOPIC"), name = "Audit")]
pub async fn audit(sns: &aws_sdk_sns::Client) -> Result<(), Error> {
    sns.publish().topic_arn(std::env::var("TOPIC")?).message("m").send().await?;
    Ok(())
}
"#;

/// The manifests of both versions of the crate, as files in `dir`.
fn manifests(dir: &Path) -> (PathBuf, PathBuf) {
    let krate = dir.join("app");
    std::fs::create_dir_all(krate.join("src/bin")).unwrap();
    std::fs::write(krate.join("Cargo.toml"), "[package]\nname = \"app\"\nversion = \"0.1.0\"\n")
        .unwrap();
    std::fs::write(krate.join("src/bin/api.rs"), API_V1).unwrap();
    std::fs::write(krate.join("src/bin/report.rs"), REPORT).unwrap();
    let old = dir.join("old.manifest.json");
    let out = leastpriv(&["synth", s(&krate), "--format", "manifest", "-o", s(&old)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::write(krate.join("src/bin/api.rs"), API_V2).unwrap();
    std::fs::write(krate.join("src/bin/audit.rs"), AUDIT).unwrap();
    let new = dir.join("new.manifest.json");
    let out = leastpriv(&["synth", s(&krate), "--format", "manifest", "-o", s(&new)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (old, new)
}

const TABLE: &str = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table";

#[test]
fn adds_removes_and_widens_per_function() {
    let dir = scratch("files");
    let (old, new) = manifests(&dir);
    let out = leastpriv(&["diff", s(&old), s(&new)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    // Widened: the wider grant is added, the narrower one is covered (not removed).
    assert!(text.contains(&format!("  + dynamodb:GetItem on {TABLE}/*\n")), "{text}");
    assert!(!text.contains(&format!("{TABLE}/Orders")), "{text}");
    assert!(text.contains("  + sqs:SendMessage on arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Jobs}\n"), "{text}");
    assert!(
        text.contains("  - s3:GetObject on arn:${AWS::Partition}:s3:::${Uploads}/in/*\n"),
        "{text}"
    );
    assert!(text.contains("Audit: added"), "{text}");
    assert!(text.contains("  + sns:Publish on "), "{text}");
    assert!(text.contains("unchanged: Report\n"), "{text}");
    assert!(text.ends_with("2 functions gain privileges, 1 function loses privileges\n"), "{text}");

    let out = leastpriv(&["diff", s(&old), s(&new), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["grows"], true);
    let api =
        json["functions"].as_array().unwrap().iter().find(|f| f["function"] == "Api").unwrap();
    assert_eq!(api["status"], "changed");
    let added: Vec<&str> =
        api["added"].as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert!(added.contains(&"dynamodb:GetItem") && added.contains(&"sqs:SendMessage"), "{added:?}");

    // The same manifest: no change, whatever --fail-on says.
    let out = leastpriv(&["diff", s(&new), s(&new), "--fail-on", "any"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("no privilege changes (3 functions compared)"),
        "{}",
        stdout(&out)
    );
    let out = leastpriv(&["diff", s(&old), s(&new), "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn only_removals_fail_with_any_but_not_with_grow() {
    let dir = scratch("removals");
    let (_, new) = manifests(&dir);
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&new).unwrap()).unwrap();
    let api = manifest["functions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["name"] == "Api")
        .unwrap();
    let statements = api["policy"]["Statement"].as_array_mut().unwrap();
    let before = statements.len();
    statements.retain(|s| !s.to_string().contains("sqs:"));
    assert_eq!(statements.len(), before - 1);
    let narrower = dir.join("narrower.json");
    std::fs::write(&narrower, manifest.to_string()).unwrap();
    let out = leastpriv(&["diff", s(&new), s(&narrower)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("  - sqs:SendMessage on "), "{}", stdout(&out));
    assert!(stdout(&out).ends_with("1 function loses privileges\n"), "{}", stdout(&out));
    let out = leastpriv(&["diff", s(&new), s(&narrower), "--fail-on", "any"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn markdown_is_a_pull_request_comment() {
    let dir = scratch("markdown");
    let (old, new) = manifests(&dir);
    let out = leastpriv(&["diff", s(&old), s(&new), "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let snapshot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/diff.md");
    if std::env::var_os("LEASTPRIV_BLESS").is_some() {
        std::fs::write(&snapshot, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap();
    assert_eq!(text, expected, "regenerate with LEASTPRIV_BLESS=1 and review");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=leastpriv", "-c", "user.email=leastpriv@example.invalid"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

#[test]
fn git_compares_the_committed_manifest_with_the_working_tree() {
    let dir = scratch("git");
    let (old, new) = manifests(&dir);
    let repo = dir.join("repo");
    std::fs::create_dir_all(repo.join("service")).unwrap();
    git(&repo, &["init", "-q"]);
    let file = repo.join("service/leastpriv.manifest.json");
    std::fs::copy(&old, &file).unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "v1"]);
    std::fs::copy(&new, &file).unwrap();

    let expected = stdout(&leastpriv(&["diff", s(&old), s(&new)]));
    // From the repository's root, with the path; and from the manifest's folder, by default.
    let out =
        leastpriv_in(Some(&repo), &["diff", "--git", "HEAD", "service/leastpriv.manifest.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected);
    let out = leastpriv_in(Some(&repo.join("service")), &["diff", "--git", "HEAD"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected);

    let out = leastpriv_in(
        Some(&repo),
        &["diff", "--git", "no-such-branch", "service/leastpriv.manifest.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown git revision `no-such-branch`"), "{}", stderr(&out));
    assert!(stderr(&out).contains("git fetch"), "{}", stderr(&out));

    std::fs::copy(&new, repo.join("service/other.json")).unwrap();
    let out = leastpriv_in(Some(&repo), &["diff", "--git", "HEAD", "service/other.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("service/other.json does not exist at `HEAD`"),
        "{}",
        stderr(&out)
    );

    let outside = scratch("not-a-repo");
    std::fs::copy(&new, outside.join("leastpriv.manifest.json")).unwrap();
    let out = leastpriv_in(Some(&outside), &["diff", "--git", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not in a git repository"), "{}", stderr(&out));
}

#[test]
fn bad_input_exits_2_with_the_fix() {
    let dir = scratch("bad");
    let out = leastpriv(&["diff", "/nonexistent/old.json", "/nonexistent/new.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("leastpriv synth CRATE --format manifest"), "{}", stderr(&out));
    let not_manifest = dir.join("x.json");
    std::fs::write(&not_manifest, r#"{"Version": "2012-10-17"}"#).unwrap();
    let out = leastpriv(&["diff", s(&not_manifest), s(&not_manifest)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a leastpriv manifest"), "{}", stderr(&out));
    let out = leastpriv(&["diff", s(&not_manifest)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("needs two manifests"), "{}", stderr(&out));
}
