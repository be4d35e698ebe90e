//! The inventory functions' shared library: the item model and where items are kept.

pub mod model;
pub mod store;

pub use model::Item;
pub use store::{DynamoStore, ItemStore, StoreError};

/// The environment variable naming the items table (set for every function in the template's
/// `Globals`).
pub const TABLE_ENV: &str = "TABLE_NAME";
