//! Lambda function `put-item`: `PUT /items/{sku}` creates or replaces the item.

use inventory_functions::{aws_config, json};
use inventory_shared::{DynamoStore, Item, ItemStore};
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let store = DynamoStore::from_env(aws_sdk_dynamodb::Client::new(&aws_config().await))?;
    lambda_http::run(service_fn(|request| put_item(&store, request))).await
}

/// Stores the item in the request body under the path's SKU.
#[leastpriv::role(dynamodb(write, table = "${ItemsTable}", env = "TABLE_NAME"))]
async fn put_item<S: ItemStore>(store: &S, request: Request) -> Result<Response<Body>, Error> {
    let Some(sku) = request.path_parameters().first("sku").map(str::to_owned) else {
        return json(400, &json!({ "error": "missing sku" }));
    };
    let body: Value = match serde_json::from_slice(request.body().as_ref()) {
        Ok(body) => body,
        Err(err) => return json(400, &json!({ "error": err.to_string() })),
    };
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let quantity = body.get("quantity").and_then(Value::as_u64).unwrap_or(0);
    let item = Item { sku, name, quantity: u32::try_from(quantity)? };
    store.save(&item).await?;
    json(200, &serde_json::to_value(item)?)
}
