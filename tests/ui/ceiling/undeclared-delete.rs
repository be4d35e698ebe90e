use leastpriv_test_sdk::aws_sdk_s3;

#[leastpriv::role(s3(read, bucket = "${UploadBucket}", env = "UPLOAD_BUCKET"))]
pub async fn cleanup(s3: &aws_sdk_s3::Client) -> Result<(), leastpriv_test_sdk::Error> {
    let bucket = std::env::var("UPLOAD_BUCKET").unwrap_or_default();
    s3.get_object().bucket(&bucket).key("a").send().await?;
    s3.delete_object().bucket(&bucket).key("a").send().await?;
    Ok(())
}

fn main() {}
