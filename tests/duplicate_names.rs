//! Two electrons registered under one name make the whole registry an error: never a silent
//! pick. (A test binary of its own, since every dispatch in it is refused.)

mod common;

use orbital::prelude::*;

#[electron(name = "dup")]
fn first_dup(x: u64) -> u64 {
    x
}

#[electron(name = "dup")]
fn second_dup(x: u64) -> u64 {
    x + 1
}

#[lattice]
fn uses_dup(x: u64) -> u64 {
    second_dup(first_dup(x))
}

/// The lines of the two definitions in this file, as the registry records them.
fn definition_lines() -> (u32, u32) {
    (first_dup::definition().line, second_dup::definition().line)
}

#[test]
fn init_names_both_definitions_of_a_duplicate_name() {
    let err = orbital::init().unwrap_err();
    assert!(matches!(err, orbital::Error::Registry(_)), "{err:?}");
    let text = err.to_string();
    let (l1, l2) = definition_lines();
    assert_ne!(l1, l2);
    let file = file!();
    assert!(text.contains("`dup`"), "{text}");
    assert!(text.contains("two electrons"), "{text}");
    assert!(text.contains(&format!("{file}:{l1}")), "{text}");
    assert!(text.contains(&format!("{file}:{l2}")), "{text}");
    assert!(text.contains("(fn first_dup)"), "{text}");
    assert!(text.contains("(fn second_dup)"), "{text}");
    assert!(
        text.contains("`name = \"...\"`"),
        "says how to fix it: {text}"
    );
    // The recorded lines are the definitions' (the attribute's or the function's line).
    let source = include_str!("duplicate_names.rs");
    let line = |n: u32| source.lines().nth(n as usize - 1).unwrap_or_default();
    for (l, f) in [(l1, "fn first_dup("), (l2, "fn second_dup(")] {
        let at = line(l);
        assert!(
            (at.starts_with("#[electron(name = \"dup\")]") && line(l + 1).starts_with(f))
                || at.starts_with(f),
            "line {l} is `{at}`"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(&dir).unwrap();
    let err = rt.dispatch(uses_dup::build(1)).await.unwrap_err();
    assert!(matches!(err, orbital::Error::Registry(_)), "{err:?}");
    assert!(err.to_string().contains("`dup`"));
    assert!(rt.list(10).unwrap().is_empty());
    assert!(orbital::Registry::get().is_err());
}
