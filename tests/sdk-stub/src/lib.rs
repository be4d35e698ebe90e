//! Stand-ins for the surface of aws-sdk-rust clients, for leastpriv's trybuild UI tests.
//!
//! trybuild compiles every case with all dev-dependencies of the package that runs it; the real
//! aws-sdk-* crates would make each UI run take minutes. These modules have the same paths
//! (`aws_sdk_s3::Client`, `aws_sdk_dynamodb::types::TransactWriteItem`) and fluent shape
//! (`client.op().setter(x).send().await`), which is all leastpriv's analysis reads. The examples
//! under `examples/` compile against the real crates.

/// Stand-in for `aws_config::SdkConfig`.
#[derive(Debug, Clone, Default)]
pub struct SdkConfig;

/// The error every stand-in call returns.
#[derive(Debug)]
pub struct Error;

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stand-in error")
    }
}

impl std::error::Error for Error {}

/// A fluent request builder: every setter takes any argument and returns the builder.
#[derive(Debug, Clone, Default)]
pub struct Fluent;

/// A nested model builder (`TransactWriteItem::builder()`).
#[derive(Debug, Clone, Default)]
pub struct Builder;

/// What `send()` returns.
#[derive(Debug, Clone, Default)]
pub struct Output;

macro_rules! setters {
    ($ty:ident: $($name:ident),* $(,)?) => {
        impl $ty {
            $(
                /// A setter.
                pub fn $name<T>(self, _value: T) -> Self {
                    self
                }
            )*
        }
    };
}

setters!(Fluent:
    bucket, key, body, version_id, acl, tagging, copy_source, prefix, delimiter,
    table_name, key_condition_expression, expression_attribute_values, index_name, item,
    transact_items, statement, request_items,
    queue_url, message_body, entries, receipt_handle, topic_arn, message, publish_batch_request_entries,
    secret_id, name, with_decryption, function_name, payload, key_id, plaintext, ciphertext_blob,
    from_email_address, destination, content, stream_name, shard_iterator, partition_key, data,
);
setters!(Builder:
    put, update, delete, condition_check, table_name, item, key, condition_expression,
    source, detail_type, detail, event_bus_name, id, message_body, message,
);

impl Fluent {
    /// Sends the request.
    pub async fn send(self) -> Result<Output, Error> {
        Ok(Output)
    }
}

impl Builder {
    /// Builds the model value.
    pub fn build(self) -> Result<Builder, Error> {
        Ok(self)
    }
}

macro_rules! sdk {
    ($(#[$doc:meta] $module:ident { $($op:ident),* $(,)? } types { $($model:ident),* })*) => {$(
        #[$doc]
        pub mod $module {
            /// Stand-in client.
            #[derive(Debug, Clone, Default)]
            pub struct Client;

            impl Client {
                /// Builds a client from shared configuration.
                pub fn new(_config: &crate::SdkConfig) -> Self {
                    Client
                }
                $(
                    /// An operation.
                    pub fn $op(&self) -> crate::Fluent {
                        crate::Fluent
                    }
                )*
            }

            /// Model types.
            pub mod types {
                $(
                    /// A model type.
                    #[derive(Debug, Clone, Default)]
                    pub struct $model;

                    impl $model {
                        /// Its builder.
                        pub fn builder() -> crate::Builder {
                            crate::Builder
                        }
                    }
                )*
            }
        }
    )*};
}

sdk! {
    /// Stand-in for aws-sdk-s3.
    aws_sdk_s3 { get_object, put_object, delete_object, list_objects_v2, copy_object, head_object } types { ObjectIdentifier }
    /// Stand-in for aws-sdk-dynamodb.
    aws_sdk_dynamodb { get_item, put_item, query, delete_item, transact_write_items, execute_statement, describe_endpoints } types { TransactWriteItem, Put, ConditionCheck, Delete, Update }
    /// Stand-in for aws-sdk-dynamodbstreams.
    aws_sdk_dynamodbstreams { get_records, get_shard_iterator, describe_stream } types { }
    /// Stand-in for aws-sdk-kinesis.
    aws_sdk_kinesis { get_records, put_record, get_shard_iterator, describe_stream } types { }
    /// Stand-in for aws-sdk-sqs.
    aws_sdk_sqs { send_message, send_message_batch, receive_message, delete_message } types { SendMessageBatchRequestEntry }
    /// Stand-in for aws-sdk-sns.
    aws_sdk_sns { publish, publish_batch } types { PublishBatchRequestEntry }
    /// Stand-in for aws-sdk-secretsmanager.
    aws_sdk_secretsmanager { get_secret_value, put_secret_value } types { }
    /// Stand-in for aws-sdk-ssm.
    aws_sdk_ssm { get_parameter, put_parameter } types { }
    /// Stand-in for aws-sdk-eventbridge.
    aws_sdk_eventbridge { put_events } types { PutEventsRequestEntry }
    /// Stand-in for aws-sdk-sesv2.
    aws_sdk_sesv2 { send_email } types { }
    /// Stand-in for aws-sdk-sts.
    aws_sdk_sts { get_caller_identity } types { }
    /// Stand-in for aws-sdk-lambda.
    aws_sdk_lambda { invoke } types { }
}
