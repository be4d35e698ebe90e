// A transaction writes one table and only checks another: each item's action goes to its table.
use leastpriv_test_sdk::aws_sdk_dynamodb::{self, types::{ConditionCheck, Put, TransactWriteItem}};

#[leastpriv::role(
    dynamodb(write, table = "orders"),
    dynamodb(read, table = "customers"),
)]
pub async fn place(client: &aws_sdk_dynamodb::Client) -> Result<(), leastpriv_test_sdk::Error> {
    let put = TransactWriteItem::builder()
        .put(Put::builder().table_name("orders").item("1").build()?)
        .build()?;
    let check = TransactWriteItem::builder()
        .condition_check(
            ConditionCheck::builder()
                .table_name("customers")
                .key("c1")
                .condition_expression("attribute_exists(id)")
                .build()?,
        )
        .build()?;
    client.transact_write_items().transact_items(put).transact_items(check).send().await?;
    Ok(())
}

fn main() {
    assert_eq!(PLACE_ROLE.actions(), ["dynamodb:ConditionCheckItem", "dynamodb:PutItem"]);
    let put = PLACE_ROLE.requirements().into_iter().find(|r| r.action == "dynamodb:PutItem").unwrap();
    assert_eq!(put.grant, 0);
}
