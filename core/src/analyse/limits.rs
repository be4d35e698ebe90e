//! Bounds on what the analysis reads: regular files only, of bounded size, nested to a bounded
//! depth, each directory once.
//!
//! `syn` parses and the analysis walks Rust recursively, so a file nested thousands of levels
//! deep (generated or hostile) would overflow the stack; a symbolic link loop in `src/` would
//! be walked forever; a `.rs` name on a pipe or device would block or read without end. Each is
//! an error naming the file and the limit instead.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::observe::Kind;

/// The largest source file read, in bytes (hand-written Rust files stay far below).
pub(crate) const MAX_SOURCE_BYTES: u64 = 16 * 1024 * 1024;

/// How deeply brackets (`(`, `[`, `{`) may nest in a source file; real code stays below 40.
pub(crate) const MAX_NESTING: usize = 128;

/// How many tokens an expression may chain on its way down from an item, counting the tokens
/// before it in each enclosing statement (`!!!…x`, `1 + 1 + …`, `x.a().b()…` nest as deeply as
/// they are long). Real statements stay in the hundreds; `syn` overflows an 8 MiB stack near
/// 8,000.
pub(crate) const MAX_CHAIN: usize = 3000;

/// Why a source file was not read.
#[derive(Debug)]
pub(crate) struct ReadError {
    /// The reason, for messages.
    pub(crate) message: String,
    /// The file breaks an input bound (its size) rather than being unreadable.
    pub(crate) over_limit: bool,
}

impl ReadError {
    fn unreadable(message: impl Into<String>) -> Self {
        Self { message: message.into(), over_limit: false }
    }

    fn too_large(message: String) -> Self {
        Self { message, over_limit: true }
    }
}

/// Reads a source file: a regular file (a symbolic link to one is fine) of at most
/// [`MAX_SOURCE_BYTES`], in UTF-8.
pub(crate) fn read_source(path: &Path) -> Result<String, ReadError> {
    let len = match crate::observe::kind(path) {
        Kind::File(len) => len,
        Kind::Missing => {
            // The reason (not found, permission denied) as the system gives it.
            let reason = std::fs::metadata(path).err().map(|e| e.to_string());
            return Err(ReadError::unreadable(reason.unwrap_or_else(|| "not found".to_owned())));
        }
        Kind::Dir | Kind::Other => {
            return Err(ReadError::unreadable(
                "not a regular file (a directory, pipe, socket or device); only regular .rs \
                 files are read",
            ));
        }
    };
    if len > MAX_SOURCE_BYTES {
        return Err(ReadError::too_large(format!(
            "{len} bytes, more than the {MAX_SOURCE_BYTES} a source file may have"
        )));
    }
    // The file may grow between the check and the read: read one byte past the limit at most.
    let bytes = crate::observe::read(path, MAX_SOURCE_BYTES + 1)
        .map_err(|e| ReadError::unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(ReadError::too_large(format!(
            "more than the {MAX_SOURCE_BYTES} bytes a source file may have"
        )));
    }
    String::from_utf8(bytes).map_err(|_| ReadError::unreadable("not valid UTF-8"))
}

