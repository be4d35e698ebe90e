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
        self.resolve_in(from, segments, 0, None)
    }

    /// `skip`: a `use` name not to expand at the first segment (`use handlers::handlers;`
    /// names the crate `handlers`, not itself).
    fn resolve_in(
        &self,
        from: &str,
        segs: &[String],
        hops: usize,
        skip: Option<&str>,
    ) -> Option<Resolved> {
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
            _ => return self.resolve_name_first(from, segs, hops, skip),
        };
        self.walk_down(module, rest, hops)
    }

    /// Expands a `use` name of `module` followed by `rest`.
    fn expand_use(
        &self,
        module: &str,
        name: &str,
        target: &[String],
        rest: &[String],
        hops: usize,
    ) -> Option<Resolved> {
        let full: Vec<String> = target.iter().chain(rest).cloned().collect();
        let skip = (target.first().map(String::as_str) == Some(name)).then_some(name);
        self.resolve_in(module, &full, hops + 1, skip)
    }

    /// A path whose first segment is a name: a child module, an imported name, a loaded
    /// library, a name from a glob import, or something of another crate.
    fn resolve_name_first(
        &self,
        from: &str,
        segs: &[String],
        hops: usize,
        skip: Option<&str>,
    ) -> Option<Resolved> {
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
                && skip != Some(first.as_str())
                && target.as_slice() != std::slice::from_ref(first)
                && (last || !info.children.contains(first))
            {
                return self.expand_use(from, first, target, &segs[1..], hops);
            }
            if last && let Some(found) = self.through_globs(from, segs, hops) {
                return Some(found);
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
        if let Some(found) = self.through_globs(from, segs, hops) {
            return Some(found);
        }
        let crate_type = self.structs.contains_key(first)
            || self.traits.contains_key(first)
            || self.impl_types.contains(first);
        if segs.len() == 1 || crate_type {
            return Some(Resolved::Local { module: from.to_owned(), rest: segs.to_vec() });
        }
        Some(Resolved::Extern(segs.to_vec()))
    }

    /// `segs` resolved in the module of a glob import of `module` that provides its first
    /// segment.
    fn through_globs(&self, module: &str, segs: &[String], hops: usize) -> Option<Resolved> {
        let first = segs.first().filter(|f| *f != "*")?;
        for g in self.glob_modules(module, hops) {
            if self.exports(&g, first, hops + 1, &mut std::collections::HashSet::new()) {
                return self.resolve_in(&g, segs, hops + 1, None);
            }
        }
        None
    }

    /// The modules `module`'s glob imports name (`use crate::domain::*` → `app::domain`).
    fn glob_modules(&self, module: &str, hops: usize) -> Vec<String> {
        let Some(info) = self.modules.get(module) else { return Vec::new() };
        info.globs
            .iter()
            .filter_map(|glob| {
                // Resolved as a module path: a trailing segment no module defines keeps every
                // segment of the glob a module name.
                let mut path = glob.clone();
                path.push("*".to_owned());
                match self.resolve_in(module, &path, hops + 1, None)? {
                    Resolved::Local { module: g, rest } if rest.len() == 1 && g != module => {
                        Some(g)
                    }
                    _ => None,
                }
            })
            .collect()
    }

    /// Whether `module` provides `name`: defines it, imports it, has it as a child, or gets it
    /// through one of its glob imports.
    fn exports(
        &self,
        module: &str,
        name: &str,
        hops: usize,
        seen: &mut std::collections::HashSet<String>,
    ) -> bool {
        if hops > MAX_HOPS || !seen.insert(module.to_owned()) {
            return false;
        }
        if self.defines(module, name)
            || self.modules.get(module).is_some_and(|m| m.uses.contains_key(name))
        {
            return true;
        }
        self.glob_modules(module, hops).iter().any(|g| self.exports(g, name, hops + 1, seen))
    }

    /// Follows child modules and re-exports down the remaining segments.
    fn walk_down(&self, mut module: String, mut rest: &[String], hops: usize) -> Option<Resolved> {
        while let Some(name) = rest.first() {
            let Some(info) = self.modules.get(&module) else { break };
            let last = rest.len() == 1;
            if last && self.defines_fn(&module, name) {
                break;
            }
            if let Some(target) = info.uses.get(name)
                && (last || !info.children.contains(name))
            {
                return self.expand_use(&module, name, target, &rest[1..], hops);
            }
            if last && let Some(found) = self.through_globs(&module, rest, hops) {
                return Some(found);
            }
            if info.children.contains(name) {
                module = format!("{module}::{name}");
                rest = &rest[1..];
                continue;
            }
            if !self.defines(&module, name)
                && let Some(found) = self.through_globs(&module, rest, hops)
            {
                return Some(found);
            }
            break;
        }
        Some(Resolved::Local { module, rest: rest.to_vec() })
    }

    /// Whether `module` defines a free function named `name`.
    fn defines_fn(&self, module: &str, name: &str) -> bool {
        self.by_module.get(module).is_some_and(|m| m.contains_key(name))
    }

    /// Whether `module` defines a function, type alias or child module named `name`.
    fn defines(&self, module: &str, name: &str) -> bool {
        self.defines_fn(module, name)
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
        // A glob of a glob, and a module sharing its name with the function it re-exports.
        let s2 = sources(&[
            ("z", "mod routes; use crate::routes::handler; use crate::routes::login;"),
            ("z::routes", "mod admin; pub use admin::*; mod login; pub use login::*;"),
            ("z::routes::admin", "mod migrate; pub use migrate::*;"),
            ("z::routes::admin::migrate", "pub fn handler() {}"),
            ("z::routes::login", "pub fn login() {}"),
        ]);
        assert_eq!(
            s2.resolve_path("z", &segs("handler")),
            local("z::routes::admin::migrate", "handler")
        );
        assert_eq!(s2.resolve_path("z", &segs("login")), local("z::routes::login", "login"));
        // `use handlers::handlers;` names the crate `handlers`, then its module.
        let mut s3 = sources(&[
            ("h", "pub mod handlers;"),
            ("h::handlers", "pub fn route() {}"),
            ("b", "use handlers::handlers;"),
        ]);
        s3.externs.insert("handlers".into(), "h".into());
        assert_eq!(s3.resolve_path("b", &segs("handlers::route")), local("h::handlers", "route"));
        assert_eq!(
            s.resolve_path("app::api", &segs("serde_json::to_string")),
            Some(Resolved::Extern(segs("serde_json::to_string")))
        );
    }
}
