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
    // The floor: sqlparser's tokenizer and parser alone, placeholders substituted by hand.
    let texts: Vec<String> = rules
        .iter()
        .map(|r| {
            r.logic
                .replace("$latest$", "$latest ")
                .replace("$earliest$", "$earliest ")
        })
        .collect();
    c.bench_function("parse_sql/sqlparser_only", |b| {
        b.iter(|| {
            texts
                .iter()
                .filter(|t| {
                    sqlparser::parser::Parser::parse_sql(
                        &sqlparser::dialect::SnowflakeDialect {},
                        std::hint::black_box(t),
                    )
                    .is_ok()
                })
                .count()
        });
    });
}

criterion_group!(benches, parse_corpus);
criterion_main!(benches);
