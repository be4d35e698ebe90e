//! Synthesis: a handler's declaration and requirements become its [`FunctionRole`] (policy
//! statements, log group, trust, tags, environment), which the renderers write as a manifest,
//! CloudFormation JSON or YAML, Terraform JSON or bare policies (resolved with [`resolve`] when
//! values are given), or [`sam`] merges into a SAM template.
//!
//! Decisions (DESIGN §6 leaves them open):
//!
//! - Every action is granted on the resource its requirement names, rendered from the entry's ARN
//!   format (`declare::services`) by the requirement's resource type, or by the first resource
//!   type both the action and the entry take; actions without resource-level permissions get
//!   `"*"`. Values with `${Name}` become `Fn::Sub`.
//! - Names the consuming template must define: a plain `${Name}` is a parameter or resource of
//!   that template (a `String` parameter unless it defines it); `${Resource.Attribute}` is
//!   `Fn::GetAtt` of a resource it defines. See [`FunctionRole::parameters`] and
//!   [`FunctionRole::resource_attributes`]; the stand-alone CloudFormation output turns the latter
//!   into parameters too (see [`cfn`]).
//! - Each function gets its own `AWS::Logs::LogGroup` (name chosen by CloudFormation, so a
//!   retained group of an earlier stack never collides) and the rights to create streams in it
//!   and put events to them, nothing else in CloudWatch Logs.
//! - Environment values per service: see the table in `synth/env.rs`.

pub mod cfn;
pub mod document;
pub mod manifest;
pub mod manifest_diff;
pub mod render;
pub mod resolve;
pub mod sam;
pub mod sam_report;
pub mod stored;
pub mod terraform;

mod arn;
mod env;
mod grants;
mod split;
mod statements;
pub(crate) mod trigger;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::pipeline::HandlerResult;
use crate::policy::{Actions, Effect, OneOrMany, Policy, Principal, Principals, Statement, Value};

pub use manifest::{Manifest, manifest_schema};
pub use split::{INLINE_POLICY_NAME, MAX_MANAGED_POLICIES_PER_ROLE};

/// Why synthesis cannot build a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SynthError {
    /// A `trigger` entry of a service Lambda does not poll.
    UnsupportedTrigger {
        /// The entry (`sns(topic = "…")`).
        entry: String,
    },
    /// An action that takes resources none of which the entry provides.
    NoResource {
        /// The action.
        action: String,
        /// The entry.
        entry: String,
        /// The resource types the action takes.
        types: String,
    },
    /// A `kms_key` given as an alias.
    KmsAlias {
        /// The value.
        key: String,
    },
    /// Two entries give one environment variable different values.
    EnvConflict {
        /// The function.
        function: String,
        /// The variable.
        name: String,
    },
    /// Two functions of the crate (or of the crates synthesized together) have the same
    /// logical id.
    DuplicateName {
        /// The logical id.
        name: String,
        /// The handlers.
        handlers: Vec<String>,
    },
    /// The permissions do not fit IAM's quotas even split into managed policies.
    PolicyTooLarge {
        /// The function.
        function: String,
        /// The policy's size in characters (whitespace not counted).
        size: usize,
        /// How many managed policies it would take.
        managed_policies: usize,
    },
    /// One statement on one resource is larger than a managed policy.
    StatementTooLarge {
        /// The function.
        function: String,
        /// The statement's id.
        sid: String,
        /// Its size.
        size: usize,
    },
    /// The catalog failed to answer.
    Catalog {
        /// Its error.
        message: String,
    },
    /// An inconsistency between the pipeline's steps (a bug in leastpriv).
    Internal {
        /// What.
        message: String,
    },
}

