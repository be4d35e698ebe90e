// The DESIGN's example: reads uploads from one bucket, writes thumbnails to another, told apart
// by the environment variables that carry their names.
use leastpriv_test_sdk::aws_sdk_s3;

#[leastpriv::role(
    s3(read, bucket = "${UploadBucket}", key = "incoming/*", env = "UPLOAD_BUCKET"),
    s3(write, bucket = "${ThumbnailBucket}", key = "thumbs/*", env = "THUMBNAIL_BUCKET"),
)]
pub async fn resize(s3: &aws_sdk_s3::Client, key: &str) -> Result<(), leastpriv_test_sdk::Error> {
    let upload = std::env::var("UPLOAD_BUCKET").unwrap_or_default();
    let thumbs = std::env::var("THUMBNAIL_BUCKET").unwrap_or_default();
    let _src = s3.get_object().bucket(&upload).key(key).send().await?;
    s3.put_object().bucket(&thumbs).key(format!("thumbs/{key}")).body(vec![0u8]).send().await?;
    Ok(())
}

fn main() {
    assert_eq!(RESIZE_ROLE.name(), "Resize");
    assert_eq!(RESIZE_ROLE.actions(), ["s3:GetObject", "s3:PutObject"]);
    assert_eq!(RESIZE_ROLE.requirements()[0].grant, 0);
    assert_eq!(RESIZE_ROLE.requirements()[1].grant, 1);
}
