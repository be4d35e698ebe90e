#[leastpriv::role(s3(read), dynamodb(table = "orders"), xray(write))]
pub async fn handler() {}

fn main() {}
