// sts:GetCallerIdentity needs no permission (no entry needed); a grant used where the analysis
// cannot see it is kept with `allow_unused`.
use leastpriv_test_sdk::{aws_sdk_sqs, aws_sdk_sts};

#[leastpriv::role(sqs(write, queue = "${Outbox}", allow_unused))]
pub async fn whoami(sts: &aws_sdk_sts::Client, _sqs: &aws_sdk_sqs::Client) -> Result<(), leastpriv_test_sdk::Error> {
    sts.get_caller_identity().send().await?;
    Ok(())
}

fn main() {
    assert!(WHOAMI_ROLE.requirements().is_empty());
    assert_eq!(WHOAMI_ROLE.grants().len(), 1);
}
