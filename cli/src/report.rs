//! Rendering diagnostics as miette reports with the offending source lines.

use std::path::Path;

use leastpriv_core::diagnostic::{Diagnostic, escape_control};
use miette::{
    LabeledSpan, MietteDiagnostic, MietteError, MietteSpanContents, Report, Severity, SourceCode,
    SourceSpan, SpanContents,
};

/// A file's text with the byte offset of each line, computed once for all its diagnostics.
pub struct Source<'a> {
    text: &'a str,
    /// Byte offset of each line's start (line 1 first), and the text's length last.
    lines: Vec<usize>,
}

impl<'a> Source<'a> {
    /// Indexes `text`'s lines.
    pub fn new(text: &'a str) -> Self {
        let mut lines = vec![0];
        lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        lines.push(text.len());
        Source { text, lines }
    }

    /// Byte offset of a 1-based line and 0-based character column (the end of the text past
    /// the last line).
    pub(crate) fn offset(&self, line: usize, column: usize) -> usize {
        let (Some(start), Some(next)) =
            (self.lines.get(line.wrapping_sub(1)), self.lines.get(line))
        else {
            return self.text.len();
        };
        let content = &self.text[*start..(*next).max(*start)];
        start + content.char_indices().nth(column).map_or(content.len(), |(i, _)| i)
    }

    /// Byte range of 1-based lines `first..=last`, clamped to the text.
    fn lines(&self, first: usize, last: usize) -> (usize, usize) {
        let at = |line: usize| self.lines.get(line).copied().unwrap_or(self.text.len());
        (at(first.saturating_sub(1)), at(last).max(at(first.saturating_sub(1))))
    }
}

/// Renders one diagnostic against its file (`display` is the name shown).
pub fn render(diagnostic: &Diagnostic, display: &Path, source: &Source<'_>) -> String {
    let start = diagnostic.span.start();
    let end = diagnostic.span.end();
    let from = source.offset(start.line, start.column);
    let to = source.offset(end.line, end.column).max(from);
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
    let name = escape_control(&display.display().to_string()).into_owned();
    let source = Window::new(name, source, start.line, end.line);
    format!("{:?}", Report::new(report).with_source_code(source))
}

/// The lines around a diagnostic, as miette's source: rendering a report then costs the size of
/// the window, not of the file (10,000 diagnostics in one file render in linear time).
pub(crate) struct Window {
    name: String,
    /// The window's text, control characters shown as `?` (one byte for one).
    text: String,
    /// Byte offset of the window in the file.
    base: usize,
    /// 0-based line of the window's first line.
    base_line: usize,
}

impl Window {
    /// Lines `first - CONTEXT ..= last + CONTEXT` (1-based) of `source`.
    pub(crate) fn new(name: String, source: &Source<'_>, first: usize, last: usize) -> Self {
        const CONTEXT: usize = 4;
        let from_line = first.saturating_sub(CONTEXT + 1);
        let (base, end) = source.lines(from_line + 1, last + CONTEXT);
        let text = source.text;
        let shown = text[base..end]
            .chars()
            .map(|c| if c.is_ascii_control() && !matches!(c, '\n' | '\r' | '\t') { '?' } else { c })
            .collect();
        Window { name, text: shown, base, base_line: from_line }
    }
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let offset = span.offset().saturating_sub(self.base).min(self.text.len());
        let len = span.len().min(self.text.len() - offset);
        let local = SourceSpan::new(offset.into(), len);
        let contents = self.text.read_span(&local, before, after)?;
        let global =
            SourceSpan::new((contents.span().offset() + self.base).into(), contents.span().len());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            global,
            contents.line() + self.base_line,
            contents.column(),
            contents.line_count(),
        )))
    }
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

/// One `PATH: error[unreadable-source]: REASON` line per source file of `sources` that could not
/// be read or parsed, appended to `out`; returns how many.
pub fn unreadable_sources(
    sources: &leastpriv_core::analyse::CrateSources,
    out: &mut String,
) -> usize {
    for (path, error) in &sources.errors {
        out.push_str(&unreadable_source(path, error));
    }
    sources.errors.len()
}

/// The `PATH: error[unreadable-source]: REASON` line of one source file.
pub fn unreadable_source(path: &Path, error: &str) -> String {
    format!(
        "{}: error[unreadable-source]: {}\n",
        escape_control(&path.display().to_string()),
        escape_control(error)
    )
}

#[cfg(test)]
mod tests {
    use super::Source;

    #[test]
    fn offsets_count_characters_per_line() {
        let text = "ab\ncdé f\n";
        let source = Source::new(text);
        assert_eq!(source.offset(1, 0), 0);
        assert_eq!(source.offset(2, 0), 3);
        assert_eq!(source.offset(2, 4), 3 + "cdé ".len());
        assert_eq!(source.offset(9, 0), text.len());
        assert_eq!(source.lines(2, 2), (3, text.len()));
        assert_eq!(source.lines(1, 7), (0, text.len()));
    }
}
