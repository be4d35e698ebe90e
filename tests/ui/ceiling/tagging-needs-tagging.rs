use leastpriv_test_sdk::aws_sdk_s3;

#[leastpriv::role(s3(write, bucket = "${Archive}"))]
pub async fn archive(s3: &aws_sdk_s3::Client) -> Result<(), leastpriv_test_sdk::Error> {
    s3.put_object().bucket("x").key("a").tagging("tier=cold").send().await?;
    Ok(())
}

fn main() {}
