//! What the analysis knows about a value's type: an SDK client, one of the crate's structs, or
//! nothing.

use std::collections::HashMap;

use syn::{GenericArgument, PathArguments, Type};

/// The type of a value, as far as the analysis can tell from syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeInfo {
    /// An aws-sdk-rust client of this crate (`aws-sdk-s3`).
    Client(String),
    /// A struct (or other named type) of the crate, by name.
    Named(String),
    /// Unknown.
    Unknown,
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
    "Mutex",
    "RwLock",
    "Cow",
    "RefCell",
    "Cell",
    "ManuallyDrop",
    "Pin",
];

/// Resolves a written type through `use` aliases, references and wrappers.
pub fn resolve(ty: &Type, aliases: &HashMap<String, String>, self_ty: Option<&str>) -> TypeInfo {
    match ty {
        Type::Reference(r) => resolve(&r.elem, aliases, self_ty),
        Type::Paren(p) => resolve(&p.elem, aliases, self_ty),
        Type::Group(g) => resolve(&g.elem, aliases, self_ty),
        Type::Path(p) => {
            let Some(last) = p.path.segments.last() else { return TypeInfo::Unknown };
            let last_name = last.ident.to_string();
            if WRAPPERS.contains(&last_name.as_str()) {
                if let PathArguments::AngleBracketed(args) = &last.arguments {
                    for arg in &args.args {
                        if let GenericArgument::Type(inner) = arg {
                            return resolve(inner, aliases, self_ty);
                        }
                    }
                }
                return TypeInfo::Unknown;
            }
            let segments: Vec<String> =
                p.path.segments.iter().map(|s| s.ident.to_string()).collect();
            let full = expand(&segments, aliases);
            if let Some(client) = client_crate(&full) {
                return TypeInfo::Client(client);
            }
            if last_name == "Self" {
                return self_ty.map_or(TypeInfo::Unknown, |s| TypeInfo::Named(s.to_owned()));
            }
            TypeInfo::Named(full.last().cloned().unwrap_or(last_name))
        }
        _ => TypeInfo::Unknown,
    }
}

/// Expands the first segment of a path through the file's `use` aliases.
pub fn expand(segments: &[String], aliases: &HashMap<String, String>) -> Vec<String> {
    let Some(first) = segments.first() else { return Vec::new() };
    match aliases.get(first) {
        Some(full) => {
            let mut out: Vec<String> = full.split("::").map(str::to_owned).collect();
            out.extend(segments[1..].iter().cloned());
            out
        }
        None => segments.to_vec(),
    }
}

/// `[aws_sdk_s3, Client]` (or `aws_sdk_s3::client::Client`) → `aws-sdk-s3`.
pub fn client_crate(segments: &[String]) -> Option<String> {
    if segments.last().map(String::as_str) != Some("Client") {
        return None;
    }
    segments.iter().find(|s| s.starts_with("aws_sdk_")).map(|module| module.replace('_', "-"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ty(text: &str) -> Type {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn clients_through_wrappers_and_aliases() {
        let mut aliases = HashMap::new();
        aliases.insert("S3".to_owned(), "aws_sdk_s3::Client".to_owned());
        aliases.insert("dynamo".to_owned(), "aws_sdk_dynamodb".to_owned());
        let s3 = TypeInfo::Client("aws-sdk-s3".into());
        assert_eq!(resolve(&ty("&aws_sdk_s3::Client"), &aliases, None), s3);
        assert_eq!(resolve(&ty("Arc<aws_sdk_s3::Client>"), &aliases, None), s3);
        assert_eq!(resolve(&ty("&'static OnceCell<S3>"), &aliases, None), s3);
        assert_eq!(
            resolve(&ty("dynamo::Client"), &aliases, None),
            TypeInfo::Client("aws-sdk-dynamodb".into())
        );
        assert_eq!(resolve(&ty("Self"), &aliases, Some("Store")), TypeInfo::Named("Store".into()));
        assert_eq!(resolve(&ty("crate::Store"), &aliases, None), TypeInfo::Named("Store".into()));
    }
}
