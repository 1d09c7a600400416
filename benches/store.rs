//! The results store's writer: node state changes per second, as the dispatcher sends them
//! (a RUNNING and a COMPLETED update per node, batched and committed by the writer thread).
//!
//! `cargo bench --bench store`

use std::sync::Arc;
use std::time::SystemTime;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use orbital::store::{DispatchRow, NodeRow, NodeUpdate, Store, StoreOp};
use orbital::{NodeStatus, TypeInfo};

const NODES: u32 = 10_000;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("bench.db")).expect("store");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio");
    let output = orbital::codec::encode(&42u64).expect("encode");
    let mut round = 0u64;
    let mut g = c.benchmark_group("store");
    g.sample_size(20);
    g.throughput(Throughput::Elements(u64::from(NODES)));
    g.bench_function("nodes_10000_insert_run_complete", |b| {
        b.iter(|| {
            round += 1;
            let id: Arc<str> = Arc::from(format!("bench-{round}"));
            store.send(StoreOp::NewDispatch(DispatchRow {
                id: id.clone(),
                lattice: "bench".into(),
                inputs: Default::default(),
                inputs_json: "{}".into(),
                output_type: "u64".into(),
                node_count: NODES as usize,
                created: SystemTime::now(),
                program: None,
                build_id: None,
                driver_pid: Some(std::process::id()),
                driver_host: "bench".into(),
                reuse_of: None,
            }));
            store.send(StoreOp::Nodes {
                dispatch: id.clone(),
                rows: (0..NODES)
                    .map(|node| NodeRow {
                        node,
                        name: "square".into(),
                        kind: "electron",
                        electron: "bench::square",
                        executor: "local".into(),
                        deps: "[]".into(),
                        parent: None,
                        cacheable: false,
                    })
                    .collect(),
            });
            for status in [NodeStatus::Running, NodeStatus::Completed] {
                for node in 0..NODES {
                    let now = Some(SystemTime::now());
                    store.send(StoreOp::Node(NodeUpdate {
                        dispatch: id.clone(),
                        node,
                        status,
                        output: (status == NodeStatus::Completed)
                            .then(|| (output.clone(), TypeInfo::of::<u64>())),
                        error: None,
                        started: now,
                        ended: now.filter(|_| status == NodeStatus::Completed),
                        attempts: 1,
                        stdout: None,
                        stderr: None,
                        // As every electron node stores one.
                        cache_key: Some([node as u8; 16]),
                        reused_from: None,
                    }));
                }
            }
            tokio.block_on(store.flush()).expect("flush");
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
