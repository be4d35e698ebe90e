//! What each role of a template can do: its documents (inline, attached, managed, SAM-generated)
//! and the functions that use it, then the checks run over them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::catalog::Catalog;
use crate::policy::{Params, Policy, ROLE_INLINE_POLICIES_MAX_SIZE, Statement, json_size};
use crate::synth::document::Node;

use super::locate::Locator;
use super::{Finding, LintInputError, LintOptions, NamedPolicy, RuleId, checks, escalation};

/// One statement with where it is written.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    /// Pointer of the statement (or of what generated it).
    pub pointer: String,
    /// True when `pointer` is the statement itself (values can be located under it).
    pub exact: bool,
    /// The statement.
    pub statement: Statement,
}

/// One policy document of a role.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    /// The logical id findings on it are on.
    pub resource: String,
    /// The function it belongs to, when one.
    pub function: Option<String>,
    /// Its statements.
    pub stmts: Vec<Stmt>,
    /// Some(name) for an AWS managed policy: judged as a whole, not statement by statement.
    pub managed: Option<String>,
    /// Pointer of the reference (managed) or of the document.
    pub pointer: String,
    /// Whether SAM wrote it for the Lambda service itself (a dead-letter queue, a destination),
    /// not for the function's code: never counted as unused by `lint --code`.
    pub for_service: bool,
}

/// A role: its documents and the functions using it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Role {
    pub id: String,
    pub pointer: String,
    pub functions: Vec<String>,
    pub docs: Vec<usize>,
    pub inline_size: usize,
}

/// The checks' shared state.
pub(crate) struct Ctx<'a> {
    pub catalog: &'a Catalog,
    pub file: &'a str,
    pub locator: &'a Locator,
    pub params: &'a Params,
    pub findings: Vec<Finding>,
    /// Unresolved name → first pointer.
    pub unresolved: BTreeMap<String, String>,
    /// Service prefix → its actions (lower-cased, canonical).
    pub service_actions: HashMap<String, Vec<(String, String)>>,
    /// The template's resource logical ids: references to them are specific, not unresolved.
    pub resource_ids: BTreeSet<String>,
}

/// What a finding says, before it is placed.
pub(crate) struct Say {
    pub message: String,
    pub help: String,
    pub resource: Option<String>,
    pub function: Option<String>,
    pub actions: Vec<String>,
}

impl<'a> Ctx<'a> {
    /// A fresh state for one input.
    pub(crate) fn new(
        catalog: &'a Catalog,
        file: &'a str,
        locator: &'a Locator,
        params: &'a Params,
    ) -> Self {
        Ctx {
            catalog,
            file,
            locator,
            params,
            findings: Vec::new(),
            unresolved: BTreeMap::new(),
            service_actions: HashMap::new(),
            resource_ids: BTreeSet::new(),
        }
    }

    /// Adds a finding of `rule` at `pointer`.
    pub(crate) fn push(&mut self, rule: RuleId, pointer: &str, say: Say) {
        let pos = self.locator.find(pointer);
        self.findings.push(Finding {
            rule: rule.id(),
            severity: rule.info().severity,
            file: self.file.to_owned(),
            line: pos.line,
            column: pos.column,
            message: say.message,
            help: say.help,
            resource: say.resource,
            function: say.function,
            actions: say.actions,
            suppressed: None,
            length: pos.length,
            pointer: pointer.to_owned(),
        });
    }

    /// Records names a value depends on that have no value.
    pub(crate) fn unresolved(&mut self, names: impl IntoIterator<Item = String>, pointer: &str) {
        for name in names {
            let head = name.split('.').next().unwrap_or_default();
            if !name.is_empty() && !self.resource_ids.contains(head) {
                self.unresolved.entry(name).or_insert_with(|| pointer.to_owned());
            }
        }
    }
}

