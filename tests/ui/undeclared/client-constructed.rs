use leastpriv_test_sdk::{aws_sdk_s3, aws_sdk_secretsmanager, SdkConfig};

#[leastpriv::role(s3(read, bucket = "${Uploads}"))]
pub async fn handler(config: &SdkConfig, s3: &aws_sdk_s3::Client) -> Result<(), leastpriv_test_sdk::Error> {
    s3.get_object().bucket("u").key("k").send().await?;
    let secrets = aws_sdk_secretsmanager::Client::new(config);
    secrets.get_secret_value().secret_id("db").send().await?;
    Ok(())
}

fn main() {}
