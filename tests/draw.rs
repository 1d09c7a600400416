//! Drawing a lattice's graph as DOT and Mermaid, without running it.

use orbital::prelude::*;

#[electron]
fn join_words(a: String, b: String) -> String {
    format!("{a}, {b}")
}

#[electron]
fn excitement(a: String) -> String {
    format!("{a}!")
}

#[electron]
fn divmod(a: u64, b: u64) -> (u64, u64) {
    (a / b, a % b)
}

#[lattice]
fn simple_workflow(a: String, b: String) -> String {
    let phrase = join_words(a, b);
    excitement(phrase)
}

#[lattice]
fn ordered(a: u64) -> u64 {
    let (q, r) = divmod(a, 7).split();
    let first = excitement("x".to_owned());
    divmod(q, r).wait_for(first).split().0
}

#[test]
fn the_seed_workflow_draws_as_dot() {
    let dot = simple_workflow::build("Hello".into(), "World".into()).to_dot();
    assert_eq!(
        dot,
        "digraph \"simple_workflow\" {
  rankdir=TB;
  node [shape=box, style=rounded, fontname=\"Helvetica\"];
  n0 [label=\"join_words\\n[local]\"];
  n1 [label=\"excitement\\n[local]\"];
  n0 -> n1 [label=\"a\"];
  output [shape=doublecircle, label=\"output\"];
  n1 -> output;
}
"
    );
}

#[test]
fn the_seed_workflow_draws_as_mermaid() {
    let mermaid = simple_workflow::build("Hello".into(), "World".into()).to_mermaid();
    assert_eq!(
        mermaid,
        "flowchart TD
    n0(\"join_words<br/>[local]\")
    n1(\"excitement<br/>[local]\")
    n0 -->|a| n1
    output((output))
    n1 --> output
"
    );
}

#[test]
fn tuple_fields_and_ordering_edges_are_drawn() {
    let wf = ordered::build(30);
    let mermaid = wf.to_mermaid();
    // divmod and its two fields, excitement, the second divmod and its two fields.
    assert_eq!(wf.graph().len(), 7, "{mermaid}");
    assert!(mermaid.contains("n1([\"divmod.0\"])"), "{mermaid}");
    assert!(mermaid.contains("n0 -->|value| n1"), "{mermaid}");
    assert!(mermaid.contains("n1 -->|a| n4"), "{mermaid}");
    assert!(mermaid.contains("n2 -->|b| n4"), "{mermaid}");
    assert!(mermaid.contains("n3 -.->|wait_for| n4"), "{mermaid}");
    let dot = wf.to_dot();
    assert!(
        dot.contains("n3 -> n4 [style=dashed, label=\"wait_for\"];"),
        "{dot}"
    );
    assert!(dot.contains("n5 -> output;"), "{dot}");
}
