//! A real ZooKeeper server for a test (Debian's `zookeeper` package, on the
//! installed Java): its own data directory, no admin server, stopped when
//! dropped. ZooKeeper cannot bind port 0, so the harness offers it a port
//! that was free a moment ago and starts it again on another if it lost
//! that port to someone else; it is ready once the process itself listens
//! there and a client can open a session.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::ports;
use crate::wait::{DEADLINE, until};

const JARS: &str = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";

/// How many ports to try before giving up.
const ATTEMPTS: usize = 10;

pub struct ZooKeeper {
    pub ip: String,
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    log: PathBuf,
}

/// Whether ZooKeeper can run here (its jar; Java is checked when it starts).
pub fn available() -> bool {
    std::path::Path::new("/usr/share/java/zookeeper.jar").exists()
}

impl ZooKeeper {
    /// A server on loopback.
    pub async fn start() -> ZooKeeper {
        ZooKeeper::start_on("127.0.0.1").await
    }

    /// A server listening on `ip`.
    pub async fn start_on(ip: &str) -> ZooKeeper {
        assert!(
            available(),
            "ZooKeeper is missing: scripts/install-test-deps.sh installs it (apt-get install zookeeper)"
        );
        let dir = tempfile::Builder::new().prefix("zookeeper-").tempdir().expect("temporary directory");
        std::fs::create_dir_all(dir.path().join("data")).expect("data directory");
        let log = dir.path().join("zookeeper.log");
        let mut zookeeper = ZooKeeper { ip: ip.to_owned(), port: 0, dir, child: None, log };
        let mut attempt = 0;
        while !zookeeper.listen_on(candidate_port()).await {
            attempt += 1;
            assert!(attempt < ATTEMPTS, "ZooKeeper found no free port in {ATTEMPTS} attempts");
        }
        let servers = zookeeper.servers();
        until("ZooKeeper to accept sessions", DEADLINE, || {
            let servers = servers.clone();
            async move {
                let url = mesos_zk::ZkUrl { servers, path: "/probe".into(), credentials: None };
                let client = mesos_zk::connect(&url, Duration::from_secs(4)).await.ok()?;
                client.list_children("/").await.ok().map(|_| ())
            }
        })
        .await;
        zookeeper
    }

    /// Starts the server on `port`; whether it bound it (false: it lost
    /// the port to another process and exited).
    async fn listen_on(&mut self, port: u16) -> bool {
        let config = format!(
            "tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={port}\nclientPortAddress={}\n\
             admin.enableServer=false\nmaxSessionTimeout=60000\n",
            self.dir.path().join("data").display(),
            self.ip
        );
        std::fs::write(self.dir.path().join("zoo.cfg"), config).expect("zoo.cfg");
        self.port = port;
        self.run();
        let child = self.child.as_mut().expect("just started");
        let start = tokio::time::Instant::now();
        loop {
            if ports::listens_on(child.id(), port) {
                return true;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                assert!(log.contains("Address already in use"), "ZooKeeper exited ({status}):\n{log}");
                self.child = None;
                return false;
            }
            assert!(start.elapsed() < DEADLINE, "ZooKeeper did not listen on {port} within {DEADLINE:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn run(&mut self) {
        let file = std::fs::File::create(&self.log).expect("log file");
        let conf = self.dir.path().display().to_string();
        let child = Command::new("java")
            .args(["-Xmx256m", "-Dzookeeper.admin.enableServer=false", "-cp"])
            .arg(format!("{conf}:{JARS}"))
            .args(["org.apache.zookeeper.server.quorum.QuorumPeerMain", &format!("{conf}/zoo.cfg")])
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .stdin(Stdio::null())
            .spawn()
            .expect("java (ZooKeeper needs a Java runtime)");
        self.child = Some(child);
    }

    /// `host:port` of the server.
    pub fn servers(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }

    /// `zk://host:port<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("zk://{}{path}", self.servers())
    }
}

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port that was free when asked: only a candidate, which ZooKeeper may
/// find taken by the time it binds.
fn candidate_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
