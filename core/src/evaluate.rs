//! The policy evaluator: judges a request against identity policies and an optional
//! permissions boundary, as AWS's documented evaluation logic does.
//!
//! - "Policy evaluation logic"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>):
//!   every request starts implicitly denied; an explicit deny in any policy wins; otherwise an
//!   allow is needed.
//! - "Permissions boundaries for IAM entities"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>): with a
//!   boundary the effective permissions are the intersection, so the boundary must allow too,
//!   and a deny in the boundary is an explicit deny.
//! - Statement matching: actions case-insensitively with `*`/`?`, resources with IAM's ARN
//!   matching, `NotAction`/`NotResource` as complements, conditions as the `condition` submodule says.
//! - Policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, `${s3:prefix}`) are taken
//!   from the request context in `Resource` and in string, ARN and Bool condition values, in
//!   `2012-10-17` policies only
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>). A
//!   variable with no value makes its statement inapplicable (the page: it "might cause the
//!   entire statement to be invalid"), noted in [`Evaluation::notes`].

mod compare;
mod condition;
mod context;
pub mod drift;
mod pattern;
pub mod privdiff;

use serde::Serialize;

pub use context::{Context, ContextValue, Request};

use crate::policy::{Actions, Effect, Policy, PolicyError, Resources, Statement, Version};

/// The outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Allowed by the identity policies (and by the boundary, when there is one), denied by none.
    Allow,
    /// A `Deny` statement applies.
    ExplicitDeny,
    /// Nothing denies, but what is needed does not allow.
    ImplicitDeny,
}

impl Decision {
    /// `allow`, `explicit_deny` or `implicit_deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::ExplicitDeny => "explicit_deny",
            Decision::ImplicitDeny => "implicit_deny",
        }
    }
}

/// The role a policy plays in the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// An identity-based policy attached to the principal.
    Identity,
    /// The principal's permissions boundary.
    Boundary,
}

/// A statement that decided the outcome.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DecidingStatement {
    /// The policy's name (as given to [`PolicySet`], e.g. its file name).
    pub policy: String,
    /// Identity policy or boundary.
    pub kind: PolicyKind,
    /// The statement's index in its policy (0-based).
    pub index: usize,
    /// The statement's `Sid`, if it has one.
    pub sid: Option<String>,
    /// Its effect.
    pub effect: Effect,
}

/// The result of judging one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// Allow, explicit deny or implicit deny.
    pub decision: Decision,
    /// The statements that decided it: the applicable `Deny` statements for an explicit deny;
    /// the applicable `Allow` statements (identity, then boundary) for an allow; none for an
    /// implicit deny.
    pub statements: Vec<DecidingStatement>,
    /// One sentence saying why.
    pub reason: String,
    /// Statements skipped because a policy variable had no value.
    pub notes: Vec<String>,
}

/// The policies that apply to a principal: identity policies and an optional boundary.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    identity: Vec<(&'a str, &'a Policy)>,
    boundary: Option<(&'a str, &'a Policy)>,
}

/// Checks that a policy can be evaluated as an identity policy or a boundary: no
/// `Principal`/`NotPrincipal` (IAM rejects them there), a `Resource` or `NotResource` in every
/// statement, and no CloudFormation expression left (resolve it first with
/// [`Policy::resolve`]).
pub fn check_evaluable(policy: &Policy) -> Result<(), PolicyError> {
    for (index, statement) in policy.statements.iter().enumerate() {
        let at = format!("/Statement/{index}");
        if statement.principal.is_some() {
            return Err(PolicyError::new(
                at,
                "identity policies and permissions boundaries must not name a principal",
            )
            .with_help(
                "remove `Principal`/`NotPrincipal`; they belong in trust and resource policies",
            ));
        }
        if statement.resource.is_none() {
            return Err(PolicyError::new(at, "the statement has no `Resource` or `NotResource`")
                .with_help("identity policies need \"Resource\": \"arn:…\" (or \"*\")"));
        }
    }
    if let Some((at, value)) = policy.first_expression() {
        return Err(PolicyError::new(
            at,
            format!("the CloudFormation expression {value} must be resolved before evaluation"),
        )
        .with_help("give values for the names it uses (`Policy::resolve` with `Params`)"));
    }
    Ok(())
}

