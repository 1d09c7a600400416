//! A task's job handle: `<element> <prefix> <index>`, the job (or array child) it was first
//! submitted as, its submission's S3 prefix, and its index there (its outcome is
//! `<prefix>/out.<index>`). A handle stays the same when the task is submitted again.

use orbital_core::JobHandle;

/// A parsed handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Handle {
    pub(super) element: String,
    pub(super) prefix: String,
    pub(super) index: usize,
}

impl Handle {
    pub(super) fn new(element: &str, prefix: &str, index: usize) -> Handle {
        Handle {
            element: element.to_owned(),
            prefix: prefix.to_owned(),
            index,
        }
    }

    /// Reads a handle this executor made.
    pub(super) fn parse(job: &JobHandle) -> Result<Handle, String> {
        let mut parts = job.0.split(' ');
        match (
            parts.next(),
            parts.next(),
            parts.next().and_then(|i| i.parse().ok()),
            parts.next(),
        ) {
            (Some(e), Some(p), Some(i), None) if !e.is_empty() && !p.is_empty() => {
                Ok(Handle::new(e, p, i))
            }
            _ => Err(format!("`{}` is not an awsbatch job handle", job.0)),
        }
    }

    /// Where its outcome goes.
    pub(super) fn outcome_key(&self) -> String {
        format!("{}/out.{}", self.prefix, self.index)
    }
}

impl From<Handle> for JobHandle {
    fn from(h: Handle) -> JobHandle {
        JobHandle(format!("{} {} {}", h.element, h.prefix, h.index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_read_back() {
        let h = Handle::new("abc:3", "orbital/d/1-1-9", 3);
        let j: JobHandle = h.clone().into();
        assert_eq!(Handle::parse(&j).unwrap(), h);
        assert_eq!(h.outcome_key(), "orbital/d/1-1-9/out.3");
        assert!(Handle::parse(&JobHandle("x".into())).is_err());
    }
}