impl SynthError {
    /// How to fix it, when there is a concrete fix.
    pub fn help(&self) -> Option<String> {
        match self {
            SynthError::UnsupportedTrigger { .. } => Some(
                "`trigger` is for sources Lambda polls with the function's role: `sqs`, \
                 `kinesis` and `dynamodb` (streams); other sources invoke the function \
                 through its resource policy and need no entry"
                    .to_owned(),
            ),
            SynthError::NoResource { .. } => {
                Some("declare the resource with an entry of the action's service".to_owned())
            }
            SynthError::KmsAlias { .. } => Some(
                "give the key id (`${MyKey}`, the `Ref` of an AWS::KMS::Key) or the key ARN \
                 (`${MyKey.Arn}`): IAM authorises KMS calls on the key, not on its alias"
                    .to_owned(),
            ),
            SynthError::EnvConflict { .. } => {
                Some("give each resource its own environment variable".to_owned())
            }
            SynthError::DuplicateName { .. } => {
                Some("give each handler its own `name = \"…\"` in its attribute".to_owned())
            }
            SynthError::PolicyTooLarge { .. } | SynthError::StatementTooLarge { .. } => Some(
                "split the handler into several functions, or share resources through fewer \
                 entries (one entry with a wildcard name instead of many)"
                    .to_owned(),
            ),
            SynthError::Catalog { .. } | SynthError::Internal { .. } => None,
        }
    }
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthError::UnsupportedTrigger { entry } => {
                write!(f, "{entry} is a `trigger`, but Lambda does not poll that service")
            }
            SynthError::NoResource { action, entry, types } => write!(
                f,
                "`{action}` takes a resource of type {types}, which {entry} does not provide"
            ),
            SynthError::KmsAlias { key } => {
                write!(f, "`kms_key = \"{key}\"` names an alias, not a key")
            }
            SynthError::EnvConflict { function, name } => write!(
                f,
                "{function}: two entries set the environment variable `{name}` to different values"
            ),
            SynthError::DuplicateName { name, handlers } => {
                write!(f, "the handlers {} would all be the function `{name}`", handlers.join(", "))
            }
            SynthError::PolicyTooLarge { function, size, managed_policies } => write!(
                f,
                "{function}: the role's policy has {size} characters, more than an inline policy \
                 (10,240) and, split, {managed_policies} managed policies of 6,144 (at most \
                 {MAX_MANAGED_POLICIES_PER_ROLE} per role)"
            ),
            SynthError::StatementTooLarge { function, sid, size } => write!(
                f,
                "{function}: statement `{sid}` alone has {size} characters, more than a managed \
                 policy holds (6,144)"
            ),
            SynthError::Catalog { message } => write!(f, "IAM catalog: {message}"),
            SynthError::Internal { message } => write!(f, "internal error: {message}"),
        }
    }
}

impl std::error::Error for SynthError {}

/// Why an action is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantReason {
    /// An SDK call of the handler needs it.
    Call,
    /// A call uses the entry's customer managed KMS key.
    Kms,
    /// A call passes a role.
    PassRole,
    /// Lambda polls the `trigger` entry's source with the function's role.
    Trigger,
    /// Lambda reads the `trigger` source, which is encrypted with the entry's KMS key.
    TriggerKms,
    /// The function writes its logs to its log group.
    Logs,
    /// An explicit action of an `allow_unused` entry: used where the analysis cannot see it.
    Declared,
}

/// One action on one resource, with where it comes from: a line of the manifest's
/// requirements and the unit statements are merged from.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Grant {
    /// The action (`s3:GetObject`).
    pub action: String,
    /// Its access level (`Read`).
    pub access_level: String,
    /// Why it is granted.
    pub reason: GrantReason,
    /// Index of the declared entry it is granted on (none for the log group).
    pub entry: Option<usize>,
    /// Index of the call that needs it (none for triggers and logs).
    pub call: Option<usize>,
    /// The IAM resource type of `resource`, when the action takes one.
    pub resource_type: Option<String>,
    /// The resource ARN (`*` for actions without resource-level permissions).
    pub resource: Value,
    /// Conditions (`kms:ViaService`, `iam:PassedToService`, `s3:prefix`).
    #[serde(skip_serializing_if = "crate::policy::Condition::is_empty")]
    #[schemars(with = "Option<crate::policy::Condition>")]
    pub condition: crate::policy::Condition,
}

/// The function's log group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LogGroup {
    /// Its logical id (`ResizeImageLogGroup`).
    pub logical_id: String,
    /// Retention in days (`log_retention_days`); none keeps events forever.
    pub retention_in_days: Option<u32>,
}

/// A customer managed policy holding part of an oversize role's permissions.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ManagedPolicy {
    /// Its logical id (`ResizeImagePolicy1`).
    pub logical_id: String,
    /// Its statements.
    pub policy: Policy,
}

/// Where the role's permissions go.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Placement {
    /// One inline policy (it fits the 10,240-character quota).
    Inline {
        /// The inline policy's name.
        policy_name: String,
    },
    /// Customer managed policies attached to the role, in statement order.
    Managed {
        /// The policies.
        policies: Vec<ManagedPolicy>,
    },
}

/// A tag of the role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RoleTag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// One function's role and everything around it, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FunctionRole {
    /// The function's logical id: the declaration's `name`, or the handler in PascalCase.
    pub name: String,
    /// The handler function.
    pub handler: String,
    /// The binary the handler runs in, when known.
    pub binary: Option<String>,
    /// The package the handler is written in (the crate `file` is relative to).
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The handler's file, relative to the crate.
    pub file: String,
    /// The role's logical id (`{name}Role`).
    pub role_logical_id: String,
    /// Who may assume the role: `lambda.amazonaws.com`.
    pub trust_policy: Policy,
    /// Every permission of the role, merged and ordered.
    pub policy: Policy,
    /// Inline, or split into managed policies.
    pub placement: Placement,
    /// The function's log group.
    pub log_group: LogGroup,
    /// The role's tags, in declaration order.
    pub tags: Vec<RoleTag>,
    /// The permissions boundary (a managed policy ARN).
    pub permissions_boundary: Option<Value>,
    /// The role's IAM path.
    pub path: Option<String>,
    /// Environment variables carrying resource names to the code (entries' `env`).
    pub environment: BTreeMap<String, Value>,
    /// Plain `${Name}`s the consuming template must define (as parameters unless it has them).
    pub parameters: BTreeSet<String>,
    /// `${Resource.Attribute}`s: `Fn::GetAtt` of resources the consuming template defines.
    pub resource_attributes: BTreeSet<String>,
    /// Every action on every resource and why, in the order derived (requirements in call
    /// order, then triggers, then the log group): the provenance of the policy's statements.
    #[serde(rename = "requirements")]
    pub grants: Vec<Grant>,
}

