//! Resolving a path written in a module (`crate::store::put`, `super::helper`, `Store::new`, an
//! imported or re-exported name) to the module that defines it, or to another crate.

use super::CrateSources;

/// Where a path leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Into a loaded module: the module and what remains of the path there (`[name]`, or
    /// `[Type, method]`).
    Local {
        /// The module key.
        module: String,
        /// The remaining segments.
        rest: Vec<String>,
    },
    /// Into a crate that is not loaded, with every `use` alias expanded (`aws_sdk_s3::Client`).
    Extern(Vec<String>),
}

/// Bound on alias chains (`use a::b` whose `b` is itself a re-export…), against cycles.
const MAX_HOPS: usize = 24;

impl CrateSources {
    /// Resolves `segments` as written in `from` (a module key).
    pub fn resolve_path(&self, from: &str, segments: &[String]) -> Option<Resolved> {
        self.resolve_in(from, segments, 0)
    }

    fn resolve_in(&self, from: &str, segs: &[String], hops: usize) -> Option<Resolved> {
        let first = segs.first()?;
        if hops > MAX_HOPS {
            return None;
        }
        let (module, rest): (String, &[String]) = match first.as_str() {
            "crate" => (crate_root(from).to_owned(), &segs[1..]),
            "self" => (from.to_owned(), &segs[1..]),
            "super" => {
                let mut module = from.to_owned();
                let mut i = 0;
                while segs.get(i).is_some_and(|s| s == "super") {
                    module = parent(&module).to_owned();
                    i += 1;
                }
                (module, &segs[i..])
            }
            _ => return self.resolve_name_first(from, segs, hops),
        };
        self.walk_down(module, rest, hops)
    }

    /// A path whose first segment is a name: a child module, an imported name, a loaded
    /// library, a name from a glob import, or something of another crate.
    fn resolve_name_first(&self, from: &str, segs: &[String], hops: usize) -> Option<Resolved> {
        let first = segs.first()?;
        let info = self.modules.get(from);
        // A function and a module may share a name: the last segment of a path names the
        // function (or what a `use` brings in), the others name modules.
        let last = segs.len() == 1;
        if last && self.defines_fn(from, first) {
            return Some(Resolved::Local { module: from.to_owned(), rest: segs.to_vec() });
        }
        if let Some(info) = info {
            if let Some(target) = info.uses.get(first)
                && target.first() != Some(first)
                && (last || !info.children.contains(first))
            {
                let full: Vec<String> = target.iter().chain(&segs[1..]).cloned().collect();
                return self.resolve_in(from, &full, hops + 1);
            }
            if info.children.contains(first) {
                return self.walk_down(format!("{from}::{first}"), &segs[1..], hops);
            }
        }
        if let Some(key) = self.externs.get(first) {
            return self.walk_down(key.clone(), &segs[1..], hops);
        }
        if self.defines(from, first) {
            return Some(Resolved::Local { module: from.to_owned(), rest: segs.to_vec() });
        }
        if let Some(info) = info {
            for glob in &info.globs {
                if let Some(Resolved::Local { module, rest }) =
                    self.resolve_in(from, glob, hops + 1)
                    && rest.is_empty()
                    && module != from
                    && (self.defines(&module, first)
                        || self.modules.get(&module).is_some_and(|m| {
                            m.children.contains(first) || m.uses.contains_key(first)
                        }))
                {
                    return self.resolve_in(&module, segs, hops + 1);
                }
            }
        }
        let crate_type = self.structs.contains_key(first)
            || self.traits.contains_key(first)
            || self.impls.values().any(|types| types.contains(first));
        if segs.len() == 1 || crate_type {
            return Some(Resolved::Local { module: from.to_owned(), rest: segs.to_vec() });
        }
        Some(Resolved::Extern(segs.to_vec()))
    }

