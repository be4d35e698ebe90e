//! A generated regression corpus of SAM templates, merged and read back.
//!
//! [`SNIPPETS`] is the compact description: each names a fragment of template (every intrinsic
//! function in short and long form, nested intrinsics, YAML 1.1 scalars, anchors, block and flow
//! styles, Conditions, Globals, Mappings) and where it goes, the lines the merged template must
//! keep verbatim, or the error the template must be refused with (a second document, a merge key,
//! keys next to an `Fn::If`, …). [`corpus`] builds [`TEMPLATES`] templates from it: first each
//! fragment alone, then deterministic combinations of up to four, each in one of four encodings
//! (LF, CRLF, BOM + LF, BOM + CRLF). For every template: it reads; written and read again it is
//! the same tree; merging gives a template that reads, differs from the input only where the merge
//! is meant to change it (the function's Role, Environment, LoggingConfig and replaced
//! properties, new resources, new parameters), keeps the promised lines, and merges again
//! unchanged. With `LEASTPRIV_CFN_LINT` set (see `.ci/run`), cfn-lint runs over all inputs and all
//! outputs and must report no error rule on an output that it did not report on its input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use leastpriv_core::catalog::Catalog;
use leastpriv_core::pipeline::check_crate;
use leastpriv_core::synth::document::Node;
use leastpriv_core::synth::sam::{SamOptions, merge_text};
use leastpriv_core::synth::{Manifest, binary_of};

/// How many templates the corpus has.
const TEMPLATES: usize = 360;

/// Where a fragment goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    /// Under the template's `Metadata` (free-form), two spaces in.
    Meta,
    /// Under `Conditions`.
    Conditions,
    /// A top-level section (`Globals`).
    Top,
    /// Under `Resources`.
    Resources,
    /// Under the function's `Properties`, six spaces in.
    Props,
    /// An output's value (after `Value:`).
    Output,
    /// After everything.
    End,
}

/// A fragment: where, its text, lines the merged template keeps, or the refusal it causes.
struct Snippet {
    at: At,
    text: &'static str,
    keeps: &'static [&'static str],
    refused: Option<&'static str>,
}

