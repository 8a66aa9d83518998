//! Rebuilds the catalog when a rule file changes: file events are debounced, and the
//! rebuild runs on a thread of its own, never on a request's.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};

use crate::Live;

/// Watches while it lives.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher>,
}

/// Watches `paths` (rule files or directories) and rebuilds `live` after changes settle for
/// `debounce`. Events that arrive during a rebuild cause one more rebuild, not one each.
pub fn watch(live: Arc<Live>, paths: &[PathBuf], debounce: Duration) -> anyhow::Result<Watcher> {
    let (tx, rx) = mpsc::channel::<()>();
    let mut debouncer = new_debouncer(debounce, move |result: DebounceEventResult| match result {
        Ok(events) if events.iter().any(|e| is_rule_change(&e.path)) => {
            // The receiver only goes away with the process.
            let _ = tx.send(());
        }
        Ok(_) => {}
        Err(error) => tracing::warn!("watching rule files: {error}"),
    })
    .context("starting the file watcher")?;
    for path in paths {
        let mode = if path.is_dir() {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        debouncer
            .watcher()
            .watch(path, mode)
            .with_context(|| format!("watching {}", path.display()))?;
    }
    std::thread::Builder::new()
        .name("rulescope-rebuild".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                // A failure is logged and kept by `rebuild`; the old catalog stays served.
                let _ = live.rebuild();
            }
        })
        .context("starting the rebuild thread")?;
    Ok(Watcher {
        _debouncer: debouncer,
    })
}

/// Rule files, and paths without an extension (a directory created, moved or removed).
/// Editors' swap and backup files are not.
fn is_rule_change(path: &Path) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => ext.eq_ignore_ascii_case("yml") || ext.eq_ignore_ascii_case("yaml"),
        None => !path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with('~') || n.starts_with(".#")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rule_files_and_directories_trigger() {
        assert!(is_rule_change(Path::new("/c/detections/a/rule.yml")));
        assert!(is_rule_change(Path::new("/c/detections/a/RULE.YAML")));
        assert!(is_rule_change(Path::new("/c/detections/new_dir")));
        for quiet in [
            "/c/a/rule.yml.swp",
            "/c/a/rule.yml~",
            "/c/a/.#rule",
            "/c/README.md",
        ] {
            assert!(!is_rule_change(Path::new(quiet)), "{quiet}");
        }
    }
}
