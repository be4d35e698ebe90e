//! Lambda function `queue-worker`: signs the jobs arriving on an SQS queue, forwards them to the
//! next queue and announces each forwarded job on an SNS topic.
//!
//! Per invocation it reads the signing key from Secrets Manager (`SECRET_NAME`; the secret is
//! encrypted with a customer managed KMS key), sends the jobs with an HMAC-SHA256 `signature`
//! message attribute to the KMS-encrypted queue at `FORWARD_QUEUE_URL` in batches, and publishes
//! one notification per forwarded job to `TOPIC_ARN` in batches. Jobs that could not be forwarded
//! or announced are reported back as batch item failures, so SQS redelivers only those.

use std::env;

use aws_config::BehaviorVersion;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sns::types::PublishBatchRequestEntry;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use hmac::{Hmac, KeyInit, Mac};
use lambda_runtime::tracing::{info, warn};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::Serialize;
use sha2::Sha256;

/// Most entries one `SendMessageBatch` or `PublishBatch` call takes.
const BATCH_LIMIT: usize = 10;
/// The message attribute carrying the hex HMAC-SHA256 of the body.
const SIGNATURE_ATTRIBUTE: &str = "signature";
/// The message attribute carrying the id of the message the job arrived in.
const SOURCE_ATTRIBUTE: &str = "source-message-id";

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    lambda_runtime::run(service_fn(|event| forward_jobs(&secrets, &sns, &sqs, event))).await
}

/// A job taken from the incoming batch.
#[derive(Debug)]
struct Job {
    message_id: String,
    body: String,
}

/// The notification published for each forwarded job.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Forwarded<'a> {
    message_id: &'a str,
    forwarded_message_id: &'a str,
    bytes: usize,
}

/// Signs, forwards and announces every job of the batch.
///
/// Failing to read the signing key fails the whole invocation (SQS redelivers the batch); any
/// other failure is per job and lands in the returned batch item failures.
#[leastpriv::role(
    sqs(trigger, queue = "${JobsQueue.QueueName}"),
    secretsmanager(
        read,
        secret = "${AWS::StackName}-signing-key",
        kms_key = "${WorkerKey}",
        env = "SECRET_NAME"
    ),
    sqs(
        write,
        queue = "${ForwardQueue.QueueName}",
        kms_key = "${WorkerKey}",
        env = "FORWARD_QUEUE_URL"
    ),
    sns(write, topic = "${NotificationsTopic.TopicName}", env = "TOPIC_ARN")
)]
pub async fn forward_jobs(
    secrets: &aws_sdk_secretsmanager::Client,
    sns: &aws_sdk_sns::Client,
    sqs: &aws_sdk_sqs::Client,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let secret_name = env::var("SECRET_NAME")?;
    let topic_arn = env::var("TOPIC_ARN")?;
    let queue_url = env::var("FORWARD_QUEUE_URL")?;

    let secret = secrets.get_secret_value().secret_id(&secret_name).send().await?;
    let key = secret.secret_string().ok_or("the signing secret has no string value")?;

    let mut response = SqsBatchResponse::default();
    let mut jobs = Vec::with_capacity(event.payload.records.len());
    for message in event.payload.records {
        match (message.message_id, message.body) {
            (Some(message_id), Some(body)) => jobs.push(Job { message_id, body }),
            (Some(message_id), None) => {
                warn!(%message_id, "message without a body");
                response.add_failure(message_id);
            }
            (None, _) => warn!("message without an id; cannot be forwarded or reported"),
        }
    }

    for chunk in jobs.chunks(BATCH_LIMIT) {
        let forwarded = match forward(sqs, &queue_url, key, chunk).await {
            Ok(forwarded) => forwarded,
            Err(error) => {
                warn!(%error, "forwarding a batch failed");
                vec![None; chunk.len()]
            }
        };
        let announced = match announce(sns, &topic_arn, chunk, &forwarded).await {
            Ok(announced) => announced,
            Err(error) => {
                warn!(%error, "announcing a batch failed");
                vec![false; chunk.len()]
            }
        };
        for ((job, forwarded), announced) in chunk.iter().zip(&forwarded).zip(announced) {
            if forwarded.is_none() || !announced {
                response.add_failure(job.message_id.clone());
            }
        }
    }
    info!(jobs = jobs.len(), failures = response.batch_item_failures.len(), "batch done");
    Ok(response)
}

