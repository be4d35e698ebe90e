//! Positions of values in a template's text, by JSON pointer, for findings and snippets.
//!
//! The document tree ([`Node`](crate::synth::document::Node)) keeps no positions, so the text is
//! read a second time with saphyr's marked loader (JSON is YAML here too). Short-form tags keep
//! the pointer of the value they wrap, and their argument is also reachable under the long form
//! (`/Resource/Fn::Sub`), matching the tree's JSON form.

use std::collections::HashMap;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::serverless::escape;

/// A position: 1-based line and column, and the length of the value in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
    pub length: usize,
}

/// Pointer → position, for one text.
#[derive(Debug, Default)]
pub(crate) struct Locator {
    positions: HashMap<String, Pos>,
}

impl Locator {
    /// Reads the positions of `text` (none when it cannot be read as YAML).
    pub(crate) fn new(text: &str) -> Self {
        let mut positions = HashMap::new();
        if let Ok(docs) = MarkedYaml::load_from_str(text)
            && let Some(doc) = docs.first()
        {
            record(doc, String::new(), &mut positions);
        }
        Locator { positions }
    }

    /// A locator without positions (deployed policies).
    pub(crate) fn empty() -> Self {
        Locator::default()
    }

    /// Whether `pointer` itself has a position.
    pub(crate) fn has(&self, pointer: &str) -> bool {
        self.positions.contains_key(pointer)
    }

    /// The position of the value at `pointer`, or of its nearest located ancestor.
    pub(crate) fn find(&self, pointer: &str) -> Pos {
        let mut at = pointer;
        loop {
            if let Some(pos) = self.positions.get(at) {
                return *pos;
            }
            match at.rfind('/') {
                Some(i) => at = &at[..i],
                None => return Pos::default(),
            }
        }
    }
}

fn key_text(key: &MarkedYaml<'_>) -> Option<String> {
    match &key.data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        YamlData::Representation(s, _, _) => Some(s.to_string()),
        _ => None,
    }
}

fn record(node: &MarkedYaml<'_>, pointer: String, out: &mut HashMap<String, Pos>) {
    let start = node.span.start;
    let length = node.span.end.index().saturating_sub(start.index());
    let pos = Pos { line: start.line(), column: start.col() + 1, length };
    out.entry(pointer.clone()).or_insert(pos);
    match &node.data {
        YamlData::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                record(item, format!("{pointer}/{i}"), out);
            }
        }
        YamlData::Mapping(map) => {
            for (key, value) in map {
                if let Some(name) = key_text(key) {
                    let at = format!("{pointer}/{}", escape(&name));
                    // A key's own position is better than its value's for maps and lists.
                    let kstart = key.span.start;
                    out.insert(
                        at.clone(),
                        Pos { line: kstart.line(), column: kstart.col() + 1, length: name.len() },
                    );
                    if matches!(
                        value.data,
                        YamlData::Value(_) | YamlData::Representation(..) | YamlData::Tagged(..)
                    ) {
                        out.remove(&at);
                    }
                    record(value, at, out);
                }
            }
        }
        YamlData::Tagged(tag, inner) => {
            let function = match tag.suffix.as_str() {
                "Ref" | "Condition" => tag.suffix.clone(),
                other => format!("Fn::{other}"),
            };
            record(inner, format!("{pointer}/{}", escape(&function)), out);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_yaml_and_json_positions() {
        let yaml = "Resources:\n  Role:\n    Properties:\n      Action:\n        - s3:*\n";
        let loc = Locator::new(yaml);
        assert_eq!(
            loc.find("/Resources/Role/Properties/Action/0"),
            Pos { line: 5, column: 11, length: 4 }
        );
        assert_eq!(loc.find("/Resources/Role/Properties/Action/0/more").line, 5);
        let json = "{\n  \"Statement\": [\n    {\"Action\": \"*\"}\n  ]\n}\n";
        let loc = Locator::new(json);
        assert_eq!(loc.find("/Statement/0/Action").line, 3);
    }
}
