//! `leastpriv apply` and `leastpriv audit` against a real IAM API: moto's server on loopback,
//! through the real SDK over HTTP, optionally behind a proxy that injects throttling, 500s and
//! dropped connections.
//!
//! moto comes from `LEASTPRIV_MOTO` (the `moto_server` executable). The tests are `#[ignore]`d in
//! a plain `cargo test`; `scripts/test` installs moto, sets the variable and runs them, and
//! without it they fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "common/sarif.rs"]
mod sarif_schema;
use sarif_schema::assert_valid_sarif;

/// A moto server on 127.0.0.1, killed on drop.
struct Moto {
    child: Child,
    port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Moto {
    /// Starts moto, or returns `None` (after saying so) when it is not installed outside CI.
    fn start() -> Option<Moto> {
        Moto::start_with(&[])
    }

    /// [`Moto::start`] with environment variables for moto.
    fn start_with(env: &[(&str, &str)]) -> Option<Moto> {
        Moto::launch(env, None)
    }

    /// moto enforcing IAM permissions after `free` unauthenticated actions, signatures unchecked:
    /// moto recomputes SigV4 over a re-encoded form body, which differs from the SDK's for
    /// policy documents, so its signature check rejects valid requests. Runs moto's server
    /// through the venv's python (beside `moto_server`) with that one check patched out.
    fn start_authorizing(free: usize) -> Option<Moto> {
        let patch = "import sys; import moto.iam.access_control as a; \
                     a.IAMRequestBase.check_signature = lambda self: None; \
                     from moto.server import main; sys.exit(main(sys.argv[1:]))";
        Moto::launch(&[("INITIAL_NO_AUTH_ACTION_COUNT", &free.to_string())], Some(patch))
    }

    fn launch(env: &[(&str, &str)], patch: Option<&str>) -> Option<Moto> {
        let Some(exe) = std::env::var_os("LEASTPRIV_MOTO") else {
            panic!(
                "LEASTPRIV_MOTO is not set (the moto_server executable): scripts/test installs \
                 moto[server]==5.2.5 into .venv and sets it"
            );
        };
        for _ in 0..3 {
            let port = free_port();
            let mut command = match patch {
                Some(code) => {
                    let python = PathBuf::from(&exe).with_file_name("python");
                    let mut command = Command::new(python);
                    command.args(["-c", code]);
                    command
                }
                None => Command::new(&exe),
            };
            let child = command
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|err| panic!("cannot start {}: {err}", exe.to_string_lossy()));
            let mut moto = Moto { child, port };
            if moto.wait_ready() {
                return Some(moto);
            }
        }
        panic!("moto_server did not become ready on 127.0.0.1");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false; // exited: port taken between our probe and its bind
            }
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let request =
                    "GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
                let mut answer = String::new();
                if stream.write_all(request.as_bytes()).is_ok()
                    && stream.read_to_string(&mut answer).is_ok()
                    && answer.starts_with("HTTP/1.")
                {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the proxy does with the request numbered `n` (from 0).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    Forward,
    Throttle,
    ServerError,
    Drop,
}

/// A loopback HTTP proxy to moto that injects faults; stops on drop.
struct Proxy {
    port: u16,
    stop: Arc<AtomicBool>,
    /// Faults injected so far: throttling, 500s, dropped connections.
    faults: Arc<[AtomicUsize; 3]>,
    thread: Option<JoinHandle<()>>,
}

fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().ok()?;
        }
        if lower.starts_with("connection:") {
            continue;
        }
        if line == "\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        head.extend_from_slice(line.as_bytes());
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    head.extend(body);
    Some(head)
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let text = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(text.as_bytes());
}

