//! Merging roles into SAM templates (`--format sam`): each example's `template.yaml` merged is its
//! committed `template.leastpriv.yaml`, holds the facts the merge promises (role, environment, log
//! group, no SAM policies, parameters only for names the template lacks), merges again unchanged,
//! and passes cfn-lint (with `LEASTPRIV_CFN_LINT`; with aws-sam-translator installed next to it,
//! as `.ci/run` does, cfn-lint runs the SAM transform and lints the transformed template too).
//! The other tests cover matching, conflicts and what is dropped on small templates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

use leastpriv_core::catalog::Catalog;
use leastpriv_core::pipeline::check_crate;
use leastpriv_core::synth::document::Node;
use leastpriv_core::synth::sam::{SamOptions, merge, merge_text};
use leastpriv_core::synth::{Manifest, binary_of};

const EXAMPLES: &[(&str, &str)] = &[
    ("image-resize", "ResizeFunction"),
    ("orders", "OrdersApiFunction"),
    ("queue-worker", "QueueWorkerFunction"),
];

fn example_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name)
}

fn manifest(name: &str) -> Manifest {
    let catalog = Catalog::embedded().unwrap();
    let (_, results) = check_crate(catalog, &example_dir(name));
    Manifest::build(catalog, name, &results, |h| binary_of(&h.file.to_string_lossy(), name))
        .unwrap()
}

fn options(name: &str) -> SamOptions {
    SamOptions {
        template_dir: example_dir(name),
        crates: [(name.to_string(), example_dir(name))].into_iter().collect(),
        map: Default::default(),
        // SMALL's `Other` matches nothing; the strict default is tested on its own.
        allow_unmatched: true,
    }
}

fn at<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
    path.iter().fold(node, |n, key| n.get(key).unwrap_or_else(|| panic!("no {key} in {path:?}")))
}

#[test]
fn examples_merge_into_their_committed_templates() {
    for (name, function_id) in EXAMPLES {
        let m = manifest(name);
        let text = std::fs::read_to_string(example_dir(name).join("template.yaml")).unwrap();
        let merged = merge_text(&text, &m, &options(name)).unwrap();
        assert!(merged.warnings.is_empty(), "{name}: {:?}", merged.warnings);
        let path = example_dir(name).join("template.leastpriv.yaml");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == merged.text,
            "{} is stale; regenerate it with\n  cargo run -q -p leastpriv-cli -- synth examples/{name} --format sam --template examples/{name}/template.yaml -o examples/{name}/template.leastpriv.yaml",
            path.display()
        );
        // Deterministic, and a merged template merges again unchanged.
        assert_eq!(merge_text(&text, &m, &options(name)).unwrap(), merged);
        let again = merge_text(&merged.text, &m, &options(name)).unwrap();
        assert_eq!(again.text, merged.text, "{name}: merging twice changes the template");
        assert!(again.notes.is_empty(), "{name}: {:?}", again.notes);

        let doc = Node::from_yaml_str(&merged.text).unwrap();
        let original = Node::from_yaml_str(&text).unwrap();
        let role = &m.functions[0].role;
        let resources = at(&doc, &["Resources"]);
        let properties = at(resources, &[function_id, "Properties"]);
        assert_eq!(
            properties.get("Role"),
            Some(&Node::get_att(role.role_logical_id.clone(), "Arn"))
        );
        assert_eq!(
            at(properties, &["LoggingConfig", "LogGroup"]),
            &Node::reference(role.log_group.logical_id.clone())
        );
        assert!(properties.get("Policies").is_none(), "{name}");
        let variables = at(properties, &["Environment", "Variables"]);
        for (var, value) in &role.environment {
            let value = Node::from_serialize(value).unwrap();
            let found = variables.get(var).unwrap_or_else(|| panic!("{name}: no {var}"));
            assert_eq!(found, &value, "{name}: {var}");
        }
        assert_eq!(
            at(resources, &[&role.role_logical_id, "Type"]).as_str(),
            Some("AWS::IAM::Role")
        );
        assert_eq!(
            at(resources, &[&role.log_group.logical_id, "Type"]).as_str(),
            Some("AWS::Logs::LogGroup")
        );
        // Everything the template had is still there, in its order, first.
        let (Node::Map(before), Node::Map(after)) = (at(&original, &["Resources"]), resources)
        else {
            panic!("Resources")
        };
        let kept: Vec<&String> =
            after.iter().map(|(k, _)| k).filter(|k| before.iter().any(|(b, _)| b == *k)).collect();
        assert_eq!(kept, before.iter().map(|(k, _)| k).collect::<Vec<_>>(), "{name}");
        for (id, resource) in before.iter().filter(|(id, _)| id != function_id) {
            assert_eq!(after.iter().find(|(k, _)| k == id).map(|(_, v)| v), Some(resource));
        }
        assert_eq!(doc.get("Outputs"), original.get("Outputs"), "{name}");
        assert_eq!(doc.get("Transform"), original.get("Transform"), "{name}");
        // Names that are resources or parameters of the template are not added as parameters.
        assert_eq!(doc.get("Parameters"), original.get("Parameters"), "{name}");
    }
}

