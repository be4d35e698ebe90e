//! Discovery over small project trees written to a temporary folder.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Binary, CrateInfo, PathDependency, discover, discover_crate};

/// A project tree in its own temporary folder, removed on drop.
struct Fixture {
    root: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir()
            .join(format!("leastpriv-project-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Fixture { root }
    }

    /// Writes `text` to `rel`, creating folders.
    fn file(&self, rel: &str, text: &str) -> &Self {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// A package `name` in `rel` with `extra` manifest lines and a `src/main.rs`.
    fn package(&self, rel: &str, name: &str, extra: &str) -> &Self {
        let manifest = format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n{extra}");
        let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
        self.file(&format!("{prefix}Cargo.toml"), &manifest);
        self.file(&format!("{prefix}src/main.rs"), "fn main() {}\n")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn names(crates: &[CrateInfo]) -> Vec<&str> {
    crates.iter().map(|c| c.name.as_str()).collect()
}

fn find<'a>(crates: &'a [CrateInfo], name: &str) -> &'a CrateInfo {
    crates.iter().find(|c| c.name == name).unwrap()
}

fn bins(info: &CrateInfo) -> Vec<(&str, &str)> {
    info.binaries.iter().map(|b| (b.name.as_str(), b.entry.to_str().unwrap())).collect()
}

fn aliases(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

fn same_dir(a: &Path, b: &Path) -> bool {
    std::fs::canonicalize(a).unwrap() == std::fs::canonicalize(b).unwrap()
}

#[test]
fn workspace_inheritance_with_rename_and_path_dependency() {
    let fx = Fixture::new("inherit");
    fx.file(
        "Cargo.toml",
        r#"[workspace]
members = ["lambdas/*", "crates/common"]

[workspace.dependencies]
aws-sdk-s3 = "1"
ddb = { package = "aws-sdk-dynamodb", version = "1" }
common = { path = "crates/common" }
tokio = "1"
"#,
    );
    fx.package(
        "lambdas/writer",
        "writer",
        "[dependencies]\naws-sdk-s3.workspace = true\nddb = { workspace = true }\n\
         common = { workspace = true, features = [\"x\"] }\ntokio.workspace = true\n",
    );
    fx.file(
        "crates/common/Cargo.toml",
        "[package]\nname = \"common\"\n[lib]\nname = \"shared_common\"\n\
         [dependencies]\nddb = { workspace = true }\n",
    );
    fx.file("crates/common/src/lib.rs", "");

    let crates = discover(&fx.root).unwrap();
    assert_eq!(names(&crates), ["writer", "common"]);
    let writer = find(&crates, "writer");
    assert_eq!(writer.sdk_crates, ["aws-sdk-dynamodb", "aws-sdk-s3"]);
    let expected = aliases(&[("aws_sdk_s3", "aws-sdk-s3"), ("ddb", "aws-sdk-dynamodb")]);
    assert_eq!(writer.sdk_aliases, expected);
    // Not renamed: code names it by its library name.
    assert_eq!(writer.path_dependencies.len(), 1);
    assert_eq!(writer.path_dependencies[0].code_name, "shared_common");
    assert!(same_dir(&writer.path_dependencies[0].dir, &fx.path("crates/common")));
    let common = find(&crates, "common");
    assert_eq!(common.lib.as_deref(), Some(Path::new("src/lib.rs")));
    assert_eq!(common.lib_name, "shared_common");
    assert!(common.binaries.is_empty());

    // A member on its own finds its root by walking up.
    let alone = discover_crate(&fx.path("lambdas/writer")).unwrap();
    assert_eq!(alone.sdk_aliases, expected);
    assert!(same_dir(&alone.path_dependencies[0].dir, &fx.path("crates/common")));
    assert_eq!(discover(&fx.path("lambdas/writer")).unwrap(), vec![alone]);
}

#[test]
fn renamed_path_dependency_keeps_its_key() {
    let fx = Fixture::new("rename");
    fx.package(
        "app",
        "app",
        "[dependencies]\nmy-util = { package = \"util\", path = \"../util\" }\n\
         s3 = { package = \"aws-sdk-s3\", version = \"1\" }\n",
    );
    fx.file("util/Cargo.toml", "[package]\nname = \"util\"\n");
    let info = discover_crate(&fx.path("app")).unwrap();
    let dep = PathDependency { code_name: "my_util".to_owned(), dir: fx.path("util") };
    assert_eq!(info.path_dependencies, [dep]);
    assert_eq!(info.sdk_aliases, aliases(&[("s3", "aws-sdk-s3")]));
    assert_eq!(info.sdk_crates, ["aws-sdk-s3"]);
    assert_eq!(info.lib, None);
    assert_eq!(info.lib_name, "app");
}

#[test]
fn missing_workspace_dependency_is_an_error() {
    let fx = Fixture::new("uninherited");
    fx.file("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n");
    fx.package("a", "a", "[dependencies]\naws-sdk-s3 = { workspace = true }\n");
    let err = discover(&fx.root).unwrap_err();
    assert!(err.message.contains("`[workspace.dependencies] aws-sdk-s3`"), "{err}");
    assert!(err.path.ends_with("a/Cargo.toml"), "{err}");

    // Copied out of any workspace: taken by its key.
    let detached = Fixture::new("detached");
    detached.package("", "a", "[dependencies]\naws-sdk-s3 = { workspace = true }\n");
    let info = discover_crate(&detached.root).unwrap();
    assert_eq!(info.sdk_crates, ["aws-sdk-s3"]);
}

#[test]
fn glob_members_with_exclude() {
    let fx = Fixture::new("globs");
    fx.file(
        "Cargo.toml",
        r#"[workspace]
members = ["functions/*-fn", "crates/*/", "tools/[ab]*"]
exclude = ["crates/legacy", "functions/old-*"]
"#,
    );
    fx.package("functions/create-fn", "create", "");
    fx.package("functions/delete-fn", "delete", "");
    fx.package("functions/old-fn", "old", "");
    fx.package("functions/helper", "helper", "");
    fx.package("crates/core", "core-lib", "");
    fx.package("crates/legacy", "legacy", "");
    fx.file("crates/node-only/package.json", "{}");
    fx.package("tools/alpha", "alpha", "");
    fx.package("tools/zeta", "zeta", "");
    let crates = discover(&fx.path("Cargo.toml")).unwrap();
    assert_eq!(names(&crates), ["create", "delete", "core-lib", "alpha"]);
}

#[test]
fn explicit_member_without_manifest_is_an_error() {
    let fx = Fixture::new("missing-member");
    fx.file("Cargo.toml", "[workspace]\nmembers = [\"gone\"]\n");
    let err = discover(&fx.root).unwrap_err();
    assert!(err.message.contains("workspace member `gone` has no Cargo.toml"), "{err}");
}

#[test]
fn root_package_and_path_dependency_members() {
    let fx = Fixture::new("root-package");
    fx.package("", "root", "[dependencies]\ninner = { path = \"inner\" }\n[workspace]\n");
    fx.package("inner", "inner", "");
    let crates = discover(&fx.root).unwrap();
    assert_eq!(names(&crates), ["root", "inner"]);
}

#[test]
fn cdk_folder_skips_build_outputs_and_dependencies() {
    let fx = Fixture::new("cdk");
    fx.file("cdk.json", "{}");
    fx.file("bin/app.ts", "");
    fx.package("lambdas/a", "a", "[dependencies]\naws-sdk-sns = \"1\"\n");
    fx.package("lambdas/b", "b", "");
    fx.package("cdk.out/x", "x", "");
    fx.package("node_modules/y", "y", "");
    fx.package("target/z", "z", "");
    fx.package("lambdas/b/target/package/b-0.1.0", "b-copy", "");
    fx.package(".aws-sam/build", "sam-copy", "");
    fx.package(".git/weird", "weird", "");
    let crates = discover(&fx.root).unwrap();
    assert_eq!(names(&crates), ["a", "b"]);
    assert_eq!(find(&crates, "a").sdk_crates, ["aws-sdk-sns"]);
}

#[test]
fn folder_with_workspaces_counts_each_crate_once() {
    let fx = Fixture::new("nested");
    // A workspace whose members the walk meets again.
    fx.file("svc/Cargo.toml", "[workspace]\nmembers = [\"fns/*\"]\nexclude = [\"standalone\"]\n");
    fx.package("svc/fns/one", "one", "");
    fx.package("svc/fns/two", "two", "");
    // Inside the workspace but no member: Cargo refuses it, so it is left out.
    fx.package("svc/tests/fixture", "fixture", "");
    // Excluded from it: its own crate.
    fx.package("svc/standalone", "standalone", "");
    // A nested workspace of its own (a package with `[workspace]`).
    fx.package("svc/tools/gen", "gen", "[workspace]\n");
    // A package outside any workspace.
    fx.package("web/api", "api", "");
    let crates = discover(&fx.root).unwrap();
    assert_eq!(names(&crates), ["one", "two", "standalone", "gen", "api"]);
}

#[cfg(unix)]
#[test]
fn folder_walk_survives_symlink_loops() {
    let fx = Fixture::new("symlink");
    fx.package("fns/a", "a", "");
    std::os::unix::fs::symlink(&fx.root, fx.path("fns/a/loop")).unwrap();
    std::os::unix::fs::symlink(fx.path("fns"), fx.path("again")).unwrap();
    let crates = discover(&fx.root).unwrap();
    assert_eq!(names(&crates), ["a"]);
}

#[test]
fn folder_without_crates_is_an_error_that_says_what_was_searched() {
    let fx = Fixture::new("empty");
    fx.file("infra/stack.ts", "");
    fx.package("node_modules/dep", "dep", "");
    let err = discover(&fx.root).unwrap_err();
    assert_eq!(err.path, fx.root);
    assert!(err.message.starts_with("no Cargo.toml found in or below"), "{err}");
    assert!(err.message.contains("node_modules/"), "{err}");
    assert!(err.message.contains("give a crate, a workspace, or a folder that contains crates"));
}

#[test]
fn missing_path_is_an_error() {
    let fx = Fixture::new("missing");
    let err = discover(&fx.path("nope")).unwrap_err();
    assert!(err.message.starts_with("does not exist"), "{err}");
}

#[test]
fn invalid_manifest_met_in_a_walk_says_so() {
    let fx = Fixture::new("invalid");
    fx.file("fns/broken/Cargo.toml", "[package\n");
    let err = discover(&fx.root).unwrap_err();
    assert!(err.path.ends_with("fns/broken/Cargo.toml"), "{err}");
    assert!(err.message.contains("invalid Cargo.toml"), "{err}");
    assert!(err.message.contains("searching a folder"), "{err}");
}

#[test]
fn lib_name_and_path() {
    let fx = Fixture::new("lib");
    fx.file(
        "Cargo.toml",
        "[package]\nname = \"my-handlers\"\n[lib]\nname = \"handlers\"\npath = \"lib/root.rs\"\n",
    );
    fx.file("lib/root.rs", "");
    let info = discover_crate(&fx.root).unwrap();
    assert_eq!(info.lib.as_deref(), Some(Path::new("lib/root.rs")));
    assert_eq!(info.lib_name, "handlers");
    assert!(info.binaries.is_empty());
}

#[test]
fn binaries_declared_and_discovered() {
    let fx = Fixture::new("bins");
    fx.package(
        "",
        "orders",
        "[[bin]]\nname = \"create-order\"\npath = \"src/lambda/create.rs\"\n\
         [[bin]]\nname = \"tool\"\n",
    );
    fx.file("src/lambda/create.rs", "fn main() {}\n");
    fx.file("src/bin/tool/main.rs", "fn main() {}\n");
    fx.file("src/bin/backfill.rs", "fn main() {}\n");
    fx.file("src/bin/notes.txt", "");
    fx.file("src/bin/empty/readme.md", "");
    let info = discover_crate(&fx.root).unwrap();
    assert_eq!(
        bins(&info),
        [
            ("create-order", "src/lambda/create.rs"),
            ("tool", "src/bin/tool/main.rs"),
            ("orders", "src/main.rs"),
            ("backfill", "src/bin/backfill.rs"),
        ]
    );
}

#[test]
fn autobins_false_keeps_only_declared_binaries() {
    let fx = Fixture::new("autobins");
    fx.package(
        "",
        "svc",
        "autobins = false\n[[bin]]\nname = \"bootstrap\"\npath = \"src/lambda.rs\"\n",
    );
    fx.file("src/lambda.rs", "fn main() {}\n");
    fx.file("src/bin/other.rs", "fn main() {}\n");
    let info = discover_crate(&fx.root).unwrap();
    let expected = Binary { name: "bootstrap".to_owned(), entry: PathBuf::from("src/lambda.rs") };
    assert_eq!(info.binaries, [expected]);
}

#[test]
fn target_specific_dependencies_count_and_dev_dependencies_do_not() {
    let fx = Fixture::new("deps");
    fx.package(
        "app",
        "app",
        r#"[dependencies]
aws-sdk-s3 = "1"

[target.'cfg(target_os = "linux")'.dependencies]
aws-sdk-sqs = "1"
linux-util = { path = "../linux-util" }

[target.x86_64-unknown-linux-gnu.dependencies]
kms = { package = "aws-sdk-kms", version = "1" }

[dev-dependencies]
aws-sdk-dynamodb = "1"
test-util = { path = "../test-util" }

[build-dependencies]
build-util = { path = "../build-util" }
"#,
    );
    fx.file("linux-util/Cargo.toml", "[package]\nname = \"linux-util\"\n");
    let info = discover_crate(&fx.path("app")).unwrap();
    assert_eq!(info.sdk_crates, ["aws-sdk-kms", "aws-sdk-s3", "aws-sdk-sqs"]);
    let expected = aliases(&[
        ("aws_sdk_s3", "aws-sdk-s3"),
        ("aws_sdk_sqs", "aws-sdk-sqs"),
        ("kms", "aws-sdk-kms"),
    ]);
    assert_eq!(info.sdk_aliases, expected);
    let dep = PathDependency { code_name: "linux_util".to_owned(), dir: fx.path("linux-util") };
    assert_eq!(info.path_dependencies, [dep]);
}

#[test]
fn virtual_manifest_is_not_a_crate() {
    let fx = Fixture::new("virtual");
    fx.file("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n");
    fx.package("a", "a", "");
    let err = discover_crate(&fx.root).unwrap_err();
    assert!(err.message.contains("virtual workspace manifest"), "{err}");
    fx.file("Cargo.toml", "[workspace]\nmembers = []\n");
    let err = discover(&fx.root).unwrap_err();
    assert!(err.message.contains("workspace without member packages"), "{err}");
}

#[test]
fn glob_matching() {
    use super::workspace::glob_matches;
    assert!(glob_matches("*-fn", "create-fn"));
    assert!(!glob_matches("*-fn", "create-fn2"));
    assert!(glob_matches("a?c", "abc"));
    assert!(glob_matches("[a-c]x", "bx"));
    assert!(!glob_matches("[!a-c]x", "bx"));
    assert!(glob_matches("[]]", "]"));
    assert!(glob_matches("*", ""));
}

#[test]
fn normalize_is_lexical() {
    use super::normalize;
    assert_eq!(normalize(Path::new("a/b/../c/./d")), Path::new("a/c/d"));
    assert_eq!(normalize(Path::new("./a/..")), Path::new("."));
    assert_eq!(normalize(Path::new("../x")), Path::new("../x"));
    assert_eq!(normalize(Path::new("/a/../../b")), Path::new("/b"));
}
