//! Rendering diagnostics as miette reports with the offending source lines.

use std::path::Path;

use leastpriv_core::diagnostic::{Diagnostic, escape_control};
use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Report, Severity};

/// Renders one diagnostic against its file's text (`display` is the name shown).
pub fn render(diagnostic: &Diagnostic, display: &Path, text: &str) -> String {
    let start = diagnostic.span.start();
    let end = diagnostic.span.end();
    let from = offset(text, start.line, start.column);
    let to = offset(text, end.line, end.column).max(from);
    let mut help = escape_control(&diagnostic.notes.join("\n")).into_owned();
    if let Some(h) = &diagnostic.help {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str(&escape_control(h));
    }
    let mut report = MietteDiagnostic::new(escape_control(&diagnostic.message).into_owned())
        .with_code(format!("leastpriv::{}", diagnostic.code))
        .with_severity(Severity::Error)
        .with_label(LabeledSpan::at(from..to, "here"));
    if !help.is_empty() {
        report = report.with_help(help);
    }
    // Control characters in the source shown as `?`, one byte for one, so offsets stay.
    let shown: String = text
        .chars()
        .map(|c| if c.is_ascii_control() && !matches!(c, '\n' | '\r' | '\t') { '?' } else { c })
        .collect();
    let name = escape_control(&display.display().to_string()).into_owned();
    let source = NamedSource::new(name, shown);
    format!("{:?}", Report::new(report).with_source_code(source))
}

/// The one-line form: `file:line:col: error[code]: message`.
pub fn one_line(diagnostic: &Diagnostic, display: &Path) -> String {
    let start = diagnostic.span.start();
    format!(
        "{}:{}:{}: error[{}]: {}",
        escape_control(&display.display().to_string()),
        start.line,
        start.column + 1,
        diagnostic.code,
        escape_control(&diagnostic.message)
    )
}

/// Byte offset of a 1-based line and 0-based character column.
fn offset(text: &str, line: usize, column: usize) -> usize {
    let mut at = 0;
    for (number, content) in text.split_inclusive('\n').enumerate() {
        if number + 1 == line {
            return at + content.char_indices().nth(column).map_or(content.len(), |(i, _)| i);
        }
        at += content.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::offset;

    #[test]
    fn offsets_count_characters_per_line() {
        let text = "ab\ncdé f\n";
        assert_eq!(offset(text, 1, 0), 0);
        assert_eq!(offset(text, 2, 0), 3);
        assert_eq!(offset(text, 2, 4), 3 + "cdé ".len());
        assert_eq!(offset(text, 9, 0), text.len());
    }
}
