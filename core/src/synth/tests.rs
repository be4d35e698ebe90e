//! Unit tests of synthesis per service: small handlers run through the real pipeline
//! (`pipeline::check_crate`), then synthesized.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::statements::sort_key;
use super::*;
use crate::catalog::Catalog;
use crate::pipeline::{HandlerResult, check_crate};
use crate::policy::{Actions, Resources};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes `main` as `src/main.rs` of a scratch crate and runs the pipeline over it.
fn handlers(main: &str) -> Vec<HandlerResult> {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir: PathBuf =
        std::env::temp_dir().join(format!("leastpriv-synth-{}-{n}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
    let (_, results) = check_crate(Catalog::embedded().unwrap(), &dir);
    let _ = std::fs::remove_dir_all(&dir);
    for r in &results {
        let messages: Vec<&str> = r.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert!(messages.is_empty(), "{messages:#?}");
    }
    results
}

fn role(main: &str) -> FunctionRole {
    let results = handlers(main);
    assert_eq!(results.len(), 1);
    synthesize(Catalog::embedded().unwrap(), &results[0], "app", Some("app")).unwrap()
}

fn synth_err(main: &str) -> SynthError {
    let results = handlers(main);
    synthesize(Catalog::embedded().unwrap(), &results[0], "app", None).unwrap_err()
}

/// (actions, resources, condition JSON) of every statement.
fn statements(role: &FunctionRole) -> Vec<(Vec<String>, Vec<String>, String)> {
    role.policy
        .statements
        .iter()
        .map(|s| {
            let Actions::Action(actions) = &s.action else { panic!("NotAction") };
            let Some(Resources::Resource(resources)) = &s.resource else { panic!("no Resource") };
            (
                actions.iter().map(|a| a.as_literal().unwrap().to_owned()).collect(),
                resources.iter().map(sort_key).collect(),
                serde_json::to_string(&s.condition).unwrap(),
            )
        })
        .collect()
}

/// The statement granting `action`; exactly one must.
fn granting(role: &FunctionRole, action: &str) -> (Vec<String>, Vec<String>, String) {
    let mut found: Vec<_> =
        statements(role).into_iter().filter(|(a, _, _)| a.iter().any(|x| x == action)).collect();
    assert_eq!(found.len(), 1, "{action}: {:#?}", statements(role));
    found.remove(0)
}

const REGIONAL: &str = "arn:${AWS::Partition}:{}:${AWS::Region}:${AWS::AccountId}:";

fn regional(service: &str, rest: &str) -> String {
    REGIONAL.replace("{}", service) + rest
}

#[test]
fn s3_objects_buckets_and_the_prefix_condition() {
    let role = role(
        r#"
        #[leastpriv::role(s3(read, list, bucket = "${Uploads}", key = "incoming/*", env = "UPLOADS"))]
        pub async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), Error> {
            let bucket = std::env::var("UPLOADS")?;
            s3.get_object().bucket(&bucket).key("incoming/a").send().await?;
            s3.list_objects_v2().bucket(&bucket).prefix("incoming/").send().await?;
            Ok(())
        }
        "#,
    );
    let (_, resources, condition) = granting(&role, "s3:GetObject");
    assert_eq!(resources, ["arn:${AWS::Partition}:s3:::${Uploads}/incoming/*"]);
    assert_eq!(condition, "{}");
    let (_, resources, condition) = granting(&role, "s3:ListBucket");
    assert_eq!(resources, ["arn:${AWS::Partition}:s3:::${Uploads}"]);
    assert_eq!(condition, r#"{"StringLike":{"s3:prefix":"incoming/*"}}"#);
    assert_eq!(role.name, "Handler");
    assert_eq!(role.binary.as_deref(), Some("app"));
    assert_eq!(role.parameters.iter().collect::<Vec<_>>(), ["Uploads"]);
    assert_eq!(
        serde_json::to_string(&role.environment).unwrap(),
        r#"{"UPLOADS":{"Ref":"Uploads"}}"#
    );
}

#[test]
fn s3_listing_a_whole_bucket_has_no_prefix_condition() {
    let role = role(
        r#"
        #[leastpriv::role(s3(list, bucket = "media"))]
        pub async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), Error> {
            s3.list_objects_v2().bucket("media").send().await?;
            Ok(())
        }
        "#,
    );
    let (_, resources, condition) = granting(&role, "s3:ListBucket");
    assert_eq!(resources, ["arn:${AWS::Partition}:s3:::media"]);
    assert_eq!(condition, "{}");
    assert!(role.parameters.is_empty());
}

#[test]
fn dynamodb_tables_and_indexes() {
    let role = role(
        r#"
        #[leastpriv::role(dynamodb(read, table = "${Orders}", index = "by-customer", env = "ORDERS"))]
        pub async fn handler(db: &aws_sdk_dynamodb::Client) -> Result<(), Error> {
            let table = std::env::var("ORDERS")?;
            db.get_item().table_name(&table).send().await?;
            db.query().table_name(&table).index_name("by-customer").send().await?;
            Ok(())
        }
        "#,
    );
    let (_, resources, _) = granting(&role, "dynamodb:GetItem");
    assert_eq!(resources, [regional("dynamodb", "table/${Orders}")]);
    let (_, resources, _) = granting(&role, "dynamodb:Query");
    assert_eq!(resources, [regional("dynamodb", "table/${Orders}/index/by-customer")]);
}

#[test]
fn secrets_get_the_random_suffix_and_kms_goes_through_the_service() {
    let role = role(
        r#"
        #[leastpriv::role(secretsmanager(read, secret = "prod/db", kms_key = "${DbKey}", env = "SECRET"))]
        pub async fn handler(sm: &aws_sdk_secretsmanager::Client) -> Result<(), Error> {
            sm.get_secret_value().secret_id(std::env::var("SECRET")?).send().await?;
            Ok(())
        }
        "#,
    );
    let (_, resources, _) = granting(&role, "secretsmanager:GetSecretValue");
    assert_eq!(resources, [regional("secretsmanager", "secret:prod/db-??????")]);
    let (actions, resources, condition) = granting(&role, "kms:Decrypt");
    assert_eq!(actions, ["kms:Decrypt"]);
    assert_eq!(resources, [regional("kms", "key/${DbKey}")]);
    assert_eq!(
        condition,
        r#"{"StringEquals":{"kms:ViaService":{"Fn::Sub":"secretsmanager.${AWS::Region}.${AWS::URLSuffix}"}}}"#
    );
    assert_eq!(
        serde_json::to_string(&role.environment).unwrap(),
        r#"{"SECRET":"prod/db"}"#,
        "the secret's name, not its ARN"
    );
}

#[test]
fn sqs_trigger_gets_exactly_the_polling_actions() {
    let role = role(
        r#"
        #[leastpriv::role(sqs(trigger, queue = "${Jobs.QueueName}", kms_key = "${Key.Arn}"))]
        pub async fn handler(event: LambdaEvent<SqsEvent>) -> Result<(), Error> { Ok(()) }
        "#,
    );
    let (actions, resources, _) = granting(&role, "sqs:ReceiveMessage");
    assert_eq!(actions, ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]);
    assert_eq!(resources, [regional("sqs", "${Jobs.QueueName}")]);
    let (_, resources, condition) = granting(&role, "kms:Decrypt");
    assert_eq!(resources, ["${Key.Arn}"], "a key ARN stays as it is");
    assert!(condition.contains("sqs.${AWS::Region}"), "{condition}");
    assert_eq!(role.resource_attributes.iter().collect::<Vec<_>>(), ["Jobs.QueueName", "Key.Arn"]);
    let sqs: Vec<&Grant> = role.grants.iter().filter(|g| g.action.starts_with("sqs:")).collect();
    assert!(sqs.iter().all(|g| g.reason == GrantReason::Trigger && g.call.is_none()));
}

