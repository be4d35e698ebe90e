//! Parsing and validating the attribute's tokens into a [`Declaration`], accumulating errors.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Lit, Meta, Token};

use super::services::{self, SERVICES};
use super::{Declaration, Entry, EntryKind, Spanned, Template};
use crate::catalog::{AccessLevel, Catalog, CatalogError};
use crate::diagnostic::{Code, Diagnostic};

/// Access words an entry accepts, with the level each stands for (`trigger` is handled apart).
const ACCESS_WORDS: &[(&str, AccessLevel)] = &[
    ("read", AccessLevel::Read),
    ("write", AccessLevel::Write),
    ("list", AccessLevel::List),
    ("tagging", AccessLevel::Tagging),
    ("permissions", AccessLevel::PermissionsManagement),
];

/// Flags an entry accepts besides access words.
const FLAGS: &[&str] = &["trigger", "allow_unused"];

/// Keys every entry accepts besides its resource keys.
const COMMON_KEYS: &[&str] = &["actions", "env", "kms_key"];

/// Role options (top-level `KEY = VALUE`).
const OPTIONS: &[&str] = &["name", "function", "log_retention_days", "boundary", "path", "tags"];

/// Retention periods CloudWatch Logs accepts, in days.
const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Parses the attribute's arguments. Every problem found is returned; the declaration holds the
/// entries that could be read.
pub fn parse(tokens: TokenStream, catalog: &Catalog) -> (Declaration, Vec<Diagnostic>) {
    // `syn` parses values recursively: absurd nesting must not overflow the stack.
    if let Err(reason) = crate::analyse::check_tokens(&tokens) {
        let d = Diagnostic::new(
            Code::MalformedAttribute,
            Span::call_site(),
            format!("the attribute's arguments: {reason}"),
        )
        .help("write entries as `SERVICE(ACCESS…, KEY = \"VALUE\", …)`; no value nests deeply");
        return (Declaration::default(), vec![d]);
    }
    let mut cx = Ctx { catalog, errors: Vec::new(), rejected: Vec::new() };
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(metas) => metas,
        Err(err) => {
            let d = Diagnostic::new(Code::MalformedAttribute, err.span(), err.to_string()).help(
                "write entries as `SERVICE(ACCESS…, KEY = \"VALUE\", …)` separated by commas, e.g. \
                 `s3(read, bucket = \"${UploadBucket}\")`",
            );
            return (Declaration::default(), vec![d]);
        }
    };
    let mut decl = Declaration::default();
    for meta in metas {
        match meta {
            Meta::List(list) => {
                let span = list.span();
                let Some(ident) = list.path.get_ident().map(ToString::to_string) else {
                    cx.error(list.path.span(), "an entry's service is one word, e.g. `s3`", None);
                    continue;
                };
                let args =
                    match list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
                        Ok(args) => args,
                        Err(err) => {
                            cx.error(err.span(), &err.to_string(), None);
                            continue;
                        }
                    };
                if let Some(entry) = cx.entry(&ident, list.path.span(), span, args) {
                    decl.entries.push(entry);
                }
            }
            Meta::NameValue(nv) => {
                let key = nv.path.get_ident().map(ToString::to_string).unwrap_or_default();
                cx.option(&mut decl, &key, nv.path.span(), &nv.value);
            }
            Meta::Path(path) => {
                let word = path.get_ident().map(ToString::to_string).unwrap_or_default();
                cx.error(
                    path.span(),
                    &format!("`{word}` needs its access and resource in parentheses"),
                    Some(format!("e.g. `{word}(read, …)`")),
                );
            }
        }
    }
    cx.duplicates(&decl);
    (decl, cx.errors)
}

struct Ctx<'c> {
    catalog: &'c Catalog,
    errors: Vec<Diagnostic>,
    /// Keys (and `access`) of the entry being parsed that were given but rejected, so the
    /// completeness checks do not report them missing as well.
    rejected: Vec<String>,
}

