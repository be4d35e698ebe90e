#[leastpriv::role(s3(read, bucket = "b"))]
pub struct Handler;

fn main() {}
