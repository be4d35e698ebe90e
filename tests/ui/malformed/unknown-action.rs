#[leastpriv::role(s3(actions = ["s3:GetObjet", "dynamodb:GetItem", "GetObject"], bucket = "b"))]
pub async fn handler() {}

fn main() {}