const fn ok(at: At, text: &'static str, keeps: &'static [&'static str]) -> Snippet {
    Snippet { at, text, keeps, refused: None }
}

const fn refused(at: At, text: &'static str, error: &'static str) -> Snippet {
    Snippet { at, text, keeps: &[], refused: Some(error) }
}

const SNIPPETS: &[Snippet] = &[
    // Every intrinsic, short and long, and nested.
    ok(At::Output, "!Ref Bucket", &["Value: !Ref Bucket"]),
    ok(At::Output, "\n      Ref: Queue", &[]),
    ok(At::Output, "!GetAtt Queue.Arn", &["Value: !GetAtt Queue.Arn"]),
    ok(At::Output, "!GetAtt [Queue, QueueName]", &[]),
    ok(At::Output, "\n      Fn::GetAtt: [Queue, Arn]", &[]),
    ok(At::Output, "\n      Fn::GetAtt: [Queue.Nested, Name]", &["- Queue.Nested"]),
    ok(At::Output, "\n      Fn::GetAtt: Queue.QueueUrl", &["Fn::GetAtt: Queue.QueueUrl"]),
    ok(At::Output, "!Sub \"${AWS::StackName}-${Bucket}\"", &[]),
    ok(At::Output, "!Sub [\"${A}-x\", {A: !Ref Bucket}]", &[]),
    ok(At::Output, "\n      Fn::Sub:\n        - \"${A}-y\"\n        - A: !GetAtt Queue.Arn", &[]),
    ok(At::Output, "!Join [\",\", [!Ref Bucket, !GetAtt Queue.Arn]]", &[]),
    ok(
        At::Output,
        "\n      Fn::Join:\n        - \"\"\n        - - Ref: Bucket\n          - Fn::Sub: x",
        &[],
    ),
    ok(At::Output, "!Select [0, !GetAZs \"\"]", &[]),
    ok(At::Output, "!Select [1, !Split [\"-\", !Ref \"AWS::StackName\"]]", &[]),
    ok(At::Output, "!FindInMap [Accounts, \"054676820928\", Name]", &[]),
    ok(At::Output, "\n      Fn::FindInMap: [Accounts, \"054676820928\", Name]", &[]),
    ok(At::Output, "!Base64 {\"Fn::Sub\": \"${AWS::Region}\"}", &["Fn::Base64: !Sub"]),
    ok(At::Output, "!Select [0, !Cidr [\"10.0.0.0/16\", 4, 8]]", &[]),
    ok(
        At::Output,
        "{\"Fn::ImportValue\": !Sub \"${AWS::StackName}-x\"}",
        &["Fn::ImportValue: !Sub"],
    ),
    ok(
        At::Output,
        "\n      Fn::ImportValue:\n        Fn::Sub: \"${AWS::StackName}-y\"",
        &["Fn::ImportValue: !Sub"],
    ),
    ok(At::Output, "!ImportValue shared-value", &["!ImportValue shared-value"]),
    ok(At::Output, "!If [IsProd, a, b]", &[]),
    ok(At::Output, "!If [IsProd, !Ref Bucket, !Ref \"AWS::NoValue\"]", &[]),
    ok(At::Output, "!Select [0, {\"Fn::GetAZs\": !Ref \"AWS::Region\"}]", &["Fn::GetAZs: !Ref"]),
    ok(At::Output, "\n      Fn::Ref: Bucket", &["Fn::Ref: Bucket"]),
    ok(At::Output, "!Sub |\n      multi ${AWS::Region}\n      line", &[]),
    ok(
        At::Resources,
        "  Included:\n    Type: AWS::SNS::Topic\n    Properties:\n      Fn::Transform:\n        Name: AWS::Include\n        Parameters:\n          Location: s3://bucket/snippet.yaml\n",
        &["Fn::Transform:"],
    ),
    ok(At::Conditions, "  IsBoth: !And [!Condition IsProd, !Not [!Condition IsProd]]\n", &[]),
    ok(
        At::Conditions,
        "  IsEither:\n    Fn::Or:\n      - Condition: IsProd\n      - !Equals [a, b]\n",
        &[],
    ),
    ok(At::Conditions, "  Nested: !Not [{\"Condition\": IsProd}]\n", &[]),
    ok(At::Conditions, "  Odd:\n    Fn::And: null\n", &["Fn::And: null"]),
    ok(At::Conditions, "  Eq: !Equals [!Ref Stage, !Select [0, [prod]]]\n", &[]),
    // YAML 1.1 scalars keep their text.
    ok(
        At::Meta,
        "  AccountId: 054676820928\n  AccountQuoted: \"054676820928\"\n",
        &["AccountId: 054676820928", "AccountQuoted: \"054676820928\""],
    ),
    ok(
        At::Meta,
        "  Mode: 0755\n  Octal: 0o17\n  Hex: 0x1F\n  Bin: 0b101\n",
        &["Mode: 0755", "Octal: 0o17", "Hex: 0x1F", "Bin: 0b101"],
    ),
    ok(
        At::Meta,
        "  Exp: 1e3\n  Float: 12.50\n  NegInf: -.inf\n  NotANumber: .NaN\n",
        &["Exp: 1e3", "Float: 12.50", "NegInf: -.inf", "NotANumber: .NaN"],
    ),
    ok(
        At::Meta,
        "  Big: 123456789012345678901234\n  Neg: -0\n  Plus: +12\n  Under: 1_000\n  Sexa: 1:30\n",
        &["Big: 123456789012345678901234", "Neg: -0", "Plus: +12", "Under: 1_000", "Sexa: 1:30"],
    ),
    ok(
        At::Meta,
        "  Yes1: Yes\n  No1: NO\n  On1: on\n  Off1: Off\n  True1: True\n",
        &["Yes1: Yes", "No1: NO", "On1: on", "Off1: Off", "True1: True"],
    ),
    ok(At::Meta, "  Tilde: ~\n  Null1: null\n  Empty:\n", &["Tilde: ~", "Null1: null"]),
    ok(
        At::Meta,
        "  Date: 2012-10-17\n  Stamp: 2001-12-14t21:59:43.10-05:00\n",
        &["Date: 2012-10-17", "Stamp: 2001-12-14t21:59:43.10-05:00"],
    ),
    ok(
        At::Meta,
        "  QuotedMode: \"0755\"\n  QuotedYes: 'Yes'\n  QuotedNull: \"null\"\n  QuotedSexa: \"1:30\"\n",
        &[
            "QuotedMode: \"0755\"",
            "QuotedYes: \"Yes\"",
            "QuotedNull: \"null\"",
            "QuotedSexa: \"1:30\"",
        ],
    ),
    ok(At::Meta, "  Str: !!str 0755\n  Int: !!int 12\n", &["Int: 12"]),
    ok(At::Meta, "  Tagged: !Sub 0755\n", &[]),
    // Styles: block scalars, flow collections, comments, unicode, odd keys.
    ok(
        At::Meta,
        "  Block: |\n    line one\n    line: two\n  Folded: >-\n    folded\n    text\n",
        &[],
    ),
    ok(At::Meta, "  # a comment\n  Flow: {a: [1, 2, {b: c}], d: \"e\"}\n", &[]),
    ok(At::Meta, "  Unicode: \"h\u{e9}llo \u{2713}\"\n  Tab: \"a\\tb\"\n  Colon: \"a: b\"\n", &[]),
    // (A plain numeric key next to string keys crashes cfn-lint 1.58's SAM transform.)
    ok(At::Meta, "  \"key with: colon\": v\n  ? complex\n  : value\n", &[]),
    ok(
        At::Meta,
        "  Long: \"a very long string with spaces that goes on and on and on and on and on and on and on and on\"\n",
        &[],
    ),
    // Anchors and aliases (expanded).
    ok(
        At::Resources,
        "  Tagged1:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags: &tags\n        - Key: a\n          Value: b\n  Tagged2:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags: *tags\n",
        &[],
    ),
    ok(
        At::Resources,
        "  Flow:\n    Type: AWS::SNS::Topic\n    Properties: {TopicName: !Sub \"${AWS::StackName}-t\", Tags: [{Key: k, Value: v}]}\n",
        &[],
    ),
    ok(
        At::Resources,
        "  Fifo:\n    Type: AWS::SQS::Queue\n    Properties:\n      FifoQueue: Yes\n      ContentBasedDeduplication: on\n      DelaySeconds: 010\n",
        &["FifoQueue: Yes", "ContentBasedDeduplication: on", "DelaySeconds: 010"],
    ),
    ok(
        At::Resources,
        "  Conditional:\n    Type: AWS::SNS::Topic\n    Condition: IsProd\n    Properties:\n      TopicName: !If [IsProd, prod-topic, !Ref \"AWS::NoValue\"]\n",
        &[],
    ),
    // Globals and the function's own properties.
    ok(
        At::Top,
        "Globals:\n  Function:\n    Timeout: 10\n    Environment:\n      Variables:\n        STAGE: !Ref Stage\n",
        &["STAGE: !Ref Stage"],
    ),
    ok(
        At::Props,
        "      MemorySize: 1_024\n      Timeout: 030\n",
        &["MemorySize: 1_024", "Timeout: 030"],
    ),
    ok(At::Props, "      Description: !Sub \"fn in ${AWS::Region}\"\n      Tags: {Team: a}\n", &[]),
    ok(At::Props, "      Policies:\n        - AWSLambdaBasicExecutionRole\n", &[]),
    ok(
        At::Props,
        "      Environment:\n        Variables:\n          KEEP: !Sub \"${AWS::Region}-x\"\n          OLD: 0755\n",
        &["OLD: 0755"],
    ),
    ok(At::Props, "      LoggingConfig:\n        LogFormat: JSON\n", &["LogFormat: JSON"]),
    // Refused, with exit 2 in the CLI.
    refused(At::End, "---\nOther: document\n", "second YAML document"),
    refused(At::Meta, "  Base: &base {a: 1}\n  Derived:\n    <<: *base\n    b: 2\n", "merge key"),
    refused(At::Meta, "  Bin: !!binary aGVsbG8=\n", "unsupported YAML tag"),
    refused(At::Meta, "  Dup: 1\n  Dup: 2\n", "duplicate key"),
    refused(
        At::Props,
        "      Environment: !If [IsProd, {Variables: {A: b}}, !Ref \"AWS::NoValue\"]\n",
        "computed by Fn::If",
    ),
    refused(
        At::Props,
        "      Environment:\n        Variables: !If [IsProd, {A: b}, {A: c}]\n",
        "computed by Fn::If",
    ),
    refused(
        At::Props,
        "      LoggingConfig: !If [IsProd, {LogFormat: JSON}, !Ref \"AWS::NoValue\"]\n",
        "computed by Fn::If",
    ),
];

/// One generated template.
struct Case {
    name: String,
    text: String,
    keeps: Vec<&'static str>,
    refused: Option<&'static str>,
}

fn build(index: usize, picks: &[usize]) -> Case {
    let mut parts: BTreeMap<u8, String> = BTreeMap::new();
    let mut outputs = String::new();
    let mut keeps = Vec::new();
    let mut refusal = None;
    for (n, &pick) in picks.iter().enumerate() {
        let snippet = &SNIPPETS[pick];
        keeps.extend_from_slice(snippet.keeps);
        refusal = refusal.or(snippet.refused);
        let slot = match snippet.at {
            At::Meta => 0,
            At::Conditions => 1,
            At::Top => 2,
            At::Resources => 3,
            At::Props => 4,
            At::End => 5,
            At::Output => {
                outputs.push_str(&format!("  Out{n}:\n    Value: {}\n", snippet.text));
                continue;
            }
        };
        let text = parts.entry(slot).or_default();
        // One Environment / LoggingConfig per function: the first fragment wins.
        if snippet.at == At::Props
            && ["Environment:", "LoggingConfig:", "Policies:", "MemorySize:", "Description:"]
                .iter()
                .any(|k| snippet.text.contains(k) && text.contains(k))
        {
            continue;
        }
        text.push_str(snippet.text);
    }
    let part = |slot: u8| parts.get(&slot).cloned().unwrap_or_default();
    let text = format!(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nTransform: AWS::Serverless-2016-10-31\n\
         Description: corpus template {index}\nMetadata:\n  Generated: true\n{}\
         Parameters:\n  Stage:\n    Type: String\n    Default: prod\n\
         Mappings:\n  Accounts:\n    \"054676820928\":\n      Name: main\n\
         Conditions:\n  IsProd: !Equals [!Ref Stage, prod]\n{}{}\
         Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Queue:\n    Type: AWS::SQS::Queue\n\
         \x20 ResizeFunction:\n    Type: AWS::Serverless::Function\n    Metadata:\n\
         \x20     BuildProperties:\n        Binary: image-resize\n    Properties:\n\
         \x20     CodeUri: .\n      Handler: bootstrap\n      Runtime: provided.al2023\n{}{}\
         Outputs:\n  Base:\n    Value: !Ref Bucket\n{outputs}{}",
        part(0),
        part(1),
        part(2),
        part(4),
        part(3),
        part(5),
    );
    let text = match index % 4 {
        0 => text,
        1 => text.replace('\n', "\r\n"),
        2 => format!("\u{feff}{text}"),
        _ => format!("\u{feff}{}", text.replace('\n', "\r\n")),
    };
    Case { name: format!("t{index:03}"), text, keeps, refused: refusal }
}

/// The corpus: each fragment alone, then combinations of two to four (a fixed linear
/// congruential sequence, so the corpus is the same on every run).
fn corpus() -> Vec<Case> {
    let mut cases: Vec<Case> = (0..SNIPPETS.len()).map(|i| build(i, &[i])).collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |bound: usize| {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % bound
    };
    while cases.len() < TEMPLATES {
        let index = cases.len();
        let count = 2 + index % 3;
        let mut picks: Vec<usize> = (0..count).map(|_| next(SNIPPETS.len())).collect();
        // Most combinations merge: keep refusals to about one in eight.
        if !index.is_multiple_of(8) {
            picks.retain(|p| SNIPPETS[*p].refused.is_none());
        }
        picks.sort_unstable();
        picks.dedup();
        cases.push(build(index, &picks));
    }
    cases
}

fn example_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name)
}

