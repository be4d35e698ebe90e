//! `--format sam`: merges the functions' roles into an existing SAM template, in its document
//! tree ([`Node`]), with the resources the stand-alone template renders ([`cfn`](super::cfn)).
//!
//! For each `AWS::Serverless::Function` matched to a binary (an explicit mapping, else
//! `Metadata.BuildProperties.Binary`, else a `CodeUri` naming the crate's directory when the crate
//! has one function) the merge adds the function's log group, role and managed policies, sets
//! `Role: !GetAtt <Role>.Arn` and `LoggingConfig.LogGroup: !Ref <LogGroup>`, adds the `env`
//! variables (an existing variable must have the same value), drops the properties that only
//! shape the role SAM would generate (`Policies`, `PermissionsBoundary`, `RolePath`,
//! `AssumeRolePolicyDocument`, each reported) and adds the `Parameters` the roles need that the
//! template neither defines as a parameter nor as a resource (a `${Name}` that is a resource is
//! its `Ref`, a `${Resource.Attribute}` of a resource of the template its `Fn::GetAtt`).
//! Everything else is kept in order; comments are not (the tree has none). Merging a merged
//! template again gives it back unchanged.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use super::cfn::{attribute_parameter, function_resources, parameter, value_tree};
use super::document::{DocumentError, Node};
use super::manifest::{Manifest, ManifestFunction};
use super::sam_report::{RoleChange, after, before};
use crate::serverless::{Grant, GrantKind, kept_grants};

/// The resource type SAM functions have.
pub const SERVERLESS_FUNCTION: &str = "AWS::Serverless::Function";

/// Function properties that shape only the role SAM generates; a function with `Role` set has
/// no use for them.
const REPLACED_PROPERTIES: &[&str] =
    &["Policies", "PermissionsBoundary", "RolePath", "AssumeRolePolicyDocument"];

/// Why the roles cannot be merged into the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamError {
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is a concrete fix.
    pub help: Option<String>,
    /// Template functions and handlers do not match up: a finding about the project (exit 1),
    /// not unreadable input.
    pub unmatched: bool,
}

impl SamError {
    fn new(message: impl Into<String>) -> Self {
        SamError { message: message.into(), help: None, unmatched: false }
    }

    fn unmatched(message: impl Into<String>) -> Self {
        SamError { unmatched: true, ..SamError::new(message) }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for SamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SamError {}

impl From<DocumentError> for SamError {
    fn from(err: DocumentError) -> Self {
        SamError::new(err.message)
    }
}

/// Where the template and the crate are, and explicit matches.
#[derive(Debug, Clone, Default)]
pub struct SamOptions {
    /// The template's directory (`CodeUri`s are relative to it).
    pub template_dir: PathBuf,
    /// The crates the manifest's functions come from: package name → directory (a `CodeUri`
    /// naming one of them matches its function).
    pub crates: BTreeMap<String, PathBuf>,
    /// Function logical id → binary name (or the function's leastpriv name).
    pub map: BTreeMap<String, String>,
    /// Merge what matches and warn about Rust functions without a handler and handlers without
    /// a function, instead of refusing the merge.
    pub allow_unmatched: bool,
}

/// A merged template and what the merge has to say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The template.
    pub template: Node,
    /// Template function → leastpriv function, in template order.
    pub matched: Vec<(String, String)>,
    /// What was dropped or replaced.
    pub notes: Vec<String>,
    /// Functions without a handler, handlers without a function.
    pub warnings: Vec<String>,
    /// Per matched function, in template order, its permissions before and after.
    pub changes: Vec<RoleChange>,
}

/// A merged template as text, in the template's syntax.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedText {
    /// The template (trailing newline included).
    pub text: String,
    /// What was dropped or replaced.
    pub notes: Vec<String>,
    /// Functions without a handler, handlers without a function.
    pub warnings: Vec<String>,
    /// Per matched function, in template order, its permissions before and after.
    pub changes: Vec<RoleChange>,
}

