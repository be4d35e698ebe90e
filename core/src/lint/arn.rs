//! Resource values as patterns: what a policy value can stand for once resolved as far as the
//! given parameters allow, whether it can ever match an action's ARN formats, and whether it
//! covers every resource of a type.

use std::collections::BTreeSet;

use crate::policy::{CfnExpr, Params, Value};

/// One position of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A literal character.
    Lit(char),
    /// `*`: any run of characters.
    Any,
    /// `?`: any one character.
    One,
    /// A name without `/` or `:` (a bucket name, an unresolved `${Name}`).
    Name,
    /// A segment without `:` (partition, region, account).
    Seg,
}

/// A value as a pattern, with the names that could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Shape {
    /// Text for messages, unresolved names as `${Name}`.
    pub text: String,
    /// The pattern.
    pub toks: Vec<Tok>,
    /// Parameters and functions left unresolved (empty: fully known).
    pub unresolved: BTreeSet<String>,
}

impl Shape {
    fn lit(text: &str) -> Shape {
        let mut shape = Shape::default();
        shape.push_literal(text);
        shape
    }

    fn unknown(text: String, tok: Tok, name: String) -> Shape {
        let mut unresolved = BTreeSet::new();
        unresolved.insert(name);
        Shape { text, toks: vec![tok], unresolved }
    }

    fn push_literal(&mut self, text: &str) {
        self.text.push_str(text);
        let mut rest = text;
        while !rest.is_empty() {
            // IAM policy variables (`${aws:username}`) stand for one value.
            if let Some(after) = rest.strip_prefix("${")
                && let Some(end) = after.find('}')
            {
                self.toks.push(Tok::Any);
                rest = &after[end + 1..];
                continue;
            }
            let mut chars = rest.chars();
            let Some(c) = chars.next() else { break };
            self.toks.push(match c {
                '*' => Tok::Any,
                '?' => Tok::One,
                c => Tok::Lit(c),
            });
            rest = chars.as_str();
        }
    }

    fn append(&mut self, other: &Shape) {
        self.text.push_str(&other.text);
        self.toks.extend_from_slice(&other.toks);
        self.unresolved.extend(other.unresolved.iter().cloned());
    }

    /// True when the value is exactly `*`.
    pub(crate) fn is_star(&self) -> bool {
        self.unresolved.is_empty()
            && self.toks.iter().all(|t| *t == Tok::Any)
            && !self.toks.is_empty()
    }

    /// True when nothing was left unresolved.
    pub(crate) fn known(&self) -> bool {
        self.unresolved.is_empty()
    }
}

/// The shapes a value can take (`Fn::If` without a given condition gives both branches; an
/// `AWS::NoValue` branch gives none).
pub(crate) fn shapes(value: &Value, params: &Params) -> Vec<Shape> {
    match value {
        Value::Literal(text) => vec![Shape::lit(text)],
        Value::Expr(expr) => expr_shapes(expr, params),
    }
}

fn name_shape(name: &str, params: &Params) -> Shape {
    if let Some(value) = params.get(name) {
        return Shape::lit(value);
    }
    match name {
        "AWS::Partition" => Shape::lit("aws"),
        "AWS::URLSuffix" => Shape::lit("amazonaws.com"),
        _ if name.starts_with("AWS::") => {
            Shape::unknown(format!("${{{name}}}"), Tok::Name, String::new())
        }
        _ if name.ends_with(".Arn") => {
            Shape::unknown(format!("${{{name}}}"), Tok::Any, name.to_owned())
        }
        // A name inside a longer value (`arn:…:::${Bucket}/*`) is one specific name: judged.
        _ => Shape::unknown(format!("${{{name}}}"), Tok::Name, String::new()),
    }
    .without_pseudo()
}

impl Shape {
    /// Pseudo parameters are known to be one value: not "unresolved" for reporting.
    fn without_pseudo(mut self) -> Shape {
        self.unresolved.remove("");
        self
    }
}