/// Checks that brackets outside comments and literals nest at most [`MAX_NESTING`] deep and
/// expressions chain at most [`MAX_CHAIN`] tokens, so that parsing and walking the file cannot
/// overflow the stack.
pub(crate) fn check_nesting(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    let mut line = 1usize;
    // Tokens since the last `;`, `,` or block end, per open bracket, and their sum.
    let mut runs: Vec<usize> = vec![0];
    let mut chain = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let token = b.is_ascii_punctuation() && !b"()[]{};,\"'/_".contains(&b)
            || (is_ident(b) && (i == 0 || !is_ident(bytes[i - 1])));
        if token {
            chain += 1;
            if let Some(run) = runs.last_mut() {
                *run += 1;
            }
            if chain > MAX_CHAIN {
                return Err(format!(
                    "line {line}: an expression chains more than {MAX_CHAIN} operators, calls \
                     or tokens; leastpriv reads code nested at most that deep (split it into \
                     statements)"
                ));
            }
        }
        match b {
            b'\n' => line += 1,
            b'(' | b'[' | b'{' => {
                runs.push(0);
                if runs.len() > MAX_NESTING + 1 {
                    return Err(format!(
                        "line {line}: brackets nest more than {MAX_NESTING} deep; leastpriv \
                         reads code nested at most that deep (split the expression or block)"
                    ));
                }
            }
            b')' | b']' | b'}' => {
                if runs.len() > 1 {
                    chain -= runs.pop().unwrap_or(0);
                }
                // A block ends a statement or an item, unless an `else` follows (an
                // `else if` chain nests).
                let else_follows = text[i + 1..].trim_start().starts_with("else");
                if b == b'}'
                    && !else_follows
                    && let Some(run) = runs.last_mut()
                {
                    chain -= *run;
                    *run = 0;
                }
            }
            b';' | b',' => {
                if let Some(run) = runs.last_mut() {
                    chain -= *run;
                    *run = 0;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut level = 0usize;
                while i < bytes.len() {
                    match (bytes[i], bytes.get(i + 1)) {
                        (b'/', Some(b'*')) => {
                            level += 1;
                            i += 2;
                        }
                        (b'*', Some(b'/')) => {
                            level -= 1;
                            i += 2;
                            if level == 0 {
                                break;
                            }
                        }
                        (b'\n', _) => {
                            line += 1;
                            i += 1;
                        }
                        _ => i += 1,
                    }
                }
                continue;
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'#' | b'"'))
                && (i == 0
                    || !is_ident(bytes[i - 1])
                    || bytes[i - 1] == b'b'
                    || bytes[i - 1] == b'c') =>
            {
                // A raw string: r"…", r#"…"#, br##"…"##.
                let hashes = bytes[i + 1..].iter().take_while(|b| **b == b'#').count();
                if bytes.get(i + 1 + hashes) == Some(&b'"') {
                    let mut j = i + 2 + hashes;
                    loop {
                        match bytes.get(j) {
                            None => return Ok(()),
                            Some(b'"')
                                if bytes.len() >= j + 1 + hashes
                                    && bytes[j + 1..j + 1 + hashes].iter().all(|b| *b == b'#') =>
                            {
                                i = j + 1 + hashes;
                                break;
                            }
                            Some(b'\n') => line += 1,
                            _ => {}
                        }
                        j += 1;
                    }
                    continue;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    match bytes[i] {
                        b'\\' => i += 1,
                        b'\n' => line += 1,
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'\'' => {
                // A character literal ('x', '\n', '\u{…}', '(') or a lifetime/label ('a).
                if bytes.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < bytes.len() && bytes[i] != b'\'' && bytes[i] != b'\n' {
                        i += 1;
                    }
                } else {
                    let width = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                    if bytes.get(i + 1 + width) == Some(&b'\'') {
                        i += 1 + width;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The same bounds over a token tree that its walker descends without recursion (the
/// attribute's and the handler's tokens, in the proc macro and the declaration parser):
/// [`MAX_NESTING`] groups deep and [`MAX_CHAIN`] tokens chained since the last `,` or `;` of each
/// enclosing group. Stricter than [`check_nesting`] (a block's end does not end a run), which
/// only matters for token trees no file check has seen.
#[derive(Debug)]
struct TokenBounds {
    /// Tokens since the last separator, per open group.
    runs: Vec<usize>,
    /// Their sum.
    chain: usize,
}

impl Default for TokenBounds {
    fn default() -> Self {
        Self { runs: vec![0], chain: 0 }
    }
}

impl TokenBounds {
    /// One token that is not a group; a separator (`,` or `;`) ends the current run.
    fn token(&mut self, separator: bool) -> Result<(), String> {
        let Some(run) = self.runs.last_mut() else { return Ok(()) };
        if separator {
            self.chain -= *run;
            *run = 0;
            return Ok(());
        }
        *run += 1;
        self.chain += 1;
        if self.chain > MAX_CHAIN {
            return Err(format!(
                "an expression chains more than {MAX_CHAIN} operators, calls or tokens; \
                 leastpriv reads code nested at most that deep"
            ));
        }
        Ok(())
    }

    /// A group opens (its tokens follow, then [`TokenBounds::close`]).
    fn open(&mut self) -> Result<(), String> {
        self.runs.push(0);
        if self.runs.len() > MAX_NESTING + 1 {
            return Err(format!(
                "brackets nest more than {MAX_NESTING} deep; leastpriv reads code nested at most \
                 that deep"
            ));
        }
        Ok(())
    }

    /// The innermost open group closes.
    fn close(&mut self) {
        if self.runs.len() > 1 {
            self.chain -= self.runs.pop().unwrap_or(0);
        }
    }
}

/// What a token is to [`check_tree`]: a group (with an iterator over its tokens), a separator
/// (`,` or `;`) or any other token.
#[derive(Debug)]
pub enum TokenShape<I> {
    /// A delimited group and its tokens.
    Group(I),
    /// `,` or `;`.
    Separator,
    /// Any other token.
    Other,
}

/// Checks a token tree against [`TokenBounds`] without recursion, so that parsing it with `syn`
/// (which recurses) cannot overflow the stack. Generic over the token type: the proc macro runs it
/// on the compiler's tokens, the engine on proc-macro2's ([`check_tokens`]).
pub fn check_tree<I: Iterator>(
    root: I,
    shape: impl Fn(I::Item) -> TokenShape<I>,
) -> Result<(), String> {
    let mut bounds = TokenBounds::default();
    let mut stack = vec![root];
    while let Some(top) = stack.last_mut() {
        match top.next().map(&shape) {
            None => {
                stack.pop();
                bounds.close();
            }
            Some(TokenShape::Group(inner)) => {
                bounds.open()?;
                stack.push(inner);
            }
            Some(TokenShape::Separator) => bounds.token(true)?,
            Some(TokenShape::Other) => bounds.token(false)?,
        }
    }
    Ok(())
}

/// [`check_tree`] over proc-macro2 tokens.
pub fn check_tokens(tokens: &proc_macro2::TokenStream) -> Result<(), String> {
    use proc_macro2::TokenTree;
    check_tree(tokens.clone().into_iter(), |token| match token {
        TokenTree::Group(group) => TokenShape::Group(group.stream().into_iter()),
        TokenTree::Punct(p) if matches!(p.as_char(), ',' | ';') => TokenShape::Separator,
        _ => TokenShape::Other,
    })
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every `.rs` regular file in or below `dir`, each directory visited once by its canonical
/// path (a symbolic link back up is not followed again); the directories listed go to `dirs`.
pub(crate) fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>, dirs: &mut Vec<PathBuf>) {
    let mut visited: HashSet<PathBuf> = HashSet::new();
    let mut files: HashSet<PathBuf> = HashSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Some(canon) = crate::observe::canonicalize(&dir) else { continue };
        if !visited.insert(canon) {
            continue;
        }
        dirs.push(dir.clone());
        let Some(names) = crate::observe::entry_names(&dir) else { continue };
        for name in names {
            let path = dir.join(name);
            match crate::observe::kind(&path) {
                Kind::Dir => pending.push(path),
                Kind::File(_)
                    if path.extension().is_some_and(|e| e == "rs")
                        && files.insert(
                            crate::observe::canonicalize(&path).unwrap_or_else(|| path.clone()),
                        ) =>
                {
                    out.push(path);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn token_trees_are_bounded_without_recursion() {
        let parse = |text: &str| text.parse::<proc_macro2::TokenStream>().unwrap();
        let fine = parse("s3(read, bucket = \"b\", tags = [\"A=b\"]), name = \"X\"");
        assert!(check_tokens(&fine).is_ok());
        let nested = |depth: usize| parse(&format!("{}1{}", "(".repeat(depth), ")".repeat(depth)));
        assert!(check_tokens(&nested(MAX_NESTING)).is_ok());
        let err = check_tokens(&nested(MAX_NESTING + 1)).unwrap_err();
        assert!(err.contains("nest more than 128"), "{err}");
        // Deep enough to overflow a recursive walk on a small stack.
        assert!(check_tokens(&nested(50_000)).is_err());
        let chain = |n: usize| parse(&format!("x = {}y", "!".repeat(n)));
        assert!(check_tokens(&chain(MAX_CHAIN - 5)).is_ok());
        assert!(check_tokens(&chain(MAX_CHAIN)).unwrap_err().contains("chains more than"));
        // Separators end runs: 10,000 short entries are fine.
        let wide = vec!["s3(read, bucket = \"b\")"; 10_000].join(", ");
        assert!(check_tokens(&parse(&wide)).is_ok());
    }

    #[test]
    fn nesting_counts_brackets_outside_comments_and_literals() {
        let ok = "fn f<'a>(x: &'a str) -> char { let _ = \"(((\"; let _ = r#\"[[[\"#; \
                  // (((((\n /* [[[ /* ((( */ ]]] */ '(' }";
        assert!(check_nesting(ok).is_ok());
        let deep = format!("fn f() {{ {}1{} }}", "(".repeat(4000), ")".repeat(4000));
        let err = check_nesting(&deep).unwrap_err();
        assert!(err.contains("more than 128"), "{err}");
        let blocks = format!("fn f() {}{}", "{".repeat(1750), "}".repeat(1750));
        assert!(check_nesting(&blocks).is_err());
        for chain in [
            "!".repeat(8000) + "x",
            "1".to_owned() + &"+1".repeat(5000),
            "x".to_owned() + &".a()".repeat(5000),
        ] {
            let err = check_nesting(&format!("fn f() {{ let _ = {chain}; }}")).unwrap_err();
            assert!(err.contains("chains more than"), "{err}");
        }
        let chain = format!("fn f() {{ if a {{}}{} }}", " else if a {}".repeat(20_000));
        assert!(check_nesting(&chain).unwrap_err().contains("chains more than"));
        // Many items and statements, each short: fine.
        let items = "fn f() { let a = x.b().c(1, 2); a.d()?; }\n".repeat(10_000);
        assert!(check_nesting(&items).is_ok());
        let fine = format!("fn f() {{ {}1{} }}", "(".repeat(100), ")".repeat(100));
        assert!(check_nesting(&fine).is_ok());
    }
}
