//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `ppe` binary built for these tests.
pub fn ppe_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ppe"))
}

/// Runs `ppe` with arguments; returns the output (never panics on failure exit).
pub fn ppe(args: &[&str]) -> Output {
    Command::new(ppe_bin()).args(args).env("PPE_LOG", "warn").output().expect("run ppe")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A fresh hub folder (`ppe hub init`); returns the path of its hub.toml.
pub fn init_hub(dir: &Path) -> PathBuf {
    let hub = dir.join("hub");
    let o = ppe(&["hub", "init", "--dir", hub.to_str().unwrap()]);
    assert!(o.status.success(), "hub init: {}", stderr(&o));
    hub.join("hub.toml")
}

/// Whether a program is on PATH (tests that need a system part install it in .ci/run).
pub fn have(program: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {program}")).output().map(|o| o.status.success()).unwrap_or(false)
}
