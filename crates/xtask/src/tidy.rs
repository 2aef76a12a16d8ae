//! The tidy rules, each a pure function over file text or `cargo
//! metadata`'s JSON that returns what breaks it; `tests/tidy.rs` feeds them
//! the workspace.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::lexer::code_only;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub file: String,
    /// 1-based; 0 when the rule is about the whole file or a crate.
    pub line: usize,
    pub rule: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: [{}] {}", self.file, self.line, self.rule, self.detail)
    }
}

/// Crates that decide and never act: no I/O, no clock, no global state.
pub const PURE_CRATES: &[&str] =
    &["mesos-proto", "mesos-resources", "mesos-allocator", "mesos-registry", "mesos-master-core", "mesos-agent-core"];

/// Longest a source file may grow; past it, it usually holds two things.
pub const MAX_LINES: usize = 650;

/// Where each crate sits: a crate may depend only on crates of a lower
/// layer. Development crates (`None`) may depend on anything.
pub fn layer(krate: &str) -> Option<u8> {
    Some(match krate {
        "mesos-proto" | "mesos-flags" => 0,
        "mesos-resources" => 1,
        "mesos-registry" | "mesos-allocator" => 2,
        "mesos-master-core" | "mesos-agent-core" => 3,
        "mesos-http" | "mesos-zk" | "mesos-registry-store" => 4,
        "mesos-client" => 5,
        "mesos-docker" | "mesos-executor" | "mesos-tools" | "mesos-cli" | "mesos-master" => 6,
        "mesos-agent" => 7,
        "mesos-local" => 8,
        _ => return None,
    })
}

/// Crates of the servers' insides, which clients and frameworks never link.
const SERVER_CRATES: &[&str] =
    &["mesos-master", "mesos-agent", "mesos-master-core", "mesos-agent-core", "mesos-allocator"];
const CLIENT_CRATES: &[&str] = &["mesos-client", "mesos-executor", "mesos-tools", "mesos-cli", "mesos-docker"];

/// External crates a pure crate may not use.
const IMPURE_DEPENDENCIES: &[&str] =
    &["tokio", "hyper", "hyper-util", "axum", "redb", "zookeeper-client", "bollard", "nix", "libc", "tempfile"];

/// Code a pure crate may not contain, and why.
const IMPURE_CODE: &[(&str, &str)] = &[
    ("std::fs", "touches the disk"),
    ("TcpStream", "opens sockets"),
    ("TcpListener", "opens sockets"),
    ("UdpSocket", "opens sockets"),
    ("to_socket_addrs", "resolves names"),
    ("std::process", "starts processes"),
    ("std::env", "reads the environment"),
    ("tokio::", "runs on an async runtime"),
    ("Instant::now", "reads the clock"),
    ("SystemTime::now", "reads the clock"),
    ("thread_local!", "keeps global state"),
    ("static mut", "keeps global state"),
    ("lazy_static", "keeps global state"),
    ("OnceLock", "keeps global state"),
    ("rand::rng()", "draws unseeded randomness"),
    ("thread_rng", "draws unseeded randomness"),
    ("rand::random", "draws unseeded randomness"),
];

/// Every `.rs` file of the workspace's crates (sources, tests, benches,
/// examples, build scripts), sorted.
pub fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.join("crates")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') && name != "node_modules" {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The crate directory (`crates/<dir>`) a file belongs to.
pub fn crate_dir(root: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(root.join("crates")).ok()?;
    relative.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned())
}

/// The file opens with a module doc comment (`//!`) saying what it owns.
pub fn module_doc(file: &str, text: &str) -> Option<Violation> {
    let first = text.lines().find(|line| !line.trim().is_empty() && !line.trim_start().starts_with("#!["));
    if first.is_some_and(|line| line.trim_start().starts_with("//!")) {
        return None;
    }
    Some(Violation {
        file: file.into(),
        line: 1,
        rule: "module-doc",
        detail: "no `//!` doc saying what the file owns".into(),
    })
}

/// The file is not longer than [`MAX_LINES`].
pub fn length(file: &str, text: &str) -> Option<Violation> {
    let lines = text.lines().count();
    (lines > MAX_LINES).then(|| Violation {
        file: file.into(),
        line: 0,
        rule: "file-length",
        detail: format!("{lines} lines (at most {MAX_LINES}): it likely holds two things; split it"),
    })
}

/// Names of other software's APIs that the code must spell as they are.
const FOREIGN_NAMES: &[&str] = &["MS_SLAVE"];

