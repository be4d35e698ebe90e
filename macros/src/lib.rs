//! `#[leastpriv::role(...)]`: a thin shell that hands the tokens to `leastpriv-core`.
//!
//! See the `leastpriv` crate for the attribute's documentation.
//!
//! The engine works on proc-macro2's own tokens, never on the compiler's, so its parsed sources
//! stay valid from one expansion to the next and a crate's files are read and parsed once per
//! compiler process rather than once per handler. The handler is taken from its parsed file when
//! the compiler's positions match (errors are then placed by line and column); otherwise the
//! attribute's and the handler's tokens are re-parsed from their text and each re-parsed token
//! remembers the compiler token it stands for (`SpanMap`).

use std::collections::HashMap;

use leastpriv_core::expand::{Expansion, FileExpansion, HandlerPosition};
use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Declares what a Lambda handler may touch; the compiler then checks the handler's SDK calls
/// against it. Documented in the `leastpriv` facade crate.
#[proc_macro_attribute]
pub fn role(attr: TokenStream, item: TokenStream) -> TokenStream {
    // Every token the engine makes is proc-macro2's own from here on (this macro's copy of
    // proc-macro2 only; other macros are not affected).
    proc_macro2::fallback::force();
    let manifest_dir: Option<std::path::PathBuf> =
        std::env::var_os("CARGO_MANIFEST_DIR").map(Into::into);
    let site = Span::call_site();
    let handler_file = site.local_file();
    // In a compiler process the tokens are the file's, so the attribute's place in its file
    // names the handler: a saved expansion is found without reading the handler's tokens.
    let attribute_at = (leastpriv_core::expand::is_compiler_process() && handler_file.is_some())
        .then(|| site.column().checked_sub(1).map(|column| (site.line(), column)))
        .flatten();
    let cx = leastpriv_core::expand::MacroContext {
        disk_cache: manifest_dir.as_deref().and_then(leastpriv_core::expand::default_cache_dir),
        manifest_dir,
        handler_file,
        guard_table: cfg!(feature = "runtime"),
        attribute_at,
    };
    // The usual case: the handler is in its file as the compiler read it, saved on disk by an
    // earlier compiler process or already parsed by the engine for an earlier handler; nothing
    // is re-parsed and spans are looked up only for errors (each compiler token's position is a
    // call into the compiler: thousands per handler).
    if let Some(expansion) =
        leastpriv_core::expand::expand_from_file(&cx, || handler_position(&item))
    {
        return finish_from_file(item, &attr, expansion);
    }
    // Re-parsing walks the tokens recursively (here and in `syn`): absurd nesting is an error.
    let too_deep = within_bounds(&attr).and_then(|()| within_bounds(&item)).err();
    if let Some(reason) = too_deep {
        let mut out = item;
        let message = format!("`#[leastpriv::role]` cannot read this handler: {reason}");
        out.extend(compile_error(Span::call_site(), &message));
        return out;
    }
    let mut spans = SpanMap::default();
    let (attr2, item2) = match (spans.mirror(&attr), spans.mirror(&item)) {
        (Some(attr2), Some(item2)) => (attr2, item2),
        _ => {
            let mut out = item;
            out.extend(compile_error(
                Span::call_site(),
                "`#[leastpriv::role]` could not read the tokens it was given",
            ));
            return out;
        }
    };
    let line_of = |span: proc_macro2::Span| spans.get(span).map(|s| s.line());
    let lines = leastpriv_core::analyse::HandlerLines::Mapped(&line_of);
    let expansion = leastpriv_core::expand::expand(attr2, item2, &cx, lines);
    finish(item, &expansion, &spans)
}

/// The unchanged handler, then the constant, the tracked files and the errors.
fn finish(item: TokenStream, expansion: &Expansion, spans: &SpanMap) -> TokenStream {
    let errors = expansion.errors.iter().map(|(span, message)| {
        compile_error(spans.get(*span).unwrap_or_else(Span::call_site), message)
    });
    let errors: Vec<TokenStream> = errors.collect();
    joined(item, &expansion.role, &expansion.tracked, errors)
}

