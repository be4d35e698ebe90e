//! The order data access: every DynamoDB call of the function, on the orders and customers tables.

use std::collections::HashMap;
use std::env;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use lambda_http::Error;
use serde::{Deserialize, Serialize};

/// The global secondary index of the orders table: partition key `customerId`, sort key
/// `createdAt` (the template defines it under this name).
pub const CUSTOMER_INDEX: &str = "customer-index";

/// Most orders one customer listing returns.
const CUSTOMER_ORDERS_LIMIT: i32 = 50;

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    /// The product's stock keeping unit.
    pub sku: String,
    /// How many of it.
    pub quantity: u32,
}

/// An order as stored in the orders table and returned by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The order's id (the partition key).
    pub order_id: String,
    /// The customer who placed it (the index's partition key).
    pub customer_id: String,
    /// Where the confirmation goes.
    pub email: String,
    /// What was ordered.
    pub lines: Vec<OrderLine>,
    /// When it was placed, in seconds since the Unix epoch (the index's sort key).
    pub created_at: u64,
}

/// What placing an order came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The order is stored.
    Placed,
    /// An order with the same id exists already; nothing was written.
    DuplicateOrder,
    /// The customer is not in the customers table; nothing was written.
    UnknownCustomer,
}

/// The orders and customers tables, through one DynamoDB client.
#[derive(Debug, Clone)]
pub struct Store {
    client: aws_sdk_dynamodb::Client,
    orders_table: String,
    customers_table: String,
}

impl Store {
    /// A store on the tables named by `ORDERS_TABLE` and `CUSTOMERS_TABLE`.
    pub fn from_env(client: aws_sdk_dynamodb::Client) -> Result<Self, Error> {
        let orders_table = env::var("ORDERS_TABLE")?;
        let customers_table = env::var("CUSTOMERS_TABLE")?;
        Ok(Self { client, orders_table, customers_table })
    }

    /// The order with this id, if there is one.
    pub async fn order(&self, order_id: &str) -> Result<Option<Order>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.orders_table)
            .key("orderId", AttributeValue::S(order_id.to_owned()))
            .consistent_read(true)
            .send()
            .await?;
        output.item().map(order_from_item).transpose()
    }

    /// The customer's most recent orders, newest first, read from the customer index.
    pub async fn orders_of_customer(&self, customer_id: &str) -> Result<Vec<Order>, Error> {
        let output = self
            .client
            .query()
            .table_name(&self.orders_table)
            .index_name(CUSTOMER_INDEX)
            .key_condition_expression("customerId = :customer")
            .expression_attribute_values(":customer", AttributeValue::S(customer_id.to_owned()))
            .scan_index_forward(false)
            .limit(CUSTOMER_ORDERS_LIMIT)
            .send()
            .await?;
        output.items().iter().map(order_from_item).collect()
    }

    /// Stores a new order in one transaction that also checks the customer exists.
    pub async fn place(&self, order: &Order) -> Result<Placement, Error> {
        let put = Put::builder()
            .table_name(&self.orders_table)
            .set_item(Some(order_to_item(order)))
            .condition_expression("attribute_not_exists(orderId)")
            .build()?;
        let customer_exists = ConditionCheck::builder()
            .table_name(&self.customers_table)
            .key("customerId", AttributeValue::S(order.customer_id.clone()))
            .condition_expression("attribute_exists(customerId)")
            .build()?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().condition_check(customer_exists).build())
            .send()
            .await;

        match result {
            Ok(_) => Ok(Placement::Placed),
            Err(error) => {
                // Reasons come in the order of the transaction's items: the put, then the check.
                if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
                    error.as_service_error()
                {
                    let failed = |index: usize| {
                        cancelled.cancellation_reasons().get(index).and_then(|reason| reason.code())
                            == Some("ConditionalCheckFailed")
                    };
                    if failed(0) {
                        return Ok(Placement::DuplicateOrder);
                    }
                    if failed(1) {
                        return Ok(Placement::UnknownCustomer);
                    }
                }
                Err(error.into())
            }
        }
    }
}

/// The orders-table item of an order.
fn order_to_item(order: &Order) -> HashMap<String, AttributeValue> {
    let lines = order
        .lines
        .iter()
        .map(|line| {
            AttributeValue::M(HashMap::from([
                ("sku".to_owned(), AttributeValue::S(line.sku.clone())),
                ("quantity".to_owned(), AttributeValue::N(line.quantity.to_string())),
            ]))
        })
        .collect();
    HashMap::from([
        ("orderId".to_owned(), AttributeValue::S(order.order_id.clone())),
        ("customerId".to_owned(), AttributeValue::S(order.customer_id.clone())),
        ("email".to_owned(), AttributeValue::S(order.email.clone())),
        ("lines".to_owned(), AttributeValue::L(lines)),
        ("createdAt".to_owned(), AttributeValue::N(order.created_at.to_string())),
    ])
}

/// The order an orders-table item holds.
fn order_from_item(item: &HashMap<String, AttributeValue>) -> Result<Order, Error> {
    let lines = match item.get("lines") {
        Some(AttributeValue::L(lines)) => lines
            .iter()
            .map(|line| match line {
                AttributeValue::M(line) => {
                    Ok(OrderLine { sku: string(line, "sku")?, quantity: number(line, "quantity")? })
                }
                _ => Err(Error::from("order line is not a map")),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("order item without a `lines` list".into()),
    };
    Ok(Order {
        order_id: string(item, "orderId")?,
        customer_id: string(item, "customerId")?,
        email: string(item, "email")?,
        lines,
        created_at: number(item, "createdAt")?,
    })
}

/// A string attribute of an item.
fn string(item: &HashMap<String, AttributeValue>, name: &str) -> Result<String, Error> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value.clone()),
        _ => Err(format!("item without string attribute `{name}`").into()),
    }
}

/// A number attribute of an item.
fn number<T: std::str::FromStr>(
    item: &HashMap<String, AttributeValue>,
    name: &str,
) -> Result<T, Error> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => {
            value.parse().map_err(|_| format!("attribute `{name}` is out of range").into())
        }
        _ => Err(format!("item without number attribute `{name}`").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_round_trip_through_items() -> Result<(), Error> {
        let order = Order {
            order_id: "7f1c".to_owned(),
            customer_id: "c-42".to_owned(),
            email: "ada@example.com".to_owned(),
            lines: vec![
                OrderLine { sku: "BOOK-1".to_owned(), quantity: 2 },
                OrderLine { sku: "PEN-9".to_owned(), quantity: 1 },
            ],
            created_at: 1_767_225_600,
        };
        assert_eq!(order_from_item(&order_to_item(&order))?, order);
        Ok(())
    }

    #[test]
    fn malformed_items_are_errors() {
        let mut item = order_to_item(&Order {
            order_id: "1".to_owned(),
            customer_id: "c".to_owned(),
            email: "e@example.com".to_owned(),
            lines: Vec::new(),
            created_at: 0,
        });
        item.insert("createdAt".to_owned(), AttributeValue::S("yesterday".to_owned()));
        assert!(order_from_item(&item).is_err());
        item.remove("lines");
        assert!(order_from_item(&item).is_err());
    }
}
