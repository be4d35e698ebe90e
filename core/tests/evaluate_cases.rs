//! The evaluator against AWS's documented semantics: a table of cases, grouped by the IAM User
//! Guide page each group is taken from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use leastpriv_core::evaluate::{ContextValue, Decision, PolicySet, Request};
use leastpriv_core::policy::Policy;

use Decision::{Allow, ExplicitDeny, ImplicitDeny};

/// A context value in a case.
#[derive(Clone, Copy)]
enum V {
    S(&'static str),
    N(f64),
    B(bool),
}

/// One request against some policies, and the decision AWS documents for it.
struct Case {
    name: &'static str,
    /// Identity policies, each given by its statements (JSON, without the enclosing list).
    identity: &'static [&'static str],
    /// The permissions boundary's statements, if any.
    boundary: Option<&'static str>,
    action: &'static str,
    resource: &'static str,
    context: &'static [(&'static str, V)],
    want: Decision,
}

const ALLOW_ALL: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;

fn policy(statements: &str) -> Policy {
    Policy::from_json_str(&format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#))
        .unwrap_or_else(|e| panic!("bad test policy {statements}: {e}"))
}

fn run(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let identity: Vec<Policy> = case.identity.iter().map(|s| policy(s)).collect();
        let boundary = case.boundary.map(policy);
        let names: Vec<String> = (0..identity.len()).map(|i| format!("p{i}")).collect();
        let mut set = PolicySet::new();
        for (name, p) in names.iter().zip(&identity) {
            set = set.identity(name, p);
        }
        if let Some(b) = &boundary {
            set = set.boundary("boundary", b);
        }
        let mut request = Request::new(case.action, case.resource);
        for (key, value) in case.context {
            let value = match *value {
                V::S(s) => ContextValue::from(s),
                V::N(n) => ContextValue::Number(n),
                V::B(b) => ContextValue::Bool(b),
            };
            request.context.insert(*key, value);
        }
        let got = set.evaluate(&request).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        if got.decision != case.want {
            failures.push(format!(
                "{}: want {:?}, got {:?} ({})",
                case.name, case.want, got.decision, got.reason
            ));
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// Requests are implicitly denied by default; an allow is needed; an explicit deny overrides it.
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn deny_allow_evaluation() {
    run(&[
        Case { name: "no policy at all", identity: &[], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: ImplicitDeny },
        Case { name: "a policy with no statement", identity: &[""], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: ImplicitDeny },
        Case { name: "a matching allow", identity: &[r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: Allow },
        Case { name: "an allow for another action", identity: &[r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: ImplicitDeny },
        Case { name: "deny and allow in one policy", identity: &[r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: ExplicitDeny },
        Case { name: "deny in a second policy beats allow in the first", identity: &[ALLOW_ALL, r#"{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: ExplicitDeny },
        Case { name: "a deny for another resource leaves the allow", identity: &[ALLOW_ALL, r#"{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::other/*"}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: Allow },
        Case { name: "a deny whose condition is false does not apply", identity: &[ALLOW_ALL, r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[("aws:RequestedRegion", V::S("us-east-1"))], want: Allow },
        Case { name: "an allow whose condition is false does not allow", identity: &[r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[("aws:RequestedRegion", V::S("us-east-1"))], want: ImplicitDeny },
        Case { name: "a deny-only policy allows nothing", identity: &[r#"{"Effect":"Deny","Action":"ec2:*","Resource":"*"}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: ImplicitDeny },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
// Effective permissions are the intersection of identity policies and the boundary; an explicit
// deny in either wins.
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn permissions_boundaries() {
    run(&[
        Case { name: "both allow", identity: &[r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#], boundary: Some(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: Allow },
        Case { name: "identity allows, boundary does not", identity: &[ALLOW_ALL], boundary: Some(r#"{"Effect":"Allow","Action":["s3:*","cloudwatch:*","ec2:*"],"Resource":"*"}"#), action: "iam:CreateUser", resource: "arn:aws:iam::111122223333:user/u", context: &[], want: ImplicitDeny },
        Case { name: "boundary allows, identity does not", identity: &[r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}"#], boundary: Some(ALLOW_ALL), action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: ImplicitDeny },
        Case { name: "a deny in the boundary is explicit", identity: &[ALLOW_ALL], boundary: Some(r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}"#), action: "s3:DeleteObject", resource: "arn:aws:s3:::b/k", context: &[], want: ExplicitDeny },
        Case { name: "boundary with NotAction excludes IAM", identity: &[ALLOW_ALL], boundary: Some(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#), action: "iam:CreateUser", resource: "arn:aws:iam::111122223333:user/u", context: &[], want: ImplicitDeny },
        Case { name: "boundary with NotAction keeps the rest", identity: &[ALLOW_ALL], boundary: Some(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#), action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: Allow },
        Case { name: "boundary scoped to a resource", identity: &[ALLOW_ALL], boundary: Some(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#), action: "s3:GetObject", resource: "arn:aws:s3:::other/k", context: &[], want: ImplicitDeny },
        Case { name: "an empty boundary denies everything", identity: &[ALLOW_ALL], boundary: Some(""), action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: ImplicitDeny },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
// "The prefix and the action name are case insensitive"; wildcards `*` and `?`.
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn action_matching() {
    let allow = |action: &'static str| -> &'static [&'static str] {
        match action {
            "S3:getobject" => &[r#"{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}"#],
            "s3:Get*" => &[r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}"#],
            "s3:?etObject" => &[r#"{"Effect":"Allow","Action":"s3:?etObject","Resource":"*"}"#],
            "iam:*AccessKey*" => &[r#"{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"*"}"#],
            "s3:*" => &[r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#],
            _ => &[ALLOW_ALL],
        }
    };
    run(&[
        Case { name: "case-insensitive action", identity: allow("S3:getobject"), boundary: None, action: "s3:GetObject", resource: "*", context: &[], want: Allow },
        Case { name: "prefix wildcard", identity: allow("s3:Get*"), boundary: None, action: "s3:GetObjectTagging", resource: "*", context: &[], want: Allow },
        Case { name: "prefix wildcard misses", identity: allow("s3:Get*"), boundary: None, action: "s3:PutObject", resource: "*", context: &[], want: ImplicitDeny },
        Case { name: "single-character wildcard", identity: allow("s3:?etObject"), boundary: None, action: "s3:GetObject", resource: "*", context: &[], want: Allow },
        Case { name: "single-character wildcard needs one character", identity: allow("s3:?etObject"), boundary: None, action: "s3:etObject", resource: "*", context: &[], want: ImplicitDeny },
        Case { name: "infix wildcards", identity: allow("iam:*AccessKey*"), boundary: None, action: "iam:CreateAccessKey", resource: "*", context: &[], want: Allow },
        Case { name: "star allows any action", identity: allow("*"), boundary: None, action: "dynamodb:PutItem", resource: "*", context: &[], want: Allow },
        Case { name: "service wildcard stays in its service", identity: allow("s3:*"), boundary: None, action: "s3express:CreateSession", resource: "*", context: &[], want: ImplicitDeny },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn not_action() {
    run(&[
        Case { name: "Allow NotAction allows what is not listed", identity: &[r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: Allow },
        Case { name: "Allow NotAction does not allow what is listed", identity: &[r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#], boundary: None, action: "iam:CreateUser", resource: "*", context: &[], want: ImplicitDeny },
        Case { name: "Deny NotAction denies everything else", identity: &[ALLOW_ALL, r#"{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*"}"#], boundary: None, action: "s3:GetObject", resource: "*", context: &[], want: ExplicitDeny },
        Case { name: "Deny NotAction spares what is listed", identity: &[ALLOW_ALL, r#"{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*"}"#], boundary: None, action: "sts:GetCallerIdentity", resource: "*", context: &[], want: Allow },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
// Wildcards within ARN segments; a `*` ending the last segment may run across colons; names are
// case-sensitive.
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn resource_matching() {
    run(&[
        Case { name: "exact ARN", identity: &[r#"{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-2:111122223333:queue1"}"#], boundary: None, action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-2:111122223333:queue1", context: &[], want: Allow },
        Case { name: "objects pattern does not match the bucket", identity: &[r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#], boundary: None, action: "s3:ListBucket", resource: "arn:aws:s3:::b", context: &[], want: ImplicitDeny },
        Case { name: "objects pattern matches nested keys", identity: &[r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/a/b/c.txt", context: &[], want: Allow },
        Case { name: "user names are case-sensitive", identity: &[r#"{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:user/Bob"}"#], boundary: None, action: "iam:GetUser", resource: "arn:aws:iam::111122223333:user/bob", context: &[], want: ImplicitDeny },
        Case { name: "path wildcard", identity: &[r#"{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:user/accounting/*"}"#], boundary: None, action: "iam:GetUser", resource: "arn:aws:iam::111122223333:user/accounting/alice", context: &[], want: Allow },
        Case { name: "wildcard inside the region segment", identity: &[r#"{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-*:*:queue1"}"#], boundary: None, action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-2:111122223333:queue1", context: &[], want: Allow },
        Case { name: "question mark is one character", identity: &[r#"{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-?:111122223333:queue1"}"#], boundary: None, action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-12:111122223333:queue1", context: &[], want: ImplicitDeny },
        Case { name: "a region wildcard does not swallow later segments", identity: &[r#"{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:111122223333:q"}"#], boundary: None, action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:999999999999:x:111122223333:q", context: &[], want: ImplicitDeny },
        Case { name: "a trailing star runs across colons", identity: &[r#"{"Effect":"Allow","Action":"lambda:*","Resource":"arn:aws:lambda:*"}"#], boundary: None, action: "lambda:InvokeFunction", resource: "arn:aws:lambda:us-east-1:111122223333:function:f", context: &[], want: Allow },
        Case { name: "resource ids with colons", identity: &[r#"{"Effect":"Allow","Action":"lambda:*","Resource":"arn:aws:lambda:us-east-1:111122223333:function:*"}"#], boundary: None, action: "lambda:InvokeFunction", resource: "arn:aws:lambda:us-east-1:111122223333:function:f:prod", context: &[], want: Allow },
        Case { name: "a qualified pattern misses the unqualified ARN", identity: &[r#"{"Effect":"Allow","Action":"lambda:*","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f:*"}"#], boundary: None, action: "lambda:InvokeFunction", resource: "arn:aws:lambda:us-east-1:111122223333:function:f", context: &[], want: ImplicitDeny },
        Case { name: "star matches a non-ARN resource", identity: &[ALLOW_ALL], boundary: None, action: "s3:ListAllMyBuckets", resource: "*", context: &[], want: Allow },
        Case { name: "any of several resources", identity: &[r#"{"Effect":"Allow","Action":"dynamodb:*","Resource":["arn:aws:dynamodb:us-east-2:111122223333:table/books_table","arn:aws:dynamodb:us-east-2:111122223333:table/magazines_table"]}"#], boundary: None, action: "dynamodb:GetItem", resource: "arn:aws:dynamodb:us-east-2:111122223333:table/magazines_table", context: &[], want: Allow },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn not_resource() {
    run(&[
        Case { name: "Allow NotResource allows other resources", identity: &[r#"{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::hr/*"}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: Allow },
        Case { name: "Allow NotResource does not allow the listed one", identity: &[r#"{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::hr/*"}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::hr/payroll.csv", context: &[], want: ImplicitDeny },
        Case { name: "Deny NotResource denies everything but the listed", identity: &[ALLOW_ALL, r#"{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::other/k", context: &[], want: ExplicitDeny },
        Case { name: "Deny NotResource spares the listed", identity: &[ALLOW_ALL, r#"{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[], want: Allow },
    ]);
}

const TAG_ADMIN: &str = r#"{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}}"#;

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
// and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
// (several keys: AND; several values: OR; key names case-insensitive; absent key: no match,
// except for negated operators).
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn string_conditions() {
    const USER: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"johndoe"}}}"#;
    const NOT_USER: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:username":"johndoe"}}}"#;
    const IGNORE: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:username":"johndoe"}}}"#;
    const NOT_IGNORE: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEqualsIgnoreCase":{"aws:username":"johndoe"}}}"#;
    const LIKE: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"s3:prefix":["","home/","home/*/"]}}}"#;
    const NOT_LIKE: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotLike":{"s3:prefix":"private/*"}}}"#;
    const TWO_KEYS: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"data","aws:RequestedRegion":["eu-west-1","eu-central-1"]}}}"#;
    run(&[
        Case { name: "StringEquals matches", identity: &[TAG_ADMIN], boundary: None, action: "iam:CreateAccessKey", resource: "*", context: &[("aws:PrincipalTag/job-category", V::S("iamuser-admin"))], want: Allow },
        Case { name: "StringEquals absent key is false", identity: &[TAG_ADMIN], boundary: None, action: "iam:CreateAccessKey", resource: "*", context: &[], want: ImplicitDeny },
        Case { name: "StringEquals is case-sensitive", identity: &[USER], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:username", V::S("JohnDoe"))], want: ImplicitDeny },
        Case { name: "context key names are case-insensitive", identity: &[USER], boundary: None, action: "s3:GetObject", resource: "*", context: &[("AWS:UserName", V::S("johndoe"))], want: Allow },
        Case { name: "StringNotEquals with another value", identity: &[NOT_USER], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:username", V::S("alice"))], want: Allow },
        Case { name: "StringNotEquals with the value", identity: &[NOT_USER], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:username", V::S("johndoe"))], want: ImplicitDeny },
        Case { name: "StringNotEquals absent key is true", identity: &[NOT_USER], boundary: None, action: "s3:GetObject", resource: "*", context: &[], want: Allow },
        Case { name: "StringEqualsIgnoreCase", identity: &[IGNORE], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:username", V::S("JohnDoe"))], want: Allow },
        Case { name: "StringNotEqualsIgnoreCase", identity: &[NOT_IGNORE], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:username", V::S("JOHNDOE"))], want: ImplicitDeny },
        Case { name: "StringLike empty value among the list", identity: &[LIKE], boundary: None, action: "s3:ListBucket", resource: "*", context: &[("s3:prefix", V::S(""))], want: Allow },
        Case { name: "StringLike wildcard value", identity: &[LIKE], boundary: None, action: "s3:ListBucket", resource: "*", context: &[("s3:prefix", V::S("home/alice/"))], want: Allow },
        Case { name: "StringLike no value matches", identity: &[LIKE], boundary: None, action: "s3:ListBucket", resource: "*", context: &[("s3:prefix", V::S("etc/"))], want: ImplicitDeny },
        Case { name: "StringNotLike", identity: &[NOT_LIKE], boundary: None, action: "s3:ListBucket", resource: "*", context: &[("s3:prefix", V::S("private/x"))], want: ImplicitDeny },
        Case { name: "two keys both hold", identity: &[TWO_KEYS], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:PrincipalTag/team", V::S("data")), ("aws:RequestedRegion", V::S("eu-central-1"))], want: Allow },
        Case { name: "two keys, one fails", identity: &[TWO_KEYS], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:PrincipalTag/team", V::S("data")), ("aws:RequestedRegion", V::S("us-east-1"))], want: ImplicitDeny },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric
// and #Conditions_Date
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn numeric_and_date_conditions() {
    const MAX_KEYS: &str = r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}}"#;
    const GREATER: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericGreaterThan":{"ec2:VolumeSize":100}}}"#;
    const NOT_EQUAL: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericNotEquals":{"s3:max-keys":["1","2"]}}}"#;
    const ISSUED: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}}"#;
    const BEFORE: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-06-30T00:00:00Z"}}}"#;
    const EPOCH: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThanEquals":{"aws:EpochTime":"1700000000"}}}"#;
    run(&[
        Case { name: "NumericLessThanEquals at the limit", identity: &[MAX_KEYS], boundary: None, action: "s3:ListBucket", resource: "*", context: &[("s3:max-keys", V::S("10"))], want: Allow },
        Case { name: "NumericLessThanEquals over the limit", identity: &[MAX_KEYS], boundary: None, action: "s3:ListBucket", resource: "*", context: &[("s3:max-keys", V::N(11.0))], want: ImplicitDeny },
        Case { name: "NumericLessThanEquals absent key", identity: &[MAX_KEYS], boundary: None, action: "s3:ListBucket", resource: "*", context: &[], want: ImplicitDeny },
        Case { name: "NumericGreaterThan with a JSON number", identity: &[GREATER], boundary: None, action: "ec2:CreateVolume", resource: "*", context: &[("ec2:VolumeSize", V::N(500.0))], want: Allow },
        Case { name: "a non-numeric request value never matches", identity: &[GREATER], boundary: None, action: "ec2:CreateVolume", resource: "*", context: &[("ec2:VolumeSize", V::S("big"))], want: ImplicitDeny },
        Case { name: "NumericNotEquals holds when no value is equal", identity: &[NOT_EQUAL], boundary: None, action: "s3:ListBucket", resource: "*", context: &[("s3:max-keys", V::S("3"))], want: Allow },
        Case { name: "NumericNotEquals fails when one value is equal", identity: &[NOT_EQUAL], boundary: None, action: "s3:ListBucket", resource: "*", context: &[("s3:max-keys", V::S("2.0"))], want: ImplicitDeny },
        Case { name: "DateGreaterThan with fresh credentials", identity: &[ISSUED], boundary: None, action: "iam:ListAccessKeys", resource: "*", context: &[("aws:TokenIssueTime", V::S("2020-06-01T12:00:00Z"))], want: Allow },
        Case { name: "DateGreaterThan with old credentials", identity: &[ISSUED], boundary: None, action: "iam:ListAccessKeys", resource: "*", context: &[("aws:TokenIssueTime", V::S("2019-12-31T23:59:59Z"))], want: ImplicitDeny },
        Case { name: "DateGreaterThan without temporary credentials", identity: &[ISSUED], boundary: None, action: "iam:ListAccessKeys", resource: "*", context: &[], want: ImplicitDeny },
        Case { name: "DateLessThan with a time zone offset", identity: &[BEFORE], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:CurrentTime", V::S("2030-06-30T01:00:00+02:00"))], want: Allow },
        Case { name: "Date operators accept epoch seconds", identity: &[EPOCH], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:EpochTime", V::N(1_700_000_000.0))], want: Allow },
        Case { name: "epoch request value against an ISO policy value", identity: &[ISSUED], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:TokenIssueTime", V::S("1577836800"))], want: ImplicitDeny },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Boolean
// #Conditions_BinaryEquals and #Conditions_IPAddress
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn bool_binary_and_ip_conditions() {
    const TLS: &str = r#"{"Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#;
    const MFA: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}}"#;
    const BINARY: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BinaryEquals":{"custom:key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}}"#;
    const IP: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}}"#;
    const NOT_IP: &str = r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}"#;
    const ONE_IP: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.10"}}}"#;
    run(&[
        Case { name: "Bool deny over plain HTTP", identity: &[ALLOW_ALL, TLS], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[("aws:SecureTransport", V::B(false))], want: ExplicitDeny },
        Case { name: "Bool deny spares TLS", identity: &[ALLOW_ALL, TLS], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", context: &[("aws:SecureTransport", V::S("true"))], want: Allow },
        Case { name: "Bool with a JSON boolean policy value", identity: &[MFA], boundary: None, action: "ec2:StopInstances", resource: "*", context: &[("aws:MultiFactorAuthPresent", V::S("TRUE"))], want: Allow },
        Case { name: "Bool absent key does not match", identity: &[MFA], boundary: None, action: "ec2:StopInstances", resource: "*", context: &[], want: ImplicitDeny },
        Case { name: "BinaryEquals same bytes", identity: &[BINARY], boundary: None, action: "s3:GetObject", resource: "*", context: &[("custom:key", V::S("QmluYXJ5VmFsdWVJbkJhc2U2NA=="))], want: Allow },
        Case { name: "BinaryEquals other bytes", identity: &[BINARY], boundary: None, action: "s3:GetObject", resource: "*", context: &[("custom:key", V::S("T3RoZXI="))], want: ImplicitDeny },
        Case { name: "IpAddress inside the IPv4 range", identity: &[IP], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:SourceIp", V::S("203.0.113.77"))], want: Allow },
        Case { name: "IpAddress outside the range", identity: &[IP], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:SourceIp", V::S("203.0.114.1"))], want: ImplicitDeny },
        Case { name: "IpAddress inside the IPv6 range", identity: &[IP], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:SourceIp", V::S("2001:db8:1234:5678::1"))], want: Allow },
        Case { name: "IpAddress without a prefix is a /32", identity: &[ONE_IP], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:SourceIp", V::S("192.0.2.11"))], want: ImplicitDeny },
        Case { name: "NotIpAddress denies outside the range", identity: &[ALLOW_ALL, NOT_IP], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:SourceIp", V::S("198.51.100.1"))], want: ExplicitDeny },
        Case { name: "NotIpAddress spares inside the range", identity: &[ALLOW_ALL, NOT_IP], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:SourceIp", V::S("192.0.2.1"))], want: Allow },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
// "Each of the six colon-delimited components of the ARN is checked separately".
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn arn_conditions() {
    const ARN_LIKE: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}}"#;
    const STRING_LIKE: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}}"#;
    const ARN_EQUALS: &str = r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}}}"#;
    const ARN_NOT_LIKE: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:internal-*"}}}"#;
    const TRICKY: &str = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
    run(&[
        Case { name: "ArnLike matches component-wise", identity: &[ARN_LIKE], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:SourceArn", V::S("arn:aws:someservice:us-east-2:111122223333:finance/doc.txt"))], want: Allow },
        Case { name: "ArnLike stars stay inside a component", identity: &[ARN_LIKE], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:SourceArn", V::S(TRICKY))], want: ImplicitDeny },
        Case { name: "StringLike stars cross colons", identity: &[STRING_LIKE], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:SourceArn", V::S(TRICKY))], want: Allow },
        Case { name: "ArnEquals same topic", identity: &[ARN_EQUALS], boundary: None, action: "sqs:SendMessage", resource: "*", context: &[("aws:SourceArn", V::S("arn:aws:sns:us-east-2:123456789012:TOPIC-ID"))], want: Allow },
        Case { name: "ArnEquals absent key", identity: &[ARN_EQUALS], boundary: None, action: "sqs:SendMessage", resource: "*", context: &[], want: ImplicitDeny },
        Case { name: "ArnNotLike absent key is true", identity: &[ARN_NOT_LIKE], boundary: None, action: "sqs:SendMessage", resource: "*", context: &[], want: Allow },
        Case { name: "ArnNotLike matching value", identity: &[ARN_NOT_LIKE], boundary: None, action: "sqs:SendMessage", resource: "*", context: &[("aws:SourceArn", V::S("arn:aws:sns:eu-west-1:111122223333:internal-alerts"))], want: ImplicitDeny },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
// and #Conditions_Null
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn if_exists_and_null() {
    const IF_EXISTS: &str = r#"{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*","Condition":{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}}"#;
    const PLAIN: &str = r#"{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*","Condition":{"StringLike":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}}"#;
    const DENY_NEGATED: &str = r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:ResourceTag/team":"data"}}}"#;
    const NULL_TRUE: &str = r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"true"}}}"#;
    const NULL_FALSE: &str = r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":false}}}"#;
    run(&[
        Case { name: "IfExists with the key absent", identity: &[IF_EXISTS], boundary: None, action: "ec2:RunInstances", resource: "arn:aws:ec2:us-east-1::image/ami-1", context: &[], want: Allow },
        Case { name: "IfExists with an allowed value", identity: &[IF_EXISTS], boundary: None, action: "ec2:RunInstances", resource: "*", context: &[("ec2:InstanceType", V::S("t2.micro"))], want: Allow },
        Case { name: "IfExists with another value", identity: &[IF_EXISTS], boundary: None, action: "ec2:RunInstances", resource: "*", context: &[("ec2:InstanceType", V::S("c5.large"))], want: ImplicitDeny },
        Case { name: "without IfExists the absent key fails", identity: &[PLAIN], boundary: None, action: "ec2:RunInstances", resource: "arn:aws:ec2:us-east-1::image/ami-1", context: &[], want: ImplicitDeny },
        Case { name: "negated IfExists deny applies to a missing tag", identity: &[ALLOW_ALL, DENY_NEGATED], boundary: None, action: "s3:GetObject", resource: "*", context: &[], want: ExplicitDeny },
        Case { name: "negated IfExists deny spares the right tag", identity: &[ALLOW_ALL, DENY_NEGATED], boundary: None, action: "s3:GetObject", resource: "*", context: &[("aws:ResourceTag/team", V::S("data"))], want: Allow },
        Case { name: "Null true with long-term credentials", identity: &[NULL_TRUE], boundary: None, action: "ec2:DescribeInstances", resource: "*", context: &[], want: Allow },
        Case { name: "Null true with temporary credentials", identity: &[NULL_TRUE], boundary: None, action: "ec2:DescribeInstances", resource: "*", context: &[("aws:TokenIssueTime", V::S("2024-01-01T00:00:00Z"))], want: ImplicitDeny },
        Case { name: "Null false needs the key", identity: &[NULL_FALSE], boundary: None, action: "ec2:DescribeInstances", resource: "*", context: &[("aws:TokenIssueTime", V::S("2024-01-01T00:00:00Z"))], want: Allow },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
// ForAllValues: every request value matches some policy value (true on an empty set);
// ForAnyValue: some request value matches (false on an empty set).
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn set_operators() {
    const ALL: &str = r#"{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/Thread","Condition":{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}}"#;
    const ANY_DENY: &str = r#"{"Effect":"Deny","Action":"dynamodb:PutItem","Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/Thread","Condition":{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}}"#;
    const ANY_ALLOW: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}}"#;
    const ANY_NOT: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}}}"#;
    const TABLE: &str = "arn:aws:dynamodb:us-east-1:111122223333:table/Thread";
    run(&[
        Case { name: "ForAllValues every value listed", identity: &[ALL], boundary: None, action: "dynamodb:GetItem", resource: TABLE, context: &[("dynamodb:requestedAttributes", V::S("PostDateTime")), ("dynamodb:requestedAttributes", V::S("Message"))], want: Allow },
        Case { name: "ForAllValues one value not listed", identity: &[ALL], boundary: None, action: "dynamodb:GetItem", resource: TABLE, context: &[("dynamodb:requestedAttributes", V::S("PostDateTime")), ("dynamodb:requestedAttributes", V::S("UserName"))], want: ImplicitDeny },
        Case { name: "ForAllValues absent key is true", identity: &[ALL], boundary: None, action: "dynamodb:GetItem", resource: TABLE, context: &[], want: Allow },
        Case { name: "ForAnyValue deny with one forbidden attribute", identity: &[ALLOW_ALL, ANY_DENY], boundary: None, action: "dynamodb:PutItem", resource: TABLE, context: &[("dynamodb:requestedAttributes", V::S("UserName")), ("dynamodb:requestedAttributes", V::S("Message")), ("dynamodb:requestedAttributes", V::S("PostDateTime"))], want: ExplicitDeny },
        Case { name: "ForAnyValue deny with no forbidden attribute", identity: &[ALLOW_ALL, ANY_DENY], boundary: None, action: "dynamodb:PutItem", resource: TABLE, context: &[("dynamodb:requestedAttributes", V::S("UserName"))], want: Allow },
        Case { name: "ForAnyValue absent key is false", identity: &[ANY_ALLOW], boundary: None, action: "ec2:CreateTags", resource: "*", context: &[], want: ImplicitDeny },
        Case { name: "ForAnyValue one matching tag key", identity: &[ANY_ALLOW], boundary: None, action: "ec2:CreateTags", resource: "*", context: &[("aws:TagKeys", V::S("owner")), ("aws:TagKeys", V::S("team"))], want: Allow },
        Case { name: "ForAnyValue negated: some key is not listed", identity: &[ANY_NOT], boundary: None, action: "ec2:CreateTags", resource: "*", context: &[("aws:TagKeys", V::S("env")), ("aws:TagKeys", V::S("owner"))], want: Allow },
        Case { name: "ForAnyValue negated: every key is listed", identity: &[ANY_NOT], boundary: None, action: "ec2:CreateTags", resource: "*", context: &[("aws:TagKeys", V::S("env")), ("aws:TagKeys", V::S("team"))], want: ImplicitDeny },
    ]);
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
// Variables in Resource and in string conditions, only with Version 2012-10-17; default values;
// ${*}, ${?}, ${$} stand for the literal characters.
#[test]
#[rustfmt::skip] // one case per line reads as a table
fn policy_variables() {
    const HOME: &str = r#"{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::mybucket/${aws:username}/*"}"#;
    const PREFIX: &str = r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::mybucket","Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}}"#;
    const TAG: &str = r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/department}/*"}"#;
    const DEFAULT: &str = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:userid, 'anonymous'}/*"}"#;
    const STAR: &str = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}"}"#;
    const SNS: &str = r#"{"Effect":"Allow","Action":"sns:*","Resource":"*","Condition":{"StringLike":{"sns:endpoint":"https://example.com/${aws:username}/"},"StringEquals":{"sns:Protocol":"https"}}}"#;
    run(&[
        Case { name: "own home directory", identity: &[HOME], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::mybucket/david/notes.txt", context: &[("aws:username", V::S("david"))], want: Allow },
        Case { name: "someone else's home directory", identity: &[HOME], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::mybucket/adele/notes.txt", context: &[("aws:username", V::S("david"))], want: ImplicitDeny },
        Case { name: "variable without a value skips the statement", identity: &[HOME], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::mybucket/david/notes.txt", context: &[], want: ImplicitDeny },
        Case { name: "variable in a StringLike condition", identity: &[PREFIX], boundary: None, action: "s3:ListBucket", resource: "arn:aws:s3:::mybucket", context: &[("aws:username", V::S("david")), ("s3:prefix", V::S("home/david/photos/"))], want: Allow },
        Case { name: "variable in a condition, other user", identity: &[PREFIX], boundary: None, action: "s3:ListBucket", resource: "arn:aws:s3:::mybucket", context: &[("aws:username", V::S("david")), ("s3:prefix", V::S("home/adele/"))], want: ImplicitDeny },
        Case { name: "principal tag as a variable", identity: &[TAG], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::bucket/hr/x", context: &[("aws:PrincipalTag/department", V::S("hr"))], want: Allow },
        Case { name: "default value when the key is absent", identity: &[DEFAULT], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/anonymous/x", context: &[], want: Allow },
        Case { name: "the key's value wins over the default", identity: &[DEFAULT], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/anonymous/x", context: &[("aws:userid", V::S("AIDAEXAMPLE"))], want: ImplicitDeny },
        Case { name: "${*} is a literal star", identity: &[STAR], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/*", context: &[], want: Allow },
        Case { name: "${*} is not a wildcard", identity: &[STAR], boundary: None, action: "s3:GetObject", resource: "arn:aws:s3:::b/anything", context: &[], want: ImplicitDeny },
        Case { name: "SNS endpoint per user", identity: &[SNS], boundary: None, action: "sns:Subscribe", resource: "arn:aws:sns:us-east-1:999999999999:t", context: &[("aws:username", V::S("ana")), ("sns:Endpoint", V::S("https://example.com/ana/")), ("sns:protocol", V::S("https"))], want: Allow },
    ]);
}

/// Without `"Version": "2012-10-17"` variables are literal text.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html ("If you
// don't include the Version element … variables … are treated as literal strings")
#[test]
fn variables_need_version_2012_10_17() {
    let old = Policy::from_json_str(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}"#,
    )
    .unwrap();
    let set = PolicySet::new().identity("old", &old);
    let substituted = Request::new("s3:GetObject", "arn:aws:s3:::b/david/x")
        .with_context("aws:username", "david");
    assert_eq!(set.evaluate(&substituted).unwrap().decision, ImplicitDeny);
    let literal = Request::new("s3:GetObject", "arn:aws:s3:::b/${aws:username}/x");
    assert_eq!(set.evaluate(&literal).unwrap().decision, Allow);
}
