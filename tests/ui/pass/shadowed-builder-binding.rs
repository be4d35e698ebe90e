// `let x = match f(x) { Ok(x) => x, … }` rebinds a name to an expression that mentions it; reading
// builders bound ahead of a call must not loop on it (it once crashed the compiler).
use leastpriv_test_sdk::aws_sdk_s3;

fn shrink(bytes: Vec<u8>) -> Result<Vec<u8>, leastpriv_test_sdk::Error> {
    Ok(bytes)
}

#[leastpriv::role(s3(write, bucket = "thumbs"))]
pub async fn store(s3: &aws_sdk_s3::Client, bytes: Vec<u8>) -> Result<(), leastpriv_test_sdk::Error> {
    let bytes = match shrink(bytes) {
        Ok(bytes) => bytes,
        Err(err) => return Err(err),
    };
    s3.put_object().bucket("thumbs").key("a").body(bytes).send().await?;
    Ok(())
}

fn main() {
    assert_eq!(STORE_ROLE.actions(), ["s3:PutObject"]);
}