#[test]
#[ignore = "needs cfn-lint: run scripts/test (or set LEASTPRIV_CFN_LINT to a cfn-lint and pass --include-ignored)"]
fn cfn_lint_finds_nothing_in_the_merged_templates() {
    let cfn_lint = std::env::var("LEASTPRIV_CFN_LINT")
        .expect("LEASTPRIV_CFN_LINT names cfn-lint (scripts/test installs it and sets it)");
    let files: Vec<PathBuf> = EXAMPLES
        .iter()
        .map(|(name, _)| *name)
        .chain(["inventory"])
        .map(|name| example_dir(name).join("template.leastpriv.yaml"))
        .collect();
    let out = Command::new(&cfn_lint)
        .args(["--format", "parseable", "--"])
        .args(&files)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {cfn_lint}: {err}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim().is_empty(),
        "cfn-lint reported (exit {:?}):\n{stdout}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

const SMALL: &str = r#"Transform: AWS::Serverless-2016-10-31
Conditions:
  Prod: !Equals [!Ref "AWS::StackName", prod]
Resources:
  Other:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: elsewhere/
      Handler: bootstrap
  Resize:
    Type: AWS::Serverless::Function
    Condition: Prod
    Properties:
      CodeUri: ./
      Handler: bootstrap
      Policies:
        - S3CrudPolicy:
            BucketName: !Ref ThumbnailBucket
      PermissionsBoundary: arn:aws:iam::123456789012:policy/b
      Environment:
        Variables:
          KEEP: !Sub "${AWS::Region}-x"
          THUMBNAIL_BUCKET: !Sub "${ThumbnailBucket}"
"#;

#[test]
fn codeuri_matches_policies_are_dropped_and_missing_names_become_parameters() {
    let m = manifest("image-resize");
    let merged = merge(Node::from_yaml_str(SMALL).unwrap(), &m, &options("image-resize")).unwrap();
    assert_eq!(merged.matched, [("Resize".to_owned(), "ResizeImage".to_owned())]);
    assert_eq!(merged.notes.len(), 1, "{:?}", merged.notes);
    assert!(
        merged.notes[0].contains("dropped Policies, PermissionsBoundary"),
        "{:?}",
        merged.notes
    );
    assert_eq!(merged.warnings.len(), 1, "{:?}", merged.warnings);
    assert!(merged.warnings[0].starts_with("Other: "), "{:?}", merged.warnings);
    let doc = &merged.template;
    let properties = at(doc, &["Resources", "Resize", "Properties"]);
    assert!(
        properties.get("Policies").is_none() && properties.get("PermissionsBoundary").is_none()
    );
    let variables = at(properties, &["Environment", "Variables"]);
    // `!Sub "${ThumbnailBucket}"` is the same value as `!Ref ThumbnailBucket`: kept as written.
    assert_eq!(variables.get("THUMBNAIL_BUCKET"), Some(&Node::sub("${ThumbnailBucket}")));
    assert_eq!(variables.get("UPLOAD_BUCKET"), Some(&Node::reference("UploadBucketName")));
    assert!(variables.get("KEEP").is_some());
    // The role exists only with its function.
    let condition = Node::string("Prod");
    assert_eq!(at(doc, &["Resources", "ResizeImageRole", "Condition"]), &condition);
    assert_eq!(at(doc, &["Resources", "ResizeImageLogGroup", "Condition"]), &condition);
    // Neither bucket is in this template: both are parameters, inserted before Conditions.
    let Node::Map(top) = doc else { panic!() };
    let keys: Vec<&str> = top.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["Transform", "Parameters", "Conditions", "Resources"]);
    let Node::Map(parameters) = at(doc, &["Parameters"]) else { panic!() };
    let names: Vec<&str> = parameters.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["ThumbnailBucket", "UploadBucketName"]);
}

