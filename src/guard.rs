//! The runtime guard: an SDK interceptor that checks every call against the handler's role before
//! anything is serialized, signed or sent.
//!
//! It runs in `read_before_serialization`, the first hook where a client interceptor sees the
//! operation's `Metadata` (client interceptors' `read_before_execution` runs before the
//! operation's configuration is applied) and the input is still a typed value. The resource is
//! read from the input's `Debug` text (`bucket: Some("uploads")`), so the guard needs no SDK
//! crate; see [`Guard`] for what that can and cannot see.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, OnceLock};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::constant::{AllowedOperation, Decoded, Grant, Role};

/// What the guard does with a call the role does not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fail the call before it is signed or sent.
    Enforce,
    /// Let it through; write one JSON line per call on stderr.
    Report,
    /// Let it through; remember every call in a [`Recorder`] (for tests).
    Record,
}

/// The guard's verdict on one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The role allows the operation on that resource.
    Allowed,
    /// The role allows no such operation.
    UndeclaredOperation,
    /// The role allows the operation, but not on that resource.
    UndeclaredResource,
}

impl Decision {
    /// The decision as written in report lines (`allowed`, `undeclared_operation`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::UndeclaredOperation => "undeclared_operation",
            Decision::UndeclaredResource => "undeclared_resource",
        }
    }
}

/// One SDK call the guard saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The SDK service id (`S3`).
    pub service: String,
    /// The operation (`GetObject`).
    pub operation: String,
    /// The resource the input names (a bucket, a queue URL…), when the guard found one.
    pub resource: Option<String>,
    /// The verdict.
    pub decision: Decision,
    /// Indexes into [`Role::grants`] of the entries the call was allowed on.
    pub grants: Vec<usize>,
}

/// An SDK interceptor that checks each call against a [`Role`] (see the crate's README, "Runtime
/// guard").
///
/// Add it per client: `aws_sdk_s3::config::Builder::from(&sdk_config)
/// .interceptor(Guard::enforce(&RESIZE_ROLE))`, or with [`guarded_client!`](crate::guarded_client).
///
/// The operation is checked against [`Role::operations`] (the role is decoded once, when the
/// guard is made). The resource is checked when the
/// input has a field naming it (the entry's [`Grant::name_fields`]: `bucket`, `table_name`,
/// `queue_url`, `topic_arn`, `key_id`, …) and the entry's name is known at run time: from its
/// `env = "…"` variable, else from a literal name (`orders-*` patterns match like IAM's
/// `StringLike`); a `${Reference}` without `env` cannot be resolved and is not checked. Limits:
/// the field is read from the input's `Debug` text, so a field the SDK redacts is not seen; the
/// first field so named wins (also inside nested structures, as in DynamoDB transactions); the
/// scan stops at a `body` field and after 16 KiB, so a resource printed after a body (the bucket
/// of S3 `PutObject`) is not checked, only the operation; S3 object keys and second resources (a
/// copy source) are not checked.
#[derive(Clone)]
pub struct Guard {
    role: Arc<Decoded>,
    mode: Mode,
    recorder: Option<Recorder>,
    names: Arc<OnceLock<Vec<Option<String>>>>,
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard").field("role", &self.role.name).field("mode", &self.mode).finish()
    }
}

/// Calls a [`Guard`] in [`Mode::Record`] saw, shared with the guard (clone it freely).
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    role: Option<Arc<Decoded>>,
    calls: Arc<Mutex<Vec<Call>>>,
}

/// The error an enforcing guard fails a call with (the SDK returns it as the source of a
/// construction failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardError {
    /// The handler whose role refused the call.
    pub handler: &'static str,
    /// The call, with [`Call::decision`] saying why.
    pub call: Call,
    /// The attribute entry that would allow it.
    pub suggestion: String,
}

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.call;
        write!(f, "leastpriv guard: `{} {}`", c.service, c.operation)?;
        if let Some(resource) = &c.resource {
            write!(f, " on `{resource}`")?;
        }
        let why = match c.decision {
            Decision::UndeclaredResource => "the operation is declared, but not on that resource",
            _ => "no entry allows this operation",
        };
        write!(f, " is not allowed by the role of `{}`: {why}; ", self.handler)?;
        write!(f, "add {} to its `#[leastpriv::role]`", self.suggestion)
    }
}

impl std::error::Error for GuardError {}

impl Guard {
    /// A guard that fails calls the role does not cover (production).
    pub fn enforce(role: &'static Role) -> Self {
        Self::new(role, Mode::Enforce, None)
    }

