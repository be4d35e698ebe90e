//! Which crate functions a call may run: by path for function calls, by the receiver's type for
//! methods (every implementation of a trait for trait objects and bounded generics, every method
//! of that name when the type is unknown), and following them.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::visit::Visit as _;

use super::{Binding, Walker, narrow};
use crate::analyse::sources::{FnEntry, Resolved};
use crate::analyse::types::{TypeCx, TypeInfo};
use crate::analyse::values::Hint;

impl Walker<'_, '_> {
    /// Crate functions a call path may name: `helper`, `module::helper`, `Store::new`,
    /// `Self::new`, `Trait::method`, imported and re-exported names. A path that resolves into
    /// the crate but names no function there falls back to every free function of that name
    /// (`by_name`), recorded in the note.
    pub(super) fn resolve_fn(
        &self,
        segments: &[String],
        by_name: bool,
    ) -> (Vec<FnEntry>, Option<String>) {
        let sources = self.input.sources;
        let mut segs = segments.to_vec();
        if segs.first().is_some_and(|s| s == "Self") {
            match &self.self_ty {
                Some(ty) => segs[0] = ty.clone(),
                None => return (Vec::new(), None),
            }
        }
        let Some(Resolved::Local { module, rest }) = sources.resolve_path(&self.module, &segs)
        else {
            return (Vec::new(), None);
        };
        match rest.as_slice() {
            [name] => {
                let found: Vec<FnEntry> =
                    sources.fns_in(&module, name).into_iter().cloned().collect();
                if !found.is_empty() || !by_name || segments.len() > 1 {
                    return (found, None);
                }
                let all: Vec<FnEntry> = sources.free_fns(name).into_iter().cloned().collect();
                let note = (all.len() > 1).then(|| {
                    format!("`{name}` resolved by name: one of {} functions so named", all.len())
                });
                (all, note)
            }
            [ty, method] => {
                let ty = self.alias_target(&module, ty).unwrap_or_else(|| ty.clone());
                let receiver =
                    if sources.traits.contains_key(&ty) && !sources.structs.contains_key(&ty) {
                        TypeInfo::Trait(vec![ty])
                    } else {
                        TypeInfo::Named(ty)
                    };
                self.dispatch(&receiver, method)
            }
            _ => (Vec::new(), None),
        }
    }

    /// The type a type alias of `module` names, by its last segment.
    fn alias_target(&self, module: &str, name: &str) -> Option<String> {
        let aliased = self.input.sources.modules.get(module)?.type_aliases.get(name)?;
        crate::analyse::sources::type_name(aliased)
    }

    /// The methods a call `receiver.name(…)` may run, and a note when there are several
    /// candidates.
    pub(super) fn dispatch(
        &self,
        receiver: &TypeInfo,
        name: &str,
    ) -> (Vec<FnEntry>, Option<String>) {
        let sources = self.input.sources;
        match receiver {
            TypeInfo::Named(ty) => {
                let own: Vec<FnEntry> =
                    sources.methods(Some(ty), name).into_iter().cloned().collect();
                if !own.is_empty() {
                    return (own, None);
                }
                // A default body of a trait the type implements, and a blanket impl's method
                // (`impl<T: Display> Audit for T`), which may apply to any type.
                let mut found: Vec<FnEntry> = sources
                    .impls
                    .iter()
                    .filter(|(_, types)| types.contains(ty))
                    .filter_map(|(t, _)| sources.trait_default(t, name).cloned())
                    .collect();
                found.extend(sources.blanket_methods(name).into_iter().cloned());
                dedup(&mut found);
                (found, None)
            }
            TypeInfo::Trait(traits) => {
                let mut found: Vec<FnEntry> = Vec::new();
                let mut owner = String::new();
                for t in sources.trait_closure(traits) {
                    // A trait of another crate (`tower::Service`): its methods are whatever the
                    // crate's impls of it define.
                    let declares = match sources.traits.get(&t) {
                        Some(info) => info.methods.iter().any(|m| m == name),
                        None => sources.impls.contains_key(&t),
                    };
                    if !declares {
                        continue;
                    }
                    owner.clone_from(&t);
                    let default = sources.trait_default(&t, name);
                    for ty in sources.impls.get(&t).map(Vec::as_slice).unwrap_or_default() {
                        let own: Vec<&FnEntry> = sources
                            .methods(Some(ty), name)
                            .into_iter()
                            .filter(|f| f.trait_name.as_deref() == Some(t.as_str()))
                            .collect();
                        if own.is_empty() {
                            found.extend(default.cloned());
                        } else {
                            found.extend(own.into_iter().cloned());
                        }
                    }
                }
                dedup(&mut found);
                let note = (found.len() > 1).then(|| {
                    format!("one of {} implementations of `{owner}::{name}`", found.len())
                });
                (found, note)
            }
            TypeInfo::Unknown => {
                let mut found: Vec<FnEntry> =
                    sources.methods(None, name).into_iter().cloned().collect();
                dedup(&mut found);
                let note = match found.len() {
                    0 => None,
                    1 => Some(format!(
                        "receiver of `.{name}()` of unknown type: the one method so named"
                    )),
                    n => Some(format!(
                        "receiver of `.{name}()` of unknown type: one of {n} methods so named"
                    )),
                };
                (found, note)
            }
            TypeInfo::Client(krate) => {
                // An extension trait the crate implements on the SDK's client (`impl GetFile
                // for S3Client`), whatever name the impl gives the client's type.
                let found: Vec<FnEntry> = sources
                    .methods(None, name)
                    .into_iter()
                    .filter(|f| !f.is_trait_default)
                    .filter(|f| {
                        f.impl_ty.as_ref().is_some_and(|ty| {
                            let cx = TypeCx {
                                sources,
                                module: &f.module,
                                self_ty: None,
                                generics: &f.generics,
                            };
                            cx.resolve(ty) == TypeInfo::Client(krate.clone())
                        })
                    })
                    .cloned()
                    .collect();
                (found, None)
            }
            TypeInfo::Builder { .. }
            | TypeInfo::Tuple(_)
            | TypeInfo::Container(_)
            | TypeInfo::Foreign => (Vec::new(), None),
        }
    }