#[test]
fn kinesis_and_dynamodb_stream_triggers() {
    let role = role(
        r#"
        #[leastpriv::role(
            kinesis(trigger, stream = "${Clicks}"),
            dynamodb(trigger, table = "${Orders}"),
        )]
        pub async fn handler(event: LambdaEvent<KinesisEvent>) -> Result<(), Error> { Ok(()) }
        "#,
    );
    let (actions, resources, _) = granting(&role, "kinesis:GetRecords");
    assert_eq!(
        actions,
        [
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards"
        ]
    );
    assert_eq!(resources, [regional("kinesis", "stream/${Clicks}")]);
    let (_, resources, _) = granting(&role, "kinesis:SubscribeToShard");
    assert_eq!(resources, [regional("kinesis", "stream/${Clicks}/consumer/*")]);
    let (actions, resources, _) = granting(&role, "dynamodb:GetRecords");
    assert_eq!(
        actions,
        ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    );
    assert_eq!(resources, [regional("dynamodb", "table/${Orders}/stream/*")]);
    let (_, resources, _) = granting(&role, "dynamodb:ListStreams");
    assert_eq!(resources, ["*"]);
}

#[test]
fn a_trigger_lambda_does_not_poll_is_an_error() {
    let err = synth_err(
        r#"
        #[leastpriv::role(sns(trigger, topic = "${Topic}"))]
        pub async fn handler(event: LambdaEvent<SnsEvent>) -> Result<(), Error> { Ok(()) }
        "#,
    );
    assert!(matches!(err, SynthError::UnsupportedTrigger { .. }), "{err}");
    assert!(err.help().unwrap().contains("sqs"));
}