/// The unchanged handler, then the constant, the tracked files and the errors, placed at the
/// compiler's token at each error's line and column in the handler's file.
fn finish_from_file(
    item: TokenStream,
    attr: &TokenStream,
    expansion: FileExpansion,
) -> TokenStream {
    let spans = if expansion.errors.is_empty() {
        SpanMap::default()
    } else {
        SpanMap::by_position(attr, &item)
    };
    let errors = expansion.errors.iter().map(|(at, message)| {
        let span = at.and_then(|(line, column)| spans.at(line, column));
        compile_error(span.unwrap_or_else(Span::call_site), message)
    });
    let errors: Vec<TokenStream> = errors.collect();
    joined(item, &expansion.role, &expansion.tracked, errors)
}

/// The handler, the constant (its tokens get the call site's span, as `quote!` inside the
/// compiler gives), one `include_bytes!` per tracked file and the errors, joined as whole
/// streams in one call: extending a stream token by token makes the compiler split the constant
/// into trees and rebuild it, which cost as much as parsing it.
fn joined(
    item: TokenStream,
    role: &str,
    tracked: &[std::path::PathBuf],
    errors: Vec<TokenStream>,
) -> TokenStream {
    let tracked = tracked.iter().filter_map(|p| p.to_str()).filter_map(|path| {
        format!("const _: &[u8] = include_bytes!({path:?});").parse::<TokenStream>().ok()
    });
    std::iter::once(item)
        .chain(role.parse::<TokenStream>().ok())
        .chain(tracked)
        .chain(errors)
        .collect()
}

/// The handler's name and where the compiler read it: its name's start and its body's end.
fn handler_position(item: &TokenStream) -> Option<HandlerPosition> {
    let tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let fn_at =
        tokens.iter().position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "fn"))?;
    let TokenTree::Ident(name) = tokens.get(fn_at + 1)? else { return None };
    let TokenTree::Group(body) = tokens.last()? else { return None };
    let (start, end) = (name.span(), body.span().end());
    Some(HandlerPosition {
        name: name.to_string(),
        name_at: (start.line(), start.column().checked_sub(1)?),
        end_at: (end.line(), end.column().checked_sub(1)?),
    })
}

/// Checks the compiler's tokens against the engine's nesting bounds, without recursion.
fn within_bounds(tokens: &TokenStream) -> Result<(), String> {
    use leastpriv_core::analyse::TokenShape;
    leastpriv_core::analyse::check_tree(tokens.clone().into_iter(), |token| match token {
        TokenTree::Group(group) => TokenShape::Group(group.stream().into_iter()),
        TokenTree::Punct(p) if matches!(p.as_char(), ',' | ';') => TokenShape::Separator,
        _ => TokenShape::Other,
    })
}

/// `::core::compile_error! { "message" }` with every token at `span`.
fn compile_error(span: Span, message: &str) -> TokenStream {
    let mut literal = Literal::string(message);
    literal.set_span(span);
    let mut group = Group::new(Delimiter::Brace, TokenTree::from(literal).into());
    group.set_span(span);
    let punct = |c: char, spacing: Spacing| {
        let mut p = Punct::new(c, spacing);
        p.set_span(span);
        TokenTree::from(p)
    };
    [
        punct(':', Spacing::Joint),
        punct(':', Spacing::Alone),
        Ident::new("core", span).into(),
        punct(':', Spacing::Joint),
        punct(':', Spacing::Alone),
        Ident::new("compile_error", span).into(),
        punct('!', Spacing::Alone),
        group.into(),
    ]
    .into_iter()
    .collect()
}

/// Where a token the engine reports on starts → the compiler's token it stands for: keyed by the
/// re-parsed text and position (`mirror`) or by the file and position (`by_position`).
#[derive(Default)]
struct SpanMap {
    spans: HashMap<(String, usize, usize), Span>,
    /// Built from the compiler's positions: only the line and column count.
    by_position: bool,
}

impl SpanMap {
    /// The compiler's tokens of the attribute and the handler by their line and column (as
    /// proc-macro2 counts: columns from 0), for spans of the handler's file.
    fn by_position(attr: &TokenStream, item: &TokenStream) -> Self {
        let mut map = SpanMap { spans: HashMap::new(), by_position: true };
        map.record_positions(attr.clone());
        map.record_positions(item.clone());
        map
    }

