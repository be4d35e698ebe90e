//! Lambda function `get-item`: `GET /items/{sku}` returns the item, or 404.

use inventory_functions::{aws_config, json};
use inventory_shared::{DynamoStore, ItemStore};
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let store = DynamoStore::from_env(aws_sdk_dynamodb::Client::new(&aws_config().await))?;
    lambda_http::run(service_fn(|request| get_item(&store, request))).await
}

/// Reads one item.
#[leastpriv::role(dynamodb(read, table = "${ItemsTable}", env = "TABLE_NAME"))]
async fn get_item<S: ItemStore>(store: &S, request: Request) -> Result<Response<Body>, Error> {
    let params = request.path_parameters();
    let Some(sku) = params.first("sku") else {
        return json(400, &json!({ "error": "missing sku" }));
    };
    match store.find(sku).await? {
        Some(item) => json(200, &serde_json::to_value(item)?),
        None => json(404, &json!({ "error": format!("no item {sku}") })),
    }
}
