//! The task's process: started in its own process group so that a kill
//! reaches everything it started, and described the way Mesos describes how
//! a command ended.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use mesos_proto::v1::CommandInfo;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Starts the command: `sh -c value` for shell commands, otherwise `value`
/// with `arguments` as argv (the first being argv[0]). The task inherits the
/// executor's environment and output files, plus its own variables.
pub fn spawn(command: &CommandInfo) -> std::io::Result<tokio::process::Child> {
    spawn_in(command, None)
}

/// An image's root file system the task runs in (`--rootfs`), already
/// mounted by the agent's helper in this executor's mount namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rootfs {
    pub root: std::path::PathBuf,
    /// The task's working directory inside it.
    pub working_dir: std::path::PathBuf,
}

/// [`spawn`], changing the task's root to `rootfs` first when given.
pub fn spawn_in(command: &CommandInfo, rootfs: Option<&Rootfs>) -> std::io::Result<tokio::process::Child> {
    let mut process = if command.shell() {
        let mut process = tokio::process::Command::new("/bin/sh");
        process.arg("-c").arg(command.value.clone().unwrap_or_default());
        process
    } else {
        let mut process = tokio::process::Command::new(command.value.clone().unwrap_or_default());
        let mut arguments = command.arguments.iter();
        if let Some(argv0) = arguments.next() {
            process.arg0(argv0);
        }
        process.args(arguments);
        process
    };
    for variable in command.environment.iter().flat_map(|e| &e.variables) {
        if let Some(value) = &variable.value {
            process.env(&variable.name, value);
        }
    }
    process.process_group(0).kill_on_drop(true).stdin(std::process::Stdio::null());
    if let Some(rootfs) = rootfs {
        use std::os::unix::ffi::OsStrExt;
        let root = std::ffi::CString::new(rootfs.root.as_os_str().as_bytes())?;
        let working_dir = std::ffi::CString::new(rootfs.working_dir.as_os_str().as_bytes())?;
        let fallback = c"/";
        // SAFETY: the closure runs in the child between fork and exec; it
        // only makes the chroot and chdir system calls on strings made
        // beforehand, allocating nothing.
        #[allow(unsafe_code)]
        unsafe {
            process.pre_exec(move || {
                nix::unistd::chroot(root.as_c_str())?;
                if nix::unistd::chdir(working_dir.as_c_str()).is_err() {
                    nix::unistd::chdir(fallback)?;
                }
                Ok(())
            });
        }
    }
    process.spawn()
}

/// Sends `signal` to the task's process group.
pub fn signal_group(pid: u32, signal: Signal) {
    let _ = killpg(Pid::from_raw(pid as i32), signal);
}

/// "Command exited with status N" or "Command terminated with signal X".
pub fn describe(status: &ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("Command exited with status {code}"),
        (None, Some(signal)) => {
            let name = Signal::try_from(signal)
                .map(|s| s.as_str().trim_start_matches("SIG").to_owned())
                .unwrap_or_else(|_| signal.to_string());
            format!("Command terminated with signal {name}")
        }
        (None, None) => "Command terminated".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_exits_as_mesos_does() {
        assert_eq!(describe(&ExitStatus::from_raw(1 << 8)), "Command exited with status 1");
        assert_eq!(describe(&ExitStatus::from_raw(15)), "Command terminated with signal TERM");
    }
}
