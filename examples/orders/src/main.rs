//! Lambda function `orders`: an order API behind API Gateway (REST API, proxy integration).
//!
//! - `POST /orders` places an order: one DynamoDB transaction writes it to the orders table and
//!   checks that the customer exists in the customers table; then an `OrderPlaced` event goes to
//!   the custom EventBridge bus and a confirmation email goes out through SES.
//! - `GET /orders/{orderId}` reads one order.
//! - `GET /customers/{customerId}/orders` lists a customer's orders from the customer index.
//!
//! The DynamoDB calls live in [`store`]; the EventBridge and SES calls in helpers below.

mod store;

use std::env;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_sesv2::types::{Body as EmailBody, Content, Destination, EmailContent, Message};
use lambda_http::http::header::{CONTENT_TYPE, LOCATION};
use lambda_http::http::{Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::tracing::{info, warn};
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use serde::{Deserialize, Serialize};

use crate::store::{Order, OrderLine, Placement, Store};

/// The `source` of the events this function puts on the bus.
const EVENT_SOURCE: &str = "com.example.orders";
/// The `detail-type` of the event announcing a new order.
const ORDER_PLACED: &str = "OrderPlaced";
/// Most lines one order may have.
const MAX_LINES: usize = 100;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let events = aws_sdk_eventbridge::Client::new(&config);
    let ses = aws_sdk_sesv2::Client::new(&config);
    lambda_http::run(service_fn(|request| orders_api(&dynamodb, &events, &ses, request))).await
}

/// Serves one API Gateway request.
///
/// Client mistakes get a 4xx answer with a JSON `{"error": …}` body; AWS failures fail the
/// invocation, which API Gateway turns into a 502.
#[leastpriv::role(
    dynamodb(
        read,
        write,
        table = "${OrdersTable}",
        index = "customer-index",
        env = "ORDERS_TABLE"
    ),
    dynamodb(read, table = "${CustomersTable}", env = "CUSTOMERS_TABLE"),
    events(write, bus = "${OrdersBus.Name}", env = "EVENT_BUS_NAME"),
    ses(write, identity = "${SenderIdentity}", env = "SENDER")
)]
pub async fn orders_api(
    dynamodb: &aws_sdk_dynamodb::Client,
    events: &aws_sdk_eventbridge::Client,
    ses: &aws_sdk_sesv2::Client,
    request: Request,
) -> Result<Response<Body>, Error> {
    let store = Store::from_env(dynamodb.clone())?;
    match route(&request) {
        Route::PlaceOrder => place_order(&store, events, ses, &request).await,
        Route::Order(order_id) => match store.order(&order_id).await? {
            Some(order) => json(StatusCode::OK, &order),
            None => error(StatusCode::NOT_FOUND, "no such order"),
        },
        Route::CustomerOrders(customer_id) => {
            let orders = store.orders_of_customer(&customer_id).await?;
            json(StatusCode::OK, &CustomerOrders { customer_id, orders })
        }
        Route::NotFound => error(StatusCode::NOT_FOUND, "no such route"),
    }
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// `POST /orders`
    PlaceOrder,
    /// `GET /orders/{orderId}`
    Order(String),
    /// `GET /customers/{customerId}/orders`
    CustomerOrders(String),
    /// Anything else.
    NotFound,
}

/// Routes on the API Gateway resource (`/orders/{orderId}`), which is independent of the stage,
/// and takes the ids from the path parameters, which API Gateway has already URL-decoded.
fn route(request: &Request) -> Route {
    let resource = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.resource_path.as_deref(),
        _ => None,
    };
    let parameter = |name: &str| {
        request
            .path_parameters_ref()
            .and_then(|parameters| parameters.first(name))
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    match (request.method(), resource) {
        (&Method::POST, Some("/orders")) => Route::PlaceOrder,
        (&Method::GET, Some("/orders/{orderId}")) => {
            parameter("orderId").map_or(Route::NotFound, Route::Order)
        }
        (&Method::GET, Some("/customers/{customerId}/orders")) => {
            parameter("customerId").map_or(Route::NotFound, Route::CustomerOrders)
        }
        _ => Route::NotFound,
    }
}

/// The body of `POST /orders`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewOrder {
    customer_id: String,
    email: String,
    lines: Vec<OrderLine>,
}

