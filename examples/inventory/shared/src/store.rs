//! Where items are kept: the `ItemStore` trait the handlers are written against, and its
//! DynamoDB implementation (tests use an in-memory one).

use std::fmt;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::model::Item;

/// A failed store operation.
#[derive(Debug)]
pub struct StoreError(String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    fn from_sdk(what: &str, err: impl std::error::Error) -> Self {
        StoreError(format!("{what}: {err}"))
    }
}

/// What the handlers need from the inventory.
#[allow(async_fn_in_trait)]
pub trait ItemStore {
    /// The item with this SKU.
    async fn find(&self, sku: &str) -> Result<Option<Item>, StoreError>;
    /// Creates or replaces an item.
    async fn save(&self, item: &Item) -> Result<(), StoreError>;
    /// Every item, page after page.
    async fn snapshot(&self) -> Result<Vec<Item>, StoreError>;
}

/// Items in a DynamoDB table keyed by `sku`.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore { client, table: table.into() }
    }

    /// A store over the table named by [`crate::TABLE_ENV`].
    pub fn from_env(client: Client) -> Result<Self, StoreError> {
        let table = std::env::var(crate::TABLE_ENV)
            .map_err(|_| StoreError(format!("{} is not set", crate::TABLE_ENV)))?;
        Ok(DynamoStore::new(client, table))
    }
}

impl ItemStore for DynamoStore {
    async fn find(&self, sku: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("sku", AttributeValue::S(sku.to_owned()))
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("GetItem", err))?;
        Ok(output.item().and_then(Item::from_record))
    }

    async fn save(&self, item: &Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.to_record()))
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("PutItem", err))?;
        Ok(())
    }

    async fn snapshot(&self) -> Result<Vec<Item>, StoreError> {
        let mut pages = self.client.scan().table_name(&self.table).into_paginator().send();
        let mut items = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| StoreError::from_sdk("Scan", err))?;
            items.extend(page.items().iter().filter_map(Item::from_record));
        }
        Ok(items)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;

    /// The test double: items in memory.
    #[derive(Default)]
    struct MemoryStore(RefCell<BTreeMap<String, Item>>);

    impl ItemStore for MemoryStore {
        async fn find(&self, sku: &str) -> Result<Option<Item>, StoreError> {
            Ok(self.0.borrow().get(sku).cloned())
        }

        async fn save(&self, item: &Item) -> Result<(), StoreError> {
            self.0.borrow_mut().insert(item.sku.clone(), item.clone());
            Ok(())
        }

        async fn snapshot(&self) -> Result<Vec<Item>, StoreError> {
            Ok(self.0.borrow().values().cloned().collect())
        }
    }

    /// Polls a future that never waits (the memory store's) to its end.
    fn ready<T>(future: impl std::future::Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                return value;
            }
        }
    }

    #[test]
    fn the_store_contract_holds_for_the_memory_store() {
        let store = MemoryStore::default();
        let item = Item { sku: "B-2".into(), name: "nut".into(), quantity: 3 };
        ready(store.save(&item)).unwrap();
        assert_eq!(ready(store.find("B-2")).unwrap(), Some(item.clone()));
        assert_eq!(ready(store.find("C-3")).unwrap(), None);
        assert_eq!(ready(store.snapshot()).unwrap(), vec![item]);
    }
}