fn manifest() -> Manifest {
    let catalog = Catalog::embedded().unwrap();
    let (_, results) = check_crate(catalog, &example_dir("image-resize"));
    Manifest::build(catalog, "image-resize", &results, |h| {
        binary_of(&h.file.to_string_lossy(), "image-resize")
    })
    .unwrap()
}

fn entries(node: &Node) -> &[(String, Node)] {
    match node {
        Node::Map(entries) => entries,
        _ => &[],
    }
}

/// The merge changes only the function's Role, Environment, LoggingConfig and the properties
/// the role replaces, and adds resources and parameters; everything else is as read.
fn assert_only_merge_changes(name: &str, before: &Node, after: &Node) {
    const FUNCTION: &str = "ResizeFunction";
    const CHANGED: &[&str] = &["Role", "Environment", "LoggingConfig", "Policies"];
    for (key, value) in entries(before) {
        let merged = after.get(key).unwrap_or_else(|| panic!("{name}: lost {key}"));
        match key.as_str() {
            "Resources" | "Parameters" => {
                for (id, resource) in entries(value) {
                    let merged = merged.get(id).unwrap_or_else(|| panic!("{name}: lost {id}"));
                    if id != FUNCTION {
                        assert_eq!(merged, resource, "{name}: {key}.{id} changed");
                        continue;
                    }
                    for (k, v) in entries(resource) {
                        if k != "Properties" {
                            assert_eq!(merged.get(k), Some(v), "{name}: {id}.{k} changed");
                        }
                    }
                    let properties = merged.get("Properties").unwrap();
                    for (k, v) in entries(resource.get("Properties").unwrap()) {
                        if !CHANGED.contains(&k.as_str()) {
                            assert_eq!(properties.get(k), Some(v), "{name}: {id}.{k} changed");
                        }
                    }
                    // Variables the template had keep their values.
                    let variables = |n: &Node| {
                        n.get("Properties")
                            .and_then(|p| p.get("Environment"))
                            .and_then(|e| e.get("Variables"))
                            .map(|v| entries(v).to_vec())
                            .unwrap_or_default()
                    };
                    let now = variables(merged);
                    for entry in variables(resource) {
                        assert!(now.contains(&entry), "{name}: variable {} changed", entry.0);
                    }
                }
            }
            _ => assert_eq!(merged, value, "{name}: {key} changed"),
        }
    }
}

