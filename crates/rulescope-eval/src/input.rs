//! Event files: EVTX (parsed by the evtx crate on its thread pool, with field extraction
//! done on the workers too) and JSON lines (the evtx crate's JSON shape or flat fields).
//! Directories are walked. Unreadable chunks, records and lines are skipped and counted.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use evtx::{EvtxParser, ParserSettings};
use serde::Serialize;

use crate::event::{Event, Rendering, from_json_bytes};

/// What reading the event files gave.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InputStats {
    pub files: usize,
    pub bytes: u64,
    pub events: u64,
    /// Records, chunks or lines that could not be read, per file.
    pub skipped: Vec<Skipped>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub count: u64,
    /// The first error, as the parser worded it.
    pub first_error: String,
}

impl InputStats {
    /// Adds what reading other files gave.
    pub fn add(&mut self, other: InputStats) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.events += other.events;
        self.skipped.extend(other.skipped);
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|s| s.count).sum()
    }
}

/// The event files under the given paths, sorted: `.evtx`, `.json`, `.jsonl`, `.ndjson`.
pub fn discover(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        for entry in walkdir::WalkDir::new(p)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if entry.file_type().is_file() && is_event_file(entry.path()) {
                out.push(entry.into_path());
            }
        }
    }
    out
}

fn is_event_file(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "evtx" | "json" | "jsonl" | "ndjson"
        )
    })
}

/// Reads one file, handing each event to `sink`.
pub fn read_file(
    path: &Path,
    rendering: Rendering,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    read_file_with(path, rendering, stats, |e| e, sink);
}

/// Reads one file, handing `work(event)` for each event to `sink`, in file order. For EVTX,
/// `work` runs on the parser's worker threads.
pub fn read_file_with<T: Send + 'static>(
    path: &Path,
    rendering: Rendering,
    stats: &mut InputStats,
    work: impl Fn(Event) -> T + Send + Sync + Clone + 'static,
    sink: &mut dyn FnMut(T),
) {
    stats.files += 1;
    stats.bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut skipped = 0u64;
    let mut first_error = None;
    let mut note = |e: String| {
        skipped += 1;
        first_error.get_or_insert(e);
    };
    let is_evtx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("evtx"));
    if is_evtx {
        read_evtx(path, rendering, stats, work, sink, &mut note);
    } else {
        read_json_lines(path, rendering, stats, &work, sink, &mut note);
    }
    if skipped > 0 {
        stats.skipped.push(Skipped {
            path: path.to_owned(),
            count: skipped,
            first_error: first_error.unwrap_or_default(),
        });
    }
}

/// EVTX parser settings: all cores, checksums checked so corrupted chunks are skipped.
pub fn evtx_settings() -> ParserSettings {
    ParserSettings::new()
        .num_threads(0)
        .validate_checksums(true)
}

fn read_evtx<T: Send + 'static>(
    path: &Path,
    rendering: Rendering,
    stats: &mut InputStats,
    work: impl Fn(Event) -> T + Send + Sync + Clone + 'static,
    sink: &mut dyn FnMut(T),
    note: &mut dyn FnMut(String),
) {
    let mut parser = match EvtxParser::from_path(path) {
        Ok(p) => p.with_configuration(evtx_settings()),
        Err(e) => return note(format!("{e}")),
    };
    let records = parser.serialized_records(move |record| {
        record
            .and_then(|r| r.into_json_bytes())
            .map(|r| from_json_bytes(&r.data, rendering).map(&work))
    });
    for record in records {
        match record {
            Ok(Some(event)) => {
                stats.events += 1;
                sink(event);
            }
            Ok(None) => note("a record is not a JSON object".into()),
            Err(e) => note(error_chain(&e)),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn read_json_lines<T>(
    path: &Path,
    rendering: Rendering,
    stats: &mut InputStats,
    work: &dyn Fn(Event) -> T,
    sink: &mut dyn FnMut(T),
    note: &mut dyn FnMut(String),
) {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return note(e.to_string()),
    };
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => return note(format!("line {}: {e}", n + 1)),
        };
        if line.trim().is_empty() {
            continue;
        }
        match from_json_bytes(line.as_bytes(), rendering) {
            Some(event) => {
                stats.events += 1;
                sink(work(event));
            }
            None => note(format!("line {}: not a JSON object", n + 1)),
        }
    }
}
