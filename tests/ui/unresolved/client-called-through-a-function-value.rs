// A callback receives the client: the analysis cannot tell which function it is.
use leastpriv_test_sdk::aws_sdk_sqs;

#[leastpriv::role(sqs(write, queue = "${Jobs}"))]
pub async fn handler(
    sqs: &aws_sdk_sqs::Client,
    step: &dyn Fn(&aws_sdk_sqs::Client),
) -> Result<(), leastpriv_test_sdk::Error> {
    sqs.send_message().queue_url("jobs").message_body("m").send().await?;
    step(sqs);
    Ok(())
}

fn main() {}