fn lint_errors(cfn_lint: &str, dir: &std::path::Path) -> BTreeMap<String, BTreeSet<String>> {
    let files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    let out = Command::new(cfn_lint)
        .args(["--format", "parseable", "--"])
        .args(&files)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {cfn_lint}: {err}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Traceback"), "cfn-lint crashed on {}:\n{stderr}", dir.display());
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 6 {
            continue;
        }
        let file = PathBuf::from(fields[0]);
        let rule = fields[5];
        if rule.starts_with('E') {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            found.entry(stem).or_default().insert(rule.to_owned());
        }
    }
    found
}

/// Merges every corpus template, checking each, and writes inputs and outputs under
/// `lint_dir/in` and `lint_dir/out` for cfn-lint.
fn merge_corpus(lint_dir: &std::path::Path) {
    let cases = corpus();
    assert!(cases.len() >= 300, "{} templates", cases.len());
    let m = manifest();
    let options = SamOptions {
        template_dir: example_dir("image-resize"),
        crates: [("image-resize".to_owned(), example_dir("image-resize"))].into_iter().collect(),
        map: Default::default(),
        // The corpus is about the writer: its templates' other functions stay as they are.
        allow_unmatched: true,
    };
    let _ = std::fs::remove_dir_all(lint_dir);
    std::fs::create_dir_all(lint_dir.join("in")).unwrap();
    std::fs::create_dir_all(lint_dir.join("out")).unwrap();
    let mut merged_count = 0;
    for case in &cases {
        let name = &case.name;
        let read = Node::from_yaml_str(&case.text);
        let result = read
            .clone()
            .map_err(|e| e.message)
            .and_then(|_| merge_text(&case.text, &m, &options).map_err(|e| e.message));
        if let Some(expected) = case.refused {
            let err = result.expect_err(&format!("{name} must be refused ({expected})"));
            assert!(err.contains(expected), "{name}: {err}");
            continue;
        }
        let tree = read.unwrap_or_else(|e| panic!("{name}: {e}\n{}", case.text));
        // write(read(x)) reads back to the same tree.
        let written = tree.to_yaml().unwrap();
        assert_eq!(Node::from_yaml_str(&written).unwrap(), tree, "{name}:\n{written}");
        let merged = result.unwrap_or_else(|e| panic!("{name}: {e}\n{}", case.text));
        let after = Node::from_yaml_str(&merged.text)
            .unwrap_or_else(|e| panic!("{name}: the merged template does not read: {e}"));
        assert_only_merge_changes(name, &tree, &after);
        for line in &case.keeps {
            assert!(merged.text.contains(line), "{name}: lost `{line}`:\n{}", merged.text);
        }
        let again = merge_text(&merged.text, &m, &options).unwrap();
        assert_eq!(again.text, merged.text, "{name}: merging twice changes the template");
        std::fs::write(lint_dir.join("in").join(format!("{name}.yaml")), &case.text).unwrap();
        std::fs::write(lint_dir.join("out").join(format!("{name}.yaml")), &merged.text).unwrap();
        merged_count += 1;
    }
    assert!(merged_count >= 300, "{merged_count} templates merged");
}

