//! The POSIX containerizer: each executor is a process in a new session,
//! working in its sandbox, with its output in `stdout` and `stderr` there.
//! Destroying a container kills every process of that session, so tasks the
//! executor started in process groups of their own die with it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::process::kill_session;

/// The program, arguments and environment of an executor.
#[derive(Debug, Clone)]
pub struct ExecutorCommand {
    pub program: String,
    /// `argv[0]` as the program will see it.
    pub argv0: Option<String>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// Running containers by id, with the session each one leads.
#[derive(Debug, Clone, Default)]
pub struct PosixContainerizer {
    sessions: Arc<Mutex<HashMap<String, i32>>>,
}

impl PosixContainerizer {
    pub fn new() -> PosixContainerizer {
        PosixContainerizer::default()
    }

    /// Starts the executor in a new session; returns the process to wait on.
    pub fn launch(
        &self,
        container_id: &str,
        sandbox: &Path,
        command: &ExecutorCommand,
    ) -> std::io::Result<tokio::process::Child> {
        let stdout = std::fs::OpenOptions::new().create(true).append(true).open(sandbox.join("stdout"))?;
        let stderr = std::fs::OpenOptions::new().create(true).append(true).open(sandbox.join("stderr"))?;
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
        let child = process.spawn()?;
        if let Some(pid) = child.id() {
            self.sessions.lock().expect("containerizer lock").insert(container_id.to_owned(), pid as i32);
        }
        Ok(child)
    }

    /// Takes charge of a container found running after an agent restart.
    pub fn adopt(&self, container_id: &str, pid: u32) {
        self.sessions.lock().expect("containerizer lock").insert(container_id.to_owned(), pid as i32);
    }

    /// Kills every process of the container's session.
    pub fn destroy(&self, container_id: &str) {
        let session = self.sessions.lock().expect("containerizer lock").get(container_id).copied();
        if let Some(session) = session {
            kill_session(session);
        }
    }

    /// Forgets a container once its executor is reaped, killing whatever its
    /// executor left behind in the session.
    pub fn forget(&self, container_id: &str) {
        if let Some(session) = self.sessions.lock().expect("containerizer lock").remove(container_id) {
            kill_session(session);
        }
    }
}

#[allow(unsafe_code)]
fn new_session(process: &mut tokio::process::Command) {
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed; setsid(2) is one and touches no
    // memory of the parent.
    unsafe {
        process.pre_exec(|| nix::unistd::setsid().map(|_| ()).map_err(std::io::Error::from));
    }
}
