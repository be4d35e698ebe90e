//! What the analysis knows about a value's type: an SDK client, an operation's fluent builder,
//! one of the crate's types, a trait object or bounded generic, a tuple, or nothing.

use syn::{GenericArgument, PathArguments, Type};

use super::sources::{CrateSources, Generics, Resolved, index::bounds_traits};

/// The type of a value, as far as the analysis can tell from syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeInfo {
    /// An aws-sdk-rust client of this crate (`aws-sdk-s3`).
    Client(String),
    /// The fluent builder of an SDK operation; `call` is the index of the call it builds in the
    /// analysis, when the walk saw the operation invoked.
    Builder {
        /// The SDK crate.
        krate: String,
        /// The operation method (`scan`).
        method: String,
        /// The call the builder belongs to.
        call: Option<usize>,
    },
    /// A struct (or other named type) of the crate, by name.
    Named(String),
    /// A value known only by the traits it implements (`&dyn Store`, `impl Store`, `R: Store`).
    Trait(Vec<String>),
    /// A tuple of values.
    Tuple(Vec<TypeInfo>),
    /// A collection (`Vec<T>`, `[T]`, `HashSet<T>`, the values of `HashMap<K, T>`) or an
    /// iterator over one, of elements of the inner type.
    Container(Box<TypeInfo>),
    /// A value another crate's type made (`CartClient::connect(…)`, `HashMap::new()`): none of
    /// the crate's methods run on it; what its methods return is unknown.
    Foreign,
    /// Unknown.
    Unknown,
}

impl TypeInfo {
    /// The SDK crate of a client or builder value.
    pub fn sdk_crate(&self) -> Option<&str> {
        match self {
            TypeInfo::Client(k) | TypeInfo::Builder { krate: k, .. } => Some(k),
            TypeInfo::Tuple(items) => items.iter().find_map(TypeInfo::sdk_crate),
            TypeInfo::Container(inner) => inner.sdk_crate(),
            _ => None,
        }
    }
}

/// Primitive and std types that hold no crate value but through their type arguments.
const CLOSED_STD: &[&str] = &[
    "bool", "char", "str", "String", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16",
    "i32", "i64", "i128", "isize", "f32", "f64", "Vec", "VecDeque", "Option", "Result", "Box",
    "Arc", "Rc", "Cow", "HashMap", "BTreeMap", "HashSet", "BTreeSet",
];

/// Maps whose last type argument is what their values are (`HashMap<String, Store>`).
pub(crate) const MAPS: &[&str] = &["HashMap", "BTreeMap", "IndexMap", "DashMap"];

/// Collections of their one type argument.
pub(crate) const SEQUENCES: &[&str] =
    &["Vec", "VecDeque", "HashSet", "BTreeSet", "IndexSet", "LinkedList"];

/// A collection of `inner`. Its elements may be of unknown type (`HashMap<K, V>` with generic
/// `V`): it is still a std collection, whose `get` is never one of the crate's methods.
fn container(inner: TypeInfo) -> TypeInfo {
    TypeInfo::Container(Box::new(inner))
}

/// Wrapper types whose first type argument is what the value really is.
const WRAPPERS: &[&str] = &[
    "Arc",
    "Rc",
    "Box",
    "Option",
    "OnceCell",
    "OnceLock",
    "Lazy",
    "LazyLock",
    "LazyCell",
    "Mutex",
    "RwLock",
    "Cow",
    "RefCell",
    "Cell",
    "ManuallyDrop",
    "Pin",
    "Extension",
    "State",
    "Data",
    "Weak",
    "Result",
];

/// Where a type is written: its module, the `Self` type and the generics in scope.
#[derive(Debug, Clone, Copy)]
pub struct TypeCx<'a> {
    /// The crate's sources.
    pub sources: &'a CrateSources,
    /// The module the type is written in.
    pub module: &'a str,
    /// The `impl` type, for `Self`.
    pub self_ty: Option<&'a str>,
    /// Generic parameters in scope.
    pub generics: &'a Generics,
}

