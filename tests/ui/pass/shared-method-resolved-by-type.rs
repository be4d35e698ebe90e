// `get_records` exists on both the Kinesis and the DynamoDB Streams clients; the parameter types
// say which is which.
use leastpriv_test_sdk::{aws_sdk_dynamodbstreams, aws_sdk_kinesis};

#[leastpriv::role(
    kinesis(read, stream = "${Clicks}"),
    dynamodb(read, table = "${Orders}"),
)]
pub async fn tail(
    clicks: &aws_sdk_kinesis::Client,
    orders: &aws_sdk_dynamodbstreams::Client,
) -> Result<(), leastpriv_test_sdk::Error> {
    clicks.get_records().shard_iterator("a").send().await?;
    orders.get_records().shard_iterator("b").send().await?;
    Ok(())
}

fn main() {
    assert_eq!(TAIL_ROLE.actions(), ["dynamodb:GetRecords", "kinesis:GetRecords"]);
}
