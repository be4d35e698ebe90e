//! The YAML reader: parser events to a [`Node`] tree, bounded in depth and size, keeping the
//! source text of plain scalars that are not plain strings.
//!
//! It works on `saphyr-parser`'s events rather than on `saphyr`'s tree so that it sees what the
//! tree loses: the text and style of each scalar (`054676820928`, `0755`, `Yes` are written back
//! as they were), the anchors, the number of documents and the nesting depth (the tree is built
//! with an explicit stack, so no input overflows the call stack).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::{DocumentError, Node, error};

/// How deeply lists and maps may nest (the JSON reader's limit too); real templates stay
/// below 30.
pub const MAX_DEPTH: usize = 128;

/// A partly built list or map.
enum Open {
    List {
        anchor: usize,
        tag: Option<Tag>,
        items: Vec<Node>,
        size: usize,
    },
    Map {
        anchor: usize,
        tag: Option<Tag>,
        entries: Vec<(String, Node)>,
        /// Hashes of the keys, once there are enough of them for a linear scan to cost (a hash
        /// seen before is confirmed by a scan).
        seen: HashSet<u64>,
        key: Option<String>,
        size: usize,
    },
}

fn at(span: &Span) -> String {
    format!("line {}, column {}", span.start.line(), span.start.col() + 1)
}

/// Whether YAML 1.1 (CloudFormation's and cfn-lint's reader) or YAML 1.2 (saphyr's) reads a
/// plain scalar as something other than a string: null, a boolean, a number or a date.
pub(crate) fn special_plain(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "yes", "Yes", "YES", "no", "No", "NO", "true", "True",
        "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", ".nan", ".NaN",
        ".NAN", "=", "<<",
    ];
    if WORDS.contains(&text) {
        return true;
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if [".inf", ".Inf", ".INF"].contains(&unsigned) {
        return true;
    }
    let digits =
        |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c == '_' || c.is_digit(radix));
    if let Some(rest) = unsigned.strip_prefix("0b") {
        return digits(rest, 2);
    }
    if let Some(rest) = unsigned.strip_prefix("0x") {
        return digits(rest, 16);
    }
    if let Some(rest) = unsigned.strip_prefix("0o") {
        return digits(rest, 8);
    }
    // Dates and times (`2012-10-17`, `2001-12-14t21:59:43.10-05:00`).
    let bytes = text.as_bytes();
    if bytes.len() >= 8
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && text.chars().all(|c| c.is_ascii_digit() || "-:.TtZz+ \t".contains(c))
    {
        return true;
    }
    // Decimal, octal, sexagesimal (`1:30`) and float forms, underscores allowed.
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    if let Some(exponent) = exponent {
        let exponent = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
        if !digits(exponent, 10) {
            return false;
        }
    }
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let whole_ok = if whole.is_empty() {
        fraction.is_some_and(|f| f.starts_with(|c: char| c.is_ascii_digit()))
    } else {
        whole
            .split(':')
            .enumerate()
            .all(|(i, part)| digits(part, 10) && (i == 0 || part.len() <= 2))
            && whole.starts_with(|c: char| c.is_ascii_digit())
    };
    whole_ok && fraction.is_none_or(|f| f.is_empty() || digits(f, 10))
}

