//! `infer`: the actions each binary of a crate or workspace needs, from code with or without
//! declarations, and a suggested `#[leastpriv::role(...)]` to paste.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analyse::{AnalysisInput, CrateSources, Hint, analyse_function};
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
    /// `unmapped` when the catalog knows no action for the operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    /// A declaration to paste on the handler.
    pub suggestion: String,
}

/// Infers every binary of `crates`; paths in the result are relative to `root`.
pub fn infer(catalog: &Catalog, crates: &[CrateInfo], root: &Path) -> Vec<InferredFunction> {
    let mut out = Vec::new();
    for info in crates {
        let mut sources = CrateSources::load(&info.dir, &info.dir.join("src"), true);
        for dep in &info.path_dependencies {
            let dep_sources = CrateSources::load(dep, &dep.join("src"), true);
            for file in dep_sources.files {
                if let Ok(text) = std::fs::read_to_string(&file.path) {
                    // Shown by its own path: it is not under this crate's directory.
                    let display = std::fs::canonicalize(&file.path).unwrap_or(file.path.clone());
                    sources.add(file.path, display, &text, true);
                }
            }
        }
        let prefixes: BTreeSet<String> = info
            .sdk_crates
            .iter()
            .filter_map(|c| catalog.crate_prefix(c).map(str::to_owned))
            .collect();
        for binary in &info.binaries {
            let entry_path = info.dir.join(&binary.entry);
            let Some(index) = sources.files.iter().position(|f| same_file(&f.path, &entry_path))
            else {
                continue;
            };
            let Some(main) = sources
                .fns
                .iter()
                .find(|f| f.file == index && f.self_ty.is_none() && f.name == "main")
            else {
                continue;
            };
            let func = syn::ItemFn {
                attrs: Vec::new(),
                vis: syn::Visibility::Inherited,
                sig: main.sig.clone(),
                block: Box::new(main.block.clone()),
            };
            let input = AnalysisInput {
                catalog,
                sources: &sources,
                declared_prefixes: prefixes.iter().cloned().collect(),
                handler_file: binary.entry.clone(),
                handler_file_index: Some(index),
                handler_has_lines: true,
            };
            let analysis = analyse_function(&input, &func);
            let mut calls = Vec::new();
            let mut grants: Grants = BTreeMap::new();
            for call in &analysis.calls {
                let Ok(op) = catalog.sdk_operation(&call.crate_name, &call.method) else {
                    continue;
                };
                let mut actions = BTreeSet::new();
                if op.mapping != Mapping::NoPermission {
                    for (action, hints, _) in call_actions(call, &op) {
                        let Ok(action_info) = catalog.action(&action) else { continue };
                        let prefix = action.split(':').next().unwrap_or_default().to_owned();
                        let key = HintKey::from(hints.iter().find(|h| h.is_known()));
                        let grant = grants.entry((prefix, key)).or_default();
                        grant.0.insert(action_info.access_level);
                        grant.1 &= action_info.resource_star_only();
                        actions.insert(action);
                    }
                }
                let file = relative(&info.dir.join(&call.location.file), root);
                calls.push(InferredCall {
                    crate_name: call.crate_name.clone(),
                    operation: op.operation.clone(),
                    file,
                    line: call.location.line.unwrap_or(0),
                    actions: actions.into_iter().collect(),
                    note: (op.mapping == Mapping::Unmapped).then(|| {
                        "unmapped: the catalog knows no action for this operation".to_owned()
                    }),
                });
            }
            calls.sort_by(|a, b| {
                (&a.file, a.line, &a.operation).cmp(&(&b.file, b.line, &b.operation))
            });
            let actions: BTreeSet<String> =
                calls.iter().flat_map(|c| c.actions.iter().cloned()).collect();
            out.push(InferredFunction {
                binary: binary.name.clone(),
                entry: relative(&entry_path, root),
                actions: actions.into_iter().collect(),
                calls,
                suggestion: suggestion(&grants),
            });
        }
    }
    out
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
