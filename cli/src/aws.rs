//! The IAM API side of `audit` and `apply`: SDK configuration, retries, errors, and reading a role.
//!
//! Everything goes through `aws-sdk-iam` with `aws-config`'s standard credential chain. Retries
//! are the SDK's standard mode (exponential backoff with jitter), which retries IAM's
//! `Throttling` errors, HTTP 500/502/503/504 and I/O errors such as dropped connections.
//! Credentials are never printed: errors show the service's error code and message only.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use clap::Args as ClapArgs;
use leastpriv_core::policy::{Params, Policy};

use crate::error::CliError;

/// How to reach IAM: shared by `audit` and `apply`.
#[derive(Debug, Clone, ClapArgs)]
pub struct Connection {
    /// Send every request to this endpoint instead of AWS's (e.g. a local IAM emulator).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// The region (for `${AWS::Region}` and the STS endpoint). Default: the profile's or the
    /// environment's.
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// The named profile of the shared AWS config and credentials files.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Attempts per request, including the first (throttling, 5xx and dropped connections are
    /// retried with exponential backoff).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    max_attempts: u32,
    /// The first retry's backoff in milliseconds (doubles each attempt, with jitter).
    #[arg(long, value_name = "MS", default_value_t = 1000, hide = true)]
    retry_backoff_ms: u64,
}

/// The clients and the caller's pseudo parameters.
pub(crate) struct Aws {
    /// The IAM client.
    pub(crate) iam: aws_sdk_iam::Client,
    /// `AWS::Partition`, `AWS::Region`, `AWS::AccountId`, `AWS::URLSuffix`.
    pub(crate) pseudo: Params,
}

/// A current-thread runtime for the SDK's futures.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::input(format!("cannot start the async runtime: {err}")))
}

impl Connection {
    async fn config(&self) -> SdkConfig {
        let retry = RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(Duration::from_millis(self.retry_backoff_ms));
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(Duration::from_secs(30))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        loader.load().await
    }

    /// Loads the configuration, asks STS who the caller is, and builds the IAM client.
    pub(crate) async fn connect(&self) -> Result<Aws, CliError> {
        let config = self.config().await;
        let Some(region) = config.region().map(|r| r.to_string()) else {
            return Err(CliError::input("no AWS region configured")
                .with_help("pass --region, or set AWS_REGION or the profile's region"));
        };
        let sts = aws_sdk_sts::Client::new(&config);
        let identity = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|err| sdk_error("sts:GetCallerIdentity", "", err))?;
        let account = identity.account().unwrap_or_default().to_owned();
        // The partition is the caller ARN's second field (`arn:aws-cn:iam::…`).
        let partition = identity
            .arn()
            .and_then(|arn| arn.split(':').nth(1))
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
            .to_owned();
        let suffix = if partition == "aws-cn" { "amazonaws.com.cn" } else { "amazonaws.com" };
        let pseudo = Params::new()
            .with("AWS::Partition", partition)
            .with("AWS::Region", region)
            .with("AWS::AccountId", account)
            .with("AWS::URLSuffix", suffix);
        Ok(Aws { iam: aws_sdk_iam::Client::new(&config), pseudo })
    }
}

/// An SDK error as an input/usage error (exit 2): the operation, the subject, IAM's error code
/// and message. Never the request itself (it carries the signature).
pub(crate) fn sdk_error<E>(
    operation: &str,
    subject: &str,
    err: SdkError<E, HttpResponse>,
) -> CliError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let on = if subject.is_empty() { String::new() } else { format!(" ({subject})") };
    let detail = match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            match (e.code(), e.message()) {
                (Some(code), message) => format!("{code}: {}", message.unwrap_or("no message")),
                // No IAM error document (an emulator that lacks the operation, a proxy's page).
                (None, _) => {
                    let raw = service.raw();
                    let body = raw.body().bytes().map(String::from_utf8_lossy).unwrap_or_default();
                    let body: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
                    let body: String = body.chars().take(200).collect();
                    format!("HTTP {} without an IAM error: {body}", raw.status().as_u16())
                }
            }
        }
        other => chain(other),
    };
    let error = CliError::input(format!("{operation}{on} failed: {detail}"));
    match err.code() {
        Some("AccessDenied" | "AccessDeniedException") => error.with_help(
            "the caller lacks this permission; README \"IAM permissions of the CLI\" lists them",
        ),
        Some("InvalidClientTokenId" | "ExpiredToken" | "SignatureDoesNotMatch") => {
            error.with_help("check the credentials (profile, environment, SSO login)")
        }
        _ => error,
    }
}

/// An error and its sources' messages, `: `-separated (without their Debug forms, which would
/// show raw responses).
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        let part = next.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = next.source();
    }
    text
}

/// Decodes `%XX` escapes: IAM returns policy documents URL-encoded (RFC 3986, so `+` stays).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                // Two hex digits make one byte (< 256).
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a policy document as IAM returns it: URL-encoded JSON (plain JSON is accepted too).
pub(crate) fn parse_document(what: &str, document: &str) -> Result<Policy, CliError> {
    let parsed = match Policy::from_json_str(document) {
        Ok(policy) => Ok(policy),
        Err(_) => Policy::from_json_str(&percent_decode(document)),
    };
    parsed.map_err(|err| CliError::input(format!("{what}: the document IAM returned: {err}")))
}