impl NewOrder {
    /// Why the order cannot be placed as it is, if it cannot.
    fn problem(&self) -> Option<&'static str> {
        if self.customer_id.is_empty() || self.customer_id.len() > 128 {
            return Some("customerId must have 1 to 128 characters");
        }
        let (local, domain) = self.email.split_once('@').unwrap_or_default();
        if local.is_empty()
            || !domain.contains('.')
            || self.email.len() > 254
            || self.email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Some("email must be an email address");
        }
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            return Some("an order has 1 to 100 lines");
        }
        if self.lines.iter().any(|line| line.sku.is_empty() || line.quantity == 0) {
            return Some("every line needs a sku and a quantity of at least 1");
        }
        None
    }
}

/// The body of `GET /customers/{customerId}/orders`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerOrders {
    customer_id: String,
    orders: Vec<Order>,
}

/// `POST /orders`: stores the order, announces it on the bus, emails a confirmation.
async fn place_order(
    store: &Store,
    events: &aws_sdk_eventbridge::Client,
    ses: &aws_sdk_sesv2::Client,
    request: &Request,
) -> Result<Response<Body>, Error> {
    let new_order: NewOrder = match serde_json::from_slice(request.body().as_ref()) {
        Ok(new_order) => new_order,
        Err(parse_error) => {
            return error(StatusCode::BAD_REQUEST, &format!("invalid order: {parse_error}"));
        }
    };
    if let Some(problem) = new_order.problem() {
        return error(StatusCode::BAD_REQUEST, problem);
    }
    // The invocation's request id is unique, so it serves as the order id.
    let order_id = request
        .lambda_context_ref()
        .map(|context| context.request_id.clone())
        .ok_or("request without Lambda context")?;
    let order = Order {
        order_id,
        customer_id: new_order.customer_id,
        email: new_order.email,
        lines: new_order.lines,
        created_at: SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs(),
    };

    match store.place(&order).await? {
        Placement::Placed => {}
        Placement::DuplicateOrder => return error(StatusCode::CONFLICT, "order exists already"),
        Placement::UnknownCustomer => {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "unknown customer");
        }
    }
    info!(order_id = %order.order_id, "order placed");

    publish_order_placed(events, &order).await?;
    // The order stands even when the confirmation cannot be sent; the failure is logged.
    if let Err(send_error) = send_confirmation(ses, &order).await {
        warn!(order_id = %order.order_id, error = %send_error, "confirmation email not sent");
    }

    let mut response = json(StatusCode::CREATED, &order)?;
    response.headers_mut().insert(LOCATION, format!("/orders/{}", order.order_id).try_into()?);
    Ok(response)
}

/// Puts an `OrderPlaced` event carrying the order on the bus named by `EVENT_BUS_NAME`.
async fn publish_order_placed(
    events: &aws_sdk_eventbridge::Client,
    order: &Order,
) -> Result<(), Error> {
    let bus = env::var("EVENT_BUS_NAME")?;
    let entry = PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source(EVENT_SOURCE)
        .detail_type(ORDER_PLACED)
        .detail(serde_json::to_string(order)?)
        .build();
    let output = events.put_events().entries(entry).send().await?;
    if output.failed_entry_count() > 0 {
        let reason = output
            .entries()
            .iter()
            .find_map(|entry| entry.error_message())
            .unwrap_or("no reason given");
        return Err(format!("EventBridge rejected the {ORDER_PLACED} event: {reason}").into());
    }
    Ok(())
}

/// Emails the order confirmation from the identity named by `SENDER`.
async fn send_confirmation(ses: &aws_sdk_sesv2::Client, order: &Order) -> Result<(), Error> {
    let sender = env::var("SENDER")?;
    let subject = Content::builder()
        .data(format!("Your order {}", order.order_id))
        .charset("UTF-8")
        .build()?;
    let text = Content::builder().data(confirmation_text(order)).charset("UTF-8").build()?;
    let message =
        Message::builder().subject(subject).body(EmailBody::builder().text(text).build()).build();
    ses.send_email()
        .from_email_address(sender)
        .destination(Destination::builder().to_addresses(&order.email).build())
        .content(EmailContent::builder().simple(message).build())
        .send()
        .await?;
    Ok(())
}

/// The plain-text body of the confirmation email.
fn confirmation_text(order: &Order) -> String {
    let mut text = format!("Thank you for your order {}.\n\n", order.order_id);
    for line in &order.lines {
        text.push_str(&format!("  {} × {}\n", line.quantity, line.sku));
    }
    text
}

/// A JSON response.
fn json(status: StatusCode, value: &impl Serialize) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_string(value)?))?)
}