/// The statements of a document node, `Fn::If` branches flattened; unreadable ones reported.
pub(crate) fn read_document(
    ctx: &mut Ctx<'_>,
    doc: &Node,
    at: &str,
    exact: bool,
    resource: &str,
) -> Vec<Stmt> {
    let mut raw = Vec::new();
    match doc.get("Statement") {
        Some(node) => flatten(node, &format!("{at}/Statement"), &mut raw),
        None => {
            if let Some(Node::List(branches)) = doc.get("Fn::If") {
                for (i, branch) in branches.iter().enumerate().skip(1) {
                    let inner = format!("{at}/Fn::If/{i}");
                    if branch.get("Statement").is_some() {
                        return read_document(ctx, branch, &inner, exact, resource);
                    }
                }
            }
            ctx.push(
                RuleId::InvalidPolicy,
                at,
                Say {
                    message: "the policy document has no `Statement`".to_owned(),
                    help: "write `Statement:` with a list of statements".to_owned(),
                    resource: Some(resource.to_owned()),
                    function: None,
                    actions: Vec::new(),
                },
            );
        }
    }
    let mut out = Vec::new();
    for (pointer, node) in raw {
        let wrapped = Node::map([
            ("Version", Node::string("2012-10-17")),
            ("Statement", Node::List(vec![node.clone()])),
        ]);
        let parsed = serde_json::to_value(&wrapped).map_err(|e| e.to_string()).and_then(|v| {
            Policy::from_json_value(&v).map_err(|e| {
                let inner = e.pointer.strip_prefix("/Statement/0").unwrap_or("").to_owned();
                let help = e.help.clone().unwrap_or_default();
                format!("{inner}\u{0}{}\u{0}{help}", e.message)
            })
        });
        match parsed {
            Ok(policy) => {
                for statement in policy.statements {
                    out.push(Stmt { pointer: pointer.clone(), exact, statement });
                }
            }
            Err(text) => {
                let mut parts = text.splitn(3, '\u{0}');
                let inner = parts.next().unwrap_or_default();
                let message = parts.next().unwrap_or(inner).to_owned();
                let help = parts
                    .next()
                    .filter(|h| !h.is_empty())
                    .unwrap_or("fix the statement as the IAM policy grammar says");
                let at = if exact { format!("{pointer}{inner}") } else { pointer.clone() };
                ctx.push(
                    RuleId::InvalidPolicy,
                    &at,
                    Say {
                        message: format!("IAM would reject this statement: {message}"),
                        help: help.to_owned(),
                        resource: Some(resource.to_owned()),
                        function: None,
                        actions: Vec::new(),
                    },
                );
            }
        }
    }
    out
}

fn flatten<'a>(node: &'a Node, at: &str, out: &mut Vec<(String, &'a Node)>) {
    match node {
        Node::List(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(item, &format!("{at}/{i}"), out);
            }
        }
        Node::Map(_) if node.get("Fn::If").is_some() => {
            if let Some(Node::List(branches)) = node.get("Fn::If") {
                for (i, branch) in branches.iter().enumerate().skip(1) {
                    let no_value = branch.get("Ref").and_then(Node::as_str) == Some("AWS::NoValue");
                    if !no_value {
                        flatten(branch, &format!("{at}/Fn::If/{i}"), out);
                    }
                }
            }
        }
        _ => out.push((at.to_owned(), node)),
    }
}

/// The template's roles and documents.
#[derive(Default)]
pub(crate) struct Model {
    /// Every document.
    pub docs: Vec<Doc>,
    /// Every role, with indices into `docs`.
    pub roles: Vec<Role>,
    /// Role id → index in `roles`.
    by_id: HashMap<String, usize>,
}

impl Model {
    /// The role `id`, created when new.
    pub(crate) fn role(&mut self, id: &str, pointer: &str) -> usize {
        if let Some(&i) = self.by_id.get(id) {
            return i;
        }
        self.roles.push(Role { id: id.to_owned(), pointer: pointer.to_owned(), ..Role::default() });
        self.by_id.insert(id.to_owned(), self.roles.len() - 1);
        self.roles.len() - 1
    }

    /// Whether the role `id` exists.
    pub(crate) fn has_role(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Adds a document to a role.
    pub(crate) fn add(&mut self, role: usize, doc: Doc) {
        self.docs.push(doc);
        let index = self.docs.len() - 1;
        self.roles[role].docs.push(index);
    }
}

/// The logical id a `!Ref X` or `!GetAtt X.Arn` names.
pub(crate) fn referenced(node: &Node) -> Option<&str> {
    if let Some(name) = node.get("Ref").and_then(Node::as_str) {
        return Some(name);
    }
    match node.get("Fn::GetAtt") {
        Some(Node::List(parts)) => parts.first().and_then(Node::as_str),
        Some(Node::String(text)) => text.split('.').next(),
        _ => None,
    }
}

/// Size of a document as IAM counts it (whitespace outside strings not counted).
pub(crate) fn size(doc: &Node) -> usize {
    serde_json::to_string(doc).map(|t| json_size(&t)).unwrap_or_default()
}

pub(crate) fn say(
    message: String,
    help: &str,
    resource: &str,
    function: Option<&str>,
    actions: Vec<String>,
) -> Say {
    Say {
        message,
        help: help.to_owned(),
        resource: Some(resource.to_owned()),
        function: function.map(str::to_owned),
        actions,
    }
}

/// The roles and documents of a template (or of a bare policy); reading problems become findings.
pub(crate) fn template_model(ctx: &mut Ctx<'_>, node: &Node) -> Model {
    let mut model = Model::default();
    if let Some(Node::Map(resources)) = node.get("Resources") {
        ctx.resource_ids = resources.iter().map(|(k, _)| k.clone()).collect();
        super::resources::collect(ctx, node, resources, &mut model);
    } else if node.get("Statement").is_some() {
        let stmts = read_document(ctx, node, "", true, "");
        let role = model.role("", "");
        let doc = Doc {
            resource: String::new(),
            function: None,
            stmts,
            managed: None,
            pointer: String::new(),
            for_service: false,
        };
        model.add(role, doc);
    }
    model
}

/// Lints a parsed template or policy.
pub(crate) fn lint_node(
    catalog: &Catalog,
    file: &str,
    node: &Node,
    locator: &Locator,
    options: &LintOptions,
) -> Result<Vec<Finding>, LintInputError> {
    if node.get("Resources").is_none() && node.get("Statement").is_none() {
        return Err(LintInputError {
            file: file.to_owned(),
            message: "neither a template (no `Resources`) nor a policy (no `Statement`)".to_owned(),
            help: "give a CloudFormation/SAM template or an IAM policy document".to_owned(),
        });
    }
    let mut ctx = Ctx::new(catalog, file, locator, &options.params);
    let model = template_model(&mut ctx, node);
    judge(&mut ctx, &model);
    let unresolved = std::mem::take(&mut ctx.unresolved);
    let mut by_pointer: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, pointer) in unresolved {
        by_pointer.entry(pointer).or_default().push(name);
    }
    for (pointer, names) in by_pointer {
        let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        let message = format!("not judged: depends on {} with no value", list.join(", "));
        ctx.push(
            RuleId::Unresolved,
            &pointer,
            Say {
                message,
                help: "give parameters and conditions a value with --param NAME=VALUE".to_owned(),
                resource: None,
                function: None,
                actions: Vec::new(),
            },
        );
    }
    Ok(ctx.findings)
}

