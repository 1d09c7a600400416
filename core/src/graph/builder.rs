//! The graph builder a lattice body runs inside.
//!
//! While a `#[lattice]` body runs, a builder is installed on the thread; each electron call in
//! the body records a node in it and returns a [`Node`](crate::Node) handle. Builders nest: a
//! sub-lattice expanded at run time gets its own, and the previous one is restored after.

use std::cell::RefCell;

use smallvec::SmallVec;

use super::registry::LatticeDef;
use super::{Arg, Graph, NodeId, NodeSpec, Op};
use crate::executor::{ExecutorChoice, ExecutorSel};
use crate::task::{Args, ElectronDef, TaskError};

struct Builder {
    graph: Graph,
    default: ExecutorSel,
    errors: Vec<String>,
}

thread_local! {
    static CURRENT: RefCell<Option<Builder>> = const { RefCell::new(None) };
}

/// What a lattice body built.
#[derive(Debug)]
pub struct Built<R> {
    /// The recorded nodes.
    pub graph: Graph,
    /// The body's value.
    pub value: R,
    /// Problems met while recording (a constant that could not be encoded...).
    pub errors: Vec<String>,
}

/// Runs `body` with a fresh builder whose electrons default to `default`.
///
/// ```
/// use orbital_core::{builder, ExecutorSel};
/// let built = builder::build(ExecutorSel::local(), || 42);
/// assert!(built.graph.is_empty());
/// assert_eq!(built.value, 42);
/// ```
pub fn build<R>(default: ExecutorSel, body: impl FnOnce() -> R) -> Built<R> {
    let fresh = Builder {
        graph: Graph::default(),
        default,
        errors: Vec::new(),
    };
    let previous = CURRENT.with(|c| c.borrow_mut().replace(fresh));
    struct Restore(Option<Option<Builder>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(prev) = self.0.take() {
                CURRENT.with(|c| *c.borrow_mut() = prev);
            }
        }
    }
    let mut restore = Restore(Some(previous));
    let value = body();
    let mine = CURRENT
        .with(|c| c.borrow_mut().take())
        .expect("the builder installed above");
    if let Some(prev) = restore.0.take() {
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
    Built {
        graph: mine.graph,
        value,
        errors: mine.errors,
    }
}

fn with<R>(what: &str, f: impl FnOnce(&mut Builder) -> R) -> R {
    CURRENT.with(|c| match c.borrow_mut().as_mut() {
        Some(b) => f(b),
        None => panic!(
            "{what} was used outside a #[lattice] body: inside a lattice an electron call records a \
             node; to run the function itself, call `<electron>::call(..)`"
        ),
    })
}

/// Records a node in the current builder and returns its id.
///
/// # Panics
/// When no lattice body is being built on this thread (an electron called from plain code:
/// call `name::call(..)` to run the function itself).
pub fn record(spec: NodeSpec) -> NodeId {
    let what = format!("electron or lattice `{}`", spec.name);
    with(&what, |b| {
        let id = NodeId(b.graph.nodes.len() as u32);
        b.graph.nodes.push(spec);
        id
    })
}

/// The default executor of the lattice being built.
///
/// # Panics
/// When no lattice body is being built on this thread.
pub fn default_executor(what: &str) -> ExecutorSel {
    with(what, |b| b.default.clone())
}

/// Makes node `node` wait for `dep` (ordering without data).
///
/// # Panics
/// When no lattice body is being built on this thread.
pub fn add_order(node: NodeId, dep: NodeId) {
    with("`wait_for`", |b| {
        if let Some(spec) = b.graph.nodes.get_mut(node.0 as usize) {
            if !spec.after.contains(&dep) {
                spec.after.push(dep);
            }
        }
    })
}

/// Notes a problem met while recording; the dispatch refuses to start and reports it.
pub fn error(message: String) {
    CURRENT.with(|c| {
        if let Some(b) = c.borrow_mut().as_mut() {
            b.errors.push(message);
        }
    })
}

/// The display name of node `id` in the current builder.
pub fn node_name(id: NodeId) -> Option<String> {
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .and_then(|b| b.graph.nodes.get(id.0 as usize).map(|n| n.name.clone()))
    })
}

/// Records a call of electron `def`, on `executor` unless the lattice chooses, in the current
/// lattice body.
///
/// # Panics
/// When no lattice body is being built on this thread.
pub fn electron(
    def: &'static ElectronDef,
    executor: ExecutorChoice,
    args: SmallVec<[Arg; 2]>,
) -> NodeId {
    let what = format!("electron `{}`", def.fn_name);
    let default = default_executor(&what);
    record(NodeSpec {
        op: Op::Electron(def),
        name: def.fn_name.to_owned(),
        args,
        after: Default::default(),
        executor: ExecutorSel::resolve(executor, &default),
        retries: def.retries,
        time_limit: def.time_limit,
        parent: None,
    })
}

