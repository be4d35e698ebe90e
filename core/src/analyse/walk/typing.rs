//! What the walk knows of expressions' types: bindings, fields, statics, constructors, returns,
//! and configs filled from the environment.

use syn::visit::{self, Visit};
use syn::{Expr, ExprCall};

use super::Walker;
use crate::analyse::sources::Resolved;
use crate::analyse::types::{self, TypeCx, TypeInfo};
use crate::analyse::values::{Hint, PASS_THROUGH};

/// Calls that wrap their argument without looking into it (`Arc::new(client)`, `Some(x)`).
pub(super) fn is_wrapper_call(segments: &[String]) -> bool {
    let last = segments.last().map(String::as_str).unwrap_or_default();
    let owner = segments.iter().rev().nth(1).map(String::as_str).unwrap_or_default();
    matches!(last, "Some" | "Ok" | "Err" | "Extension" | "State" | "Data" | "identity" | "drop")
        || (matches!(last, "new" | "from" | "pin" | "clone" | "new_with")
            && matches!(
                owner,
                "Arc"
                    | "Rc"
                    | "Box"
                    | "Mutex"
                    | "RwLock"
                    | "OnceCell"
                    | "OnceLock"
                    | "Cell"
                    | "RefCell"
                    | "Pin"
                    | "Lazy"
                    | "LazyLock"
                    | "Cow"
                    | "From"
                    | "Into"
            ))
}