    /// Follows child modules and re-exports down the remaining segments.
    fn walk_down(&self, mut module: String, mut rest: &[String], hops: usize) -> Option<Resolved> {
        while let Some(name) = rest.first() {
            let Some(info) = self.modules.get(&module) else { break };
            let last = rest.len() == 1;
            if last && self.defines_fn(&module, name) {
                break;
            }
            if last && let Some(target) = info.uses.get(name) {
                let full: Vec<String> = target.clone();
                return self.resolve_in(&module, &full, hops + 1);
            }
            if info.children.contains(name) {
                module = format!("{module}::{name}");
                rest = &rest[1..];
                continue;
            }
            if let Some(target) = info.uses.get(name) {
                let full: Vec<String> = target.iter().chain(&rest[1..]).cloned().collect();
                return self.resolve_in(&module, &full, hops + 1);
            }
            if !self.defines(&module, name) {
                for glob in &info.globs {
                    if let Some(Resolved::Local { module: g, rest: r }) =
                        self.resolve_in(&module, glob, hops + 1)
                        && r.is_empty()
                        && g != module
                        && self.defines(&g, name)
                    {
                        return Some(Resolved::Local { module: g, rest: rest.to_vec() });
                    }
                }
            }
            break;
        }
        Some(Resolved::Local { module, rest: rest.to_vec() })
    }

    /// Whether `module` defines a free function named `name`.
    fn defines_fn(&self, module: &str, name: &str) -> bool {
        self.by_module.contains_key(&(module.to_owned(), name.to_owned()))
    }

    /// Whether `module` defines a function, type alias or child module named `name`.
    fn defines(&self, module: &str, name: &str) -> bool {
        self.by_module.contains_key(&(module.to_owned(), name.to_owned()))
            || self
                .modules
                .get(module)
                .is_some_and(|m| m.type_aliases.contains_key(name) || m.children.contains(name))
    }
}

/// The crate root of a module key (`products::store` → `products`).
pub(crate) fn crate_root(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// The parent of a module key (the root is its own parent).
fn parent(module: &str) -> &str {
    module.rsplit_once("::").map_or(module, |(p, _)| p)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::path::PathBuf;

    fn segs(path: &str) -> Vec<String> {
        path.split("::").map(str::to_owned).collect()
    }

    fn sources(files: &[(&str, &str)]) -> CrateSources {
        let mut s = CrateSources::default();
        s.externs.insert("app".into(), "app".into());
        for (module, text) in files {
            s.add_module(PathBuf::from(format!("{module}.rs")), PathBuf::new(), text, true, module);
        }
        s
    }

    #[test]
    fn paths_through_modules_uses_and_reexports() {
        let s = sources(&[
            ("app", "pub mod domain; pub mod api; pub use store::Dynamo; mod store;"),
            ("app::domain", "pub fn delete_product() {}"),
            (
                "app::api",
                "use crate::domain; use super::store::*; pub fn delete_product() { domain::delete_product() }",
            ),
            (
                "app::store",
                "pub struct Dynamo; pub fn open() {} pub use aws_sdk_dynamodb::Client as Db;",
            ),
            ("app@bin", "use app::api::delete_product; use app::Dynamo;"),
        ]);
        let local =
            |m: &str, rest: &str| Some(Resolved::Local { module: m.into(), rest: segs(rest) });
        assert_eq!(
            s.resolve_path("app::api", &segs("domain::delete_product")),
            local("app::domain", "delete_product")
        );
        assert_eq!(
            s.resolve_path("app::api", &segs("delete_product")),
            local("app::api", "delete_product")
        );
        assert_eq!(
            s.resolve_path("app@bin", &segs("delete_product")),
            local("app::api", "delete_product")
        );
        assert_eq!(
            s.resolve_path("app::api", &segs("crate::domain::delete_product")),
            local("app::domain", "delete_product")
        );
        assert_eq!(
            s.resolve_path("app::domain", &segs("super::api::delete_product")),
            local("app::api", "delete_product")
        );
        assert_eq!(s.resolve_path("app::api", &segs("open")), local("app::store", "open"));
        assert_eq!(
            s.resolve_path("app@bin", &segs("Dynamo::new")),
            local("app::store", "Dynamo::new")
        );
        assert_eq!(
            s.resolve_path("app", &segs("store::Db")),
            Some(Resolved::Extern(segs("aws_sdk_dynamodb::Client")))
        );
        assert_eq!(
            s.resolve_path("app::api", &segs("serde_json::to_string")),
            Some(Resolved::Extern(segs("serde_json::to_string")))
        );
    }
}