#[test]
fn sqs_sns_and_states_environment_values() {
    let role = role(
        r#"
        #[leastpriv::role(
            sqs(write, queue = "${Out.QueueName}", env = "OUT_URL"),
            sqs(write, queue = "plain-queue", env = "PLAIN_URL"),
            sns(write, topic = "${Alerts}", env = "ALERTS_ARN"),
            states(write, state_machine = "${Flow.Name}", env = "FLOW_ARN"),
        )]
        pub async fn handler(sqs: &aws_sdk_sqs::Client, sns: &aws_sdk_sns::Client, sfn: &aws_sdk_sfn::Client) -> Result<(), Error> {
            sqs.send_message().queue_url(std::env::var("OUT_URL")?).send().await?;
            sqs.send_message().queue_url(std::env::var("PLAIN_URL")?).send().await?;
            sns.publish().topic_arn(std::env::var("ALERTS_ARN")?).send().await?;
            sfn.start_execution().state_machine_arn(std::env::var("FLOW_ARN")?).send().await?;
            Ok(())
        }
        "#,
    );
    let env = serde_json::to_value(&role.environment).unwrap();
    assert_eq!(env["OUT_URL"], serde_json::json!({"Ref": "Out"}));
    assert_eq!(
        env["PLAIN_URL"],
        serde_json::json!({"Fn::Sub": "https://sqs.${AWS::Region}.${AWS::URLSuffix}/${AWS::AccountId}/plain-queue"})
    );
    assert_eq!(env["ALERTS_ARN"], serde_json::json!({"Fn::Sub": regional("sns", "${Alerts}")}));
    assert_eq!(env["FLOW_ARN"], serde_json::json!({"Ref": "Flow"}));
    let (_, resources, _) = granting(&role, "sqs:SendMessage");
    assert_eq!(resources, [regional("sqs", "${Out.QueueName}"), regional("sqs", "plain-queue")]);
    let (_, resources, _) = granting(&role, "states:StartExecution");
    assert_eq!(resources, [regional("states", "stateMachine:${Flow.Name}")]);
}

#[test]
fn ssm_parameter_paths_have_one_slash() {
    let role = role(
        r#"
        #[leastpriv::role(ssm(read, parameter = "/app/db/*", env = "DB_PARAMETER"))]
        pub async fn handler(ssm: &aws_sdk_ssm::Client) -> Result<(), Error> {
            ssm.get_parameter().name(std::env::var("DB_PARAMETER")?).send().await?;
            Ok(())
        }
        "#,
    );
    let (_, resources, _) = granting(&role, "ssm:GetParameter");
    assert_eq!(resources, [regional("ssm", "parameter/app/db/*")]);
}

