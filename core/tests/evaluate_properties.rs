//! Property tests of the evaluator over generated policies and requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use leastpriv_core::evaluate::{Context, Decision, Evaluation, PolicySet, Request};
use leastpriv_core::policy::{
    Actions, BaseOperator, Condition, ConditionOperator, ConditionValue, Effect, OneOrMany, Policy,
    Resources, SetQualifier, Statement, Value,
};
use proptest::prelude::*;

const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:Get*",
    "s3:*",
    "*",
    "S3:getobject",
    "s3:?etObject",
    "dynamodb:GetItem",
    "dynamodb:*",
    "sqs:SendMessage",
    "iam:*",
];
const ACTIONS: &[&str] =
    &["s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "sqs:SendMessage", "iam:CreateUser"];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::other/*",
    "arn:aws:s3:::*",
    "arn:aws:dynamodb:us-east-1:111122223333:table/T",
    "arn:aws:sqs:*:111122223333:q",
    "arn:aws:s3:::b/${aws:username}/*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::other/x",
    "arn:aws:s3:::b/alice/f",
    "arn:aws:dynamodb:us-east-1:111122223333:table/T",
    "arn:aws:sqs:eu-west-1:111122223333:q",
    "*",
];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    proptest::sample::select(list)
}

fn values(list: Vec<&'static str>) -> OneOrMany<Value> {
    OneOrMany(list.into_iter().map(Value::from).collect())
}

fn condition() -> impl Strategy<Value = Condition> {
    let test = prop_oneof![
        Just((ConditionOperator::new(BaseOperator::StringEquals), "aws:username", vec!["alice"])),
        Just((
            ConditionOperator::new(BaseOperator::StringNotEquals),
            "aws:username",
            vec!["bob", "carol"]
        )),
        Just((ConditionOperator::new(BaseOperator::Bool), "aws:SecureTransport", vec!["true"])),
        Just((ConditionOperator::new(BaseOperator::NumericLessThan), "s3:max-keys", vec!["10"])),
        Just((ConditionOperator::new(BaseOperator::IpAddress), "aws:SourceIp", vec!["10.0.0.0/8"])),
        Just((ConditionOperator::new(BaseOperator::Null), "aws:TokenIssueTime", vec!["true"])),
        Just((
            ConditionOperator {
                set: Some(SetQualifier::ForAnyValue),
                base: BaseOperator::StringLike,
                if_exists: false
            },
            "aws:TagKeys",
            vec!["env", "te*"]
        )),
        Just((
            ConditionOperator { set: None, base: BaseOperator::StringLike, if_exists: true },
            "s3:prefix",
            vec!["home/*"]
        )),
    ];
    proptest::collection::vec(test, 0..3).prop_map(|tests| {
        let mut condition = Condition::default();
        for (op, key, vals) in tests {
            let vals: Vec<ConditionValue> = vals.into_iter().map(ConditionValue::from).collect();
            condition.insert(op, key, OneOrMany(vals));
        }
        condition
    })
}

fn statement() -> impl Strategy<Value = Statement> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(pick(ACTION_PATTERNS), 1..3),
        any::<bool>(),
        proptest::collection::vec(pick(RESOURCE_PATTERNS), 1..3),
        condition(),
    )
        .prop_map(|(allow, not_action, actions, not_resource, resources, condition)| {
            Statement {
                sid: None,
                effect: if allow { Effect::Allow } else { Effect::Deny },
                principal: None,
                action: if not_action {
                    Actions::NotAction(values(actions))
                } else {
                    Actions::Action(values(actions))
                },
                resource: Some(if not_resource {
                    Resources::NotResource(values(resources))
                } else {
                    Resources::Resource(values(resources))
                }),
                condition,
            }
        })
}

/// Policies whose statements carry unique Sids, so they can be told apart after shuffling.
fn policies() -> impl Strategy<Value = Vec<Policy>> {
    proptest::collection::vec(proptest::collection::vec(statement(), 0..5), 0..3).prop_map(
        |lists| {
            let mut n = 0;
            lists
                .into_iter()
                .map(|statements| {
                    Policy::new(
                        statements
                            .into_iter()
                            .map(|s| {
                                n += 1;
                                s.with_sid(format!("S{n}"))
                            })
                            .collect(),
                    )
                })
                .collect()
        },
    )
}

fn request() -> impl Strategy<Value = Request> {
    let entry = prop_oneof![
        Just(("aws:username", "alice")),
        Just(("aws:username", "bob")),
        Just(("aws:SecureTransport", "true")),
        Just(("aws:SecureTransport", "false")),
        Just(("s3:max-keys", "5")),
        Just(("s3:max-keys", "50")),
        Just(("aws:SourceIp", "10.1.2.3")),
        Just(("aws:SourceIp", "192.0.2.1")),
        Just(("aws:TokenIssueTime", "2024-01-01T00:00:00Z")),
        Just(("aws:TagKeys", "env")),
        Just(("aws:TagKeys", "owner")),
        Just(("s3:prefix", "home/a")),
    ];
    (pick(ACTIONS), pick(RESOURCES), proptest::collection::vec(entry, 0..5)).prop_map(
        |(action, resource, entries)| {
            let mut context = Context::new();
            for (key, value) in entries {
                context.insert(key, value);
            }
            Request { action: action.to_owned(), resource: resource.to_owned(), context }
        },
    )
}