impl Walker<'_, '_> {
    /// The type of an expression already visited (no following, no recording).
    pub(super) fn type_of(&self, expr: &Expr) -> TypeInfo {
        match expr {
            Expr::Path(p) => {
                let Some(ident) = p.path.get_ident().map(ToString::to_string) else {
                    return TypeInfo::Unknown;
                };
                if let Some(b) = self.lookup(&ident) {
                    return b.ty.clone();
                }
                if ident == "self" {
                    return self.self_ty.clone().map_or(TypeInfo::Unknown, TypeInfo::Named);
                }
                // A unit struct's value (`OpenApiService::new(Api, …)`).
                if self.input.sources.structs.get(&ident).is_some_and(|f| f.is_empty())
                    && !self.input.sources.statics.contains_key(&ident)
                {
                    return TypeInfo::Named(ident);
                }
                // A `static` client (`static S3: OnceCell<aws_sdk_s3::Client>`).
                match self.input.sources.statics.get(&ident) {
                    Some((module, ty)) => {
                        let generics = Vec::new();
                        let cx = TypeCx {
                            sources: self.input.sources,
                            module,
                            self_ty: None,
                            generics: &generics,
                        };
                        cx.resolve(ty)
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
            Expr::Tuple(t) => TypeInfo::Tuple(t.elems.iter().map(|e| self.type_of(e)).collect()),
            Expr::Field(f) => {
                let member = match &f.member {
                    syn::Member::Named(ident) => ident.to_string(),
                    syn::Member::Unnamed(index) => index.index.to_string(),
                };
                match self.type_of(&f.base) {
                    TypeInfo::Named(owner) => self.field_of(&owner, &member),
                    // A field of a closed foreign value is foreign (see `TypeCx::resolve`).
                    TypeInfo::Foreign => TypeInfo::Foreign,
                    TypeInfo::Tuple(items) => member
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| items.get(i).cloned())
                        .unwrap_or(TypeInfo::Unknown),
                    _ => TypeInfo::Unknown,
                }
            }
            Expr::MethodCall(m) => {
                let receiver = self.type_of(&m.receiver);
                let name = m.method.to_string();
                // A collection's element accessor gives an element (as the walk evaluates it,
                // `chain.rs`).
                if let TypeInfo::Container(inner) = &receiver
                    && super::chain::ELEMENT.contains(&name.as_str())
                {
                    return (**inner).clone();
                }
                if PASS_THROUGH.contains(&name.as_str()) {
                    return receiver;
                }
                let (found, _) = self.dispatch(&receiver, &name);
                // A lock's guard is the locked value.
                if found.is_empty()
                    && receiver != TypeInfo::Unknown
                    && super::chain::GUARDS.contains(&name.as_str())
                {
                    return receiver;
                }
                self.common_return(&found)
            }
            Expr::Call(call) => self.call_type(call),
            Expr::Index(i) => match self.type_of(&i.expr) {
                TypeInfo::Container(inner) => *inner,
                _ => TypeInfo::Unknown,
            },
            Expr::Struct(s) => s.path.segments.last().map_or(TypeInfo::Unknown, |seg| {
                match seg.ident.to_string().as_str() {
                    "Self" => self.self_ty.clone().map_or(TypeInfo::Unknown, TypeInfo::Named),
                    name => TypeInfo::Named(name.to_owned()),
                }
            }),
            _ => TypeInfo::Unknown,
        }
    }

    /// The type of a call expression: a client constructor, a wrapper around its argument, a
    /// crate function's return type.
    pub(super) fn call_type(&self, call: &ExprCall) -> TypeInfo {
        let Expr::Path(func) = &*call.func else { return TypeInfo::Unknown };
        let segments: Vec<String> =
            func.path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(krate) = self.client_constructor(&segments) {
            return TypeInfo::Client(krate);
        }
        if is_wrapper_call(&segments) {
            return call.args.first().map_or(TypeInfo::Unknown, |a| self.type_of(a));
        }
        let (found, _) = self.resolve_fn(&segments, true);
        if !found.is_empty() {
            return self.common_return(&found);
        }
        self.constructed_type(&segments)
    }

    /// The type a call path that names no function of the crate makes: a tuple struct of the
    /// crate, a value of another crate's type, or `Type::new()` of a crate type.
    pub(super) fn constructed_type(&self, segments: &[String]) -> TypeInfo {
        let Some(last) = segments.last().map(String::as_str) else { return TypeInfo::Unknown };
        // A tuple struct of the crate built from its fields (`Clients(s3, sqs)`).
        if let [name] = segments
            && self.input.sources.structs.contains_key(name)
        {
            return TypeInfo::Named(name.clone());
        }
        // An associated function of another crate's type (`HashMap::new()`,
        // `CartClient::connect(…)`): a foreign value, not one of the crate's.
        let owner = segments.get(segments.len().wrapping_sub(2));
        if owner.is_some_and(|o| o.starts_with(|c: char| c.is_ascii_uppercase()) && o != "Self")
            && let Some(Resolved::Extern(_)) =
                self.input.sources.resolve_path(&self.module, segments)
        {
            return TypeInfo::Foreign;
        }
        if segments.len() >= 2 && matches!(last, "new" | "default" | "builder") {
            return segments.get(segments.len() - 2).map_or(TypeInfo::Unknown, |o| {
                if o == "Self" {
                    self.self_ty.clone().map_or(TypeInfo::Unknown, TypeInfo::Named)
                } else {
                    TypeInfo::Named(o.clone())
                }
            });
        }
        TypeInfo::Unknown
    }

    /// `aws_sdk_s3::Client::new`, `Client::from_conf`, `S3::new` (an alias) → the client's crate.
    pub(super) fn client_constructor(&self, segments: &[String]) -> Option<String> {
        let (last, owner) = segments.split_last()?;
        if !matches!(last.as_str(), "new" | "from_conf" | "from" | "with_config")
            || owner.is_empty()
        {
            return None;
        }
        match self.input.sources.resolve_path(&self.module, owner)? {
            Resolved::Extern(full) => types::client_crate(&full, self.input.sources),
            Resolved::Local { module, rest } => {
                let name = rest.last()?;
                // A crate's own `aws_sdk_<service>` module (a stand-in or vendored SDK).
                let path: Vec<String> =
                    module.split("::").map(str::to_owned).chain(rest.iter().cloned()).collect();
                if let Some(krate) = types::client_crate(&path, self.input.sources) {
                    return Some(krate);
                }
                let aliased = self.input.sources.modules.get(&module)?.type_aliases.get(name)?;
                match self.type_cx().resolve(aliased) {
                    TypeInfo::Client(k) => Some(k),
                    _ => None,
                }
            }
        }
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

/// The type named by a method turbofish (`from_env::<Config>()`).
fn turbofish(t: Option<&syn::AngleBracketedGenericArguments>) -> Option<String> {
    t?.args.iter().find_map(|g| match g {
        syn::GenericArgument::Type(ty) => crate::analyse::sources::type_name(ty),
        _ => None,
    })
}
