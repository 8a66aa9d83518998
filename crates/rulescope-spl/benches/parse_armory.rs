//! Parses every Splunk query of the armory corpus (read at run time from ../shared).
//! Also prints allocations per query, counted by an instrumented global allocator.

use std::alloc::System;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rulescope_model::LogicFormat;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn queries() -> Option<Vec<String>> {
    let root =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/armory/detections");
    if !root.is_dir() {
        eprintln!("skipping: ../shared/corpus/armory not found");
        return None;
    }
    let report = rulescope_load::load_paths(&[root]);
    Some(
        report
            .rules
            .into_iter()
            .filter(|r| r.logic_format == LogicFormat::Splunk)
            .map(|r| r.logic)
            .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let Some(queries) = queries() else { return };
    let n = queries.len();

    let region = Region::new(GLOBAL);
    for q in &queries {
        black_box(rulescope_spl::parse(q));
    }
    let stats = region.change();
    let bytes: usize = queries.iter().map(String::len).sum();
    println!(
        "armory: {n} queries, {bytes} bytes; {:.1} allocations and {:.0} bytes allocated per query",
        stats.allocations as f64 / n as f64,
        stats.bytes_allocated as f64 / n as f64
    );
    // The fastest of several rounds: the machine is shared, and load only ever slows a round.
    let rounds = 30;
    let best = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for q in &queries {
                black_box(rulescope_spl::parse(q));
            }
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    println!(
        "armory: {:.0} queries/second, {:.2} µs/query (one core, best of {rounds} rounds)",
        n as f64 / best,
        best * 1e6 / n as f64
    );

    let mut group = c.benchmark_group("armory");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("parse_all_spl", |b| {
        b.iter(|| {
            for q in &queries {
                black_box(rulescope_spl::parse(q));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
