//! The runtime guard on real SDK clients pointed at a closed local port (127.0.0.1:1): a call the
//! guard refuses fails with its error (no request left); a call it allows fails to connect.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use leastpriv::{Decision, Guard, GuardError, Mode};

/// The bucket of every test: `CARGO_PKG_NAME` is set by cargo when it runs the tests, so the
/// `env = "…"` resolution is exercised without changing the process environment.
const BUCKET: &str = "leastpriv-guard-tests";

#[leastpriv::role(s3(read, bucket = "${UploadBucket}", env = "CARGO_PKG_NAME"))]
pub async fn resize(s3: &aws_sdk_s3::Client) -> Result<(), aws_sdk_s3::Error> {
    let bucket = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
    s3.get_object().bucket(&bucket).key("in.png").send().await?;
    Ok(())
}

#[leastpriv::role(
    sqs(read, queue = "jobs", env = "JOBS_QUEUE_URL"),
    dynamodb(read, table = "orders")
)]
pub async fn worker(
    sqs: &aws_sdk_sqs::Client,
    db: &aws_sdk_dynamodb::Client,
) -> Result<(), aws_sdk_sqs::Error> {
    let url = std::env::var("JOBS_QUEUE_URL").unwrap_or_default();
    sqs.receive_message().queue_url(&url).send().await?;
    let _ = db.get_item().table_name("orders").send().await;
    Ok(())
}

/// Its `tidy` call happens in a crate the analysis does not read; the role declares only reading.
#[leastpriv::role(s3(
    read,
    actions = ["s3:GetObject"],
    allow_unused,
    bucket = "${UploadBucket}",
    env = "CARGO_PKG_NAME"
))]
pub async fn cleanup(s3: &aws_sdk_s3::Client) -> Result<(), aws_sdk_s3::Error> {
    let bucket = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
    s3.get_object().bucket(&bucket).key("in.png").send().await?;
    leastpriv_guard_helper::tidy(s3, &bucket).await
}

const CLOSED: &str = "http://127.0.0.1:1";

/// What every client of these tests shares: test credentials, the closed port, no retries.
fn sdk_config() -> aws_types::SdkConfig {
    use aws_sdk_s3::config::retry::RetryConfig;
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
    let credentials = Credentials::new("AKIDTEST", "secret", None, None, "test");
    aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .endpoint_url(CLOSED)
        .retry_config(RetryConfig::disabled())
        .build()
}

