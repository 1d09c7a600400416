//! Checking the AWS credentials at setup: that they resolve, and that AWS accepts them (STS),
//! with errors that name where they came from and never the secret.

use super::access::Access;

/// Where the credentials come from, as the configuration says (for errors).
fn credentials_source(cfg: &Access<'_>) -> String {
    match (cfg.profile, cfg.credentials_file) {
        (Some(p), Some(f)) => format!("profile `{p}` of credentials_file {f}"),
        (Some(p), None) => format!("profile `{p}`"),
        (None, Some(f)) => format!("credentials_file {f}"),
        (None, None) => "the AWS chain (environment, ~/.aws/credentials, instance role)".to_owned(),
    }
}

/// Error codes with which AWS refuses the credentials themselves (an unknown key, a wrong
/// secret, an expired session), as STS and the other services say it.
const REFUSED_CREDENTIALS: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidToken",
];

/// Asks STS who the credentials are (`GetCallerIdentity` needs no permission), so that keys
/// AWS refuses are named at setup rather than as the first call's 403. Other failures (an
/// endpoint without STS, say) are left to the calls that follow.
///
/// Returns the caller's ARN when STS answered (its partition and account resolve
/// `lambda_role_name`).
pub(crate) async fn check_accepted(
    conf: &aws_config::SdkConfig,
    cfg: &Access<'_>,
) -> Result<Option<String>, String> {
    use aws_sdk_sts::error::ProvideErrorMetadata;
    let sts = aws_sdk_sts::Client::new(conf);
    match sts.get_caller_identity().send().await {
        Ok(who) => {
            tracing::debug!(
                arn = who.arn().unwrap_or_default(),
                "AWS credentials accepted"
            );
            Ok(who.arn().map(str::to_owned))
        }
        Err(e) => {
            let parsed = e.as_service_error().and_then(|s| {
                s.code()
                    .map(|c| (c.to_owned(), s.message().unwrap_or("refused").to_owned()))
            });
            // Some endpoints wrap the error in `<Errors>`, which the SDK does not parse: read
            // the code from a 403's body.
            let Some((code, message)) = parsed
                .filter(|(c, _)| REFUSED_CREDENTIALS.contains(&c.as_str()))
                .or_else(|| refused_in_body(e.raw_response()?))
            else {
                tracing::debug!(error = %crate::ship::shell::chain(&e), "cannot ask STS about the credentials");
                return Ok(None);
            };
            let message = message.trim_end_matches('.');
            let key = key_hint(conf).await;
            Err(format!(
                "AWS refused the credentials from {} ({key}): {code}: {message}; put valid keys in that \
                 profile (`aws configure{}`), refresh an expired session (`aws sso login`), or name \
                 another `profile`",
                credentials_source(cfg),
                cfg.profile.map(|p| format!(" --profile {p}")).unwrap_or_default(),
            ))
        }
    }
}

/// The refusal code and message in the body of a 403, if it holds one of
/// [`REFUSED_CREDENTIALS`].
fn refused_in_body(r: &aws_sdk_sts::config::http::HttpResponse) -> Option<(String, String)> {
    if r.status().as_u16() != 403 {
        return None;
    }
    let body = String::from_utf8_lossy(r.body().bytes()?);
    let code = REFUSED_CREDENTIALS
        .iter()
        .find(|c| body.contains(&format!("<Code>{c}</Code>")))?;
    let message = body
        .split_once("<Message>")
        .and_then(|(_, rest)| rest.split_once("</Message>"))
        .map_or("refused", |(m, _)| m);
    Some(((*code).to_owned(), message.to_owned()))
}

/// The end of the access key id, as the console shows it (never the secret).
async fn key_hint(conf: &aws_config::SdkConfig) -> String {
    use aws_credential_types::provider::ProvideCredentials;
    let Some(p) = conf.credentials_provider() else {
        return "no access key".to_owned();
    };
    match p.provide_credentials().await {
        Ok(c) => {
            let id = c.access_key_id();
            let from = id.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
            format!("access key ending `{}`", &id[from..])
        }
        Err(_) => "no access key".to_owned(),
    }
}

/// Resolves the credentials once, so that a missing or broken profile is named at setup.
pub(crate) async fn check_credentials(
    conf: &aws_config::SdkConfig,
    cfg: &Access<'_>,
) -> Result<(), String> {
    use aws_credential_types::provider::ProvideCredentials;
    let Some(provider) = conf.credentials_provider() else {
        return Err("no AWS credentials provider is configured".to_owned());
    };
    provider.provide_credentials().await.map(drop).map_err(|e| {
        let source = credentials_source(cfg);
        format!(
            "no usable AWS credentials from {source}: {}; set `profile` / `credentials_file`, or \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            crate::ship::shell::chain(&e)
        )
    })
}
