//! The lint rules: stable ids, default severities, titles and help, in one table.

use super::Severity;

/// A lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    /// `Action: "*"`.
    StarAction,
    /// `s3:*`.
    ServiceWildcard,
    /// `s3:Get*` expanding to many actions.
    BroadWildcard,
    /// `NotAction` with `Allow`.
    NotActionAllow,
    /// `NotResource` with `Allow`.
    NotResourceAllow,
    /// `Resource: "*"` on actions that support resource-level permissions.
    ResourceStar,
    /// A privilege escalation path in one role.
    PrivilegeEscalation,
    /// Reading data on broad resources.
    DataExfiltration,
    /// Credentials obtainable on broad resources.
    CredentialExposure,
    /// Permissions-management actions (changing who may access a resource).
    ResourceExposure,
    /// An action IAM does not know.
    UnknownAction,
    /// A resource an action can never match.
    ResourceMismatch,
    /// A broad AWS managed policy.
    BroadManagedPolicy,
    /// `AWSLambdaBasicExecutionRole`: logs on `*`.
    UnscopedLogs,
    /// One role used by several functions.
    SharedRole,
    /// A role's inline policies or a managed policy above the IAM quota.
    PolicySize,
    /// A policy statement or document that cannot be read.
    InvalidPolicy,
    /// A value lint could not resolve (and so did not judge).
    Unresolved,
    /// A managed policy lint has no document for.
    UnknownManagedPolicy,
    /// `--code`: granted but not used by the code.
    UnusedGrant,
    /// `--code`: used by the code but not granted.
    MissingGrant,
    /// A suppression without a reason (it suppresses nothing).
    InvalidSuppression,
}

/// What a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// The rule.
    pub rule: RuleId,
    /// Stable id (`service-wildcard`).
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One-line title.
    pub title: &'static str,
}

/// Every rule, in a stable order.
pub const RULES: &[RuleInfo] = &[
    info(RuleId::StarAction, "star-action", Severity::Error, "Allows every action (`*`)"),
    info(
        RuleId::ServiceWildcard,
        "service-wildcard",
        Severity::Error,
        "Allows every action of a service (`s3:*`)",
    ),
    info(
        RuleId::BroadWildcard,
        "broad-wildcard",
        Severity::Warning,
        "An action wildcard that expands to many actions",
    ),
    info(
        RuleId::NotActionAllow,
        "not-action-allow",
        Severity::Error,
        "`NotAction` with `Allow` grants every other action",
    ),
    info(
        RuleId::NotResourceAllow,
        "not-resource-allow",
        Severity::Error,
        "`NotResource` with `Allow` grants every other resource",
    ),
    info(
        RuleId::ResourceStar,
        "resource-star",
        Severity::Warning,
        "`Resource: \"*\"` on actions that can be scoped to resources",
    ),
    info(
        RuleId::PrivilegeEscalation,
        "privilege-escalation",
        Severity::Error,
        "The role can grant itself more permissions",
    ),
    info(
        RuleId::DataExfiltration,
        "data-exfiltration",
        Severity::Warning,
        "Reads data or secrets on every resource of a type",
    ),
    info(
        RuleId::CredentialExposure,
        "credential-exposure",
        Severity::Error,
        "Can create or read credentials on broad resources",
    ),
    info(
        RuleId::ResourceExposure,
        "resource-exposure",
        Severity::Warning,
        "Can change resource policies (who may access a resource)",
    ),
    info(RuleId::UnknownAction, "unknown-action", Severity::Error, "An action IAM does not know"),
    info(
        RuleId::ResourceMismatch,
        "resource-mismatch",
        Severity::Error,
        "A resource the action can never match",
    ),
    info(
        RuleId::BroadManagedPolicy,
        "broad-managed-policy",
        Severity::Error,
        "A broad AWS managed policy",
    ),
    info(
        RuleId::UnscopedLogs,
        "unscoped-logs",
        Severity::Info,
        "CloudWatch Logs rights on every log group",
    ),
    info(
        RuleId::SharedRole,
        "shared-role",
        Severity::Warning,
        "One role used by several functions",
    ),
    info(RuleId::PolicySize, "policy-size", Severity::Error, "Policies larger than the IAM quota"),
    info(RuleId::InvalidPolicy, "invalid-policy", Severity::Error, "A policy IAM would reject"),
    info(
        RuleId::Unresolved,
        "unresolved",
        Severity::Info,
        "Values lint could not resolve, so did not judge",
    ),
    info(
        RuleId::UnknownManagedPolicy,
        "unknown-managed-policy",
        Severity::Info,
        "A managed policy lint has no document for",
    ),
    info(
        RuleId::UnusedGrant,
        "unused-grant",
        Severity::Warning,
        "Granted but never used by the function's code",
    ),
    info(
        RuleId::MissingGrant,
        "missing-grant",
        Severity::Error,
        "Needed by the function's code but not granted",
    ),
    info(
        RuleId::InvalidSuppression,
        "invalid-suppression",
        Severity::Warning,
        "A suppression without a reason",
    ),
];

const fn info(rule: RuleId, id: &'static str, severity: Severity, title: &'static str) -> RuleInfo {
    RuleInfo { rule, id, severity, title }
}

impl RuleId {
    /// The rule's table entry.
    pub fn info(self) -> &'static RuleInfo {
        // RULES lists every variant in declaration order.
        &RULES[self as usize]
    }

    /// The stable id.
    pub fn id(self) -> &'static str {
        self.info().id
    }

    /// Where the rule is documented (the README's lint section).
    pub fn help_uri(self) -> String {
        format!("https://example.invalid/leastpriv/blob/main/README.md#lint-rule-{}", self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_declaration_order() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.rule as usize, i, "{}", r.id);
        }
    }
}
