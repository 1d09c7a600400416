//! The keys of an AWS executor's table that say how to reach AWS (`profile`,
//! `credentials_file`, `region`, `endpoint_url`), as the SDK configuration and the credential
//! checks read them.

/// The keys of an AWS executor's table that say how to reach AWS.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Access<'a> {
    /// `profile`: the profile to use (default: the AWS chain's).
    pub profile: Option<&'a str>,
    /// `credentials_file` (Covalent's `credentials`): a credentials file to read instead of
    /// `~/.aws/credentials`.
    pub credentials_file: Option<&'a str>,
    /// `region` (default: the AWS chain's).
    pub region: Option<&'a str>,
    /// `endpoint_url`: one endpoint for every service (an emulator).
    pub endpoint_url: Option<&'a str>,
}
