//! Lambda function `image-resize`: writes a thumbnail of every image uploaded to the upload bucket.
//!
//! Triggered by S3 `ObjectCreated` notifications for keys under `incoming/`. It reads the object
//! from the bucket named by `UPLOAD_BUCKET` and writes its thumbnail under `thumbs/` in the bucket
//! named by `THUMBNAIL_BUCKET`. Those two calls are the only AWS calls it makes.

mod thumbnail;

use std::env;

use aws_config::BehaviorVersion;
use aws_lambda_events::event::s3::S3Event;
use aws_sdk_s3::primitives::ByteStream;
use lambda_runtime::tracing::{info, warn};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use leastpriv::Guard;

/// Key prefix of the uploads this function handles (the template filters notifications on it).
const UPLOAD_PREFIX: &str = "incoming/";
/// Key prefix of the thumbnails it writes.
const THUMBNAIL_PREFIX: &str = "thumbs/";
/// Longest side of a thumbnail, in pixels.
const THUMBNAIL_MAX_SIDE: usize = 128;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let s3 = leastpriv::guarded_client!(aws_sdk_s3, &config, Guard::from_env(&RESIZE_ROLE));
    lambda_runtime::run(service_fn(|event| resize(&s3, event))).await
}

/// Makes a thumbnail of each uploaded object the event names.
///
/// Objects that are not in the upload bucket or not under `incoming/` are skipped, and so are
/// objects that are not an image format this function can scale (logged, not retried: a retry
/// would fail the same way). S3 errors fail the invocation so that Lambda retries it.
#[leastpriv::role(
    s3(read, bucket = "${UploadBucketName}", key = "incoming/*", env = "UPLOAD_BUCKET"),
    s3(write, bucket = "${ThumbnailBucket}", key = "thumbs/*", env = "THUMBNAIL_BUCKET"),
    name = "ResizeImage"
)]
pub async fn resize(s3: &aws_sdk_s3::Client, event: LambdaEvent<S3Event>) -> Result<(), Error> {
    let upload_bucket = env::var("UPLOAD_BUCKET")?;
    let thumbnail_bucket = env::var("THUMBNAIL_BUCKET")?;

    for record in event.payload.records {
        let (Some(bucket), Some(encoded_key)) = (record.s3.bucket.name, record.s3.object.key)
        else {
            warn!("S3 event record without bucket name or object key; skipped");
            continue;
        };
        if bucket != upload_bucket {
            warn!(%bucket, "notification from a bucket other than UPLOAD_BUCKET; skipped");
            continue;
        }
        let key = decode_object_key(&encoded_key)?;
        let Some(name) = key.strip_prefix(UPLOAD_PREFIX) else {
            warn!(%key, "object outside {UPLOAD_PREFIX}; skipped");
            continue;
        };

        let object = s3.get_object().bucket(&upload_bucket).key(&key).send().await?;
        let original = object.body.collect().await?.into_bytes();

        let thumbnail = match thumbnail::make(&original, THUMBNAIL_MAX_SIDE) {
            Ok(thumbnail) => thumbnail,
            Err(error) => {
                warn!(%key, %error, "cannot make a thumbnail; skipped");
                continue;
            }
        };

        let thumbnail_key = format!("{THUMBNAIL_PREFIX}{name}");
        s3.put_object()
            .bucket(&thumbnail_bucket)
            .key(&thumbnail_key)
            .content_type(thumbnail.content_type)
            .body(ByteStream::from(thumbnail.bytes))
            .send()
            .await?;
        info!(%key, %thumbnail_key, "thumbnail written");
    }
    Ok(())
}

/// Decodes an object key as S3 notifications carry it: URL-encoded, with `+` for a space.
fn decode_object_key(encoded: &str) -> Result<String, Error> {
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut input = encoded.bytes();
    while let Some(byte) = input.next() {
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let high = input.next().and_then(hex_value);
                let low = input.next().and_then(hex_value);
                match (high, low) {
                    (Some(high), Some(low)) => bytes.push(high << 4 | low),
                    _ => return Err(format!("malformed escape in object key `{encoded}`").into()),
                }
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).map_err(|_| format!("object key `{encoded}` is not UTF-8").into())
}

