//! What the inventory functions share beyond the store: the SDK configuration and JSON replies.

use lambda_http::{Body, Error, Response};
use serde_json::Value;

/// The AWS configuration of the function's environment.
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// A JSON reply with a status code.
pub fn json(status: u16, body: &Value) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?)
}