#[test]
fn unmatched_functions_and_handlers_are_errors_unless_allowed() {
    let m = manifest("image-resize");
    let mut strict = options("image-resize");
    strict.allow_unmatched = false;
    let err = merge(Node::from_yaml_str(SMALL).unwrap(), &m, &strict).unwrap_err();
    assert!(err.message.contains("not matched"), "{err}");
    assert!(err.message.contains("Other: "), "{err}");
    assert!(err.help.as_deref().unwrap_or_default().contains("--allow-unmatched"), "{err:?}");
    // A function of another runtime is not Rust: left alone, with a note.
    let text = SMALL.replace(
        "      CodeUri: elsewhere/\n",
        "      CodeUri: elsewhere/\n      Runtime: python3.12\n",
    );
    let merged = merge(Node::from_yaml_str(&text).unwrap(), &m, &strict).unwrap();
    assert!(merged.warnings.is_empty(), "{:?}", merged.warnings);
    assert!(
        merged.notes.iter().any(|n| n.starts_with("Other: runtime python3.12")),
        "{:?}",
        merged.notes
    );
    // Nothing matched at all is an error even when unmatched ones are allowed.
    let text = SMALL.replace("CodeUri: ./", "CodeUri: nowhere/");
    let err = merge(Node::from_yaml_str(&text).unwrap(), &m, &options("image-resize")).unwrap_err();
    assert!(err.message.contains("nothing to merge"), "{err}");
}

#[test]
fn cargo_lambda_code_uris_and_the_function_option_match() {
    let m = manifest("image-resize");
    let text = SMALL.replace("CodeUri: ./", "CodeUri: ../../target/lambda/image-resize/");
    let merged = merge(Node::from_yaml_str(&text).unwrap(), &m, &options("image-resize")).unwrap();
    assert_eq!(merged.matched, [("Resize".to_owned(), "ResizeImage".to_owned())]);
}

