use leastpriv_test_sdk::aws_sdk_dynamodb::{self, types::TransactWriteItem};

fn items() -> Vec<TransactWriteItem> {
    Vec::new()
}

#[leastpriv::role(dynamodb(write, table = "orders"))]
pub async fn place(client: &aws_sdk_dynamodb::Client) -> Result<(), leastpriv_test_sdk::Error> {
    client.transact_write_items().transact_items(items()).send().await?;
    Ok(())
}

fn main() {}
