//! The stand-alone CloudFormation template: per function an `AWS::IAM::Role` (trust, policy,
//! tags, boundary, path) and an `AWS::Logs::LogGroup`, `Parameters` for every name the template
//! does not define, `Outputs` exporting each role's ARN and log group's name.
//!
//! The template is deployable and lintable on its own, so it must define every name it uses.
//! Plain `${Name}`s become `String` parameters. `${Resource.Attribute}`s name a resource of the
//! application's template, which this template cannot see: each becomes a parameter named
//! `ResourceAttribute` (letters and digits of both), and the policies use that parameter instead
//! (`${ForwardQueue.QueueName}` → `${ForwardQueueQueueName}`, `!GetAtt A.B` → `!Ref AB`). When the
//! roles are merged into the application's template instead (`sam`), the attributes stay.

use std::collections::{BTreeMap, BTreeSet};

use super::document::{DocumentError, Node};
use super::manifest::{Manifest, ManifestFunction};
use super::{FunctionRole, Placement};

/// The parameter standing for `Resource.Attribute` in a stand-alone template.
pub fn attribute_parameter(attribute: &str) -> String {
    attribute.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// Rewrites `${A.B}` references of an `Fn::Sub` template to their parameters (`${!…}` escapes
/// stay as written).
fn rewrite_sub(template: &str, attributes: &BTreeSet<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) if !after.starts_with('!') && attributes.contains(&after[..end]) => {
                out.push_str("${");
                out.push_str(&attribute_parameter(&after[..end]));
                out.push('}');
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Replaces uses of resource attributes in a tree by their parameters.
fn externalise(node: Node, attributes: &BTreeSet<String>) -> Node {
    match node {
        Node::Map(entries) => {
            if let [(function, arg)] = entries.as_slice() {
                if function == "Fn::Sub"
                    && let Node::String(template) = arg
                {
                    return Node::sub(rewrite_sub(template, attributes));
                }
                if function == "Fn::GetAtt"
                    && let Node::List(parts) = arg
                    && let [Node::String(resource), Node::String(attribute)] = parts.as_slice()
                {
                    let name = format!("{resource}.{attribute}");
                    if attributes.contains(&name) {
                        return Node::reference(attribute_parameter(&name));
                    }
                }
            }
            Node::Map(entries.into_iter().map(|(k, v)| (k, externalise(v, attributes))).collect())
        }
        Node::List(items) => {
            Node::List(items.into_iter().map(|item| externalise(item, attributes)).collect())
        }
        other => other,
    }
}

fn tree<T: serde::Serialize>(
    value: &T,
    attributes: &BTreeSet<String>,
) -> Result<Node, DocumentError> {
    Ok(externalise(Node::from_serialize(value)?, attributes))
}

fn parameters(manifest: &Manifest) -> Node {
    let mut users: BTreeMap<String, (String, Vec<&str>)> = BTreeMap::new();
    for function in &manifest.functions {
        let role = &function.role;
        for name in &role.parameters {
            users
                .entry(name.clone())
                .or_insert_with(|| (format!("{name} of the application"), Vec::new()))
                .1
                .push(&role.name);
        }
        for attribute in &role.resource_attributes {
            users
                .entry(attribute_parameter(attribute))
                .or_insert_with(|| {
                    (
                        format!("The value of !GetAtt {attribute} in the application's template"),
                        Vec::new(),
                    )
                })
                .1
                .push(&role.name);
        }
    }
    Node::Map(
        users
            .into_iter()
            .map(|(name, (what, functions))| {
                let node = parameter(&what, &functions);
                (name, node)
            })
            .collect(),
    )
}

fn role_resource(
    function: &ManifestFunction,
    attributes: &BTreeSet<String>,
) -> Result<Node, DocumentError> {
    let role: &FunctionRole = &function.role;
    let mut properties = vec![
        ("AssumeRolePolicyDocument".to_owned(), tree(&role.trust_policy, attributes)?),
        (
            "Description".to_owned(),
            Node::string(format!(
                "Least-privilege role of the Lambda function {} (handler {} in {}), generated by leastpriv",
                role.name, role.handler, role.file
            )),
        ),
    ];
    match &role.placement {
        Placement::Inline { policy_name } => properties.push((
            "Policies".to_owned(),
            Node::List(vec![Node::map([
                ("PolicyName", Node::string(policy_name.clone())),
                ("PolicyDocument", tree(&role.policy, attributes)?),
            ])]),
        )),
        Placement::Managed { policies } => properties.push((
            "ManagedPolicyArns".to_owned(),
            Node::List(policies.iter().map(|p| Node::reference(p.logical_id.clone())).collect()),
        )),
    }
    if let Some(path) = &role.path {
        properties.push(("Path".to_owned(), Node::string(path.clone())));
    }
    if let Some(boundary) = &role.permissions_boundary {
        properties.push(("PermissionsBoundary".to_owned(), tree(boundary, attributes)?));
    }
    if !role.tags.is_empty() {
        let tags = role
            .tags
            .iter()
            .map(|t| {
                Node::map([
                    ("Key", Node::string(t.key.clone())),
                    ("Value", Node::string(t.value.clone())),
                ])
            })
            .collect();
        properties.push(("Tags".to_owned(), Node::List(tags)));
    }
    Ok(Node::map([("Type", Node::string("AWS::IAM::Role")), ("Properties", Node::Map(properties))]))
}

fn export(name: &str, description: String, value: Node) -> Node {
    Node::map([
        ("Description", Node::string(description)),
        ("Value", value),
        ("Export", Node::map([("Name", Node::sub(format!("${{AWS::StackName}}-{name}")))])),
    ])
}

/// A `String` parameter saying who needs it.
pub(crate) fn parameter(what: &str, functions: &[&str]) -> Node {
    let description = format!("{what}; used by the role of {}", functions.join(", "));
    Node::map([("Type", Node::string("String")), ("Description", Node::string(description))])
}

/// The resources of one function: its log group, its role and the role's managed policies,
/// keyed by logical id. Uses of `attributes` become their parameters (see [`attribute_parameter`]).
pub(crate) fn function_resources(
    function: &ManifestFunction,
    attributes: &BTreeSet<String>,
) -> Result<Vec<(String, Node)>, DocumentError> {
    let role = &function.role;
    let log_group = &role.log_group;
    let mut resources = Vec::new();
    // Kept when the stack goes, as Lambda's own log groups are (and CDK's default): logs
    // outlive the deployment. The generated name never collides with a kept group.
    let mut group = vec![
        ("Type".to_owned(), Node::string("AWS::Logs::LogGroup")),
        ("DeletionPolicy".to_owned(), Node::string("Retain")),
        ("UpdateReplacePolicy".to_owned(), Node::string("Retain")),
    ];
    if let Some(days) = log_group.retention_in_days {
        group.push((
            "Properties".to_owned(),
            Node::map([("RetentionInDays", Node::Number(days.into()))]),
        ));
    }
    resources.push((log_group.logical_id.clone(), Node::Map(group)));
    resources.push((role.role_logical_id.clone(), role_resource(function, attributes)?));
    if let Placement::Managed { policies } = &role.placement {
        let count = policies.len();
        for (i, policy) in policies.iter().enumerate() {
            let description = format!(
                "Part {} of {count} of the permissions of the Lambda function {}, generated by leastpriv",
                i + 1,
                role.name
            );
            let properties = Node::map([
                ("Description", Node::string(description)),
                ("PolicyDocument", tree(&policy.policy, attributes)?),
            ]);
            resources.push((
                policy.logical_id.clone(),
                Node::map([
                    ("Type", Node::string("AWS::IAM::ManagedPolicy")),
                    ("Properties", properties),
                ]),
            ));
        }
    }
    Ok(resources)
}

/// Any serializable value (an environment value, a policy) as a tree, with uses of
/// `attributes` replaced by their parameters.
pub(crate) fn value_tree<T: serde::Serialize>(
    value: &T,
    attributes: &BTreeSet<String>,
) -> Result<Node, DocumentError> {
    tree(value, attributes)
}

/// The stand-alone template of every function of the manifest.
pub fn template(manifest: &Manifest) -> Result<Node, DocumentError> {
    let attributes = &manifest.resource_attributes;
    let mut resources: Vec<(String, Node)> = Vec::new();
    let mut outputs: Vec<(String, Node)> = Vec::new();
    for function in &manifest.functions {
        let role = &function.role;
        let log_group = &role.log_group;
        resources.extend(function_resources(function, attributes)?);
        let arn_output = format!("{}Arn", role.role_logical_id);
        outputs.push((
            arn_output.clone(),
            export(
                &arn_output,
                format!("ARN of the role of the Lambda function {}", role.name),
                Node::get_att(role.role_logical_id.clone(), "Arn"),
            ),
        ));
        let group_output = format!("{}Name", log_group.logical_id);
        outputs.push((
            group_output.clone(),
            export(
                &group_output,
                format!(
                    "Log group of the Lambda function {} (its LoggingConfig.LogGroup)",
                    role.name
                ),
                Node::reference(log_group.logical_id.clone()),
            ),
        ));
    }
    let description = format!(
        "IAM roles and log groups of the Lambda functions of {}, generated by leastpriv from their \
         #[leastpriv::role] declarations. Regenerate with leastpriv synth; do not edit.",
        manifest.crate_name
    );
    let mut top = vec![
        ("AWSTemplateFormatVersion".to_owned(), Node::string("2010-09-09")),
        ("Description".to_owned(), Node::string(description)),
    ];
    let parameters = parameters(manifest);
    if parameters != Node::Map(Vec::new()) {
        top.push(("Parameters".to_owned(), parameters));
    }
    top.push(("Resources".to_owned(), Node::Map(resources)));
    top.push(("Outputs".to_owned(), Node::Map(outputs)));
    Ok(Node::Map(top))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_references_become_parameters() {
        let attributes: BTreeSet<String> = ["Queue.QueueName".to_owned()].into();
        assert_eq!(
            rewrite_sub(
                "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Queue.QueueName}",
                &attributes
            ),
            "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${QueueQueueName}"
        );
        assert_eq!(
            rewrite_sub("${!Queue.QueueName}-${Other.X}", &attributes),
            "${!Queue.QueueName}-${Other.X}"
        );
        assert_eq!(
            externalise(Node::get_att("Queue", "QueueName"), &attributes),
            Node::reference("QueueQueueName")
        );
        assert_eq!(
            externalise(Node::get_att("Queue", "Arn"), &attributes),
            Node::get_att("Queue", "Arn")
        );
    }
}
