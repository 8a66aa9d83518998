//! Load on a running server: builds the catalog of the armory corpus (`../shared`, else the
//! bundled examples), serves it on an ephemeral loopback port in this process, and runs
//! `wrk` against a rule page and the same rule's `/api/rules/{id}`. Targets: at least
//! 5,000 requests per second and a p99 under 10 ms. wrk and the server share the machine's
//! cores, so the figures are a floor. `RULESCOPE_BENCH_SECS` sets each run's length (10 s).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rulescope_analysis::analyze_paths;
use rulescope_serve::{Live, serve};
use rulescope_site::{SiteOptions, rule_href};

const RULE: &str = "5398.5498";
const TARGET_RPS: f64 = 5000.0;
const TARGET_P99_MS: f64 = 10.0;

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("serve_load: wrk is not installed (apt-get install -y wrk), skipping");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shared = root.join("../shared/corpus/armory");
    let corpus: PathBuf = if shared.is_dir() {
        shared
    } else {
        println!("serve_load: ../shared/corpus/armory is absent, using examples/armory");
        root.join("examples/armory")
    };
    println!("serve_load: corpus {}", corpus.display());
    let paths = vec![corpus];
    let live = Live::new(Arc::new(move || {
        Ok((analyze_paths(&paths), SiteOptions::default()))
    }))
    .expect("the catalog builds");
    let snapshot = live.current();
    let rules = &snapshot.corpus().rules;
    let key = rules
        .iter()
        .find(|r| r.key == RULE)
        .or(rules.first())
        .map(|r| r.key.clone())
        .expect("a rule");
    println!(
        "serve_load: {} rules, {} files, site built in {} ms",
        rules.len(),
        snapshot.file_count(),
        snapshot.build_ms()
    );
    drop(snapshot);

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || serve(live, listener));

    let secs = std::env::var("RULESCOPE_BENCH_SECS").unwrap_or_else(|_| "10".into());
    for path in [format!("/{}", rule_href(&key)), format!("/api/rules/{key}")] {
        let url = format!("http://{addr}{path}");
        let output = Command::new("wrk")
            .args(["-t2", "-c32", &format!("-d{secs}s"), "--latency", &url])
            .output()
            .expect("wrk runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let rps = figure(&text, "Requests/sec:").and_then(|v| v.parse::<f64>().ok());
        let p99 = figure(&text, "99%").and_then(millis);
        let errors = figure(&text, "Non-2xx or 3xx responses:").unwrap_or("0");
        match (rps, p99) {
            (Some(rps), Some(p99)) => println!(
                "serve_load: GET {path}: {rps:.0} req/s (target >= {TARGET_RPS:.0}: {}), p99 {p99:.2} ms (target < {TARGET_P99_MS} ms: {}), non-2xx {errors}",
                verdict(rps >= TARGET_RPS),
                verdict(p99 < TARGET_P99_MS),
            ),
            _ => println!("serve_load: GET {path}: could not read wrk's output:\n{text}"),
        }
    }
}

/// The value after `label` on wrk's line that starts with it.
fn figure<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
}

/// wrk's latency (`850.00us`, `1.23ms`, `1.02s`) in milliseconds.
fn millis(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(number / 1000.0),
        "ms" => Some(number),
        "s" => Some(number * 1000.0),
        "m" => Some(number * 60_000.0),
        _ => None,
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}