/// The file the merged template is written to by default: `template.leastpriv.yaml` for
/// `template.yaml`.
pub fn sam_file_name(template: &Path) -> String {
    let stem = template.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
    match template.extension() {
        Some(ext) => format!("{stem}.leastpriv.{}", ext.to_string_lossy()),
        None => format!("{stem}.leastpriv.yaml"),
    }
}

/// Reads a template (JSON when it starts with `{`, else YAML), merges and writes it back in the
/// same syntax.
pub fn merge_text(
    text: &str,
    manifest: &Manifest,
    options: &SamOptions,
) -> Result<MergedText, SamError> {
    let json = text.trim_start().starts_with('{');
    let template = if json { Node::from_json_str(text)? } else { Node::from_yaml_str(text)? };
    let merged = merge(template, manifest, options)?;
    let text = if json { merged.template.to_json_pretty() } else { merged.template.to_yaml()? };
    Ok(MergedText { text, notes: merged.notes, warnings: merged.warnings, changes: merged.changes })
}

fn entries_mut<'a>(
    node: &'a mut Node,
    what: &str,
) -> Result<&'a mut Vec<(String, Node)>, SamError> {
    match node {
        Node::Map(entries) => Ok(entries),
        _ => Err(SamError::new(format!("{what} is not a map"))),
    }
}

fn get_mut<'a>(entries: &'a mut [(String, Node)], key: &str) -> Option<&'a mut Node> {
    entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The map under `key`, created (empty, at the end) when missing. A value computed by an
/// intrinsic function (`Environment: !If [...]`) is refused: a key added next to it would make
/// the template invalid (cfn-lint E3002).
fn child_map<'a>(
    entries: &'a mut Vec<(String, Node)>,
    key: &str,
    what: &str,
) -> Result<&'a mut Vec<(String, Node)>, SamError> {
    let index = match entries.iter().position(|(k, _)| k == key) {
        Some(index) => {
            if let Node::Map(inner) = &entries[index].1
                && let [(function, _)] = inner.as_slice()
                && (function == "Ref" || function.starts_with("Fn::"))
            {
                return Err(SamError::new(format!(
                    "{what}.{key} is computed by {function}; leastpriv cannot add its keys next                      to the function without making the template invalid"
                ))
                .help(format!(
                    "write {what}.{key} as a plain map (put the {function} on the values inside                      it), then run the merge again"
                )));
            }
            index
        }
        None => {
            entries.push((key.to_owned(), Node::Map(Vec::new())));
            entries.len() - 1
        }
    };
    entries_mut(&mut entries[index].1, &format!("{what}.{key}"))
}

/// `!Sub "${X}"` is `!Ref X` and `!Sub "${A.B}"` is `!GetAtt A.B`: compare values in one form.
fn canonical(node: &Node) -> Node {
    if let Some(Node::String(template)) = node.get("Fn::Sub")
        && let Some(name) = template.strip_prefix("${").and_then(|t| t.strip_suffix('}'))
        && !name.is_empty()
        && !name.contains(['$', '{', '}', '!'])
    {
        return match name.split_once('.') {
            Some((resource, attribute)) if !name.starts_with("AWS::") => {
                Node::get_att(resource, attribute)
            }
            _ => Node::reference(name),
        };
    }
    node.clone()
}