impl TypeCx<'_> {
    /// Resolves a written type through `use` aliases, type aliases, references and wrappers.
    pub fn resolve(&self, ty: &Type) -> TypeInfo {
        self.resolve_depth(ty, 0)
    }

    fn resolve_depth(&self, ty: &Type, depth: usize) -> TypeInfo {
        if depth > 16 {
            return TypeInfo::Unknown;
        }
        match ty {
            Type::Reference(r) => self.resolve_depth(&r.elem, depth + 1),
            Type::Paren(p) => self.resolve_depth(&p.elem, depth + 1),
            Type::Group(g) => self.resolve_depth(&g.elem, depth + 1),
            Type::TraitObject(t) => traits(bounds_traits(&t.bounds)),
            Type::ImplTrait(t) => traits(bounds_traits(&t.bounds)),
            // `()` says nothing about what a value is.
            Type::Tuple(t) if t.elems.is_empty() => TypeInfo::Unknown,
            Type::Tuple(t) => {
                TypeInfo::Tuple(t.elems.iter().map(|e| self.resolve_depth(e, depth + 1)).collect())
            }
            Type::Path(p) => self.resolve_path_type(p, depth),
            Type::Slice(s) => container(self.resolve_depth(&s.elem, depth + 1)),
            Type::Array(a) => container(self.resolve_depth(&a.elem, depth + 1)),
            _ => TypeInfo::Unknown,
        }
    }

    fn resolve_path_type(&self, p: &syn::TypePath, depth: usize) -> TypeInfo {
        let Some(last) = p.path.segments.last() else { return TypeInfo::Unknown };
        let last_name = last.ident.to_string();
        if (MAPS.contains(&last_name.as_str()) || SEQUENCES.contains(&last_name.as_str()))
            && let PathArguments::AngleBracketed(args) = &last.arguments
            && let Some(GenericArgument::Type(value)) =
                args.args.iter().filter(|a| matches!(a, GenericArgument::Type(_))).last()
        {
            return container(self.resolve_depth(value, depth + 1));
        }
        if WRAPPERS.contains(&last_name.as_str()) {
            if let PathArguments::AngleBracketed(args) = &last.arguments {
                for arg in &args.args {
                    if let GenericArgument::Type(inner) = arg {
                        return self.resolve_depth(inner, depth + 1);
                    }
                }
            }
            return TypeInfo::Unknown;
        }
        let segments: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let [first, name] = segments.as_slice()
            && first == "Self"
            && let Some(owner) = self.self_ty
            && let Some((module, assoc)) =
                self.sources.assoc_types.get(&(owner.to_owned(), name.clone()))
        {
            let cx = TypeCx { module, ..*self };
            return cx.resolve_depth(assoc, depth + 1);
        }
        if let [single] = segments.as_slice() {
            if single == "Self" {
                return self.self_ty.map_or(TypeInfo::Unknown, |s| self.named(s));
            }
            if let Some((_, bounds)) = self.generics.iter().find(|(n, _)| n == single) {
                return traits(bounds.clone());
            }
        }
        match self.sources.resolve_path(self.module, &segments) {
            Some(Resolved::Extern(full)) => match self.extern_type(&full) {
                // Another crate's type whose type arguments are all other crates' types too
                // (`LambdaEvent<dynamodb::Event>`): nothing reachable from it (fields, elements)
                // can be a value of this crate's types, so it is foreign through and through.
                // One with a crate type argument (`LambdaEvent<MyPayload>`) stays open, and so
                // does a name the crate itself implements methods for.
                TypeInfo::Named(name)
                    if self.closed_arguments(&p.path, depth) && !self.crate_knows(&name) =>
                {
                    TypeInfo::Foreign
                }
                other => other,
            },
            Some(Resolved::Local { module, rest }) => {
                let Some(name) = rest.last() else { return TypeInfo::Unknown };
                // A loaded crate's own `aws_sdk_<service>` module (a stand-in or a vendored
                // copy of the SDK, maybe written by a macro) is that SDK.
                if name == "Client" {
                    let segments =
                        module.split("::").map(str::to_owned).chain(rest.iter().cloned());
                    let path: Vec<String> = segments.collect();
                    if let Some(krate) = client_crate(&path, self.sources) {
                        return TypeInfo::Client(krate);
                    }
                }
                if rest.len() == 1
                    && let Some(aliased) =
                        self.sources.modules.get(&module).and_then(|m| m.type_aliases.get(name))
                {
                    let cx = TypeCx { module: &module, ..*self };
                    return cx.resolve_depth(aliased, depth + 1);
                }
                self.named(name)
            }
            None => TypeInfo::Unknown,
        }
    }

    /// Whether the crate gives the type `name` anything of its own: a struct of that name,
    /// methods on it, or a trait impl for it (whose default methods would run on its values).
    fn crate_knows(&self, name: &str) -> bool {
        self.sources.structs.contains_key(name)
            || !self.sources.methods_of_type(name).is_empty()
            || self.sources.impls.values().any(|types| types.iter().any(|t| t == name))
    }

    /// Whether every type argument of a path names only other crates' types, std types or
    /// primitives (no crate type, no generic parameter, no trait object).
    fn closed_arguments(&self, path: &syn::Path, depth: usize) -> bool {
        path.segments.iter().all(|segment| match &segment.arguments {
            PathArguments::None => true,
            PathArguments::AngleBracketed(args) => args.args.iter().all(|arg| match arg {
                GenericArgument::Lifetime(_) | GenericArgument::Const(_) => true,
                GenericArgument::Type(ty) => self.closed_type(ty, depth + 1),
                _ => false,
            }),
            PathArguments::Parenthesized(_) => false,
        })
    }

    /// Whether a type argument can hold no value of the crate's own types.
    fn closed_type(&self, ty: &Type, depth: usize) -> bool {
        if depth > 16 {
            return false;
        }
        match ty {
            Type::Reference(r) => self.closed_type(&r.elem, depth + 1),
            Type::Paren(p) => self.closed_type(&p.elem, depth + 1),
            Type::Group(g) => self.closed_type(&g.elem, depth + 1),
            Type::Slice(s) => self.closed_type(&s.elem, depth + 1),
            Type::Array(a) => self.closed_type(&a.elem, depth + 1),
            Type::Tuple(t) => t.elems.iter().all(|e| self.closed_type(e, depth + 1)),
            Type::Path(p) if p.qself.is_none() => {
                let Some(last) = p.path.segments.last() else { return false };
                let name = last.ident.to_string();
                if p.path.segments.len() == 1
                    && (self.sources.structs.contains_key(&name)
                        || self.generics.iter().any(|(g, _)| *g == name))
                {
                    return false;
                }
                if CLOSED_STD.contains(&name.as_str()) {
                    return self.closed_arguments(&p.path, depth);
                }
                self.resolve_depth(ty, depth + 1) == TypeInfo::Foreign
            }
            _ => false,
        }
    }

    fn named(&self, name: &str) -> TypeInfo {
        if self.sources.traits.contains_key(name) && !self.sources.structs.contains_key(name) {
            TypeInfo::Trait(vec![name.to_owned()])
        } else {
            TypeInfo::Named(name.to_owned())
        }
    }

    /// A type of another crate: an SDK client or builder, or a named type.
    pub fn extern_type(&self, full: &[String]) -> TypeInfo {
        if let Some(krate) = client_crate(full, self.sources) {
            return TypeInfo::Client(krate);
        }
        if let Some((krate, method)) = builder_type(full, self.sources) {
            return TypeInfo::Builder { krate, method, call: None };
        }
        full.last().map_or(TypeInfo::Unknown, |n| TypeInfo::Named(n.clone()))
    }
}

