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
    pub operations: Operations,
}

/// The SDK operations a role allows, packed for a small binary: one string holding every name
/// once, and rows of offsets into it (plain integers, so the table needs no relocation per entry
/// in a position-independent executable). Read it through [`Operations::iter`] and
/// [`Operations::find`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operations {
    /// Every service id (once) and operation name, concatenated.
    pub names: &'static str,
    /// One row per operation, sorted by service id, then operation name.
    pub rows: &'static [OperationRow],
    /// The grant indexes the rows' [`OperationRow::grants`] ranges point into.
    pub grants: &'static [u32],
}

/// One row of [`Operations`]: byte ranges `[start, end)` into [`Operations::names`] and an index
/// range into [`Operations::grants`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationRow {
    /// The SDK's service id (`S3`).
    pub service: [u32; 2],
    /// The API operation (`GetObject`).
    pub operation: [u32; 2],
    /// The entries whose resources it may act on.
    pub grants: [u32; 2],
}

/// One SDK operation a role allows, named as the SDK's operation metadata names it at run time
/// (a view of one [`OperationRow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowedOperation {
    /// The SDK's service id (`S3`, `DynamoDB`, `Secrets Manager`).
    pub service: &'static str,
    /// The API operation (`GetObject`).
    pub operation: &'static str,
    /// Indexes into [`Role::grants`] of the entries whose resources it may act on (empty when it
    /// needs no permission).
    pub grants: &'static [u32],
}

impl Operations {
    /// No operation (the attribute without the `runtime` feature).
    pub const EMPTY: Operations = Operations { names: "", rows: &[], grants: &[] };

    /// How many operations the table holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table holds no operation.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The operations, sorted by service id, then operation name.
    pub fn iter(&self) -> impl Iterator<Item = AllowedOperation> + '_ {
        self.rows.iter().map(|row| self.view(row))
    }

    /// The operation under this SDK service id and operation name, if the table holds it.
    pub fn find(&self, service: &str, operation: &str) -> Option<AllowedOperation> {
        let names: &'static str = self.names;
        let at = self
            .rows
            .binary_search_by(|row| {
                (text(names, row.service), text(names, row.operation)).cmp(&(service, operation))
            })
            .ok()?;
        self.rows.get(at).map(|row| self.view(row))
    }

    fn view(&self, row: &OperationRow) -> AllowedOperation {
        let grants: &'static [u32] = self.grants;
        let [start, end] = row.grants.map(|i| i as usize);
        AllowedOperation {
            service: text(self.names, row.service),
            operation: text(self.names, row.operation),
            grants: grants.get(start..end).unwrap_or_default(),
        }
    }
}

/// The text of a `[start, end)` range of `names` (empty when out of range, which the attribute
/// never emits).
fn text(names: &'static str, [start, end]: [u32; 2]) -> &'static str {
    names.get(start as usize..end as usize).unwrap_or_default()
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
    pub fn operation(&self, service: &str, operation: &str) -> Option<AllowedOperation> {
        self.operations.find(service, operation)
    }

    /// Whether the derived requirements include `action` (case-insensitive).
    pub fn needs(&self, action: &str) -> bool {
        self.requirements.iter().any(|r| r.action.eq_ignore_ascii_case(action))
    }
}
