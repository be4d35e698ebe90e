// Data access in its own module, behind a struct holding the client in a field; the handler
// reaches it through a method call.
use leastpriv_test_sdk::aws_sdk_dynamodb;

mod store {
    use leastpriv_test_sdk::aws_sdk_dynamodb;

    pub struct Store {
        client: aws_sdk_dynamodb::Client,
        table: String,
    }

    impl Store {
        pub fn new(client: aws_sdk_dynamodb::Client) -> Self {
            let table = std::env::var("ORDERS_TABLE").unwrap_or_default();
            Store { client, table }
        }

        pub async fn order(&self, id: &str) -> Result<(), leastpriv_test_sdk::Error> {
            self.client.get_item().table_name(&self.table).key(id).send().await?;
            Ok(())
        }
    }
}

#[leastpriv::role(dynamodb(read, table = "${OrdersTable}", env = "ORDERS_TABLE"))]
pub async fn get_order(
    client: &aws_sdk_dynamodb::Client,
    id: &str,
) -> Result<(), leastpriv_test_sdk::Error> {
    let store = store::Store::new(client.clone());
    store.order(id).await
}

fn main() {
    assert_eq!(GET_ORDER_ROLE.actions(), ["dynamodb:GetItem"]);
}