    /// A guard that lets every call through and writes one JSON line per call on stderr
    /// (`{"leastpriv":"guard","function":…,"service":…,"operation":…,"resource":…,"decision":…}`),
    /// for CloudWatch metric filters on `decision`.
    pub fn report(role: &'static Role) -> Self {
        Self::new(role, Mode::Report, None)
    }

    /// A guard for tests that lets every call through and records it in the returned
    /// [`Recorder`].
    pub fn record(role: &'static Role) -> (Self, Recorder) {
        let guard = Self::new(role, Mode::Record, None);
        let recorder = Recorder { role: Some(Arc::clone(&guard.role)), calls: Arc::default() };
        (Self { recorder: Some(recorder.clone()), ..guard }, recorder)
    }

    /// [`Guard::report`] when the environment variable `LEASTPRIV_GUARD` is `report`, else
    /// [`Guard::enforce`].
    pub fn from_env(role: &'static Role) -> Self {
        match std::env::var("LEASTPRIV_GUARD") {
            Ok(mode) if mode.eq_ignore_ascii_case("report") => Self::report(role),
            _ => Self::enforce(role),
        }
    }

    fn new(role: &'static Role, mode: Mode, recorder: Option<Recorder>) -> Self {
        Self { role: Arc::new(role.decode()), mode, recorder, names: Arc::default() }
    }

    /// The guard's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Judges one call given its service id, operation and the input's `Debug` text source.
    pub fn check(&self, service: &str, operation: &str, input: &dyn fmt::Debug) -> Call {
        let allowed = self.role.operations.find(service, operation);
        let fields = self.fields_for(service, allowed);
        let resource = find_field(input, &fields);
        let (decision, grants) = match allowed {
            None => (Decision::UndeclaredOperation, Vec::new()),
            Some(op) => self.judge_resource(op, resource.as_deref()),
        };
        Call {
            service: service.to_owned(),
            operation: operation.to_owned(),
            resource,
            decision,
            grants,
        }
    }

    /// The input fields naming the resource: those of the entries the operation may act on, or
    /// for an undeclared operation those of the entries of the same service.
    fn fields_for(&self, service: &str, allowed: Option<&AllowedOperation>) -> Vec<&'static str> {
        let mut fields: Vec<&'static str> = Vec::new();
        let grants: Vec<usize> = match allowed {
            Some(op) => op.grants.clone(),
            None => (self.role.operations.iter())
                .filter(|o| o.service == service)
                .flat_map(|o| o.grants.iter().copied())
                .collect(),
        };
        for g in grants.iter().filter_map(|&i| self.role.grants.get(i)) {
            for &f in &g.name_fields {
                if !fields.contains(&f) {
                    fields.push(f);
                }
            }
        }
        fields
    }

    fn judge_resource(
        &self,
        op: &AllowedOperation,
        resource: Option<&str>,
    ) -> (Decision, Vec<usize>) {
        let names = self.names.get_or_init(|| self.role.grants.iter().map(runtime_name).collect());
        let matching: Vec<usize> = op
            .grants
            .iter()
            .copied()
            .filter(|&i| {
                let Some(grant) = self.role.grants.get(i) else { return false };
                match (resource, names.get(i).and_then(Option::as_deref)) {
                    (Some(value), Some(name)) if !grant.name_fields.is_empty() => {
                        names_resource(name, value)
                    }
                    _ => true,
                }
            })
            .collect();
        if op.grants.is_empty() || !matching.is_empty() {
            (Decision::Allowed, matching)
        } else {
            (Decision::UndeclaredResource, matching)
        }
    }

    fn suggestion(&self, call: &Call) -> String {
        let same_service = (self.role.operations.iter())
            .filter(|o| o.service == call.service)
            .flat_map(|o| o.grants.iter())
            .find_map(|&i| self.role.grants.get(i));
        let entry = match same_service {
            Some(g) => g.service.replace('-', "_"),
            None => call.service.to_ascii_lowercase().replace([' ', '-'], "_"),
        };
        let key = same_service.and_then(|g| g.name_key);
        match (&call.resource, key) {
            (Some(resource), Some(key)) => {
                format!("an entry such as `{entry}(<access>, {key} = \"{resource}\")`")
            }
            _ => format!(
                "a `{entry}(<access>, …)` entry allowing `{} {}` (`leastpriv explain` names its actions)",
                call.service, call.operation
            ),
        }
    }

    fn report_line(&self, call: &Call) -> String {
        let mut line = String::from("{\"leastpriv\":\"guard\",\"function\":");
        json_str(&mut line, self.role.handler);
        line.push_str(",\"role\":");
        json_str(&mut line, self.role.name);
        line.push_str(",\"service\":");
        json_str(&mut line, &call.service);
        line.push_str(",\"operation\":");
        json_str(&mut line, &call.operation);
        line.push_str(",\"resource\":");
        match &call.resource {
            Some(r) => json_str(&mut line, r),
            None => line.push_str("null"),
        }
        line.push_str(",\"decision\":");
        json_str(&mut line, call.decision.as_str());
        line.push('}');
        line
    }
}

