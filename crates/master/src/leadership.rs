//! Whether this master leads, and who does when it does not. A master on
//! its own leads from the start; with `--zk` it contends in ZooKeeper,
//! answers as a standby until elected (see `http/standby.rs`), and exits the
//! moment its session is lost once leading, so that two masters never act
//! as leader at the same time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mesos_proto::v1::MasterInfo;
use tokio::sync::watch;

/// Shared by the HTTP handlers.
#[derive(Clone)]
pub struct Leadership {
    leading: Arc<AtomicBool>,
    /// The leader as ZooKeeper shows it (this master once it leads).
    leader: watch::Receiver<Option<MasterInfo>>,
}

impl Leadership {
    /// A master that leads on its own.
    pub fn standalone(info: &MasterInfo) -> Leadership {
        Leadership { leading: Arc::new(AtomicBool::new(true)), leader: watch::channel(Some(info.clone())).1 }
    }

    /// A master that stands by, following `leader`, until elected.
    pub fn standby(leader: watch::Receiver<Option<MasterInfo>>) -> Leadership {
        Leadership { leading: Arc::new(AtomicBool::new(false)), leader }
    }

    pub fn is_leading(&self) -> bool {
        self.leading.load(Ordering::Acquire)
    }

    pub fn set_leading(&self) {
        self.leading.store(true, Ordering::Release);
    }

    /// The leading master, if one is known.
    pub fn leader(&self) -> Option<MasterInfo> {
        self.leader.borrow().clone()
    }
}

/// Stops a master that cannot go on leading: the process exits, as Mesos's
/// master does, and its supervisor starts it again as a standby.
pub fn abdicate(reason: &str) -> ! {
    tracing::error!("{reason}; this master stops");
    eprintln!("mesos-master: {reason}");
    std::process::exit(1);
}
