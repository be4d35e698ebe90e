//! `infer`: the actions each binary of a crate or workspace needs, from code with or without
//! declarations, and a suggested `#[leastpriv::role(...)]` to paste.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analyse::{
    Analysis, AnalysisInput, HandlerLines, Hint, Location, Resolved, Unresolved, analyse_fns,
    analyse_function, binary_key, load_crate,
};
use crate::catalog::{AccessLevel, Catalog, Mapping};
use crate::check::{access_word, call_actions};
use crate::declare::services;
use crate::project::CrateInfo;

/// One SDK call of a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InferredCall {
    /// The aws-sdk-rust crate.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The API operation.
    pub operation: String,
    /// The file, relative to the analysed path.
    pub file: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// The actions the call needs, sorted.
    pub actions: Vec<String>,
    /// Why `actions` is empty: the catalog knows no action for the operation (`unmapped`), or
    /// IAM does not authorise it (`no IAM permission`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How the call was reached when dispatch was ambiguous (the union was taken).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provenance: Vec<String>,
}

/// Something on a path from a function's `main` that may make SDK calls the analysis cannot
/// see, or a call whose actions it cannot tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InferredUnresolved {
    /// The file, relative to the analysed path.
    pub file: PathBuf,
    /// The 1-based line (0 when unknown).
    pub line: usize,
    /// The SDK crate involved, when known.
    pub service: Option<String>,
    /// Why, naming the expression.
    pub reason: String,
}

/// One binary (one Lambda function) and what it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InferredFunction {
    /// The binary's name.
    pub binary: String,
    /// Its root source file, relative to the analysed path.
    pub entry: PathBuf,
    /// The sorted union of its calls' actions.
    pub actions: Vec<String>,
    /// Every SDK call reachable from its `main`.
    pub calls: Vec<InferredCall>,
    /// What the analysis could not follow: the role may need more than `actions`.
    pub unresolved: Vec<InferredUnresolved>,
    /// A declaration to paste on the handler.
    pub suggestion: String,
}

/// Infers every binary of `crates`; paths in the result are relative to `root`. A source file
/// that cannot be read or parsed (for any reason) is an unresolved item of the binaries that may
/// reach it.
pub fn infer(catalog: &Catalog, crates: &[CrateInfo], root: &Path) -> Vec<InferredFunction> {
    let mut out = Vec::new();
    for info in crates {
        infer_crate(catalog, info, &load_crate(info, true), root, &mut out);
    }
    out
}

/// [`infer`], except that a source file breaking an input bound (over 16 MiB, nested or chained
/// too deeply to parse safely) stops it: `Err` holds the file and the reason. For front ends
/// that treat such a file as bad input rather than as code the analysis could not follow.
pub fn infer_bounded(
    catalog: &Catalog,
    crates: &[CrateInfo],
    root: &Path,
) -> Result<Vec<InferredFunction>, (PathBuf, String)> {
    let mut out = Vec::new();
    for info in crates {
        let sources = load_crate(info, true);
        if let Some(error) = sources.limit_error() {
            return Err(error.clone());
        }
        infer_crate(catalog, info, &sources, root, &mut out);
    }
    Ok(out)
}

/// Infers every binary of one crate from its loaded sources into `out`.
fn infer_crate(
    catalog: &Catalog,
    info: &CrateInfo,
    sources: &crate::analyse::CrateSources,
    root: &Path,
    out: &mut Vec<InferredFunction>,
) {
    let mut prefixes: BTreeSet<String> =
        info.sdk_crates.iter().filter_map(|c| catalog.crate_prefix(c).map(str::to_owned)).collect();
    prefixes.extend(
        sources.sdk_aliases.values().filter_map(|c| catalog.crate_prefix(c).map(str::to_owned)),
    );
    for binary in &info.binaries {
        let entry_path = info.dir.join(&binary.entry);
        let index = sources.file_index(&entry_path);
        let input = AnalysisInput {
            catalog,
            sources,
            declared_prefixes: prefixes.iter().cloned().collect(),
            handler_file: binary.entry.clone(),
            handler_file_index: index,
            handler_lines: HandlerLines::Spans,
        };
        let analysis = entry_analysis(&input, &binary_key(info, &binary.name), &binary.entry);
        let mut function = function_of(catalog, info, root, &analysis);
        function.binary.clone_from(&binary.name);
        function.entry = relative(&entry_path, root);
        // A file that cannot be read may hold this binary's calls; another binary's missing
        // entry file cannot.
        for (path, message) in &sources.errors {
            let another_entry = info
                .binaries
                .iter()
                .any(|b| b.name != binary.name && same_file(&info.dir.join(&b.entry), path));
            if another_entry {
                continue;
            }
            function.unresolved.push(InferredUnresolved {
                file: relative(path, root),
                line: 0,
                service: None,
                reason: format!(
                    "the file cannot be read or parsed ({message}): calls in it are not seen"
                ),
            });
        }
        out.push(function);
    }
}