#[test]
fn tracing_and_stream_events_keep_their_permissions_scoped() {
    let m = manifest("image-resize");
    let text = SMALL.replace(
        "      Handler: bootstrap\n      Policies",
        "      Handler: bootstrap\n      Tracing: Active\n      Events:\n        Changes:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Table.StreamArn\n            StartingPosition: LATEST\n      Policies",
    );
    let merged = merge(Node::from_yaml_str(&text).unwrap(), &m, &options("image-resize")).unwrap();
    let role = at(&merged.template, &["Resources", "ResizeImageRole", "Properties"]);
    let Some(Node::List(policies)) = role.get("Policies") else { panic!("{role:?}") };
    let kept = policies
        .iter()
        .find(|p| p.get("PolicyName").and_then(Node::as_str) == Some("sam-implicit-permissions"))
        .unwrap_or_else(|| panic!("{policies:?}"));
    let text = serde_json::to_string(kept).unwrap();
    for action in ["xray:PutTraceSegments", "dynamodb:GetRecords", "dynamodb:ListStreams"] {
        assert!(text.contains(action), "{text}");
    }
    assert!(text.contains(r#"{"Fn::GetAtt":["Table","StreamArn"]}"#), "{text}");
    assert!(!text.contains("AWSLambdaDynamoDBExecutionRole"), "{text}");
    // Merging again changes nothing.
    let again = merge(merged.template.clone(), &m, &options("image-resize")).unwrap();
    assert_eq!(again.template, merged.template);
}

#[test]
fn an_event_on_a_trigger_entrys_queue_adds_no_second_grant() {
    // queue-worker declares `sqs(trigger, queue = "${JobsQueue.QueueName}")`, and its template's
    // SQS event reads `!GetAtt JobsQueue.Arn`: the role's trigger statement already grants the
    // polling, so no `sam-implicit-permissions` policy repeats it.
    let m = manifest("queue-worker");
    let text = std::fs::read_to_string(example_dir("queue-worker").join("template.yaml")).unwrap();
    let policies = |text: &str| -> String {
        let merged =
            merge(Node::from_yaml_str(text).unwrap(), &m, &options("queue-worker")).unwrap();
        let role = at(&merged.template, &["Resources", "ForwardJobsRole", "Properties"]);
        serde_json::to_string(role.get("Policies").unwrap()).unwrap()
    };
    let same = policies(&text);
    assert!(!same.contains("sam-implicit-permissions"), "{same}");
    assert!(same.contains("${JobsQueue.QueueName}") && same.contains("sqs:ReceiveMessage"));
    // An event on another queue is still polled, on that queue.
    let other = text.replace("Queue: !GetAtt JobsQueue.Arn", "Queue: !GetAtt ForwardQueue.Arn");
    assert_ne!(other, text);
    let other = policies(&other);
    assert!(other.contains("sam-implicit-permissions"), "{other}");
    assert!(other.contains(r#"{"Fn::GetAtt":["ForwardQueue","Arn"]}"#), "{other}");
}

#[test]
fn a_conflicting_variable_is_an_error_naming_both_values() {
    let m = manifest("image-resize");
    let text = SMALL.replace(r#"!Sub "${ThumbnailBucket}""#, "other-bucket");
    let err = merge(Node::from_yaml_str(&text).unwrap(), &m, &options("image-resize")).unwrap_err();
    assert!(err.message.contains("THUMBNAIL_BUCKET"), "{err}");
    assert!(err.message.contains("\"other-bucket\""), "{err}");
    assert!(err.message.contains(r#"{"Ref":"ThumbnailBucket"}"#), "{err}");
    assert!(err.help.is_some());
}

#[test]
fn explicit_maps_win_and_bad_maps_are_errors() {
    let m = manifest("image-resize");
    let mut opts = options("image-resize");
    opts.map.insert("Other".to_owned(), "image-resize".to_owned());
    let merged = merge(Node::from_yaml_str(SMALL).unwrap(), &m, &opts).unwrap();
    let matched: Vec<&str> = merged.matched.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(matched, ["Other", "Resize"]);
    // The shared role is added once, after its first function, without Resize's condition.
    let Node::Map(resources) = at(&merged.template, &["Resources"]) else { panic!() };
    let ids: Vec<&str> = resources.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(ids, ["Other", "ResizeImageLogGroup", "ResizeImageRole", "Resize"]);
    assert!(at(&merged.template, &["Resources", "ResizeImageRole"]).get("Condition").is_none());

    let mut opts = options("image-resize");
    opts.map.insert("Missing".to_owned(), "image-resize".to_owned());
    let err = merge(Node::from_yaml_str(SMALL).unwrap(), &m, &opts).unwrap_err();
    assert!(err.message.contains("no AWS::Serverless::Function `Missing`"), "{err}");
    let mut opts = options("image-resize");
    opts.map.insert("Other".to_owned(), "nope".to_owned());
    let err = merge(Node::from_yaml_str(SMALL).unwrap(), &m, &opts).unwrap_err();
    assert!(err.message.contains("binary `nope`"), "{err}");
}

#[test]
fn attributes_of_resources_elsewhere_become_parameters_and_json_stays_json() {
    // queue-worker's role uses ${JobsQueue.QueueName} etc.; this template has none of them.
    let m = manifest("queue-worker");
    let text = r#"{"Transform": "AWS::Serverless-2016-10-31", "Resources": {"F": {
        "Type": "AWS::Serverless::Function",
        "Metadata": {"BuildProperties": {"Binary": "queue-worker"}},
        "Properties": {"CodeUri": "x/", "Handler": "bootstrap"}}}}"#;
    let merged = merge_text(text, &m, &options("queue-worker")).unwrap();
    assert!(merged.text.starts_with("{\n"), "{}", merged.text);
    let doc = Node::from_json_str(&merged.text).unwrap();
    let Node::Map(parameters) = at(&doc, &["Parameters"]) else { panic!() };
    let names: Vec<&str> = parameters.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "ForwardQueue",
            "ForwardQueueQueueName",
            "JobsQueueQueueName",
            "NotificationsTopic",
            "NotificationsTopicTopicName",
            "WorkerKey"
        ]
    );
    assert!(!merged.text.contains("${JobsQueue.QueueName}"), "{}", merged.text);
    assert!(merged.text.contains("${JobsQueueQueueName}"), "{}", merged.text);
}

#[test]
fn keys_are_never_added_next_to_an_fn_if() {
    let m = manifest("image-resize");
    let cases = [
        SMALL.replace(
            "      Environment:\n        Variables:\n",
            "      Environment: !If\n        - Prod\n        - Variables:\n",
        ),
        SMALL.replace(
            "        Variables:\n",
            "        Variables: !If [Prod, {A: b}, {A: c}]\n        Other:\n",
        ),
        SMALL.replace(
            "      Handler: bootstrap\n      Policies",
            "      Handler: bootstrap\n      LoggingConfig: !If [Prod, {LogFormat: JSON}, !Ref AWS::NoValue]\n      Policies",
        ),
    ];
    for (i, text) in cases.iter().enumerate() {
        let node = Node::from_yaml_str(text).unwrap();
        let err = merge(node, &m, &options("image-resize")).unwrap_err();
        assert!(err.message.contains("computed by Fn::If"), "case {i}: {err}");
        assert!(err.help.as_deref().unwrap_or_default().contains("plain map"), "case {i}");
    }
}