/// The value of one hexadecimal digit.
fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use super::decode_object_key;

    #[test]
    fn decodes_keys_as_s3_notifications_encode_them() -> Result<(), lambda_runtime::Error> {
        assert_eq!(decode_object_key("incoming/cat.ppm")?, "incoming/cat.ppm");
        assert_eq!(decode_object_key("incoming/my+cat%281%29.ppm")?, "incoming/my cat(1).ppm");
        assert_eq!(decode_object_key("incoming/%C3%A9t%C3%A9.pgm")?, "incoming/été.pgm");
        assert!(decode_object_key("incoming/%2").is_err());
        assert!(decode_object_key("incoming/%zz").is_err());
        assert!(decode_object_key("incoming/%FF").is_err());
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod role {
    use std::sync::{Arc, Mutex};

    use aws_lambda_events::event::s3::S3Event;
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    use aws_smithy_runtime_api::client::http::{
        HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use lambda_runtime::{Context, LambdaEvent};
    use leastpriv::{Decision, Guard, Recorder};

    #[test]
    fn derived_role_is_exactly_read_uploads_write_thumbnails() {
        assert_eq!(super::RESIZE_ROLE.name(), "ResizeImage");
        assert_eq!(super::RESIZE_ROLE.actions(), ["s3:GetObject", "s3:PutObject"]);
        let on = |action: &str| {
            let r = super::RESIZE_ROLE.requirements().into_iter().find(|r| r.action == action);
            r.map(|r| super::RESIZE_ROLE.grants()[r.grant].env)
        };
        assert_eq!(on("s3:GetObject"), Some(Some("UPLOAD_BUCKET")));
        assert_eq!(on("s3:PutObject"), Some(Some("THUMBNAIL_BUCKET")));
    }

    /// S3 as far as the handler needs it, in process: every request is recorded (method and
    /// URL without the query) and answered 200, a GET with `object`.
    #[derive(Debug, Clone)]
    struct FakeS3 {
        object: Vec<u8>,
        requests: Arc<Mutex<Vec<String>>>,
    }

    impl HttpConnector for FakeS3 {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let path = request.uri().split('?').next().unwrap_or_default().to_owned();
            let method = request.method().to_owned();
            self.requests.lock().unwrap().push(format!("{method} {path}"));
            let body =
                if method == "GET" { SdkBody::from(self.object.clone()) } else { SdkBody::empty() };
            let ok = StatusCode::try_from(200).unwrap();
            HttpConnectorFuture::ready(Ok(HttpResponse::new(ok, body)))
        }
    }

    /// A real S3 client whose HTTP goes to `fake` (no network), with `guard` on it.
    fn client(fake: &FakeS3, guard: Guard) -> aws_sdk_s3::Client {
        let fake = fake.clone();
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .force_path_style(true)
            .http_client(http_client_fn(move |_, _| SharedHttpConnector::new(fake.clone())))
            .interceptor(guard)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    fn upload_event(bucket: &str, key: &str) -> LambdaEvent<S3Event> {
        let payload = serde_json::json!({ "Records": [{
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "eventTime": "2026-12-01T00:00:00.000Z",
            "userIdentity": {},
            "requestParameters": {},
            "s3": { "bucket": { "name": bucket }, "object": { "key": key } },
        }]});
        LambdaEvent::new(serde_json::from_value(payload).unwrap(), Context::default())
    }

    /// Runs `resize` on one upload with a recording guard; returns the recorder and the requests
    /// that reached "S3".
    async fn run(object: &[u8], key: &str) -> (Recorder, Vec<String>) {
        let fake = FakeS3 { object: object.to_vec(), requests: Arc::default() };
        let (guard, recorder) = Guard::record(&super::RESIZE_ROLE);
        let s3 = client(&fake, guard);
        super::resize(&s3, upload_event("uploads", key)).await.unwrap();
        let requests = fake.requests.lock().unwrap().clone();
        (recorder, requests)
    }

    /// `resize` reads its buckets from `UPLOAD_BUCKET` and `THUMBNAIL_BUCKET`, and so does the
    /// guard. Setting them in this process needs `unsafe` (edition 2024): the test runs itself
    /// again as a child process with them set (`Command::env`), the child does the work.
    fn in_child_with_buckets(test: &str) -> bool {
        if std::env::var_os("IMAGE_RESIZE_TEST_CHILD").is_some() {
            return true;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env("IMAGE_RESIZE_TEST_CHILD", "1")
            .env("UPLOAD_BUCKET", "uploads")
            .env("THUMBNAIL_BUCKET", "thumbnails")
            .output()
            .unwrap();
        let all = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{test} failed in its child process:\n{all}");
        assert!(all.contains("1 passed"), "{test} did not run in its child process:\n{all}");
        false
    }

    #[tokio::test]
    async fn the_handlers_calls_are_covered_by_the_role_and_use_every_grant() {
        if !in_child_with_buckets(
            "role::the_handlers_calls_are_covered_by_the_role_and_use_every_grant",
        ) {
            return;
        }
        let image = [b"P5 4 2 255\n".as_slice(), &[0, 100, 200, 200, 100, 0, 200, 200]].concat();
        let (recorder, requests) = run(&image, "incoming/cat.pgm").await;
        assert_eq!(
            requests,
            [
                "GET https://s3.eu-west-1.amazonaws.com/uploads/incoming/cat.pgm",
                "PUT https://s3.eu-west-1.amazonaws.com/thumbnails/thumbs/cat.pgm"
            ]
        );
        let calls: Vec<(String, Option<String>, Decision, Vec<usize>)> = (recorder.calls())
            .into_iter()
            .map(|c| (c.operation, c.resource, c.decision, c.grants))
            .collect();
        assert_eq!(
            calls,
            [
                ("GetObject".to_owned(), Some("uploads".to_owned()), Decision::Allowed, vec![0]),
                // The guard does not read a bucket printed after a body (README, "Runtime guard").
                ("PutObject".to_owned(), None, Decision::Allowed, vec![1]),
            ]
        );
        recorder.assert_matches_role();
    }

    #[tokio::test]
    async fn a_run_that_writes_no_thumbnail_leaves_the_write_grant_unexercised() {
        if !in_child_with_buckets(
            "role::a_run_that_writes_no_thumbnail_leaves_the_write_grant_unexercised",
        ) {
            return;
        }
        // Not an image: the handler logs and skips it, so the write entry is never used.
        let (recorder, requests) = run(b"\x89PNG\r\n", "incoming/cat.png").await;
        assert_eq!(requests, ["GET https://s3.eu-west-1.amazonaws.com/uploads/incoming/cat.png"]);
        let problems = recorder.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("ThumbnailBucket") && problems[0].contains("never exercised"),
            "{problems:?}"
        );
    }
}
