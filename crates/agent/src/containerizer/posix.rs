//! The POSIX launcher: each executor is a process in a new session,
//! working in its sandbox, with its output in `stdout` and `stderr` there.
//! Destroying a container kills every process of that session, so tasks the
//! executor started in process groups of their own die with it (a process
//! that starts a session of its own escapes; the Linux launcher catches it).

use std::path::Path;

/// The program, arguments and environment of an executor.
#[derive(Debug, Clone)]
pub struct ExecutorCommand {
    pub program: String,
    /// `argv[0]` as the program will see it.
    pub argv0: Option<String>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// The sandbox's `stdout` and `stderr` files, opened for appending.
pub fn output_files(sandbox: &Path) -> std::io::Result<(std::fs::File, std::fs::File)> {
    let open = |name: &str| std::fs::OpenOptions::new().create(true).append(true).open(sandbox.join(name));
    Ok((open("stdout")?, open("stderr")?))
}

/// Starts `command` in a new session in `sandbox`; returns the process to
/// wait on.
pub fn spawn(sandbox: &Path, command: &ExecutorCommand) -> std::io::Result<tokio::process::Child> {
    let (stdout, stderr) = output_files(sandbox)?;
    let mut process = tokio::process::Command::new(&command.program);
    if let Some(argv0) = &command.argv0 {
        process.arg0(argv0);
    }
    process
        .args(&command.args)
        .env_clear()
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .current_dir(sandbox)
        .stdin(std::process::Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .kill_on_drop(false);
    new_session(&mut process);
    process.spawn()
}

#[allow(unsafe_code)]
pub fn new_session(process: &mut tokio::process::Command) {
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed; setsid(2) is one and touches no
    // memory of the parent.
    unsafe {
        process.pre_exec(|| nix::unistd::setsid().map(|_| ()).map_err(std::io::Error::from));
    }
}
