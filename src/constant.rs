//! The `<HANDLER>_ROLE` constant the attribute emits: the declaration and the derived
//! requirements, as static data for tests and the runtime guard (no engine needed at run time).

/// One handler's role: what it declares and what its code was found to need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// The role's logical id (`ResizeImage`).
    pub name: &'static str,
    /// The handler function's name.
    pub handler: &'static str,
    /// The declared entries.
    pub grants: &'static [Grant],
    /// The actions the handler's calls need, each on one grant.
    pub requirements: &'static [RequiredAction],
    /// The SDK operations the role allows, sorted by service and operation: every operation of a
    /// declared service whose actions the declaration fully covers, every operation the analysis
    /// found the handler calling, and the operations that need no permission. This is what the
    /// runtime guard checks, without the IAM catalog. Filled only when the `runtime` feature is
    /// on (the attribute skips working it out otherwise); empty without it.
    pub operations: &'static [AllowedOperation],
}

/// One SDK operation a role allows, named as the SDK's operation metadata names it at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowedOperation {
    /// The SDK's service id (`S3`, `DynamoDB`, `Secrets Manager`).
    pub service: &'static str,
    /// The API operation (`GetObject`).
    pub operation: &'static str,
    /// The IAM actions it needs, sorted (empty when it needs no permission).
    pub actions: &'static [&'static str],
    /// Indexes into [`Role::grants`] of the entries whose resources it may act on.
    pub grants: &'static [usize],
}

/// How far a grant reaches, as IAM classifies actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    PermissionsManagement,
}

/// One declared entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// The IAM service prefix (`s3`).
    pub service: &'static str,
    /// The entry as declared, for messages (`s3(bucket = "${UploadBucket}")`).
    pub resource: &'static str,
    /// Access levels allowed.
    pub access: &'static [AccessLevel],
    /// Explicit actions allowed.
    pub actions: &'static [&'static str],
    /// The environment variable carrying the resource's name, if declared.
    pub env: Option<&'static str>,
    /// The declared name of the resource (`${UploadBucket}`, `orders-*`), for entries with a
    /// naming key (`bucket`, `table`, `queue`, …); `None` for `arn = "…"` entries.
    pub name: Option<&'static str>,
    /// The attribute key that holds [`Grant::name`] (`bucket`, `table`).
    pub name_key: Option<&'static str>,
    /// The SDK input fields whose value names the resource (`bucket`, `queue_url`).
    pub name_fields: &'static [&'static str],
}

/// One action the code needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequiredAction {
    /// The action (`s3:GetObject`).
    pub action: &'static str,
    /// Index into [`Role::grants`] of the grant that covers it.
    pub grant: usize,
    /// The SDK call (`aws-sdk-s3 get_object`).
    pub call: &'static str,
    /// Where the call is (`src/main.rs`, with `:line` when known).
    pub location: &'static str,
}

impl Role {
    /// The distinct actions the handler needs, sorted.
    pub fn actions(&self) -> Vec<&'static str> {
        let mut actions: Vec<&'static str> = self.requirements.iter().map(|r| r.action).collect();
        actions.sort_unstable();
        actions.dedup();
        actions
    }

    /// The operation the role allows under this SDK service id and operation name, if any.
    pub fn operation(&self, service: &str, operation: &str) -> Option<&'static AllowedOperation> {
        let operations: &'static [AllowedOperation] = self.operations;
        operations
            .binary_search_by(|o| (o.service, o.operation).cmp(&(service, operation)))
            .ok()
            .and_then(|i| operations.get(i))
    }

    /// Whether the derived requirements include `action` (case-insensitive).
    pub fn needs(&self, action: &str) -> bool {
        self.requirements.iter().any(|r| r.action.eq_ignore_ascii_case(action))
    }
}
