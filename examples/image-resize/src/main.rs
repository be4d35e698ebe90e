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
mod role {
    #[test]
    fn derived_role_is_exactly_read_uploads_write_thumbnails() {
        assert_eq!(super::RESIZE_ROLE.name, "ResizeImage");
        assert_eq!(super::RESIZE_ROLE.actions(), ["s3:GetObject", "s3:PutObject"]);
        let on = |action: &str| {
            let r = super::RESIZE_ROLE.requirements.iter().find(|r| r.action == action);
            r.map(|r| super::RESIZE_ROLE.grants[r.grant].env)
        };
        assert_eq!(on("s3:GetObject"), Some(Some("UPLOAD_BUCKET")));
        assert_eq!(on("s3:PutObject"), Some(Some("THUMBNAIL_BUCKET")));
    }
}
