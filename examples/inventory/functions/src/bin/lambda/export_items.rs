//! Lambda function `export-items`: every night, writes the whole inventory as one JSON object to
//! the export bucket (`exports/<request id>.json`).

use inventory_shared::{DynamoStore, ItemStore};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = inventory_functions::aws_config().await;
    let store = DynamoStore::from_env(aws_sdk_dynamodb::Client::new(&config))?;
    let s3 = aws_sdk_s3::Client::new(&config);
    let bucket = std::env::var("EXPORT_BUCKET")?;
    lambda_runtime::run(service_fn(|event| export_items(&store, &s3, &bucket, event))).await
}

/// Scans the table and writes the snapshot.
#[leastpriv::role(
    dynamodb(read, table = "${ItemsTable}", env = "TABLE_NAME"),
    s3(write, bucket = "${ExportBucket}", key = "exports/*", env = "EXPORT_BUCKET")
)]
async fn export_items<S: ItemStore>(
    store: &S,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    event: LambdaEvent<Value>,
) -> Result<(), Error> {
    let items = store.snapshot().await?;
    let body = serde_json::to_vec(&items)?;
    s3.put_object()
        .bucket(bucket)
        .key(format!("exports/{}.json", event.context.request_id))
        .content_type("application/json")
        .body(body.into())
        .send()
        .await?;
    Ok(())
}
