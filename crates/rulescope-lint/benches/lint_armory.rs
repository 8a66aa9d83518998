//! Load, parse, analyse and lint the whole armory corpus (`../shared/corpus/armory`).

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use rulescope_lint::{LintContext, lint_corpus};

fn lint_armory(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/armory");
    if !root.exists() {
        eprintln!("skipped: {} is absent", root.display());
        return;
    }
    let context = LintContext::default();
    let mut group = c.benchmark_group("armory");
    group.sample_size(10);
    group.bench_function("load+parse+analyse+lint", |b| {
        b.iter(|| {
            let rules = rulescope_load::load_paths(std::slice::from_ref(&root)).rules;
            lint_corpus(&rules, &context).len()
        })
    });
    let rules = rulescope_load::load_paths(std::slice::from_ref(&root)).rules;
    group.bench_function("parse+analyse+lint", |b| {
        b.iter(|| lint_corpus(&rules, &context).len())
    });
    group.finish();
}

criterion_group!(benches, lint_armory);
criterion_main!(benches);
