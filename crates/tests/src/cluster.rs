//! A cluster of real processes for one test: a master and agents on
//! loopback ports they bound themselves, their logs in the test's
//! temporary directory (shown when the test fails), all of it killed on
//! drop, executors included.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::wait::{DEADLINE, until};
use crate::{binary, ports};

/// Resources every test agent offers unless told otherwise.
pub const AGENT_RESOURCES: &str = "cpus:4;mem:4096;disk:4096;ports:[31000-31999]";

/// A daemon process and its log file. It binds a port the kernel picks
/// (`--port=0`) and says which in its `--port_file`; restarted, it takes
/// the same port again, as an agent must to recover.
pub struct Daemon {
    pub name: String,
    program: String,
    /// Runs the program inside this network namespace.
    netns: Option<String>,
    child: Option<Child>,
    pub log: PathBuf,
    /// The port it listens on: the one it bound at its first start.
    pub port: u16,
    port_file: PathBuf,
    pub work_dir: PathBuf,
    args: Vec<String>,
    /// Extra environment variables.
    env: Vec<(String, String)>,
}

impl Daemon {
    /// Starts `program` (a workspace binary) with `args` (no `--port`),
    /// logging to `<logs>/<name>.log`; returns once it listens.
    pub async fn spawn(program: &str, name: &str, work_dir: PathBuf, args: Vec<String>, logs: &Path) -> Daemon {
        Daemon::spawn_in(None, program, name, work_dir, args, logs).await
    }

    /// Like [`Daemon::spawn`], inside a network namespace when given.
    pub async fn spawn_in(
        netns: Option<&str>,
        program: &str,
        name: &str,
        work_dir: PathBuf,
        args: Vec<String>,
        logs: &Path,
    ) -> Daemon {
        Daemon::new(netns, program, name, work_dir, args, &[], logs).listening().await
    }

    /// Like [`Daemon::spawn`], with extra environment variables.
    pub async fn spawn_with_env(
        program: &str,
        name: &str,
        work_dir: PathBuf,
        args: Vec<String>,
        env: &[(&str, &str)],
        logs: &Path,
    ) -> Daemon {
        Daemon::new(None, program, name, work_dir, args, env, logs).listening().await
    }

