//! `lint --code`: each function of a template against the code of its binary. Per function,
//! what its role grants that the code never uses (`unused-grant`), what the code uses that the
//! role does not grant (`missing-grant`), what the analysis could not follow (`unresolved`, never
//! counted as unused), and the least-privilege replacement: statements and the attribute.
//!
//! Functions are matched to binaries the way `synth --format sam` does: the function's
//! `Metadata.BuildProperties.Binary`, else a `CodeUri` naming a crate with one binary; as a last
//! resort a binary named like the function (`ResizeFunction` ↔ `resize-function`). Actions are
//! compared, not resources: a replacement keeps the resources of the statements that granted
//! each used action.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::evaluate::wildcard_match;
use crate::infer::{InferredFunction, infer_bounded};
use crate::policy::{Actions, Effect, Policy, Resources, Statement, Value};
use crate::project::{self, CrateInfo};
use crate::serverless::escape;
use crate::synth::document::Node;
use crate::synth::sam::SERVERLESS_FUNCTION;

use super::locate::Locator;
use super::model::{Ctx, Doc, Say, template_model};
use super::{Finding, LintInputError, LintOptions, RuleId, read_node};

/// A pattern lists its unused actions one by one up to this many; above, the pattern itself.
const LISTED_UNUSED: usize = 60;

/// The least-privilege replacement of one function's role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replacement {
    /// The function's logical id.
    pub function: String,
    /// The binary it runs.
    pub binary: String,
    /// The statements its code needs, with the resources the template granted them on.
    pub policy: Policy,
    /// The `#[leastpriv::role(…)]` attribute to paste on the handler.
    pub attribute: String,
    /// True when the analysis could not follow everything (the replacement may be short).
    pub incomplete: bool,
}

/// What `--code` found for one template.
#[derive(Debug, Clone, Default)]
pub struct CodeReport {
    /// Findings (`unused-grant`, `missing-grant`, `unresolved`).
    pub findings: Vec<Finding>,
    /// One replacement per matched function.
    pub replacements: Vec<Replacement>,
    /// Functions without a binary and binaries without a function.
    pub notes: Vec<String>,
}

fn kebab(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The binary of a template function, if one matches, as `synth --format sam` matches them:
/// `Metadata.BuildProperties.Binary`; a `CodeUri` naming cargo-lambda's output folder
/// (`target/lambda/<binary>/`, that binary or none); a `CodeUri` naming a folder whose crates
/// have one binary in all; else the binary named like the function (`GetOrderFunction` →
/// `get-order`), among that folder's crates when the `CodeUri` names one.
fn binary_of<'a>(
    id: &str,
    resource: &Node,
    template_dir: &Path,
    crates: &'a [CrateInfo],
) -> Option<&'a str> {
    let binaries = || crates.iter().flat_map(|c| c.binaries.iter());
    if let Some(name) = resource
        .get("Metadata")
        .and_then(|m| m.get("BuildProperties"))
        .and_then(|b| b.get("Binary"))
        .and_then(Node::as_str)
    {
        return binaries().find(|b| b.name == name).map(|b| b.name.as_str());
    }
    let uri = resource.get("Properties").and_then(|p| p.get("CodeUri")).and_then(Node::as_str);
    if let Some(name) = uri.and_then(crate::synth::sam::cargo_lambda_binary) {
        return binaries().find(|b| b.name == name).map(|b| b.name.as_str());
    }
    // The crates in the folder the CodeUri names (itself a crate, or a workspace above some).
    let folder = uri.map(|uri| template_dir.join(uri));
    let within: Vec<&CrateInfo> = match &folder {
        Some(folder) => crates.iter().filter(|c| under(&c.dir, folder)).collect(),
        None => Vec::new(),
    };
    if let [one] = within.iter().flat_map(|c| c.binaries.iter()).collect::<Vec<_>>().as_slice() {
        return Some(one.name.as_str());
    }
    // A CodeUri naming no crate's folder (a built archive) leaves every binary a candidate.
    let candidates: Vec<&str> = if within.is_empty() {
        binaries().map(|b| b.name.as_str()).collect()
    } else {
        within.iter().flat_map(|c| c.binaries.iter()).map(|b| b.name.as_str()).collect()
    };
    let wanted = [kebab(id), kebab(id.trim_end_matches("Function"))];
    candidates.into_iter().find(|b| wanted.iter().any(|w| w == b))
}

/// Whether `dir` is `folder` or inside it (compared canonically when both exist).
fn under(dir: &Path, folder: &Path) -> bool {
    match (dir.canonicalize(), folder.canonicalize()) {
        (Ok(dir), Ok(folder)) => dir.starts_with(folder),
        _ => dir.starts_with(folder),
    }
}