/// Compact one-line JSON of a value, for messages.
fn show(node: &Node) -> String {
    serde_json::to_string(node).unwrap_or_default()
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Finds the leastpriv function of a binary (or of a leastpriv function name).
fn by_binary(manifest: &Manifest, binary: &str) -> Result<Option<usize>, SamError> {
    let found: Vec<usize> = (manifest.functions.iter().enumerate())
        .filter(|(_, f)| f.role.binary.as_deref() == Some(binary))
        .map(|(i, _)| i)
        .collect();
    match found.as_slice() {
        [] => Ok(manifest.functions.iter().position(|f| f.role.name == binary)),
        [one] => Ok(Some(*one)),
        several => {
            let names: Vec<&str> =
                several.iter().map(|i| manifest.functions[*i].role.name.as_str()).collect();
            Err(SamError::new(format!(
                "the binary `{binary}` has several annotated handlers ({})",
                names.join(", ")
            ))
            .help("map the function to one of them by name: --map FUNCTION=NAME"))
        }
    }
}

/// The binary a cargo-lambda `CodeUri` names: `target/lambda/<binary>` (with or without a
/// trailing `/`, under any folder).
pub(crate) fn cargo_lambda_binary(uri: &str) -> Option<&str> {
    let parts: Vec<&str> = uri.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect();
    match parts.as_slice() {
        [.., "target", "lambda", binary] => Some(binary),
        _ => None,
    }
}

/// The function's runtime, from its properties or `Globals.Function`.
fn runtime<'a>(template: &'a Node, id: &str) -> Option<&'a str> {
    crate::serverless::property(template, id, "Runtime").and_then(|(_, r)| r.as_str())
}

