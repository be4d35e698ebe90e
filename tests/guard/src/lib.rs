//! Tests of leastpriv's runtime guard with real SDK clients and no network: clients pointed at a
//! closed local port, so a request that leaves fails with a connection error.
