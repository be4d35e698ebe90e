//! The offline IAM catalog: services, actions, resource types, condition keys and SDK operations.