/// A customer or AWS managed policy attached to a role, with its default version's document.
#[derive(Debug, Clone)]
pub(crate) struct Attached {
    /// The policy ARN.
    pub(crate) arn: String,
    /// Its default version's document.
    pub(crate) policy: Policy,
}

/// A role as deployed.
#[derive(Debug, Clone)]
pub(crate) struct Deployed {
    /// The role name.
    pub(crate) name: String,
    /// The role ARN.
    pub(crate) arn: String,
    /// The IAM path.
    pub(crate) path: String,
    /// The trust policy.
    pub(crate) trust: Policy,
    /// Inline policies by name.
    pub(crate) inline: BTreeMap<String, Policy>,
    /// Attached managed policies with their documents (read only with `documents`).
    pub(crate) attached: Vec<Attached>,
    /// The permissions boundary's ARN and (with `documents`) its document.
    pub(crate) boundary: Option<(String, Option<Policy>)>,
    /// Tags.
    pub(crate) tags: BTreeMap<String, String>,
}

/// Reads a role: `None` when it does not exist. With `documents`, also the documents of its
/// attached managed policies and boundary (default versions).
pub(crate) async fn read_role(
    iam: &aws_sdk_iam::Client,
    name: &str,
    documents: bool,
) -> Result<Option<Deployed>, CliError> {
    let role = match iam.get_role().role_name(name).send().await {
        Ok(out) => out.role,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_entity_exception()) => {
            return Ok(None);
        }
        Err(err) => return Err(sdk_error("iam:GetRole", name, err)),
    };
    let Some(role) = role else { return Ok(None) };
    let trust_text = role.assume_role_policy_document().unwrap_or_default();
    let trust = parse_document(&format!("role {name}: trust policy"), trust_text)?;
    let mut inline = BTreeMap::new();
    let mut names = iam.list_role_policies().role_name(name).into_paginator().items().send();
    while let Some(policy_name) = names.next().await {
        let policy_name = policy_name.map_err(|e| sdk_error("iam:ListRolePolicies", name, e))?;
        let out = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy_name)
            .send()
            .await
            .map_err(|e| sdk_error("iam:GetRolePolicy", name, e))?;
        let what = format!("role {name}: inline policy {policy_name}");
        inline.insert(policy_name, parse_document(&what, out.policy_document())?);
    }
    let mut attached_arns = Vec::new();
    let mut list =
        iam.list_attached_role_policies().role_name(name).into_paginator().items().send();
    while let Some(item) = list.next().await {
        let item = item.map_err(|e| sdk_error("iam:ListAttachedRolePolicies", name, e))?;
        attached_arns.extend(item.policy_arn().map(str::to_owned));
    }
    let mut tags = BTreeMap::new();
    let mut list = iam.list_role_tags().role_name(name).into_paginator().items().send();
    while let Some(tag) = list.next().await {
        let tag = tag.map_err(|e| sdk_error("iam:ListRoleTags", name, e))?;
        tags.insert(tag.key().to_owned(), tag.value().to_owned());
    }
    let boundary_arn =
        role.permissions_boundary().and_then(|b| b.permissions_boundary_arn()).map(str::to_owned);
    let mut attached = Vec::new();
    let mut boundary = boundary_arn.map(|arn| (arn, None));
    if documents {
        for arn in &attached_arns {
            attached.push(Attached { arn: arn.clone(), policy: managed_document(iam, arn).await? });
        }
        if let Some((arn, doc)) = &mut boundary {
            *doc = Some(managed_document(iam, arn).await?);
        }
    }
    Ok(Some(Deployed {
        name: role.role_name().to_owned(),
        arn: role.arn().to_owned(),
        path: role.path().to_owned(),
        trust,
        inline,
        attached,
        boundary,
        tags,
    }))
}

/// The default version's document of a managed policy.
async fn managed_document(iam: &aws_sdk_iam::Client, arn: &str) -> Result<Policy, CliError> {
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_error("iam:GetPolicy", arn, e))?;
    let version = policy.policy().and_then(|p| p.default_version_id()).unwrap_or("v1");
    let out = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| sdk_error("iam:GetPolicyVersion", arn, e))?;
    let document = out.policy_version().and_then(|v| v.document()).unwrap_or_default();
    parse_document(&format!("managed policy {arn} ({version})"), document)
}

/// Every role name of the account (paginated), optionally under a path prefix.
pub(crate) async fn role_names(iam: &aws_sdk_iam::Client) -> Result<Vec<String>, CliError> {
    let mut names = Vec::new();
    let mut roles = iam.list_roles().into_paginator().items().send();
    while let Some(role) = roles.next().await {
        let role = role.map_err(|e| sdk_error("iam:ListRoles", "", e))?;
        names.push(role.role_name().to_owned());
    }
    Ok(names)
}

/// A role's tags (paginated).
pub(crate) async fn role_tags(
    iam: &aws_sdk_iam::Client,
    name: &str,
) -> Result<BTreeMap<String, String>, CliError> {
    let mut tags = BTreeMap::new();
    let mut list = iam.list_role_tags().role_name(name).into_paginator().items().send();
    while let Some(tag) = list.next().await {
        let tag = tag.map_err(|e| sdk_error("iam:ListRoleTags", name, e))?;
        tags.insert(tag.key().to_owned(), tag.value().to_owned());
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_url_encoded_documents() {
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("role/a+b"), "role/a+b");
    }
}
