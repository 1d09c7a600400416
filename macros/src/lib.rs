//! The attribute macros of [orbital](https://docs.rs/orbital): `#[electron]`, `#[lattice]` and
//! `#[orbital::main]` and `#[orbital::executor]`. Use them through the `orbital` crate; the generated code names only
//! `::orbital::__private` items.
//!
//! The crate is thin: each macro parses its input, validates it (collecting every error with
//! the span of the offending token), and expands. An error that leaves the item expandable (a
//! bad option, an `async` lattice) is reported next to the full expansion; one that does not (a
//! signature orbital cannot run) is reported next to the item as written, so that IDEs and the
//! rest of the crate keep working. Trait-bound errors are made to land on the user's tokens
//! and to name the electron, parameter and types involved; `ui-tests/` holds every message.

mod code_hash;
mod electron;
mod executor_attr;
mod helpers;
mod lattice;
mod lattice_output;
mod main_attr;
mod nodes_derive;
mod options;
mod params;
mod shapes;
mod signature;

use proc_macro::TokenStream;

/// Makes a function an electron: a task of a workflow.
///
/// Inside a `#[lattice]` body, calling it records a node and returns a `Node<T>`; its
/// parameters take a value, a `Node` of that type, for `Vec<T>` a `Vec<Node<T>>`, for a
/// `HashMap<K, V>` (or `BTreeMap`) a map of `Node<V>`, and for a tuple a tuple of nodes and
/// constants.
/// `name::call(..)` runs the plain function. Options: `executor = "name"` (or an expression
/// giving an executor), `retries = N`, `time_limit = "30s"` (or a `Duration` expression), and
/// `name = "stable::name"`.
#[proc_macro_attribute]
pub fn electron(args: TokenStream, item: TokenStream) -> TokenStream {
    electron::expand(args.into(), item.into()).into()
}

/// Makes a function a lattice: a workflow whose body calls electrons.
///
/// `name::build(..)` builds its graph, `name::dispatch(..)` builds and runs it. Its body's value
/// is its output: a node, a constant, or for a tuple output (`-> (A, B)`) a tuple of nodes and
/// constants, each element checked on its own. Called inside
/// another lattice, it is a sub-lattice, built at run time when its inputs are known. Options:
/// `executor = "name"` (the default executor of its electrons) and `name = "stable::name"`.
#[proc_macro_attribute]
pub fn lattice(args: TokenStream, item: TokenStream) -> TokenStream {
    lattice::expand(args.into(), item.into()).into()
}

/// Makes a struct whose fields can be nodes: `#[derive(orbital::Nodes)]` on a struct writes
/// `Stats::nodes(total, count) -> Node<Stats>` (one argument per field, in order, each a node
/// or a constant of that field's type), so that a lattice returning `Stats` can end in it, or
/// an electron taking a `Stats` can be given one. The struct must be `Serialize` and
/// `Deserialize`; enums, unions, generic and fieldless structs are refused.
///
/// ```ignore
/// #[derive(serde::Serialize, serde::Deserialize, orbital::Nodes)]
/// struct Stats { total: f64, count: usize }
///
/// #[lattice]
/// fn stats(xs: Vec<f64>) -> Stats {
///     Stats::nodes(total(xs.clone()), count(xs))
/// }
/// ```
#[proc_macro_derive(Nodes)]
pub fn derive_nodes(item: TokenStream) -> TokenStream {
    nodes_derive::expand(item.into()).into()
}

/// Marks the program's `main`: selects the mode of the binary (driver, task runner, Lambda)
/// before any of its code runs, then runs an `async fn main` on a tokio runtime. It also
/// records where the program comes from (its Cargo package, target and the package features
/// that are on), so that an executor can build the same program for another machine (the
/// Lambda executor does when this executable cannot run there).
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    main_attr::expand(args.into(), item.into()).into()
}

/// Makes an `impl Executor for YourType` block a registered executor: it can then be chosen by
/// value (`#[electron(executor = YourType::new())]`) and by `type = "NAME"` in an
/// `[executors.NAME]` table of `orbital.toml`, and a stored graph can name it. It takes
/// `name = "..."` (that `type`), writes `fn kind` when the block has none, and makes the
/// block's `async fn`s object-safe: the program needs no `typetag` or `async-trait` of its own.
#[proc_macro_attribute]
pub fn executor(args: TokenStream, item: TokenStream) -> TokenStream {
    executor_attr::expand(args.into(), item.into()).into()
}
