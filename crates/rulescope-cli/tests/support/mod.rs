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

/// Copies a directory tree (rule folders of the examples) into `to`.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
