//! An inventory item and its DynamoDB form.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

/// One stock-keeping unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The SKU, the table's partition key.
    pub sku: String,
    /// What it is.
    pub name: String,
    /// Units in stock.
    pub quantity: u32,
}

impl Item {
    /// The item as a DynamoDB record.
    pub fn to_record(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("sku".to_owned(), AttributeValue::S(self.sku.clone())),
            ("name".to_owned(), AttributeValue::S(self.name.clone())),
            ("quantity".to_owned(), AttributeValue::N(self.quantity.to_string())),
        ])
    }

    /// The item a DynamoDB record holds, if it is one.
    pub fn from_record(record: &HashMap<String, AttributeValue>) -> Option<Item> {
        let text = |key: &str| record.get(key).and_then(|v| v.as_s().ok()).cloned();
        let quantity = record.get("quantity").and_then(|v| v.as_n().ok())?.parse().ok()?;
        Some(Item { sku: text("sku")?, name: text("name")?, quantity })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_the_item() {
        let item = Item { sku: "A-1".into(), name: "bolt".into(), quantity: 40 };
        assert_eq!(Item::from_record(&item.to_record()), Some(item));
    }

    #[test]
    fn a_record_without_quantity_is_no_item() {
        let mut record = Item { sku: "A-1".into(), name: "bolt".into(), quantity: 1 }.to_record();
        record.remove("quantity");
        assert_eq!(Item::from_record(&record), None);
    }
}