/// Lints deployed documents (no template, no positions).
pub(crate) fn lint_documents(catalog: &Catalog, policies: &[NamedPolicy<'_>]) -> Vec<Finding> {
    let locator = Locator::empty();
    let params = Params::new();
    let mut findings = Vec::new();
    let mut model = Model::default();
    for (i, p) in policies.iter().enumerate() {
        let role_id = p.role.unwrap_or(p.name);
        let role = model.role(role_id, "");
        let stmts = p
            .policy
            .statements
            .iter()
            .enumerate()
            .map(|(j, s)| Stmt {
                pointer: format!("/{i}/Statement/{j}"),
                exact: false,
                statement: s.clone(),
            })
            .collect();
        model.add(
            role,
            Doc {
                resource: p.name.to_owned(),
                function: None,
                stmts,
                managed: None,
                pointer: format!("/{i}"),
                for_service: false,
            },
        );
    }
    let file = String::new();
    let mut ctx = Ctx::new(catalog, &file, &locator, &params);
    judge(&mut ctx, &model);
    for mut f in ctx.findings {
        // The policy's name is the "file" of a deployed document.
        if let Some(index) = f.pointer.split('/').nth(1).and_then(|i| i.parse::<usize>().ok())
            && let Some(p) = policies.get(index)
        {
            f.file = p.name.to_owned();
        }
        findings.push(f);
    }
    findings
}

/// Runs the statement checks on every document once, then the role checks.
fn judge(ctx: &mut Ctx<'_>, model: &Model) {
    let mut judged: BTreeSet<(&str, usize)> = BTreeSet::new();
    for role in &model.roles {
        let function = (role.functions.len() == 1).then(|| role.functions[0].clone());
        for &d in &role.docs {
            let doc = &model.docs[d];
            if doc.managed.is_some() || judged.contains(&(doc.pointer.as_str(), doc.stmts.len())) {
                continue;
            }
            judged.insert((doc.pointer.as_str(), doc.stmts.len()));
            let function = doc.function.clone().or_else(|| function.clone());
            for stmt in &doc.stmts {
                checks::statement(ctx, &doc.resource, function.as_deref(), stmt);
            }
        }
        escalation::role(ctx, role, model_docs(model, role), function.as_deref());
        if role.functions.len() > 1 {
            let list: Vec<String> = role.functions.iter().map(|f| format!("`{f}`")).collect();
            ctx.push(
                RuleId::SharedRole,
                &role.pointer,
                say(
                    format!(
                        "the role `{}` is used by {} functions ({})",
                        role.id,
                        role.functions.len(),
                        list.join(", ")
                    ),
                    "give each function its own role with what its code uses (`leastpriv synth`)",
                    &role.id,
                    None,
                    Vec::new(),
                ),
            );
        }
        if role.inline_size > ROLE_INLINE_POLICIES_MAX_SIZE {
            ctx.push(RuleId::PolicySize, &role.pointer, say(
                format!("the inline policies of `{}` total {} characters, above IAM's {ROLE_INLINE_POLICIES_MAX_SIZE}", role.id, role.inline_size),
                "move statements to managed policies, or scope them down", &role.id, function.as_deref(), Vec::new()));
        }
    }
}

fn model_docs<'m>(model: &'m Model, role: &Role) -> Vec<&'m Doc> {
    role.docs.iter().map(|&d| &model.docs[d]).collect()
}
