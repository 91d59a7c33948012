//! Builds the margin program's IDL the way `anchor idl build` does (the program's `idl-build`
//! feature prints it from `cargo test`), so no SBF toolchain is needed.

use std::path::{Path, PathBuf};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

pub fn committed_idl_path() -> PathBuf {
    workspace_root().join("idl/margin.json")
}

/// The IDL as pretty JSON with a trailing newline, exactly as committed.
pub fn build_idl_json() -> String {
    let root = workspace_root();
    // A separate target dir: the nested `cargo test` must not wait on an outer cargo's lock, and
    // its feature set (`idl-build`) must not invalidate the main build. anchor-lang-idl forwards a
    // set RUSTUP_TOOLCHAIN as a literal `+{toolchain}` argument, so it is cleared.
    std::env::set_var("CARGO_TARGET_DIR", root.join("target/idl-build"));
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    // A one-shot build whose binaries only print the IDL: no debug info, no incremental state.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "0");
    std::env::set_var("CARGO_INCREMENTAL", "0");
    let idl = anchor_lang_idl::build::IdlBuilder::new()
        .program_path(root.join("programs/margin"))
        .resolution(true)
        .skip_lint(false)
        .no_docs(false)
        .build()
        .expect("building the IDL failed");
    let mut json = serde_json::to_string_pretty(&idl).expect("IDL serializes");
    json.push('\n');
    json
}
