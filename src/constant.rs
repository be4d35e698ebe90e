//! The `<HANDLER>_ROLE` constant the attribute emits: the declaration and the derived
//! requirements in one encoded string, decoded on demand for tests and the runtime guard (no
//! engine needed at run time).
//!
//! Why one string: the compiler checks a constant made of nested slices, `Option`s and struct
//! literals at about 6 M instructions per handler (three grants, three requirements), twice
//! the whole budget the attribute has in a `cargo check`; one string literal costs it about
//! 0.4 M (BENCHMARKS.md, "Compile cost"). It is also smaller in a Lambda binary: no relocation
//! per entry.
//!
//! The encoding (written by `leastpriv-core`'s `expand`, read here), a sequence of items:
//!
//! ```text
//! role    := "lp1;" name handler N grant{N} N requirement{N} N service{N}
//! grant   := prefix label access N action{N} env? name? name_key? N field{N}
//! require := action INDEX call location
//! service := sdk_service_id N operation{N}
//! operation := name N INDEX{N}                (the grants it may act on)
//! text    := LEN ":" BYTES     absent := "~"     N, INDEX := DIGITS ";"
//! ```
//!
//! `access` is a text of letters, one per level: `l`ist, `r`ead, `w`rite, `t`agging,
//! `p`ermissions management. Operations are sorted by service id, then name.

use std::fmt;

/// The version tag every encoded role starts with; a role written by another version of the
/// attribute decodes as empty (the guard then allows nothing).
const TAG: &str = "lp1;";

/// One handler's role: what it declares and what its code was found to need.
///
/// The attribute emits it as `<HANDLER>_ROLE`; read it through the methods, which decode the
/// constant's text each time they are called (keep the results when calling often, as the
/// guard does).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Role {
    /// The encoded tables. Not a public API: the attribute writes the constant as a struct
    /// literal (the compiler checks one for less than a call to a `const fn`), and the text's
    /// format belongs to the attribute of the same version.
    #[doc(hidden)]
    pub __encoded: &'static str,
}

/// One declared entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The IAM service prefix (`s3`).
    pub service: &'static str,
    /// The entry as declared, for messages (`s3(bucket = "${UploadBucket}")`).
    pub resource: &'static str,
    /// Access levels allowed.
    pub access: Vec<AccessLevel>,
    /// Explicit actions allowed.
    pub actions: Vec<&'static str>,
    /// The environment variable carrying the resource's name, if declared.
    pub env: Option<&'static str>,
    /// The declared name of the resource (`${UploadBucket}`, `orders-*`), for entries with a
    /// naming key (`bucket`, `table`, `queue`, …); `None` for `arn = "…"` entries.
    pub name: Option<&'static str>,
    /// The attribute key that holds [`Grant::name`] (`bucket`, `table`).
    pub name_key: Option<&'static str>,
    /// The SDK input fields whose value names the resource (`bucket`, `queue_url`).
    pub name_fields: Vec<&'static str>,
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

/// The SDK operations a role allows, sorted by service id, then operation name (see
/// [`Role::operations`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operations {
    rows: Vec<AllowedOperation>,
}

/// One SDK operation a role allows, named as the SDK's operation metadata names it at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOperation {
    /// The SDK's service id (`S3`, `DynamoDB`, `Secrets Manager`).
    pub service: &'static str,
    /// The API operation (`GetObject`).
    pub operation: &'static str,
    /// Indexes into [`Role::grants`] of the entries whose resources it may act on (empty when it
    /// needs no permission).
    pub grants: Vec<usize>,
}

/// A role's tables, decoded once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub(crate) name: &'static str,
    pub(crate) handler: &'static str,
    pub(crate) grants: Vec<Grant>,
    pub(crate) requirements: Vec<RequiredAction>,
    pub(crate) operations: Operations,
}

impl Role {
    /// The constant the attribute writes. Not a public API: the text's format belongs to the
    /// attribute of the same version.
    #[doc(hidden)]
    pub const fn __from_encoded(encoded: &'static str) -> Role {
        Role { __encoded: encoded }
    }

    /// The role's logical id (`ResizeImage`).
    pub fn name(&self) -> &'static str {
        self.decode().name
    }

    /// The handler function's name.
    pub fn handler(&self) -> &'static str {
        self.decode().handler
    }

    /// The declared entries, in the attribute's order.
    pub fn grants(&self) -> Vec<Grant> {
        self.decode().grants
    }

    /// The actions the handler's calls need, each on one grant.
    pub fn requirements(&self) -> Vec<RequiredAction> {
        self.decode().requirements
    }

    /// The SDK operations the role allows: every operation of a declared service whose actions
    /// the declaration fully covers, every operation the analysis found the handler calling, and
    /// the operations that need no permission. This is what the runtime guard checks, without
    /// the IAM catalog. Filled only when the `runtime` feature is on (the attribute skips
    /// working it out otherwise); empty without it.
    pub fn operations(&self) -> Operations {
        self.decode().operations
    }

    /// The distinct actions the handler needs, sorted.
    pub fn actions(&self) -> Vec<&'static str> {
        let mut actions: Vec<&'static str> =
            self.decode().requirements.iter().map(|r| r.action).collect();
        actions.sort_unstable();
        actions.dedup();
        actions
    }

    /// The operation the role allows under this SDK service id and operation name, if any.
    pub fn operation(&self, service: &str, operation: &str) -> Option<AllowedOperation> {
        self.decode().operations.find(service, operation).cloned()
    }

    /// Whether the derived requirements include `action` (case-insensitive).
    pub fn needs(&self, action: &str) -> bool {
        self.decode().requirements.iter().any(|r| r.action.eq_ignore_ascii_case(action))
    }

    /// Whether the constant was written in the format this version reads. Always true for a
    /// constant the attribute of the same version emitted; a role that is not decodes as empty.
    pub fn is_readable(&self) -> bool {
        decode(self.__encoded).is_some()
    }

    /// Every table, decoded (empty when the text is not in this version's format).
    pub(crate) fn decode(&self) -> Decoded {
        decode(self.__encoded).unwrap_or_default()
    }
}

