//! Attribute values with `${Name}` references (CloudFormation parameters, resources, pseudo
//! parameters), parsed and checked once.

use std::fmt;

/// The pseudo parameters a value may reference (`${AWS::Region}`).
pub const PSEUDO_PARAMETERS: &[&str] =
    &["AWS::AccountId", "AWS::Partition", "AWS::Region", "AWS::StackName", "AWS::URLSuffix"];

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// `${Name}`: a parameter or resource of the consuming template, or a pseudo parameter.
    Ref(String),
}

/// A string that may contain `${Name}` references.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Template {
    /// Text and references, in order.
    pub parts: Vec<Part>,
}

impl Template {
    /// A template with no references.
    pub fn literal(text: &str) -> Self {
        Self { parts: vec![Part::Text(text.to_owned())] }
    }

    /// Parses `text`, rejecting unclosed `${`, empty or malformed names and unknown `AWS::` names.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(format!("`${{` without a closing `}}` in \"{text}\""));
            };
            let name = &after[..end];
            if name.is_empty() {
                return Err(format!("empty reference `${{}}` in \"{text}\""));
            }
            let valid = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.'));
            if !valid || name.starts_with(':') || name.ends_with(':') {
                return Err(format!(
                    "`${{{name}}}` is not a parameter or resource name (letters and digits, or \
                     `AWS::Region`-style pseudo parameters)"
                ));
            }
            if name.starts_with("AWS::") && !PSEUDO_PARAMETERS.contains(&name) {
                return Err(format!(
                    "`${{{name}}}` is not a pseudo parameter; use one of {}",
                    PSEUDO_PARAMETERS.join(", ")
                ));
            }
            parts.push(Part::Ref(name.to_owned()));
            rest = &after[end + 1..];
        }
        if !rest.is_empty() || parts.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// The references, in order (pseudo parameters included).
    pub fn refs(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Ref(name) => Some(name.as_str()),
            Part::Text(_) => None,
        })
    }

    /// The text when the template has no references.
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Text(text)] => Some(text),
            _ => None,
        }
    }

    /// True when the whole value is one reference (`"${UploadBucket}"`).
    pub fn single_ref(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Ref(name)] => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(text) => f.write_str(text)?,
                Part::Ref(name) => write!(f, "${{{name}}}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_text_and_refs() {
        let t = Template::parse("arn:${AWS::Partition}:s3:::${UploadBucket}/in/*").unwrap();
        assert_eq!(t.refs().collect::<Vec<_>>(), ["AWS::Partition", "UploadBucket"]);
        assert_eq!(t.to_string(), "arn:${AWS::Partition}:s3:::${UploadBucket}/in/*");
        assert_eq!(Template::parse("${Bucket}").unwrap().single_ref(), Some("Bucket"));
        assert_eq!(Template::parse("plain").unwrap().as_literal(), Some("plain"));
        assert_eq!(Template::parse("").unwrap().as_literal(), Some(""));
    }

    #[test]
    fn rejects_bad_references() {
        for bad in ["${Bucket", "${}", "${my bucket}", "${AWS::Regoin}", "${:x}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }
}
