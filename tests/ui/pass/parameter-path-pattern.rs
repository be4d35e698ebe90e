// A literal parameter name in the code matches the declared path pattern.
use leastpriv_test_sdk::aws_sdk_ssm;

#[leastpriv::role(ssm(read, parameter = "/app/db/*"))]
pub async fn settings(ssm: &aws_sdk_ssm::Client) -> Result<(), leastpriv_test_sdk::Error> {
    ssm.get_parameter().name("/app/db/url").send().await?;
    Ok(())
}

fn main() {
    assert_eq!(SETTINGS_ROLE.actions(), ["ssm:GetParameter"]);
}