#[test]
fn passed_roles_are_limited_to_their_service() {
    let role = role(
        r#"
        #[leastpriv::role(
            lambda(write, function = "${Worker}"),
            iam(write, arn = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/worker"),
        )]
        pub async fn handler(lambda: &aws_sdk_lambda::Client) -> Result<(), Error> {
            lambda.update_function_configuration().function_name("x").role("arn").send().await?;
            Ok(())
        }
        "#,
    );
    let (_, resources, condition) = granting(&role, "iam:PassRole");
    assert_eq!(resources, ["arn:${AWS::Partition}:iam::${AWS::AccountId}:role/worker"]);
    assert_eq!(condition, r#"{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}"#);
}

#[test]
fn actions_without_resource_types_get_star_and_logs_only_the_own_group() {
    let role = role(
        r#"
        #[leastpriv::role(xray(write, arn = "*"), name = "Tracer", log_retention_days = 14)]
        pub async fn handler(xray: &aws_sdk_xray::Client) -> Result<(), Error> {
            xray.put_trace_segments().send().await?;
            Ok(())
        }
        "#,
    );
    let (_, resources, _) = granting(&role, "xray:PutTraceSegments");
    assert_eq!(resources, ["*"]);
    let (actions, resources, _) = granting(&role, "logs:PutLogEvents");
    assert_eq!(actions, ["logs:CreateLogStream", "logs:PutLogEvents"]);
    assert_eq!(resources, [regional("logs", "log-group:${TracerLogGroup}:log-stream:*")]);
    assert_eq!(role.log_group.retention_in_days, Some(14));
    assert_eq!(role.role_logical_id, "TracerRole");
}

#[test]
fn statements_merge_and_sort_whatever_the_call_order() {
    let body = |first: &str, second: &str| {
        format!(
            r#"
            #[leastpriv::role(
                s3(read, bucket = "${{A}}", env = "A"),
                s3(read, bucket = "${{B}}", env = "B"),
            )]
            pub async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), Error> {{
                s3.get_object().bucket(std::env::var("{first}")?).key("k").send().await?;
                s3.get_object().bucket(std::env::var("{second}")?).key("k").send().await?;
                Ok(())
            }}
            "#
        )
    };
    let ab = role(&body("A", "B"));
    let ba = role(&body("B", "A"));
    assert_eq!(ab.policy, ba.policy);
    let (_, resources, _) = granting(&ab, "s3:GetObject");
    assert_eq!(
        resources,
        ["arn:${AWS::Partition}:s3:::${A}/*", "arn:${AWS::Partition}:s3:::${B}/*"]
    );
    let sids: Vec<String> = ab.policy.statements.iter().filter_map(|s| s.sid.clone()).collect();
    assert_eq!(sids, ["LogsWrite", "S3Read"]);
}

