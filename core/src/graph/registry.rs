//! Every electron and lattice of the program, registered at link time through `inventory`.
//!
//! `#[electron]` and `#[lattice]` each emit a `static` definition and submit it here under a
//! stable, module-qualified name (`my_crate::module::function`, or the `name = ".."` option).
//! A task runner in another process finds the electron it is asked to run by that name.

use super::arg::Arg;
use crate::data::TypeInfo;
use crate::executor::ExecutorChoice;
use crate::task::TaskError;
use std::collections::HashMap;
use std::sync::OnceLock;

pub use crate::task::{
    Args, CallDep, CallResult, ElectronDef, ElectronEntry, Helpers, Invoke, ParamDef,
};

/// A lattice: a function that builds a graph of electrons. Emitted by `#[lattice]`.
pub struct LatticeDef {
    /// The stable, registered name.
    pub name: &'static str,
    /// The function's own name.
    pub fn_name: &'static str,
    /// The signature as written.
    pub signature: &'static str,
    /// Where it is defined.
    pub file: &'static str,
    /// The line of the definition.
    pub line: u32,
    /// Its parameters.
    pub params: &'static [ParamDef],
    /// Its output type.
    pub output: TypeInfo,
    /// The default executor of its electrons (`Default`: inherit, or `local`).
    pub executor: ExecutorChoice,
    /// Decodes the inputs and runs the body inside the current graph builder, returning the
    /// body's value as an argument source.
    pub build: fn(Args) -> Result<Arg, TaskError>,
}

impl std::fmt::Debug for LatticeDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatticeDef")
            .field("name", &self.name)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// The registration record of a lattice (what `#[lattice]` submits).
pub struct LatticeEntry(pub &'static LatticeDef);

inventory::collect!(LatticeEntry);

/// Two electrons (or two lattices) were registered under one name.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "two {what} are registered as `{name}`: one at {first}, one at {second}; \
     give one of them another name with `name = \"...\"`"
)]
pub struct DuplicateName {
    /// `"electrons"` or `"lattices"`.
    pub what: &'static str,
    /// The shared name.
    pub name: &'static str,
    /// `file:line` of one definition.
    pub first: String,
    /// `file:line` of the other.
    pub second: String,
}

/// All electrons and lattices of this program, by name.
#[derive(Debug)]
pub struct Registry {
    electrons: HashMap<&'static str, &'static ElectronDef>,
    lattices: HashMap<&'static str, &'static LatticeDef>,
}

impl Registry {
    /// The program's registry, checked for duplicate names on first use.
    ///
    /// # Errors
    /// [`DuplicateName`] when two electrons or two lattices share a name.
    pub fn get() -> Result<&'static Registry, DuplicateName> {
        static REGISTRY: OnceLock<Result<Registry, DuplicateName>> = OnceLock::new();
        REGISTRY
            .get_or_init(Registry::collect)
            .as_ref()
            .map_err(Clone::clone)
    }

    fn collect() -> Result<Registry, DuplicateName> {
        let mut electrons: HashMap<&'static str, &'static ElectronDef> = HashMap::new();
        let mut all: Vec<&'static ElectronDef> = inventory::iter::<ElectronEntry>
            .into_iter()
            .map(|e| e.0)
            .collect();
        all.sort_by_key(|d| (d.file, d.line));
        for def in all {
            if let Some(prev) = electrons.insert(def.name, def) {
                return Err(DuplicateName {
                    what: "electrons",
                    name: def.name,
                    first: format!("{}:{} (fn {})", prev.file, prev.line, prev.fn_name),
                    second: format!("{}:{} (fn {})", def.file, def.line, def.fn_name),
                });
            }
        }
        let mut lattices: HashMap<&'static str, &'static LatticeDef> = HashMap::new();
        let mut all: Vec<&'static LatticeDef> = inventory::iter::<LatticeEntry>
            .into_iter()
            .map(|e| e.0)
            .collect();
        all.sort_by_key(|d| (d.file, d.line));
        for def in all {
            if let Some(prev) = lattices.insert(def.name, def) {
                return Err(DuplicateName {
                    what: "lattices",
                    name: def.name,
                    first: format!("{}:{} (fn {})", prev.file, prev.line, prev.fn_name),
                    second: format!("{}:{} (fn {})", def.file, def.line, def.fn_name),
                });
            }
        }
        Ok(Registry {
            electrons,
            lattices,
        })
    }

    /// The electron registered under `name`.
    pub fn electron(&self, name: &str) -> Option<&'static ElectronDef> {
        self.electrons.get(name).copied()
    }

    /// The lattice registered under `name`.
    pub fn lattice(&self, name: &str) -> Option<&'static LatticeDef> {
        self.lattices.get(name).copied()
    }

    /// All electrons, sorted by name.
    pub fn electrons(&self) -> Vec<&'static ElectronDef> {
        let mut v: Vec<_> = self.electrons.values().copied().collect();
        v.sort_by_key(|d| d.name);
        v
    }

    /// All lattices, sorted by name.
    pub fn lattices(&self) -> Vec<&'static LatticeDef> {
        let mut v: Vec<_> = self.lattices.values().copied().collect();
        v.sort_by_key(|d| d.name);
        v
    }
}