impl fmt::Debug for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.decode();
        f.debug_struct("Role")
            .field("name", &d.name)
            .field("handler", &d.handler)
            .field("grants", &d.grants)
            .field("requirements", &d.requirements)
            .field("operations", &d.operations.len())
            .finish()
    }
}

impl Operations {
    /// How many operations the table holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table holds no operation.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The operations, sorted by service id, then operation name.
    pub fn iter(&self) -> impl Iterator<Item = &AllowedOperation> + '_ {
        self.rows.iter()
    }

    /// The operation under this SDK service id and operation name, if the table holds it.
    pub fn find(&self, service: &str, operation: &str) -> Option<&AllowedOperation> {
        let at = self
            .rows
            .binary_search_by(|row| (row.service, row.operation).cmp(&(service, operation)))
            .ok()?;
        self.rows.get(at)
    }
}

/// Reads the encoding described in the module documentation; `None` on any deviation.
fn decode(encoded: &'static str) -> Option<Decoded> {
    let mut r = Reader::new(encoded);
    let name = r.text();
    let handler = r.text();
    let mut grants = Vec::new();
    for _ in 0..r.count() {
        let service = r.text();
        let resource = r.text();
        let access = r.text().chars().map(level).collect::<Option<Vec<_>>>();
        let actions = r.texts();
        let env = r.optional();
        let name = r.optional();
        let name_key = r.optional();
        let name_fields = r.texts();
        let access = access.unwrap_or_else(|| {
            r.ok = false;
            Vec::new()
        });
        grants.push(Grant { service, resource, access, actions, env, name, name_key, name_fields });
    }
    let mut requirements = Vec::new();
    for _ in 0..r.count() {
        let action = r.text();
        let grant = r.index();
        let call = r.text();
        let location = r.text();
        requirements.push(RequiredAction { action, grant, call, location });
    }
    let mut rows = Vec::new();
    for _ in 0..r.count() {
        let service = r.text();
        for _ in 0..r.count() {
            let operation = r.text();
            let grants = (0..r.count()).map(|_| r.index()).collect();
            rows.push(AllowedOperation { service, operation, grants });
        }
    }
    let sorted = rows.windows(2).all(|w| match w {
        [a, b] => (a.service, a.operation) < (b.service, b.operation),
        _ => true,
    });
    let indexes_fit = requirements.iter().all(|q| q.grant < grants.len())
        && rows.iter().all(|o| o.grants.iter().all(|&g| g < grants.len()));
    (r.ok && r.rest.is_empty() && sorted && indexes_fit).then_some(Decoded {
        name,
        handler,
        grants,
        requirements,
        operations: Operations { rows },
    })
}

/// An access level from its letter in the encoding.
fn level(letter: char) -> Option<AccessLevel> {
    Some(match letter {
        'l' => AccessLevel::List,
        'r' => AccessLevel::Read,
        'w' => AccessLevel::Write,
        't' => AccessLevel::Tagging,
        'p' => AccessLevel::PermissionsManagement,
        _ => return None,
    })
}

/// A cursor over an encoded role. A malformed item clears `ok` and reads as empty or zero, so
/// decoding always ends (counts are bounded by the text's length: every item takes at least two
/// bytes, and the loops stop taking once `ok` is false).
struct Reader {
    rest: &'static str,
    ok: bool,
}

impl Reader {
    fn new(encoded: &'static str) -> Self {
        match encoded.strip_prefix(TAG) {
            Some(rest) => Reader { rest, ok: true },
            None => Reader { rest: "", ok: false },
        }
    }

    /// The digits before `end`, consumed with it.
    fn number(&mut self, end: u8) -> Option<usize> {
        let digits = self.rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || self.rest.as_bytes().get(digits) != Some(&end) {
            return None;
        }
        let value = self.rest.get(..digits)?.parse().ok()?;
        self.rest = self.rest.get(digits + 1..)?;
        Some(value)
    }

    /// `DIGITS ";"`, capped by what is left to read (no count can exceed it).
    fn count(&mut self) -> usize {
        match self.number(b';') {
            Some(n) if self.ok && n <= self.rest.len() => n,
            _ => self.fail(),
        }
    }

