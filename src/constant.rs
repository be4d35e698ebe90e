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

    /// Whether the derived requirements include `action` (case-insensitive).
    pub fn needs(&self, action: &str) -> bool {
        self.requirements.iter().any(|r| r.action.eq_ignore_ascii_case(action))
    }
}
