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
}

impl SamError {
    fn new(message: impl Into<String>) -> Self {
        SamError { message: message.into(), help: None }
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
    /// The crate's directory.
    pub crate_dir: PathBuf,
    /// Function logical id → binary name (or the function's leastpriv name).
    pub map: BTreeMap<String, String>,
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
}

/// A merged template as text, in the template's syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedText {
    /// The template (trailing newline included).
    pub text: String,
    /// What was dropped or replaced.
    pub notes: Vec<String>,
    /// Functions without a handler, handlers without a function.
    pub warnings: Vec<String>,
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
    Ok(MergedText { text, notes: merged.notes, warnings: merged.warnings })
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

/// Which leastpriv function each template function gets, in template order.
fn match_functions(
    resources: &[(String, Node)],
    manifest: &Manifest,
    options: &SamOptions,
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
            .help(format!("the crate's functions are in: {}", known.join(", "))));
        }
    }
    let mut matched = Vec::new();
    for (id, resource) in functions {
        if let Some(binary) = options.map.get(id) {
            if let Some(index) = by_binary(manifest, binary)? {
                matched.push((id.clone(), index));
            }
            continue;
        }
        let binary = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Node::as_str);
        if let Some(binary) = binary {
            match by_binary(manifest, binary)? {
                Some(index) => matched.push((id.clone(), index)),
                None => warnings.push(format!(
                    "{id}: its binary `{binary}` has no #[leastpriv::role] handler in {}; left \
                     as it is",
                    manifest.crate_name
                )),
            }
            continue;
        }
        let code_uri =
            resource.get("Properties").and_then(|p| p.get("CodeUri")).and_then(Node::as_str);
        let in_crate = code_uri
            .is_some_and(|uri| same_dir(&options.template_dir.join(uri), &options.crate_dir));
        match (in_crate, manifest.functions.len()) {
            (true, 1) => matched.push((id.clone(), 0)),
            (true, _) => warnings.push(format!(
                "{id}: its CodeUri is the crate {}, which has {} functions; left as it is \
                 (set Metadata.BuildProperties.Binary or use --map {id}=BINARY)",
                manifest.crate_name,
                manifest.functions.len()
            )),
            (false, _) => warnings.push(format!(
                "{id}: no binary of {} (no Metadata.BuildProperties.Binary, CodeUri elsewhere); \
                 left as it is (use --map {id}=BINARY)",
                manifest.crate_name
            )),
        }
    }
    Ok(matched)
}

/// Sets the role, log group and environment of one function; drops what the role replaces.
fn wire_function(
    id: &str,
    resource: &mut Node,
    function: &ManifestFunction,
    attributes: &BTreeSet<String>,
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

    if !role.environment.is_empty() {
        let environment = child_map(properties, "Environment", &what)?;
        let variables = child_map(environment, "Variables", &format!("{what}.Environment"))?;
        for (name, value) in &role.environment {
            let value = value_tree(value, attributes)?;
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
    let top = entries_mut(&mut template, "the template")?;
    let resources = get_mut(top, "Resources")
        .ok_or_else(|| SamError::new("the template has no Resources"))
        .and_then(|r| entries_mut(r, "Resources"))?;
    let template_resources: BTreeSet<String> = resources.iter().map(|(k, _)| k.clone()).collect();
    let matched = match_functions(resources, manifest, options, &mut warnings)?;

    // The roles in first-use order, with the template functions using each.
    let mut users: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut order: Vec<usize> = Vec::new();
    for (id, index) in &matched {
        if !users.contains_key(index) {
            order.push(*index);
        }
        users.entry(*index).or_default().push(id.clone());
    }
    for (index, function) in manifest.functions.iter().enumerate() {
        if !users.contains_key(&index) {
            let role = &function.role;
            let binary = role.binary.as_deref().unwrap_or("?");
            warnings.push(format!(
                "{} (binary `{binary}`, {}) matches no {SERVERLESS_FUNCTION} of the template; \
                 its role is not added (set the function's Metadata.BuildProperties.Binary, or \
                 --map FUNCTION={binary})",
                role.name, role.file
            ));
        }
    }

    // Attributes of resources the template does not define become parameters.
    let external: BTreeSet<String> = (order.iter())
        .flat_map(|i| manifest.functions[*i].role.resource_attributes.iter())
        .filter(|a| a.split_once('.').is_none_or(|(r, _)| !template_resources.contains(r)))
        .cloned()
        .collect();

    for (id, index) in &matched {
        let function = &manifest.functions[*index];
        let Some(resource) = get_mut(resources, id) else { continue };
        wire_function(id, resource, function, &external, &mut notes)?;
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
        for (logical_id, node) in function_resources(function, &external)? {
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

    let matched =
        matched.into_iter().map(|(id, i)| (id, manifest.functions[i].role.name.clone())).collect();
    Ok(Merged { template, matched, notes, warnings })
}
