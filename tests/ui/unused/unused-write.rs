use leastpriv_test_sdk::aws_sdk_s3;

#[leastpriv::role(s3(read, write, bucket = "${Uploads}"))]
pub async fn fetch(s3: &aws_sdk_s3::Client) -> Result<(), leastpriv_test_sdk::Error> {
    s3.get_object().bucket("u").key("k").send().await?;
    Ok(())
}

fn main() {}