/// Sends the signed jobs to the forward queue; for each job, the id of its forwarded message
/// (`None` where the queue refused it).
async fn forward(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    key: &str,
    jobs: &[Job],
) -> Result<Vec<Option<String>>, Error> {
    let mut entries = Vec::with_capacity(jobs.len());
    for (index, job) in jobs.iter().enumerate() {
        let signature = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(sign(key.as_bytes(), &job.body)?)
            .build()?;
        let source = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&job.message_id)
            .build()?;
        entries.push(
            SendMessageBatchRequestEntry::builder()
                .id(index.to_string())
                .message_body(&job.body)
                .message_attributes(SIGNATURE_ATTRIBUTE, signature)
                .message_attributes(SOURCE_ATTRIBUTE, source)
                .build()?,
        );
    }
    let output =
        sqs.send_message_batch().queue_url(queue_url).set_entries(Some(entries)).send().await?;

    let mut forwarded = vec![None; jobs.len()];
    for entry in output.successful() {
        if let Some(slot) =
            entry.id().parse::<usize>().ok().and_then(|index| forwarded.get_mut(index))
        {
            *slot = Some(entry.message_id().to_owned());
        }
    }
    for entry in output.failed() {
        warn!(entry = entry.id(), code = entry.code(), "forward queue refused a job");
    }
    Ok(forwarded)
}

/// Publishes one notification per forwarded job; for each job, whether it was announced
/// (never for a job that was not forwarded).
async fn announce(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    jobs: &[Job],
    forwarded: &[Option<String>],
) -> Result<Vec<bool>, Error> {
    let mut entries = Vec::with_capacity(jobs.len());
    for (index, (job, forwarded)) in jobs.iter().zip(forwarded).enumerate() {
        let Some(forwarded_message_id) = forwarded else { continue };
        let notification =
            Forwarded { message_id: &job.message_id, forwarded_message_id, bytes: job.body.len() };
        entries.push(
            PublishBatchRequestEntry::builder()
                .id(index.to_string())
                .message(serde_json::to_string(&notification)?)
                .build()?,
        );
    }
    let mut announced = vec![false; jobs.len()];
    if entries.is_empty() {
        return Ok(announced);
    }
    let output = sns
        .publish_batch()
        .topic_arn(topic_arn)
        .set_publish_batch_request_entries(Some(entries))
        .send()
        .await?;

    for entry in output.successful() {
        if let Some(slot) = entry
            .id()
            .and_then(|id| id.parse::<usize>().ok())
            .and_then(|index| announced.get_mut(index))
        {
            *slot = true;
        }
    }
    for entry in output.failed() {
        warn!(entry = entry.id(), code = entry.code(), "topic refused a notification");
    }
    Ok(announced)
}

/// The lower-case hex HMAC-SHA256 of `body` under `key`.
fn sign(key: &[u8], body: &str) -> Result<String, Error> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| "unusable HMAC key")?;
    mac.update(body.as_bytes());
    let tag = mac.finalize().into_bytes();
    Ok(tag.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn signs_with_hmac_sha256() -> Result<(), lambda_runtime::Error> {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", "what do ya want for nothing?")?,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        Ok(())
    }
}

#[cfg(test)]
mod role {
    #[test]
    fn derived_role_includes_kms_for_encrypted_resources() {
        let role = super::FORWARD_JOBS_ROLE;
        assert_eq!(
            role.actions(),
            [
                "kms:Decrypt",
                "kms:GenerateDataKey",
                "secretsmanager:GetSecretValue",
                "sns:Publish",
                "sqs:SendMessage",
            ]
        );
    }
}
