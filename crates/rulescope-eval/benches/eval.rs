//! Throughput of evaluating every armory SPL rule over the EVTX files of `../shared/datasets`,
//! beside the raw evtx parse of the same files (the same parser settings, records to JSON
//! values). Prints events/second for both, their ratio, and the peak resident memory.
//!
//! `cargo bench -p rulescope-eval --bench eval`

use std::path::{Path, PathBuf};
use std::time::Instant;

use evtx::EvtxParser;
use rulescope_eval::{Engine, EngineOptions, input};

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if !shared.join("datasets").is_dir() {
        println!("skipped: ../shared/datasets is not present");
        return;
    }
    let files: Vec<PathBuf> = input::discover(&[shared.join("datasets")])
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
        })
        .collect();
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();

    let started = Instant::now();
    let report = rulescope_load::load_paths(&[shared.join("corpus/armory")]);
    let engine = Engine::new(&report.rules, &EngineOptions::default());
    let evaluable = engine.rules.iter().filter(|r| r.plan.is_ok()).count();
    println!(
        "{} SPL rules compiled ({evaluable} evaluable) in {:.2}s",
        engine.rules.len(),
        started.elapsed().as_secs_f64()
    );

    raw_parse(&files); // warms the page cache
    let (raw_events, raw_secs) = raw_parse(&files);
    let started = Instant::now();
    let mut stats = input::InputStats::default();
    let mut events = Vec::new();
    for f in &files {
        input::read_file(f, engine.rendering, &mut stats, &mut |e| events.push(e));
    }
    let extract_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let run = engine.run_paths(&files, &mut |_| {});
    let eval_secs = started.elapsed().as_secs_f64();
    // The rules alone, over events already in memory, on this thread only; the engine's
    // per-header candidates are built by now, so this is the cost per event.
    let started = Instant::now();
    let mut session = engine.session();
    for e in &events {
        session.push(e);
    }
    let outcomes = session.finish();
    let rules_secs = started.elapsed().as_secs_f64();
    drop(events);
    let fired = run.rules.iter().filter(|r| r.fired()).count();

    let mib = bytes as f64 / (1024.0 * 1024.0);
    let raw_rate = raw_events as f64 / raw_secs;
    let eval_rate = run.input.events as f64 / eval_secs;
    println!("{} EVTX files, {mib:.1} MiB", files.len());
    println!(
        "raw parse: {raw_events} events in {raw_secs:.3}s = {raw_rate:.0} events/s ({:.1} MiB/s)",
        mib / raw_secs
    );
    println!(
        "parse + field extraction: {} events in {extract_secs:.3}s = {:.0} events/s",
        stats.events,
        stats.events as f64 / extract_secs
    );
    println!(
        "rules only (events in memory, one thread, candidates built): {rules_secs:.3}s = {:.0} events/s; {} rules fired",
        stats.events as f64 / rules_secs,
        outcomes.iter().filter(|r| r.fired()).count()
    );
    println!(
        "evaluate:  {} events in {eval_secs:.3}s = {eval_rate:.0} events/s ({:.1} MiB/s); {} unreadable records skipped; {fired} rules fired",
        run.input.events,
        mib / eval_secs,
        run.input.skipped_total()
    );
    println!(
        "ratio: evaluation runs at {:.0}% of raw parse throughput",
        100.0 * eval_rate / raw_rate
    );
    println!(
        "peak resident memory: {}",
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
}

/// Parses every file with the settings the engine uses, into JSON values.
fn raw_parse(files: &[PathBuf]) -> (u64, f64) {
    let started = Instant::now();
    let mut events = 0u64;
    for f in files {
        let Ok(parser) = EvtxParser::from_path(f) else {
            continue;
        };
        let mut parser = parser.with_configuration(input::evtx_settings());
        events += parser.records_json_value().filter(Result::is_ok).count() as u64;
    }
    (events, started.elapsed().as_secs_f64())
}

/// `VmHWM` of /proc/self/status: the peak resident set.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_owned())
}
