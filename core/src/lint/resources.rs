//! The roles of a template: IAM roles and their inline and managed policies, standalone IAM
//! policies attached by `Roles`, SAM functions' generated roles, and the functions using each.

use crate::managed;
use crate::policy::{MANAGED_POLICY_MAX_SIZE, Params};
use crate::serverless::{self, GrantKind, escape};
use crate::synth::document::Node;
use crate::synth::sam::SERVERLESS_FUNCTION;

use super::RuleId;
use super::model::{Ctx, Doc, Model, Stmt, read_document, referenced, say, size};

/// Reads every role, policy and function of `resources` into `model`.
pub(crate) fn collect(
    ctx: &mut Ctx<'_>,
    template: &Node,
    resources: &[(String, Node)],
    model: &mut Model,
) {
    // Roles first, so that policies and functions can attach to them in any order.
    for (id, resource) in resources {
        if resource.get("Type").and_then(Node::as_str) == Some("AWS::IAM::Role") {
            role_resource(ctx, template, id, resource, model);
        }
    }
    for (id, resource) in resources {
        let at = format!("/Resources/{}", escape(id));
        let props = resource.get("Properties");
        match resource.get("Type").and_then(Node::as_str) {
            Some(kind @ ("AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy")) => {
                if let Some(doc) = props.and_then(|p| p.get("PolicyDocument")) {
                    let inline = kind == "AWS::IAM::Policy";
                    policy_resource(
                        ctx,
                        id,
                        props.and_then(|p| p.get("Roles")),
                        doc,
                        inline,
                        model,
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

/// An `AWS::IAM::Role`: its inline policies and managed policy ARNs.
fn role_resource(ctx: &mut Ctx<'_>, template: &Node, id: &str, resource: &Node, model: &mut Model) {
    let at = format!("/Resources/{}", escape(id));
    let role = model.role(id, &at);
    let props = resource.get("Properties");
    if let Some(Node::List(policies)) = props.and_then(|p| p.get("Policies")) {
        for (i, policy) in policies.iter().enumerate() {
            let pat = format!("{at}/Properties/Policies/{i}/PolicyDocument");
            if let Some(doc) = policy.get("PolicyDocument") {
                model.roles[role].inline_size += size(doc);
                let stmts = read_document(ctx, doc, &pat, true, id);
                let doc = Doc {
                    resource: id.to_owned(),
                    function: None,
                    stmts,
                    managed: None,
                    pointer: pat,
                    for_service: false,
                };
                model.add(role, doc);
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

/// An `AWS::IAM::Policy` (inline on its roles) or `AWS::IAM::ManagedPolicy`, attached to the
/// template's roles it names, else judged on its own.
fn policy_resource(
    ctx: &mut Ctx<'_>,
    id: &str,
    roles: Option<&Node>,
    doc: &Node,
    inline: bool,
    model: &mut Model,
) {
    let at = format!("/Resources/{}", escape(id));
    let pat = format!("{at}/Properties/PolicyDocument");
    let stmts = read_document(ctx, doc, &pat, true, id);
    if !inline && size(doc) > MANAGED_POLICY_MAX_SIZE {
        ctx.push(
            RuleId::PolicySize,
            &pat,
            say(
                format!(
                    "the managed policy is {} characters, above IAM's {MANAGED_POLICY_MAX_SIZE}",
                    size(doc)
                ),
                "split it into several managed policies, or scope it down",
                id,
                None,
                Vec::new(),
            ),
        );
    }
    let new_doc = |stmts: Vec<_>| Doc {
        resource: id.to_owned(),
        function: None,
        stmts,
        managed: None,
        pointer: pat.clone(),
        for_service: false,
    };
    let mut attached = false;
    if let Some(Node::List(roles)) = roles {
        for role in roles {
            if let Some(name) = referenced(role)
                && model.has_role(name)
            {
                let r = model.role(name, "");
                if inline {
                    model.roles[r].inline_size += size(doc);
                }
                model.add(r, new_doc(stmts.clone()));
                attached = true;
            }
        }
    }
    if !attached {
        let r = model.role(id, &at);
        model.add(r, new_doc(stmts));
    }
}

fn use_role(ctx: &mut Ctx<'_>, role: &Node, at: &str, function: &str, model: &mut Model) {
    match referenced(role) {
        Some(name) if model.has_role(name) => {
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
                        for_service: grant.origin.is_implicit(),
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
                for_service: false,
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
    managed_findings(ctx, &policy.name, implicit, at, resource, function);
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
            for_service: false,
        },
    );
}

/// What a managed policy is worth saying (`implicit`: what added it, for SAM's own).
fn managed_findings(
    ctx: &mut Ctx<'_>,
    name: &str,
    implicit: Option<&str>,
    at: &str,
    resource: &str,
    function: Option<&str>,
) {
    let via = implicit.map(|o| format!(" (added by {o})")).unwrap_or_default();
    if ADMIN_POLICIES.contains(&name) {
        ctx.push(RuleId::BroadManagedPolicy, at, say(
            format!("`{}`{via} grants (nearly) every action on every resource", name),
            "replace it with statements naming the actions and resources the function uses (`leastpriv synth`)",
            resource, function, Vec::new()));
    } else if name.ends_with("FullAccess") {
        ctx.push(RuleId::BroadManagedPolicy, at, say(
            format!("`{}`{via} grants every action of its service on every resource", name),
            "replace it with statements naming the actions and resources used (`leastpriv synth`)",
            resource, function, Vec::new()));
        if let Some(last) = ctx.findings.last_mut() {
            last.severity = super::Severity::Warning;
        }
    } else if name == "AWSLambdaBasicExecutionRole" {
        ctx.push(RuleId::UnscopedLogs, at, say(
            format!("`AWSLambdaBasicExecutionRole`{via} allows writing to every log group (`logs:*` actions on `*`)"),
            "scope logs:CreateLogStream and logs:PutLogEvents to the function's own log group (`leastpriv synth` does)",
            resource, function, Vec::new()));
    }
}