/// Which leastpriv function each template function gets, in template order: `--map`, then
/// `Metadata.BuildProperties.Binary`, then a `CodeUri` naming cargo-lambda's output folder
/// (`target/lambda/<binary>/`) or a crate's folder (a crate with one function), then a handler's
/// `function = "…"`. Functions of another runtime than `provided.*` are not Rust and left alone.
/// A Rust function with no handler, or a handler with no function, is an error unless
/// `allow_unmatched` (then a warning).
fn match_functions(
    template: &Node,
    resources: &[(String, Node)],
    manifest: &Manifest,
    options: &SamOptions,
    notes: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<(String, usize)>, SamError> {
    let functions: Vec<&(String, Node)> = resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Node::as_str) == Some(SERVERLESS_FUNCTION))
        .collect();
    for (id, binary) in &options.map {
        if !functions.iter().any(|(f, _)| f == id) {
            return Err(SamError::new(format!(
                "--map {id}={binary}: the template has no {SERVERLESS_FUNCTION} `{id}`"
            )));
        }
        if by_binary(manifest, binary)?.is_none() {
            let known: Vec<String> = (manifest.functions.iter())
                .map(|f| f.role.binary.clone().unwrap_or_else(|| f.role.name.clone()))
                .collect();
            return Err(SamError::new(format!(
                "--map {id}={binary}: no annotated handler runs in a binary `{binary}`"
            ))
            .help(format!("the functions are in: {}", known.join(", "))));
        }
    }
    for function in &manifest.functions {
        if let Some(id) = &function.declaration.function
            && !functions.iter().any(|(f, _)| f == id)
        {
            return Err(SamError::new(format!(
                "{} ({}) declares `function = \"{id}\"`, but the template has no \
                 {SERVERLESS_FUNCTION} `{id}`",
                function.role.name, function.role.file
            ))
            .help("fix the logical id in the attribute, or remove `function = …`"));
        }
    }
    let mut matched = Vec::new();
    let mut unmatched = Vec::new();
    for (id, resource) in functions {
        if let Some(runtime) = runtime(template, id)
            && !runtime.starts_with("provided")
        {
            notes.push(format!("{id}: runtime {runtime} is not a Rust function; left as it is"));
            continue;
        }
        let declared = manifest
            .functions
            .iter()
            .position(|f| f.declaration.function.as_deref() == Some(id.as_str()));
        if let Some(binary) = options.map.get(id) {
            if let Some(index) = by_binary(manifest, binary)? {
                matched.push((id.clone(), index));
            }
            continue;
        }
        let metadata_binary = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Node::as_str);
        if let Some(binary) = metadata_binary {
            match by_binary(manifest, binary)? {
                Some(index) => matched.push((id.clone(), index)),
                None => match declared {
                    Some(index) => matched.push((id.clone(), index)),
                    None => unmatched.push(format!(
                        "{id}: its binary `{binary}` (Metadata.BuildProperties.Binary) has no \
                         #[leastpriv::role] handler"
                    )),
                },
            }
            continue;
        }
        let code_uri =
            resource.get("Properties").and_then(|p| p.get("CodeUri")).and_then(Node::as_str);
        if let Some(binary) = code_uri.and_then(cargo_lambda_binary) {
            match by_binary(manifest, binary)?.or(declared) {
                Some(index) => matched.push((id.clone(), index)),
                None => unmatched.push(format!(
                    "{id}: its CodeUri names the binary `{binary}`, which has no \
                     #[leastpriv::role] handler"
                )),
            }
            continue;
        }
        let crate_name = code_uri.and_then(|uri| {
            let dir = options.template_dir.join(uri);
            options.crates.iter().find(|(_, d)| same_dir(&dir, d)).map(|(name, _)| name)
        });
        if let Some(crate_name) = crate_name {
            let of_crate: Vec<usize> = (manifest.functions.iter().enumerate())
                .filter(|(_, f)| &f.role.crate_name == crate_name)
                .map(|(i, _)| i)
                .collect();
            match (of_crate.as_slice(), declared) {
                (_, Some(index)) => matched.push((id.clone(), index)),
                ([one], None) => matched.push((id.clone(), *one)),
                ([], None) => unmatched.push(format!(
                    "{id}: its CodeUri is the crate {crate_name}, which has no \
                     #[leastpriv::role] handler"
                )),
                (several, None) => unmatched.push(format!(
                    "{id}: its CodeUri is the crate {crate_name}, which has {} functions ({})",
                    several.len(),
                    several
                        .iter()
                        .map(|i| manifest.functions[*i].role.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
            continue;
        }
        match declared {
            Some(index) => matched.push((id.clone(), index)),
            None => unmatched.push(format!(
                "{id}: no Metadata.BuildProperties.Binary, and its CodeUri ({}) names no \
                 binary (target/lambda/<binary>/) nor crate of {}",
                code_uri.map_or_else(|| "none".to_owned(), |u| format!("`{u}`")),
                manifest.crate_name
            )),
        }
    }
    for (index, function) in manifest.functions.iter().enumerate() {
        if let Some(id) = &function.declaration.function
            && let Some((other, _)) = matched.iter().find(|(m, i)| m == id && *i != index)
        {
            return Err(SamError::new(format!(
                "{} ({}) declares `function = \"{id}\"`, but {other} runs {} (matched by its \
                 binary or CodeUri)",
                function.role.name,
                function.role.file,
                matched.iter().find(|(m, _)| m == other).map_or("", |(_, i)| manifest.functions
                    [*i]
                    .role
                    .name
                    .as_str())
            ))
            .help("remove `function = …` from one of the two attributes, or fix the template"));
        }
        if !matched.iter().any(|(_, i)| *i == index) {
            let role = &function.role;
            let binary = role.binary.as_deref().unwrap_or("?");
            unmatched.push(format!(
                "{} (binary `{binary}`, {}: {}) matches no {SERVERLESS_FUNCTION} of the template",
                role.name, role.crate_name, role.file
            ));
        }
    }
    if matched.is_empty() {
        let mut message = format!(
            "no {SERVERLESS_FUNCTION} of the template matches a #[leastpriv::role] handler; \
             nothing to merge"
        );
        for line in &unmatched {
            message.push_str(&format!("\n  - {line}"));
        }
        return Err(SamError::unmatched(message).help(MATCH_HELP));
    }
    if !unmatched.is_empty() {
        if !options.allow_unmatched {
            let mut message =
                format!("{} function(s) and handler(s) are not matched:", unmatched.len());
            for line in &unmatched {
                message.push_str(&format!("\n  - {line}"));
            }
            return Err(SamError::unmatched(message).help(format!(
                "{MATCH_HELP}; or pass --allow-unmatched to merge the others and leave these \
                 as they are"
            )));
        }
        warnings.extend(unmatched.into_iter().map(|line| format!("{line}; left as it is")));
    }
    Ok(matched)
}

/// How to match a template function to a handler.
const MATCH_HELP: &str = "set the function's Metadata.BuildProperties.Binary (cargo-lambda) or \
    CodeUri: target/lambda/<binary>/, add `function = \"LogicalId\"` to the handler's \
    #[leastpriv::role], or pass --map FUNCTION=BINARY";

/// Sets the role, log group and environment of one function; drops what the role replaces.
fn wire_function(
    id: &str,
    resource: &mut Node,
    function: &ManifestFunction,
    attributes: &BTreeSet<String>,
    globals_env: Option<&Node>,
    notes: &mut Vec<String>,
) -> Result<(), SamError> {
    let role = &function.role;
    let entries = entries_mut(resource, id)?;
    let properties = child_map(entries, "Properties", id)?;
    let what = format!("{id}.Properties");

    let role_ref = Node::get_att(role.role_logical_id.clone(), "Arn");
    match get_mut(properties, "Role") {
        Some(existing) if *existing == role_ref => {}
        Some(existing) => {
            notes.push(format!(
                "{id}: replaced Role {} by the role of {}",
                show(existing),
                role.name
            ));
            *existing = role_ref;
        }
        None => properties.push(("Role".to_owned(), role_ref)),
    }
    let dropped: Vec<&str> = REPLACED_PROPERTIES
        .iter()
        .copied()
        .filter(|name| properties.iter().any(|(k, _)| k == name))
        .collect();
    if !dropped.is_empty() {
        properties.retain(|(k, _)| !dropped.contains(&k.as_str()));
        notes.push(format!(
            "{id}: dropped {} (replaced by {}, the least-privilege role of {})",
            dropped.join(", "),
            role.role_logical_id,
            role.name
        ));
    }

    // Variables `Globals.Function.Environment` already sets to the value needed are not
    // repeated in the function (a value of the function's own wins over the global one).
    let mut environment_needed = Vec::new();
    for (name, value) in &role.environment {
        let value = value_tree(value, attributes)?;
        let global = globals_env.and_then(|g| g.get(name));
        let own = properties
            .iter()
            .find(|(k, _)| k == "Environment")
            .and_then(|(_, e)| e.get("Variables"))
            .and_then(|v| v.get(name));
        if own.is_none() && global.is_some_and(|g| canonical(g) == canonical(&value)) {
            continue;
        }
        environment_needed.push((name, value));
    }
    if !environment_needed.is_empty() {
        let environment = child_map(properties, "Environment", &what)?;
        let variables = child_map(environment, "Variables", &format!("{what}.Environment"))?;
        for (name, value) in environment_needed {
            match variables.iter().find(|(k, _)| k == name) {
                Some((_, existing)) if canonical(existing) == canonical(&value) => {}
                Some((_, existing)) => {
                    return Err(SamError::new(format!(
                        "{id}: the template sets the environment variable {name} to {}, but the \
                         declaration of {} (env = \"{name}\") needs {}",
                        show(existing),
                        role.name,
                        show(&value)
                    ))
                    .help(format!(
                        "remove {name} from {id}'s Environment.Variables (leastpriv sets it), or \
                         fix the declaration in {}",
                        role.file
                    )));
                }
                None => variables.push((name.clone(), value)),
            }
        }
    }

    let group_ref = Node::reference(role.log_group.logical_id.clone());
    let logging = child_map(properties, "LoggingConfig", &what)?;
    match get_mut(logging, "LogGroup") {
        Some(existing) if *existing == group_ref => {}
        Some(existing) => {
            notes.push(format!(
                "{id}: replaced LoggingConfig.LogGroup {} by {} (the role may write there only)",
                show(existing),
                role.log_group.logical_id
            ));
            *existing = group_ref;
        }
        None => logging.push(("LogGroup".to_owned(), group_ref)),
    }
    Ok(())
}

/// The name of the inline policy holding what SAM would have added to its generated role.
pub const KEPT_POLICY_NAME: &str = "sam-implicit-permissions";

/// Adds to a role resource what SAM would have granted the function's generated role on its own
/// The (IAM prefix, logical id) of each source a role's `trigger` entries poll: the one
/// template resource their ARN references (`${Jobs.QueueName}` → `Jobs`; pseudo parameters
/// aside). A trigger on a literal name or on several references names none.
fn trigger_sources(role: &crate::synth::FunctionRole) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for grant in role.grants.iter().filter(|g| g.reason == crate::synth::GrantReason::Trigger) {
        let Some((prefix, _)) = grant.action.split_once(':') else { continue };
        // The one resource the ARN refers to (`JobsQueue.QueueName` → `JobsQueue`).
        let names = crate::synth::resolve::names_of(&grant.resource);
        let ids: BTreeSet<&str> = (names.iter())
            .filter(|name| !name.starts_with("AWS::"))
            .map(|name| name.split('.').next().unwrap_or_default())
            .collect();
        if let [id] = ids.into_iter().collect::<Vec<_>>().as_slice() {
            out.insert((prefix.to_owned(), (*id).to_owned()));
        }
    }
    out
}

/// ([`kept_grants`]): statements in an inline policy [`KEPT_POLICY_NAME`], managed policies in
/// `ManagedPolicyArns`.
fn with_kept_grants(role: Node, function: &str, kept: &[Grant]) -> Node {
    let mut statements: Vec<Node> = Vec::new();
    let mut managed: Vec<Node> = Vec::new();
    for grant in kept {
        match &grant.kind {
            GrantKind::Document(doc) => {
                if let Some(Node::List(items)) = doc.get("Statement") {
                    for item in items {
                        if !statements.contains(item) {
                            statements.push(item.clone());
                        }
                    }
                }
            }
            GrantKind::Managed(arn) => {
                if !managed.contains(arn) {
                    managed.push(arn.clone());
                }
            }
        }
    }
    let Node::Map(mut entries) = role else { return role };
    let Some((_, Node::Map(properties))) = entries.iter_mut().find(|(k, _)| k == "Properties")
    else {
        return Node::Map(entries);
    };
    if !statements.is_empty() {
        let policy = Node::map([
            ("PolicyName", Node::string(KEPT_POLICY_NAME)),
            (
                "PolicyDocument",
                Node::map([
                    ("Version", Node::string("2012-10-17")),
                    ("Statement", Node::List(statements)),
                ]),
            ),
        ]);
        match properties.iter_mut().find(|(k, _)| k == "Policies") {
            Some((_, Node::List(policies))) => policies.push(policy),
            _ => properties.push(("Policies".to_owned(), Node::List(vec![policy]))),
        }
    }
    if !managed.is_empty() {
        match properties.iter_mut().find(|(k, _)| k == "ManagedPolicyArns") {
            Some((_, Node::List(arns))) => arns.extend(managed),
            _ => properties.push(("ManagedPolicyArns".to_owned(), Node::List(managed))),
        }
    }
    if let Some((_, Node::String(description))) =
        properties.iter_mut().find(|(k, _)| k == "Description")
        && !kept.is_empty()
    {
        description.push_str(&format!(
            "; {KEPT_POLICY_NAME} keeps what SAM grants for {function}'s template settings \
             (Tracing, event sources, destinations)"
        ));
    }
    Node::Map(entries)
}

/// Gives `resource` the condition `condition` (after its `Type`).
fn with_condition(resource: Node, condition: Option<&Node>) -> Node {
    match (resource, condition) {
        (Node::Map(mut entries), Some(condition)) => {
            let at = entries.iter().position(|(k, _)| k == "Type").map_or(0, |i| i + 1);
            entries.insert(at, ("Condition".to_owned(), condition.clone()));
            Node::Map(entries)
        }
        (resource, _) => resource,
    }
}

/// The names a tree `Ref`s (pseudo parameters aside).
fn references(node: &Node, out: &mut Vec<String>) {
    match node {
        Node::Map(entries) => {
            if let [(function, Node::String(name))] = entries.as_slice()
                && function == "Ref"
                && !name.starts_with("AWS::")
            {
                out.push(name.clone());
            }
            entries.iter().for_each(|(_, v)| references(v, out));
        }
        Node::List(items) => items.iter().for_each(|item| references(item, out)),
        _ => {}
    }
}

/// Where `Parameters` goes in a template that has none: before the first of these sections.
const AFTER_PARAMETERS: &[&str] = &["Rules", "Mappings", "Conditions", "Globals", "Resources"];

/// Merges the roles of `manifest` into a SAM `template`. See the module documentation.
pub fn merge(
    mut template: Node,
    manifest: &Manifest,
    options: &SamOptions,
) -> Result<Merged, SamError> {
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    // The template as the user wrote it: what SAM grants today, Globals, runtimes.
    let original = template.clone();
    let top = entries_mut(&mut template, "the template")?;
    let resources = get_mut(top, "Resources")
        .ok_or_else(|| SamError::new("the template has no Resources"))
        .and_then(|r| entries_mut(r, "Resources"))?;
    let template_resources: BTreeSet<String> = resources.iter().map(|(k, _)| k.clone()).collect();
    let matched =
        match_functions(&original, resources, manifest, options, &mut notes, &mut warnings)?;

    // The roles in first-use order, with the template functions using each.
    let mut users: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut order: Vec<usize> = Vec::new();
    for (id, index) in &matched {
        if !users.contains_key(index) {
            order.push(*index);
        }
        users.entry(*index).or_default().push(id.clone());
    }
    // Attributes of resources the template does not define become parameters.
    let external: BTreeSet<String> = (order.iter())
        .flat_map(|i| manifest.functions[*i].role.resource_attributes.iter())
        .filter(|a| a.split_once('.').is_none_or(|(r, _)| !template_resources.contains(r)))
        .cloned()
        .collect();

    let globals_env = (original.get("Globals"))
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Environment"))
        .and_then(|e| e.get("Variables"));
    for (id, index) in &matched {
        let function = &manifest.functions[*index];
        let Some(resource) = get_mut(resources, id) else { continue };
        wire_function(id, resource, function, &external, globals_env, &mut notes)?;
    }

    for index in &order {
        let function = &manifest.functions[*index];
        let ids = users.get(index).map(Vec::as_slice).unwrap_or_default();
        let conditions: BTreeSet<String> = (ids.iter())
            .map(|id| resources.iter().find(|(k, _)| k == id).and_then(|(_, r)| r.get("Condition")))
            .map(|c| c.map(show).unwrap_or_default())
            .collect();
        let condition = match (conditions.len(), ids.first()) {
            (1, Some(first)) => {
                resources.iter().find(|(k, _)| k == first).and_then(|(_, r)| r.get("Condition"))
            }
            _ => None,
        }
        .cloned();
        let mut at = ids
            .first()
            .and_then(|first| resources.iter().position(|(k, _)| k == first))
            .map_or(resources.len(), |i| i + 1);
        let polled = trigger_sources(&function.role);
        let kept: Vec<Grant> =
            ids.iter().flat_map(|id| kept_grants(&original, id, &polled)).collect();
        for (logical_id, node) in function_resources(function, &external)? {
            let node = if logical_id == function.role.role_logical_id {
                with_kept_grants(node, &function.role.name, &kept)
            } else {
                node
            };
            let node = with_condition(node, condition.as_ref());
            match resources.iter_mut().find(|(k, _)| *k == logical_id) {
                Some((_, existing)) => {
                    let kind = |n: &Node| n.get("Type").and_then(Node::as_str).map(str::to_owned);
                    if kind(existing) != kind(&node) {
                        return Err(SamError::new(format!(
                            "the template already has a resource `{logical_id}` of type {}, the \
                             logical id of {}'s generated {}",
                            kind(existing).unwrap_or_default(),
                            function.role.name,
                            kind(&node).unwrap_or_default()
                        ))
                        .help("rename that resource, or give the handler another `name = \"…\"`"));
                    }
                    if *existing != node {
                        notes.push(format!("replaced {logical_id} (already in the template)"));
                        *existing = node;
                    }
                }
                None => {
                    resources.insert(at, (logical_id, node));
                    at += 1;
                }
            }
        }
    }

    // Parameters the roles need that the template does not define.
    let defined: BTreeSet<String> = match top.iter().find(|(k, _)| k == "Parameters") {
        Some((_, Node::Map(entries))) => entries.iter().map(|(k, _)| k.clone()).collect(),
        _ => BTreeSet::new(),
    };
    let mut needed: BTreeMap<String, (String, Vec<&str>)> = BTreeMap::new();
    for index in &order {
        let role = &manifest.functions[*index].role;
        for name in &role.parameters {
            if !defined.contains(name) && !template_resources.contains(name) {
                needed
                    .entry(name.clone())
                    .or_insert_with(|| {
                        (format!("{name}, named in a #[leastpriv::role]"), Vec::new())
                    })
                    .1
                    .push(&role.name);
            }
        }
        // `!Ref Queue` for a `${Queue.QueueName}` of a queue the template does not have.
        for value in role.environment.values() {
            let mut names = Vec::new();
            references(&value_tree(value, &external)?, &mut names);
            for name in names {
                if !defined.contains(&name) && !template_resources.contains(&name) {
                    needed
                        .entry(name.clone())
                        .or_insert_with(|| {
                            (
                                format!(
                                    "The value of !Ref {name} (not a resource of this template)"
                                ),
                                Vec::new(),
                            )
                        })
                        .1
                        .push(&role.name);
                }
            }
        }
        for attribute in role.resource_attributes.iter().filter(|a| external.contains(*a)) {
            let name = attribute_parameter(attribute);
            if !defined.contains(&name) {
                needed
                    .entry(name)
                    .or_insert_with(|| {
                        (
                            format!(
                                "The value of !GetAtt {attribute} (not a resource of this template)"
                            ),
                            Vec::new(),
                        )
                    })
                    .1
                    .push(&role.name);
            }
        }
    }
    if !needed.is_empty() {
        let at = match top.iter().position(|(k, _)| k == "Parameters") {
            Some(at) => at,
            None => {
                let at = (top.iter().position(|(k, _)| AFTER_PARAMETERS.contains(&k.as_str())))
                    .unwrap_or(top.len());
                top.insert(at, ("Parameters".to_owned(), Node::Map(Vec::new())));
                at
            }
        };
        let parameters = entries_mut(&mut top[at].1, "Parameters")?;
        for (name, (what, functions)) in needed {
            parameters.push((name, parameter(&what, &functions)));
        }
    }

    let changes = {
        let resources = match template.get("Resources") {
            Some(Node::Map(entries)) => entries.as_slice(),
            _ => &[],
        };
        (matched.iter())
            .map(|(id, index)| {
                let role = &manifest.functions[*index].role;
                let generated = resources.iter().find(|(k, _)| *k == role.role_logical_id);
                RoleChange {
                    function: id.clone(),
                    role: role.name.clone(),
                    before: before(&original, id),
                    after: generated.map(|(_, node)| after(node, resources)).unwrap_or_default(),
                }
            })
            .collect()
    };
    let matched =
        matched.into_iter().map(|(id, i)| (id, manifest.functions[i].role.name.clone())).collect();
    Ok(Merged { template, matched, notes, warnings, changes })
}
