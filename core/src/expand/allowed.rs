//! The SDK operations a role allows, as the runtime guard matches them: computed from the catalog
//! at expansion time so the Lambda binary never embeds the catalog.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyse::Call;
use crate::catalog::{Catalog, Mapping};
use crate::check::{CheckResult, Reason, entry_takes};
use crate::declare::Declaration;

/// Crates whose permission-less operations (`sts:GetCallerIdentity`) every role allows.
const ALWAYS_FREE: &[&str] = &["aws-sdk-sts"];

/// (SDK service id, operation name), as the SDK's operation `Metadata` reports them → the indexes
/// of the declared entries whose resources the operation may act on (none when it needs no
/// permission), sorted. The IAM actions are not kept: the guard matches operations, and its
/// messages name the operation, the resource and the entry to add.
pub(crate) type AllowedOps = BTreeMap<(String, String), BTreeSet<usize>>;

/// The operations of the declared services' SDK crates whose actions the declaration fully
/// covers, plus every operation the analysis found the handler calling (with the entries its
/// requirements landed on), plus the operations that need no permission.
pub(crate) fn allowed_operations(
    catalog: &Catalog,
    decl: &Declaration,
    result: &CheckResult,
    calls: &[Call],
) -> AllowedOps {
    let mut out = AllowedOps::new();
    let prefixes: BTreeSet<&str> = decl.entries.iter().map(|e| e.prefix.as_str()).collect();
    let mut crates: BTreeSet<&str> =
        prefixes.iter().flat_map(|p| catalog.crates_of_prefix(p)).collect();
    crates.extend(ALWAYS_FREE);
    for krate in crates {
        let free_only = ALWAYS_FREE.contains(&krate)
            && catalog.crate_prefix(krate).is_none_or(|p| !prefixes.contains(p));
        covered_by_declaration(catalog, decl, krate, free_only, &mut out);
    }
    for r in &result.requirements {
        if r.reason != Reason::Call {
            continue;
        }
        let Some(call) = calls.get(r.call) else { continue };
        let Ok((op, _)) = catalog.sdk_call(&call.crate_name, &call.method) else { continue };
        let Ok(service) = catalog.sdk_service_id(&op.crate_name) else { continue };
        out.entry((service.to_owned(), op.operation.clone())).or_default().insert(r.entry);
    }
    out
}

/// Adds the operations of one crate that the declaration covers (`free_only`: only those that
/// need no permission).
fn covered_by_declaration(
    catalog: &Catalog,
    decl: &Declaration,
    krate: &str,
    free_only: bool,
    out: &mut AllowedOps,
) {
    let (Ok(service), Ok(methods)) = (catalog.sdk_service_id(krate), catalog.methods_of(krate))
    else {
        return;
    };
    for method in methods {
        let Ok(op) = catalog.sdk_operation(krate, &method) else { continue };
        let key = (service.to_owned(), op.operation.clone());
        match op.mapping {
            Mapping::NoPermission => {
                out.entry(key).or_default();
            }
            // Operations with no base action need setters to say which: only the analysed
            // calls (added by the caller) allow them.
            _ if free_only || op.actions.is_empty() => {}
            Mapping::Derived | Mapping::DocLink | Mapping::Exception => {
                if let Some(grants) = covering_grants(catalog, decl, &op.actions) {
                    out.entry(key).or_default().extend(grants);
                }
            }
            Mapping::Unmapped | Mapping::SetterDependent => {}
        }
    }
}

/// The entries that grant the actions, when every action has at least one.
fn covering_grants(
    catalog: &Catalog,
    decl: &Declaration,
    actions: &[String],
) -> Option<BTreeSet<usize>> {
    let mut grants = BTreeSet::new();
    for action in actions {
        let info = catalog.action(action).ok()?;
        let prefix = info.action.split(':').next().unwrap_or_default();
        let for_action: Vec<usize> = (decl.entries.iter().enumerate())
            .filter(|(_, e)| {
                e.prefix == prefix
                    && e.allows(&info.action, info.access_level)
                    && entry_takes(e, &info, None)
            })
            .map(|(i, _)| i)
            .collect();
        if for_action.is_empty() {
            return None;
        }
        grants.extend(for_action);
    }
    Some(grants)
}
