use leastpriv_test_sdk::aws_sdk_dynamodb::{self, types::{Put, TransactWriteItem}};

#[leastpriv::role(dynamodb(read, table = "customers"))]
pub async fn place(client: &aws_sdk_dynamodb::Client) -> Result<(), leastpriv_test_sdk::Error> {
    let put = TransactWriteItem::builder()
        .put(Put::builder().table_name("customers").item("1").build()?)
        .build()?;
    client.transact_write_items().transact_items(put).send().await?;
    Ok(())
}

fn main() {}