fn serve(mut client: TcpStream, upstream: u16, fault: Fault) {
    let Some(request) = read_request(&mut client) else { return };
    match fault {
        Fault::Throttle => respond(
            &mut client,
            "400 Bad Request",
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
             <Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
             <RequestId>proxy</RequestId></ErrorResponse>",
        ),
        Fault::ServerError => respond(
            &mut client,
            "500 Internal Server Error",
            "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code>\
             <Message>injected</Message></Error><RequestId>proxy</RequestId></ErrorResponse>",
        ),
        Fault::Drop => {}
        Fault::Forward => {
            let mut server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
            server.write_all(&request).unwrap();
            let mut response = Vec::new();
            let _ = server.read_to_end(&mut response);
            let _ = client.write_all(&response);
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}

impl Proxy {
    fn start(upstream: u16, schedule: fn(usize) -> Fault) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let faults = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)]);
        let (stop2, faults2) = (stop.clone(), faults.clone());
        let thread = std::thread::spawn(move || {
            // Bounded: at most this many connections, then the proxy stops by itself.
            for (n, stream) in listener.incoming().take(5_000).enumerate() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let fault = schedule(n);
                let kind = match fault {
                    Fault::Throttle => Some(0),
                    Fault::ServerError => Some(1),
                    Fault::Drop => Some(2),
                    Fault::Forward => None,
                };
                if let Some(kind) = kind {
                    faults2[kind].fetch_add(1, Ordering::SeqCst);
                }
                serve(stream, upstream, fault);
            }
        });
        Proxy { port, stop, faults, thread: Some(thread) }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes the accept loop
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn app() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iam/app")
}

const PARAMS: &[&str] =
    &["--param", "UploadBucket=up", "--param", "ThumbBucket=th", "--param", "JobsQueue=jobs"];

/// Runs the CLI against `endpoint` with dummy credentials and nothing from the user's AWS files.
fn leastpriv(endpoint: &str, args: &[&str]) -> Output {
    leastpriv_as(("testing", "testing"), endpoint, args)
}

/// [`leastpriv`] with the access key `key`.
fn leastpriv_as(key: (&str, &str), endpoint: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leastpriv"));
    command
        .args(args)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1", "--retry-backoff-ms", "5"])
        .env("AWS_ACCESS_KEY_ID", key.0)
        .env("AWS_SECRET_ACCESS_KEY", key.1)
        .env("AWS_CONFIG_FILE", "/nonexistent/leastpriv-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/leastpriv-test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL");
    command.output().unwrap()
}

fn apply(endpoint: &str, extra: &[&str]) -> Output {
    let path = app();
    let mut args = vec!["apply", path.to_str().unwrap()];
    args.extend_from_slice(PARAMS);
    args.extend_from_slice(extra);
    leastpriv(endpoint, &args)
}

fn audit_json(endpoint: &str, extra: &[&str]) -> (i32, Value) {
    let path = app();
    let mut args = vec!["audit", path.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(PARAMS);
    args.extend_from_slice(extra);
    let out = leastpriv(endpoint, &args);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}\n{}", text(&out), stderr(&out)));
    (out.status.code().unwrap(), json)
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: Output) -> String {
    assert_eq!(out.status.code(), Some(0), "stdout:\n{}\nstderr:\n{}", text(&out), stderr(&out));
    text(&out)
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An IAM Query API call straight to moto (out-of-band changes); returns the XML body.
fn iam(moto: &Moto, action: &str, params: &[(&str, &str)]) -> String {
    let mut body = format!("Action={action}&Version=2010-05-08");
    for (k, v) in params {
        body.push_str(&format!("&{k}={}", encode(v)));
    }
    let mut stream = TcpStream::connect(("127.0.0.1", moto.port)).unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
        "{action}: {response}"
    );
    response
}

fn role_names(moto: &Moto) -> Vec<String> {
    let xml = iam(moto, "ListRoles", &[]);
    xml.split("<RoleName>").skip(1).filter_map(|s| s.split('<').next()).map(str::to_owned).collect()
}

fn actions(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

fn role<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["roles"].as_array().unwrap().iter().find(|r| r["role"] == name).unwrap()
}

