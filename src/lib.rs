//! leastpriv: per-function least-privilege IAM roles for Rust AWS Lambda handlers.
//!
//! Put [`role`] on a Lambda handler to declare the resources it may touch and how far; the
//! compiler then rejects the SDK calls the declaration does not cover and the grants the code never
//! uses, with errors on the offending tokens:
//!
//! ```ignore
//! #[leastpriv::role(
//!     s3(read, bucket = "${UploadBucketName}", key = "incoming/*", env = "UPLOAD_BUCKET"),
//!     s3(write, bucket = "${ThumbnailBucket}", key = "thumbs/*", env = "THUMBNAIL_BUCKET"),
//!     name = "ResizeImage",
//! )]
//! pub async fn resize(s3: &aws_sdk_s3::Client, event: LambdaEvent<S3Event>) -> Result<(), Error> {
//!     let upload = std::env::var("UPLOAD_BUCKET")?;
//!     let thumbs = std::env::var("THUMBNAIL_BUCKET")?;
//!     let object = s3.get_object().bucket(&upload).key(&key).send().await?; // s3:GetObject
//!     s3.put_object().bucket(&thumbs).key(&out).body(bytes).send().await?; // s3:PutObject
//!     Ok(())
//! }
//!
//! assert_eq!(RESIZE_ROLE.actions(), ["s3:GetObject", "s3:PutObject"]);
//! ```
//!
//! Each entry is `SERVICE(ACCESS…, KEY = "VALUE", …)`: the IAM service prefix (`s3`, `dynamodb`,
//! `sqs`, `sns`, `events`, `states`, `lambda`, `kms`, `secretsmanager`, `ssm`, `kinesis`,
//! `firehose`, `ses`, `bedrock`, `execute_api`, `logs`, any other prefix with `arn = "…"`, or
//! `resource(arn = "…")`), access levels (`read`, `write`, `list`, `tagging`, `permissions`) or
//! exact `actions = [...]`, the resource's keys (`bucket`, `table`, `queue`, …), `env = "VAR"`
//! naming the environment variable that carries the resource's name to the code, `kms_key` for a
//! customer managed key, `trigger` for the event source and `allow_unused` for access the analysis
//! cannot see. Role options: `name`, `log_retention_days`, `boundary`, `path`, `tags`. The README
//! has the full grammar, the checks and what the analysis cannot see; the crates under
//! `examples/` are complete, deployable handlers.
//!
//! The attribute leaves the handler unchanged and adds `<HANDLER>_ROLE: leastpriv::Role` (see
//! [`Role`]). This crate is all a Lambda binary links: the `Role` types, plain static data. The
//! analysis, the IAM catalog and the policy model live in `leastpriv-core`, which only the
//! attribute (inside the compiler) and the `leastpriv` command line (`check`, `infer`, `synth`,
//! `explain`, `simulate`) use; neither it nor its parser is compiled for the Lambda's target.

mod constant;
#[cfg(feature = "runtime")]
mod guard;

pub use constant::{AccessLevel, AllowedOperation, Grant, Operations, RequiredAction, Role};
#[cfg(feature = "runtime")]
pub use guard::{Call, Decision, Guard, GuardError, Mode, Recorder};
/// Declares what a Lambda handler may touch and checks its SDK calls against it (see the crate
/// documentation for the grammar).
pub use leastpriv_macros::role;
