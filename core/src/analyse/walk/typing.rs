//! What the walk knows of expressions' types: bindings, fields, statics, constructors, returns,
//! and configs filled from the environment.

use std::collections::HashMap;

use syn::visit::{self, Visit};
use syn::{Expr, ExprCall};

use super::Walker;
use crate::analyse::sources::FnEntry;
use crate::analyse::types::{self, TypeInfo};
use crate::analyse::values::{self, Hint};

impl Walker<'_, '_> {
    pub(super) fn type_of(&self, expr: &Expr) -> TypeInfo {
        match expr {
            Expr::Path(p) => {
                let Some(ident) = p.path.get_ident().map(ToString::to_string) else {
                    return TypeInfo::Unknown;
                };
                if let Some(b) = self.lookup(&ident) {
                    return b.ty.clone();
                }
                // A `static` client (`static S3: OnceCell<aws_sdk_s3::Client>`).
                match self.input.sources.statics.get(&ident) {
                    Some((file, ty)) => {
                        let empty = HashMap::new();
                        let aliases =
                            self.input.sources.files.get(*file).map_or(&empty, |f| &f.aliases);
                        types::resolve(ty, aliases, None)
                    }
                    None => TypeInfo::Unknown,
                }
            }
            Expr::Reference(r) => self.type_of(&r.expr),
            Expr::Paren(p) => self.type_of(&p.expr),
            Expr::Group(g) => self.type_of(&g.expr),
            Expr::Unary(u) => self.type_of(&u.expr),
            Expr::Try(t) => self.type_of(&t.expr),
            Expr::Await(a) => self.type_of(&a.base),
            Expr::Field(f) => {
                let TypeInfo::Named(owner) = self.type_of(&f.base) else {
                    return TypeInfo::Unknown;
                };
                let member = match &f.member {
                    syn::Member::Named(ident) => ident.to_string(),
                    syn::Member::Unnamed(index) => index.index.to_string(),
                };
                match self.input.sources.field_type(&owner, &member) {
                    Some(ty) => self.resolve_type(ty),
                    None => TypeInfo::Unknown,
                }
            }
            Expr::MethodCall(m)
                if values::PASS_THROUGH.contains(&m.method.to_string().as_str()) =>
            {
                self.type_of(&m.receiver)
            }
            Expr::MethodCall(m) => {
                // A method of the crate with a declared return type.
                let owner = match self.type_of(&m.receiver) {
                    TypeInfo::Named(owner) => Some(owner),
                    _ => None,
                };
                let found = self.input.sources.methods(owner.as_deref(), &m.method.to_string());
                match found.as_slice() {
                    [one] => self.return_type(one),
                    _ => TypeInfo::Unknown,
                }
            }
            Expr::Call(call) => self.call_type(call),
            Expr::Struct(s) => s.path.segments.last().map_or(TypeInfo::Unknown, |seg| {
                match seg.ident.to_string().as_str() {
                    "Self" => self.self_ty.clone().map_or(TypeInfo::Unknown, TypeInfo::Named),
                    name => TypeInfo::Named(name.to_owned()),
                }
            }),
            _ => TypeInfo::Unknown,
        }
    }

    pub(super) fn return_type(&self, f: &FnEntry) -> TypeInfo {
        match &f.sig.output {
            syn::ReturnType::Type(_, ty) => {
                let empty = HashMap::new();
                let aliases = self.input.sources.files.get(f.file).map_or(&empty, |s| &s.aliases);
                let ty = unwrap_result(ty);
                types::resolve(ty, aliases, f.self_ty.as_deref())
            }
            syn::ReturnType::Default => TypeInfo::Unknown,
        }
    }

    pub(super) fn call_type(&self, call: &ExprCall) -> TypeInfo {
        let Expr::Path(func) = &*call.func else { return TypeInfo::Unknown };
        let segments: Vec<String> =
            func.path.segments.iter().map(|s| s.ident.to_string()).collect();
        let Some(last) = segments.last().map(String::as_str) else { return TypeInfo::Unknown };
        if matches!(last, "new" | "from_conf" | "from") && segments.len() >= 2 {
            let owner = &segments[..segments.len() - 1];
            let empty = HashMap::new();
            let full = types::expand(owner, self.aliases().unwrap_or(&empty));
            if let Some(krate) = types::client_crate(&full) {
                return TypeInfo::Client(krate);
            }
            if matches!(owner.last().map(String::as_str), Some("Arc" | "Box" | "Rc" | "Some")) {
                return call.args.first().map_or(TypeInfo::Unknown, |a| self.type_of(a));
            }
        }
        if matches!(last, "Some" | "Ok") {
            return call.args.first().map_or(TypeInfo::Unknown, |a| self.type_of(a));
        }
        let found = self.callee(&segments);
        match found.as_slice() {
            [one] => self.return_type(one),
            _ if segments.len() >= 2 && last == "new" => {
                segments.get(segments.len() - 2).map_or(TypeInfo::Unknown, |o| {
                    if o == "Self" {
                        self.self_ty.clone().map_or(TypeInfo::Unknown, TypeInfo::Named)
                    } else {
                        TypeInfo::Named(o.clone())
                    }
                })
            }
            _ => TypeInfo::Unknown,
        }
    }

