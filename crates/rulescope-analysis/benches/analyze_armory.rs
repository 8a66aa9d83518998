//! Load, parse and analyse the whole armory corpus and build the corpus index, as
//! `rulescope build` and `show` do (target: under 300 ms wall on 2 cores).

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use rulescope_analysis::Reference;

fn analyze_armory(c: &mut Criterion) {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let root = shared.join("corpus/armory");
    if !root.is_dir() {
        eprintln!("skipping: ../shared/corpus/armory not found");
        return;
    }
    let reference = Reference::load(
        Some(&shared.join("data/attack-enterprise.json")),
        Some(&shared.join("data/windows-events.csv")),
    )
    .expect("reference data loads");
    let mut group = c.benchmark_group("analyze");
    group.sample_size(20);
    group.bench_function("armory_corpus_load_and_analyze", |b| {
        b.iter(|| {
            let load = rulescope_load::load_paths(std::slice::from_ref(&root));
            let corpus = rulescope_analysis::analyze(load, &reference);
            assert_eq!(corpus.rules.len(), 1_898);
            corpus
        });
    });
    let load = rulescope_load::load_paths(std::slice::from_ref(&root));
    group.bench_function("armory_corpus_analyze_only", |b| {
        b.iter_batched(
            || rulescope_load::LoadReport {
                rules: load.rules.clone(),
                ..Default::default()
            },
            |load| rulescope_analysis::analyze(load, &reference),
            criterion::BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, analyze_armory);
criterion_main!(benches);
