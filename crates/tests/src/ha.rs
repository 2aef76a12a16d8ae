//! Masters that run highly available: a real ZooKeeper, several masters
//! contending in it, and agents that find the leader there. Everything is
//! stopped when dropped.

use std::time::Duration;

use serde_json::Value;

use crate::cluster::{AGENT_RESOURCES, Daemon};
use crate::wait::{DEADLINE, until};
use crate::zookeeper::ZooKeeper;

pub struct HaCluster {
    pub dir: tempfile::TempDir,
    pub zookeeper: ZooKeeper,
    pub masters: Vec<Daemon>,
    pub agents: Vec<Daemon>,
    http: mesos_http::client::Client,
}

/// The group's path in ZooKeeper.
pub const ZK_PATH: &str = "/mesos";

impl HaCluster {
    /// `masters` masters on loopback with `master_flags`, and `agents`
    /// agents following the leader; returns once one master leads and
    /// every agent is registered with it.
    pub async fn start(masters: usize, agents: usize, master_flags: &[&str]) -> HaCluster {
        let zookeeper = ZooKeeper::start().await;
        let dir = tempfile::Builder::new().prefix("mesos-ha-").tempdir().expect("temporary directory");
        let http = mesos_http::client::Client::new().with_timeout(Duration::from_secs(5));
        let mut cluster = HaCluster { dir, zookeeper, masters: Vec::new(), agents: Vec::new(), http };
        for _ in 0..masters {
            cluster.add_master(None, "127.0.0.1", master_flags).await;
        }
        cluster.leader().await;
        for _ in 0..agents {
            cluster.add_agent().await;
        }
        cluster.wait_for_agents(agents).await;
        cluster
    }

    /// `zk://host:port/mesos`.
    pub fn zk_url(&self) -> String {
        self.zookeeper.url(ZK_PATH)
    }

    /// Starts one more master (inside `netns` if given, listening on `ip`).
    pub async fn add_master(&mut self, netns: Option<&str>, ip: &str, flags: &[&str]) -> usize {
        let index = self.masters.len();
        let work_dir = self.dir.path().join(format!("master-{index}"));
        let mut args = vec![
            format!("--ip={ip}"),
            format!("--hostname={ip}"),
            format!("--work_dir={}", work_dir.display()),
            format!("--zk={}", self.zk_url()),
            "--quorum=2".to_owned(),
        ];
        args.extend(flags.iter().map(|f| f.to_string()));
        let name = format!("master-{index}");
        let master = Daemon::spawn_in(netns, "mesos-master", &name, work_dir, args, self.dir.path()).await;
        self.masters.push(master);
        index
    }

    async fn add_agent(&mut self) -> usize {
        let index = self.agents.len();
        let work_dir = self.dir.path().join(format!("agent-{index}"));
        let args = vec![
            format!("--master={}", self.zk_url()),
            "--ip=127.0.0.1".to_owned(),
            "--hostname=127.0.0.1".to_owned(),
            format!("--work_dir={}", work_dir.display()),
            "--registration_backoff_factor=10ms".to_owned(),
            format!("--resources={AGENT_RESOURCES}"),
        ];
        let name = format!("agent-{index}");
        self.agents.push(Daemon::spawn("mesos-agent", &name, work_dir, args, self.dir.path()).await);
        index
    }

    /// `ip:port` of master `index`.
    pub fn master_address(&self, index: usize) -> String {
        let ip = self.masters[index]
            .args()
            .iter()
            .find_map(|a| a.strip_prefix("--ip=").map(str::to_owned))
            .unwrap_or_else(|| "127.0.0.1".into());
        format!("{ip}:{}", self.masters[index].port)
    }

    /// GET a JSON endpoint of master `index` (no redirects followed).
    pub async fn get_json(&self, index: usize, path: &str) -> Option<Value> {
        let url = format!("http://{}{path}", self.master_address(index));
        let (_, body) = self.http.get(&url).await.ok()?;
        serde_json::from_slice(&body).ok()
    }

    /// The index of the master that leads (waits for one).
    pub async fn leader(&self) -> usize {
        until("a leading master", DEADLINE, || async {
            for index in 0..self.masters.len() {
                let metrics = self.get_json(index, "/metrics/snapshot").await;
                if metrics.is_some_and(|m| m["master/elected"] == 1.0) {
                    return Some(index);
                }
            }
            None
        })
        .await
    }

    /// Waits until the leader lists `count` active agents.
    pub async fn wait_for_agents(&self, count: usize) {
        until(&format!("{count} agent(s) registered with the leader"), DEADLINE, || async {
            let leader = self.leader().await;
            let state = self.get_json(leader, "/master/state").await?;
            (state["activated_slaves"].as_u64() == Some(count as u64)).then_some(())
        })
        .await;
    }

    /// Logs of every daemon, for failure messages.
    pub fn logs(&self) -> String {
        self.masters
            .iter()
            .chain(&self.agents)
            .map(|d| format!("--- {} ---\n{}", d.name, d.log_tail(40)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
