//! The CDK example (`examples/cdk`): `cdk synth` of the TypeScript app that includes the template
//! `leastpriv synth` generated for `examples/image-resize`, checked by the app's own node test
//! (`npm test`): the function runs with the generated role, which keeps exactly its policy.
//!
//! Needs Node 20 and `npm ci` in `examples/cdk`: `#[ignore]`d in a plain `cargo test`, run by
//! `scripts/test` (which installs the packages and sets `LEASTPRIV_CDK=1`). Offline: no AWS
//! account needed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

#[test]
#[ignore = "needs Node 20 and `npm ci` in examples/cdk: run scripts/test (or set LEASTPRIV_CDK=1 and pass --include-ignored)"]
fn cdk_app_synthesises_with_the_generated_role() {
    assert_eq!(
        std::env::var("LEASTPRIV_CDK").as_deref(),
        Ok("1"),
        "LEASTPRIV_CDK=1 says examples/cdk has its npm packages (scripts/test runs `npm ci` and sets it)"
    );
    let app = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/cdk");
    let template = app.join("../image-resize/leastpriv.cfn.yaml");
    assert!(
        template.is_file(),
        "examples/image-resize/leastpriv.cfn.yaml is missing: the CDK example includes it. Generate it \
         from the repository root with `cargo run -p leastpriv-cli -- synth examples/image-resize \
         --format cfn-yaml -o examples/image-resize` and commit it"
    );
    assert!(
        app.join("node_modules/aws-cdk-lib").is_dir() && app.join("node_modules/aws-cdk").is_dir(),
        "examples/cdk has no node_modules: run `npm ci` in examples/cdk first (.ci/run does)"
    );
    let output = Command::new("npm")
        .args(["test", "--silent"])
        .current_dir(&app)
        .env_remove("LEASTPRIV_TEMPLATE")
        .output()
        .expect("npm runs (Node 20 and npm on PATH)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "`npm test` in examples/cdk failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // The node test's TAP report, shown with `cargo test -- --nocapture`.
    println!("{stdout}");
}
