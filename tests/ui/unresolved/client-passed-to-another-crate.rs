// The client is handed to a function of another crate: what it calls there cannot be seen.
use leastpriv_test_sdk::aws_sdk_s3;

#[leastpriv::role(s3(read, bucket = "${Uploads}"))]
pub async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), leastpriv_test_sdk::Error> {
    s3.get_object().bucket("u").key("k").send().await?;
    std::hint::black_box(s3);
    Ok(())
}

fn main() {}
