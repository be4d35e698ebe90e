//! Hostile inputs and outputs, end to end on the built binary: source trees with symbolic link
//! loops, pipes, device links and absurd nesting; `-o`/`--in-place` onto links and devices;
//! control characters from inputs in messages.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/cli.rs"]
mod cli_common;
use cli_common::{example, leastpriv, s, scratch, stderr};

/// A one-handler crate (the analysis reads sources only; nothing is built).
fn tiny_crate(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         leastpriv = \"0.1\"\naws-sdk-s3 = \"1\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "#[leastpriv::role(s3(bucket = \"b\", read))]\n\
         async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), Box<dyn std::error::Error>> {\n\
         \x20   s3.get_object().bucket(\"b\").key(\"k\").send().await?;\n    Ok(())\n}\n\
         fn main() {}\n",
    )
    .unwrap();
    dir
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn link_loops_pipes_and_device_links_in_src_are_not_followed_or_read() {
    let dir = tiny_crate("src-specials");
    std::os::unix::fs::symlink(".", dir.join("src/loop")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("src/up")).unwrap();
    mkfifo(&dir.join("src/pipe.rs"));
    std::os::unix::fs::symlink("/dev/zero", dir.join("src/zero.rs")).unwrap();
    let started = Instant::now();
    let out = leastpriv(&["check", s(&dir)]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(all.contains("1 handler(s)"), "{all}");
    let out = leastpriv(&["synth", s(&dir), "--format", "cfn-yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn deeply_nested_or_oversized_code_is_an_input_error_in_every_command() {
    let dir = tiny_crate("deep-code");
    let cases = [
        ("parens.rs", format!("fn f() {{ let _ = {}1{}; }}\n", "(".repeat(4000), ")".repeat(4000))),
        ("blocks.rs", format!("fn f() {}{}\n", "{".repeat(1750), "}".repeat(1750))),
        ("unary.rs", format!("fn f() {{ let _ = {}true; }}\n", "!".repeat(20_000))),
        ("chain.rs", format!("fn f() {{ let _ = x{}; }}\n", ".a()".repeat(20_000))),
        // Over 16 MiB of plain, shallow code.
        ("huge.rs", "fn f() { let _ = 1; }\n".repeat(800_000)),
    ];
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
         Runtime: provided.al2023\n      Handler: bootstrap\n",
    )
    .unwrap();
    let commands: [&[&str]; 5] = [
        &["check", "DIR"],
        &["check", "DIR", "--short"],
        &["synth", "DIR", "--format", "cfn-yaml", "-o", "/dev/null"],
        &["infer", "DIR"],
        &["lint", "TEMPLATE", "--code", "DIR"],
    ];
    for (file, text) in &cases {
        std::fs::write(dir.join("src").join(file), text).unwrap();
        for command in commands {
            let args: Vec<&str> = (command.iter())
                .map(|&a| match a {
                    "DIR" => s(&dir),
                    "TEMPLATE" => s(&template),
                    _ => a,
                })
                .collect();
            let out = leastpriv(&args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{file} {command:?}: {err}");
            assert!(err.contains(&format!("{file}: ")), "{file} {command:?}: {err}");
            assert!(err.contains("more than"), "{file} {command:?}: {err}");
            assert!(err.contains("the crate was not analysed"), "{file} {command:?}: {err}");
        }
        std::fs::remove_file(dir.join("src").join(file)).unwrap();
    }
    // Other unreadable sources stay findings of the crate (exit 1), as before.
    std::fs::write(dir.join("src/broken.rs"), "fn f( {\n").unwrap();
    let out = leastpriv(&["check", s(&dir)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("error[unreadable-source]"), "{}", stderr(&out));
}

#[test]
fn output_goes_through_links_and_into_devices_without_replacing_them() {
    let dir = scratch("outputs");
    let orders = example("orders");
    let committed = std::fs::read_to_string(orders.join("leastpriv.cfn.yaml")).unwrap();

    // -o onto a symbolic link: the link stays, the file it names gets the template.
    let real = dir.join("real.yaml");
    std::fs::write(&real, "old\n").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.join("link.yaml");
    std::os::unix::fs::symlink("real.yaml", &link).unwrap();
    let out = leastpriv(&["synth", s(&orders), "--format", "cfn-yaml", "-o", s(&link)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&real).unwrap(), committed);
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o600);

    // -o onto a device: written into, not replaced.
    let out = leastpriv(&["synth", s(&orders), "--format", "cfn-yaml", "-o", "/dev/null"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());

    // --in-place through a link to the template.
    let template = dir.join("template.yaml");
    std::fs::copy(orders.join("template.yaml"), &template).unwrap();
    let tlink = dir.join("tlink.yaml");
    std::os::unix::fs::symlink("template.yaml", &tlink).unwrap();
    let out =
        leastpriv(&["synth", s(&orders), "--format", "sam", "--template", s(&tlink), "--in-place"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&tlink).unwrap().file_type().is_symlink());
    let merged = std::fs::read_to_string(orders.join("template.leastpriv.yaml")).unwrap();
    assert_eq!(std::fs::read_to_string(&template).unwrap(), merged);
    let mut names: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["link.yaml", "real.yaml", "template.yaml", "tlink.yaml"]);
}

#[test]
fn control_characters_from_inputs_are_escaped() {
    let orders = example("orders");
    let template = orders.join("template.yaml");
    let out = leastpriv(&[
        "synth",
        s(&orders),
        "--format",
        "sam",
        "--template",
        s(&template),
        "--map",
        "Evil\x1b[31m=orders",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(!err.contains('\x1b'), "{err:?}");
    assert!(err.contains("Evil\\u{1b}[31m"), "{err}");
}

#[test]
fn templates_and_policies_must_be_regular_files_of_bounded_size() {
    let dir = scratch("inputs");
    let orders = example("orders");
    let big = dir.join("big.yaml");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(17 * 1024 * 1024).unwrap();
    let out = leastpriv(&["synth", s(&orders), "--format", "sam", "--template", s(&big)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("larger than"), "{}", stderr(&out));
    let pipe = dir.join("pipe.json");
    mkfifo(&pipe);
    let out = leastpriv(&[
        "simulate",
        "--policy",
        s(&pipe),
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a regular file"), "{}", stderr(&out));
}

#[test]
fn corrupting_templates_are_refused_with_exit_2() {
    let dir = scratch("bad-templates");
    let orders = example("orders");
    let base = std::fs::read_to_string(orders.join("template.yaml")).unwrap();
    let cases = [
        (format!("{base}---\nSecond: doc\n"), "second YAML document"),
        (format!("{base}Mappings:\n  A: &a {{k: v}}\n  B:\n    <<: *a\n"), "merge key"),
        (format!("{}x\n", "- ".repeat(15_000)), "nests more than"),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = dir.join(format!("t{i}.yaml"));
        std::fs::write(&path, text).unwrap();
        let args = ["synth", s(&orders), "--format", "sam", "--template", s(&path), "--in-place"];
        let out = leastpriv(&args);
        assert_eq!(out.status.code(), Some(2), "case {i}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "case {i}: {}", stderr(&out));
        assert_eq!(&std::fs::read_to_string(&path).unwrap(), text, "case {i}: untouched");
    }
}

#[test]
fn ten_thousand_attribute_entries_check_in_linear_time() {
    let dir = tiny_crate("wide-attribute");
    let entries: Vec<String> =
        (0..10_000).map(|i| format!("s3(bucket = \"b{i}\", read)")).collect();
    std::fs::write(
        dir.join("src/main.rs"),
        format!(
            "#[leastpriv::role({})]\n\
             async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), Box<dyn std::error::Error>> {{\n\
             \x20   s3.get_object().bucket(\"b0\").key(\"k\").send().await?;\n    Ok(())\n}}\n\
             fn main() {{}}\n",
            entries.join(",\n")
        ),
    )
    .unwrap();
    let started = Instant::now();
    let out = leastpriv(&["check", s(&dir), "--short"]);
    let short = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("9999 problem(s)"), "{}", stderr(&out));
    let started = Instant::now();
    let out = leastpriv(&["check", s(&dir)]);
    let full = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    // Measured 0.8 s and 3.3 s (debug build, one core); the seconds allow a loaded machine.
    assert!(short < Duration::from_secs(15), "--short took {short:?}");
    assert!(full < Duration::from_secs(40), "the full report took {full:?}");
}
