//! Wildcard patterns with policy variables: action globs, IAM's ARN matching for `Resource`
//! and the `Arn*` operators, and `StringLike`.

use super::context::{Context, ContextValue};

/// A token of a pattern after policy variables are substituted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A character matched literally (also `*`, `?`, `$` written as `${*}`, `${?}`, `${$}`, and
    /// every character of a substituted variable).
    Lit(char),
    /// A `:` written in the policy: an ARN component boundary.
    Sep,
    /// `*`: any run of characters.
    Any,
    /// `?`: any one character.
    One,
}

/// A policy variable with no value in the request context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved(pub(crate) String);

/// The text a variable stands for, if it has one.
fn variable(inner: &str, context: &Context) -> Result<String, Unresolved> {
    match inner {
        "*" | "?" | "$" => return Ok(inner.to_owned()),
        _ => {}
    }
    // `${key, 'default'}`
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let default =
                default.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')).unwrap_or(default);
            (key.trim(), Some(default))
        }
        None => (inner.trim(), None),
    };
    match context.get(key) {
        // A multivalued key cannot stand in for one string.
        Some([one]) => Ok(one.as_text().into_owned()),
        _ => default.map(str::to_owned).ok_or_else(|| Unresolved(key.to_owned())),
    }
}

/// Tokenizes `text`. With `context`, `${…}` policy variables are substituted (policy version
/// `2012-10-17`); without, they stay literal text.
pub(crate) fn tokens(text: &str, context: Option<&Context>) -> Result<Vec<Tok>, Unresolved> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let (Some(context), Some(after)) = (context, rest.strip_prefix("${"))
            && let Some(end) = after.find('}')
        {
            out.extend(variable(&after[..end], context)?.chars().map(Tok::Lit));
            rest = &after[end + 1..];
            continue;
        }
        out.push(match c {
            '*' => Tok::Any,
            '?' => Tok::One,
            ':' => Tok::Sep,
            c => Tok::Lit(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

/// The text of tokens, for comparisons without wildcards (`StringEquals`): wildcards are
/// ordinary characters there.
pub(crate) fn text_of(tokens: &[Tok]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Tok::Lit(c) => *c,
            Tok::Sep => ':',
            Tok::Any => '*',
            Tok::One => '?',
        })
        .collect()
}

/// Whether `pattern` matches all of `text` (`*` any run, including `:`; `?` one character).
pub(crate) fn glob(pattern: &[Tok], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Tok::Any) => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            Some(Tok::Sep) if text[t] == ':' => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, from)) => {
                    p = star + 1;
                    t = from + 1;
                    backtrack = Some((star, from + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|tok| *tok == Tok::Any)
}

/// Whether an action pattern matches an action: the whole string, case-insensitively, with
/// `*` and `?`.
pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    // Actions take no policy variables: `${` is plain text here.
    tokens(&pattern.to_lowercase(), None).is_ok_and(|toks| glob(&toks, &action.to_lowercase()))
}

/// Splits pattern tokens at the first five component boundaries (an ARN has six components;
/// the last, the resource id, may itself contain colons).
fn components(pattern: &[Tok]) -> Vec<&[Tok]> {
    let mut out = Vec::with_capacity(6);
    let mut start = 0;
    for (i, tok) in pattern.iter().enumerate() {
        if *tok == Tok::Sep && out.len() < 5 {
            out.push(&pattern[start..i]);
            start = i + 1;
        }
    }
    out.push(&pattern[start..]);
    out
}

/// Whether an ARN pattern matches an ARN, as IAM matches the `Resource` element and the `Arn*`
/// operators: component by component (wildcards stay inside their component), except that a
/// `*` ending the pattern's last component may run on across colons
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>).
/// A value that is not an ARN (such as `*`) is matched as a whole string.
pub(crate) fn arn_matches(pattern: &[Tok], arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let pats = components(pattern);
    if parts.len() < 6 || pats.len() == 1 {
        return glob(pattern, arn);
    }
    let n = pats.len();
    if n == parts.len() {
        return pats.iter().zip(&parts).all(|(p, part)| glob(p, part));
    }
    let absorbs = pats[n - 1].last() == Some(&Tok::Any);
    absorbs
        && pats[..n - 1].iter().zip(&parts).all(|(p, part)| glob(p, part))
        && glob(pats[n - 1], &parts[n - 1..].join(":"))
}

/// The text of a context value for string-style comparisons.
pub(crate) fn value_text(value: &ContextValue) -> String {
    value.as_text().into_owned()
}
