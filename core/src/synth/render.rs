//! The output formats of `leastpriv synth`, each rendered from the [`Manifest`].

use std::fmt;

use super::Placement;
use super::cfn::template;
use super::document::DocumentError;
use super::manifest::Manifest;
use super::resolve::{ResolveError, resolve_manifest};
use super::terraform::configuration;
use crate::policy::Params;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The manifest, JSON.
    Manifest,
    /// The stand-alone CloudFormation template, JSON.
    CfnJson,
    /// The stand-alone CloudFormation template, YAML with short-form tags.
    CfnYaml,
    /// One bare IAM policy document (JSON) per function, or per managed policy of a split role.
    Policy,
    /// Terraform's JSON syntax (see [`super::terraform`]).
    Terraform,
}

impl Format {
    /// The name on the command line (`cfn-yaml`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Manifest => "manifest",
            Format::CfnJson => "cfn-json",
            Format::CfnYaml => "cfn-yaml",
            Format::Policy => "policy",
            Format::Terraform => "terraform",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rendered document: its conventional file name and its text (trailing newline included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The file name it is written to in an output directory (`leastpriv.cfn.yaml`,
    /// `ResizeImage.policy.json`).
    pub file_name: String,
    /// The document.
    pub text: String,
}

/// Renders the manifest in `format`: one document, or for [`Format::Policy`] one per function
/// (per managed policy when a role is split), in function order.
pub fn render(manifest: &Manifest, format: Format) -> Result<Vec<Rendered>, DocumentError> {
    let one =
        |file_name: &str, text: String| vec![Rendered { file_name: file_name.to_owned(), text }];
    Ok(match format {
        Format::Manifest => one("leastpriv.manifest.json", manifest.to_json()),
        Format::CfnJson => one("leastpriv.cfn.json", template(manifest)?.to_json_pretty()),
        Format::CfnYaml => one("leastpriv.cfn.yaml", template(manifest)?.to_yaml()?),
        Format::Terraform => one("leastpriv.tf.json", configuration(manifest)?.to_json_pretty()),
        Format::Policy => {
            let mut out = Vec::new();
            for function in &manifest.functions {
                let role = &function.role;
                match &role.placement {
                    Placement::Inline { .. } => out.push(Rendered {
                        file_name: format!("{}.policy.json", role.name),
                        text: role.policy.to_pretty_json(),
                    }),
                    Placement::Managed { policies } => {
                        for policy in policies {
                            out.push(Rendered {
                                file_name: format!("{}.policy.json", policy.logical_id),
                                text: policy.policy.to_pretty_json(),
                            });
                        }
                    }
                }
            }
            out
        }
    })
}

/// [`Format::Policy`] with every reference resolved: the same documents (file names, order),
/// each value replaced as [`super::resolve`] says, so any tool can read them. `defaults` are
/// values the caller knows (none for `synth`); `user` the `NAME=VALUE`s given, which win.
pub fn render_resolved_policies(
    manifest: &Manifest,
    defaults: &Params,
    user: &[(String, String)],
) -> Result<Vec<Rendered>, ResolveError> {
    let mut out = Vec::new();
    for role in resolve_manifest(manifest, defaults, user)? {
        if role.managed.is_empty() {
            out.push(Rendered {
                file_name: format!("{}.policy.json", role.function),
                text: role.policy.to_pretty_json(),
            });
        }
        for (logical_id, policy) in &role.managed {
            out.push(Rendered {
                file_name: format!("{logical_id}.policy.json"),
                text: policy.to_pretty_json(),
            });
        }
    }
    Ok(out)
}
