#[leastpriv::role(s3(raed, buckt = "uploads"), sqs(read, queue = "q", topic = "t"))]
pub async fn handler() {}

fn main() {}
