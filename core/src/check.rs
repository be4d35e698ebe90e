//! Mapping a handler's calls to requirements and checking them against its declaration.
//!
//! Each call's actions come from the catalog (with the setters it uses); each action is matched to
//! the declared entries of its service by resource hints (`env` names, literal names) and by the
//! entries' access ceilings. Every problem becomes a [`Diagnostic`] on the tokens that cause it;
//! all are returned together.

mod coverage;

use std::collections::BTreeSet;

use crate::analyse::{Analysis, Call, Hint, Unresolved};
use crate::catalog::{AccessLevel, Catalog, ImpliedKind, Mapping, SdkOperation};
use crate::declare::{Declaration, Entry};
use crate::diagnostic::{Code, Diagnostic};

pub(crate) use coverage::entry_takes;
pub use coverage::{call_actions, hint_matches};

/// Why a requirement exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The call itself needs the action.
    Call,
    /// The entry's customer managed KMS key is used by the call.
    Kms,
    /// The call passes a role.
    PassRole,
}

/// One action the handler needs on one declared entry, and the call it comes from.
#[derive(Debug, Clone)]
pub struct Requirement {
    /// The action, canonical case.
    pub action: String,
    /// Its access level.
    pub level: AccessLevel,
    /// Index of the declared entry it is granted on.
    pub entry: usize,
    /// Index of the call in [`Analysis::calls`].
    pub call: usize,
    /// The IAM resource type the action applies to (`object`, `index`), when known.
    pub resource_type: Option<String>,
    /// Why.
    pub reason: Reason,
}

/// The outcome of checking: what the handler needs, and what is wrong.
#[derive(Debug, Clone, Default)]
pub struct CheckResult {
    /// Requirements, in call order.
    pub requirements: Vec<Requirement>,
    /// Problems, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks the analysed calls against the declaration.
pub fn check(decl: &Declaration, analysis: &Analysis, catalog: &Catalog) -> CheckResult {
    let mut cx = Checker { decl, catalog, out: CheckResult::default(), used: BTreeSet::new() };
    cx.clients(analysis);
    for ambiguity in &analysis.ambiguities {
        cx.out.diagnostics.push(
            Diagnostic::new(
                Code::AmbiguousClient,
                ambiguity.span,
                format!(
                    "cannot tell which SDK `{}` belongs to: {} all have it",
                    ambiguity.method,
                    ambiguity.crates.join(", ")
                ),
            )
            .help(format!(
                "give the client's type where it is bound, e.g. `let client: &{}::Client = …`",
                ambiguity.crates.first().map(|c| c.replace('-', "_")).unwrap_or_default()
            )),
        );
    }
    for (index, call) in analysis.calls.iter().enumerate() {
        cx.call(index, call, analysis);
    }
    for item in &analysis.unresolved {
        cx.unresolved(item);
    }
    cx.unused(analysis);
    cx.out
}

/// What of an entry a requirement used: an access level, or an explicit action.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Used {
    Level(usize, AccessLevel),
    Action(usize, String),
}

struct Checker<'a> {
    decl: &'a Declaration,
    catalog: &'a Catalog,
    out: CheckResult,
    used: BTreeSet<Used>,
}

