#[leastpriv::role(
    s3(read, bucket = "b", allow_unused),
    name = "resize-image",
    log_retention_days = 10,
    path = "app",
    tags = ["Team"],
    timeout = 3,
)]
pub async fn handler() {}

fn main() {}
