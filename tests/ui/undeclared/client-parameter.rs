use leastpriv_test_sdk::{aws_sdk_s3, aws_sdk_sns};

#[leastpriv::role(s3(read, bucket = "${Uploads}"))]
pub async fn notify(s3: &aws_sdk_s3::Client, sns: &aws_sdk_sns::Client) -> Result<(), leastpriv_test_sdk::Error> {
    s3.get_object().bucket("u").key("k").send().await?;
    sns.publish().topic_arn("arn:aws:sns:eu-west-1:1:t").message("hi").send().await?;
    Ok(())
}

fn main() {}