#[test]
#[ignore = "needs moto's IAM server: run scripts/test (or set LEASTPRIV_MOTO to a moto_server and pass --include-ignored)"]
fn apply_then_audit_has_no_drift_dry_run_changes_nothing_and_a_second_apply_plans_nothing() {
    let Some(moto) = Moto::start() else { return };
    let url = moto.url();
    let plan = ok(apply(&url, &["--dry-run"]));
    assert!(plan.contains("+ create role iam-app-Resize"), "{plan}");
    assert!(plan.contains("+ create role iam-app-Notify"), "{plan}");
    assert!(plan.contains("dry run: nothing changed"), "{plan}");
    assert!(role_names(&moto).is_empty(), "--dry-run created roles");

    let first = ok(apply(&url, &[]));
    assert!(first.contains("applied 4 change(s) to 2 role(s)"), "{first}");
    let second = ok(apply(&url, &[]));
    assert!(second.contains("plan: no changes"), "{second}");

    let (code, report) = audit_json(&url, &["--all"]);
    assert_eq!(code, 0, "{report:#}");
    for name in ["iam-app-Resize", "iam-app-Notify"] {
        let r = role(&report, name);
        assert_eq!(r["excess"], serde_json::json!([]), "{r:#}");
        assert_eq!(r["missing"], serde_json::json!([]), "{r:#}");
        assert!(r["trust"].is_null() && r["error"].is_null(), "{r:#}");
        // moto has no last-accessed data: said, not failed.
        assert_eq!(r["last_accessed"]["status"], "unavailable", "{r:#}");
    }
    assert_eq!(report["functions_without_role"], serde_json::json!([]));

    let path = app();
    let mut args = vec!["audit", path.to_str().unwrap(), "--all", "--format", "sarif"];
    args.extend_from_slice(PARAMS);
    let sarif: Value = serde_json::from_str(&ok(leastpriv(&url, &args))).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
}