fn traits(names: Vec<String>) -> TypeInfo {
    if names.is_empty() { TypeInfo::Unknown } else { TypeInfo::Trait(names) }
}

/// The SDK crate a path's first segment names: `aws_sdk_s3`, or a renamed dependency.
pub fn sdk_of_segment(segment: &str, sources: &CrateSources) -> Option<String> {
    if let Some(krate) = sources.sdk_aliases.get(segment) {
        return Some(krate.clone());
    }
    segment.starts_with("aws_sdk_").then(|| segment.replace('_', "-"))
}

/// `[aws_sdk_s3, Client]` (or `aws_sdk_s3::client::Client`, a renamed `ddb::Client`) →
/// `aws-sdk-s3`.
pub fn client_crate(segments: &[String], sources: &CrateSources) -> Option<String> {
    if segments.last().map(String::as_str) != Some("Client") {
        return None;
    }
    segments.iter().find_map(|s| sdk_of_segment(s, sources))
}

/// `aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder` → (`aws-sdk-dynamodb`,
/// `scan`); the 0.x form `aws_sdk_dynamodb::client::fluent_builders::Scan` too.
fn builder_type(segments: &[String], sources: &CrateSources) -> Option<(String, String)> {
    let krate = segments.first().and_then(|s| sdk_of_segment(s, sources))?;
    let last = segments.last()?;
    if let Some(i) = segments.iter().position(|s| s == "operation")
        && last.ends_with("FluentBuilder")
    {
        return segments.get(i + 1).map(|m| (krate, m.clone()));
    }
    if segments.iter().any(|s| s == "fluent_builders") {
        return Some((krate, snake(last)));
    }
    None
}