/// Records a call of lattice `def` (a sub-lattice, built at run time) in the current lattice body.
///
/// # Panics
/// When no lattice body is being built on this thread.
pub fn lattice(def: &'static LatticeDef, args: SmallVec<[Arg; 2]>) -> NodeId {
    let what = format!("lattice `{}`", def.fn_name);
    let default = default_executor(&what);
    record(NodeSpec {
        op: Op::Lattice(def),
        name: def.fn_name.to_owned(),
        args,
        after: Default::default(),
        executor: ExecutorSel::resolve(def.executor, &default),
        retries: 0,
        time_limit: None,
        parent: None,
    })
}

/// Builds registered lattice `def` from its encoded inputs, with `default` as its electrons'
/// executor: what a sub-lattice node does when its inputs are known, and what resume does.
/// A panicking body, inputs that do not decode and recording problems are all errors here.
pub fn build_lattice(
    def: &'static LatticeDef,
    default: ExecutorSel,
    args: Args,
) -> Result<(Graph, Arg), String> {
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        build(default, || (def.build)(args))
    }))
    .map_err(|p| {
        format!(
            "building lattice `{}`: {}",
            def.name,
            TaskError::from_panic(p)
        )
    })?;
    let output = built.value.map_err(|e| e.message)?;
    if !built.errors.is_empty() {
        return Err(built.errors.join("; "));
    }
    Ok((built.graph, output))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_spec(name: &str, args: &[NodeId]) -> NodeSpec {
        fn id(b: &[u8]) -> Result<bytes::Bytes, crate::codec::CodecError> {
            Ok(bytes::Bytes::copy_from_slice(b))
        }
        NodeSpec {
            op: Op::Project {
                index: 0,
                project: id,
                ty: crate::data::TypeInfo::of::<u8>(),
            },
            name: name.to_owned(),
            args: args.iter().map(|&d| Arg::Node(d)).collect(),
            after: Default::default(),
            executor: ExecutorSel::local(),
            retries: 0,
            time_limit: None,
            parent: None,
        }
    }

    #[test]
    fn builders_nest_and_the_outer_one_is_restored() {
        let outer = build(ExecutorSel::local(), || {
            let a = record(project_spec("a", &[]));
            let inner = build(ExecutorSel::Named("inner".into()), || {
                assert_eq!(default_executor("test").label(), "inner");
                record(project_spec("x", &[]))
            });
            assert_eq!(inner.value, NodeId(0), "the inner graph numbers from 0");
            assert_eq!(inner.graph.len(), 1);
            assert_eq!(default_executor("test").label(), "local");
            let b = record(project_spec("b", &[a]));
            add_order(b, a);
            add_order(b, a);
            (a, b)
        });
        assert_eq!(outer.value, (NodeId(0), NodeId(1)));
        assert_eq!(outer.graph.len(), 2);
        assert_eq!(
            outer.graph.nodes[1].after.as_slice(),
            &[NodeId(0)],
            "deduplicated"
        );
        assert!(
            CURRENT.with(|c| c.borrow().is_none()),
            "nothing left installed"
        );
    }

    #[test]
    fn a_panicking_body_restores_the_previous_builder() {
        let outer = build(ExecutorSel::local(), || {
            record(project_spec("before", &[]));
            let r = std::panic::catch_unwind(|| {
                build(ExecutorSel::Named("inner".into()), || -> () {
                    record(project_spec("lost", &[]));
                    panic!("the body panics");
                })
            });
            assert!(r.is_err());
            // The outer builder is back: this lands in the outer graph.
            record(project_spec("after", &[]));
            node_name(NodeId(1))
        });
        assert_eq!(outer.value.as_deref(), Some("after"));
        let names: Vec<_> = outer.graph.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["before", "after"]);
    }

    #[test]
    fn errors_are_collected_for_the_dispatch_to_report() {
        let built = build(ExecutorSel::local(), || {
            error("first".into());
            error("second".into());
        });
        assert_eq!(built.errors, ["first", "second"]);
        // Outside a lattice body an error has nowhere to go, and does not panic.
        error("ignored".into());
    }

    #[test]
    #[should_panic(expected = "was used outside a #[lattice] body")]
    fn recording_outside_a_lattice_body_panics_with_a_hint() {
        record(project_spec("stray", &[]));
    }
}
