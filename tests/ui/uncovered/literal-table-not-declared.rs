use leastpriv_test_sdk::aws_sdk_dynamodb;

#[leastpriv::role(dynamodb(read, table = "orders"))]
pub async fn lookup(client: &aws_sdk_dynamodb::Client) -> Result<(), leastpriv_test_sdk::Error> {
    client.get_item().table_name("payments").key("1").send().await?;
    Ok(())
}

fn main() {}
