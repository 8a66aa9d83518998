//! Shared by the CLI tests: running the binary and finding the bundled examples.

#![allow(dead_code)] // each test file uses the helpers it needs

use std::path::PathBuf;
use std::process::{Command, Output};

/// A folder of the bundled example corpus (`armory`, `broken`), as a string argument.
pub fn examples(sub: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(sub)
        .to_string_lossy()
        .into_owned()
}

/// Runs `rulescope` with `args` and collects its output.
pub fn rulescope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulescope"))
        .args(args)
        .output()
        .expect("run rulescope")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard output of a run that must succeed; the failure shows its standard error.
pub fn success_stdout(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(output)
}
