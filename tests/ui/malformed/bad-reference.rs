#[leastpriv::role(
    s3(read, bucket = "${UploadBucket"),
    sqs(read, queue = "${AWS::Regoin}-jobs"),
    sns(write, topic = "${}"),
)]
pub async fn handler() {}

fn main() {}
