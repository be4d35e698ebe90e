//! An ordered document tree for CloudFormation templates, written as JSON or as YAML with the
//! short-form intrinsic tags (`!Ref`, `!Sub`, `!GetAtt`, …), and read back from either.
//!
//! Intrinsic functions are kept in their JSON form in the tree (`{"Ref": "X"}`,
//! `{"Fn::GetAtt": ["R", "Arn"]}`); YAML output turns them into tags and YAML input turns tags
//! back, so a template read and written again keeps its short forms. YAML is read from
//! `saphyr-parser`'s events ([`read`]) and written with `saphyr`'s emitter.
//!
//! Writing never changes what a YAML 1.1 reader (CloudFormation, cfn-lint) reads: a plain
//! scalar that is not a plain string (`054676820928`, `0755`, `Yes`, `1e3`, `~`) keeps its
//! source text ([`Node::Plain`]); a string that such a reader would take for something else is
//! quoted; an intrinsic whose argument is itself written with a tag (`Fn::ImportValue: !Sub …`),
//! is not a string, list or map (`Fn::And: null`) or has no short form (`Fn::Ref`,
//! `Fn::Transform`) keeps its long form, since a node takes one tag and a tagged scalar reads
//! as a string; `Fn::GetAtt` is written `!GetAtt A.B` only when the resource has no dot.

use std::borrow::Cow;
use std::fmt;

use saphyr::{Mapping, Scalar, ScalarStyle, Tag, Yaml, YamlEmitter};
use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::policy::json::Json;

mod read;

pub use read::MAX_DEPTH;

/// A JSON/YAML value whose maps keep their keys in the order written.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null` (`~` in YAML).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// A list.
    List(Vec<Node>),
    /// A map, in key order as written.
    Map(Vec<(String, Node)>),
    /// A plain YAML scalar that a YAML 1.1 or 1.2 reader takes for null, a boolean, a number or
    /// a date, kept as its source text (`054676820928`, `0755`, `Yes`, `1e3`, `~`) so that it
    /// is written back unchanged. In JSON it is the value a YAML 1.1 reader gives it.
    Plain(String),
}

/// A document that cannot be read or converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    /// What is wrong, with the position when known.
    pub message: String,
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DocumentError {}

fn error(message: impl Into<String>) -> DocumentError {
    DocumentError { message: message.into() }
}

impl Node {
    /// A string node.
    pub fn string(text: impl Into<String>) -> Node {
        Node::String(text.into())
    }

    /// A map node from `(key, value)` pairs, in the order given.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Node)>) -> Node {
        Node::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// `{"Ref": name}`.
    pub fn reference(name: impl Into<String>) -> Node {
        Node::map([("Ref", Node::string(name))])
    }

    /// `{"Fn::GetAtt": [resource, attribute]}`.
    pub fn get_att(resource: impl Into<String>, attribute: impl Into<String>) -> Node {
        Node::map([(
            "Fn::GetAtt",
            Node::List(vec![Node::string(resource), Node::string(attribute)]),
        )])
    }

    /// `{"Fn::Sub": template}`.
    pub fn sub(template: impl Into<String>) -> Node {
        Node::map([("Fn::Sub", Node::string(template))])
    }