/// `slave` appears only in wire names (string literals) and in other
/// software's API names, never in the code's own names: inside the code
/// it is an agent.
pub fn says_agent(file: &str, text: &str) -> Vec<Violation> {
    code_only(text)
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let mut line = line.to_string();
            for name in FOREIGN_NAMES {
                line = line.replace(name, "");
            }
            line.to_ascii_lowercase().contains("slave")
        })
        .map(|(index, line)| Violation {
            file: file.into(),
            line: index + 1,
            rule: "agent-not-slave",
            detail: format!("`slave` in code outside a wire name: {}", line.trim()),
        })
        .collect()
}

/// A pure crate's source does no I/O, reads no clock and keeps no global.
pub fn pure_code(file: &str, text: &str) -> Vec<Violation> {
    let code = code_only(text);
    let mut found = Vec::new();
    for (index, line) in code.lines().enumerate() {
        for (pattern, why) in IMPURE_CODE {
            if line.contains(pattern) {
                found.push(Violation {
                    file: file.into(),
                    line: index + 1,
                    rule: "pure-core",
                    detail: format!("`{pattern}` {why}; a pure crate takes what it needs as input"),
                });
            }
        }
        let trimmed = line.trim_start();
        let global = (trimmed.starts_with("static ") || trimmed.starts_with("pub static "))
            && ["Atomic", "Mutex", "RwLock", "Cell<"].iter().any(|t| line.contains(t));
        if global {
            found.push(Violation {
                file: file.into(),
                line: index + 1,
                rule: "pure-core",
                detail: "a mutable static keeps global state; make it an input".into(),
            });
        }
    }
    found
}

/// Dependencies point downward, clients never link servers' insides, and
/// pure crates use no I/O crate; from `cargo metadata --format-version 1`.
pub fn layering(metadata: &serde_json::Value) -> Vec<Violation> {
    let mut found = Vec::new();
    let packages = metadata["packages"].as_array().map(Vec::as_slice).unwrap_or_default();
    let members: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    for package in packages {
        let Some(name) = package["name"].as_str() else { continue };
        let dependencies = package["dependencies"].as_array().map(Vec::as_slice).unwrap_or_default();
        for dependency in dependencies {
            let Some(dep) = dependency["name"].as_str() else { continue };
            let normal = dependency["kind"].is_null();
            let mut broken = |detail: String| {
                found.push(Violation { file: format!("crates of {name}"), line: 0, rule: "layering", detail })
            };
            if members.contains(&dep) && normal {
                match (layer(name), layer(dep)) {
                    (Some(mine), Some(theirs)) if theirs >= mine => broken(format!(
                        "{name} (layer {mine}) depends on {dep} (layer {theirs}): dependencies point down"
                    )),
                    (Some(_), None) => broken(format!("{name} depends on the development crate {dep}")),
                    _ => {}
                }
                if CLIENT_CRATES.contains(&name) && SERVER_CRATES.contains(&dep) {
                    broken(format!("the client crate {name} links the server crate {dep}"));
                }
            }
            if PURE_CRATES.contains(&name) && normal && IMPURE_DEPENDENCIES.contains(&dep) {
                broken(format!("the pure crate {name} depends on {dep}"));
            }
        }
        if layer(name).is_none() && !["mesos-sim", "mesos-tests", "mesos-xtask"].contains(&name) {
            found.push(Violation {
                file: format!("crates of {name}"),
                line: 0,
                rule: "layering",
                detail: format!("{name} has no layer: give it one in mesos_xtask::tidy::layer"),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_catches_what_it_is_for() {
        assert!(module_doc("a.rs", "use x;\n").is_some());
        assert!(module_doc("a.rs", "#![allow(x)]\n//! Owns x.\n").is_none());
        assert!(length("a.rs", &"x\n".repeat(MAX_LINES + 1)).is_some());
        assert_eq!(says_agent("a.rs", "let slave_id = 1;\nlet k = \"slave_id\";\nlet f = MS_SLAVE;").len(), 1);
        let impure = "use std::fs;\nfn now() { Instant::now(); }\nstatic COUNT: AtomicU64 = AtomicU64::new(0);";
        assert_eq!(pure_code("a.rs", impure).len(), 3);
        assert!(pure_code("a.rs", "// std::fs in a comment\nlet s = \"std::net\";").is_empty());
        let metadata = serde_json::json!({"packages": [
            {"name": "mesos-proto", "dependencies": [{"name": "mesos-master", "kind": null}, {"name": "tokio", "kind": null}]},
            {"name": "mesos-master", "dependencies": []},
            {"name": "mesos-master-core", "dependencies": []},
            {"name": "mesos-client", "dependencies": [{"name": "mesos-master-core", "kind": null}]},
        ]});
        let broken = layering(&metadata);
        assert_eq!(broken.len(), 3, "{broken:?}");
    }
}