/// Lints the template at `file` (text `text`) against the code at `code`.
pub fn lint_code(
    catalog: &Catalog,
    file: &str,
    text: &str,
    code: &Path,
    options: &LintOptions,
) -> Result<CodeReport, LintInputError> {
    let node = read_node(file, text)?;
    let crates = project::discover(code).map_err(|err| LintInputError {
        file: code.display().to_string(),
        message: err.to_string(),
        help: "give --code a crate, a workspace or a folder of crates".to_owned(),
    })?;
    // A source file over the input bounds makes the code unreadable: bad input (exit 2), as in
    // `check`, `infer` and `synth`, not a finding among others.
    let inferred =
        infer_bounded(catalog, &crates, code).map_err(|(path, reason)| LintInputError {
            file: path.display().to_string(),
            message: reason,
            help: "leastpriv reads source files of at most 16 MiB whose brackets nest at most \
                   128 deep; the crate was not analysed"
                .to_owned(),
        })?;
    let locator = Locator::new(text);
    let mut ctx = Ctx::new(catalog, file, &locator, &options.params);
    let model = template_model(&mut ctx, &node);
    let mut ctx = Ctx::new(catalog, file, &locator, &options.params);
    let template_dir = Path::new(file).parent().unwrap_or(Path::new("."));
    let mut report = CodeReport::default();
    let Some(Node::Map(resources)) = node.get("Resources") else { return Ok(report) };
    let mut used = BTreeSet::new();
    for (id, resource) in resources {
        let kind = resource.get("Type").and_then(Node::as_str);
        if kind != Some(SERVERLESS_FUNCTION) && kind != Some("AWS::Lambda::Function") {
            continue;
        }
        let Some(binary) = binary_of(id, resource, template_dir, &crates) else {
            report.notes.push(format!(
                "{id}: no binary of the code matches (set Metadata.BuildProperties.Binary)"
            ));
            continue;
        };
        let Some(function) = inferred.iter().find(|f| f.binary == binary) else { continue };
        used.insert(binary.to_owned());
        let docs: Vec<&Doc> = model
            .roles
            .iter()
            .filter(|r| r.functions.iter().any(|f| f == id))
            .flat_map(|r| r.docs.iter().map(|&d| &model.docs[d]))
            .collect();
        let at = format!("/Resources/{}", escape(id));
        compare(&mut ctx, id, &at, function, &docs);
        report.replacements.push(replacement(catalog, id, function, &docs));
    }
    for f in &inferred {
        if !used.contains(&f.binary) {
            report.notes.push(format!("binary `{}` runs no function of {file}", f.binary));
        }
    }
    report.findings = ctx.findings;
    Ok(report)
}

/// A granted action pattern: where, its resources, and whether it is `NotAction`.
struct Granted<'a> {
    pattern: String,
    pointer: &'a str,
    resources: Option<&'a Resources>,
}

/// Managed policies SAM adds for the Lambda service itself (logs, X-Ray, polling, network
/// interfaces): the code never calls them, so they are not "unused".
const SERVICE_POLICIES: &[&str] = &[
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaBasicDurableExecutionRolePolicy",
    "AWSXrayWriteOnlyAccess",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaMSKExecutionRole",
];

fn granted<'a>(docs: &[&'a Doc], with_service: bool) -> Vec<Granted<'a>> {
    let mut out = Vec::new();
    for doc in docs {
        let service = doc.for_service
            || doc.managed.as_deref().is_some_and(|m| SERVICE_POLICIES.contains(&m));
        if service && !with_service {
            continue;
        }
        for s in &doc.stmts {
            if s.statement.effect != Effect::Allow {
                continue;
            }
            if let Actions::Action(list) = &s.statement.action {
                for value in list.iter() {
                    if let Some(text) = value.as_literal() {
                        out.push(Granted {
                            pattern: text.to_ascii_lowercase(),
                            pointer: &s.pointer,
                            resources: s.statement.resource.as_ref(),
                        });
                    }
                }
            } else {
                out.push(Granted {
                    pattern: "*".to_owned(),
                    pointer: &s.pointer,
                    resources: s.statement.resource.as_ref(),
                });
            }
        }
    }
    out
}

fn expand(catalog: &Catalog, pattern: &str) -> Option<Vec<String>> {
    let (prefix, _) = pattern.split_once(':')?;
    if prefix.contains(['*', '?']) {
        return None;
    }
    let actions = catalog.actions_of(prefix).ok()?;
    Some(actions.into_iter().filter(|a| wildcard_match(pattern, &a.to_ascii_lowercase())).collect())
}

