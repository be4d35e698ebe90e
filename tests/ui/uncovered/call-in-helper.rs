use leastpriv_test_sdk::aws_sdk_sqs;

mod outbox {
    use leastpriv_test_sdk::aws_sdk_sqs;

    pub async fn drain(client: &aws_sdk_sqs::Client, url: &str) -> Result<(), leastpriv_test_sdk::Error> {
        client.receive_message().queue_url(url).send().await?;
        client.delete_message().queue_url(url).receipt_handle("r").send().await?;
        Ok(())
    }
}

#[leastpriv::role(sqs(read, queue = "${Outbox}", env = "OUTBOX_URL"))]
pub async fn handler(client: &aws_sdk_sqs::Client) -> Result<(), leastpriv_test_sdk::Error> {
    let url = std::env::var("OUTBOX_URL").unwrap_or_default();
    outbox::drain(client, &url).await
}

fn main() {}