fn expr_shapes(expr: &CfnExpr, params: &Params) -> Vec<Shape> {
    match expr {
        CfnExpr::Ref(name) if name == "AWS::NoValue" => Vec::new(),
        CfnExpr::Ref(name) => {
            if let Some(value) = params.get(name) {
                return vec![Shape::lit(value)];
            }
            // A whole value from a `Ref` may be an ARN (a parameter, a topic): anything.
            let mut shape = name_shape(name, params);
            if !name.starts_with("AWS::") {
                shape.toks = vec![Tok::Any];
                shape.unresolved.insert(name.clone());
            }
            vec![shape]
        }
        CfnExpr::GetAtt { resource, attribute } => {
            let name = format!("{resource}.{attribute}");
            vec![Shape::unknown(format!("${{{name}}}"), Tok::Any, name)]
        }
        CfnExpr::Sub { template, variables } => {
            let mut out = Shape::default();
            let mut rest = template.as_str();
            while let Some(start) = rest.find("${") {
                out.push_literal(&rest[..start]);
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else {
                    out.push_literal(&rest[start..]);
                    rest = "";
                    break;
                };
                let name = after[..end].trim();
                if let Some(literal) = name.strip_prefix('!') {
                    out.text.push_str(&format!("${{{literal}}}"));
                    out.toks.extend(format!("${{{literal}}}").chars().map(Tok::Lit));
                } else if let Some(value) = variables.get(name) {
                    // `${var}` bound to `!Ref X` is X's name inside a longer value.
                    if let Value::Expr(inner) = value
                        && let CfnExpr::Ref(referenced) = inner.as_ref()
                        && referenced != "AWS::NoValue"
                    {
                        out.append(&name_shape(referenced, params));
                    } else if let Some(first) = shapes(value, params).into_iter().next() {
                        out.append(&first);
                    }
                } else {
                    out.append(&name_shape(name, params));
                }
                rest = &after[end + 1..];
            }
            out.push_literal(rest);
            vec![out]
        }
        CfnExpr::Join { delimiter, items } => {
            let mut out = Shape::default();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_literal(delimiter);
                }
                if let Some(first) = shapes(item, params).into_iter().next() {
                    out.append(&first);
                }
            }
            vec![out]
        }
        CfnExpr::If { condition, then, otherwise } => match params.get(condition) {
            Some(v) if v.eq_ignore_ascii_case("true") => shapes(then, params),
            Some(v) if v.eq_ignore_ascii_case("false") => shapes(otherwise, params),
            _ => {
                let mut out = shapes(then, params);
                out.extend(shapes(otherwise, params));
                out
            }
        },
        CfnExpr::Other { function, .. } => {
            vec![Shape::unknown(format!("{{{function}}}"), Tok::Any, function.clone())]
        }
    }
}

/// An ARN format of the catalog (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`) as a
/// pattern: partition, region and account are one segment (no `:`), bucket names contain no
/// `/`, the other placeholders of the resource part are any text.
pub(crate) fn format_toks(format: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        toks.extend(rest[..start].chars().map(Tok::Lit));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            rest = &rest[start..];
            break;
        };
        let name = &after[..end];
        let colons = toks.iter().filter(|t| **t == Tok::Lit(':')).count();
        toks.push(if name == "BucketName" {
            Tok::Name
        } else if colons < 5 {
            Tok::Seg
        } else {
            Tok::Any
        });
        rest = &after[end + 1..];
    }
    toks.extend(rest.chars().map(Tok::Lit));
    toks
}

