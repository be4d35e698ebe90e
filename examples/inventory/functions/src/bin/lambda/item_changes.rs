//! Lambda function `item-changes`: reads the items table's DynamoDB stream and announces every
//! change on an SNS topic. Lambda polls the stream with the function's role: the template's
//! `Events` say so, and `leastpriv synth` grants the polling from there (no `trigger` entry).

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = inventory_functions::aws_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let topic = std::env::var("TOPIC_ARN")?;
    lambda_runtime::run(service_fn(|event| announce_changes(&sns, &topic, event))).await
}

/// Publishes one message per changed item.
#[leastpriv::role(sns(write, topic = "${ItemEventsTopic.TopicName}", env = "TOPIC_ARN"))]
async fn announce_changes(
    sns: &aws_sdk_sns::Client,
    topic: &str,
    event: LambdaEvent<Event>,
) -> Result<(), Error> {
    for record in &event.payload.records {
        let sku = record.change.keys.get("sku").map(|v| format!("{v:?}")).unwrap_or_default();
        let message = json!({ "event": record.event_name, "sku": sku });
        sns.publish().topic_arn(topic).message(message.to_string()).send().await?;
    }
    Ok(())
}
