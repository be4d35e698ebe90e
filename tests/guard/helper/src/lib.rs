//! A crate the handler's static analysis does not read: its SDK calls are seen only at run time.

/// Deletes one object: an operation the calling handler's role does not declare.
pub async fn tidy(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), aws_sdk_s3::Error> {
    s3.delete_object().bucket(bucket).key("stale").send().await?;
    Ok(())
}