    /// The value of `key` in a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string node.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(text) => Some(text),
            _ => None,
        }
    }

    /// Any serializable value as a tree, keeping the order its `Serialize` writes maps in.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Node, DocumentError> {
        let text = serde_json::to_string(value).map_err(|e| error(e.to_string()))?;
        Node::from_json_str(&text)
    }

    /// Reads JSON, keeping key order.
    pub fn from_json_str(text: &str) -> Result<Node, DocumentError> {
        serde_json::from_str(text).map_err(|e| error(format!("invalid JSON: {e}")))
    }

    /// Pretty JSON (two-space indent) with a trailing newline.
    pub fn to_json_pretty(&self) -> String {
        // Writing a tree of strings, numbers and string-keyed maps into a String cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// YAML with short-form intrinsic tags, block style, two-space indent, trailing newline.
    pub fn to_yaml(&self) -> Result<String, DocumentError> {
        let yaml = to_yaml(self);
        let mut out = String::new();
        YamlEmitter::new(&mut out).dump(&yaml).map_err(|e| error(e.to_string()))?;
        // The emitter leaves a space after a tag that precedes a block (`!Join ` + newline);
        // scalars never span lines (they are quoted with escapes), so trimming lines is safe.
        let body = out.strip_prefix("---\n").unwrap_or(&out);
        let mut text = String::with_capacity(body.len() + 1);
        for line in body.lines() {
            text.push_str(line.trim_end_matches(' '));
            text.push('\n');
        }
        Ok(text)
    }

    /// Reads a one-document YAML text, turning intrinsic tags into their JSON form. A second
    /// document, a merge key (`<<`), an unknown `!!` tag, nesting deeper than [`MAX_DEPTH`]
    /// or aliases expanding past a size budget are errors; aliases are expanded. An empty text
    /// is an empty [`Node::Plain`].
    pub fn from_yaml_str(text: &str) -> Result<Node, DocumentError> {
        read::read(text)
    }

    /// The value of a [`Node::Plain`] as a YAML 1.1 reader resolves it (null, a boolean, a
    /// decimal integer, a float, else its text); any other node as it is.
    pub fn resolved(&self) -> Node {
        let Node::Plain(text) = self else { return self.clone() };
        match text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => return Node::Null,
            "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
                return Node::Bool(true);
            }
            "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
                return Node::Bool(false);
            }
            _ => {}
        }
        let octal_like = text.trim_start_matches(['-', '+']).starts_with('0') && text.len() > 1;
        if !octal_like && !text.contains('_') {
            if let Ok(n) = text.parse::<i64>() {
                return Node::Number(n.into());
            }
            if let Ok(n) = text.parse::<u64>() {
                return Node::Number(n.into());
            }
            if text.contains('.')
                && let Ok(f) = text.parse::<f64>()
                && let Some(n) = serde_json::Number::from_f64(f)
            {
                return Node::Number(n);
            }
        }
        Node::String(text.clone())
    }
}

/// Whether a one-key map is an intrinsic function (`Ref`, `Condition`, `Fn::…`).
fn intrinsic(entries: &[(String, Node)]) -> Option<(&str, &Node)> {
    match entries {
        [(key, value)] if key == "Ref" || key == "Condition" || key.starts_with("Fn::") => {
            Some((key.as_str(), value))
        }
        _ => None,
    }
}

/// The functions written with a short-form tag (`Fn::Transform` and the language extensions'
/// functions keep their long form).
const SHORT_FORMS: &[&str] = &[
    "Ref",
    "Condition",
    "Fn::And",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::Equals",
    "Fn::FindInMap",
    "Fn::GetAtt",
    "Fn::GetAZs",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Not",
    "Fn::Or",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
];

/// A map key: `Fn::Sub`, `Fn::ImportValue` (a long-form intrinsic) plain, as templates write
/// them; anything else as a string value.
fn yaml_key(text: &str) -> Yaml<'static> {
    let long_form = text
        .strip_prefix("Fn::")
        .is_some_and(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()));
    if long_form {
        return Yaml::Representation(Cow::Owned(text.to_owned()), ScalarStyle::Plain, None);
    }
    yaml_str(text)
}

fn yaml_str(text: &str) -> Yaml<'static> {
    // YAML 1.1 readers (CloudFormation's, cfn-lint's) take an unquoted `2012-10-17` for a date,
    // `0b1`, `1_000` or `1:30` for a number; saphyr, being YAML 1.2, would write them bare.
    // Such texts have no character that needs an escape.
    if read::special_plain(text) {
        Yaml::Representation(Cow::Owned(text.to_owned()), ScalarStyle::DoubleQuoted, None)
    } else {
        Yaml::Value(Scalar::String(Cow::Owned(text.to_owned())))
    }
}

