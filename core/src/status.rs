//! The statuses of dispatches and nodes, as stored and shown.

use serde::{Deserialize, Serialize};

/// The status of a dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DispatchStatus {
    /// Stored, not started.
    New,
    /// Nodes are running or waiting.
    Running,
    /// Every node completed; the output is known.
    Completed,
    /// At least one node failed (what did not depend on it still ran).
    Failed,
    /// Cancelled, as a whole or node by node.
    Cancelled,
}

/// The status of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeStatus {
    /// Waiting for its inputs.
    New,
    /// Running (or waiting to retry).
    Running,
    /// Ran and produced its output.
    Completed,
    /// Failed after its last attempt; its error says why.
    Failed,
    /// Cancelled, or not run because an input was cancelled.
    Cancelled,
    /// Not run because an input failed; its error names that input.
    UpstreamFailed,
}

macro_rules! str_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            /// The stored and displayed name.
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($s => Ok(<$t>::$v),)+ other => Err(format!("unknown status `{other}`")) }
            }
        }
    };
}

str_enum!(DispatchStatus { New => "NEW", Running => "RUNNING", Completed => "COMPLETED", Failed => "FAILED", Cancelled => "CANCELLED" });
str_enum!(NodeStatus { New => "NEW", Running => "RUNNING", Completed => "COMPLETED", Failed => "FAILED", Cancelled => "CANCELLED", UpstreamFailed => "UPSTREAM_FAILED" });

impl DispatchStatus {
    /// Whether the dispatch has ended.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DispatchStatus::Completed | DispatchStatus::Failed | DispatchStatus::Cancelled
        )
    }
}

impl NodeStatus {
    /// Whether the node has ended.
    pub fn is_final(self) -> bool {
        !matches!(self, NodeStatus::New | NodeStatus::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_stored_names() {
        use DispatchStatus as D;
        use NodeStatus as N;
        for s in [D::New, D::Running, D::Completed, D::Failed, D::Cancelled] {
            assert_eq!(s.as_str().parse::<D>(), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in [
            N::New,
            N::Running,
            N::Completed,
            N::Failed,
            N::Cancelled,
            N::UpstreamFailed,
        ] {
            assert_eq!(s.as_str().parse::<N>(), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(N::UpstreamFailed.to_string(), "UPSTREAM_FAILED");
        assert!("DONE".parse::<N>().is_err());
    }

    #[test]
    fn only_ended_statuses_are_final() {
        assert!(!DispatchStatus::New.is_final());
        assert!(!DispatchStatus::Running.is_final());
        assert!(DispatchStatus::Cancelled.is_final());
        assert!(!NodeStatus::Running.is_final());
        assert!(NodeStatus::UpstreamFailed.is_final());
    }
}
