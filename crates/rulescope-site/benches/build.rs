//! Building the site for a corpus the size of the armory (1,898 rules): the target is under
//! two seconds wall on two cores.

#[path = "../tests/fixture/mod.rs"]
mod fixture;

use criterion::{Criterion, criterion_group, criterion_main};
use rulescope_site::{SiteOptions, build};

fn site_build(c: &mut Criterion) {
    let corpus = fixture::synthetic(2_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SiteOptions::default();
    let mut group = c.benchmark_group("site");
    group.sample_size(10);
    group.bench_function("build 2000 rules", |b| {
        b.iter(|| build(&corpus, dir.path(), &options).expect("site builds"))
    });
    group.finish();
}

criterion_group!(benches, site_build);
criterion_main!(benches);