    /// `DIGITS ";"` naming an entry (checked against the grants once all are read).
    fn index(&mut self) -> usize {
        match self.number(b';') {
            Some(n) if self.ok => n,
            _ => self.fail(),
        }
    }

    fn fail(&mut self) -> usize {
        self.ok = false;
        self.rest = "";
        0
    }

    /// `LEN ":" BYTES`.
    fn text(&mut self) -> &'static str {
        let Some(len) = self.number(b':') else {
            self.fail();
            return "";
        };
        let rest: &'static str = self.rest;
        match (rest.get(..len), rest.get(len..)) {
            (Some(text), Some(after)) if self.ok => {
                self.rest = after;
                text
            }
            _ => {
                self.fail();
                ""
            }
        }
    }

    /// `text` or `~`.
    fn optional(&mut self) -> Option<&'static str> {
        match self.rest.strip_prefix('~') {
            Some(after) => {
                self.rest = after;
                None
            }
            None => Some(self.text()),
        }
    }

    /// `N text{N}`.
    fn texts(&mut self) -> Vec<&'static str> {
        (0..self.count()).map(|_| self.text()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: Role = Role::__from_encoded(concat!(
        "lp1;",
        "6:Resize",
        "6:resize",
        "2;",
        "2:s3",
        "25:s3(bucket = \"${Uploads}\")",
        "2:rl",
        "0;",
        "6:BUCKET",
        "10:${Uploads}",
        "6:bucket",
        "1;6:bucket",
        "3:kms",
        "14:kms(arn = \"*\")",
        "0:",
        "1;11:kms:Decrypt",
        "~~~0;",
        "2;",
        "12:s3:GetObject",
        "0;",
        "21:aws-sdk-s3 get_object",
        "13:src/main.rs:9",
        "12:s3:GetObject",
        "0;",
        "21:aws-sdk-s3 get_object",
        "14:src/main.rs:12",
        "2;",
        "3:KMS",
        "1;7:Decrypt1;1;",
        "2:S3",
        "2;9:GetObject1;0;11:ListObjects0;",
    ));

    /// The text may end with an index (the last operation's last entry).
    const ENDS_WITH_AN_INDEX: Role =
        Role::__from_encoded("lp1;1:R1:r1;2:s32:s31:r0;~~~0;0;1;2:S31;9:GetObject1;0;");

    #[test]
    fn decodes_every_table() {
        assert!(SAMPLE.is_readable());
        assert_eq!((SAMPLE.name(), SAMPLE.handler()), ("Resize", "resize"));
        let grants = SAMPLE.grants();
        assert_eq!(grants.len(), 2);
        assert_eq!(grants[0].access, [AccessLevel::Read, AccessLevel::List]);
        assert_eq!(grants[0].env, Some("BUCKET"));
        assert_eq!(grants[0].name_fields, ["bucket"]);
        assert_eq!(grants[1].actions, ["kms:Decrypt"]);
        assert_eq!((grants[1].env, grants[1].name, grants[1].name_key), (None, None, None));
        assert_eq!(SAMPLE.actions(), ["s3:GetObject"]);
        assert!(SAMPLE.needs("S3:getobject"));
        assert_eq!(SAMPLE.requirements()[1].location, "src/main.rs:12");
        let ops: Vec<_> = SAMPLE
            .operations()
            .iter()
            .map(|o| (o.service, o.operation, o.grants.clone()))
            .collect();
        assert_eq!(
            ops,
            [
                ("KMS", "Decrypt", vec![1]),
                ("S3", "GetObject", vec![0]),
                ("S3", "ListObjects", vec![])
            ]
        );
        assert_eq!(SAMPLE.operation("S3", "GetObject").map(|o| o.grants), Some(vec![0]));
        assert!(SAMPLE.operation("S3", "PutObject").is_none());
    }

    #[test]
    fn an_index_at_the_end_is_read() {
        assert!(ENDS_WITH_AN_INDEX.is_readable());
        assert_eq!(
            ENDS_WITH_AN_INDEX.operation("S3", "GetObject").map(|o| o.grants),
            Some(vec![0])
        );
    }

    #[test]
    fn anything_malformed_decodes_as_an_empty_role() {
        let text = SAMPLE.__encoded;
        let mut cases: Vec<String> = vec![
            String::new(),
            "lp2;6:Resize".to_owned(),
            text.replacen("2:rl", "2:rx", 1),
            text.replacen("1;7:Decrypt1;1;", "1;7:Decrypt1;9;", 1),
            text.replacen("2:S3", "3:S3", 1),
            format!("{text}trailing"),
            text.replacen("3:KMS", "3:ZZZ", 1),
            text.replacen("2;12:s3", "99999999999999999999;12:s3", 1),
        ];
        // Every prefix of the text is malformed too.
        cases.extend((0..text.len()).filter_map(|n| text.get(..n)).map(str::to_owned));
        for case in cases {
            let role = Role::__from_encoded(Box::leak(case.clone().into_boxed_str()));
            assert!(!role.is_readable(), "{case:?}");
            assert!(role.grants().is_empty() && role.operations().is_empty(), "{case:?}");
        }
    }
}
