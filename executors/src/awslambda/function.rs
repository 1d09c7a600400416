//! An existing function as orbital sees it: whether orbital created it (and so may replace its
//! code), whether its memory and timeout are the configured ones, and the role a created
//! function runs as.

use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
use aws_sdk_lambda::types::{FunctionConfiguration, PackageType};

use super::config::AwsLambdaExecutor;
use super::state::Clients;
use crate::aws::sdk::role_in_account;

/// The tag orbital puts on each function it creates, and its value.
pub(super) const TAG: (&str, &str) = ("orbital", "task-runner");

/// How the description of a function orbital created begins (functions created before the
/// tag carry only this).
pub(super) const DESCRIPTION: &str = "orbital task runner";

/// `Ok` when orbital created the function `name` (its tag, or its description), so that its
/// code may be replaced; otherwise an error that names the function, says what it is, and how
/// to choose another name.
pub(super) fn check_ours(name: &str, f: &GetFunctionOutput) -> Result<(), String> {
    let tagged = f
        .tags()
        .and_then(|t| t.get(TAG.0))
        .is_some_and(|v| v == TAG.1);
    let c = f.configuration();
    let described = c
        .and_then(|c| c.description())
        .is_some_and(|d| d.starts_with(DESCRIPTION));
    if tagged || described {
        return Ok(());
    }
    let what = match c {
        Some(c) if c.package_type() == Some(&PackageType::Image) => {
            "a container-image function".to_owned()
        }
        Some(c) => format!(
            "a function of runtime {} with handler {}",
            c.runtime().map(|r| r.as_str()).unwrap_or("(none)"),
            c.handler().unwrap_or("(none)")
        ),
        None => "a function".to_owned(),
    };
    Err(format!(
        "the function {name} exists and orbital did not create it ({what}); orbital never replaces a \
         function it did not create: set `function_name` to a name of its own (a new function is \
         created), or remove `function_name` to use orbital-<program>-<build>"
    ))
}

impl AwsLambdaExecutor {
    /// Whether the function's memory or timeout differ from `memory_size` and `timeout`.
    pub(super) fn settings_differ(&self, c: Option<&FunctionConfiguration>) -> bool {
        c.is_some_and(|c| {
            c.memory_size() != Some(self.memory_size as i32)
                || c.timeout() != Some(self.timeout as i32)
        })
    }

    /// The ARN a created function runs as: `execution_role`, or `lambda_role_name` in the
    /// partition and account of the credentials (what Covalent does with it).
    pub(super) fn role_arn(&self, clients: &Clients, name: &str) -> Result<String, String> {
        if let Some(role) = &self.execution_role {
            if !role.starts_with("arn:") {
                return Err(format!(
                    "`execution_role = \"{role}\"` is not an ARN: set it to arn:aws:iam::<account>:role/{role}, \
                     or set `lambda_role_name = \"{role}\"` instead"
                ));
            }
            return Ok(role.clone());
        }
        let Some(role) = &self.lambda_role_name else {
            return Err(format!(
                "the function {name} does not exist, and creating it needs a role: set `execution_role` to the ARN \
                 of a role Lambda may assume, or `lambda_role_name` to its name (README: the Lambda section \
                 lists its policy)"
            ));
        };
        let caller = clients.caller_arn.as_deref().ok_or_else(|| {
            format!(
                "`lambda_role_name = \"{role}\"` needs the account of the credentials, and STS \
                 GetCallerIdentity did not answer: set `execution_role` to the role's ARN instead"
            )
        })?;
        role_in_account(caller, role).ok_or_else(|| {
            format!(
                "cannot read a partition and an account from the caller ARN {caller}: set `execution_role` \
                 to the ARN of the role `{role}`"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_name_is_resolved_in_the_callers_partition_and_account() {
        assert_eq!(
            role_in_account("arn:aws:iam::123456789012:user/me", "R").as_deref(),
            Some("arn:aws:iam::123456789012:role/R")
        );
        assert_eq!(
            role_in_account(
                "arn:aws-cn:sts::210987654321:assumed-role/Admin/session",
                "R"
            )
            .as_deref(),
            Some("arn:aws-cn:iam::210987654321:role/R")
        );
        assert_eq!(role_in_account("not-an-arn", "R"), None);
    }

    #[test]
    fn a_function_orbital_did_not_create_is_named_with_what_it_is() {
        let foreign = GetFunctionOutput::builder()
            .configuration(
                FunctionConfiguration::builder()
                    .package_type(PackageType::Image)
                    .description("covalent executor")
                    .build(),
            )
            .build();
        let e = check_ours("my-lambda-function", &foreign).unwrap_err();
        assert!(e.contains("my-lambda-function"), "{e}");
        assert!(e.contains("container-image"), "{e}");
        assert!(e.contains("`function_name`"), "{e}");
        let ours = GetFunctionOutput::builder()
            .tags(TAG.0, TAG.1)
            .configuration(FunctionConfiguration::builder().build())
            .build();
        assert!(check_ours("f", &ours).is_ok());
        let older = GetFunctionOutput::builder()
            .configuration(
                FunctionConfiguration::builder()
                    .description(format!("{DESCRIPTION}, build abc"))
                    .build(),
            )
            .build();
        assert!(check_ours("f", &older).is_ok());
    }
}
