//! A submitted task's handle: its Slurm element id and its batch directory, and the files the
//! element leaves there.

use orbital_core::JobHandle;

/// A submitted task: `1234_7 /dir` (array element 7) or `1234 /dir` (a single job).
pub(super) struct Handle<'a> {
    pub(super) element: &'a str,
    pub(super) dir: &'a str,
}

impl<'a> Handle<'a> {
    pub(super) fn parse(job: &'a JobHandle) -> Handle<'a> {
        let (element, dir) = job.0.split_once(' ').unwrap_or((job.0.as_str(), ""));
        Handle { element, dir }
    }
    pub(super) fn base(&self) -> &'a str {
        self.element.split('_').next().unwrap_or(self.element)
    }
    pub(super) fn index(&self) -> &'a str {
        self.element.split_once('_').map_or("0", |(_, i)| i)
    }
    pub(super) fn file(&self, name: &str) -> String {
        format!("{}/{name}.{}", self.dir, self.index())
    }

    /// The files an ended element left: its outcome (whole), its log and captures (their last
    /// `capture_limit` bytes).
    pub(super) fn files(&self, capture_limit: u64) -> [(String, Option<u64>); 4] {
        let cap = format!("{}/cap.{}", self.dir, self.index());
        let limit = Some(capture_limit);
        [
            (self.file("out"), None),
            (self.file("log"), limit),
            (format!("{cap}/stdout"), limit),
            (format!("{cap}/stderr"), limit),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_name_the_element_and_its_files() {
        let job = JobHandle("1234_7 /w/d/b".into());
        let h = Handle::parse(&job);
        assert_eq!(
            (h.base(), h.index(), h.file("out")),
            ("1234", "7", "/w/d/b/out.7".into())
        );
        let single = JobHandle("99 /w/x".into());
        let h = Handle::parse(&single);
        assert_eq!((h.base(), h.file("log")), ("99", "/w/x/log.0".into()));
    }
}
