#[leastpriv::role(
    s3(read, bucket = "${Uploads}"),
    s3(write, bucket = "${Uploads}"),
)]
pub async fn handler() {}

fn main() {}