fn s3(guard: Guard) -> aws_sdk_s3::Client {
    // Path-style, so the bucket is not looked up as a host name.
    let conf = aws_sdk_s3::config::Builder::from(&sdk_config())
        .force_path_style(true)
        .interceptor(guard)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

fn sqs(guard: Guard) -> aws_sdk_sqs::Client {
    leastpriv::guarded_client!(aws_sdk_sqs, &sdk_config(), guard)
}

fn dynamodb(guard: Guard) -> aws_sdk_dynamodb::Client {
    leastpriv::guarded_client!(aws_sdk_dynamodb, &sdk_config(), guard)
}

/// The guard's error in an SDK error's source chain, if the guard refused the call.
fn guard_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a GuardError> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if let Some(found) = e.downcast_ref::<GuardError>() {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

/// Whether the error says the request was dispatched and could not connect.
fn is_dispatch_failure<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> bool {
    matches!(err, aws_sdk_s3::error::SdkError::DispatchFailure(_))
}

#[test]
fn the_constant_lists_the_operations_the_role_allows() {
    let operations = RESIZE_ROLE.operations();
    let ops: Vec<(&str, &str)> = operations.iter().map(|o| (o.service, o.operation)).collect();
    assert!(ops.contains(&("S3", "GetObject")), "{ops:?}");
    assert!(ops.contains(&("S3", "HeadObject")), "{ops:?}");
    assert!(!ops.contains(&("S3", "DeleteObject")), "{ops:?}");
    assert!(!ops.contains(&("S3", "PutObject")), "{ops:?}");
    assert!(ops.contains(&("STS", "GetCallerIdentity")), "{ops:?}");
    let mut sorted = ops.clone();
    sorted.sort_unstable();
    assert_eq!(ops, sorted);
    let get = RESIZE_ROLE.operation("S3", "GetObject").unwrap();
    assert_eq!((get.service, get.operation, get.grants), ("S3", "GetObject", vec![0]));
    // Operations that need no permission are allowed on no entry.
    assert_eq!(RESIZE_ROLE.operation("STS", "GetCallerIdentity").unwrap().grants, []);
    assert!(RESIZE_ROLE.is_readable() && WORKER_ROLE.is_readable() && CLEANUP_ROLE.is_readable());
    assert_eq!(operations.len(), ops.len());
    assert_eq!(RESIZE_ROLE.grants()[0].name_fields, ["bucket"]);
    assert_eq!(RESIZE_ROLE.actions(), ["s3:GetObject"]);
    let queue = WORKER_ROLE.operation("SQS", "ReceiveMessage").unwrap();
    assert_eq!(queue.grants, [0]);
    assert!(WORKER_ROLE.operation("DynamoDB", "GetItem").is_some());
    assert!(WORKER_ROLE.operation("DynamoDB", "PutItem").is_none());
}

#[tokio::test]
async fn enforce_refuses_an_undeclared_operation_before_any_request() {
    let client = s3(Guard::enforce(&RESIZE_ROLE));
    let err = client.delete_object().bucket(BUCKET).key("k").send().await.unwrap_err();
    assert!(!is_dispatch_failure(&err), "a request left: {err:?}");
    let guard = guard_error(&err).unwrap_or_else(|| panic!("not the guard's error: {err:?}"));
    assert_eq!(guard.call.decision, Decision::UndeclaredOperation);
    assert_eq!(guard.call.operation, "DeleteObject");
    assert_eq!(guard.call.resource.as_deref(), Some(BUCKET));
    let text = guard.to_string();
    assert!(text.contains("`S3 DeleteObject` on `leastpriv-guard-tests`"), "{text}");
    assert!(text.contains("of `resize`"), "{text}");
    assert!(text.contains("s3(<access>, bucket = \"leastpriv-guard-tests\")"), "{text}");
}

#[tokio::test]
async fn enforce_lets_a_declared_operation_through_to_the_network() {
    let client = s3(Guard::enforce(&RESIZE_ROLE));
    let err = client.get_object().bucket(BUCKET).key("in.png").send().await.unwrap_err();
    assert!(guard_error(&err).is_none(), "refused: {err:?}");
    assert!(is_dispatch_failure(&err), "expected a connection error: {err:?}");
}

#[tokio::test]
async fn enforce_refuses_a_declared_operation_on_an_undeclared_bucket() {
    let client = s3(Guard::enforce(&RESIZE_ROLE));
    let err = client.get_object().bucket("payments").key("x").send().await.unwrap_err();
    let guard = guard_error(&err).unwrap_or_else(|| panic!("not refused: {err:?}"));
    assert_eq!(guard.call.decision, Decision::UndeclaredResource);
    assert_eq!(guard.call.resource.as_deref(), Some("payments"));
    assert!(guard.to_string().contains("declared, but not on that resource"), "{guard}");
}

#[tokio::test]
async fn literal_names_and_queue_urls_are_matched() {
    let db = dynamodb(Guard::enforce(&WORKER_ROLE));
    let err = db.get_item().table_name("orders").send().await.unwrap_err();
    assert!(guard_error(&err).is_none(), "refused: {err:?}");
    let err = db.get_item().table_name("payments").send().await.unwrap_err();
    assert_eq!(guard_error(&err).unwrap().call.decision, Decision::UndeclaredResource);
    // No `JOBS_QUEUE_URL` in the environment: the literal name `jobs` ends the queue URL.
    let queue = sqs(Guard::enforce(&WORKER_ROLE));
    let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs";
    let err = queue.receive_message().queue_url(url).send().await.unwrap_err();
    assert!(guard_error(&err).is_none(), "refused: {err:?}");
    let other = "https://sqs.eu-west-1.amazonaws.com/123456789012/payments";
    let err = queue.receive_message().queue_url(other).send().await.unwrap_err();
    assert_eq!(guard_error(&err).unwrap().call.decision, Decision::UndeclaredResource);
    let err = queue.delete_queue().queue_url(url).send().await.unwrap_err();
    assert_eq!(guard_error(&err).unwrap().call.decision, Decision::UndeclaredOperation);
}

#[tokio::test]
async fn report_mode_writes_a_json_line_and_proceeds() {
    if std::env::var_os("LEASTPRIV_GUARD_CHILD").is_some() {
        let client = s3(Guard::report(&RESIZE_ROLE));
        let err = client.delete_object().bucket(BUCKET).key("k").send().await.unwrap_err();
        assert!(is_dispatch_failure(&err), "report mode must let the call through: {err:?}");
        return;
    }
    // The line goes to the process's stderr: run this test again in a child and read it.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "report_mode_writes_a_json_line_and_proceeds", "--nocapture"])
        .env("LEASTPRIV_GUARD_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed: {stderr}");
    let line = stderr.lines().find(|l| l.starts_with("{\"leastpriv\"")).expect(&stderr);
    assert_eq!(
        line,
        "{\"leastpriv\":\"guard\",\"function\":\"resize\",\"role\":\"Resize\",\"service\":\"S3\",\
         \"operation\":\"DeleteObject\",\"resource\":\"leastpriv-guard-tests\",\
         \"decision\":\"undeclared_operation\"}"
    );
}

#[test]
fn from_env_enforces_unless_asked_to_report() {
    // LEASTPRIV_GUARD is not set by the test run.
    assert_eq!(Guard::from_env(&RESIZE_ROLE).mode(), Mode::Enforce);
}

#[tokio::test]
async fn the_recorder_catches_a_call_in_a_crate_the_analysis_does_not_read() {
    let (guard, recorder) = Guard::record(&CLEANUP_ROLE);
    let client = s3(guard);
    let _ = cleanup(&client).await;
    let calls = recorder.calls();
    let ops: Vec<(&str, Decision)> =
        calls.iter().map(|c| (c.operation.as_str(), c.decision)).collect();
    assert_eq!(ops, [("GetObject", Decision::Allowed)], "get_object fails to connect first");
    // The helper's delete, reached directly: the recorder sees it although the analysis cannot.
    let _ = leastpriv_guard_helper::tidy(&client, BUCKET).await;
    let problems = recorder.problems();
    assert_eq!(
        problems,
        ["`S3 DeleteObject` on `leastpriv-guard-tests`: undeclared_operation"],
        "{problems:?}"
    );
    let failed = std::panic::catch_unwind(|| recorder.assert_matches_role()).unwrap_err();
    let message = failed.downcast_ref::<String>().unwrap();
    assert!(message.contains("DeleteObject"), "{message}");
}

#[tokio::test]
async fn the_recorder_reports_a_declared_grant_never_exercised() {
    let (guard, recorder) = Guard::record(&WORKER_ROLE);
    let queue = sqs(guard.clone());
    let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs";
    let _ = queue.receive_message().queue_url(url).send().await;
    assert_eq!(recorder.problems(), ["`dynamodb(table = \"orders\")` was never exercised"]);
    let _ = dynamodb(guard).get_item().table_name("orders").send().await;
    recorder.assert_matches_role();
}

#[tokio::test]
async fn the_one_line_helper_builds_a_guarded_client() {
    let client =
        leastpriv::guarded_client!(aws_sdk_s3, &sdk_config(), Guard::enforce(&RESIZE_ROLE));
    assert_eq!(client.config().region().map(|r| r.as_ref()), Some("eu-west-1"));
    // The guard is on it: an undeclared operation is refused before any request.
    let err = client.delete_object().bucket(BUCKET).key("k").send().await.unwrap_err();
    assert!(guard_error(&err).is_some(), "not refused: {err:?}");
}
