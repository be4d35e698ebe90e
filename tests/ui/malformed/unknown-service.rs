#[leastpriv::role(s4(read, bucket = "uploads"), dynamo(read, table = "t"))]
pub async fn handler() {}

fn main() {}
