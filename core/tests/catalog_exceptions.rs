//! The catalog answers correctly for the exceptions table and the non-obvious operations of the
//! services Lambda functions use most. Each row: crate, method, setters used, expected actions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use leastpriv_core::catalog::{Catalog, ImpliedKind, Mapping, SetterUse};

fn actions(krate: &str, method: &str, setters: &[&str]) -> Vec<String> {
    let catalog = Catalog::embedded().unwrap();
    let op =
        catalog.sdk_operation(krate, method).unwrap_or_else(|e| panic!("{krate} {method}: {e}"));
    let setters: Vec<SetterUse> = setters.iter().map(|s| SetterUse::parse(s)).collect();
    op.resolve(&setters).actions
}

#[test]
fn non_obvious_operations_map_to_the_documented_actions() {
    let table: &[(&str, &str, &[&str], &[&str])] = &[
        // S3: renamed actions, setter-dependent versions, second resources.
        ("aws-sdk-s3", "list_objects_v2", &[], &["s3:ListBucket"]),
        ("aws-sdk-s3", "list_objects", &[], &["s3:ListBucket"]),
        ("aws-sdk-s3", "list_object_versions", &[], &["s3:ListBucketVersions"]),
        ("aws-sdk-s3", "head_bucket", &[], &["s3:ListBucket"]),
        ("aws-sdk-s3", "head_object", &[], &["s3:GetObject"]),
        ("aws-sdk-s3", "list_buckets", &[], &["s3:ListAllMyBuckets"]),
        ("aws-sdk-s3", "get_object", &[], &["s3:GetObject"]),
        ("aws-sdk-s3", "get_object", &["version_id"], &["s3:GetObjectVersion"]),
        ("aws-sdk-s3", "get_object_tagging", &["version_id"], &["s3:GetObjectVersionTagging"]),
        ("aws-sdk-s3", "put_object", &[], &["s3:PutObject"]),
        ("aws-sdk-s3", "put_object", &["tagging"], &["s3:PutObject", "s3:PutObjectTagging"]),
        ("aws-sdk-s3", "put_object", &["acl"], &["s3:PutObject", "s3:PutObjectAcl"]),
        ("aws-sdk-s3", "copy_object", &[], &["s3:GetObject", "s3:PutObject"]),
        ("aws-sdk-s3", "create_multipart_upload", &[], &["s3:PutObject"]),
        ("aws-sdk-s3", "upload_part", &[], &["s3:PutObject"]),
        ("aws-sdk-s3", "complete_multipart_upload", &[], &["s3:PutObject"]),
        ("aws-sdk-s3", "list_parts", &[], &["s3:ListMultipartUploadParts"]),
        ("aws-sdk-s3", "list_multipart_uploads", &[], &["s3:ListBucketMultipartUploads"]),
        ("aws-sdk-s3", "delete_objects", &[], &["s3:DeleteObject"]),
        (
            "aws-sdk-s3",
            "delete_objects",
            &["version_id"],
            &["s3:DeleteObject", "s3:DeleteObjectVersion"],
        ),
        (
            "aws-sdk-s3",
            "put_bucket_lifecycle_configuration",
            &[],
            &["s3:PutLifecycleConfiguration"],
        ),
        ("aws-sdk-s3", "get_bucket_encryption", &[], &["s3:GetEncryptionConfiguration"]),
        ("aws-sdk-s3", "delete_bucket_cors", &[], &["s3:PutBucketCORS"]),
        ("aws-sdk-s3", "get_public_access_block", &[], &["s3:GetBucketPublicAccessBlock"]),
        // DynamoDB: transaction item kinds, PartiQL verbs, permission-free and plain calls.
        ("aws-sdk-dynamodb", "get_item", &[], &["dynamodb:GetItem"]),
        (
            "aws-sdk-dynamodb",
            "transact_write_items",
            &["put", "condition_check"],
            &["dynamodb:ConditionCheckItem", "dynamodb:PutItem"],
        ),
        (
            "aws-sdk-dynamodb",
            "transact_write_items",
            &["update", "delete"],
            &["dynamodb:DeleteItem", "dynamodb:UpdateItem"],
        ),
        ("aws-sdk-dynamodb", "transact_get_items", &[], &["dynamodb:GetItem"]),
        (
            "aws-sdk-dynamodb",
            "execute_statement",
            &["statement=SELECT * FROM t"],
            &["dynamodb:PartiQLSelect"],
        ),
        (
            "aws-sdk-dynamodb",
            "execute_statement",
            &["statement=  insert into t value {}"],
            &["dynamodb:PartiQLInsert"],
        ),
        // SQS / SNS batches use the single action.
        ("aws-sdk-sqs", "send_message_batch", &[], &["sqs:SendMessage"]),
        ("aws-sdk-sqs", "delete_message_batch", &[], &["sqs:DeleteMessage"]),
        ("aws-sdk-sqs", "change_message_visibility_batch", &[], &["sqs:ChangeMessageVisibility"]),
        ("aws-sdk-sns", "publish_batch", &[], &["sns:Publish"]),
        // Lambda, Bedrock, API Gateway Management, KMS, Secrets Manager.
        ("aws-sdk-lambda", "invoke", &[], &["lambda:InvokeFunction"]),
        ("aws-sdk-lambda", "invoke_with_response_stream", &[], &["lambda:InvokeFunction"]),
        ("aws-sdk-bedrockruntime", "converse", &[], &["bedrock:InvokeModel"]),
        (
            "aws-sdk-bedrockruntime",
            "converse_stream",
            &[],
            &["bedrock:InvokeModelWithResponseStream"],
        ),
        (
            "aws-sdk-apigatewaymanagement",
            "post_to_connection",
            &[],
            &["execute-api:ManageConnections"],
        ),
        (
            "aws-sdk-apigatewaymanagement",
            "delete_connection",
            &[],
            &["execute-api:ManageConnections"],
        ),
        ("aws-sdk-kms", "re_encrypt", &[], &["kms:ReEncryptFrom", "kms:ReEncryptTo"]),
        (
            "aws-sdk-secretsmanager",
            "batch_get_secret_value",
            &[],
            &["secretsmanager:BatchGetSecretValue", "secretsmanager:GetSecretValue"],
        ),
        // Service prefixes that differ from the signing name.
        ("aws-sdk-cloudwatch", "put_metric_data", &[], &["cloudwatch:PutMetricData"]),
        ("aws-sdk-sfn", "start_execution", &[], &["states:StartExecution"]),
        ("aws-sdk-eventbridge", "put_events", &[], &["events:PutEvents"]),
        ("aws-sdk-sesv2", "send_email", &[], &["ses:SendEmail"]),
        (
            "aws-sdk-appconfigdata",
            "get_latest_configuration",
            &[],
            &["appconfig:GetLatestConfiguration"],
        ),
        ("aws-sdk-dynamodbstreams", "get_records", &[], &["dynamodb:GetRecords"]),
        ("aws-sdk-xray", "put_trace_segments", &[], &["xray:PutTraceSegments"]),
        ("aws-sdk-cloudwatchlogs", "put_log_events", &[], &["logs:PutLogEvents"]),
        // API Gateway's management API authorises HTTP verbs.
        ("aws-sdk-apigateway", "get_rest_apis", &[], &["apigateway:GET"]),
        ("aws-sdk-apigateway", "create_rest_api", &[], &["apigateway:POST"]),
        // Calls IAM does not authorise.
        ("aws-sdk-sts", "get_caller_identity", &[], &[]),
        ("aws-sdk-sts", "assume_role_with_web_identity", &[], &[]),
        ("aws-sdk-cognitoidentityprovider", "initiate_auth", &[], &[]),
        (
            "aws-sdk-cognitoidentityprovider",
            "admin_initiate_auth",
            &[],
            &["cognito-idp:AdminInitiateAuth"],
        ),
    ];
    let mut failures = Vec::new();
    for (krate, method, setters, expected) in table {
        let got = actions(krate, method, setters);
        if got != *expected {
            failures
                .push(format!("{krate} {method} {setters:?}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn permission_free_calls_say_so() {
    let catalog = Catalog::embedded().unwrap();
    for (krate, method) in
        [("aws-sdk-sts", "get_caller_identity"), ("aws-sdk-cognitoidentityprovider", "sign_up")]
    {
        assert_eq!(catalog.sdk_operation(krate, method).unwrap().mapping, Mapping::NoPermission);
    }
}

#[test]
fn second_resources_and_resource_types_are_recorded() {
    let catalog = Catalog::embedded().unwrap();
    let copy = catalog.sdk_operation("aws-sdk-s3", "copy_object").unwrap();
    let source = copy.rules.iter().find(|r| r.target.as_deref() == Some("source")).unwrap();
    assert_eq!(source.actions, ["s3:GetObject"]);
    assert_eq!(source.target_setter.as_deref(), Some("copy_source"));
    let query = catalog.sdk_operation("aws-sdk-dynamodb", "query").unwrap();
    let resolved = query.resolve(&[SetterUse::named("index_name")]);
    assert_eq!(resolved.actions, ["dynamodb:Query"]);
    assert!(query.rules.iter().any(|r| r.resource.as_deref() == Some("index")));
}

#[test]
fn implied_kms_and_pass_role() {
    let catalog = Catalog::embedded().unwrap();
    let send = catalog.sdk_operation("aws-sdk-sqs", "send_message").unwrap().resolve(&[]);
    let kms = send.implied.iter().find(|i| i.implied.kind == ImpliedKind::Kms).unwrap();
    assert!(kms.implied.actions.iter().any(|a| a == "kms:GenerateDataKey"));
    assert_eq!(
        kms.condition.as_ref().unwrap()["StringEquals"]["kms:ViaService"],
        "sqs.${AWS::Region}.amazonaws.com"
    );
    let secret = catalog.sdk_operation("aws-sdk-secretsmanager", "get_secret_value").unwrap();
    assert!(secret.resolve(&[]).implied.iter().any(|i| i.implied.actions == ["kms:Decrypt"]));
    let create = catalog.sdk_operation("aws-sdk-lambda", "create_function").unwrap();
    let resolved = create.resolve(&[SetterUse::named("role")]);
    let pass = resolved.implied.iter().find(|i| i.implied.kind == ImpliedKind::PassRole).unwrap();
    assert_eq!(pass.implied.actions, ["iam:PassRole"]);
    assert_eq!(
        pass.condition.as_ref().unwrap()["StringEquals"]["iam:PassedToService"],
        "lambda.amazonaws.com"
    );
    // SSM decrypts only when the call asks for decryption.
    let get = catalog.sdk_operation("aws-sdk-ssm", "get_parameter").unwrap();
    assert!(get.resolve(&[]).implied.is_empty());
    assert_eq!(get.resolve(&[SetterUse::named("with_decryption")]).implied.len(), 1);
}

#[test]
fn every_exception_cites_an_aws_page() {
    let catalog = Catalog::embedded().unwrap();
    let mut exceptions = 0;
    for krate in catalog.crate_names() {
        for method in catalog.methods_of(krate).unwrap() {
            let op = catalog.sdk_operation(krate, &method).unwrap();
            if matches!(op.mapping, Mapping::Exception | Mapping::NoPermission) {
                exceptions += 1;
                let doc = op.doc.as_deref().unwrap_or_default();
                assert!(doc.starts_with("https://docs.aws.amazon.com/"), "{krate} {method}: {doc}");
            }
        }
    }
    assert_eq!(exceptions, catalog.summary().exceptions);
}
