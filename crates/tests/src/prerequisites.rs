//! What some end-to-end tests need beyond the built binaries: root, a
//! ZooKeeper installation, a running Docker Engine, Chromium. A test that
//! needs one says so twice: its name ends in `_needs_<what>` (for example
//! `..._needs_root`, `..._needs_root_and_zookeeper`), and its first line is
//! `mesos_tests::require!(Root, ZooKeeper; "why")`.
//!
//! When a prerequisite is missing the test returns at once and prints
//! `SKIPPED: <test> needs <what>: <why> (<what is missing>)` on the
//! terminal (past the test harness's output capture, so it shows in a
//! plain `cargo test`). With `MESOS_TESTS_REQUIRE_ALL=1` in the
//! environment, as `scripts/test.sh` sets it after installing everything,
//! a missing prerequisite fails the test instead: the full suite never
//! skips silently.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The environment variable under which nothing may be skipped.
pub const REQUIRE_ALL: &str = "MESOS_TESTS_REQUIRE_ALL";

/// Something a test needs from the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prerequisite {
    /// Running as root: cgroups, namespaces, overlayfs, network namespaces.
    Root,
    /// Debian's `zookeeper` package and a Java runtime.
    ZooKeeper,
    /// A Docker Engine that answers `docker info`.
    Docker,
    /// Debian's `chromium` and `chromium-driver`.
    Chromium,
}

impl Prerequisite {
    /// The word the test's name uses for it after `_needs_`.
    pub fn word(self) -> &'static str {
        match self {
            Prerequisite::Root => "root",
            Prerequisite::ZooKeeper => "zookeeper",
            Prerequisite::Docker => "docker",
            Prerequisite::Chromium => "chromium",
        }
    }

    /// What is missing, if anything.
    pub fn missing(self) -> Option<&'static str> {
        match self {
            Prerequisite::Root => (!nix::unistd::geteuid().is_root()).then_some("not running as root"),
            Prerequisite::ZooKeeper if !crate::zookeeper::available() => {
                Some("no /usr/share/java/zookeeper.jar (apt-get install zookeeper)")
            }
            Prerequisite::ZooKeeper => (!on_path("java")).then_some("no java on PATH (apt-get install zookeeper)"),
            Prerequisite::Docker if !on_path("docker") => Some("no docker command (apt-get install docker.io)"),
            Prerequisite::Docker => {
                let answers = Command::new("docker")
                    .arg("info")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                (!answers).then_some("dockerd does not answer `docker info` (scripts/start-docker.sh starts it)")
            }
            Prerequisite::Chromium => (!crate::webdriver::available())
                .then_some("no /usr/bin/chromium or /usr/bin/chromedriver (apt-get install chromium chromium-driver)"),
        }
    }
}

/// Whether `test` can run: true when every prerequisite is there. When one
/// is missing, prints why and returns false, or panics under
/// [`REQUIRE_ALL`]. Panics when the test's name does not say what it needs.
pub fn met(test: &str, needs: &[Prerequisite], why: &str) -> bool {
    let said = said_in_name(test);
    for need in needs {
        assert!(
            said.contains(&need.word()),
            "{test} needs {}: its name must say so (end it in `_needs_{}`, joining several with `_and_`)",
            need.word(),
            need.word()
        );
    }
    let Some((need, missing)) = needs.iter().find_map(|need| need.missing().map(|missing| (need, missing))) else {
        return true;
    };
    let message = format!("{test} needs {}: {why} ({missing})", need.word());
    if require_all() {
        panic!("{message}; {REQUIRE_ALL} is set, so a missing prerequisite is a failure");
    }
    // Straight to the terminal: the test harness captures eprintln! of
    // passing tests.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {message}");
    false
}

/// The words after the last `_needs_` of a test's name, split at `_and_`.
fn said_in_name(test: &str) -> Vec<&str> {
    test.rsplit_once("_needs_").map(|(_, words)| words.split("_and_").collect()).unwrap_or_default()
}

/// Whether [`REQUIRE_ALL`] is set (to anything but empty or `0`).
pub fn require_all() -> bool {
    std::env::var(REQUIRE_ALL).is_ok_and(|value| !value.is_empty() && value != "0")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| Path::new(&dir).join(program).is_file()))
}

/// The path of the enclosing test function, without the test binary's
/// crate name (as the test harness prints it).
#[macro_export]
macro_rules! test_name {
    () => {{
        fn here() {}
        fn name_of<T>(_: T) -> &'static str {
            std::any::type_name::<T>()
        }
        let path = name_of(here).trim_end_matches("::here").replace("::{{closure}}", "");
        path.split_once("::").map_or(path.clone(), |(_, rest)| rest.to_owned())
    }};
}

/// Returns from the enclosing test, with a visible `SKIPPED:` line, unless
/// the machine has what it needs: `require!(Root, ZooKeeper; "why")`.
/// Under `MESOS_TESTS_REQUIRE_ALL=1` a missing prerequisite fails instead.
#[macro_export]
macro_rules! require {
    ($($need:ident),+ ; $why:expr) => {
        if !$crate::prerequisites::met(
            &$crate::test_name!(),
            &[$($crate::prerequisites::Prerequisite::$need),+],
            $why,
        ) {
            return;
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_says_its_needs_after_needs_joined_with_and() {
        assert_eq!(said_in_name("ha::a_leader_stops_needs_root_and_zookeeper"), ["root", "zookeeper"]);
        assert_eq!(said_in_name("gpus_need_the_isolator_needs_root"), ["root"]);
        assert!(said_in_name("plain").is_empty());
    }

    #[test]
    #[should_panic(expected = "its name must say so")]
    fn a_test_whose_name_hides_a_need_fails() {
        met("module::a_plain_name", &[Prerequisite::Root], "why");
    }

    #[test]
    fn the_test_name_is_the_functions_path() {
        assert_eq!(crate::test_name!(), "prerequisites::tests::the_test_name_is_the_functions_path");
    }
}