/// A JSON error response: `{"error": message}`.
fn error(status: StatusCode, message: &str) -> Result<Response<Body>, Error> {
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        error: &'a str,
    }
    json(status, &ErrorBody { error: message })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_order(body: &str) -> Result<NewOrder, serde_json::Error> {
        serde_json::from_str(body)
    }

    #[test]
    fn accepts_a_well_formed_order() -> Result<(), serde_json::Error> {
        let order = new_order(
            r#"{"customerId":"c-42","email":"ada@example.com","lines":[{"sku":"BOOK-1","quantity":2}]}"#,
        )?;
        assert_eq!(order.problem(), None);
        Ok(())
    }

    #[test]
    fn rejects_orders_it_cannot_place() -> Result<(), serde_json::Error> {
        let cases = [
            r#"{"customerId":"","email":"ada@example.com","lines":[{"sku":"A","quantity":1}]}"#,
            r#"{"customerId":"c","email":"ada","lines":[{"sku":"A","quantity":1}]}"#,
            r#"{"customerId":"c","email":"a da@example.com","lines":[{"sku":"A","quantity":1}]}"#,
            r#"{"customerId":"c","email":"ada@example.com","lines":[]}"#,
            r#"{"customerId":"c","email":"ada@example.com","lines":[{"sku":"A","quantity":0}]}"#,
        ];
        for body in cases {
            assert!(new_order(body)?.problem().is_some(), "accepted {body}");
        }
        assert!(new_order(r#"{"customerId":"c","email":"a@b.c","lines":[],"x":1}"#).is_err());
        Ok(())
    }

    /// A REST API proxy event as API Gateway sends it (trimmed).
    fn api_gateway_request(
        method: &str,
        resource: &str,
        path: &str,
        parameters: &str,
    ) -> Result<Request, serde_json::Error> {
        lambda_http::request::from_str(&format!(
            r#"{{"resource":"{resource}","path":"{path}","httpMethod":"{method}",
                "headers":{{"Host":"abc123.execute-api.eu-west-1.amazonaws.com"}},
                "pathParameters":{parameters},
                "requestContext":{{"resourcePath":"{resource}","httpMethod":"{method}",
                    "stage":"Prod","requestId":"r-1","accountId":"123456789012",
                    "apiId":"abc123","identity":{{}}}},
                "body":null,"isBase64Encoded":false}}"#
        ))
    }

    #[test]
    fn routes_on_the_api_gateway_resource() -> Result<(), serde_json::Error> {
        let post = api_gateway_request("POST", "/orders", "/orders", "null")?;
        assert_eq!(route(&post), Route::PlaceOrder);
        let get = api_gateway_request(
            "GET",
            "/orders/{orderId}",
            "/orders/o%201",
            r#"{"orderId":"o 1"}"#,
        )?;
        assert_eq!(route(&get), Route::Order("o 1".to_owned()));
        let list = api_gateway_request(
            "GET",
            "/customers/{customerId}/orders",
            "/customers/c-42/orders",
            r#"{"customerId":"c-42"}"#,
        )?;
        assert_eq!(route(&list), Route::CustomerOrders("c-42".to_owned()));
        let wrong_method = api_gateway_request("DELETE", "/orders", "/orders", "null")?;
        assert_eq!(route(&wrong_method), Route::NotFound);
        Ok(())
    }

    #[test]
    fn error_responses_are_json() -> Result<(), Error> {
        let response = error(StatusCode::NOT_FOUND, "no such order")?;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.body().as_ref(), br#"{"error":"no such order"}"#);
        Ok(())
    }
}

#[cfg(test)]
mod role {
    #[test]
    fn derived_role_matches_the_calls() {
        let role = super::ORDERS_API_ROLE;
        assert_eq!(
            role.actions(),
            [
                "dynamodb:ConditionCheckItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "events:PutEvents",
                "ses:SendEmail",
            ]
        );
        let grants = role.grants();
        let grants_of = |action: &str| -> Vec<Option<&str>> {
            (role.requirements().into_iter())
                .filter(|r| r.action == action)
                .map(|r| grants[r.grant].env)
                .collect()
        };
        // The transaction writes the orders table and only checks the customers table.
        assert_eq!(grants_of("dynamodb:PutItem"), [Some("ORDERS_TABLE")]);
        assert_eq!(grants_of("dynamodb:ConditionCheckItem"), [Some("CUSTOMERS_TABLE")]);
        assert_eq!(grants_of("dynamodb:Query"), [Some("ORDERS_TABLE")]);
    }
}
