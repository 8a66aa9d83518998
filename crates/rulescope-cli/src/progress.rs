//! Progress bars on a terminal, nothing when output is piped or the run is quiet.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::Verbosity;

/// A bar over `total` items; hidden unless stderr is a terminal.
pub fn bar(total: usize, what: &str, verbosity: Verbosity) -> ProgressBar {
    if verbosity == Verbosity::Quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    // The template is a constant, so this only fails if it is edited wrongly.
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}
