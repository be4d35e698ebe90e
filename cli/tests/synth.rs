//! End-to-end tests of `leastpriv synth` and `leastpriv schema manifest`, run on the built binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{example, leastpriv, package, s, scratch, stderr};

#[test]
fn stdout_is_the_committed_template() {
    for name in ["image-resize", "orders", "queue-worker"] {
        for (format, file) in
            [("cfn-yaml", "leastpriv.cfn.yaml"), ("cfn-json", "leastpriv.cfn.json")]
        {
            let out = leastpriv(&["synth", s(&example(name)), "--format", format]);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let committed = std::fs::read_to_string(example(name).join(file)).unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), committed, "{name} {format}");
        }
    }
}

#[test]
fn check_passes_on_committed_output_and_fails_with_a_diff_and_the_fix() {
    let out = leastpriv(&["synth", s(&example("orders")), "--format", "cfn-yaml", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let dir = scratch("check");
    let target = dir.join("roles.yaml");
    let fresh = std::fs::read_to_string(example("orders").join("leastpriv.cfn.yaml")).unwrap();
    std::fs::write(&target, fresh.replace("dynamodb:PutItem", "dynamodb:DeleteItem")).unwrap();
    let orders = example("orders");
    let args = ["synth", s(&orders), "--format", "cfn-yaml", "-o", s(&target), "--check"];
    let out = leastpriv(&args);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(diff.contains("-                  - \"dynamodb:DeleteItem\""), "{diff}");
    assert!(diff.contains("+                  - \"dynamodb:PutItem\""), "{diff}");
    let err = stderr(&out);
    assert!(err.contains("is out of date"), "{err}");
    assert!(err.contains(&format!("--format cfn-yaml -o {}", target.display())), "{err}");
    // --check never writes.
    assert!(std::fs::read_to_string(&target).unwrap().contains("DeleteItem"));
}

#[test]
fn output_files_and_directories() {
    let dir = scratch("out");
    let file = dir.join("nested/roles.json");
    let out =
        leastpriv(&["synth", s(&example("image-resize")), "--format", "cfn-json", "-o", s(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let committed =
        std::fs::read_to_string(example("image-resize").join("leastpriv.cfn.json")).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), committed);
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("nested")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");

    let policies = format!("{}/", dir.join("policies").display());
    let out =
        leastpriv(&["synth", s(&example("queue-worker")), "--format", "policy", "-o", &policies]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("policies/ForwardJobs.policy.json")).unwrap();
    let policy: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(policy["Version"], "2012-10-17");
    assert!(policy["Statement"].as_array().unwrap().iter().any(|s| s["Action"] == "sns:Publish"));
}

#[test]
fn the_manifest_has_calls_with_lines_and_requirements_with_provenance() {
    let out = leastpriv(&["synth", s(&example("orders")), "--format", "manifest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["crate"], "orders");
    let function = &manifest["functions"][0];
    assert_eq!(function["name"], "OrdersApi");
    assert_eq!(function["binary"], "orders");
    let calls = function["calls"].as_array().unwrap();
    let query = calls.iter().position(|c| c["method"] == "query").unwrap();
    assert_eq!(calls[query]["file"], "src/store.rs");
    assert!(calls[query]["line"].as_u64().unwrap() > 0);
    let requirement = function["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "dynamodb:Query")
        .unwrap();
    assert_eq!(requirement["call"], query);
    assert_eq!(requirement["resource_type"], "index");
    assert_eq!(function["declaration"]["entries"][0]["keys"]["index"], "customer-index");

    let schema = leastpriv(&["schema", "manifest"]);
    assert_eq!(schema.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&schema.stdout).unwrap();
    assert!(schema["properties"]["functions"].is_object(), "{schema}");
}

#[test]
fn diagnostics_stop_synthesis_before_anything_is_written() {
    let dir = scratch("diagnostics");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"broken\"\nversion = \"0.1.0\"\n")
        .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "#[leastpriv::role(s3(read, bucket = \"b\"))]\n\
         pub async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), Error> {\n    \
         s3.delete_object().bucket(\"b\").key(\"k\").send().await?;\n    Ok(())\n}\n",
    )
    .unwrap();
    let target = dir.join("out.yaml");
    let out = leastpriv(&["synth", s(&dir), "-o", s(&target)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("s3:DeleteObject") && err.contains("nothing written"), "{err}");
    assert!(!target.exists());
}

#[test]
fn bad_input_exits_2() {
    let out = leastpriv(&["synth", "/nonexistent/crate"]);
    assert_eq!(out.status.code(), Some(2));
    let dir = scratch("empty");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"plain\"\nversion = \"0.1.0\"\n")
        .unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    let out = leastpriv(&["synth", s(&dir)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no #[leastpriv::role] handler"), "{}", stderr(&out));
    let out = leastpriv(&["synth", s(&example("orders")), "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sam_merges_each_example_into_its_committed_template() {
    for name in ["image-resize", "orders", "queue-worker"] {
        let dir = example(name);
        let template = dir.join("template.yaml");
        let args = ["synth", s(&dir), "--format", "sam", "--template", s(&template)];
        let out = leastpriv(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        // Only the merge report: what the role grants against SAM's generated one.
        let err = stderr(&out);
        assert!(err.starts_with("privileges per function"), "{name}: {err}");
        assert!(!err.contains("warning"), "{name}: {err}");
        let committed =
            std::fs::read_to_string(example(name).join("template.leastpriv.yaml")).unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), committed, "{name}");
        // --check compares with template.leastpriv.yaml next to the template.
        let out = leastpriv(&[&args[..], &["--check"]].concat());
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
    }
}

#[cfg(unix)]
#[test]
fn sam_in_place_replaces_the_file_atomically_and_leaves_it_alone_on_error() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    let dir = scratch("in-place");
    let template = dir.join("template.yaml");
    let original = std::fs::read_to_string(example("orders").join("template.yaml")).unwrap();
    std::fs::write(&template, &original).unwrap();
    std::fs::set_permissions(&template, std::fs::Permissions::from_mode(0o640)).unwrap();
    // A second name for the original inode: a rename leaves it intact, a rewrite would not.
    std::fs::hard_link(&template, dir.join("before.yaml")).unwrap();
    let inode = std::fs::metadata(&template).unwrap().ino();
    let orders = example("orders");
    let args = ["synth", s(&orders), "--format", "sam", "--template", s(&template), "--in-place"];
    let out = leastpriv(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged = std::fs::read_to_string(&template).unwrap();
    let committed = std::fs::read_to_string(orders.join("template.leastpriv.yaml")).unwrap();
    assert_eq!(merged, committed);
    let meta = std::fs::metadata(&template).unwrap();
    assert_ne!(meta.ino(), inode, "replaced by a rename, not rewritten");
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert_eq!(std::fs::read_to_string(dir.join("before.yaml")).unwrap(), original);
    let mut names: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["before.yaml", "template.yaml"], "no temporary file left behind");
    // In place again: up to date.
    let out = leastpriv(&[&args[..], &["--check"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A conflicting variable: an error, and the file is not touched.
    let conflicting = merged.replace("SENDER: !Ref SenderIdentity", "SENDER: someone@example.com");
    assert_ne!(conflicting, merged);
    std::fs::write(&template, &conflicting).unwrap();
    let inode = std::fs::metadata(&template).unwrap().ino();
    let out = leastpriv(&args);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("SENDER") && err.contains("someone@example.com"), "{err}");
    assert!(err.contains(r#"{"Ref":"SenderIdentity"}"#), "{err}");
    assert_eq!(std::fs::read_to_string(&template).unwrap(), conflicting);
    assert_eq!(std::fs::metadata(&template).unwrap().ino(), inode);
}

#[test]
fn sam_reports_what_it_drops_and_what_it_cannot_match() {
    let dir = scratch("sam-notes");
    let template = dir.join("app.yaml");
    let text = std::fs::read_to_string(example("image-resize").join("template.yaml")).unwrap();
    let stray = "  Stray:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
                 CodeUri: other/\n      Handler: bootstrap\n      Runtime: provided.al2023\n\n";
    let text = text
        .replace(
            "      Handler: bootstrap\n",
            "      Handler: bootstrap\n      Policies:\n        - AWSLambdaBasicExecutionRole\n",
        )
        .replace("Outputs:\n", &format!("{stray}Outputs:\n"));
    std::fs::write(&template, text).unwrap();
    let image = example("image-resize");
    // A Rust function that matches no handler: refused, nothing written, the fixes named.
    let out = leastpriv(&["synth", s(&image), "--format", "sam", "--template", s(&template)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Stray: no Metadata.BuildProperties.Binary"), "{err}");
    assert!(err.contains("--allow-unmatched"), "{err}");
    assert!(out.stdout.is_empty());
    let out = leastpriv(&[
        "synth",
        s(&image),
        "--format",
        "sam",
        "--template",
        s(&template),
        "--allow-unmatched",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("note: ResizeFunction: dropped Policies"), "{err}");
    assert!(err.contains("warning: Stray: "), "{err}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("AWSLambdaBasicExecutionRole"), "{stdout}");

    // --map: Stray runs the same binary; -o DIR/ names the file after the template.
    let out_dir = format!("{}/", dir.join("out").display());
    let args = ["synth", s(&image), "--format", "sam", "--template", s(&template)];
    let out = leastpriv(&[&args[..], &["--map", "Stray=image-resize", "-o", &out_dir]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let written = std::fs::read_to_string(dir.join("out/app.leastpriv.yaml")).unwrap();
    assert_eq!(written.matches("Role: !GetAtt ResizeImageRole.Arn").count(), 2, "{written}");
}

#[test]
fn sam_options_need_sam_and_sam_needs_a_template() {
    let image = example("image-resize");
    let out = leastpriv(&["synth", s(&image), "--format", "sam"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--template"), "{}", stderr(&out));
    let out = leastpriv(&["synth", s(&image), "--format", "cfn-yaml", "--in-place"]);
    assert_eq!(out.status.code(), Some(2));
    let template = image.join("template.yaml");
    let out = leastpriv(&[
        "synth",
        s(&image),
        "--format",
        "sam",
        "--template",
        s(&template),
        "--in-place",
        "-o",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out =
        leastpriv(&["synth", s(&image), "--format", "sam", "--template", "/nonexistent.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn handlers_in_the_library_map_to_the_binaries_that_call_them_and_allow_unused_actions_stay() {
    let dir = scratch("lib-handlers");
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         aws-sdk-dynamodb = \"1\"\naws-sdk-s3 = \"1\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        r#"pub mod handlers {
    #[leastpriv::role(dynamodb(read, table = "${Orders}"))]
    pub async fn get_order(db: &aws_sdk_dynamodb::Client) -> Result<(), aws_sdk_dynamodb::Error> {
        db.get_item().table_name("orders").send().await?;
        Ok(())
    }

    #[leastpriv::role(
        s3(write, bucket = "${Exports}", actions = ["s3:PutObjectTagging"], allow_unused),
    )]
    pub async fn export(s3: &aws_sdk_s3::Client) -> Result<(), aws_sdk_s3::Error> {
        s3.put_object().bucket("exports").key("k").send().await?;
        Ok(())
    }
}
"#,
    )
    .unwrap();
    for (bin, call) in [("get-order", "get_order(&c)"), ("export", "export(&c)")] {
        let client = if bin == "export" { "aws_sdk_s3" } else { "aws_sdk_dynamodb" };
        std::fs::write(
            dir.join(format!("src/bin/{bin}.rs")),
            format!(
                "use shop::handlers::*;\n#[tokio::main]\nasync fn main() {{\n    let config = aws_config::load_from_env().await;\n    let c = {client}::Client::new(&config);\n    let _ = {call}.await;\n}}\n"
            ),
        )
        .unwrap();
    }
    let out = leastpriv(&["synth", s(&dir), "--format", "manifest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    let functions = manifest["functions"].as_array().unwrap();
    let by_name = |name: &str| functions.iter().find(|f| f["handler"] == name).unwrap();
    assert_eq!(by_name("get_order")["binary"], "get-order");
    assert_eq!(by_name("export")["binary"], "export");
    // The allow_unused entry's explicit action is in the role although no call needs it.
    let actions: Vec<&str> = by_name("export")["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert!(actions.contains(&"s3:PutObjectTagging"), "{actions:?}");
    assert!(actions.contains(&"s3:PutObject"), "{actions:?}");
}

/// The inventory app: a folder of two crates (a shared library and five binaries under
/// `src/bin/lambda/`), cargo-lambda `CodeUri`s, `Globals` with `Tracing: Active`, a DynamoDB
/// stream event.
#[test]
fn synth_at_the_root_of_a_sam_app_merges_every_function_with_no_flag() {
    let app = example("inventory");
    let dir = scratch("inventory");
    let target = dir.join("template.leastpriv.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_leastpriv"))
        .current_dir(&app)
        .args(["synth", ".", "--format", "sam", "--template", "template.yaml", "-o", s(&target)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = std::fs::read_to_string(&target).unwrap();
    let committed = std::fs::read_to_string(app.join("template.leastpriv.yaml")).unwrap();
    assert!(
        written == committed,
        "examples/inventory/template.leastpriv.yaml is stale; regenerate it with\n  cd \
         examples/inventory && leastpriv synth . --format sam --template template.yaml -o \
         template.leastpriv.yaml"
    );
    for function in ["GetItem", "PutItem", "ListItems", "ItemChanges", "ExportItems"] {
        let role =
            format!("Role: !GetAtt {}Role.Arn", function.replace("ItemChanges", "AnnounceChanges"));
        assert!(written.contains(&role), "{function}: {role}\n{written}");
    }
    // TABLE_NAME stays in Globals only.
    assert_eq!(written.matches("TABLE_NAME").count(), 1, "{written}");
    // The merge report: per function, what the roles grant compared with the old Policies.
    let report = stderr(&out).replace(&format!("{}", target.display()), "<out>");
    let snapshot =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/inventory-merge.txt");
    if std::env::var_os("LEASTPRIV_BLESS").is_some() {
        std::fs::write(&snapshot, &report).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        report == expected,
        "the merge report changed (LEASTPRIV_BLESS=1 cargo test -p leastpriv-cli --test synth \
         rewrites {}):\n{report}",
        snapshot.display()
    );
}

#[test]
fn synth_at_a_folder_writes_one_template_or_one_per_crate() {
    let app = example("inventory");
    let out = leastpriv(&["synth", s(&app), "--format", "manifest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["crate"], "inventory");
    let functions = manifest["functions"].as_array().unwrap();
    let names: Vec<(&str, &str, &str)> = functions
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap(),
                f["crate"].as_str().unwrap(),
                f["binary"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("AnnounceChanges", "inventory-functions", "item-changes"),
            ("ExportItems", "inventory-functions", "export-items"),
            ("GetItem", "inventory-functions", "get-item"),
            ("ListItems", "inventory-functions", "list-items"),
            ("PutItem", "inventory-functions", "put-item"),
        ]
    );

    let dir = scratch("per-crate");
    let out_dir = format!("{}/", dir.display());
    let out = leastpriv(&["synth", s(&app), "--format", "cfn-yaml", "--per-crate", "-o", &out_dir]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.join("inventory-functions/leastpriv.cfn.yaml").is_file());
    assert!(!dir.join("inventory-shared").exists(), "a crate without handlers gets no output");
}

#[test]
fn one_logical_id_in_two_crates_is_an_error_naming_both() {
    let dir = scratch("clash");
    let main = "#[leastpriv::role(s3(read, bucket = \"b\"))]\n\
                async fn handler(s3: &aws_sdk_s3::Client) {\n    \
                s3.get_object().bucket(\"b\").key(\"k\").send().await.ok();\n}\nfn main() {}\n";
    for krate in ["a", "b"] {
        package(&dir.join(krate), krate, "aws-sdk-s3 = \"1\"\n", &[("src/main.rs", main)]);
    }
    let out = leastpriv(&["synth", s(&dir), "--format", "manifest"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("`handler` (a: src/main.rs)"), "{err}");
    assert!(err.contains("`handler` (b: src/main.rs)"), "{err}");
    assert!(err.contains("name = "), "{err}");
}

#[test]
fn a_handler_of_a_library_crate_runs_in_the_binary_of_the_crate_that_calls_it() {
    let dir = scratch("cross-crate");
    let lib = "#[leastpriv::role(s3(read, bucket = \"b\"))]\n\
               pub async fn fetch(s3: &aws_sdk_s3::Client) {\n    \
               s3.get_object().bucket(\"b\").key(\"k\").send().await.ok();\n}\n";
    package(&dir.join("handlers"), "handlers", "aws-sdk-s3 = \"1\"\n", &[("src/lib.rs", lib)]);
    let fetcher = "#[tokio::main]\nasync fn main() {\n    \
                   let config = aws_config::load_from_env().await;\n    \
                   let s3 = aws_sdk_s3::Client::new(&config);\n    handlers::fetch(&s3).await;\n}\n";
    package(
        &dir.join("app"),
        "app",
        "aws-sdk-s3 = \"1\"\nhandlers = { path = \"../handlers\" }\n",
        &[("src/bin/fetcher.rs", fetcher), ("src/bin/other.rs", "fn main() {}\n")],
    );
    let out = leastpriv(&["synth", s(&dir), "--format", "manifest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    let function = &manifest["functions"][0];
    assert_eq!(function["name"], "Fetch");
    assert_eq!(function["crate"], "handlers");
    assert_eq!(function["binary"], "fetcher", "{manifest:#}");
    assert_eq!(manifest["functions"].as_array().unwrap().len(), 1, "reported once");
}