impl Intercept for Guard {
    fn name(&self) -> &'static str {
        "leastpriv::Guard"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else { return Ok(()) };
        let call = self.check(metadata.service(), metadata.name(), context.input());
        match self.mode {
            Mode::Enforce if call.decision != Decision::Allowed => {
                let suggestion = self.suggestion(&call);
                Err(Box::new(GuardError { handler: self.role.handler, call, suggestion }))
            }
            Mode::Enforce => Ok(()),
            Mode::Report => {
                eprintln!("{}", self.report_line(&call));
                Ok(())
            }
            Mode::Record => {
                if let Some(recorder) = &self.recorder {
                    recorder.push(call);
                }
                Ok(())
            }
        }
    }
}

impl Recorder {
    fn push(&self, call: Call) {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).push(call);
    }

    /// Every call recorded so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// What is wrong with the recorded run: every call the role does not cover, and every entry
    /// that some operation could use but no recorded call did (entries no operation uses, such as
    /// an event source's `trigger`, are not required). Empty when all is well.
    pub fn problems(&self) -> Vec<String> {
        let calls = self.calls();
        let mut out: Vec<String> = (calls.iter())
            .filter(|c| c.decision != Decision::Allowed)
            .map(|c| {
                let on = c.resource.as_deref().map(|r| format!(" on `{r}`")).unwrap_or_default();
                format!("`{} {}`{on}: {}", c.service, c.operation, c.decision.as_str())
            })
            .collect();
        if let Some(role) = &self.role {
            for (i, grant) in role.grants.iter().enumerate() {
                let usable = role.operations.iter().any(|o| o.grants.contains(&i));
                let used = calls.iter().any(|c| c.grants.contains(&i));
                if usable && !used {
                    out.push(format!("`{}` was never exercised", grant.resource));
                }
            }
        }
        out
    }

    /// Fails the test when [`Recorder::problems`] finds any, listing them.
    #[track_caller]
    #[expect(clippy::panic, reason = "a test assertion: failing the test is its purpose")]
    pub fn assert_matches_role(&self) {
        let problems = self.problems();
        if !problems.is_empty() {
            panic!("the recorded SDK calls do not match the role:\n  {}", problems.join("\n  "));
        }
    }
}

/// The resource name an entry stands for at run time: its `env` variable's value, else its
/// literal name; `None` when unknown (a `${Reference}` without `env`).
fn runtime_name(grant: &Grant) -> Option<String> {
    if let Some(value) = grant.env.and_then(|var| std::env::var(var).ok()) {
        return Some(value);
    }
    grant.name.filter(|n| !n.contains("${")).map(str::to_owned)
}

/// Whether an input value (a name, URL or ARN) names the declared resource `name` (a name or a
/// `*`/`?` pattern): equal, ending in `/name` or `:name`, or matching the pattern whole or in its
/// last segment.
fn names_resource(name: &str, value: &str) -> bool {
    let value = value.trim_start_matches('/');
    let name = name.trim_start_matches('/');
    let last = value.rsplit(['/', ':']).next().unwrap_or(value);
    value == name
        || value.strip_suffix(name).is_some_and(|rest| rest.ends_with(['/', ':']))
        || wildcard(name.as_bytes(), value.as_bytes())
        || wildcard(name.as_bytes(), last.as_bytes())
}

/// IAM `StringLike`: `*` any run, `?` one character.
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some(p);
                mark = t;
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    mark += 1;
                    t = mark;
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

/// The first string value of one of `fields` in the `Debug` text of `input`, read as it is
/// written and stopped as soon as it is found.
fn find_field(input: &dyn fmt::Debug, fields: &[&str]) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    let needles: Vec<String> = fields.iter().map(|f| format!(" {f}: Some(\"")).collect();
    let mut scan = Scan { needles: &needles, tail: String::new(), value: None, seen: 0 };
    // The scan aborts the formatting with an error once it has the value.
    let _ = write!(scan, "{input:?}");
    scan.value.and_then(|v| v.done.then_some(v.text))
}

struct Scan<'a> {
    needles: &'a [String],
    tail: String,
    value: Option<Value>,
    /// Bytes of `Debug` text seen before the value.
    seen: usize,
}

