//! The handle on a running dispatch: wait for its result, watch its progress, cancel it.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

use super::progress::Progress;
use super::result::{DispatchResult, Untyped};
use crate::error::Error;
use crate::graph::NodeId;

/// A request to a running dispatch.
#[derive(Debug)]
pub(crate) enum Control {
    Cancel,
    CancelNodes(Vec<NodeId>),
}

/// A running (or ended) dispatch: wait for it, watch it, cancel it. `T` is its output type.
pub struct Dispatch<T> {
    id: Arc<str>,
    control: mpsc::UnboundedSender<Control>,
    progress: watch::Receiver<Progress>,
    done: oneshot::Receiver<Result<DispatchResult<Untyped>, Error>>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Dispatch<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatch")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<T> Dispatch<T> {
    /// The handle on a dispatch whose run reports to these channels.
    pub(crate) fn new(
        id: Arc<str>,
        control: mpsc::UnboundedSender<Control>,
        progress: watch::Receiver<Progress>,
        done: oneshot::Receiver<Result<DispatchResult<Untyped>, Error>>,
    ) -> Self {
        Dispatch {
            id,
            control,
            progress,
            done,
            _t: std::marker::PhantomData,
        }
    }

    /// The dispatch id (its key in the results store).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The counts of the dispatch now.
    pub fn progress(&self) -> Progress {
        *self.progress.borrow()
    }

    /// A receiver that changes whenever the counts change.
    pub fn watch(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// Cancels the whole dispatch: running nodes are stopped, the others never run.
    pub fn cancel(&self) {
        let _ = self.control.send(Control::Cancel);
    }

    /// Cancels chosen nodes (and, so, what depends on them); the rest goes on.
    pub fn cancel_nodes(&self, nodes: impl IntoIterator<Item = NodeId>) {
        let _ = self
            .control
            .send(Control::CancelNodes(nodes.into_iter().collect()));
    }

    /// Waits for the dispatch to end, with every state recorded in the store.
    ///
    /// # Errors
    /// When the store could not record the end (the result is then lost to other processes,
    /// and the error says where the store is).
    pub async fn wait(self) -> Result<DispatchResult<T>, Error> {
        // A progress line on stderr while we wait, in a terminal only (see `progress`).
        let _progress = crate::dispatch::progress::spawn_display(self.progress.clone(), &self.id);
        match self.done.await {
            Ok(r) => r.map(DispatchResult::typed),
            Err(_) => Err(Error::Lost {
                id: self.id.to_string(),
            }),
        }
    }
}
