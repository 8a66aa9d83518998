//! Rebuilds the catalog when a rule file changes: file events are debounced, and the
//! rebuild runs on a thread of its own, never on a request's.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::Live;

/// Watches while it lives.
pub struct Watcher {
    _watcher: RecommendedWatcher,
}

/// Watches `paths` (rule files or directories) and rebuilds `live` once changes have settled
/// for `debounce`. Events that arrive during a rebuild cause one more rebuild, not one each.
pub fn watch(live: Arc<Live>, paths: &[PathBuf], debounce: Duration) -> anyhow::Result<Watcher> {
    let (tx, rx) = mpsc::channel::<()>();
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<Event>| {
        match result {
            Ok(event) if is_change(&event) => {
                // The receiver only goes away with the process.
                let _ = tx.send(());
            }
            Ok(_) => {}
            Err(error) => tracing::warn!("watching rule files: {error}"),
        }
    })
    .context("starting the file watcher")?;
    for path in paths {
        let mode = if path.is_dir() {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        watcher
            .watch(path, mode)
            .with_context(|| format!("watching {}", path.display()))?;
    }
    std::thread::Builder::new()
        .name("rulescope-rebuild".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                // Debounce: wait until no change came for `debounce` (an editor's save is
                // several events; a checkout is thousands).
                while rx.recv_timeout(debounce).is_ok() {}
                // A failure is logged and kept by `rebuild`; the old catalog stays served.
                let _ = live.rebuild();
            }
        })
        .context("starting the rebuild thread")?;
    Ok(Watcher { _watcher: watcher })
}

/// A rule file or directory created, written, renamed or removed. Reads are not changes:
/// the rebuild itself opens every rule file and directory, and must not trigger another.
fn is_change(event: &Event) -> bool {
    matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any
    ) && event.paths.iter().any(|p| is_rule_change(p))
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
    fn reads_do_not_trigger() {
        use notify::event::{AccessKind, CreateKind, ModifyKind};
        let on = |kind| Event::new(kind).add_path(PathBuf::from("/c/detections/a/rule.yml"));
        assert!(is_change(&on(EventKind::Modify(ModifyKind::Any))));
        assert!(is_change(&on(EventKind::Create(CreateKind::File))));
        assert!(!is_change(&on(EventKind::Access(AccessKind::Any))));
        let dir = Event::new(EventKind::Access(AccessKind::Any)).add_path("/c/detections".into());
        assert!(!is_change(&dir));
    }

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