/// Where the scan gives up: an in-memory body's `Debug` text is written byte by byte (tens of
/// nanoseconds each), so a field printed after a body (S3 `PutObject`'s `bucket`) is not read.
const STOP: &str = " body: ";

/// At most this much `Debug` text is scanned for the field.
const BUDGET: usize = 16 * 1024;

struct Value {
    text: String,
    escaped: bool,
    done: bool,
}

impl fmt::Write for Scan<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let rest = match &self.value {
            Some(_) => s,
            None => {
                self.tail.push_str(s);
                self.seen += s.len();
                if self.seen > BUDGET || self.tail.contains(STOP) {
                    return Err(fmt::Error);
                }
                let found = (self.needles.iter())
                    .filter_map(|n| self.tail.find(n.as_str()).map(|at| at + n.len()))
                    .min();
                let Some(start) = found else {
                    keep_tail(&mut self.tail, self.needles);
                    return Ok(());
                };
                let rest = self.tail.split_off(start);
                self.tail = rest;
                self.value = Some(Value { text: String::new(), escaped: false, done: false });
                return self.take_value();
            }
        };
        self.tail = rest.to_owned();
        self.take_value()
    }
}

impl Scan<'_> {
    /// Reads the quoted value from `tail`; `Err` stops the formatting once it is complete.
    fn take_value(&mut self) -> fmt::Result {
        let Some(value) = self.value.as_mut() else { return Ok(()) };
        for c in self.tail.chars() {
            match (value.escaped, c) {
                (false, '\\') => value.escaped = true,
                (false, '"') => {
                    value.done = true;
                    return Err(fmt::Error);
                }
                (_, c) => {
                    value.escaped = false;
                    value.text.push(c);
                }
            }
        }
        self.tail.clear();
        Ok(())
    }
}

/// Keeps only as much of the text as a needle split across writes can need.
fn keep_tail(tail: &mut String, needles: &[String]) {
    let keep = needles.iter().map(String::len).max().unwrap_or(0).max(STOP.len());
    if tail.len() > keep {
        let mut cut = tail.len() - keep;
        while !tail.is_char_boundary(cut) {
            cut -= 1;
        }
        tail.drain(..cut);
    }
}

/// Appends `text` as a JSON string.
fn json_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds an SDK client from an `SdkConfig` with a guard on it, in one line:
/// `let s3 = leastpriv::guarded_client!(aws_sdk_s3, &sdk_config, Guard::enforce(&RESIZE_ROLE));`
#[macro_export]
macro_rules! guarded_client {
    ($sdk:ident, $sdk_config:expr, $guard:expr $(,)?) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($sdk_config).interceptor($guard).build(),
        )
    };
}

#[cfg(test)]
mod tests {
    use super::{find_field, names_resource, wildcard};
    use std::fmt;

    /// Writes its text in small pieces, as derived `Debug` does.
    struct Pieces(&'static [&'static str]);

    impl fmt::Debug for Pieces {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.iter().try_for_each(|p| f.write_str(p))
        }
    }

    #[test]
    fn finds_a_field_split_across_writes_and_unescapes_it() {
        let input = Pieces(&["Input { ac", "l: Some(\"x\"), buck", "et: Some(\"up", "\\\"l\") }"]);
        assert_eq!(find_field(&input, &["bucket"]).as_deref(), Some("up\"l"));
        assert_eq!(find_field(&input, &["table_name"]), None);
        let nested = Pieces(&["X { unbucket: Some(\"no\"), bucket: Some(\"yes\") }"]);
        assert_eq!(find_field(&nested, &["bucket"]).as_deref(), Some("yes"));
        let after_body = Pieces(&["X { body: ByteStream { .. }, bucket: Some(\"b\") }"]);
        assert_eq!(find_field(&after_body, &["bucket"]), None);
        let unfinished = Pieces(&["X { bucket: Some(\"cut"]);
        assert_eq!(find_field(&unfinished, &["bucket"]), None);
    }

    #[test]
    fn names_match_urls_arns_and_patterns() {
        assert!(names_resource("jobs", "https://sqs.eu-west-1.amazonaws.com/1/jobs"));
        assert!(!names_resource("jobs", "https://sqs.eu-west-1.amazonaws.com/1/myjobs"));
        assert!(names_resource("alerts", "arn:aws:sns:eu-west-1:1:alerts"));
        assert!(names_resource("app-*", "app-orders"));
        assert!(!names_resource("app-*", "payments"));
        assert!(wildcard(b"a?c*", b"abcdef"));
        assert!(!wildcard(b"a?c", b"abcd"));
        assert!(wildcard(b"*", b""));
    }
}