/// Whether some text matches both patterns.
pub(crate) fn overlap(a: &[Tok], b: &[Tok]) -> bool {
    let (n, m) = (a.len(), b.len());
    let mut seen = vec![false; (n + 1) * (m + 1)];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let slot = i * (m + 1) + j;
        if seen[slot] {
            continue;
        }
        seen[slot] = true;
        if i == n && j == m {
            return true;
        }
        let star_a = i < n && matches!(a[i], Tok::Any | Tok::Name | Tok::Seg);
        let star_b = j < m && matches!(b[j], Tok::Any | Tok::Name | Tok::Seg);
        if star_a {
            stack.push((i + 1, j));
        }
        if star_b {
            stack.push((i, j + 1));
        }
        if i < n && j < m && common_char(a[i], b[j]) {
            let ni = if star_a { i } else { i + 1 };
            let nj = if star_b { j } else { j + 1 };
            if star_a && star_b {
                // Both absorb a character: no progress, only the skips above move on.
                continue;
            }
            stack.push((ni, nj));
        }
    }
    false
}

fn common_char(a: Tok, b: Tok) -> bool {
    match (a, b) {
        (Tok::Lit(x), Tok::Lit(y)) => x == y,
        (Tok::Lit(c), Tok::Name) | (Tok::Name, Tok::Lit(c)) => c != '/' && c != ':',
        (Tok::Lit(c), Tok::Seg) | (Tok::Seg, Tok::Lit(c)) => c != ':',
        _ => true,
    }
}

/// Whether a resource pattern covers every resource of the type of `format` (in its account
/// and region): `*`, `arn:aws:s3:::*`, `arn:aws:secretsmanager:*:*:secret:*`.
pub(crate) fn is_broad(shape: &Shape, format: &str) -> bool {
    if !shape.known() {
        return false;
    }
    if shape.is_star() {
        return true;
    }
    ends_free(&shape.text, format)
}

/// The resource part after the last fixed word ends in a wildcard (`…:secret:*`, `…:::*`,
/// `table/*`), where the format ends in a placeholder.
fn ends_free(text: &str, format: &str) -> bool {
    let service = |t: &str| t.split(':').nth(2).map(str::to_owned);
    if let (Some(a), Some(b)) = (service(text), service(format))
        && a != b
        && a != "*"
    {
        return false;
    }
    let resource_part = text.splitn(6, ':').nth(5).unwrap_or(text);
    let format_part = format.splitn(6, ':').nth(5).unwrap_or(format);
    let words = format_part.split(['/', ':']).count();
    let parts: Vec<&str> = resource_part.split(['/', ':']).collect();
    let placeholders: Vec<&str> = format_part.split(['/', ':']).collect();
    if parts.len() > words {
        return false;
    }
    parts.iter().zip(placeholders.iter()).all(|(p, f)| *p == "*" || !f.contains("${") && p == f)
        && parts.last().is_some_and(|p| p.ends_with('*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(text: &str) -> Shape {
        Shape::lit(text)
    }

    #[test]
    fn object_and_bucket_formats() {
        let bucket = format_toks("arn:${Partition}:s3:::${BucketName}");
        let object = format_toks("arn:${Partition}:s3:::${BucketName}/${ObjectName}");
        assert!(overlap(&lit("arn:aws:s3:::b").toks, &bucket));
        assert!(!overlap(&lit("arn:aws:s3:::b/*").toks, &bucket));
        assert!(!overlap(&lit("arn:aws:s3:::b").toks, &object));
        assert!(overlap(&lit("arn:aws:s3:::b/*").toks, &object));
        assert!(overlap(&lit("*").toks, &object));
        assert!(overlap(&lit("arn:aws:s3:::*").toks, &object));
    }

    #[test]
    fn broad_resources() {
        let secret = "arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}";
        assert!(is_broad(&lit("*"), secret));
        assert!(is_broad(&lit("arn:aws:secretsmanager:*:*:secret:*"), secret));
        assert!(is_broad(&lit("arn:aws:secretsmanager:us-east-1:123456789012:secret:*"), secret));
        assert!(!is_broad(&lit("arn:aws:secretsmanager:*:*:secret:db-*"), secret));
        assert!(is_broad(
            &lit("arn:aws:s3:::*"),
            "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
        ));
        assert!(!is_broad(
            &lit("arn:aws:s3:::b/*"),
            "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
        ));
    }
}
