//! Throughput of evaluating every armory SPL rule over the EVTX files of `../shared/datasets`,
//! beside the raw evtx parse of the same files (the same parser settings, records to JSON
//! values). Prints events/second for both (medians of alternating runs), the CPU seconds
//! each took on the machine's cores, the median of the rounds' ratios with their range, and
//! the peak resident memory.
//!
//! `cargo bench -p rulescope-eval --bench eval`

use std::path::{Path, PathBuf};
use std::time::Instant;

use evtx::EvtxParser;
use rulescope_eval::{Engine, EngineOptions, input};

/// The allocator the `rulescope` binary runs with, so the figures are the tool's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // Raw parse and evaluation alternate, so a change in the machine's load touches both,
    // and each round's pair gives a ratio; the median ratio is the figure, with the range
    // beside it. Each evaluation gets a fresh engine: its per-header candidates are built
    // during the run, as in a real one.
    let (mut raw_runs, mut eval_runs, mut raw_events, mut run) = (vec![], vec![], 0, None);
    for _ in 0..ROUNDS {
        let (cpu, started) = (cpu_secs(), Instant::now());
        raw_events = raw_parse(&files);
        raw_runs.push((started.elapsed().as_secs_f64(), cpu_secs() - cpu));
        let engine = Engine::new(&report.rules, &EngineOptions::default());
        let (cpu, started) = (cpu_secs(), Instant::now());
        run = Some(engine.run_paths(&files, &mut |_| {}));
        eval_runs.push((started.elapsed().as_secs_f64(), cpu_secs() - cpu));
    }
    let Some(run) = run else { return };
    let mut ratios: Vec<f64> = raw_runs
        .iter()
        .zip(&eval_runs)
        .map(|(raw, eval)| raw.0 / eval.0)
        .collect();
    ratios.sort_by(f64::total_cmp);
    let ((raw_secs, raw_cpu), (eval_secs, eval_cpu)) = (median(raw_runs), median(eval_runs));
    // Before the measurements below hold every event in memory at once.
    let peak = peak_rss().unwrap_or_else(|| "unknown".into());
    let started = Instant::now();
    let mut stats = input::InputStats::default();
    let mut events = Vec::new();
    for f in &files {
        input::read_file(f, engine.rendering, &mut stats, &mut |e| events.push(e));
    }
    let extract_secs = started.elapsed().as_secs_f64();
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
        "raw parse (median of {ROUNDS}): {raw_events} events in {raw_secs:.3}s ({raw_cpu:.2} CPU-s) = {raw_rate:.0} events/s ({:.1} MiB/s)",
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
        "evaluate (median of {ROUNDS}):  {} events in {eval_secs:.3}s ({eval_cpu:.2} CPU-s) = {eval_rate:.0} events/s ({:.1} MiB/s); {} unreadable records skipped; {fired} rules fired",
        run.input.events,
        mib / eval_secs,
        run.input.skipped_total()
    );
    println!(
        "ratio: evaluation runs at {:.0}% of raw parse throughput (median of the rounds' ratios; they ranged {:.0}%..{:.0}%; ratio of the medians {:.0}%)",
        100.0 * ratios[ratios.len() / 2],
        100.0 * ratios[0],
        100.0 * ratios[ratios.len() - 1],
        100.0 * eval_rate / raw_rate
    );
    println!("peak resident memory of the raw parses and evaluations: {peak}");
}

/// How many times raw parse and evaluation are timed.
const ROUNDS: usize = 11;

/// The run with the median wall time: (seconds, CPU seconds).
fn median(mut runs: Vec<(f64, f64)>) -> (f64, f64) {
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs[runs.len() / 2]
}

/// Parses every file with the settings the engine uses, into JSON values; the events read.
fn raw_parse(files: &[PathBuf]) -> u64 {
    let mut events = 0u64;
    for f in files {
        let Ok(parser) = EvtxParser::from_path(f) else {
            continue;
        };
        let mut parser = parser.with_configuration(input::evtx_settings());
        events += parser.records_json_value().filter(Result::is_ok).count() as u64;
    }
    events
}

/// User and system CPU time of this process so far (`/proc/self/stat`, in clock ticks of
/// 10 ms), to show how much of the wall time both cores were busy.
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

/// `VmHWM` of /proc/self/status: the peak resident set.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_owned())
}