    fn new(
        netns: Option<&str>,
        program: &str,
        name: &str,
        work_dir: PathBuf,
        args: Vec<String>,
        env: &[(&str, &str)],
        logs: &Path,
    ) -> Daemon {
        Daemon {
            name: name.to_owned(),
            program: program.to_owned(),
            netns: netns.map(str::to_owned),
            child: None,
            log: logs.join(format!("{name}.log")),
            port: 0,
            port_file: logs.join(format!("{name}.port")),
            work_dir,
            args,
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// Starts it on port 0 and learns the port it bound.
    async fn listening(mut self) -> Daemon {
        self.start(&[]);
        let child = self.child.as_mut().expect("just started");
        self.port = ports::from_port_file(child, &self.port_file, &self.name, &self.log).await;
        self
    }

    /// Runs the program: on port 0 the first time, then on the port it bound.
    fn start(&mut self, extra: &[&str]) {
        let program = self.program.clone();
        let _ = std::fs::remove_file(&self.port_file);
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("log file");
        let mut command = match &self.netns {
            Some(netns) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", netns]).arg(binary(&program));
                command
            }
            None => Command::new(binary(&program)),
        };
        let child = command
            .args(&self.args)
            .args(extra)
            .arg(format!("--port={}", self.port))
            .arg(format!("--port_file={}", self.port_file.display()))
            .env("MESOS_LOGGING_LEVEL", "debug,hyper=info,h2=info,bollard=info,zookeeper_client::session=info")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        self.child = Some(child);
    }

    /// The arguments it runs with.
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// `kill -9` the process.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again with its flags (plus `extra`) on the port
    /// it bound first, after a kill.
    pub fn restart(&mut self, extra: &[&str]) {
        self.kill();
        self.start(extra);
    }

    /// Waits for the process to exit; returns its exit code.
    pub fn wait(&mut self) -> Option<i32> {
        self.child.take().and_then(|mut c| c.wait().ok()).and_then(|s| s.code())
    }

    /// The process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Sends `signal` to the process (SIGTERM, as a service manager stops it).
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        if let Some(pid) = self.pid().and_then(|pid| i32::try_from(pid).ok()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal);
        }
    }

    /// Polls until the process exits, for at most `deadline`; its exit
    /// status, or `None` if it still runs (it is then left running).
    pub async fn exited_within(&mut self, deadline: std::time::Duration) -> Option<std::process::ExitStatus> {
        let start = tokio::time::Instant::now();
        loop {
            let status = self.child.as_mut()?.try_wait().ok().flatten();
            if let Some(status) = status {
                self.child = None;
                return Some(status);
            }
            if start.elapsed() > deadline {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The process's exit code once it ended.
    pub fn exit_code(&mut self) -> Option<i32> {
        self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()).and_then(|s| s.code())
    }

    /// The last lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A master and its agents.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    /// The address the master listens on.
    pub master_ip: String,
    pub master: Daemon,
    pub agents: Vec<Daemon>,
    http: mesos_http::client::Client,
}

impl Cluster {
    /// A master and `agents` agents with [`AGENT_RESOURCES`], all registered.
    pub async fn start(agents: usize) -> Cluster {
        Cluster::start_with(&[], agents, &[]).await
    }

    /// A cluster with extra master and agent flags.
    pub async fn start_with(master_flags: &[&str], agents: usize, agent_flags: &[&str]) -> Cluster {
        let mut cluster = Cluster::start_on("127.0.0.1", master_flags).await;
        for _ in 0..agents {
            cluster.add_agent(agent_flags).await;
        }
        cluster
    }

    /// A master listening on `ip`, without agents.
    pub async fn start_on(ip: &str, master_flags: &[&str]) -> Cluster {
        let dir = tempfile::Builder::new().prefix("mesos-e2e-").tempdir().expect("temporary directory");
        let work_dir = dir.path().join("master");
        let mut args =
            vec![format!("--ip={ip}"), format!("--hostname={ip}"), format!("--work_dir={}", work_dir.display())];
        args.extend(master_flags.iter().map(|f| f.to_string()));
        let master = Daemon::spawn("mesos-master", "master", work_dir, args, dir.path()).await;
        let cluster = Cluster {
            dir,
            master_ip: ip.to_owned(),
            master,
            agents: Vec::new(),
            http: mesos_http::client::Client::new().with_timeout(std::time::Duration::from_secs(10)),
        };
        let url = format!("http://{}/health", cluster.master_address());
        let http = cluster.http.clone();
        until("the master to answer /health", DEADLINE, || {
            let (http, url) = (http.clone(), url.clone());
            async move { http.get(&url).await.ok().map(|_| ()) }
        })
        .await;
        cluster
    }

    /// `<ip>:<port>` of the master.
    pub fn master_address(&self) -> String {
        format!("{}:{}", self.master_ip, self.master.port)
    }

    /// Starts one more agent and waits until the master lists it.
    pub async fn add_agent(&mut self, flags: &[&str]) -> usize {
        self.add_agent_in(None, flags).await
    }

    /// Starts an agent, inside `netns` if given (listening on its address).
    pub async fn add_agent_in(&mut self, netns: Option<&crate::netns::NetNs>, flags: &[&str]) -> usize {
        let index = self.agents.len();
        let work_dir = self.dir.path().join(format!("agent-{index}"));
        let ip = netns.map_or("127.0.0.1".to_owned(), |n| n.inner_ip.clone());
        let mut args = vec![
            format!("--master={}", self.master_address()),
            format!("--ip={ip}"),
            format!("--hostname={ip}"),
            format!("--work_dir={}", work_dir.display()),
            "--registration_backoff_factor=10ms".to_owned(),
            format!("--cgroups_root={}", cgroups_root(self.dir.path())),
        ];
        if !flags.iter().any(|f| f.starts_with("--resources")) {
            args.push(format!("--resources={AGENT_RESOURCES}"));
        }
        args.extend(flags.iter().map(|f| f.to_string()));
        let name = format!("agent-{index}");
        let netns = netns.map(|n| n.name.as_str());
        let agent = Daemon::spawn_in(netns, "mesos-agent", &name, work_dir, args, self.dir.path()).await;
        self.agents.push(agent);
        let expected = self.agents.len();
        self.wait_for_agents(expected).await;
        index
    }

    /// Waits until `count` agents are registered and active.
    pub async fn wait_for_agents(&self, count: usize) {
        until(&format!("{count} active agent(s)"), DEADLINE, || async move {
            let state = self.state().await;
            (state["activated_slaves"].as_u64() == Some(count as u64)).then_some(())
        })
        .await;
    }

    /// GET a JSON endpoint of the master.
    pub async fn get_json(&self, path: &str) -> Value {
        let url = format!("http://{}{path}", self.master_address());
        match self.http.get(&url).await {
            Ok((_, body)) => serde_json::from_slice(&body).unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }

    /// `/master/state`.
    pub async fn state(&self) -> Value {
        self.get_json("/master/state").await
    }

    /// The tasks of `/master/tasks` (all of them).
    pub async fn tasks(&self) -> Vec<Value> {
        self.get_json("/master/tasks?limit=-1").await["tasks"].as_array().cloned().unwrap_or_default()
    }

    /// The latest state of a task as the master reports it.
    pub async fn task_state(&self, task_id: &str) -> Option<String> {
        self.tasks().await.into_iter().find(|t| t["id"] == task_id).and_then(|t| t["state"].as_str().map(str::to_owned))
    }

    /// Logs of every daemon, for failure messages.
    pub fn logs(&self) -> String {
        std::iter::once(&self.master)
            .chain(&self.agents)
            .map(|d| format!("--- {} ---\n{}", d.name, d.log_tail(60)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
        for agent in &mut self.agents {
            agent.kill();
        }
        self.master.kill();
        kill_processes_under(self.dir.path());
        remove_cgroups(&cgroups_root(self.dir.path()));
        for agent in &self.agents {
            remove_docker_containers(&agent.work_dir);
        }
    }
}

/// Removes the Docker containers an agent with this work directory
/// started (none when Docker is not installed).
pub fn remove_docker_containers(work_dir: &Path) {
    let Ok(work_dir) = std::fs::canonicalize(work_dir) else { return };
    let label = format!("label=mesos.agent.work_dir={}", work_dir.display());
    let Ok(listed) = Command::new("docker").args(["ps", "-aq", "--filter", &label]).output() else { return };
    let ids: Vec<String> = String::from_utf8_lossy(&listed.stdout).split_whitespace().map(str::to_owned).collect();
    if !ids.is_empty() {
        let _ = Command::new("docker").args(["rm", "-f"]).args(&ids).output();
    }
}

/// The cgroup under which a test's agents put their containers' cgroups,
/// so that the test can remove what its killed agents left.
pub fn cgroups_root(dir: &Path) -> String {
    format!("mesos-e2e/{}", dir.file_name().and_then(|n| n.to_str()).unwrap_or("cluster"))
}

/// Removes the (empty) cgroups under `root` in every cgroup hierarchy.
pub fn remove_cgroups(root: &str) {
    let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") else { return };
    for hierarchy in hierarchies.flatten() {
        let dir = hierarchy.path().join(root);
        if let Ok(children) = std::fs::read_dir(&dir) {
            for child in children.flatten().filter(|c| c.path().is_dir()) {
                for _ in 0..100 {
                    if std::fs::remove_dir(child.path()).is_ok() || !child.path().exists() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
        }
        let _ = std::fs::remove_dir(&dir);
    }
}

/// Pids of processes under `dir` (by `MESOS_DIRECTORY`) whose environment
/// has `name=value` (for example `MESOS_EXECUTOR_ID=task`).
pub fn processes_with_env(dir: &Path, name: &str, value: &str) -> Vec<i32> {
    let sandbox = format!("MESOS_DIRECTORY={}", dir.display());
    let wanted = format!("{name}={value}");
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter(|pid| {
            let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else { return false };
            let vars: Vec<&[u8]> = environ.split(|b| *b == 0).collect();
            let running = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| !s[s.rfind(')').map_or(0, |i| i + 1)..].trim_start().starts_with('Z'))
                .unwrap_or(false);
            running && vars.iter().any(|v| v.starts_with(sandbox.as_bytes())) && vars.contains(&wanted.as_bytes())
        })
        .collect()
}

/// The process's command name (`/proc/<pid>/comm`).
pub fn command_name(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|s| s.trim().to_owned()).unwrap_or_default()
}

/// Whether a process runs (a zombie counts as gone).
pub fn is_running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s[s.rfind(')').map_or(0, |i| i + 1)..].trim_start().starts_with('Z'))
        .unwrap_or(false)
}

/// SIGKILLs every process whose sandbox (`MESOS_DIRECTORY`) is under `dir`:
/// executors and tasks the test's agents started.
pub fn kill_processes_under(dir: &Path) {
    let prefix = format!("MESOS_DIRECTORY={}", dir.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|var| var.starts_with(prefix.as_bytes())) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}
