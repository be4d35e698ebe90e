//! Resource hints: what the analysis can tell about a string argument's value.

use syn::{Expr, ExprLit, Lit};

/// What a setter's argument is known to be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Hint {
    /// A string literal (or a const holding one).
    Literal(String),
    /// The value of an environment variable (`env::var("UPLOAD_BUCKET")`).
    Env(String),
    /// Unknown.
    Unknown,
}

impl Hint {
    /// True when something is known.
    pub fn is_known(&self) -> bool {
        !matches!(self, Hint::Unknown)
    }
}

/// Methods that return (a view of) their receiver's value unchanged, for hint purposes.
pub(crate) const PASS_THROUGH: &[&str] = &[
    "clone",
    "as_str",
    "as_ref",
    "as_deref",
    "to_string",
    "to_owned",
    "into",
    "borrow",
    "deref",
    "unwrap",
    "expect",
    "unwrap_or_default",
    "unwrap_or",
    "unwrap_or_else",
    "ok",
    "context",
    "with_context",
    "map_err",
    "get",
    "get_or_init",
    "trim",
];

/// The hint of an expression, given how to look up local names and consts.
pub(crate) fn hint_of(
    expr: &Expr,
    local: &dyn Fn(&str) -> Option<Hint>,
    konst: &dyn Fn(&str) -> Option<String>,
    field: &dyn Fn(&syn::ExprField) -> Option<Hint>,
) -> Hint {
    match expr {
        Expr::Field(f) => field(f).unwrap_or(Hint::Unknown),
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Hint::Literal(s.value()),
        Expr::Reference(r) => hint_of(&r.expr, local, konst, field),
        Expr::Paren(p) => hint_of(&p.expr, local, konst, field),
        Expr::Group(g) => hint_of(&g.expr, local, konst, field),
        Expr::Try(t) => hint_of(&t.expr, local, konst, field),
        Expr::Await(a) => hint_of(&a.base, local, konst, field),
        Expr::Unary(u) => hint_of(&u.expr, local, konst, field),
        Expr::Path(p) => {
            let Some(ident) = p.path.get_ident().map(ToString::to_string) else {
                // `config::BUCKET` style paths: look at the last segment as a const.
                return p
                    .path
                    .segments
                    .last()
                    .and_then(|s| konst(&s.ident.to_string()))
                    .map_or(Hint::Unknown, Hint::Literal);
            };
            if let Some(hint) = local(&ident) {
                return hint;
            }
            konst(&ident).map_or(Hint::Unknown, Hint::Literal)
        }
        Expr::MethodCall(m) if PASS_THROUGH.contains(&m.method.to_string().as_str()) => {
            hint_of(&m.receiver, local, konst, field)
        }
        Expr::Call(call) => {
            let Expr::Path(func) = &*call.func else { return Hint::Unknown };
            let segments: Vec<String> =
                func.path.segments.iter().map(|s| s.ident.to_string()).collect();
            let last = segments.last().map(String::as_str).unwrap_or_default();
            let is_env = matches!(last, "var" | "var_os")
                && (segments.len() == 1 || segments.iter().any(|s| s == "env"));
            if is_env {
                return match call.args.first().map(|a| hint_of(a, local, konst, field)) {
                    Some(Hint::Literal(name)) => Hint::Env(name),
                    _ => Hint::Unknown,
                };
            }
            if matches!(last, "from" | "new" | "Some" | "Ok")
                && call.args.len() == 1
                && let Some(arg) = call.args.first()
            {
                return hint_of(arg, local, konst, field);
            }
            Hint::Unknown
        }
        _ => Hint::Unknown,
    }
}
