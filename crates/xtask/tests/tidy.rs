//! Holds the workspace to its rules (see `mesos_xtask::tidy`): run by
//! `cargo test`, it lists every violation with its file and line.

use std::path::{Path, PathBuf};

use mesos_xtask::tidy::{self, Violation};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace root")
}

fn report(found: Vec<Violation>) {
    if !found.is_empty() {
        let lines: Vec<String> = found.iter().map(ToString::to_string).collect();
        panic!("{} tidy violation(s):\n{}", found.len(), lines.join("\n"));
    }
}

#[test]
fn source_files_are_documented_small_and_say_agent() {
    let root = root();
    let mut found = Vec::new();
    for path in tidy::rust_files(&root) {
        let file = path.strip_prefix(&root).unwrap_or(&path).display().to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        found.extend(tidy::module_doc(&file, &text));
        found.extend(tidy::length(&file, &text));
        found.extend(tidy::says_agent(&file, &text));
    }
    report(found);
}

#[test]
fn pure_crates_do_no_io_read_no_clock_and_keep_no_globals() {
    let root = root();
    let pure_dirs = ["proto", "resources", "allocator", "registry", "master-core", "agent-core"];
    let mut found = Vec::new();
    for path in tidy::rust_files(&root) {
        let Some(dir) = tidy::crate_dir(&root, &path) else { continue };
        // Unit-test directories (`src/tests/`) may read their environment.
        let inside = path.strip_prefix(root.join("crates").join(&dir)).ok();
        let in_src = inside.is_some_and(|p| p.starts_with("src") && !p.starts_with("src/tests"));
        if !pure_dirs.contains(&dir.as_str()) || !in_src {
            continue;
        }
        let file = path.strip_prefix(&root).unwrap_or(&path).display().to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        found.extend(tidy::pure_code(&file, &text));
    }
    report(found);
}

#[test]
fn dependencies_point_down_and_clients_never_link_servers() {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    report(tidy::layering(&metadata));
}
