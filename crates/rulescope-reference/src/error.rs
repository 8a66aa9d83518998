//! The one error type of the crate: a reference file that could not be read or understood.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why a reference file could not be loaded: which file, where, what, and what to do.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    /// 1-based line of the problem, when known.
    pub line: Option<u64>,
    pub what: String,
    pub hint: Option<String>,
}

impl LoadError {
    pub(crate) fn new(path: &Path, line: Option<u64>, what: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            line,
            what: what.into(),
            hint: None,
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn io(path: &Path, err: &std::io::Error) -> Self {
        Self::new(path, None, format!("cannot read the file: {err}"))
            .with_hint("check the path given on the command line")
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.what)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}
