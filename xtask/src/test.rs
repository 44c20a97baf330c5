//! `cargo xtask test`: every test, from a bare machine. Installs what is missing (the wasm
//! target here; Chromium, Node.js and the test driver in `e2e`), then runs the native tests and
//! the browser tests on the wasm build of the page.

use crate::util::{root, run};
use std::process::Command;

/// Adds the wasm32 target when rustup lacks it (a fresh machine does).
pub fn ensure_wasm_target() -> Result<(), String> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup not found: {e}"))?;
    if !String::from_utf8_lossy(&out.stdout).contains("wasm32-unknown-unknown") {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

pub fn main(_args: &[String]) -> Result<(), String> {
    let root = root();
    ensure_wasm_target()?;
    run(Command::new("cargo")
        .current_dir(&root)
        .args(["test", "--workspace", "--locked"]))?;
    // The browser tests build the page (the core and the app for wasm32, wasm-bindgen,
    // wasm-opt) and the release CLI they compare it with, then drive Debian's Chromium.
    crate::e2e::main(&[])?;
    eprintln!("xtask test: all tests passed");
    Ok(())
}
