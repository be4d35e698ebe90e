//! Stable-toolchain fuzzing with proptest: the template reader and writer, the policy parser,
//! the ARN/wildcard matcher, the evaluator and the attribute parser take generated and mutated
//! inputs without panicking, and a template read and written reads back to the same tree.
//!
//! Bounded like every proptest (256 cases per property by default; `PROPTEST_CASES` raises it,
//! as `.ci/run` does for a longer run). Seeds: the templates of the examples, mutated.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::str::FromStr;

use leastpriv_core::catalog::Catalog;
use leastpriv_core::policy::Policy;
use leastpriv_core::synth::document::Node;
use proptest::prelude::*;

/// Scalar texts that YAML 1.1 and 1.2 readers treat differently, and texts that need quoting.
const TRICKY: &[&str] = &[
    "054676820928",
    "0755",
    "0o17",
    "0x1F",
    "1e3",
    "12.50",
    "1_000",
    "1:30",
    "Yes",
    "no",
    "ON",
    "~",
    "null",
    "",
    "2012-10-17",
    ".inf",
    "-",
    "a: b",
    "#x",
    "!Ref",
    "*x",
    "&x",
    "- x",
    "'q'",
    "\"q\"",
    "a\nb",
    "\t",
    "\u{1b}[31m",
    "\u{feff}",
    "${X}",
    "${!X}",
    "AWS::Region",
    "{a}",
    "[a]",
    "%x",
    "@x",
    "`x`",
    "x ",
    " x",
    "é✓",
    "<<",
    "=",
    "?",
    "|",
    ">",
];

const FUNCTIONS: &[&str] = &[
    "Ref",
    "Condition",
    "Fn::Sub",
    "Fn::GetAtt",
    "Fn::ImportValue",
    "Fn::Base64",
    "Fn::GetAZs",
    "Fn::If",
    "Fn::Join",
    "Fn::Select",
    "Fn::And",
    "Fn::Transform",
    "Fn::Ref",
    "Fn::Equals",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(TRICKY).prop_map(str::to_owned),
        "[a-zA-Z0-9 :#.\\-_${}!*&]{0,12}",
        any::<String>(),
    ]
}

/// Trees as the reader produces them: strings, lists, maps and plain texts it keeps.
fn tree() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        text().prop_map(Node::String),
        prop::sample::select(&["054676820928", "0755", "1e3", "Yes", "~", "null", "12.50"][..])
            .prop_map(|t| Node::Plain(t.to_owned())),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Node::List),
            prop::collection::vec((text(), inner.clone()), 0..5).prop_map(|entries| {
                // Keys are unique in a map.
                let mut seen = std::collections::HashSet::new();
                Node::Map(entries.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect())
            }),
            (prop::sample::select(FUNCTIONS), inner)
                .prop_map(|(f, arg)| Node::Map(vec![(f.to_owned(), arg)])),
        ]
    })
}

fn seed_templates() -> Vec<String> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    ["image-resize", "orders", "queue-worker"]
        .iter()
        .flat_map(|n| {
            ["template.yaml", "template.leastpriv.yaml", "leastpriv.cfn.yaml"]
                .map(|f| root.join(n).join(f))
        })
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// A seed with a byte range replaced by generated text.
fn mutated() -> impl Strategy<Value = String> {
    let seeds = seed_templates();
    (0..seeds.len(), any::<prop::sample::Index>(), 0usize..40, text()).prop_map(
        move |(seed, at, len, insert)| {
            let seed = &seeds[seed];
            let mut start = at.index(seed.len().max(1)).min(seed.len());
            while !seed.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + len).min(seed.len());
            while !seed.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}{insert}{}", &seed[..start], &seed[end..])
        },
    )
}

proptest! {
    #[test]
    fn written_trees_read_back_the_same(node in tree()) {
        let yaml = node.to_yaml().unwrap();
        let again = Node::from_yaml_str(&yaml);
        prop_assert!(again.is_ok(), "{yaml}\n{again:?}");
        prop_assert_eq!(again.unwrap(), node, "{}", yaml);
    }

    #[test]
    fn the_reader_never_panics_and_what_it_reads_it_writes_back(text in prop_oneof![mutated(), any::<String>()]) {
        if let Ok(node) = Node::from_yaml_str(&text) {
            let yaml = node.to_yaml().unwrap();
            let again = Node::from_yaml_str(&yaml);
            prop_assert!(again.is_ok(), "{text}\n=>\n{yaml}\n{again:?}");
            prop_assert_eq!(again.unwrap(), node);
        }
        let _ = Node::from_json_str(&text);
    }

    #[test]
    fn the_policy_parser_never_panics(text in prop_oneof![
        any::<String>(),
        "[\\[\\]{}\",: a-zA-Z0-9*]{0,80}",
        (text(), text()).prop_map(|(a, b)| format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{a}","Resource":{{"Fn::Sub":"{b}"}}}}]}}"#
        )),
    ]) {
        let _ = Policy::from_json_str(&text);
    }

    #[test]
    fn the_wildcard_matcher_never_panics_and_keeps_its_laws(
        pattern in prop_oneof![any::<String>(), "[a-z*?$:/{}-]{0,30}"],
        text in prop_oneof![any::<String>(), "[a-z:/-]{0,30}"],
    ) {
        let hit = leastpriv_core::evaluate::wildcard_match(&pattern, &text);
        // `*` matches everything; a pattern without `*`, `?` or `$` matches exactly itself.
        prop_assert!(leastpriv_core::evaluate::wildcard_match("*", &text));
        if !pattern.contains(['*', '?', '$']) {
            prop_assert_eq!(hit, pattern == text);
        }
        // Appending `*` never loses a match.
        if hit {
            let wider = format!("{}*", pattern);
            prop_assert!(leastpriv_core::evaluate::wildcard_match(&wider, &text));
        }
    }

    #[test]
    fn the_evaluator_never_panics_on_any_policy_or_request(
        text in prop_oneof![
            any::<String>(),
            (text(), text(), text()).prop_map(|(a, r, c)| format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{a}","Resource":"{r}","Condition":{{"StringLike":{{"aws:username":"{c}"}}}}}}]}}"#
            )),
        ],
        action in prop_oneof![any::<String>(), "[a-z0-9]{1,8}:[A-Za-z*?]{0,12}"],
        resource in prop_oneof![any::<String>(), "arn:aws:[a-z0-9]{1,6}:[a-z0-9-]{0,9}:[0-9]{0,12}:[a-z/*?${}]{0,20}"],
    ) {
        if let Ok(policy) = Policy::from_json_str(&text) {
            let set = leastpriv_core::evaluate::PolicySet::new().identity("p", &policy);
            let request = leastpriv_core::evaluate::Request::new(&action, &resource);
            let _ = set.evaluate(&request);
        }
    }

    #[test]
    fn the_attribute_parser_never_panics(text in prop_oneof![
        "[a-z_(),= \"*${}]{0,60}",
        (text(), text()).prop_map(|(a, b)| format!("s3(bucket = {a:?}, key = {b:?}, read)")),
    ]) {
        if let Ok(tokens) = proc_macro2::TokenStream::from_str(&text) {
            let _ = leastpriv_core::declare::parse(tokens, Catalog::embedded().unwrap());
        }
    }
}
