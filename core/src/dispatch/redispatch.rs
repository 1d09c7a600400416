//! Redispatch (Covalent's `ct.redispatch`): a new dispatch of an earlier one's lattice, with
//! its inputs or new ones, that takes the output of every node whose electron, code and
//! arguments are unchanged instead of running it again.

use super::handle::Dispatch;
use super::result::Untyped;
use super::run;
use super::runtime::Runtime;
use crate::error::Error;
use crate::graph::registry::Registry;
use crate::graph::workflow::Workflow;
use crate::store::StoredDispatch;

/// How to redispatch: with the earlier inputs or new ones, reusing unchanged work or not.
///
/// ```
/// use orbital_core::Redispatch;
/// let same = Redispatch::same_inputs();
/// assert!(same.reuses());
/// assert!(!Redispatch::same_inputs().reuse(false).reuses());
/// ```
#[derive(Debug)]
pub struct Redispatch<T = Untyped> {
    workflow: Option<Workflow<T>>,
    reuse: bool,
}

impl Redispatch<Untyped> {
    /// The earlier dispatch's own inputs, reusing unchanged work.
    pub fn same_inputs() -> Self {
        Redispatch {
            workflow: None,
            reuse: true,
        }
    }
}

impl<T> Redispatch<T> {
    /// New inputs: `my_lattice::build(..)` of the same lattice, reusing unchanged work.
    pub fn with_inputs(workflow: Workflow<T>) -> Self {
        Redispatch {
            workflow: Some(workflow),
            reuse: true,
        }
    }

    /// Whether a node whose electron, code and arguments are unchanged takes its earlier output
    /// instead of running (on by default; Covalent's `reuse_previous_results`).
    pub fn reuse(mut self, on: bool) -> Self {
        self.reuse = on;
        self
    }

    /// Whether unchanged work is reused.
    pub fn reuses(&self) -> bool {
        self.reuse
    }
}

impl Runtime {
    /// Dispatches dispatch `id`'s lattice again, in this process. With reuse on (the default),
    /// an electron node whose electron has the same code hash and gets the same argument values
    /// as a node that completed in `id` is not run: it takes that output, and its
    /// [`NodeResult::reused_from`](crate::NodeResult::reused_from) names where it came from.
    /// So after an edit of one electron's body, only its nodes and what depends on them run.
    ///
    /// ```no_run
    /// # async fn f(rt: orbital_core::Runtime) -> orbital_core::Result<()> {
    /// use orbital_core::Redispatch;
    /// let again = rt.redispatch("0192f0c2-...", Redispatch::same_inputs()).await?;
    /// let result = again.wait().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownDispatch`]; [`Error::Redispatch`] when this program holds no lattice of
    /// that name (it names the program that does) or the new inputs are another lattice's.
    pub async fn redispatch<T>(&self, id: &str, how: Redispatch<T>) -> Result<Dispatch<T>, Error> {
        let (workflow, reuse_of) = self.redispatch_plan(id, how)?;
        let new_id = uuid::Uuid::now_v7().to_string();
        let begin = run::Begin {
            resume: None,
            reuse_of,
        };
        run::start(self.inner.clone(), new_id, workflow, begin)
    }

    /// [`Runtime::redispatch`] to a detached driver ([`Runtime::submit`]); returns the new id.
    ///
    /// # Errors
    /// Those of [`Runtime::redispatch`] and [`Runtime::submit`].
    pub async fn submit_redispatch<T>(
        &self,
        id: &str,
        how: Redispatch<T>,
    ) -> Result<String, Error> {
        let (workflow, reuse_of) = self.redispatch_plan(id, how)?;
        let new_id = uuid::Uuid::now_v7().to_string();
        self.submit_as(new_id, workflow, reuse_of).await
    }

    /// The workflow to run and the dispatch to reuse.
    fn redispatch_plan<T>(
        &self,
        id: &str,
        how: Redispatch<T>,
    ) -> Result<(Workflow<T>, Option<String>), Error> {
        let registry = Registry::get()?;
        let stored = self.load(id)?;
        let refuse = |message: String| Error::Redispatch {
            id: id.to_owned(),
            message,
        };
        let lattice = &stored.summary.lattice;
        let workflow = match how.workflow {
            Some(wf) if wf.lattice.name != lattice => {
                return Err(refuse(format!(
                "the new inputs are for lattice `{}`, but dispatch {id} ran lattice `{lattice}`; \
                     build `{lattice}` with the new inputs",
                wf.lattice.name
            )))
            }
            Some(wf) => wf,
            None => {
                let def = registry
                    .lattice(lattice)
                    .ok_or_else(|| refuse(not_held(&stored)))?;
                let inputs: Vec<bytes::Bytes> = crate::codec::decode(&stored.inputs)?;
                Workflow::rebuild(def, inputs).map_err(refuse)?
            }
        };
        if !workflow.errors.is_empty() {
            return Err(Error::Build {
                lattice: workflow.lattice.name.to_owned(),
                errors: workflow.errors,
            });
        }
        Ok((workflow, how.reuse.then(|| stored.summary.id.clone())))
    }
}

/// The refusal of a program that does not hold the dispatch's lattice.
fn not_held(stored: &StoredDispatch) -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "this program".into());
    format!(
        "{exe} holds no lattice `{}`; the program that dispatched it is {} (`orbital redispatch {}` runs it)",
        stored.summary.lattice,
        stored.program.as_deref().unwrap_or("not recorded"),
        stored.summary.id
    )
}
