//! Lambda function `list-items`: `GET /items` returns every item.

use inventory_functions::{aws_config, json};
use inventory_shared::{DynamoStore, ItemStore};
use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let store = DynamoStore::from_env(aws_sdk_dynamodb::Client::new(&aws_config().await))?;
    lambda_http::run(service_fn(|request| list_items(&store, request))).await
}

/// Lists the inventory.
#[leastpriv::role(dynamodb(read, table = "${ItemsTable}", env = "TABLE_NAME"))]
async fn list_items<S: ItemStore>(store: &S, _request: Request) -> Result<Response<Body>, Error> {
    let items = store.snapshot().await?;
    json(200, &serde_json::to_value(items)?)
}
