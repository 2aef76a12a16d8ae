//! Facts about processes read from `/proc`: whether a process still runs
//! (a zombie counts as gone: nothing may reap orphans here), when it
//! started, and which processes share a session.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The fields of `/proc/<pid>/stat` after the command name.
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    Some(after_name.split_whitespace().map(str::to_owned).collect())
}

/// The process's start time in clock ticks after boot.
pub fn start_time(pid: u32) -> Option<u64> {
    stat_fields(pid as i32)?.get(19)?.parse().ok()
}

/// Whether `pid` runs and is the process that started at `start_time`.
pub fn is_running(pid: u32, start_time: Option<u64>) -> bool {
    let Some(fields) = stat_fields(pid as i32) else { return false };
    let state = fields.first().map(String::as_str).unwrap_or("X");
    if state == "Z" || state == "X" {
        return false;
    }
    match start_time {
        Some(expected) => fields.get(19).and_then(|t| t.parse::<u64>().ok()) == Some(expected),
        None => true,
    }
}

/// Processes whose session id is `session` (field 6 of `stat`).
pub fn session_members(session: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| stat_fields(*pid).and_then(|f| f.get(3)?.parse::<i32>().ok()) == Some(session))
        .collect()
}

/// SIGKILLs every process of a session.
pub fn kill_session(session: i32) {
    for pid in session_members(session) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_runs_and_a_wrong_start_time_does_not_match() {
        let pid = std::process::id();
        let started = start_time(pid).expect("start time of this process");
        assert!(is_running(pid, Some(started)));
        assert!(!is_running(pid, Some(started + 1)));
        assert!(!is_running(u32::MAX - 1, None));
    }
}
