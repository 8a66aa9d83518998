//! Parses every `.spl` file given (or found under given directories), printing each
//! diagnostic, any clean query whose printed form does not print back the same, and then
//! the parse statistics. Usage: parse_stats PATH... [--json]

use std::path::{Path, PathBuf};

use rulescope_spl::{ParseStats, parse, print};

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            collect(&p, out);
        }
    } else if path.extension().is_some_and(|e| e == "spl") {
        out.push(path.to_owned());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let mut files = Vec::new();
    for a in args.iter().filter(|a| *a != "--json") {
        collect(Path::new(a), &mut files);
    }
    let mut stats = ParseStats::default();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            eprintln!("cannot read {}", file.display());
            continue;
        };
        let parsed = parse(&text);
        for d in &parsed.diagnostics {
            eprintln!(
                "{}",
                d.clone()
                    .locate(file.display().to_string(), &text)
                    .render(false)
            );
        }
        if parsed.diagnostics.is_empty() {
            let printed = print(&parsed.pipeline);
            let again = parse(&printed);
            if !again.diagnostics.is_empty() || print(&again.pipeline) != printed {
                eprintln!("{}: does not round-trip: {printed}", file.display());
            }
        }
        stats.add(&parsed);
    }
    if json {
        println!("{}", stats.render_json());
    } else {
        print!("{}", stats.render_text());
    }
}