#[test]
fn oversize_roles_split_into_managed_policies_deterministically() {
    let entries: Vec<String> = (0..120)
        .map(|i| format!(r#"dynamodb(read, table = "${{OrdersTableNumber{i:03}}}", env = "T{i}")"#))
        .collect();
    let calls: Vec<String> = (0..120)
        .map(|i| format!(r#"db.get_item().table_name(std::env::var("T{i}")?).send().await?;"#))
        .collect();
    let main = format!(
        "#[leastpriv::role({})]\npub async fn handler(db: &aws_sdk_dynamodb::Client) -> Result<(), Error> {{\n{}\nOk(())\n}}\n",
        entries.join(",\n"),
        calls.join("\n")
    );
    let first = role(&main);
    assert!(first.policy.size() > crate::policy::ROLE_INLINE_POLICIES_MAX_SIZE);
    let Placement::Managed { policies } = &first.placement else { panic!("not split") };
    assert!(policies.len() >= 2, "{}", policies.len());
    for policy in policies {
        assert!(policy.policy.size() <= crate::policy::MANAGED_POLICY_MAX_SIZE);
    }
    let statements: usize = policies.iter().map(|p| p.policy.statements.len()).sum();
    assert!(statements >= first.policy.statements.len());
    let ids: Vec<&str> = policies.iter().map(|p| p.logical_id.as_str()).collect();
    assert_eq!(ids[..2], ["HandlerPolicy1", "HandlerPolicy2"]);
    assert_eq!(role(&main).placement, first.placement);
}

#[test]
fn roles_beyond_every_quota_fail_clearly() {
    let entries: Vec<String> = (0..1500)
        .map(|i| format!(r#"dynamodb(read, table = "${{OrdersTableNumber{i:04}}}", env = "T{i}")"#))
        .collect();
    let calls: Vec<String> = (0..1500)
        .map(|i| format!(r#"db.get_item().table_name(std::env::var("T{i}")?).send().await?;"#))
        .collect();
    let main = format!(
        "#[leastpriv::role({})]\npub async fn handler(db: &aws_sdk_dynamodb::Client) -> Result<(), Error> {{\n{}\nOk(())\n}}\n",
        entries.join(",\n"),
        calls.join("\n")
    );
    let err = synth_err(&main);
    assert!(matches!(err, SynthError::PolicyTooLarge { .. }), "{err}");
    assert!(err.to_string().contains("10,240"), "{err}");
}

#[test]
fn kms_aliases_are_refused() {
    let err = synth_err(
        r#"
        #[leastpriv::role(sqs(trigger, queue = "jobs", kms_key = "alias/jobs"))]
        pub async fn handler(event: LambdaEvent<SqsEvent>) -> Result<(), Error> { Ok(()) }
        "#,
    );
    assert!(matches!(err, SynthError::KmsAlias { .. }), "{err}");
}

#[test]
fn tags_boundary_and_path_are_kept() {
    let role = role(
        r#"
        #[leastpriv::role(
            sqs(trigger, queue = "jobs"),
            tags = ["Team=media", "Cost=42"],
            boundary = "${Boundary}",
            path = "/apps/",
        )]
        pub async fn handler(event: LambdaEvent<SqsEvent>) -> Result<(), Error> { Ok(()) }
        "#,
    );
    assert_eq!(role.tags.len(), 2);
    assert_eq!(role.tags[0], RoleTag { key: "Team".into(), value: "media".into() });
    assert_eq!(
        role.permissions_boundary,
        Some(Value::expr(crate::policy::CfnExpr::Ref("Boundary".into())))
    );
    assert_eq!(role.path.as_deref(), Some("/apps/"));
    assert!(role.parameters.contains("Boundary"));
}

#[test]
fn two_handlers_with_one_name_are_an_error() {
    let results = handlers(
        r#"
        #[leastpriv::role(sqs(trigger, queue = "a"), name = "Worker")]
        pub async fn one(event: LambdaEvent<SqsEvent>) -> Result<(), Error> { Ok(()) }
        #[leastpriv::role(sqs(trigger, queue = "b"), name = "Worker")]
        pub async fn two(event: LambdaEvent<SqsEvent>) -> Result<(), Error> { Ok(()) }
        "#,
    );
    let err = Manifest::build(Catalog::embedded().unwrap(), "app", &results, |_| None).unwrap_err();
    assert!(matches!(err, SynthError::DuplicateName { .. }), "{err}");
}

#[test]
fn binaries_and_logical_ids() {
    assert_eq!(binary_of("src/main.rs", "app").as_deref(), Some("app"));
    assert_eq!(binary_of("src/bin/get-products.rs", "app").as_deref(), Some("get-products"));
    assert_eq!(binary_of("src/bin/put/main.rs", "app").as_deref(), Some("put"));
    assert_eq!(binary_of("src/handlers.rs", "app"), None);
    assert_eq!(pascal_case("forward_jobs"), "ForwardJobs");
    assert_eq!(pascal_case("_2fa_check"), "Fn2faCheck");
}
