//! Redispatch and the electron cache across real rebuilds of a real program.
//!
//! The program is `tests/programs/versions/main.rs`, built outside this workspace (a crate of
//! its own with `orbital` as a path dependency, as a user has it) in three variants: as
//! written; with only code that no electron holds changed (`/*BANNER*/`); and with only one
//! electron's body changed (`/*SQUARE*/`). Each electron leaves a marker file when it runs, so
//! the tests count what ran.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{markers, text, Cli};

const TEMPLATE: &str = include_str!("programs/versions/main.rs");

/// The build directory of the program: its sources and target directory, shared by the runs.
fn home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("versions")
}

/// Builds the program with these replacements of its source; returns the executable.
fn build(replace: &[(&str, &str)]) -> PathBuf {
    let src = home().join("crate");
    std::fs::create_dir_all(src.join("src")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::write(
        src.join("Cargo.toml"),
        format!(
            "[package]\nname = \"versions\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\norbital = {{ path = {:?} }}\n\n[workspace]\n",
            root.display().to_string()
        ),
    )
    .unwrap();
    // The workspace's lock: the same dependency versions, and no registry needed (--offline).
    std::fs::copy(root.join("Cargo.lock"), src.join("Cargo.lock")).unwrap();
    let mut main = TEMPLATE.to_owned();
    for (from, to) in replace {
        assert!(main.contains(from), "the template has {from}");
        main = main.replace(from, to);
    }
    std::fs::write(src.join("src").join("main.rs"), main).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let t0 = std::time::Instant::now();
    let out = Command::new(cargo)
        .args(["build", "--offline", "--quiet", "--target-dir"])
        .arg(home().join("target"))
        .current_dir(&src)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the build failed:\n{}",
        text(&out.stderr)
    );
    eprintln!(
        "built the versions program {replace:?} in {:?}",
        t0.elapsed()
    );
    home().join("target").join("debug").join("versions")
}

/// A run of the program: `ID OUTPUT`.
fn run(exe: &Path, cli: &Cli, marks: &Path, args: &[&str]) -> (String, u64) {
    let out = Command::new(exe)
        .args(args)
        .env("ORBITAL_DB", &cli.db)
        .env("ORBITAL_CONFIG_DIR", &cli.config_dir)
        .env("VERSIONS_MARKS", marks)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{exe:?} {args:?}: {}",
        text(&out.stderr)
    );
    let line = text(&out.stdout);
    let (id, value) = line.trim().split_once(' ').expect("ID OUTPUT");
    (id.to_owned(), value.parse().unwrap())
}

fn store(cli: &Cli) -> orbital::Runtime {
    orbital::Runtime::builder()
        .store_path(&cli.db)
        .config(orbital::Config::default())
        .build()
        .unwrap()
}

/// How many nodes of a dispatch were reused, and from where.
fn reused(cli: &Cli, id: &str) -> Vec<(String, String, u32)> {
    let r = store(cli).get_result(id).unwrap();
    r.nodes()
        .iter()
        .filter_map(|n| {
            n.reused_from()
                .map(|(d, node)| (n.name().to_owned(), d.to_owned(), node))
        })
        .collect()
}

#[test]
fn redispatch_runs_only_the_changed_electron_and_the_cache_survives_other_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let marks = dir.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let cli = Cli {
        db: dir.path().join("orbital.db"),
        config_dir: dir.path().join("config"),
    };
    let count = |prefix: &str| markers(&marks, prefix).len();

    // The first build: one pipeline, and the cached electron twice with one argument.
    let exe = build(&[]);
    let (first, out) = run(&exe, &cli, &marks, &["run", "4"]);
    assert_eq!(out, 1 + 4 + 9 + 16);
    assert_eq!(
        (count("load-"), count("square-"), count("total-")),
        (4, 4, 1)
    );
    let (c1, out) = run(&exe, &cli, &marks, &["cached", "7"]);
    assert_eq!(out, 14);
    let (c2, _) = run(&exe, &cli, &marks, &["cached", "7"]);
    assert_eq!(
        count("slow_double-7-"),
        1,
        "the second dispatch hit the cache"
    );
    assert_eq!(
        reused(&cli, &c2),
        vec![("slow_double".into(), c1.clone(), 0)]
    );
    run(&exe, &cli, &marks, &["cached", "8"]);
    assert_eq!(count("slow_double-8-"), 1, "another argument misses");

    // A rebuild whose only change is outside every electron keeps the cache's hits.
    let exe = build(&[(
        "/*BANNER*/ \"versions program\"",
        "\"versions program, rebuilt\"",
    )]);
    let (c3, _) = run(&exe, &cli, &marks, &["cached", "7"]);
    assert_eq!(
        count("slow_double-7-"),
        1,
        "an unrelated rebuild keeps the hit"
    );
    assert_eq!(
        reused(&cli, &c3),
        vec![("slow_double".into(), c1.clone(), 0)]
    );

    // A rebuild that changes `square`'s body; `orbital redispatch` runs the program again.
    let exe = build(&[("/*SQUARE*/ x * x", "x * x + 1")]);
    let out = cli
        .command(&["redispatch", &first])
        .env("VERSIONS_MARKS", &marks)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), (2 + 5 + 10 + 17).to_string());
    assert_eq!(
        (count("load-"), count("square-"), count("total-")),
        (4, 8, 2),
        "only `square` and what depends on it ran again"
    );
    let again = store(&cli).list(1).unwrap()[0].id.clone();
    let reused_loads = reused(&cli, &again);
    assert_eq!(reused_loads.len(), 4, "{reused_loads:?}");
    assert!(reused_loads
        .iter()
        .all(|(name, from, _)| name == "load" && *from == first));
    let shown = cli.json(&["show", &again]);
    assert_eq!(shown["reuse_of"], first.as_str());
    let table = text(&cli.run(&["show", &again]).stdout);
    assert!(table.contains("(reused from"), "{table}");

    // Without reuse, everything runs.
    let out = cli
        .command(&["redispatch", &first, "--no-reuse"])
        .env("VERSIONS_MARKS", &marks)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        (count("load-"), count("square-"), count("total-")),
        (8, 12, 3)
    );

    // `orbital purge --cache` forgets the keys: the cached electron runs again.
    let out = cli.run(&["purge", "--cache"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    run(&exe, &cli, &marks, &["cached", "7"]);
    assert_eq!(count("slow_double-7-"), 2, "the purged cache misses");

    // A program that does not hold the lattice says which program does.
    let e = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(store(&cli).redispatch(&first, orbital::Redispatch::same_inputs()))
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("holds no lattice `versions::pipeline`")
            && msg.contains(&exe.display().to_string()),
        "{msg}"
    );
}