fn tagged(suffix: &str, node: Yaml<'static>) -> Yaml<'static> {
    let tag = Tag { handle: "!".to_owned(), suffix: suffix.to_owned() };
    Yaml::Tagged(Cow::Owned(tag), Box::new(node))
}

fn to_yaml(node: &Node) -> Yaml<'static> {
    match node {
        Node::Null => Yaml::Value(Scalar::Null),
        Node::Bool(b) => Yaml::Value(Scalar::Boolean(*b)),
        Node::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Value(Scalar::Integer(i)),
            None => Yaml::Representation(Cow::Owned(n.to_string()), ScalarStyle::Plain, None),
        },
        Node::String(text) => yaml_str(text),
        Node::Plain(text) => {
            Yaml::Representation(Cow::Owned(text.clone()), ScalarStyle::Plain, None)
        }
        Node::List(items) => Yaml::Sequence(items.iter().map(to_yaml).collect()),
        Node::Map(entries) => {
            if let Some((function, arg)) = intrinsic(entries)
                && SHORT_FORMS.contains(&function)
            {
                let short = function.strip_prefix("Fn::").unwrap_or(function);
                if function == "Fn::GetAtt"
                    && let Node::List(parts) = arg
                    && let [Node::String(resource), Node::String(attribute)] = parts.as_slice()
                    && !resource.contains('.')
                {
                    return tagged(short, yaml_str(&format!("{resource}.{attribute}")));
                }
                let inner = to_yaml(arg);
                let short_ok = match arg {
                    Node::String(_) => !matches!(function, "Fn::GetAtt"),
                    Node::List(_) => true,
                    Node::Map(_) => !matches!(inner, Yaml::Tagged(..)),
                    _ => false,
                } && (function != "Ref" && function != "Condition"
                    || matches!(arg, Node::String(_)));
                if short_ok {
                    return tagged(short, inner);
                }
                let mut mapping = Mapping::new();
                mapping.insert(yaml_key(function), inner);
                return Yaml::Mapping(mapping);
            }
            let mut mapping = Mapping::new();
            for (key, value) in entries {
                mapping.insert(yaml_key(key), to_yaml(value));
            }
            Yaml::Mapping(mapping)
        }
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::String(text) => serializer.serialize_str(text),
            Node::Plain(_) => self.resolved().serialize(serializer),
            Node::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The policy model's order-preserving reader (it also rejects duplicate keys).
        Json::deserialize(deserializer).map(Node::from)
    }
}

