//! An ordered document tree for CloudFormation templates, written as JSON or as YAML with the
//! short-form intrinsic tags (`!Ref`, `!Sub`, `!GetAtt`, …), and read back from either.
//!
//! Intrinsic functions are kept in their JSON form in the tree (`{"Ref": "X"}`,
//! `{"Fn::GetAtt": ["R", "Arn"]}`); YAML output turns them into tags and YAML input turns tags
//! back, so a template read and written again keeps its short forms. YAML goes through
//! `saphyr`, which keeps tags on read (`Yaml::Tagged`) and writes them.

use std::borrow::Cow;
use std::fmt;

use saphyr::{LoadableYamlNode, Mapping, Scalar, ScalarStyle, Tag, Yaml, YamlEmitter};
use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::policy::json::Json;

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

    /// Reads the first document of a YAML text, turning intrinsic tags into their JSON form.
    pub fn from_yaml_str(text: &str) -> Result<Node, DocumentError> {
        let docs = Yaml::load_from_str(text).map_err(|e| error(format!("invalid YAML: {e}")))?;
        match docs.first() {
            Some(doc) => from_yaml(doc),
            None => Ok(Node::Null),
        }
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

fn yaml_str(text: &str) -> Yaml<'static> {
    // YAML 1.1 readers (CloudFormation's, cfn-lint's) take an unquoted `2012-10-17` for a date;
    // saphyr, being YAML 1.2, would write it bare.
    let date_like = text.len() >= 5
        && text.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && text.as_bytes()[4] == b'-'
        && text.chars().all(|c| c.is_ascii_digit() || "-:.TtZz+ ".contains(c));
    if date_like {
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
        Node::List(items) => Yaml::Sequence(items.iter().map(to_yaml).collect()),
        Node::Map(entries) => {
            if let Some((function, arg)) = intrinsic(entries) {
                let short = function.strip_prefix("Fn::").unwrap_or(function);
                if function == "Fn::GetAtt"
                    && let Node::List(parts) = arg
                    && let [Node::String(resource), Node::String(attribute)] = parts.as_slice()
                {
                    return tagged(short, yaml_str(&format!("{resource}.{attribute}")));
                }
                return tagged(short, to_yaml(arg));
            }
            let mut mapping = Mapping::new();
            for (key, value) in entries {
                mapping.insert(yaml_str(key), to_yaml(value));
            }
            Yaml::Mapping(mapping)
        }
    }
}

fn scalar_to_node(scalar: &Scalar<'_>) -> Result<Node, DocumentError> {
    Ok(match scalar {
        Scalar::Null => Node::Null,
        Scalar::Boolean(b) => Node::Bool(*b),
        Scalar::Integer(i) => Node::Number((*i).into()),
        Scalar::FloatingPoint(f) => Node::Number(
            serde_json::Number::from_f64(f.0).ok_or_else(|| error("numbers must be finite"))?,
        ),
        Scalar::String(text) => Node::String(text.to_string()),
    })
}

fn from_yaml(yaml: &Yaml<'_>) -> Result<Node, DocumentError> {
    match yaml {
        Yaml::Value(scalar) => scalar_to_node(scalar),
        Yaml::Representation(text, _, _) => Ok(Node::String(text.to_string())),
        Yaml::Sequence(items) => {
            items.iter().map(from_yaml).collect::<Result<_, _>>().map(Node::List)
        }
        Yaml::Mapping(mapping) => {
            let mut entries = Vec::with_capacity(mapping.len());
            for (key, value) in mapping {
                let key = match from_yaml(key)? {
                    Node::String(text) => text,
                    Node::Number(n) => n.to_string(),
                    Node::Bool(b) => b.to_string(),
                    _ => return Err(error("map keys must be strings")),
                };
                entries.push((key, from_yaml(value)?));
            }
            Ok(Node::Map(entries))
        }
        Yaml::Tagged(tag, inner) => {
            let node = from_yaml(inner)?;
            if tag.handle != "!" {
                return Ok(node);
            }
            let function = match tag.suffix.as_str() {
                "Ref" | "Condition" => tag.suffix.clone(),
                "GetAtt" => {
                    if let Node::String(text) = &node
                        && let Some((resource, attribute)) = text.split_once('.')
                    {
                        return Ok(Node::get_att(resource, attribute));
                    }
                    "Fn::GetAtt".to_owned()
                }
                other => format!("Fn::{other}"),
            };
            Ok(Node::Map(vec![(function, node)]))
        }
        Yaml::Alias(_) => Err(error("YAML aliases are not supported in templates")),
        Yaml::BadValue => Err(error("invalid YAML value")),
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::String(text) => serializer.serialize_str(text),
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
        assert_eq!(Node::from_yaml_str(&yaml).unwrap(), doc);
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
}