    /// Follows a call into a crate function, binding its receiver and parameters to the
    /// arguments' types and hints.
    pub(super) fn follow(
        &mut self,
        f: &FnEntry,
        receiver: Option<TypeInfo>,
        args: Vec<Binding>,
        call_span: Span,
        note: Option<String>,
    ) {
        // A function is walked once per entry point and per set of argument types that its
        // declared types leave open (a generic or trait-object parameter, a builder to finish).
        let declared_self = match (&f.self_ty, f.is_trait_default) {
            (Some(t), true) => TypeInfo::Trait(vec![t.clone()]),
            (Some(t), false) => TypeInfo::Named(t.clone()),
            (None, _) => TypeInfo::Unknown,
        };
        let self_ty = match receiver {
            Some(r @ TypeInfo::Client(_)) => r,
            other => narrow(declared_self, other.as_ref()),
        };
        let open: Vec<String> = std::iter::once(&self_ty)
            .chain(args.iter().map(|b| &b.ty))
            .filter(|t| matches!(t, TypeInfo::Named(_) | TypeInfo::Builder { call: Some(_), .. }))
            .map(|t| format!("{t:?}"))
            .collect();
        let key = format!(
            "{}:{}:{}:{}::{}#{}",
            f.file,
            f.module,
            f.trait_name.as_deref().unwrap_or_default(),
            f.self_ty.as_deref().unwrap_or_default(),
            f.name,
            open.join(",")
        );
        if self.via.len() >= MAX_FOLLOW || !self.visited.insert(key) {
            return;
        }
        self.out.reached.insert((f.module.clone(), f.display()));
        let module = f.module.clone();
        let mut callee = Walker {
            input: self.input,
            out: &mut *self.out,
            visited: &mut *self.visited,
            scopes: vec![HashMap::new()],
            file: Some(f.file),
            module,
            self_ty: f.self_ty.clone(),
            generics: f.generics.clone(),
            function: f.display(),
            anchor: Some(self.anchor.unwrap_or(call_span)),
            via: self.via.iter().cloned().chain([f.display()]).collect(),
            notes: self.notes.iter().cloned().chain(note).collect(),
        };
        if f.sig.receiver().is_some() {
            callee.bind(
                "self".to_owned(),
                Binding { ty: self_ty, hint: Hint::Unknown, init: Vec::new() },
            );
        }
        callee.bind_params(&f.sig, &args, true);
        callee.visit_block(&f.block);
    }

    /// The declared return type of a crate function, in its own module.
    pub(super) fn return_type(&self, f: &FnEntry) -> TypeInfo {
        match &f.sig.output {
            syn::ReturnType::Type(_, ty) => {
                let cx = TypeCx {
                    sources: self.input.sources,
                    module: &f.module,
                    self_ty: f.self_ty.as_deref(),
                    generics: &f.generics,
                };
                cx.resolve(ty)
            }
            syn::ReturnType::Default => TypeInfo::Unknown,
        }
    }

    /// The type several candidates return: theirs when they agree.
    pub(super) fn common_return(&self, found: &[FnEntry]) -> TypeInfo {
        let mut types = found.iter().map(|f| self.return_type(f));
        let Some(first) = types.next() else { return TypeInfo::Unknown };
        if types.all(|t| t == first) { first } else { TypeInfo::Unknown }
    }

    /// The type of a struct's field, resolved where the struct is written (its generics give
    /// trait bounds).
    pub(super) fn field_of(&self, owner: &str, member: &str) -> TypeInfo {
        let sources = self.input.sources;
        let Some(ty) = sources.field_type(owner, member) else { return TypeInfo::Unknown };
        let module =
            sources.struct_modules.get(owner).cloned().unwrap_or_else(|| self.module.clone());
        let generics = sources.struct_generics.get(owner).cloned().unwrap_or_default();
        let cx = TypeCx { sources, module: &module, self_ty: Some(owner), generics: &generics };
        cx.resolve(ty)
    }

    /// Follows every candidate with the receiver and arguments, and returns what the call
    /// evaluates to.
    pub(super) fn follow_all(
        &mut self,
        found: &[FnEntry],
        receiver: Option<TypeInfo>,
        args: &[Binding],
        span: Span,
        note: Option<String>,
    ) -> TypeInfo {
        for f in found {
            self.follow(f, receiver.clone(), args.to_vec(), span, note.clone());
        }
        let ret = self.common_return(found);
        // `fn new(client: Client) -> Self` on a generic type keeps what it was given.
        narrow(ret, None)
    }
}

/// Max depth of followed calls, against pathological recursion through name look-ups.
const MAX_FOLLOW: usize = super::MAX_DEPTH;

pub(super) fn dedup(found: &mut Vec<FnEntry>) {
    let mut seen = std::collections::HashSet::new();
    found.retain(|f| {
        seen.insert(format!(
            "{}:{}:{:?}:{:?}:{}",
            f.file, f.module, f.self_ty, f.trait_name, f.name
        ))
    });
}