/// Reads the one document of a YAML text. See the module documentation.
pub(crate) fn read(text: &str) -> Result<Node, DocumentError> {
    // Aliases expand to copies: cap the nodes they may create (a "billion laughs" document).
    let budget = 1_000_000usize.max(text.len().saturating_mul(16));
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut documents = 0usize;
    let mut root: Option<Node> = None;
    let mut created = 0usize;
    let hasher = std::hash::RandomState::new();
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| error(format!("invalid YAML: {e}")))?;
        // (node, anchor, size) completed by this event, if any.
        let done: Option<(Node, usize, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(error(format!(
                        "a second YAML document starts at {}: a template is one document \
                         (split the file, or remove the `---` line)",
                        at(&span)
                    )));
                }
                None
            }
            Event::Alias(id) => {
                let (node, size) = anchors.get(&id).cloned().ok_or_else(|| {
                    error(format!("YAML alias to an unknown anchor at {}", at(&span)))
                })?;
                Some((node, 0, size))
            }
            Event::Scalar(value, style, anchor, tag) => {
                Some((scalar(value, style, tag.as_deref(), &span)?, anchor, 1))
            }
            Event::SequenceStart(anchor, tag) => {
                open(&stack, &span)?;
                stack.push(Open::List {
                    anchor,
                    tag: tag.map(Cow::into_owned),
                    items: Vec::new(),
                    size: 1,
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                open(&stack, &span)?;
                stack.push(Open::Map {
                    anchor,
                    tag: tag.map(Cow::into_owned),
                    entries: Vec::new(),
                    seen: HashSet::new(),
                    key: None,
                    size: 1,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::List { anchor, tag, items, size }) => {
                    Some((tagged(Node::List(items), tag.as_ref(), &span)?, anchor, size))
                }
                Some(Open::Map { anchor, tag, entries, size, .. }) => {
                    Some((tagged(Node::Map(entries), tag.as_ref(), &span)?, anchor, size))
                }
                None => return Err(error(format!("unbalanced YAML at {}", at(&span)))),
            },
        };
        let Some((node, anchor, size)) = done else { continue };
        created = created.saturating_add(size);
        if created > budget {
            return Err(error(format!(
                "the YAML aliases at {} expand to more than {budget} values; write the \
                 repeated parts out or use fewer aliases",
                at(&span)
            )));
        }
        if anchor != 0 {
            anchors.insert(anchor, (node.clone(), size));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Open::List { items, size: total, .. }) => {
                items.push(node);
                *total = total.saturating_add(size);
            }
            Some(Open::Map { entries, seen, key, size: total, .. }) => {
                *total = total.saturating_add(size);
                match key.take() {
                    Some(name) => entries.push((name, node)),
                    None => {
                        // Only a plain `<<` is a merge key; a quoted one is a string.
                        let merge_key = matches!(&node, Node::Plain(t) if t == "<<");
                        let name = key_text(node, &span)?;
                        if merge_key {
                            return Err(error(format!(
                                "YAML merge key `<<` at {}: CloudFormation does not read it; \
                                 write the merged keys out",
                                at(&span)
                            )));
                        }
                        if seen.is_empty() && entries.len() >= 16 {
                            seen.extend(entries.iter().map(|(k, _)| hasher.hash_one(k)));
                        }
                        let repeated = (seen.is_empty() || !seen.insert(hasher.hash_one(&name)))
                            && entries.iter().any(|(k, _)| *k == name);
                        if repeated {
                            return Err(error(format!(
                                "duplicate key `{}` at {}",
                                crate::diagnostic::escape_control(&name),
                                at(&span)
                            )));
                        }
                        *key = Some(name);
                    }
                }
            }
        }
    }
    // An empty document is an empty plain scalar, as it is written back.
    Ok(root.unwrap_or(Node::Plain(String::new())))
}

fn open(stack: &[Open], span: &Span) -> Result<(), DocumentError> {
    if stack.len() >= MAX_DEPTH {
        return Err(error(format!(
            "the YAML nests more than {MAX_DEPTH} lists and maps deep at {}",
            at(span)
        )));
    }
    Ok(())
}

fn key_text(node: Node, span: &Span) -> Result<String, DocumentError> {
    match node {
        Node::String(text) | Node::Plain(text) => Ok(text),
        _ => Err(error(format!("map keys must be strings (at {})", at(span)))),
    }
}

/// A scalar: its text for quoted and block scalars and for those under a short-form tag (YAML
/// 1.1 readers take a tagged scalar as a string); plain scalars that are not plain strings stay
/// [`Node::Plain`].
fn scalar(
    value: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
    span: &Span,
) -> Result<Node, DocumentError> {
    let text = value.into_owned();
    match tag {
        None if style == ScalarStyle::Plain && special_plain(&text) => Ok(Node::Plain(text)),
        None => Ok(Node::String(text)),
        Some(tag) if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" => {
            match tag.suffix.as_str() {
                "str" => Ok(Node::String(text)),
                "null" | "bool" | "int" | "float" if style == ScalarStyle::Plain => {
                    Ok(Node::Plain(text))
                }
                other => Err(error(format!(
                    "unsupported YAML tag `!!{other}` at {} (remove it)",
                    at(span)
                ))),
            }
        }
        Some(tag) => tagged(Node::String(text), Some(tag), span),
    }
}

/// A node under a tag: `!Ref`, `!Sub`, … become their intrinsic function's JSON form.
fn tagged(node: Node, tag: Option<&Tag>, span: &Span) -> Result<Node, DocumentError> {
    let Some(tag) = tag else { return Ok(node) };
    if tag.handle != "!" {
        return Err(error(format!(
            "unsupported YAML tag `{}{}` at {} (CloudFormation reads `!Ref`, `!Sub`, …)",
            tag.handle,
            tag.suffix,
            at(span)
        )));
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