/// Whether the statement's actions cover `action`.
fn action_applies(statement: &Statement, action: &str) -> bool {
    let (list, negated) = match &statement.action {
        Actions::Action(list) => (list, false),
        Actions::NotAction(list) => (list, true),
    };
    let hit = list
        .iter()
        .filter_map(|v| v.as_literal())
        .any(|pattern| pattern::action_matches(pattern, action));
    hit != negated
}

/// Whether the statement applies to the request (`Err` names a policy variable with no value).
fn applies(
    statement: &Statement,
    request: &Request,
    variables: Option<&Context>,
) -> Result<bool, pattern::Unresolved> {
    if !action_applies(statement, &request.action) {
        return Ok(false);
    }
    let (list, negated) = match &statement.resource {
        Some(Resources::Resource(list)) => (list, false),
        Some(Resources::NotResource(list)) => (list, true),
        None => return Ok(false),
    };
    let mut hit = false;
    for pattern in list.iter().filter_map(|v| v.as_literal()) {
        let tokens = pattern::tokens(pattern, variables)?;
        if pattern::arn_matches(&tokens, &request.resource) {
            hit = true;
            break;
        }
    }
    if hit == negated {
        return Ok(false);
    }
    condition::holds(&statement.condition, &request.context, variables)
}

impl<'a> PolicySet<'a> {
    /// No policies (which denies everything).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an identity policy named `name`.
    #[must_use]
    pub fn identity(mut self, name: &'a str, policy: &'a Policy) -> Self {
        self.identity.push((name, policy));
        self
    }

    /// Sets the permissions boundary.
    #[must_use]
    pub fn boundary(mut self, name: &'a str, policy: &'a Policy) -> Self {
        self.boundary = Some((name, policy));
        self
    }

    /// Judges `request`. Fails only when a policy cannot be evaluated (see
    /// [`check_evaluable`]); the error message names the policy.
    pub fn evaluate(&self, request: &Request) -> Result<Evaluation, PolicyError> {
        let all = self
            .identity
            .iter()
            .map(|(name, policy)| (*name, *policy, PolicyKind::Identity))
            .chain(self.boundary.map(|(name, policy)| (name, policy, PolicyKind::Boundary)));
        let mut denies = Vec::new();
        let mut identity_allows = Vec::new();
        let mut boundary_allows = Vec::new();
        let mut notes = Vec::new();
        for (name, policy, kind) in all {
            check_evaluable(policy).map_err(|mut err| {
                err.message = format!("policy `{name}`: {}", err.message);
                err
            })?;
            let variables =
                (policy.version == Some(Version::V2012_10_17)).then_some(&request.context);
            for (index, statement) in policy.statements.iter().enumerate() {
                let found = DecidingStatement {
                    policy: name.to_owned(),
                    kind,
                    index,
                    sid: statement.sid.clone(),
                    effect: statement.effect,
                };
                match applies(statement, request, variables) {
                    Ok(false) => {}
                    Ok(true) => match (statement.effect, kind) {
                        (Effect::Deny, _) => denies.push(found),
                        (Effect::Allow, PolicyKind::Identity) => identity_allows.push(found),
                        (Effect::Allow, PolicyKind::Boundary) => boundary_allows.push(found),
                    },
                    Err(pattern::Unresolved(variable)) => notes.push(format!(
                        "statement {index} of `{name}` skipped: the policy variable \
                         `${{{variable}}}` has no value in the request context"
                    )),
                }
            }
        }
        let what = format!("`{}` on `{}`", request.action, request.resource);
        let (decision, statements, reason) = if !denies.is_empty() {
            (Decision::ExplicitDeny, denies, format!("an explicit Deny applies to {what}"))
        } else if identity_allows.is_empty() {
            (
                Decision::ImplicitDeny,
                Vec::new(),
                format!("no identity policy statement allows {what}"),
            )
        } else if self.boundary.is_some() && boundary_allows.is_empty() {
            (
                Decision::ImplicitDeny,
                Vec::new(),
                format!("the permissions boundary does not allow {what}"),
            )
        } else {
            identity_allows.extend(boundary_allows);
            (Decision::Allow, identity_allows, format!("allowed: {what}"))
        };
        Ok(Evaluation { decision, statements, reason, notes })
    }
}

/// Whether `text` matches `pattern` the way `StringLike` does (`*` any run, `?` one character,
/// case-sensitive), without policy variables. Used to match code's resource names against
/// declared name patterns.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    match pattern::tokens(pattern, None) {
        Ok(tokens) => pattern::glob(&tokens, text),
        Err(_) => false,
    }
}