impl Checker<'_> {
    fn entries_of(&self, prefix: &str) -> Vec<usize> {
        (0..self.decl.entries.len()).filter(|&i| self.decl.entries[i].prefix == prefix).collect()
    }

    /// Clients of services with no entry at all.
    fn clients(&mut self, analysis: &Analysis) {
        let mut reported = BTreeSet::new();
        for client in &analysis.clients {
            let Some(prefix) = self.catalog.crate_prefix(&client.crate_name) else { continue };
            // A client none of whose calls needs a permission (sts:GetCallerIdentity), or that
            // makes no call on this handler's path (a shared context built for several
            // functions), needs no entry; what escapes the analysis is reported on its own.
            let calls: Vec<&Call> =
                analysis.calls.iter().filter(|c| c.crate_name == client.crate_name).collect();
            let permission_free = calls.iter().all(|c| {
                self.catalog
                    .sdk_operation(&c.crate_name, &c.method)
                    .is_ok_and(|op| op.mapping == Mapping::NoPermission)
            });
            if permission_free {
                continue;
            }
            if self.entries_of(prefix).is_empty()
                && reported.insert((client.crate_name.clone(), format!("{:?}", client.span)))
            {
                self.out.diagnostics.push(undeclared(&client.crate_name, prefix, client.span));
            }
        }
    }

    fn call(&mut self, index: usize, call: &Call, analysis: &Analysis) {
        let Ok(op) = self.catalog.sdk_operation(&call.crate_name, &call.method) else { return };
        let Some(prefix) = op.prefix.clone() else { return };
        if op.mapping == Mapping::NoPermission {
            return;
        }
        if self.entries_of(&prefix).is_empty() {
            let has_client = analysis.clients.iter().any(|c| c.crate_name == call.crate_name);
            if !has_client {
                self.out.diagnostics.push(undeclared(&call.crate_name, &prefix, call.span));
            }
            return;
        }
        if op.mapping == Mapping::Unmapped {
            let message = format!(
                "the IAM catalog knows no action for `{}` `{}` ({})",
                call.crate_name, call.method, op.operation
            );
            self.unmapped(index, call, &prefix, message);
            return;
        }
        let actions = coverage::call_actions(call, &op);
        if actions.is_empty() {
            // Every action of the call depends on setters the analysis did not see (the items
            // of a transaction built elsewhere): an empty grant would fail at run time.
            let message = format!(
                "cannot tell which actions `.{}()` needs: they depend on its {}, which are built \
                 where the analysis cannot see them",
                call.method,
                setters_of(&op)
            );
            self.unmapped(index, call, &prefix, message);
            return;
        }
        for (action, hints, resource_type) in actions {
            self.require(index, call, &action, &hints, resource_type, Reason::Call);
        }
        // Items built where the analysis cannot see may need actions besides those above.
        if op.actions.is_empty()
            && op.rules.iter().any(|r| r.when.is_some())
            && call.has_opaque_items()
        {
            let message = format!(
                "some of the {} given to `.{}()` are built where the analysis cannot see them \
                 (a parameter, another crate): the actions they need are unknown",
                setters_of(&op),
                call.method
            );
            self.unmapped(index, call, &prefix, message);
        }
    }

    /// A call whose actions the catalog cannot give: covered by the explicit `actions` of the
    /// service's entries, or an error.
    fn unmapped(&mut self, index: usize, call: &Call, prefix: &str, message: String) {
        let explicit: Vec<(usize, String)> = self
            .entries_of(prefix)
            .into_iter()
            .flat_map(|i| self.decl.entries[i].actions.iter().map(move |a| (i, a.value.clone())))
            .collect();
        if explicit.is_empty() {
            self.out.diagnostics.push(
                Diagnostic::new(Code::UnmappedOperation, call.span, message).help(format!(
                    "declare the actions it needs explicitly: `{}(…, actions = [\"{prefix}:…\"])`",
                    prefix.replace('-', "_")
                )),
            );
            return;
        }
        for (entry, action) in explicit {
            self.used.insert(Used::Action(entry, action.clone()));
            let level = self.catalog.action(&action).map_or(AccessLevel::Write, |a| a.access_level);
            self.out.requirements.push(Requirement {
                action,
                level,
                entry,
                call: index,
                resource_type: None,
                reason: Reason::Call,
            });
        }
    }

    fn require(
        &mut self,
        index: usize,
        call: &Call,
        action: &str,
        hints: &[Hint],
        resource_type: Option<String>,
        reason: Reason,
    ) {
        let Ok(info) = self.catalog.action(action) else { return };
        let prefix = action.split(':').next().unwrap_or_default();
        let candidates = self.entries_of(prefix);
        let known: Vec<&Hint> = hints.iter().filter(|h| h.is_known()).collect();
        // Several named resources (transaction items on two tables): each needs the action.
        if known.len() > 1 {
            let mut distinct: Vec<&Hint> = Vec::new();
            for hint in known {
                if !distinct.contains(&hint) {
                    distinct.push(hint);
                }
            }
            for hint in distinct {
                let one = [hint.clone()];
                self.require(index, call, action, &one, resource_type.clone(), reason.clone());
            }
            return;
        }
        let targeted: Vec<usize> = if known.is_empty() {
            candidates.clone()
        } else {
            let matching = |want: Option<bool>| -> Vec<usize> {
                candidates
                    .iter()
                    .copied()
                    .filter(|&i| {
                        known.iter().any(|h| hint_matches(&self.decl.entries[i], h) == want)
                    })
                    .collect()
            };
            // A name that matches an entry picks it; otherwise entries named by `${Reference}`
            // (whose value the code's literal may be) stay candidates.
            let exact = matching(Some(true));
            if exact.is_empty() { matching(None) } else { exact }
        };
        let fits = |entry: &Entry| coverage::entry_takes(entry, &info, resource_type.as_deref());
        let allowed: Vec<usize> = targeted
            .iter()
            .copied()
            .filter(|&i| {
                let e = &self.decl.entries[i];
                fits(e) && e.allows(&info.action, info.access_level)
            })
            .collect();
        if !allowed.is_empty() {
            for &entry in &allowed {
                let e = &self.decl.entries[entry];
                if e.actions.iter().any(|a| a.value == info.action) {
                    self.used.insert(Used::Action(entry, info.action.clone()));
                } else {
                    self.used.insert(Used::Level(entry, info.access_level));
                }
                self.out.requirements.push(Requirement {
                    action: info.action.clone(),
                    level: info.access_level,
                    entry,
                    call: index,
                    resource_type: resource_type.clone(),
                    reason: reason.clone(),
                });
                if reason == Reason::Call {
                    self.implied(index, call, entry);
                }
            }
            return;
        }
        let diagnostic =
            coverage::not_covered(self.decl, call, &info, &candidates, &targeted, &known);
        self.out.diagnostics.push(diagnostic);
    }

    /// KMS actions on an entry's customer managed key, and passed roles.
    fn implied(&mut self, index: usize, call: &Call, entry: usize) {
        let Ok(op) = self.catalog.sdk_operation(&call.crate_name, &call.method) else { return };
        let resolved = op.resolve(&call.all_setters());
        for imp in resolved.implied {
            match imp.implied.kind {
                ImpliedKind::Kms if self.decl.entries[entry].kms_key.is_some() => {
                    for action in &imp.implied.actions {
                        let level = self
                            .catalog
                            .action(action)
                            .map_or(AccessLevel::Write, |a| a.access_level);
                        let already = self.out.requirements.iter().any(|r| {
                            r.action == *action && r.entry == entry && r.reason == Reason::Kms
                        });
                        if !already {
                            self.out.requirements.push(Requirement {
                                action: action.clone(),
                                level,
                                entry,
                                call: index,
                                resource_type: Some("key".to_owned()),
                                reason: Reason::Kms,
                            });
                        }
                    }
                }
                ImpliedKind::PassRole => {
                    for action in &imp.implied.actions {
                        self.require(index, call, action, &[], None, Reason::PassRole);
                    }
                }
                ImpliedKind::Kms => {}
            }
        }
    }

    /// Something the analysis could not follow: an error at the expression, unless an
    /// `allow_unused` entry of its service with explicit `actions` says what it needs.
    fn unresolved(&mut self, item: &Unresolved) {
        // A request signed by hand names no service: any `allow_unused` entry with explicit
        // actions (`resource(arn = "…", actions = ["rds-db:connect"], allow_unused)`) says what
        // it needs.
        if item.crate_name.as_deref() == Some("aws-sigv4") {
            let declared = (self.decl.entries.iter())
                .any(|e| e.allow_unused.is_some() && !e.actions.is_empty());
            if !declared {
                let help = "declare what the signed request needs: `resource(arn = \"…\", \
                            actions = [\"rds-db:connect\"], allow_unused)`";
                self.out.diagnostics.push(
                    Diagnostic::new(Code::Unresolved, item.span, item.reason.clone()).help(help),
                );
            }
            return;
        }
        let prefix = item.crate_name.as_deref().and_then(|k| self.catalog.crate_prefix(k));
        if let Some(prefix) = prefix {
            let acknowledged = self.entries_of(prefix).iter().any(|&i| {
                self.decl.entries[i].allow_unused.is_some()
                    && !self.decl.entries[i].actions.is_empty()
            });
            if acknowledged {
                return;
            }
        }
        let help = match prefix {
            Some(prefix) => {
                let attr = crate::declare::services::by_prefix(prefix)
                    .map_or_else(|| prefix.replace('-', "_"), |s| s.attr.to_owned());
                format!(
                    "if you know what it does, declare it: `{attr}(…, actions = [\"{prefix}:…\"], \
                     allow_unused)`; better, keep the client's SDK calls in this crate"
                )
            }
            None => "keep the SDK calls where the analysis can follow them".to_owned(),
        };
        let mut message = item.reason.clone();
        if item.via.len() > 1 {
            message.push_str(&format!(
                " (in `{}`, via {})",
                item.location.function,
                item.via.join(" → ")
            ));
        }
        self.out.diagnostics.push(Diagnostic::new(Code::Unresolved, item.span, message).help(help));
    }

    /// Declared grants no call uses.
    fn unused(&mut self, analysis: &Analysis) {
        for (i, entry) in self.decl.entries.iter().enumerate() {
            if entry.allow_unused.is_some() {
                continue;
            }
            // Calls of this service the analysis could not see may be what uses the grant.
            let of_entry =
                |krate: &str| self.catalog.crate_prefix(krate) == Some(entry.prefix.as_str());
            let at = |location: &crate::analyse::Location| match location.line {
                Some(line) => format!("{}:{line}", location.file.display()),
                None => location.file.display().to_string(),
            };
            let mut unseen: Vec<String> = analysis
                .unresolved
                .iter()
                .filter(|u| u.crate_name.as_deref().is_some_and(of_entry))
                .map(|u| at(&u.location))
                .collect();
            unseen.extend(
                analysis
                    .ambiguities
                    .iter()
                    .filter(|a| a.crates.iter().any(|k| of_entry(k)))
                    .map(|a| at(&a.location)),
            );
            for level in &entry.access {
                if !self.used.contains(&Used::Level(i, level.value)) {
                    let word = access_word(level.value);
                    self.out.diagnostics.push(
                        Diagnostic::new(
                            Code::UnusedGrant,
                            level.span,
                            format!(
                                "`{word}` is declared on {} but no call of the handler needs {} access to it",
                                entry.label(),
                                level.value
                            ),
                        )
                        .help(if unseen.is_empty() {
                            format!(
                                "remove `{word}`; if the access happens where the analysis cannot see it \
                                 (another crate, dynamic dispatch), add `allow_unused` to the entry"
                            )
                        } else {
                            format!(
                                "the analysis could not follow this service's client at {}: the access \
                                 may happen there; declare what it needs with `actions = [...]` and \
                                 `allow_unused` instead of removing `{word}`",
                                unseen.join(", ")
                            )
                        }),
                    );
                }
            }
            for action in &entry.actions {
                if !self.used.contains(&Used::Action(i, action.value.clone())) {
                    self.out.diagnostics.push(
                        Diagnostic::new(
                            Code::UnusedGrant,
                            action.span,
                            format!(
                                "`{}` is declared on {} but no call of the handler needs it",
                                action.value,
                                entry.label()
                            ),
                        )
                        .help(if unseen.is_empty() {
                            "remove it, or add `allow_unused` to the entry if the analysis cannot see its use"
                                .to_owned()
                        } else {
                            format!(
                                "the analysis could not follow this service's client at {}: keep it and \
                                 add `allow_unused` to the entry",
                                unseen.join(", ")
                            )
                        }),
                    );
                }
            }
        }
    }
}

/// The setters an operation's rules depend on, for messages (`put`, `update`, …).
fn setters_of(op: &SdkOperation) -> String {
    let mut names: Vec<String> = op
        .rules
        .iter()
        .filter_map(|r| r.when.as_ref())
        .map(|w| format!("`{}`", w.setter))
        .collect();
    names.dedup();
    if names.is_empty() { "arguments".to_owned() } else { names.join(", ") }
}

/// The attribute word for an access level.
pub fn access_word(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::List => "list",
        AccessLevel::Read => "read",
        AccessLevel::Write => "write",
        AccessLevel::Tagging => "tagging",
        AccessLevel::PermissionsManagement => "permissions",
    }
}

fn undeclared(krate: &str, prefix: &str, span: proc_macro2::Span) -> Diagnostic {
    let attr = crate::declare::services::by_prefix(prefix)
        .map_or_else(|| prefix.replace('-', "_"), |s| s.attr.to_owned());
    Diagnostic::new(
        Code::UndeclaredService,
        span,
        format!("this handler uses a `{krate}` client, but the declaration has no `{attr}` entry"),
    )
    .help(format!("declare what it may touch, e.g. `{attr}(read, …)`, or remove the client"))
}