fn scratch_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("leastpriv-corpus-{name}-{}", std::process::id()))
}

#[test]
fn the_generated_corpus_merges_reads_back_and_changes_only_what_the_merge_owns() {
    let lint_dir = scratch_dir("merge");
    merge_corpus(&lint_dir);
    let _ = std::fs::remove_dir_all(&lint_dir);
}

#[test]
#[ignore = "needs cfn-lint: run scripts/test (or set LEASTPRIV_CFN_LINT to a cfn-lint and pass --include-ignored)"]
fn cfn_lint_finds_no_new_error_in_the_merged_corpus() {
    let cfn_lint = std::env::var("LEASTPRIV_CFN_LINT")
        .expect("LEASTPRIV_CFN_LINT names cfn-lint (scripts/test installs it and sets it)");
    let lint_dir = scratch_dir("lint");
    merge_corpus(&lint_dir);
    let before = lint_errors(&cfn_lint, &lint_dir.join("in"));
    let after = lint_errors(&cfn_lint, &lint_dir.join("out"));
    let empty = BTreeSet::new();
    let mut new_errors = Vec::new();
    for (file, rules) in &after {
        let had = before.get(file).unwrap_or(&empty);
        let added: Vec<&String> = rules.difference(had).collect();
        if !added.is_empty() {
            new_errors.push(format!("{file}: {added:?}"));
        }
    }
    assert!(
        new_errors.is_empty(),
        "cfn-lint errors the inputs did not have ({}):\n{}",
        lint_dir.display(),
        new_errors.join("\n")
    );
    let _ = std::fs::remove_dir_all(&lint_dir);
}
