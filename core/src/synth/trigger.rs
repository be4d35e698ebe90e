//! Event sources: the actions the Lambda service performs with the function's role to poll a
//! `trigger` entry's queue or stream.

/// What polling a source of one service takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Polling {
    /// The IAM prefix of the source (`sqs`).
    pub prefix: &'static str,
    /// The actions the event source mapping needs, as documented by AWS.
    pub actions: &'static [&'static str],
    /// The DNS label of the service for `kms:ViaService` when the source is encrypted with a
    /// customer managed key (`kms_key = …` on the entry): Lambda reads through that service,
    /// which decrypts with the role's rights.
    pub via_service: &'static str,
}

/// The sources a function can be triggered by through an event source mapping.
pub(crate) const POLLING: &[Polling] = &[
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html ("Setting up
    // Lambda execution role permissions", the AWSLambdaSQSQueueExecutionRole managed policy) and
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-lambda-function-trigger.html
    // (kms:Decrypt for a queue encrypted with a customer managed key).
    Polling {
        prefix: "sqs",
        actions: &["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        via_service: "sqs",
    },
    // https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-create.html ("Lambda needs
    // the following permissions to manage resources related to your Kinesis data stream").
    // The AWSLambdaKinesisExecutionRole managed policy
    // (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaKinesisExecutionRole.html)
    // adds kinesis:ListStreams on `*`, which a mapping to one known stream does not use.
    // SubscribeToShard is granted on the stream's consumers (enhanced fan-out).
    Polling {
        prefix: "kinesis",
        actions: &[
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
            "kinesis:SubscribeToShard",
        ],
        via_service: "kinesis",
    },
    // https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-eventsourcemapping.html, the
    // AWSLambdaDynamoDBExecutionRole managed policy
    // (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaDynamoDBExecutionRole.html)
    // and https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/iam-policy-example-lamda-process-dynamodb-streams.html:
    // the stream actions on `table/NAME/stream/*`; ListStreams has no resource type (`*`).
    Polling {
        prefix: "dynamodb",
        actions: &[
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
        ],
        via_service: "dynamodb",
    },
];

/// The polling of a service's sources, if the service can trigger a function by polling.
pub(crate) fn polling(prefix: &str) -> Option<&'static Polling> {
    POLLING.iter().find(|p| p.prefix == prefix)
}
