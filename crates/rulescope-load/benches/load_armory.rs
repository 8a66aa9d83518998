//! Loads the whole armory corpus from `../shared` (target: under 100 ms on one core).

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};

fn load_armory(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/armory");
    if !root.is_dir() {
        eprintln!("skipping: ../shared/corpus/armory not found");
        return;
    }
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("armory_corpus", |b| {
        b.iter(|| {
            let report = rulescope_load::load_paths(std::slice::from_ref(&root));
            assert_eq!(report.rules.len(), 1_898);
            report
        });
    });
    group.finish();
}

criterion_group!(benches, load_armory);
criterion_main!(benches);