    /// Crate functions a call path may name: `helper`, `module::helper`, `Store::new`,
    /// `Self::new`.
    pub(super) fn callee(&self, segments: &[String]) -> Vec<&FnEntry> {
        let Some(last) = segments.last() else { return Vec::new() };
        if segments.len() >= 2 {
            let owner = &segments[segments.len() - 2];
            let owner = if owner == "Self" { self.self_ty.clone() } else { Some(owner.clone()) };
            if let Some(owner) = owner {
                let methods = self.input.sources.methods(Some(&owner), last);
                if !methods.is_empty() {
                    return methods;
                }
            }
        }
        // A function of the current file shadows same-named ones elsewhere (each binary's
        // `src/bin/*.rs` has its own namespace).
        if segments.len() == 1
            && let Some(file) = self.file
        {
            let here = self.input.sources.free_fns_in(file, last);
            if !here.is_empty() {
                return here;
            }
        }
        self.input.sources.free_fns(last)
    }

    /// A config struct filled from the environment: every field is read from the variable of
    /// its name in upper case, after the source's prefix. Recognised sources:
    /// `envy::from_env::<C>()` / `envy::prefixed("P_").from_env::<C>()`,
    /// figment's `Figment::new().merge(Env::prefixed("P_")).extract::<C>()`, and the config
    /// crate's `Config::builder().add_source(Environment::with_prefix("P")).build()?
    /// .try_deserialize::<C>()` (prefix and field joined by `_`). The target type comes from the
    /// turbofish or the binding's declared type.
    pub(super) fn env_config(&mut self, expr: &Expr, bound: &TypeInfo) -> Option<String> {
        struct Sources<'w, 'a, 'i> {
            walker: &'w Walker<'a, 'i>,
            from_env: bool,
            prefix: Option<String>,
            target: Option<String>,
        }
        impl<'ast> Visit<'ast> for Sources<'_, '_, '_> {
            fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
                if matches!(
                    m.method.to_string().as_str(),
                    "from_env" | "extract" | "try_deserialize" | "try_into"
                ) {
                    self.target = self.target.take().or_else(|| turbofish(m.turbofish.as_ref()));
                }
                visit::visit_expr_method_call(self, m);
            }

            fn visit_expr_call(&mut self, call: &'ast ExprCall) {
                if let Expr::Path(func) = &*call.func {
                    let segments: Vec<String> =
                        func.path.segments.iter().map(|s| s.ident.to_string()).collect();
                    let first = segments.first().map(String::as_str).unwrap_or_default();
                    let owner =
                        segments.iter().rev().nth(1).map(String::as_str).unwrap_or_default();
                    let last = segments.last().map(String::as_str).unwrap_or_default();
                    let literal = || match call.args.first().map(|a| self.walker.hint(a)) {
                        Some(Hint::Literal(p)) => Some(p),
                        _ => None,
                    };
                    match (first, owner, last) {
                        ("envy", _, "from_env") => {
                            self.from_env = true;
                            let generic =
                                func.path.segments.last().and_then(|s| match &s.arguments {
                                    syn::PathArguments::AngleBracketed(a) => turbofish(Some(a)),
                                    _ => None,
                                });
                            self.target = self.target.take().or(generic);
                        }
                        ("envy", _, "prefixed") | (_, "Env", "prefixed") => {
                            self.from_env = true;
                            self.prefix = literal();
                        }
                        (_, "Env", "raw") => self.from_env = true,
                        (_, "Environment", "with_prefix") => {
                            self.from_env = true;
                            self.prefix = literal().map(|p| format!("{p}_"));
                        }
                        (_, "Environment", "default" | "new") => self.from_env = true,
                        _ => {}
                    }
                }
                visit::visit_expr_call(self, call);
            }
        }
        let mut found = Sources { walker: self, from_env: false, prefix: None, target: None };
        found.visit_expr(expr);
        if !found.from_env {
            return None;
        }
        let prefix = found.prefix.unwrap_or_default();
        let owner = found.target.or(match bound {
            TypeInfo::Named(name) => Some(name.clone()),
            _ => None,
        })?;
        let fields = self.input.sources.structs.get(&owner)?;
        for field in fields.keys() {
            let var = format!("{prefix}{}", field.to_ascii_uppercase());
            self.out.field_hints.insert((owner.clone(), field.clone()), Hint::Env(var));
        }
        Some(owner)
    }
}

/// `Result<T, E>` → `T`, for return types.
fn unwrap_result(ty: &syn::Type) -> &syn::Type {
    if let syn::Type::Path(p) = ty
        && let Some(last) = p.path.segments.last()
        && last.ident == "Result"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return inner;
    }
    ty
}

/// The type named by a method turbofish (`from_env::<Config>()`).
fn turbofish(t: Option<&syn::AngleBracketedGenericArguments>) -> Option<String> {
    t?.args.iter().find_map(|g| match g {
        syn::GenericArgument::Type(ty) => crate::analyse::sources::type_name(ty),
        _ => None,
    })
}
