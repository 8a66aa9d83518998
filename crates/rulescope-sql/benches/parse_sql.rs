//! Parsing and mapping every Snowflake query of the armory corpus (skipped when absent).

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/armory/mod.rs"]
mod armory;

fn parse_corpus(c: &mut Criterion) {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    c.bench_function(&format!("parse_sql/armory_{}_queries", rules.len()), |b| {
        b.iter(|| {
            rules
                .iter()
                .map(|r| {
                    rulescope_sql::parse(std::hint::black_box(&r.logic))
                        .model
                        .predicates
                        .len()
                })
                .sum::<usize>()
        });
    });
}

criterion_group!(benches, parse_corpus);
criterion_main!(benches);
