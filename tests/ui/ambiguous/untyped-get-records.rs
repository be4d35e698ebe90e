use leastpriv_test_sdk::aws_sdk_kinesis;

#[leastpriv::role(
    kinesis(read, stream = "${Clicks}"),
    dynamodb(read, table = "${Orders}"),
)]
pub async fn tail(
    clients: std::collections::HashMap<String, aws_sdk_kinesis::Client>,
) -> Result<(), leastpriv_test_sdk::Error> {
    for (_, client) in clients {
        client.get_records().shard_iterator("a").send().await?;
    }
    Ok(())
}

fn main() {}
