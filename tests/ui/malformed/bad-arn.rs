#[leastpriv::role(
    xray(write, arn = "arn:${AWS::Partition}:s3:::bucket"),
    resource(read, arn = "arn:aws:notaservice:eu-west-1:1:thing/x"),
    resource(read, arn = "${SomeArn}"),
    rekognition(read, arn = "arn:aws-moon:rekognition:eu-west-1:1:collection/x"),
)]
pub async fn handler() {}

fn main() {}