fn evaluate(policies: &[Policy], boundary: Option<&Policy>, request: &Request) -> Evaluation {
    let names: Vec<String> = (0..policies.len()).map(|i| format!("p{i}")).collect();
    let mut set = PolicySet::new();
    for (name, policy) in names.iter().zip(policies) {
        set = set.identity(name, policy);
    }
    if let Some(boundary) = boundary {
        set = set.boundary("boundary", boundary);
    }
    set.evaluate(request).unwrap()
}

fn deny_everything() -> Statement {
    Statement::new(Effect::Deny, ["*"], ["*"])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// An applicable Deny decides, whatever else the policies and the boundary say.
    #[test]
    fn explicit_deny_always_wins(mut policies in policies(), boundary in proptest::option::of(policies()), request in request(), which in any::<prop::sample::Index>()) {
        let boundary = boundary.and_then(|b| b.into_iter().next());
        if policies.is_empty() {
            policies.push(Policy::new(Vec::new()));
        }
        let at = which.index(policies.len());
        let exact = Statement::new(Effect::Deny, [request.action.as_str()], [request.resource.as_str()]);
        policies[at].statements.push(exact);
        prop_assert_eq!(evaluate(&policies, boundary.as_ref(), &request).decision, Decision::ExplicitDeny);
        policies[at].statements.push(deny_everything());
        prop_assert_eq!(evaluate(&policies, boundary.as_ref(), &request).decision, Decision::ExplicitDeny);
    }

    /// A Deny in the boundary is as explicit as one in an identity policy.
    #[test]
    fn explicit_deny_in_the_boundary_wins(policies in policies(), request in request()) {
        let boundary = Policy::new(vec![Statement::new(Effect::Allow, ["*"], ["*"]), deny_everything()]);
        prop_assert_eq!(evaluate(&policies, Some(&boundary), &request).decision, Decision::ExplicitDeny);
    }

    /// Adding an Allow statement never turns an allow into a deny.
    #[test]
    fn adding_an_allow_keeps_an_allow(mut policies in policies(), extra in statement(), request in request()) {
        let before = evaluate(&policies, None, &request).decision;
        let mut extra = extra;
        extra.effect = Effect::Allow;
        match policies.first_mut() {
            Some(first) => first.statements.push(extra),
            None => policies.push(Policy::new(vec![extra])),
        }
        let after = evaluate(&policies, None, &request).decision;
        if before == Decision::Allow {
            prop_assert_eq!(after, Decision::Allow);
        }
        // And it never creates an explicit deny.
        if before != Decision::ExplicitDeny {
            prop_assert_ne!(after, Decision::ExplicitDeny);
        }
    }

    /// `"Action": "*"` on `"Resource": "*"` allows every request.
    #[test]
    fn star_allows_every_action(request in request()) {
        let star = Policy::new(vec![Statement::new(Effect::Allow, ["*"], ["*"])]);
        prop_assert_eq!(evaluate(&[star], None, &request).decision, Decision::Allow);
    }

    /// A policy with no statement denies everything, alone or as a boundary.
    #[test]
    fn no_statement_denies_everything(policies in policies(), request in request()) {
        let empty = Policy::new(Vec::new());
        let alone = evaluate(std::slice::from_ref(&empty), None, &request);
        prop_assert_eq!(alone.decision, Decision::ImplicitDeny);
        prop_assert!(alone.statements.is_empty());
        prop_assert_ne!(evaluate(&policies, Some(&empty), &request).decision, Decision::Allow);
    }

    /// Results do not depend on the order of statements or of policies.
    #[test]
    fn order_does_not_matter(policies in policies(), boundary in policies(), request in request(), seed in any::<u64>()) {
        let boundary = boundary.into_iter().next();
        let before = evaluate(&policies, boundary.as_ref(), &request);
        let mut shuffled = policies.clone();
        let mut state = seed | 1;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % (n as u64)).unwrap()
        };
        for policy in &mut shuffled {
            for i in (1..policy.statements.len()).rev() {
                let j = next(i + 1);
                policy.statements.swap(i, j);
            }
        }
        shuffled.reverse();
        let boundary = boundary.map(|mut b| { b.statements.reverse(); b });
        let after = evaluate(&shuffled, boundary.as_ref(), &request);
        prop_assert_eq!(before.decision, after.decision);
        let sids = |e: &Evaluation| {
            let mut s: Vec<Option<String>> = e.statements.iter().map(|s| s.sid.clone()).collect();
            s.sort();
            s
        };
        prop_assert_eq!(sids(&before), sids(&after));
    }

    /// Rendering and reading a policy back changes nothing, evaluation included.
    #[test]
    fn round_trip_preserves_decisions(policies in policies(), request in request()) {
        let again: Vec<Policy> = policies.iter().map(|p| Policy::from_json_str(&p.to_pretty_json()).unwrap()).collect();
        prop_assert_eq!(&again, &policies);
        prop_assert_eq!(evaluate(&policies, None, &request), evaluate(&again, None, &request));
    }
}
