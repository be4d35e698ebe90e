//! `leastpriv diff`'s output: human text, a Markdown pull-request comment, JSON.

use std::fmt::Write as _;

use leastpriv_core::evaluate::privdiff::PrivilegeChange;
use leastpriv_core::synth::manifest_diff::{FunctionDiff, FunctionStatus, ManifestDiff};
use serde::Serialize;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The headline: how many functions gain and lose privileges.
pub(super) fn headline(diff: &ManifestDiff) -> String {
    let gain = diff.functions.iter().filter(|f| f.grows()).count();
    let lose = diff
        .functions
        .iter()
        .filter(|f| !f.privileges.removed.is_empty() || f.status == FunctionStatus::Removed)
        .count();
    let mut parts = Vec::new();
    if gain > 0 {
        parts.push(format!("{} privileges", plural(gain, "function gains", "functions gain")));
    }
    if lose > 0 {
        parts.push(format!("{} privileges", plural(lose, "function loses", "functions lose")));
    }
    if parts.is_empty() {
        let n = diff.functions.len();
        return format!("no privilege changes ({} compared)", plural(n, "function", "functions"));
    }
    parts.join(", ")
}

fn counts(f: &FunctionDiff) -> String {
    let mut parts = Vec::new();
    if !f.privileges.added.is_empty() {
        parts.push(format!("+{}", f.privileges.added.len()));
    }
    if !f.privileges.removed.is_empty() {
        parts.push(format!("-{}", f.privileges.removed.len()));
    }
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(" ")) }
}

fn changed(diff: &ManifestDiff) -> impl Iterator<Item = &FunctionDiff> {
    diff.functions.iter().filter(|f| f.status != FunctionStatus::Unchanged)
}

fn unchanged(diff: &ManifestDiff) -> Vec<&str> {
    diff.functions
        .iter()
        .filter(|f| f.status == FunctionStatus::Unchanged)
        .map(|f| f.function.as_str())
        .collect()
}

fn condition_suffix(change: &PrivilegeChange) -> String {
    change.condition.as_ref().map(|c| format!(" when {c}")).unwrap_or_default()
}

/// One block per changed function, `+`/`-` lines, then the headline.
pub(super) fn human(diff: &ManifestDiff) -> String {
    let mut out = String::new();
    for f in changed(diff) {
        let _ = writeln!(out, "{}: {}{}", f.function, f.status.as_str(), counts(f));
        for (sign, list) in [('+', &f.privileges.added), ('-', &f.privileges.removed)] {
            for change in list {
                let _ = writeln!(
                    out,
                    "  {sign} {} on {}{}",
                    change.action,
                    change.resource,
                    condition_suffix(change)
                );
            }
        }
        for note in &f.notes {
            let _ = writeln!(out, "  ! {note}");
        }
    }
    let same = unchanged(diff);
    if !same.is_empty() {
        let _ = writeln!(out, "unchanged: {}", same.join(", "));
    }
    let _ = writeln!(out, "{}", headline(diff));
    out
}

/// Text in a Markdown table cell: pipes escaped, code spans kept closed.
fn cell_code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'").replace('|', "\\|"))
}

/// A Markdown comment: the headline, then a table per changed function.
pub(super) fn markdown(diff: &ManifestDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### leastpriv: {}\n", headline(diff));
    for f in changed(diff) {
        let _ = writeln!(out, "#### `{}` — {}{}\n", f.function, f.status.as_str(), counts(f));
        let rows: Vec<(&str, &PrivilegeChange)> = f
            .privileges
            .added
            .iter()
            .map(|c| ("added", c))
            .chain(f.privileges.removed.iter().map(|c| ("removed", c)))
            .collect();
        if !rows.is_empty() {
            let with_conditions = rows.iter().any(|(_, c)| c.condition.is_some());
            let _ = writeln!(
                out,
                "| | Action | Resource |{}\n|---|---|---|{}",
                if with_conditions { " Condition |" } else { "" },
                if with_conditions { "---|" } else { "" }
            );
            for (kind, change) in rows {
                let sign = if kind == "added" { "➕ added" } else { "➖ removed" };
                let condition = match (&change.condition, with_conditions) {
                    (Some(c), _) => format!(" {} |", cell_code(c)),
                    (None, true) => " |".to_owned(),
                    (None, false) => String::new(),
                };
                let _ = writeln!(
                    out,
                    "| {sign} | {} | {} |{condition}",
                    cell_code(&change.action),
                    cell_code(&change.resource)
                );
            }
            out.push('\n');
        }
        for note in &f.notes {
            let _ = writeln!(out, "> ⚠️ {}\n", note.replace('\n', " "));
        }
    }
    let same = unchanged(diff);
    if !same.is_empty() {
        let names: Vec<String> = same.iter().map(|n| format!("`{n}`")).collect();
        let _ = writeln!(out, "Unchanged: {}", names.join(", "));
    }
    out
}

/// The JSON output.
#[derive(Serialize)]
pub(super) struct JsonOutput<'a> {
    summary: Summary,
    functions: &'a [FunctionDiff],
}

#[derive(Serialize)]
struct Summary {
    headline: String,
    grows: bool,
    changed: bool,
}

/// The JSON output of `diff`.
pub(super) fn json(diff: &ManifestDiff) -> JsonOutput<'_> {
    JsonOutput {
        summary: Summary { headline: headline(diff), grows: diff.grows(), changed: diff.changed() },
        functions: &diff.functions,
    }
}
