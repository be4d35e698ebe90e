// What the other crate does with the client is declared with explicit actions and
// `allow_unused`: the role keeps them, and the unresolved item is accounted for.
use leastpriv_test_sdk::aws_sdk_s3;

#[leastpriv::role(
    s3(read, bucket = "${Uploads}", actions = ["s3:DeleteObject"], allow_unused),
)]
pub async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), leastpriv_test_sdk::Error> {
    s3.get_object().bucket("u").key("k").send().await?;
    std::hint::black_box(s3);
    Ok(())
}

fn main() {
    assert_eq!(HANDLER_ROLE.actions(), ["s3:GetObject"]);
}
