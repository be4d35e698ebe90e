//! What each role of a template can do: its documents (inline, attached, managed, SAM-generated)
//! and the functions that use it, then the checks run over them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::catalog::Catalog;
use crate::managed;
use crate::policy::{
    MANAGED_POLICY_MAX_SIZE, Params, Policy, ROLE_INLINE_POLICIES_MAX_SIZE, Statement, json_size,
};
use crate::serverless::{self, GrantKind, escape};
use crate::synth::document::Node;
use crate::synth::sam::SERVERLESS_FUNCTION;

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

impl Ctx<'_> {
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

/// Pointer of item `i` of a one-or-many list written at `at` (a bare value has no index).
pub(crate) fn item_pointer(node: Option<&Node>, at: &str, i: usize) -> String {
    match node {
        Some(Node::List(_)) => format!("{at}/{i}"),
        _ => at.to_owned(),
    }
}

/// The statements of a document node, `Fn::If` branches flattened; unreadable ones reported.
fn read_document(
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
struct Model {
    docs: Vec<Doc>,
    roles: Vec<Role>,
}

impl Model {
    fn role(&mut self, id: &str, pointer: &str) -> usize {
        if let Some(i) = self.roles.iter().position(|r| r.id == id) {
            return i;
        }
        self.roles.push(Role { id: id.to_owned(), pointer: pointer.to_owned(), ..Role::default() });
        self.roles.len() - 1
    }

    fn add(&mut self, role: usize, doc: Doc) {
        self.docs.push(doc);
        let index = self.docs.len() - 1;
        self.roles[role].docs.push(index);
    }
}

/// The logical id a `!Ref X` or `!GetAtt X.Arn` names.
fn referenced(node: &Node) -> Option<&str> {
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
fn size(doc: &Node) -> usize {
    serde_json::to_string(doc).map(|t| json_size(&t)).unwrap_or_default()
}

fn say(
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

/// Lints a parsed template or policy.
pub(crate) fn lint_node(
    catalog: &Catalog,
    file: &str,
    node: &Node,
    locator: &Locator,
    options: &LintOptions,
) -> Result<Vec<Finding>, LintInputError> {
    let mut ctx = Ctx {
        catalog,
        file,
        locator,
        params: &options.params,
        findings: Vec::new(),
        unresolved: BTreeMap::new(),
        service_actions: HashMap::new(),
        resource_ids: match node.get("Resources") {
            Some(Node::Map(entries)) => entries.iter().map(|(k, _)| k.clone()).collect(),
            _ => BTreeSet::new(),
        },
    };
    let mut model = Model::default();
    if node.get("Resources").is_none() && node.get("Statement").is_some() {
        let stmts = read_document(&mut ctx, node, "", true, "");
        let role = model.role("", "");
        model.add(
            role,
            Doc {
                resource: String::new(),
                function: None,
                stmts,
                managed: None,
                pointer: String::new(),
            },
        );
    } else if let Some(Node::Map(resources)) = node.get("Resources") {
        collect(&mut ctx, node, resources, &mut model);
    } else {
        return Err(LintInputError {
            file: file.to_owned(),
            message: "neither a template (no `Resources`) nor a policy (no `Statement`)".to_owned(),
            help: "give a CloudFormation/SAM template or an IAM policy document".to_owned(),
        });
    }
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
            },
        );
    }
    let file = String::new();
    let mut ctx = Ctx {
        catalog,
        file: &file,
        locator: &locator,
        params: &params,
        findings: Vec::new(),
        unresolved: BTreeMap::new(),
        service_actions: HashMap::new(),
        resource_ids: BTreeSet::new(),
    };
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

fn collect(ctx: &mut Ctx<'_>, template: &Node, resources: &[(String, Node)], model: &mut Model) {
    // Roles first, so that policies and functions can attach to them in any order.
    for (id, resource) in resources {
        if resource.get("Type").and_then(Node::as_str) == Some("AWS::IAM::Role") {
            let at = format!("/Resources/{}", escape(id));
            let role = model.role(id, &at);
            let props = resource.get("Properties");
            if let Some(Node::List(policies)) = props.and_then(|p| p.get("Policies")) {
                for (i, policy) in policies.iter().enumerate() {
                    let pat = format!("{at}/Properties/Policies/{i}/PolicyDocument");
                    if let Some(doc) = policy.get("PolicyDocument") {
                        model.roles[role].inline_size += size(doc);
                        let stmts = read_document(ctx, doc, &pat, true, id);
                        model.add(
                            role,
                            Doc {
                                resource: id.clone(),
                                function: None,
                                stmts,
                                managed: None,
                                pointer: pat,
                            },
                        );
                    }
                }
            }
            if let Some(Node::List(arns)) = props.and_then(|p| p.get("ManagedPolicyArns")) {
                for (i, arn) in arns.iter().enumerate() {
                    let pat = format!("{at}/Properties/ManagedPolicyArns/{i}");
                    managed_ref(ctx, template, arn, &pat, id, None, role, model);
                }
            }
        }
    }
    for (id, resource) in resources {
        let at = format!("/Resources/{}", escape(id));
        let props = resource.get("Properties");
        match resource.get("Type").and_then(Node::as_str) {
            Some(kind @ ("AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy")) => {
                let Some(doc) = props.and_then(|p| p.get("PolicyDocument")) else { continue };
                let pat = format!("{at}/Properties/PolicyDocument");
                let stmts = read_document(ctx, doc, &pat, true, id);
                let inline = kind == "AWS::IAM::Policy";
                if !inline && size(doc) > MANAGED_POLICY_MAX_SIZE {
                    ctx.push(RuleId::PolicySize, &pat, say(
                        format!("the managed policy is {} characters, above IAM's {MANAGED_POLICY_MAX_SIZE}", size(doc)),
                        "split it into several managed policies, or scope it down", id, None, Vec::new()));
                }
                let mut attached = false;
                if let Some(Node::List(roles)) = props.and_then(|p| p.get("Roles")) {
                    for role in roles {
                        if let Some(name) = referenced(role)
                            && model.roles.iter().any(|r| r.id == name)
                        {
                            let r = model.role(name, "");
                            if inline {
                                model.roles[r].inline_size += size(doc);
                            }
                            model.add(
                                r,
                                Doc {
                                    resource: id.clone(),
                                    function: None,
                                    stmts: stmts.clone(),
                                    managed: None,
                                    pointer: pat.clone(),
                                },
                            );
                            attached = true;
                        }
                    }
                }
                if !attached {
                    let r = model.role(id, &at);
                    model.add(
                        r,
                        Doc {
                            resource: id.clone(),
                            function: None,
                            stmts,
                            managed: None,
                            pointer: pat,
                        },
                    );
                }
            }
            Some(SERVERLESS_FUNCTION) => function(ctx, template, id, &at, model),
            Some("AWS::Lambda::Function") => {
                if let Some(role) = props.and_then(|p| p.get("Role")) {
                    use_role(ctx, role, &format!("{at}/Properties/Role"), id, model);
                }
            }
            _ => {}
        }
    }
}

fn use_role(ctx: &mut Ctx<'_>, role: &Node, at: &str, function: &str, model: &mut Model) {
    match referenced(role) {
        Some(name) if model.roles.iter().any(|r| r.id == name) => {
            let r = model.role(name, "");
            model.roles[r].functions.push(function.to_owned());
        }
        _ => {
            let names = match role.as_str() {
                Some(_) => vec![format!("the role of {function} (outside the template)")],
                None => vec![format!("the role of {function}")],
            };
            ctx.unresolved(names, at);
        }
    }
}

fn function(ctx: &mut Ctx<'_>, template: &Node, id: &str, at: &str, model: &mut Model) {
    let role = serverless::function_role(template, id);
    if let Some((pointer, node)) = &role.role {
        use_role(ctx, node, pointer, id, model);
        return;
    }
    for (pointer, message) in &role.problems {
        ctx.push(
            RuleId::InvalidPolicy,
            pointer,
            say(
                message.clone(),
                "fix the Policies entry (see the SAM policy templates list)",
                id,
                Some(id),
                Vec::new(),
            ),
        );
    }
    let r = model.role(&format!("{id}Role"), at);
    model.roles[r].functions.push(id.to_owned());
    for grant in role.grants {
        match &grant.kind {
            GrantKind::Document(doc) => {
                let exact = matches!(grant.origin, serverless::GrantOrigin::Inline);
                model.roles[r].inline_size += size(doc);
                let stmts = read_document(ctx, doc, &grant.pointer, exact, id);
                model.add(
                    r,
                    Doc {
                        resource: id.to_owned(),
                        function: Some(id.to_owned()),
                        stmts,
                        managed: None,
                        pointer: grant.pointer.clone(),
                    },
                );
            }
            GrantKind::Managed(arn) => {
                let implicit = grant.origin.is_implicit();
                let origin = implicit.then(|| grant.origin.describe());
                managed_ref(ctx, template, arn, &grant.pointer, id, origin.as_deref(), r, model);
            }
        }
    }
}

/// The managed policy name of a literal name, a literal ARN or `!Sub arn:${AWS::Partition}:…`.
fn managed_name(node: &Node, params: &Params) -> Option<String> {
    let text = match node {
        Node::String(text) => text.clone(),
        _ => match node.get("Fn::Sub") {
            Some(Node::String(t)) => t.replace("${AWS::Partition}", "aws"),
            _ => match node.get("Ref").and_then(Node::as_str).and_then(|n| params.get(n)) {
                Some(value) => value.to_owned(),
                None => return None,
            },
        },
    };
    managed::policy_name(&text)
        .map(str::to_owned)
        .filter(|_| !text.starts_with("arn:") || text.contains(":iam::aws:policy/"))
}

/// Managed policies that make a role an administrator or near it.
const ADMIN_POLICIES: &[&str] = &["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"];

#[allow(clippy::too_many_arguments)]
fn managed_ref(
    ctx: &mut Ctx<'_>,
    template: &Node,
    arn: &Node,
    at: &str,
    resource: &str,
    implicit: Option<&str>,
    role: usize,
    model: &mut Model,
) {
    let function =
        (model.roles[role].functions.len() == 1).then(|| model.roles[role].functions[0].clone());
    let function = function.as_deref();
    // A managed policy of the template itself.
    if let Some(name) = referenced(arn)
        && let Some(doc) = template
            .get("Resources")
            .and_then(|r| r.get(name))
            .and_then(|r| r.get("Properties"))
            .and_then(|p| p.get("PolicyDocument"))
    {
        let pat = format!("/Resources/{}/Properties/PolicyDocument", escape(name));
        let stmts = read_document(ctx, doc, &pat, true, name);
        model.add(
            role,
            Doc {
                resource: name.to_owned(),
                function: None,
                stmts,
                managed: Some(String::new()),
                pointer: pat,
            },
        );
        return;
    }
    let Some(name) = managed_name(arn, ctx.params) else {
        let names = vec![format!("a managed policy ARN of {resource}")];
        ctx.unresolved(names, at);
        return;
    };
    let Some(policy) = managed::lookup(&name) else {
        if !name.is_empty()
            && arn
                .as_str()
                .is_none_or(|t| t.contains(":iam::aws:policy/") || !t.starts_with("arn:"))
        {
            ctx.push(
                RuleId::UnknownManagedPolicy,
                at,
                say(
                    format!(
                        "`{name}` is not an AWS managed policy lint knows, so it is not judged"
                    ),
                    "check the name; customer managed policies are judged where they are defined",
                    resource,
                    function,
                    Vec::new(),
                ),
            );
        }
        return;
    };
    let via = implicit.map(|o| format!(" (added by {o})")).unwrap_or_default();
    if ADMIN_POLICIES.contains(&policy.name.as_str()) {
        ctx.push(RuleId::BroadManagedPolicy, at, say(
            format!("`{}`{via} grants (nearly) every action on every resource", policy.name),
            "replace it with statements naming the actions and resources the function uses (`leastpriv synth`)",
            resource, function, Vec::new()));
    } else if policy.name.ends_with("FullAccess") {
        ctx.push(RuleId::BroadManagedPolicy, at, say(
            format!("`{}`{via} grants every action of its service on every resource", policy.name),
            "replace it with statements naming the actions and resources used (`leastpriv synth`)",
            resource, function, Vec::new()));
        if let Some(last) = ctx.findings.last_mut() {
            last.severity = super::Severity::Warning;
        }
    } else if policy.name == "AWSLambdaBasicExecutionRole" {
        ctx.push(RuleId::UnscopedLogs, at, say(
            format!("`AWSLambdaBasicExecutionRole`{via} allows writing to every log group (`logs:*` actions on `*`)"),
            "scope logs:CreateLogStream and logs:PutLogEvents to the function's own log group (`leastpriv synth` does)",
            resource, function, Vec::new()));
    }
    let stmts = policy
        .document
        .statements
        .iter()
        .map(|s| Stmt { pointer: at.to_owned(), exact: false, statement: s.clone() })
        .collect::<Vec<_>>();
    model.add(
        role,
        Doc {
            resource: resource.to_owned(),
            function: None,
            stmts,
            managed: Some(policy.name.clone()),
            pointer: at.to_owned(),
        },
    );
}

/// Runs the statement checks on every document once, then the role checks.
fn judge(ctx: &mut Ctx<'_>, model: &Model) {
    let mut judged: Vec<(String, usize)> = Vec::new();
    for role in &model.roles {
        let function = (role.functions.len() == 1).then(|| role.functions[0].clone());
        for &d in &role.docs {
            let doc = &model.docs[d];
            if doc.managed.is_some()
                || judged.iter().any(|(p, n)| *p == doc.pointer && *n == doc.stmts.len())
            {
                continue;
            }
            judged.push((doc.pointer.clone(), doc.stmts.len()));
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