#[test]
#[ignore = "needs moto's IAM server: run scripts/test (or set LEASTPRIV_MOTO to a moto_server and pass --include-ignored)"]
fn policies_added_out_of_band_are_excess_and_a_removed_statement_is_missing() {
    let Some(moto) = Moto::start() else { return };
    let url = moto.url();
    ok(apply(&url, &[]));
    let extra = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::up/*"}]}"#;
    iam(
        &moto,
        "PutRolePolicy",
        &[("RoleName", "iam-app-Resize"), ("PolicyName", "oob"), ("PolicyDocument", extra)],
    );
    let managed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#;
    let created =
        iam(&moto, "CreatePolicy", &[("PolicyName", "broad"), ("PolicyDocument", managed)]);
    let arn = created.split("<Arn>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    iam(&moto, "AttachRolePolicy", &[("RoleName", "iam-app-Notify"), ("PolicyArn", &arn)]);
    // The Resize role loses its S3Write statement.
    let trimmed = r#"{"Version":"2012-10-17","Statement":[{"Sid":"LogsWrite","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/Resize:log-stream:*"},{"Sid":"S3Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::up/incoming/*"}]}"#;
    iam(
        &moto,
        "PutRolePolicy",
        &[("RoleName", "iam-app-Resize"), ("PolicyName", "leastpriv"), ("PolicyDocument", trimmed)],
    );

    let (code, report) = audit_json(
        &url,
        &["--role", "iam-app-Resize", "--role", "iam-app-Notify", "--no-last-accessed"],
    );
    assert_eq!(code, 1, "{report:#}");
    let resize = role(&report, "iam-app-Resize");
    assert_eq!(actions(&resize["excess"]), ["s3:DeleteObject"], "{resize:#}");
    assert_eq!(resize["excess"][0]["policy"], "inline:oob");
    assert_eq!(resize["missing"][0]["action"], "s3:PutObject", "{resize:#}");
    assert_eq!(resize["missing"][0]["resource"], "arn:aws:s3:::th/thumbs/*");
    let notify = role(&report, "iam-app-Notify");
    let sqs = actions(&notify["excess"]);
    assert!(sqs.iter().all(|a| a.starts_with("sqs:")), "{notify:#}");
    assert!(sqs.contains(&"sqs:DeleteQueue".to_owned()), "{notify:#}");
    assert!(sqs.len() > 10, "sqs:* expands over the catalog: {sqs:?}");
    assert!(notify["excess"][0]["policy"].as_str().unwrap().starts_with("managed:"), "{notify:#}");
    assert_eq!(notify["missing"], serde_json::json!([]));

    let mut args = vec!["audit", "--role", "iam-app-Resize", "--no-last-accessed"];
    let path = app();
    args.push(path.to_str().unwrap());
    args.extend_from_slice(PARAMS);
    let out = leastpriv(&url, &args);
    assert_eq!(out.status.code(), Some(1));
    let human = text(&out);
    assert!(
        human.contains("role iam-app-Resize (function Resize, src/bin/resize.rs): drift"),
        "{human}"
    );
    assert!(
        human.contains("inline:oob statement 0: s3:DeleteObject on arn:aws:s3:::up/*"),
        "{human}"
    );
    assert!(
        human.contains("s3:PutObject on arn:aws:s3:::th/thumbs/* (no identity policy"),
        "{human}"
    );

    // The same drift as SARIF: one result per excess and missing grant, on the role, valid
    // against the SARIF 2.1.0 schema.
    let mut args = vec!["audit", "--role", "iam-app-Resize", "--role", "iam-app-Notify"];
    args.extend_from_slice(&["--no-last-accessed", "--format", "sarif", path.to_str().unwrap()]);
    args.extend_from_slice(PARAMS);
    let out = leastpriv(&url, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let excess = results.iter().filter(|r| r["ruleId"] == "excess-permission").count();
    assert_eq!(excess, 1 + sqs.len(), "{sarif:#}");
    let missing: Vec<&Value> =
        results.iter().filter(|r| r["ruleId"] == "missing-permission").collect();
    assert_eq!(missing.len(), 1, "{sarif:#}");
    assert_eq!(missing[0]["level"], "error");
    let location = &missing[0]["locations"][0];
    assert_eq!(location["physicalLocation"]["artifactLocation"]["uri"], "src/bin/resize.rs");
    let role_arn = location["logicalLocations"][0]["fullyQualifiedName"].as_str().unwrap();
    assert!(role_arn.ends_with("/iam-app-Resize"), "{role_arn}");
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "{r:#}");
    }
    assert_valid_sarif(&out.stdout);

    // apply restores its own policy and leaves what it did not write alone.
    let plan = ok(apply(&url, &[]));
    assert!(plan.contains("~ update inline policy leastpriv of iam-app-Resize"), "{plan}");
    assert!(!plan.contains("oob"), "{plan}");
    let (code, report) = audit_json(&url, &["--all", "--no-last-accessed"]);
    assert_eq!(code, 1, "the out-of-band grants remain: {report:#}");
    assert_eq!(role(&report, "iam-app-Resize")["missing"], serde_json::json!([]));
}

#[test]
#[ignore = "needs moto's IAM server: run scripts/test (or set LEASTPRIV_MOTO to a moto_server and pass --include-ignored)"]
fn roles_it_did_not_create_are_never_changed() {
    let Some(moto) = Moto::start() else { return };
    let url = moto.url();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam(
        &moto,
        "CreateRole",
        &[("RoleName", "iam-app-Resize"), ("AssumeRolePolicyDocument", trust)],
    );
    let out = apply(&url, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("was not created by leastpriv"), "{}", stderr(&out));
    assert_eq!(role_names(&moto), ["iam-app-Resize"], "nothing else was created");
    let listed = iam(&moto, "ListRolePolicies", &[("RoleName", "iam-app-Resize")]);
    assert!(!listed.contains("<member>"), "{listed}");

    // It can still be audited when told which function it serves.
    let (code, report) =
        audit_json(&url, &["--role", "iam-app-Resize=Resize", "--no-last-accessed"]);
    assert_eq!(code, 1);
    assert_eq!(
        role(&report, "iam-app-Resize")["missing"].as_array().unwrap().len(),
        4,
        "{report:#}"
    );
    let (code, report) = audit_json(&url, &["--role", "iam-app-Resize", "--no-last-accessed"]);
    assert_eq!(code, 2, "no tag, no function: {report:#}");
}

#[test]
#[ignore = "needs moto's IAM server: run scripts/test (or set LEASTPRIV_MOTO to a moto_server and pass --include-ignored)"]
fn prune_deletes_only_its_own_roles_of_functions_that_are_gone() {
    let Some(moto) = Moto::start() else { return };
    let url = moto.url();
    ok(apply(&url, &[]));
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam(&moto, "CreateRole", &[("RoleName", "iam-app-Other"), ("AssumeRolePolicyDocument", trust)]);
    let out = Command::new(env!("CARGO_BIN_EXE_leastpriv"))
        .args(["synth", app().to_str().unwrap(), "--format", "manifest"])
        .output()
        .unwrap();
    let mut manifest: Value = serde_json::from_str(&ok(out)).unwrap();
    manifest["functions"].as_array_mut().unwrap().retain(|f| f["name"] != "Notify");
    let file = std::env::temp_dir().join(format!("leastpriv-iam-{}.json", std::process::id()));
    std::fs::write(&file, manifest.to_string()).unwrap();
    let file = file.to_str().unwrap();

    let mut args =
        vec!["audit", "--manifest", file, "--all", "--format", "json", "--no-last-accessed"];
    args.extend_from_slice(PARAMS);
    let out = leastpriv(&url, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["unaccounted_roles"][0]["role"], "iam-app-Notify", "{report:#}");
    assert!(report["other_roles"].as_array().unwrap().iter().any(|r| r == "iam-app-Other"));

    let mut args = vec!["apply", "--manifest", file];
    args.extend_from_slice(PARAMS);
    let plan = ok(leastpriv(&url, &args));
    assert!(plan.contains("plan: no changes"), "without --prune nothing is deleted: {plan}");
    args.push("--prune");
    let plan = ok(leastpriv(&url, &args));
    assert!(plan.contains("- delete role iam-app-Notify"), "{plan}");
    assert!(!plan.contains("iam-app-Other"), "{plan}");
    let mut names = role_names(&moto);
    names.sort();
    assert_eq!(names, ["iam-app-Other", "iam-app-Resize"]);
    let _ = std::fs::remove_file(file);
}

fn every_third_fails(n: usize) -> Fault {
    match n % 9 {
        2 => Fault::Throttle,
        5 => Fault::ServerError,
        8 => Fault::Drop,
        _ => Fault::Forward,
    }
}

#[test]
#[ignore = "needs moto's IAM server: run scripts/test (or set LEASTPRIV_MOTO to a moto_server and pass --include-ignored)"]
fn throttling_500s_and_dropped_connections_are_retried_and_apply_converges() {
    let Some(moto) = Moto::start() else { return };
    let proxy = Proxy::start(moto.port, every_third_fails);
    let url = proxy.url();

    // Without retries the first fault stops the run midway …
    let out = apply(&url, &["--max-attempts", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // … with them it converges, whatever was done before.
    let first = ok(apply(&url, &[]));
    assert!(first.contains("applied"), "{first}");
    let second = ok(apply(&url, &[]));
    assert!(second.contains("plan: no changes"), "{second}");
    let (code, report) = audit_json(&url, &["--all"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["roles"].as_array().unwrap().len(), 2);
    // Each fault is followed by a forwarded request, so exit 0 above means each kind was retried.
    let [throttled, failed, dropped] =
        proxy.faults.as_ref().each_ref().map(|f| f.load(Ordering::SeqCst));
    assert!(throttled >= 3 && failed >= 3 && dropped >= 3, "{throttled} {failed} {dropped}");

    // Audit through the faults still sees real drift.
    let extra = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::up/*"}]}"#;
    iam(
        &moto,
        "PutRolePolicy",
        &[("RoleName", "iam-app-Resize"), ("PolicyName", "oob"), ("PolicyDocument", extra)],
    );
    let (code, report) = audit_json(&url, &["--all", "--no-last-accessed"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(actions(&role(&report, "iam-app-Resize")["excess"]), ["s3:DeleteObject"]);
}

#[test]
#[ignore = "needs moto's IAM server: run scripts/test (or set LEASTPRIV_MOTO to a moto_server and pass --include-ignored)"]
fn bad_input_is_exit_2_without_touching_iam() {
    let Some(moto) = Moto::start() else { return };
    let url = moto.url();
    let path = app();
    let out = leastpriv(&url, &["apply", path.to_str().unwrap(), "--param", "UploadBucket=up"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("--param"), "{}", stderr(&out));
    assert!(role_names(&moto).is_empty());
    let out = leastpriv(&url, &["audit", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "--role or --all is required: {}", stderr(&out));
    let secret = "testing";
    assert!(!stderr(&out).contains(secret) && !text(&out).contains(secret));
}

#[test]
#[ignore = "needs moto's IAM server: run scripts/test (or set LEASTPRIV_MOTO to a moto_server and pass --include-ignored)"]
fn listings_are_paginated_and_a_boundary_counts() {
    let Some(moto) = Moto::start() else { return };
    let url = moto.url();
    ok(apply(&url, &[]));
    // moto pages ListRoles at 100: 120 more roles take two pages.
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for i in 0..120 {
        let name = format!("other-{i:03}");
        iam(&moto, "CreateRole", &[("RoleName", &name), ("AssumeRolePolicyDocument", trust)]);
    }
    let boundary = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:PutObject","Resource":"*"}]}"#;
    let created =
        iam(&moto, "CreatePolicy", &[("PolicyName", "boundary"), ("PolicyDocument", boundary)]);
    let arn = created.split("<Arn>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    iam(
        &moto,
        "PutRolePermissionsBoundary",
        &[("RoleName", "iam-app-Resize"), ("PermissionsBoundary", &arn)],
    );

    let (code, report) = audit_json(&url, &["--all", "--no-last-accessed"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["other_roles"].as_array().unwrap().len(), 120, "both pages read");
    assert_eq!(report["roles"].as_array().unwrap().len(), 2);
    let resize = role(&report, "iam-app-Resize");
    assert_eq!(actions(&resize["missing"]), ["s3:PutObject"], "{resize:#}");
    let reason = resize["missing"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("boundary"), "{reason}");
    assert_eq!(resize["excess"], serde_json::json!([]));

    // A boundary the declaration does not name is kept (removing it would widen the role).
    let plan = ok(apply(&url, &[]));
    assert!(
        plan.contains("plan: no changes") && plan.contains("keeps its permissions boundary"),
        "{plan}"
    );
}

/// The actions README "IAM permissions of the CLI itself" lists.
const APPLY: &[&str] = &[
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRoleTags",
    "iam:CreateRole",
    "iam:TagRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:UpdateAssumeRolePolicy",
];
const PRUNE: &[&str] = &["iam:ListRoles", "iam:DetachRolePolicy", "iam:DeleteRole"];
const AUDIT: &[&str] = &[
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRoleTags",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GenerateServiceLastAccessedDetails",
    "iam:GetServiceLastAccessedDetails",
    "iam:ListRoles",
];

/// A user allowed exactly `actions`, and its access key.
fn user(moto: &Moto, name: &str, actions: &[&str]) -> (String, String) {
    iam(moto, "CreateUser", &[("UserName", name)]);
    // moto authorises IAM actions on `*` only, so the README's role ARNs cannot be checked here.
    let policy = serde_json::json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let policy = policy.to_string();
    iam(
        moto,
        "PutUserPolicy",
        &[("UserName", name), ("PolicyName", "cli"), ("PolicyDocument", &policy)],
    );
    let xml = iam(moto, "CreateAccessKey", &[("UserName", name)]);
    let field = |tag: &str| {
        xml.split(&format!("<{tag}>")).nth(1).unwrap().split('<').next().unwrap().to_owned()
    };
    (field("AccessKeyId"), field("SecretAccessKey"))
}

#[test]
#[ignore = "needs moto's IAM server: run scripts/test (or set LEASTPRIV_MOTO to a moto_server and pass --include-ignored)"]
fn the_cli_needs_only_the_permissions_the_readme_lists() {
    // moto checks every request's permissions after the first six actions (the two users'
    // setup below).
    let Some(moto) = Moto::start_authorizing(6) else { return };
    let url = moto.url();
    let deployer_actions: Vec<&str> = APPLY.iter().chain(PRUNE).copied().collect();
    let deployer = user(&moto, "deployer", &deployer_actions);
    let auditor = user(&moto, "auditor", AUDIT);
    let deployer = (deployer.0.as_str(), deployer.1.as_str());
    let auditor = (auditor.0.as_str(), auditor.1.as_str());
    let path = app();
    let mut args = vec!["apply", path.to_str().unwrap()];
    args.extend_from_slice(PARAMS);

    let out = leastpriv_as(auditor, &url, &args);
    assert_eq!(out.status.code(), Some(2), "the auditor may not apply: {}", text(&out));
    ok(leastpriv_as(deployer, &url, &args));
    args.push("--prune");
    assert!(ok(leastpriv_as(deployer, &url, &args)).contains("plan: no changes"));

    let mut args = vec!["audit", path.to_str().unwrap(), "--all"];
    args.extend_from_slice(PARAMS);
    let out = leastpriv_as(auditor, &url, &args);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out), stderr(&out));
    assert!(!text(&out).contains(auditor.1), "no secret in the output");
}