impl Ctx<'_> {
    fn error(&mut self, span: Span, message: &str, help: Option<String>) {
        let mut d = Diagnostic::new(Code::MalformedAttribute, span, message);
        d.help = help;
        self.errors.push(d);
    }

    fn entry(
        &mut self,
        name: &str,
        name_span: Span,
        span: Span,
        args: Punctuated<Meta, Token![,]>,
    ) -> Option<Entry> {
        let (kind, prefix) = if let Some(spec) = services::by_attr(name) {
            (EntryKind::Known(spec), spec.prefix.to_owned())
        } else if name == "resource" {
            (EntryKind::Generic, String::new())
        } else {
            let prefix = services::attr_to_prefix(name);
            if self.catalog.service_name(&prefix).is_err() {
                let mut names: Vec<String> = SERVICES.iter().map(|s| s.attr.to_owned()).collect();
                names.push("resource".to_owned());
                names.extend(self.catalog.service_prefixes().map(|p| p.replace('-', "_")));
                let suggestions = closest(name, names.iter().map(String::as_str));
                self.error(
                    name_span,
                    &format!("unknown service `{name}`"),
                    Some(did_you_mean(
                        &suggestions,
                        "an IAM service prefix such as `s3`, or `resource(arn = \"…\")`",
                    )),
                );
                return None;
            }
            (EntryKind::Generic, prefix)
        };
        let mut entry = Entry {
            kind,
            prefix,
            service: Spanned::new(name.to_owned(), name_span),
            access: Vec::new(),
            actions: Vec::new(),
            trigger: None,
            keys: Default::default(),
            env: None,
            kms_key: None,
            allow_unused: None,
            span,
        };
        self.rejected.clear();
        for arg in args {
            let errors_before = self.errors.len();
            let given = match &arg {
                Meta::Path(_) => "access".to_owned(),
                Meta::NameValue(nv) => {
                    nv.path.get_ident().map(ToString::to_string).unwrap_or_default()
                }
                Meta::List(_) => String::new(),
            };
            match arg {
                Meta::Path(path) => self.word(&mut entry, &path),
                Meta::NameValue(nv) => self.key(&mut entry, &nv),
                Meta::List(list) => self.error(
                    list.span(),
                    "entries do not nest",
                    Some("give each resource its own entry".to_owned()),
                ),
            }
            if self.errors.len() > errors_before {
                self.rejected.push(given);
            }
        }
        self.finish(entry)
    }

    fn word(&mut self, entry: &mut Entry, path: &syn::Path) {
        let word = path.get_ident().map(ToString::to_string).unwrap_or_default();
        let span = path.span();
        if let Some((_, level)) = ACCESS_WORDS.iter().find(|(w, _)| *w == word) {
            if entry.access.iter().any(|a| a.value == *level) {
                self.error(span, &format!("`{word}` is given twice"), None);
            } else {
                entry.access.push(Spanned::new(*level, span));
            }
            return;
        }
        match word.as_str() {
            "trigger" => entry.trigger = Some(span),
            "allow_unused" => entry.allow_unused = Some(span),
            _ => {
                let words = ACCESS_WORDS.iter().map(|(w, _)| *w).chain(FLAGS.iter().copied());
                let suggestions = closest(&word, words);
                self.error(
                    span,
                    &format!("unknown access level `{word}`"),
                    Some(did_you_mean(
                        &suggestions,
                        "access levels are read, write, list, tagging, permissions; flags are \
                         trigger and allow_unused",
                    )),
                );
            }
        }
    }

    fn key(&mut self, entry: &mut Entry, nv: &syn::MetaNameValue) {
        let key = nv.path.get_ident().map(ToString::to_string).unwrap_or_default();
        let span = nv.path.span();
        if key == "actions" {
            self.actions(entry, &nv.value);
            return;
        }
        let resource_keys: Vec<&str> = match entry.kind {
            EntryKind::Known(spec) => spec.keys.iter().map(|k| k.name).collect(),
            EntryKind::Generic => vec!["arn"],
        };
        let known = resource_keys.contains(&key.as_str()) || COMMON_KEYS.contains(&key.as_str());
        if !known {
            let all = resource_keys.iter().copied().chain(COMMON_KEYS.iter().copied());
            let suggestions = closest(&key, all.clone());
            let valid: Vec<&str> = all.collect();
            self.error(
                span,
                &format!("unknown key `{key}` for `{}`", entry.service.value),
                Some(did_you_mean(&suggestions, &format!("valid keys: {}", valid.join(", ")))),
            );
            return;
        }
        let Some(text) = self.string(&nv.value, &key) else { return };
        let value_span = nv.value.span();
        if key == "env" {
            let valid = !text.is_empty()
                && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !text.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                self.error(
                    value_span,
                    &format!("`{text}` is not an environment variable name"),
                    Some("use letters, digits and `_`, e.g. `env = \"UPLOAD_BUCKET\"`".to_owned()),
                );
                return;
            }
            entry.env = Some(Spanned::new(text, value_span));
            return;
        }
        let template = match Template::parse(&text) {
            Ok(t) => t,
            Err(message) => {
                self.error(
                    value_span,
                    &message,
                    Some("write references as `${ParameterName}`".to_owned()),
                );
                return;
            }
        };
        if template.as_literal().is_some_and(str::is_empty) {
            self.error(value_span, &format!("`{key}` is empty"), None);
            return;
        }
        if let Some(rule) = impossible_name(&entry.prefix, &key, &template) {
            self.error(value_span, &format!("`{key}` can never name a resource: {rule}"), None);
            return;
        }
        if key == "kms_key" {
            entry.kms_key = Some(Spanned::new(template, value_span));
            return;
        }
        if key == "arn" && !self.arn(entry, &template, value_span) {
            return;
        }
        if entry.keys.insert(key.clone(), Spanned::new(template, value_span)).is_some() {
            self.error(span, &format!("`{key}` is given twice"), None);
        }
    }

    /// Checks a generic entry's ARN; for `resource(...)` it also sets the entry's prefix.
    fn arn(&mut self, entry: &mut Entry, arn: &Template, span: Span) -> bool {
        if arn.as_literal() == Some("*") {
            if entry.service.value == "resource" {
                self.error(
                    span,
                    "`resource(arn = \"*\")` does not say which service",
                    Some("name the service instead, e.g. `xray(write, arn = \"*\")`".to_owned()),
                );
                return false;
            }
            return true;
        }
        let text = arn.to_string();
        // Split on the ARN's own colons, not those inside `${AWS::Partition}`.
        let masked: String = arn
            .parts
            .iter()
            .map(|p| match p {
                super::Part::Text(t) => t.clone(),
                super::Part::Ref(name) => format!("${{{}}}", name.replace(':', "\u{1}")),
            })
            .collect();
        let unmasked: Vec<String> =
            masked.splitn(6, ':').map(|f| f.replace('\u{1}', ":")).collect();
        let fields: Vec<&str> = unmasked.iter().map(String::as_str).collect();
        let example = "arn:${AWS::Partition}:SERVICE:${AWS::Region}:${AWS::AccountId}:RESOURCE";
        if fields.len() < 6 || fields[0] != "arn" {
            let help = if arn.single_ref().is_some() {
                format!("write the ARN out so its service is known: `{example}`")
            } else {
                format!("an ARN has six parts: `{example}`")
            };
            self.error(span, &format!("`{text}` is not an ARN"), Some(help));
            return false;
        }
        let partition_ok =
            matches!(fields[1], "aws" | "aws-cn" | "aws-us-gov" | "${AWS::Partition}");
        if !partition_ok {
            self.error(
                span,
                &format!("`{}` is not a partition", fields[1]),
                Some("use `${AWS::Partition}` so the ARN works in every partition".to_owned()),
            );
            return false;
        }
        let service = fields[2];
        if entry.service.value == "resource" {
            if self.catalog.service_name(service).is_err() {
                let suggestions = closest(service, self.catalog.service_prefixes());
                self.error(
                    span,
                    &format!("`{service}` in this ARN is not an AWS service prefix"),
                    Some(did_you_mean(&suggestions, "the third field of an ARN is the service")),
                );
                return false;
            }
            entry.prefix = service.to_owned();
        } else if service != entry.prefix {
            self.error(
                span,
                &format!("this ARN is of service `{service}`, not `{}`", entry.prefix),
                Some(format!(
                    "an ARN for `{}` looks like `arn:${{AWS::Partition}}:{}:…`",
                    entry.service.value, entry.prefix
                )),
            );
            return false;
        }
        true
    }

    fn actions(&mut self, entry: &mut Entry, value: &Expr) {
        let Expr::Array(array) = value else {
            self.error(
                value.span(),
                "`actions` takes a list",
                Some("e.g. `actions = [\"s3:GetObjectTagging\"]`".to_owned()),
            );
            return;
        };
        for elem in &array.elems {
            let Some(text) = self.string(elem, "actions") else { continue };
            let span = elem.span();
            match self.catalog.action(&text) {
                Ok(info) => {
                    let prefix = info.action.split(':').next().unwrap_or_default().to_owned();
                    if entry.service.value != "resource" && prefix != entry.prefix {
                        self.error(
                            span,
                            &format!(
                                "`{}` is not an action of `{}`",
                                info.action, entry.service.value
                            ),
                            Some(format!("move it to an entry of its service, `{prefix}(…)`")),
                        );
                    } else {
                        entry.actions.push(Spanned::new(info.action, span));
                    }
                }
                Err(err) => {
                    let help = match &err {
                        CatalogError::UnknownAction { .. }
                        | CatalogError::UnknownService { .. } => err.help(),
                        _ => Some("write actions as `prefix:Name`, e.g. `s3:GetObject`".to_owned()),
                    };
                    self.error(span, &err.to_string(), help);
                }
            }
        }
    }

    fn string(&mut self, value: &Expr, key: &str) -> Option<String> {
        if let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = value {
            return Some(s.value());
        }
        self.error(value.span(), &format!("`{key}` takes a string literal"), None);
        None
    }

    fn finish(&mut self, entry: Entry) -> Option<Entry> {
        let mut ok = true;
        if let EntryKind::Known(spec) = entry.kind {
            for key in spec.keys.iter().filter(|k| k.required) {
                if self.rejected.iter().any(|r| r == key.name) {
                    ok = false;
                } else if !entry.keys.contains_key(key.name) {
                    self.error(
                        entry.service.span,
                        &format!("`{}` needs `{} = \"…\"`", entry.service.value, key.name),
                        Some(format!(
                            "name the {} it may touch, e.g. `{} = \"${{MyParameter}}\"`",
                            key.name, key.name
                        )),
                    );
                    ok = false;
                }
            }
        } else if self.rejected.iter().any(|r| r == "arn") {
            ok = false;
        } else if !entry.keys.contains_key("arn") {
            self.error(
                entry.service.span,
                &format!("`{}` needs `arn = \"…\"`", entry.service.value),
                Some(
                    "services without named keys take the resource's ARN (or `\"*\"` for \
                     actions without resource-level permissions)"
                        .to_owned(),
                ),
            );
            ok = false;
        }
        let access_rejected = self.rejected.iter().any(|r| r == "access" || r == "actions");
        if access_rejected && entry.access.is_empty() && entry.actions.is_empty() {
            ok = false;
        } else if entry.access.is_empty() && entry.actions.is_empty() && entry.trigger.is_none() {
            self.error(
                entry.service.span,
                &format!("`{}` declares no access", entry.service.value),
                Some(
                    "add access levels (read, write, list, tagging, permissions), `actions = \
                     [...]` or `trigger`"
                        .to_owned(),
                ),
            );
            ok = false;
        }
        ok.then_some(entry)
    }

    fn option(&mut self, decl: &mut Declaration, key: &str, span: Span, value: &Expr) {
        match key {
            "name" | "function" => {
                let Some(text) = self.string(value, key) else { return };
                let valid = !text.is_empty()
                    && text.len() <= 255
                    && text.chars().all(|c| c.is_ascii_alphanumeric());
                if !valid {
                    let example = if key == "name" { "ResizeImage" } else { "ResizeImageFunction" };
                    self.error(
                        value.span(),
                        &format!("`{text}` is not a CloudFormation logical id"),
                        Some(format!("use letters and digits only, e.g. `{key} = \"{example}\"`")),
                    );
                } else if key == "name" {
                    decl.name = Some(Spanned::new(text, value.span()));
                } else {
                    decl.options.function = Some(Spanned::new(text, value.span()));
                }
            }
            "log_retention_days" => {
                let days = match value {
                    Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) => int.base10_parse::<u32>().ok(),
                    _ => None,
                };
                match days {
                    Some(days) if RETENTION_DAYS.contains(&days) => {
                        decl.options.log_retention_days = Some(Spanned::new(days, value.span()));
                    }
                    _ => self.error(
                        value.span(),
                        "`log_retention_days` must be a retention CloudWatch Logs accepts",
                        Some(format!(
                            "one of {}",
                            RETENTION_DAYS
                                .iter()
                                .map(u32::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    ),
                }
            }
            "boundary" => {
                let Some(text) = self.string(value, key) else { return };
                match Template::parse(&text) {
                    Ok(t) if impossible_name("iam", "boundary", &t).is_some() => {
                        let rule = impossible_name("iam", "boundary", &t).unwrap_or_default();
                        self.error(
                            value.span(),
                            &format!("`boundary` can never be a policy ARN: {rule}"),
                            None,
                        );
                    }
                    Ok(t) if text.starts_with("arn:") || t.single_ref().is_some() => {
                        decl.options.boundary = Some(Spanned::new(t, value.span()));
                    }
                    Ok(_) => self.error(
                        value.span(),
                        "`boundary` is the ARN of a managed policy",
                        Some("e.g. `boundary = \"arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/Boundary\"`".to_owned()),
                    ),
                    Err(message) => self.error(value.span(), &message, None),
                }
            }
            "path" => {
                let Some(text) = self.string(value, key) else { return };
                if text.starts_with('/') && text.ends_with('/') && text.len() <= 512 {
                    decl.options.path = Some(Spanned::new(text, value.span()));
                } else {
                    self.error(
                        value.span(),
                        &format!("`{text}` is not an IAM path"),
                        Some("an IAM path starts and ends with `/`, e.g. `/app/`".to_owned()),
                    );
                }
            }
            "tags" => self.tags(decl, value),
            _ => {
                let suggestions = closest(key, OPTIONS.iter().copied());
                self.error(
                    span,
                    &format!("unknown option `{key}`"),
                    Some(did_you_mean(&suggestions, &format!("options: {}", OPTIONS.join(", ")))),
                );
            }
        }
    }

    fn tags(&mut self, decl: &mut Declaration, value: &Expr) {
        let Expr::Array(array) = value else {
            self.error(
                value.span(),
                "`tags` takes a list",
                Some("e.g. `tags = [\"Team=media\"]`".to_owned()),
            );
            return;
        };
        for elem in &array.elems {
            let Some(text) = self.string(elem, "tags") else { continue };
            match text.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    decl.options.tags.push(Spanned::new(
                        (k.trim().to_owned(), v.trim().to_owned()),
                        elem.span(),
                    ));
                }
                _ => self.error(elem.span(), &format!("`{text}` is not `Key=Value`"), None),
            }
        }
    }

    /// Two entries of the same service naming the same resource.
    fn duplicates(&mut self, decl: &Declaration) {
        // A set of what earlier entries name: linear in the number of entries (10,000 entries
        // took a minute with a scan per entry).
        let mut seen = std::collections::HashSet::new();
        for later in &decl.entries {
            let name: (&str, Vec<(&String, &Template)>) =
                (&later.prefix, later.keys.iter().map(|(k, v)| (k, &v.value)).collect());
            if !seen.insert(name) {
                self.error(
                    later.span,
                    &format!("duplicate entry {}", later.label()),
                    Some("merge the access levels into the first entry".to_owned()),
                );
            }
        }
    }
}

