//! The manifest (DESIGN §6): per function its declaration, every SDK call with file and line,
//! the requirements with their provenance, and the role. Every other output renders from it.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::check::access_word;
use crate::declare::{Declaration, Entry};
use crate::pipeline::HandlerResult;

use super::{FunctionRole, RoleTag, SynthError, function_name, synthesize};

/// The manifest format version; bumped when a field changes meaning or disappears.
pub const MANIFEST_FORMAT: u32 = 1;

/// Everything `leastpriv synth` derives for one crate.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: u32,
    /// The crate's package name; for several crates synthesized together, the name of the
    /// folder or workspace holding them (each function names its own crate).
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// One per annotated handler, ordered by name.
    pub functions: Vec<ManifestFunction>,
    /// Plain `${Name}`s of all functions: parameters unless the consuming template defines them.
    pub parameters: BTreeSet<String>,
    /// `${Resource.Attribute}`s of all functions: resources the consuming template defines.
    pub resource_attributes: BTreeSet<String>,
}

/// One function: its role, and the declaration and calls the role comes from.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ManifestFunction {
    /// The role and its provenance (`requirements`).
    #[serde(flatten)]
    pub role: FunctionRole,
    /// The attribute as parsed.
    pub declaration: DeclarationView,
    /// The SDK calls the analysis found, in the order found; requirements refer to them by index.
    pub calls: Vec<CallView>,
}

/// A declaration as written (keys not given are not listed; their defaults apply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DeclarationView {
    /// `name = "…"`, if given.
    pub name: Option<String>,
    /// `function = "…"`: the template function (logical id) the role is for, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The entries, in order; requirements refer to them by index.
    pub entries: Vec<EntryView>,
    /// `log_retention_days`.
    pub log_retention_days: Option<u32>,
    /// `boundary`.
    pub boundary: Option<String>,
    /// `path`.
    pub path: Option<String>,
    /// `tags`.
    pub tags: Vec<RoleTag>,
}

/// One declared entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct EntryView {
    /// The entry's name as written (`s3`, `resource`).
    pub service: String,
    /// The IAM prefix of its actions.
    pub prefix: String,
    /// Access levels (`read`, `write`, …).
    pub access: Vec<String>,
    /// Explicit actions.
    pub actions: Vec<String>,
    /// Whether the resource is the function's event source.
    pub trigger: bool,
    /// Resource keys as written (`bucket`, `key`, `arn`, …).
    pub keys: BTreeMap<String, String>,
    /// The environment variable carrying the resource's name.
    pub env: Option<String>,
    /// The customer managed KMS key.
    pub kms_key: Option<String>,
    /// `allow_unused`.
    pub allow_unused: bool,
    /// The entry's line in the handler's file.
    pub line: Option<usize>,
}

/// One SDK call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CallView {
    /// The aws-sdk-rust crate (`aws-sdk-s3`).
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The client method (`get_object`).
    pub method: String,
    /// The API operation (`GetObject`), when the catalog knows the method.
    pub operation: Option<String>,
    /// The file, relative to the crate.
    pub file: String,
    /// The 1-based line.
    pub line: Option<usize>,
    /// The function or method containing the call.
    pub function: String,
    /// The chain of the crate's functions from the handler to the call.
    pub via: Vec<String>,
    /// How the call was reached when dispatch was ambiguous and the union was taken ("one of
    /// 2 implementations of `StoreGet::get`").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provenance: Vec<String>,
}

fn line_of(span: proc_macro2::Span) -> Option<usize> {
    let line = span.start().line;
    (line > 0).then_some(line)
}

fn entry_view(entry: &Entry) -> EntryView {
    EntryView {
        service: entry.service.value.clone(),
        prefix: entry.prefix.clone(),
        access: entry.access.iter().map(|a| access_word(a.value).to_owned()).collect(),
        actions: entry.actions.iter().map(|a| a.value.clone()).collect(),
        trigger: entry.trigger.is_some(),
        keys: entry.keys.iter().map(|(k, v)| (k.clone(), v.value.to_string())).collect(),
        env: entry.env.as_ref().map(|e| e.value.clone()),
        kms_key: entry.kms_key.as_ref().map(|k| k.value.to_string()),
        allow_unused: entry.allow_unused.is_some(),
        line: line_of(entry.span),
    }
}

