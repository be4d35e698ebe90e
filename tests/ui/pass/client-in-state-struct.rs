// Clients built once and kept in a state struct passed to the handler.
use leastpriv_test_sdk::{aws_sdk_s3, aws_sdk_sqs};
use std::sync::Arc;

pub struct State {
    pub s3: aws_sdk_s3::Client,
    pub queue: Arc<aws_sdk_sqs::Client>,
}

const QUEUE_URL_VAR: &str = "QUEUE_URL";

#[leastpriv::role(
    s3(list, bucket = "reports"),
    sqs(write, queue = "${JobsQueue}", env = "QUEUE_URL"),
)]
pub async fn enqueue(state: &State) -> Result<(), leastpriv_test_sdk::Error> {
    state.s3.list_objects_v2().bucket("reports").prefix("2026/").send().await?;
    let url = std::env::var(QUEUE_URL_VAR).unwrap_or_default();
    state.queue.send_message().queue_url(url).message_body("go").send().await?;
    Ok(())
}

fn main() {
    assert_eq!(ENQUEUE_ROLE.actions(), ["s3:ListBucket", "sqs:SendMessage"]);
}
