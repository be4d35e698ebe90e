//! Which actions a call needs on which resources, whether an entry can grant them, and the
//! diagnostic when none can.

use crate::analyse::{Call, Hint};
use crate::catalog::{ActionInfo, RuleOutcome, SdkOperation};
use crate::declare::{Declaration, Entry, EntryKind};
use crate::diagnostic::{Code, Diagnostic};

use super::access_word;

/// The actions a call needs, each with the hints naming its resource and the resource type the
/// action applies to when a rule says so.
pub fn call_actions(call: &Call, op: &SdkOperation) -> Vec<(String, Vec<Hint>, Option<String>)> {
    let mut out = actions_of(call, op);
    // Setters added after the operation's own chain may be missing on some paths: the request
    // then needs what it needs without them too.
    if let Some(plain) = call.without_later_setters() {
        for action in actions_of(&plain, op) {
            if !out.contains(&action) {
                out.push(action);
            }
        }
    }
    out
}

fn actions_of(call: &Call, op: &SdkOperation) -> Vec<(String, Vec<Hint>, Option<String>)> {
    let resolved = op.resolve(&call.all_setters());
    let own: Vec<Hint> = call.hints.iter().map(|(_, h)| h.clone()).collect();
    let own = if own.is_empty() {
        call.items.iter().flat_map(|i| i.hints.iter().map(|(_, h)| h.clone())).collect()
    } else {
        own
    };
    let mut out: Vec<(String, Vec<Hint>, Option<String>)> = Vec::new();
    let mut push = |action: &str, hints: Vec<Hint>, resource: Option<String>| {
        let exists = out.iter().any(|(a, h, r)| a == action && *h == hints && *r == resource);
        if !exists {
            out.push((action.to_owned(), hints, resource));
        }
    };
    let mut replaced: Vec<&str> = Vec::new();
    for detail in &resolved.details {
        if detail.rule.when.is_some() && detail.outcome != RuleOutcome::DoesNotApply {
            replaced.extend(detail.rule.replaces.iter().map(String::as_str));
        }
    }
    for detail in &resolved.details {
        let rule = &detail.rule;
        if detail.outcome == RuleOutcome::DoesNotApply {
            continue;
        }
        let resource = rule.resource.clone().filter(|r| r != "*");
        let hints = if rule.target.is_some() {
            // A second resource: named by its own setter when that is a literal.
            rule.target_setter
                .as_ref()
                .and_then(|s| call.setters.iter().find(|u| &u.name == s))
                .and_then(|u| u.value.clone())
                .map(Hint::Literal)
                .into_iter()
                .collect()
        } else if let Some(when) = &rule.when {
            let items: Vec<Hint> = call
                .items
                .iter()
                .filter(|i| i.setters.iter().any(|s| s.name == when.setter))
                .flat_map(|i| i.hints.iter().map(|(_, h)| h.clone()))
                .collect();
            if items.is_empty() { own.clone() } else { items }
        } else {
            own.clone()
        };
        for action in &rule.actions {
            let is_base = rule.when.is_none() && rule.target.is_none() && rule.replaces.is_empty();
            if is_base && replaced.contains(&action.as_str()) && detail.rule.actions == op.actions {
                continue;
            }
            push(action, hints.clone(), resource.clone());
        }
    }
    out
}

/// Whether a code hint names this entry's resource: `Some(true)` or `Some(false)` when it can
/// tell, `None` when the entry's name is a `${Reference}` a literal cannot be compared with.
pub fn hint_matches(entry: &Entry, hint: &Hint) -> Option<bool> {
    match hint {
        Hint::Env(name) => Some(entry.env.as_ref().is_some_and(|e| &e.value == name)),
        Hint::Literal(value) => {
            let declared = entry.key(name_key(entry)?)?;
            let name = declared.as_literal()?;
            let value = value.trim_start_matches('/');
            let name = name.trim_start_matches('/');
            // A URL or ARN ends with the name; a declared pattern (`app/db/*`) matches like
            // `StringLike`.
            let last = value.rsplit(['/', ':']).next().unwrap_or(value);
            Some(
                value == name
                    || value.ends_with(&format!("/{name}"))
                    || value.ends_with(&format!(":{name}"))
                    || crate::evaluate::wildcard_match(name, value)
                    || crate::evaluate::wildcard_match(name, last),
            )
        }
        Hint::Unknown => None,
    }
}