/// The declaration as the manifest shows it.
pub fn declaration_view(decl: &Declaration) -> DeclarationView {
    DeclarationView {
        name: decl.name.as_ref().map(|n| n.value.clone()),
        function: decl.options.function.as_ref().map(|f| f.value.clone()),
        entries: decl.entries.iter().map(entry_view).collect(),
        log_retention_days: decl.options.log_retention_days.as_ref().map(|d| d.value),
        boundary: decl.options.boundary.as_ref().map(|b| b.value.to_string()),
        path: decl.options.path.as_ref().map(|p| p.value.clone()),
        tags: super::role_tags(decl),
    }
}

fn call_views(catalog: &Catalog, handler: &HandlerResult) -> Vec<CallView> {
    handler
        .analysis
        .calls
        .iter()
        .map(|call| CallView {
            crate_name: call.crate_name.clone(),
            method: call.method.clone(),
            operation: catalog
                .sdk_operation(&call.crate_name, &call.method)
                .ok()
                .map(|op| op.operation),
            file: call.location.file.to_string_lossy().replace('\\', "/"),
            line: call.location.line,
            function: call.location.function.clone(),
            via: call.via.clone(),
            provenance: call.provenance.clone(),
        })
        .collect()
}

impl Manifest {
    /// Synthesizes every handler of a crate. `binary` tells which binary a handler runs in.
    ///
    /// Handlers must have passed the checks (no diagnostics); functions are ordered by name, and
    /// two handlers with one name are an error.
    pub fn build(
        catalog: &Catalog,
        crate_name: &str,
        handlers: &[HandlerResult],
        binary: impl Fn(&HandlerResult) -> Option<String>,
    ) -> Result<Manifest, SynthError> {
        let mut by_name: BTreeMap<String, Vec<&HandlerResult>> = BTreeMap::new();
        for handler in handlers {
            by_name.entry(function_name(handler)).or_default().push(handler);
        }
        let mut functions = Vec::with_capacity(handlers.len());
        for (name, group) in by_name {
            if let [handler] = group.as_slice() {
                let role = synthesize(catalog, handler, crate_name, binary(handler).as_deref())?;
                functions.push(ManifestFunction {
                    role,
                    declaration: declaration_view(&handler.declaration),
                    calls: call_views(catalog, handler),
                });
            } else {
                let handlers = group
                    .iter()
                    .map(|h| format!("`{}` ({})", h.handler, h.file.display()))
                    .collect();
                return Err(SynthError::DuplicateName { name, handlers });
            }
        }
        Ok(Manifest::of_functions(crate_name, functions))
    }

    /// The functions of several crates synthesized together (`leastpriv synth` at a workspace
    /// root or a folder of crates), named `name`: functions ordered by name, parameters and
    /// resource attributes united. Two functions with one logical id, in any crates, are an error
    /// naming both: they would be one resource of the template.
    pub fn combine(name: &str, manifests: Vec<Manifest>) -> Result<Manifest, SynthError> {
        let mut by_name: BTreeMap<String, Vec<ManifestFunction>> = BTreeMap::new();
        for function in manifests.into_iter().flat_map(|m| m.functions) {
            by_name.entry(function.role.name.clone()).or_default().push(function);
        }
        let mut functions = Vec::with_capacity(by_name.len());
        for (name, mut group) in by_name {
            match group.len() {
                1 => functions.append(&mut group),
                _ => {
                    let handlers = group
                        .iter()
                        .map(|f| {
                            format!("`{}` ({}: {})", f.role.handler, f.role.crate_name, f.role.file)
                        })
                        .collect();
                    return Err(SynthError::DuplicateName { name, handlers });
                }
            }
        }
        Ok(Manifest::of_functions(name, functions))
    }

    /// A manifest named `crate_name` of `functions` (ordered by name), with the names all of them
    /// use.
    fn of_functions(crate_name: &str, functions: Vec<ManifestFunction>) -> Manifest {
        let parameters = functions.iter().flat_map(|f| f.role.parameters.iter().cloned()).collect();
        let resource_attributes =
            functions.iter().flat_map(|f| f.role.resource_attributes.iter().cloned()).collect();
        Manifest {
            format: MANIFEST_FORMAT,
            crate_name: crate_name.to_owned(),
            functions,
            parameters,
            resource_attributes,
        }
    }

    /// The manifest as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        // Every map key is a string and no Serialize impl here fails: this cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// The JSON Schema (2020-12) of the manifest.
pub fn manifest_schema() -> serde_json::Value {
    schemars::SchemaGenerator::default().into_root_schema_for::<Manifest>().to_value()
}