fn compare(ctx: &mut Ctx<'_>, id: &str, at: &str, function: &InferredFunction, docs: &[&Doc]) {
    let grants = granted(docs, true);
    let needed: BTreeSet<String> =
        function.actions.iter().map(|a| a.to_ascii_lowercase()).collect();
    let say = |message: String, help: &str, actions: Vec<String>| Say {
        message,
        help: help.to_owned(),
        resource: Some(id.to_owned()),
        function: Some(id.to_owned()),
        actions,
    };
    let missing: Vec<String> = function
        .actions
        .iter()
        .filter(|a| !grants.iter().any(|g| wildcard_match(&g.pattern, &a.to_ascii_lowercase())))
        .cloned()
        .collect();
    if !missing.is_empty() {
        ctx.push(
            RuleId::MissingGrant,
            at,
            say(
                format!(
                    "the code of `{}` needs {} that the role does not grant",
                    function.binary,
                    super::checks::listed(&missing)
                ),
                "add them (see the replacement below)",
                missing,
            ),
        );
    }
    let Some(blind) = blind_services(ctx, id, at, function) else { return };
    let mut by_pointer: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for g in &granted(docs, false) {
        let prefix = g.pattern.split(':').next().unwrap_or_default();
        if blind.contains(prefix) {
            continue;
        }
        let unused: Vec<String> = match expand(ctx.catalog, &g.pattern) {
            Some(actions) if actions.len() <= LISTED_UNUSED => {
                actions.into_iter().filter(|a| !needed.contains(&a.to_ascii_lowercase())).collect()
            }
            Some(actions) => {
                let used =
                    actions.iter().filter(|a| needed.contains(&a.to_ascii_lowercase())).count();
                vec![format!(
                    "{} ({} of its {} actions)",
                    g.pattern,
                    actions.len() - used,
                    actions.len()
                )]
            }
            None => vec![g.pattern.clone()],
        };
        by_pointer.entry(g.pointer).or_default().extend(unused);
    }
    for (pointer, mut unused) in by_pointer {
        unused.sort();
        unused.dedup();
        if unused.is_empty() {
            continue;
        }
        ctx.push(
            RuleId::UnusedGrant,
            pointer,
            say(
                format!(
                    "granted to `{id}` but never used by its code: {}",
                    super::checks::listed(&unused)
                ),
                "remove them (see the replacement below)",
                unused,
            ),
        );
    }
}

fn replacement(
    catalog: &Catalog,
    id: &str,
    function: &InferredFunction,
    docs: &[&Doc],
) -> Replacement {
    let grants = granted(docs, true);
    let mut groups: BTreeMap<String, (Vec<Value>, Vec<String>)> = BTreeMap::new();
    for action in &function.actions {
        let lower = action.to_ascii_lowercase();
        let resources: Vec<Value> = grants
            .iter()
            .find(|g| wildcard_match(&g.pattern, &lower))
            .and_then(|g| match g.resources {
                Some(Resources::Resource(list)) => Some(list.iter().cloned().collect()),
                _ => None,
            })
            .unwrap_or_else(|| vec![Value::literal("*")]);
        let resources = narrowed(catalog, action, resources);
        let key = serde_json::to_string(&resources).unwrap_or_default();
        let canonical = catalog.action(action).map(|i| i.action).unwrap_or_else(|_| action.clone());
        groups.entry(key).or_insert_with(|| (resources, Vec::new())).1.push(canonical);
    }
    let statements = groups
        .into_values()
        .map(|(resources, actions)| Statement::new(Effect::Allow, actions, resources))
        .collect();
    Replacement {
        function: id.to_owned(),
        binary: function.binary.clone(),
        policy: Policy::new(statements),
        attribute: function.suggestion.clone(),
        incomplete: !function.unresolved.is_empty(),
    }
}

/// The resources an action can match among those it was granted on (the object ARN, not the
/// bucket's, for `s3:GetObject`); all of them when none can be judged.
fn narrowed(catalog: &Catalog, action: &str, resources: Vec<Value>) -> Vec<Value> {
    let Ok(info) = catalog.action(action) else { return resources };
    if info.resource_star_only() {
        return vec![Value::literal("*")];
    }
    let formats: Vec<Vec<super::arn::Tok>> =
        info.resource_types.iter().map(|rt| super::arn::format_toks(&rt.arn)).collect();
    let params = crate::policy::Params::new();
    let kept: Vec<Value> = resources
        .iter()
        .filter(|r| {
            super::arn::shapes(r, &params)
                .iter()
                .any(|s| formats.iter().any(|f| super::arn::overlap(&s.toks, f)))
        })
        .cloned()
        .collect();
    if kept.is_empty() { resources } else { kept }
}

/// Reports what the analysis could not follow; the services whose grants must not be counted as
/// unused (`None`: none may be, a call of an unknown service was not followed).
fn blind_services(
    ctx: &mut Ctx<'_>,
    id: &str,
    at: &str,
    function: &InferredFunction,
) -> Option<BTreeSet<String>> {
    let mut blind: BTreeSet<String> = BTreeSet::new();
    let mut blind_all = false;
    for item in &function.unresolved {
        match item.service.as_deref().and_then(|c| ctx.catalog.crate_prefix(c)) {
            Some(prefix) => {
                blind.insert(prefix.to_owned());
            }
            None => blind_all = true,
        }
        ctx.push(RuleId::Unresolved, at, Say {
            resource: Some(id.to_owned()),
            function: Some(id.to_owned()),
            actions: Vec::new(),
            message: format!(
                "{}:{}: the analysis could not follow {} ({}): its grants are not counted as unused",
                item.file.display(),
                item.line,
                item.service.as_deref().unwrap_or("a call"),
                item.reason
            ),
            help: "declare what it needs explicitly, or make the call visible to the analysis".to_owned(),
        });
    }
    (!blind_all).then_some(blind)
}