/// `PutItem` → `put_item` (the 0.x builder names; the catalog accepts both casings of acronyms).
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::path::PathBuf;

    fn ty(text: &str) -> Type {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn clients_builders_traits_through_wrappers_and_aliases() {
        let mut sources = CrateSources::default();
        sources.sdk_aliases.insert("ddb".into(), "aws-sdk-dynamodb".into());
        sources.add_module(
            PathBuf::from("lib.rs"),
            PathBuf::new(),
            "use aws_sdk_s3::Client as S3; use aws_sdk_dynamodb as dynamo; \
             pub type Db = ddb::Client; pub trait Store {} pub struct Mem;",
            true,
            "app",
        );
        let generics = vec![("R".to_owned(), vec!["Store".to_owned()])];
        let cx =
            TypeCx { sources: &sources, module: "app", self_ty: Some("Mem"), generics: &generics };
        let s3 = TypeInfo::Client("aws-sdk-s3".into());
        let ddb = TypeInfo::Client("aws-sdk-dynamodb".into());
        assert_eq!(cx.resolve(&ty("&aws_sdk_s3::Client")), s3);
        assert_eq!(cx.resolve(&ty("Arc<aws_sdk_s3::Client>")), s3);
        assert_eq!(cx.resolve(&ty("&'static OnceCell<S3>")), s3);
        assert_eq!(cx.resolve(&ty("dynamo::Client")), ddb);
        assert_eq!(cx.resolve(&ty("Db")), ddb);
        assert_eq!(cx.resolve(&ty("Self")), TypeInfo::Named("Mem".into()));
        assert_eq!(cx.resolve(&ty("Box<dyn Store + Send>")), TypeInfo::Trait(vec!["Store".into()]));
        assert_eq!(cx.resolve(&ty("&R")), TypeInfo::Trait(vec!["Store".into()]));
        assert_eq!(cx.resolve(&ty("impl Store")), TypeInfo::Trait(vec!["Store".into()]));
        assert_eq!(
            cx.resolve(&ty("aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder")),
            TypeInfo::Builder {
                krate: "aws-sdk-dynamodb".into(),
                method: "scan".into(),
                call: None
            }
        );
        assert_eq!(cx.resolve(&ty("(S3, Db)")), TypeInfo::Tuple(vec![s3.clone(), ddb.clone()]));
    }
}
