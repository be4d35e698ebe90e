//! The one length-prefixed text format of the role constant and of the disk cache's files:
//! texts as `LEN:BYTES`, counts and numbers as `DIGITS;`, tags (and absent values, `~`) as one
//! character. The facade's `Role` reads the constant's with its own reader (`src/constant.rs`):
//! it cannot depend on the engine.

use std::fmt::Write as _;
use std::path::Path;

/// Writes the format.
#[derive(Default)]
pub(crate) struct Writer(pub(crate) String);

impl Writer {
    /// A writer whose text starts with `header`.
    pub(crate) fn starting(header: &str) -> Self {
        Self(header.to_owned())
    }

    pub(crate) fn text(&mut self, text: &str) {
        let _ = write!(self.0, "{}:{text}", text.len());
    }

    /// A text, or `~` when absent.
    pub(crate) fn optional(&mut self, text: Option<&str>) {
        match text {
            Some(text) => self.text(text),
            None => self.tag('~'),
        }
    }

    /// A path as its text; `None` when it is not UTF-8.
    pub(crate) fn path(&mut self, path: &Path) -> Option<()> {
        self.text(path.to_str()?);
        Some(())
    }

    pub(crate) fn number(&mut self, n: u64) {
        let _ = write!(self.0, "{n};");
    }

    pub(crate) fn count(&mut self, n: usize) {
        let _ = write!(self.0, "{n};");
    }

    /// A count, then each text.
    pub(crate) fn texts<'a>(&mut self, texts: impl ExactSizeIterator<Item = &'a str>) {
        self.count(texts.len());
        for text in texts {
            self.text(text);
        }
    }

    pub(crate) fn tag(&mut self, tag: char) {
        self.0.push(tag);
    }
}

/// Reads what [`Writer`] wrote; every method is `None` on anything else.
pub(crate) struct Reader<'a>(pub(crate) &'a str);

impl<'a> Reader<'a> {
    pub(crate) fn number(&mut self) -> Option<u64> {
        let (digits, rest) = self.0.split_once(';')?;
        self.0 = rest;
        digits.parse().ok()
    }

    pub(crate) fn count(&mut self) -> Option<usize> {
        usize::try_from(self.number()?).ok()
    }

    pub(crate) fn text(&mut self) -> Option<&'a str> {
        let (len, rest) = self.0.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let text = rest.get(..len)?;
        self.0 = rest.get(len..)?;
        Some(text)
    }

    /// A text, or `None` for `~` (the outer `None`: neither).
    pub(crate) fn optional(&mut self) -> Option<Option<&'a str>> {
        if self.0.starts_with('~') {
            self.tag()?;
            return Some(None);
        }
        self.text().map(Some)
    }

    pub(crate) fn tag(&mut self) -> Option<char> {
        let tag = self.0.chars().next()?;
        self.0 = self.0.get(tag.len_utf8()..)?;
        Some(tag)
    }

    /// Whether everything was read.
    pub(crate) fn is_done(&self) -> bool {
        self.0.is_empty()
    }
}