/// The role's tags, in the order declared.
pub(crate) fn role_tags(decl: &crate::declare::Declaration) -> Vec<RoleTag> {
    decl.options
        .tags
        .iter()
        .map(|t| RoleTag { key: t.value.0.clone(), value: t.value.1.clone() })
        .collect()
}

/// `forward_jobs` → `ForwardJobs`. Logical ids are letters and digits and start with a letter.
pub fn pascal_case(name: &str) -> String {
    let mut out: String = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "Fn");
    }
    out
}

/// The function's logical id: `name = "…"` or the handler's name in PascalCase.
pub fn function_name(handler: &HandlerResult) -> String {
    match &handler.declaration.name {
        Some(name) => name.value.clone(),
        None => pascal_case(&handler.handler),
    }
}

/// The binary a handler file belongs to: `src/main.rs` is the package's binary,
/// `src/bin/NAME.rs` and `src/bin/NAME/main.rs` are `NAME`; other files are unknown here.
pub fn binary_of(file: &str, package: &str) -> Option<String> {
    let file = file.replace('\\', "/");
    if file == "src/main.rs" {
        return Some(package.to_owned());
    }
    let rest = file.strip_prefix("src/bin/")?;
    let name = rest.strip_suffix("/main.rs").or_else(|| rest.strip_suffix(".rs"))?;
    (!name.contains('/')).then(|| name.to_owned())
}

fn trust_policy() -> Policy {
    let statement = Statement {
        sid: None,
        effect: Effect::Allow,
        principal: Some(Principals::Principal(Principal::service("lambda.amazonaws.com"))),
        action: Actions::Action(OneOrMany::one(Value::literal("sts:AssumeRole"))),
        resource: None,
        condition: Default::default(),
    };
    Policy::new(vec![statement])
}

/// Builds one handler's role. `crate_name` is the package it is written in, `binary` the binary
/// it runs in, when known.
pub fn synthesize(
    catalog: &Catalog,
    handler: &HandlerResult,
    crate_name: &str,
    binary: Option<&str>,
) -> Result<FunctionRole, SynthError> {
    let name = function_name(handler);
    let decl = &handler.declaration;
    let log_group = LogGroup {
        logical_id: format!("{name}LogGroup"),
        retention_in_days: decl.options.log_retention_days.as_ref().map(|d| d.value),
    };
    let grants = grants::grants(catalog, handler, &log_group.logical_id)?;
    let policy = Policy::new(statements::statements(&grants, catalog));
    let placement = split::place(&name, &policy)?;

    let mut environment: BTreeMap<String, Value> = BTreeMap::new();
    for entry in &decl.entries {
        let Some(var) = &entry.env else { continue };
        let value = env::env_value(entry)?;
        match environment.get(&var.value) {
            Some(existing) if *existing != value => {
                return Err(SynthError::EnvConflict {
                    function: name.clone(),
                    name: var.value.clone(),
                });
            }
            _ => {
                environment.insert(var.value.clone(), value);
            }
        }
    }

    let mut parameters = BTreeSet::new();
    let mut resource_attributes = BTreeSet::new();
    let templates = decl
        .entries
        .iter()
        .flat_map(|e| e.keys.values().map(|v| &v.value).chain(e.kms_key.iter().map(|k| &k.value)))
        .chain(decl.options.boundary.iter().map(|b| &b.value));
    for template in templates {
        for name in arn::template_names(template) {
            if name.contains('.') {
                resource_attributes.insert(name.to_owned());
            } else {
                parameters.insert(name.to_owned());
            }
        }
    }

    Ok(FunctionRole {
        role_logical_id: format!("{name}Role"),
        name,
        handler: handler.handler.clone(),
        binary: binary.map(str::to_owned),
        crate_name: crate_name.to_owned(),
        file: handler.file.to_string_lossy().replace('\\', "/"),
        trust_policy: trust_policy(),
        policy,
        placement,
        log_group,
        tags: role_tags(decl),
        permissions_boundary: decl.options.boundary.as_ref().map(|b| arn::reference_of(&b.value)),
        path: decl.options.path.as_ref().map(|p| p.value.clone()),
        environment,
        parameters,
        resource_attributes,
        grants,
    })
}