/// The naming rule a resource key's literal text breaks, if any: no name or ARN holds a
/// control character; none but S3 object keys and SES identities holds white space or `"`;
/// buckets, tables, queues, topics and functions have their own character sets (`*` and `?`
/// are wildcards everywhere).
fn impossible_name(prefix: &str, key: &str, template: &Template) -> Option<String> {
    let text: String = template
        .parts
        .iter()
        .filter_map(|p| match p {
            super::template::Part::Text(text) => Some(text.as_str()),
            super::template::Part::Ref(_) => None,
        })
        .collect();
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Some(format!(
            "it contains the control character U+{:04X}, which no resource name or ARN has",
            u32::from(c)
        ));
    }
    let free_text = matches!((prefix, key), ("s3", "key") | ("ses", "identity"));
    if !free_text && let Some(c) = text.chars().find(|c| c.is_whitespace() || *c == '"') {
        let what = if c == '"' { "a double quote".to_owned() } else { format!("the space {c:?}") };
        return Some(format!("it contains {what}, which names and ARNs of {prefix} never have"));
    }
    let (allowed, rule): (fn(char) -> bool, &str) = match (prefix, key) {
        ("s3", "bucket") => (
            |c| c.is_ascii_alphanumeric() || ".-_".contains(c),
            "S3 bucket names have letters, digits, `.`, `-` (and `_` in legacy names) only",
        ),
        ("dynamodb", "table" | "index") => (
            |c| c.is_ascii_alphanumeric() || "_.-".contains(c),
            "DynamoDB table and index names have letters, digits, `_`, `.` and `-` only",
        ),
        ("sqs", "queue") | ("sns", "topic") => (
            |c| c.is_ascii_alphanumeric() || "_-.".contains(c),
            "queue and topic names have letters, digits, `_`, `-` (and a `.fifo` suffix) only",
        ),
        _ => return None,
    };
    // An ARN given in place of a name is checked by the ARN rules, not the name's.
    if text.starts_with("arn:") {
        return None;
    }
    text.chars()
        .find(|c| !allowed(*c) && *c != '*' && *c != '?')
        .map(|c| format!("{rule} (found {c:?})"))
}