/// Per binary of a crate, the crate functions its `main` reaches: (module, function). `synth`
/// maps a handler written in the library to the binary that calls it with this.
pub fn binary_reach(
    catalog: &Catalog,
    info: &CrateInfo,
    sources: &crate::analyse::CrateSources,
) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let prefixes: Vec<String> =
        info.sdk_crates.iter().filter_map(|c| catalog.crate_prefix(c).map(str::to_owned)).collect();
    let mut out = BTreeMap::new();
    for binary in &info.binaries {
        let entry_path = info.dir.join(&binary.entry);
        let input = AnalysisInput {
            catalog,
            sources,
            declared_prefixes: prefixes.clone(),
            handler_file: binary.entry.clone(),
            handler_file_index: sources.file_index(&entry_path),
            handler_lines: HandlerLines::Spans,
        };
        let analysis = entry_analysis(&input, &binary_key(info, &binary.name), &binary.entry);
        out.insert(binary.name.clone(), analysis.reached);
    }
    out
}

/// The analysis from a binary's `main`, or — when a macro writes `main` — from the crate
/// functions the macro's invocation names.
fn entry_analysis(input: &AnalysisInput<'_>, key: &str, entry: &Path) -> Analysis {
    let sources = input.sources;
    if let Some(main) = sources.fns_in(key, "main").into_iter().next() {
        let func = syn::ItemFn {
            attrs: Vec::new(),
            vis: syn::Visibility::Inherited,
            sig: main.sig.clone(),
            block: Box::new(main.block.clone()),
        };
        return analyse_function(input, &func);
    }
    let file = input.handler_file_index.and_then(|i| sources.files.get(i));
    let macros: Vec<&syn::ItemMacro> = file
        .map(|f| {
            f.ast
                .items
                .iter()
                .filter_map(|item| match item {
                    syn::Item::Macro(m) if !m.mac.path.is_ident("macro_rules") => Some(m),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut named = Vec::new();
    for m in &macros {
        for segments in paths_in(m.mac.tokens.clone()) {
            if let Some(Resolved::Local { module, rest }) = sources.resolve_path(key, &segments)
                && let [name] = rest.as_slice()
            {
                named.extend(sources.fns_in(&module, name).into_iter().cloned());
            }
        }
    }
    // Functions an attribute macro registers (`#[launch]`, `#[appsync_operation(…)]`): the code
    // the macro writes calls them.
    let registered: Vec<_> = file
        .map(|f| {
            f.ast
                .items
                .iter()
                .filter_map(|item| match item {
                    syn::Item::Fn(func)
                        if func.attrs.iter().any(crate::analyse::is_macro_attribute) =>
                    {
                        sources.fns_in(key, &func.sig.ident.to_string()).into_iter().next().cloned()
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let opaque = named.is_empty();
    named.extend(registered);
    let mut analysis = analyse_fns(input, "main", &named);
    // Without a main of its own, and with SDK dependencies, the binary's entry is what a macro
    // writes: say so unless the macro's invocation names the handler.
    if opaque && !sources.sdk_aliases.is_empty() {
        let (reason, line) = match macros.first() {
            Some(m) => {
                let name =
                    m.mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                let line = m.mac.path.segments.last().map_or(0, |s| s.ident.span().start().line);
                (
                    format!(
                        "`main` is written by the macro `{name}!`, whose invocation names no \
                         function of the crate the analysis could follow"
                    ),
                    line,
                )
            }
            None => {
                (format!("{} has no `main` function the analysis can find", entry.display()), 0)
            }
        };
        analysis.unresolved.push(Unresolved {
            crate_name: None,
            reason,
            span: proc_macro2::Span::call_site(),
            location: Location {
                file: entry.to_path_buf(),
                function: "main".to_owned(),
                line: (line > 0).then_some(line),
            },
            via: Vec::new(),
        });
    }
    analysis
}

/// Every path written in a token stream (`handler`, `crate::api::handler`), for macro
/// invocations.
fn paths_in(tokens: proc_macro2::TokenStream) -> Vec<Vec<String>> {
    use proc_macro2::TokenTree;
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut colons = 0;
    let flush = |current: &mut Vec<String>, out: &mut Vec<Vec<String>>| {
        if !current.is_empty() {
            out.push(std::mem::take(current));
        }
    };
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => {
                if colons != 2 {
                    flush(&mut current, &mut out);
                }
                colons = 0;
                current.push(ident.to_string());
            }
            TokenTree::Punct(p) if p.as_char() == ':' => colons += 1,
            TokenTree::Group(g) => {
                flush(&mut current, &mut out);
                colons = 0;
                out.extend(paths_in(g.stream()));
            }
            _ => {
                flush(&mut current, &mut out);
                colons = 0;
            }
        }
    }
    flush(&mut current, &mut out);
    out
}

/// A function's calls, actions, unresolved items and suggested declaration.
fn function_of(
    catalog: &Catalog,
    info: &CrateInfo,
    root: &Path,
    analysis: &Analysis,
) -> InferredFunction {
    let mut calls = Vec::new();
    let mut unresolved = Vec::new();
    let mut grants: Grants = BTreeMap::new();
    let file_of = |location: &Location| relative(&info.dir.join(&location.file), root);
    for call in &analysis.calls {
        let Ok(op) = catalog.sdk_operation(&call.crate_name, &call.method) else {
            continue;
        };
        let mut actions = BTreeSet::new();
        let needed = call_actions(call, &op);
        if op.mapping != Mapping::NoPermission {
            for (action, hints, _) in &needed {
                let Ok(action_info) = catalog.action(action) else { continue };
                let prefix = action.split(':').next().unwrap_or_default().to_owned();
                // Each named resource gets the action (two tables of one transaction).
                let mut keys: Vec<HintKey> =
                    hints.iter().filter(|h| h.is_known()).map(|h| HintKey::from(Some(h))).collect();
                if keys.is_empty() {
                    keys.push(HintKey::Unknown);
                }
                for key in keys {
                    let grant = grants.entry((prefix.clone(), key)).or_default();
                    grant.0.insert(action_info.access_level);
                    grant.1 &= action_info.resource_star_only();
                }
                actions.insert(action.clone());
            }
        }
        let file = file_of(&call.location);
        let line = call.location.line.unwrap_or(0);
        let service = Some(call.crate_name.clone());
        if op.mapping == Mapping::Unmapped {
            unresolved.push(InferredUnresolved {
                file: file.clone(),
                line,
                service: service.clone(),
                reason: format!(
                    "the catalog knows no IAM action for `{}` ({}): declare it with `actions = [...]`",
                    call.method, op.operation
                ),
            });
        } else if op.actions.is_empty()
            && op.rules.iter().any(|r| r.when.is_some())
            && call.has_opaque_items()
        {
            unresolved.push(InferredUnresolved {
                file: file.clone(),
                line,
                service: service.clone(),
                reason: format!(
                    "some items given to `.{}()` are built where the analysis cannot see them \
                     (a parameter, another crate): the actions they need are unknown",
                    call.method
                ),
            });
        } else if op.mapping != Mapping::NoPermission && needed.is_empty() {
            unresolved.push(InferredUnresolved {
                file: file.clone(),
                line,
                service: service.clone(),
                reason: format!(
                    "the actions `.{}()` needs depend on setters the analysis cannot see \
                     (`leastpriv explain --sdk {} {}` lists them)",
                    call.method, call.crate_name, call.method
                ),
            });
        }
        calls.push(InferredCall {
            crate_name: call.crate_name.clone(),
            operation: op.operation.clone(),
            file,
            line,
            actions: actions.into_iter().collect(),
            note: match op.mapping {
                Mapping::Unmapped => {
                    Some("unmapped: the catalog knows no action for this operation".to_owned())
                }
                Mapping::NoPermission => {
                    Some("no IAM permission: IAM does not authorise this call".to_owned())
                }
                _ => None,
            },
            provenance: call.provenance.clone(),
        });
    }
    for item in &analysis.unresolved {
        unresolved.push(InferredUnresolved {
            file: file_of(&item.location),
            line: item.location.line.unwrap_or(0),
            service: item.crate_name.clone(),
            reason: item.reason.clone(),
        });
    }
    for ambiguity in &analysis.ambiguities {
        unresolved.push(InferredUnresolved {
            file: file_of(&ambiguity.location),
            line: ambiguity.location.line.unwrap_or(0),
            service: ambiguity.crates.first().cloned(),
            reason: format!(
                "`.{}()` belongs to several SDKs ({}) and the receiver's type is unknown",
                ambiguity.method,
                ambiguity.crates.join(", ")
            ),
        });
    }
    calls.sort_by(|a, b| (&a.file, a.line, &a.operation).cmp(&(&b.file, b.line, &b.operation)));
    calls.dedup();
    unresolved.sort_by(|a, b| (&a.file, a.line, &a.reason).cmp(&(&b.file, b.line, &b.reason)));
    unresolved.dedup();
    let actions: BTreeSet<String> = calls.iter().flat_map(|c| c.actions.iter().cloned()).collect();
    InferredFunction {
        binary: String::new(),
        entry: PathBuf::new(),
        actions: actions.into_iter().collect(),
        calls,
        unresolved,
        suggestion: suggestion(&grants),
    }
}

/// Per (service prefix, resource hint): the access levels used, and whether every action used
/// supports only `Resource: "*"`.
type Grants = BTreeMap<(String, HintKey), (BTreeSet<AccessLevel>, StarOnly)>;

/// `true` until an action with resource-level permissions is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StarOnly(bool);

impl Default for StarOnly {
    fn default() -> Self {
        StarOnly(true)
    }
}

impl std::ops::BitAndAssign<bool> for StarOnly {
    fn bitand_assign(&mut self, rhs: bool) {
        self.0 &= rhs;
    }
}

/// A resource hint, comparable, for grouping calls into suggested entries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum HintKey {
    Env(String),
    Literal(String),
    Unknown,
}

impl From<Option<&Hint>> for HintKey {
    fn from(hint: Option<&Hint>) -> Self {
        match hint {
            Some(Hint::Env(name)) => HintKey::Env(name.clone()),
            Some(Hint::Literal(text)) => HintKey::Literal(text.clone()),
            _ => HintKey::Unknown,
        }
    }
}

fn suggestion(grants: &Grants) -> String {
    let mut entries = Vec::new();
    for ((prefix, hint), (levels, star_only)) in grants {
        let words: Vec<&str> = levels.iter().map(|l| access_word(*l)).collect();
        let spec = services::by_prefix(prefix);
        let attr = spec.map_or_else(|| prefix.replace('-', "_"), |s| s.attr.to_owned());
        let mut parts: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        match spec.and_then(|s| s.keys.first()) {
            Some(key) => {
                let value = match hint {
                    HintKey::Literal(text) => literal_name(text),
                    HintKey::Env(name) => format!("${{{}}}", pascal(name)),
                    HintKey::Unknown => format!("${{{}{}}}", pascal(&attr), pascal(key.name)),
                };
                parts.push(format!("{} = \"{value}\"", key.name));
            }
            None => {
                let arn = if star_only.0 {
                    "*".to_owned()
                } else {
                    format!(
                        "arn:${{AWS::Partition}}:{prefix}:${{AWS::Region}}:${{AWS::AccountId}}:*"
                    )
                };
                parts.push(format!("arn = \"{arn}\""));
            }
        }
        if let HintKey::Env(name) = hint {
            parts.push(format!("env = \"{name}\""));
        }
        entries.push(format!("    {attr}({}),", parts.join(", ")));
    }
    if entries.is_empty() {
        return "#[leastpriv::role()]".to_owned();
    }
    format!("#[leastpriv::role(\n{}\n)]", entries.join("\n"))
}

/// The resource name in a literal: the last path or ARN segment of a URL or ARN.
fn literal_name(text: &str) -> String {
    text.rsplit(['/', ':']).next().unwrap_or(text).to_owned()
}

/// `UPLOAD_BUCKET` → `UploadBucket`.
fn pascal(name: &str) -> String {
    crate::synth::pascal_case(&name.to_ascii_lowercase())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn relative(path: &Path, root: &Path) -> PathBuf {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let root =
        if root.is_file() { root.parent().map(Path::to_path_buf).unwrap_or(root) } else { root };
    canonical.strip_prefix(&root).map(Path::to_path_buf).unwrap_or(canonical)
}