    fn record_positions(&mut self, tokens: TokenStream) {
        for token in tokens {
            let span = token.span();
            if let Some(column) = span.column().checked_sub(1) {
                self.spans.entry((String::new(), span.line(), column)).or_insert(span);
            }
            if let TokenTree::Group(g) = token {
                self.record_positions(g.stream());
            }
        }
    }

    /// Re-parses `tokens` from their text with proc-macro2's own parser and records, token by
    /// token, which compiler token each new one stands for. Where the two disagree (a token the
    /// text cannot reproduce, such as a negative literal from a macro), recording stops and
    /// later problems are reported at the attribute.
    fn mirror(&mut self, tokens: &TokenStream) -> Option<proc_macro2::TokenStream> {
        let parsed: proc_macro2::TokenStream = tokens.to_string().parse().ok()?;
        self.align(tokens.clone(), parsed.clone());
        Some(parsed)
    }

    fn key(&self, span: proc_macro2::Span) -> (String, usize, usize) {
        let start = span.start();
        let file = if self.by_position { String::new() } else { span.file() };
        (file, start.line, start.column)
    }

    fn record(&mut self, ours: proc_macro2::Span, theirs: Span) {
        let key = self.key(ours);
        self.spans.entry(key).or_insert(theirs);
    }

    /// The compiler's token at a line (1-based) and column (0-based) of the handler's file
    /// (a map built [`by_position`](Self::by_position)).
    fn at(&self, line: usize, column: usize) -> Option<Span> {
        self.spans.get(&(String::new(), line, column)).copied()
    }

    /// The compiler's token for a span the engine reports (its first token's).
    fn get(&self, span: proc_macro2::Span) -> Option<Span> {
        if self.by_position && span.file() == "<unspecified>" {
            return None;
        }
        self.spans.get(&self.key(span)).copied()
    }

    /// Walks both trees side by side; false when they stop matching.
    fn align(&mut self, theirs: TokenStream, ours: proc_macro2::TokenStream) -> bool {
        let theirs = flatten_invisible(theirs);
        let mut ours = ours.into_iter();
        for their in theirs {
            let Some(our) = ours.next() else { return false };
            let matched = match (&their, &our) {
                (TokenTree::Group(t), proc_macro2::TokenTree::Group(o))
                    if same_delimiter(t.delimiter(), o.delimiter()) =>
                {
                    self.record(o.span(), t.span());
                    self.align(t.stream(), o.stream())
                }
                // The same kind of token at the same place is the same token, even where the
                // text is spelled differently (a doc comment's string).
                (TokenTree::Ident(t), proc_macro2::TokenTree::Ident(o)) => {
                    self.record(o.span(), t.span());
                    true
                }
                (TokenTree::Punct(t), proc_macro2::TokenTree::Punct(o)) => {
                    self.record(o.span(), t.span());
                    true
                }
                (TokenTree::Literal(t), proc_macro2::TokenTree::Literal(o)) => {
                    self.record(o.span(), t.span());
                    true
                }
                _ => false,
            };
            if !matched {
                return false;
            }
        }
        true
    }
}

/// The compiler's tokens with invisible groups (a `$e:expr` a `macro_rules!` passed on) opened:
/// their text has no delimiters, so the re-parsed tokens have no group there.
fn flatten_invisible(tokens: TokenStream) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for token in tokens {
        match token {
            TokenTree::Group(g) if g.delimiter() == Delimiter::None => {
                out.extend(flatten_invisible(g.stream()));
            }
            other => out.push(other),
        }
    }
    out
}

fn same_delimiter(theirs: Delimiter, ours: proc_macro2::Delimiter) -> bool {
    matches!(
        (theirs, ours),
        (Delimiter::Parenthesis, proc_macro2::Delimiter::Parenthesis)
            | (Delimiter::Brace, proc_macro2::Delimiter::Brace)
            | (Delimiter::Bracket, proc_macro2::Delimiter::Bracket)
    )
}