impl From<Json> for Node {
    fn from(json: Json) -> Self {
        match json {
            Json::Null => Node::Null,
            Json::Bool(b) => Node::Bool(b),
            Json::Number(n) => Node::Number(n),
            Json::String(s) => Node::String(s),
            Json::Array(items) => Node::List(items.into_iter().map(Node::from).collect()),
            Json::Object(members) => {
                Node::Map(members.into_iter().map(|(k, v)| (k, Node::from(v))).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn intrinsics_become_tags_and_come_back() {
        let doc = Node::map([
            ("Version", Node::string("2012-10-17")),
            ("A", Node::reference("Bucket")),
            ("B", Node::get_att("Queue", "Arn")),
            ("C", Node::sub("arn:${AWS::Partition}:s3:::${Bucket}/*")),
            (
                "D",
                Node::map([(
                    "Fn::Join",
                    Node::List(vec![Node::string(","), Node::List(vec![Node::reference("X")])]),
                )]),
            ),
            ("E", Node::List(vec![])),
            ("F", Node::Number(14.into())),
            ("G", Node::Bool(true)),
        ]);
        let yaml = doc.to_yaml().unwrap();
        assert_eq!(
            yaml,
            "Version: \"2012-10-17\"\nA: !Ref Bucket\nB: !GetAtt Queue.Arn\n\
             C: !Sub \"arn:${AWS::Partition}:s3:::${Bucket}/*\"\nD: !Join\n  - \",\"\n  - - !Ref X\n\
             E: []\nF: 14\nG: true\n"
        );
        // Numbers and booleans come back as their text, which writes the same.
        let again = Node::from_yaml_str(&yaml).unwrap();
        assert_eq!(again.get("F"), Some(&Node::Plain("14".into())));
        assert_eq!(again.get("G").map(Node::resolved), Some(Node::Bool(true)));
        assert_eq!(again.to_yaml().unwrap(), yaml);
        assert_eq!(Node::from_json_str(&doc.to_json_pretty()).unwrap(), doc);
    }

    #[test]
    fn reads_a_sam_template_with_short_forms() {
        let text = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
                    Environment:\n        Variables:\n          Q: !Ref Queue\n          \
                    B: !GetAtt Bus.Name\n          S: !Sub \"${AWS::StackName}-x\"\n";
        let node = Node::from_yaml_str(text).unwrap();
        let vars = node
            .get("Resources")
            .and_then(|r| r.get("Fn"))
            .and_then(|f| f.get("Properties"))
            .and_then(|p| p.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .unwrap();
        assert_eq!(vars.get("Q"), Some(&Node::reference("Queue")));
        assert_eq!(vars.get("B"), Some(&Node::get_att("Bus", "Name")));
        assert_eq!(vars.get("S"), Some(&Node::sub("${AWS::StackName}-x")));
        let again = Node::from_yaml_str(&node.to_yaml().unwrap()).unwrap();
        assert_eq!(again, node);
    }

    fn round_trip(text: &str) -> String {
        let node = Node::from_yaml_str(text).unwrap();
        let written = node.to_yaml().unwrap();
        assert_eq!(Node::from_yaml_str(&written).unwrap(), node, "{written}");
        written
    }

    #[test]
    fn nested_short_forms_keep_one_tag_per_node() {
        let text = "A: !ImportValue\n  Fn::Sub: \"${Env}-x\"\nB: !Base64 {\"Fn::Sub\": x}\n\
                    C: !GetAZs {Ref: AWS::Region}\nD: !Condition {\"Fn::Equals\": [a, b]}\n\
                    E: {\"Fn::Transform\": {Name: M}}\n";
        let out = round_trip(text);
        assert_eq!(
            out,
            "A:\n  Fn::ImportValue: !Sub \"${Env}-x\"\nB:\n  Fn::Base64: !Sub x\n\
             C:\n  Fn::GetAZs: !Ref \"AWS::Region\"\nD:\n  Condition: !Equals\n    - a\n    - b\n\
             E:\n  Fn::Transform:\n    Name: M\n"
        );
    }

    #[test]
    fn plain_scalars_keep_their_text() {
        let text = "A: 054676820928\nB: 0755\nC: 0o17\nD: 1e3\nE: 123456789012345678901234\n\
                    F: Yes\nG: ~\nH: null\nI: 1_000\nJ: 1:30\nK: 0b101\nL: 2012-10-17\nM: off\n\
                    N: 12.50\nO: .inf\nP: \"0755\"\nQ: 'Yes'\nR: !Sub 0755\nS: plain text\n";
        assert_eq!(
            round_trip(text),
            "A: 054676820928\nB: 0755\nC: 0o17\nD: 1e3\n\
            E: 123456789012345678901234\nF: Yes\nG: ~\nH: null\nI: 1_000\nJ: 1:30\nK: 0b101\n\
            L: 2012-10-17\nM: off\nN: 12.50\nO: .inf\nP: \"0755\"\nQ: \"Yes\"\nR: !Sub \"0755\"\n\
            S: plain text\n"
        );
        let node = Node::from_yaml_str("A: Yes\nB: 10\nC: 0755\nD: ~\n").unwrap();
        assert_eq!(
            node.to_json_pretty(),
            "{\n  \"A\": true,\n  \"B\": 10,\n  \"C\": \"0755\",\n  \"D\": null\n}\n"
        );
    }

    #[test]
    fn long_forms_that_have_no_safe_short_form_stay_long() {
        let text = "A:\n  Fn::And: null\nB:\n  Fn::Ref: X\nC:\n  Fn::GetAtt: [A.B, Name]\n\
                    D:\n  Fn::GetAtt: R.Arn\nE:\n  Ref: 12\n";
        assert_eq!(
            round_trip(text),
            "A:\n  Fn::And: null\nB:\n  Fn::Ref: X\nC: !GetAtt\n  - A.B\n  - Name\n\
             D:\n  Fn::GetAtt: R.Arn\nE:\n  Ref: 12\n"
        );
    }

    #[test]
    fn refuses_what_it_cannot_keep() {
        let err = |text: &str| Node::from_yaml_str(text).unwrap_err().message;
        assert!(
            err("a: 1\n---\nb: 2\n").contains("second YAML document"),
            "{}",
            err("a: 1\n---\nb: 2\n")
        );
        assert!(err("x: &x {a: 1}\ny:\n  <<: *x\n").contains("merge key"));
        assert!(err("a: 1\na: 2\n").contains("duplicate key `a`"));
        let deep = format!("{}x\n", "- ".repeat(20_000));
        assert!(err(&deep).contains("nests more than 128"), "{}", err(&deep));
        let flow = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        // The scanner stops flow collections first, with its own message.
        assert!(err(&flow).contains("recursion limit exceeded"), "{}", err(&flow));
        let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                      g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        assert!(err(laughs).contains("expand to more than"));
        assert!(err("a: !!binary aGVsbG8=\n").contains("unsupported YAML tag"));
    }

    #[test]
    fn anchors_bom_and_crlf_read() {
        let node = Node::from_yaml_str("\u{feff}a: &x\r\n  b: 1\r\nc: *x\r\n").unwrap();
        assert_eq!(node.get("c"), node.get("a"));
        assert_eq!(node.get("a").and_then(|a| a.get("b")), Some(&Node::Plain("1".into())));
    }

    #[test]
    fn wide_maps_read_in_linear_time() {
        let mut text = String::new();
        for i in 0..50_000 {
            text.push_str(&format!("K{i}: v\n"));
        }
        let started = std::time::Instant::now();
        let node = Node::from_yaml_str(&text).unwrap();
        assert!(matches!(node, Node::Map(ref e) if e.len() == 50_000));
        assert!(started.elapsed().as_secs() < 5);
    }
}
