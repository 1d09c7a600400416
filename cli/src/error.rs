//! The CLI's errors: each names the thing it is about and what to do.

use std::fmt;
use std::io;
use std::process::ExitCode;

/// What a command returns: its exit code, or why it failed.
pub type Result<T = ExitCode> = std::result::Result<T, CliError>;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// A message of our own, naming the thing and the fix.
    Message(String),
    /// An error from orbital (they name the store, the dispatch, the file).
    Orbital(orbital_core::Error),
    /// Writing to the terminal or reading from it failed.
    Io(io::Error),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Message(m) => f.write_str(m),
            CliError::Orbital(e) => write!(f, "{e}"),
            CliError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CliError::Message(_) => None,
            CliError::Orbital(e) => Some(e),
            CliError::Io(e) => Some(e),
        }
    }
}

impl From<orbital_core::Error> for CliError {
    fn from(e: orbital_core::Error) -> Self {
        CliError::Orbital(e)
    }
}

impl From<orbital_core::store::StoreError> for CliError {
    fn from(e: orbital_core::store::StoreError) -> Self {
        CliError::Orbital(e.into())
    }
}

impl From<orbital_core::ConfigError> for CliError {
    fn from(e: orbital_core::ConfigError) -> Self {
        CliError::Orbital(e.into())
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        CliError::Io(e)
    }
}

/// A [`CliError::Message`].
pub fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(CliError::Message(message.into()))
}

/// The process's exit code for a command's result; errors go to stderr. A closed pipe
/// (`orbital list | head`) is not an error.
pub fn exit(result: Result) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(CliError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
