use leastpriv_test_sdk::aws_sdk_s3;

#[leastpriv::role(s3(read, bucket = "${UploadBucket}", env = "UPLOAD_BUCKET"))]
pub async fn copy(s3: &aws_sdk_s3::Client) -> Result<(), leastpriv_test_sdk::Error> {
    let other = std::env::var("PAYMENTS_BUCKET").unwrap_or_default();
    s3.get_object().bucket(other).key("card.csv").send().await?;
    Ok(())
}

fn main() {}
