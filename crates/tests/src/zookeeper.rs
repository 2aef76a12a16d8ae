//! A real ZooKeeper server for a test (Debian's `zookeeper` package, on the
//! installed Java): its own data directory and free port, no admin server,
//! stopped when dropped. Ready once a client can open a session.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::free_port;
use crate::wait::{DEADLINE, until};

const JARS: &str = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";

pub struct ZooKeeper {
    pub ip: String,
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    log: PathBuf,
}

impl ZooKeeper {
    /// A server on loopback.
    pub async fn start() -> ZooKeeper {
        ZooKeeper::start_on("127.0.0.1").await
    }

    /// A server listening on `ip`.
    pub async fn start_on(ip: &str) -> ZooKeeper {
        assert!(
            std::path::Path::new("/usr/share/java/zookeeper.jar").exists(),
            "ZooKeeper is missing: scripts/install-test-deps.sh installs it (apt-get install zookeeper)"
        );
        let dir = tempfile::Builder::new().prefix("zookeeper-").tempdir().expect("temporary directory");
        let port = free_port();
        let config = format!(
            "tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={port}\nclientPortAddress={ip}\n\
             admin.enableServer=false\nmaxSessionTimeout=60000\n",
            dir.path().join("data").display()
        );
        std::fs::create_dir_all(dir.path().join("data")).expect("data directory");
        std::fs::write(dir.path().join("zoo.cfg"), config).expect("zoo.cfg");
        let log = dir.path().join("zookeeper.log");
        let mut zookeeper = ZooKeeper { ip: ip.to_owned(), port, dir, child: None, log };
        zookeeper.run();
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