fn closest<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    crate::catalog::suggest_closest(input, candidates)
}

fn did_you_mean(suggestions: &[String], otherwise: &str) -> String {
    crate::catalog::did_you_mean(suggestions).unwrap_or_else(|| otherwise.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr;

    use super::*;

    fn errors(attribute: &str) -> Vec<String> {
        let catalog = Catalog::embedded().unwrap();
        let tokens = TokenStream::from_str(attribute).unwrap();
        parse(tokens, catalog).1.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn impossible_names_are_rejected_with_the_rule_they_break() {
        let cases = [
            (r#"s3(bucket = "a\nb", read)"#, "control character U+000A"),
            (r#"s3(bucket = "a\"b", read)"#, "double quote"),
            (r#"s3(bucket = "a b", read)"#, "space"),
            (r#"s3(bucket = "a/b", read)"#, "S3 bucket names"),
            (r#"dynamodb(table = "t:x", read)"#, "DynamoDB table"),
            (r#"sqs(queue = "q!", read)"#, "queue and topic names"),
            (r#"secretsmanager(secret = "my secret", read)"#, "space"),
            (r#"s3(bucket = "b", read), boundary = "arn:aws:iam::1:policy/my boundary""#, "space"),
        ];
        for (attribute, expected) in cases {
            let errors = errors(attribute);
            assert!(errors.iter().any(|e| e.contains(expected)), "{attribute}: {errors:?}");
        }
        // Wildcards, references, ARNs and S3 object keys with spaces are fine.
        for attribute in [
            r#"s3(bucket = "logs-*", key = "reports/my file.txt", read)"#,
            r#"s3(bucket = "${Bucket}", read)"#,
            r#"sqs(queue = "jobs.fifo", read)"#,
            r#"dynamodb(table = "arn:aws:dynamodb:us-east-1:1:table/T", read)"#,
        ] {
            assert_eq!(errors(attribute), Vec::<String>::new(), "{attribute}");
        }
    }

    /// 20,000 levels overflow a recursive descent even on a main thread's 8 MiB stack; the
    /// check runs on a 4 MiB one.
    #[test]
    fn absurdly_nested_arguments_are_an_error_not_a_stack_overflow() {
        let run = |attribute: String| {
            std::thread::Builder::new()
                .stack_size(4 * 1024 * 1024)
                .spawn(move || errors(&attribute))
                .unwrap()
                .join()
                .unwrap()
        };
        let deep = |open: &str, close: &str, n: usize| {
            format!("s3(read, bucket = \"b\", key = {}\"k\"{})", open.repeat(n), close.repeat(n))
        };
        for attribute in [
            deep("(", ")", 20_000),
            deep("[", "]", 20_000),
            deep("{", "}", 20_000),
            format!("s3(read, bucket = {}\"b\")", "!".repeat(50_000)),
        ] {
            let errors = run(attribute);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].starts_with("the attribute's arguments: "), "{errors:?}");
            assert!(errors[0].contains("more than"), "{errors:?}");
        }
        // Within the bounds, values parse (and are judged for what they are, not their depth).
        let errors = run(deep("(", ")", 100));
        assert!(errors.iter().all(|e| !e.contains("more than")), "{errors:?}");
    }
}