/// The key that names an entry's resource (`bucket`, `table`, `arn`).
fn name_key(entry: &Entry) -> Option<&'static str> {
    match entry.kind {
        EntryKind::Known(spec) => spec.keys.first().map(|k| k.name),
        EntryKind::Generic => Some("arn"),
    }
}

/// Whether the entry provides a resource the action can be granted on.
pub(crate) fn entry_takes(entry: &Entry, info: &ActionInfo, resource_type: Option<&str>) -> bool {
    if info.resource_types.is_empty() {
        return true;
    }
    let provided = entry.resource_types();
    if provided.is_empty() {
        return true; // a generic ARN entry: the ARN says what it is
    }
    match resource_type {
        Some(wanted) => provided.contains(&wanted),
        None => info.resource_types.iter().any(|r| provided.contains(&r.name.as_str())),
    }
}

/// The diagnostic for an action no entry grants.
pub(super) fn not_covered(
    decl: &Declaration,
    call: &Call,
    info: &ActionInfo,
    candidates: &[usize],
    targeted: &[usize],
    known: &[&Hint],
) -> Diagnostic {
    let prefix = info.action.split(':').next().unwrap_or_default();
    let attr = crate::declare::services::by_prefix(prefix)
        .map_or_else(|| prefix.replace('-', "_"), |s| s.attr.to_owned());
    let word = access_word(info.access_level);
    let what = format!("`.{}()` needs `{}` ({})", call.method, info.action, info.access_level);
    let mut d = if !targeted.is_empty() {
        let labels: Vec<String> = targeted
            .iter()
            .map(|&i| {
                let e = &decl.entries[i];
                let levels: Vec<&str> = e.access.iter().map(|a| access_word(a.value)).collect();
                format!(
                    "{} (declared: {})",
                    e.label(),
                    if levels.is_empty() {
                        "no access level".to_owned()
                    } else {
                        levels.join(", ")
                    }
                )
            })
            .collect();
        Diagnostic::new(
            Code::ExceedsCeiling,
            call.span,
            format!("{what}, beyond the access declared on {}", labels.join(" and ")),
        )
        .help(format!("add `{word}` to that entry if the handler really needs it"))
    } else if !candidates.is_empty() {
        let hint = known
            .first()
            .map(|h| match h {
                Hint::Env(name) => format!("the resource named by env `{name}`"),
                Hint::Literal(text) => format!("`{text}`"),
                Hint::Unknown => "its resource".to_owned(),
            })
            .unwrap_or_default();
        let declared: Vec<String> = candidates.iter().map(|&i| decl.entries[i].label()).collect();
        let fix = match known.first() {
            Some(Hint::Env(name)) => format!(
                "add `env = \"{name}\"` to the entry of that resource, or declare it: `{attr}({word}, …, env = \"{name}\")`"
            ),
            _ => format!("declare it: `{attr}({word}, …)`"),
        };
        Diagnostic::new(
            Code::UncoveredCall,
            call.span,
            format!(
                "{what} on {hint}, which no `{attr}` entry declares (declared: {})",
                declared.join(", ")
            ),
        )
        .help(fix)
    } else {
        Diagnostic::new(
            Code::UncoveredCall,
            call.span,
            format!("{what}, and the declaration has no `{attr}` entry"),
        )
        .help(format!("add an entry such as `{attr}({word}, …)` naming the resource"))
    };
    if call.via.len() > 1 {
        let at = match call.location.line {
            Some(line) => format!("{}:{line}", call.location.file.display()),
            None => call.location.file.display().to_string(),
        };
        d = d.note(format!(
            "the call is in `{}` ({at}), reached through {}",
            call.location.function,
            call.via.join(" → ")
        ));
    }
    d
}
