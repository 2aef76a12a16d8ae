//! `--master` as users write it: `host:port` (optionally `http://`), or a
//! ZooKeeper URL (`zk://...`, `file://...`) to follow the leading master.

use std::time::Duration;

use tokio::sync::watch;

use crate::detector::Detector;
use crate::error::ZkError;
use crate::membership::http_address;
use crate::url::ZkUrl;

/// Where to find the master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterSource {
    /// A fixed `host:port`.
    Address(String),
    /// The leader of the masters in ZooKeeper.
    ZooKeeper(ZkUrl),
}

/// Session timeout used to follow the leader.
const DETECTOR_SESSION_TIMEOUT: Duration = Duration::from_secs(10);

impl MasterSource {
    pub fn parse(text: &str) -> Result<MasterSource, ZkError> {
        let text = text.trim();
        if text.starts_with("zk://") || text.starts_with("file://") {
            return Ok(MasterSource::ZooKeeper(ZkUrl::parse(text)?));
        }
        let address = text.trim_start_matches("http://").trim_end_matches('/');
        Ok(MasterSource::Address(address.to_owned()))
    }

    /// The leader's `host:port` as it changes (`None` while there is none).
    pub fn follow(&self) -> watch::Receiver<Option<String>> {
        match self {
            MasterSource::Address(address) => {
                let (sender, receiver) = watch::channel(Some(address.clone()));
                // The address never changes; the sender stays while anyone
                // listens, so that waiting for a change waits forever.
                tokio::spawn(async move { sender.closed().await });
                receiver
            }
            MasterSource::ZooKeeper(url) => {
                let mut leader = Detector::start(url.clone(), DETECTOR_SESSION_TIMEOUT).leader();
                let (sender, receiver) = watch::channel(leader.borrow().as_ref().map(http_address));
                tokio::spawn(async move {
                    while leader.changed().await.is_ok() {
                        let address = leader.borrow().as_ref().map(http_address);
                        if sender.send(address).is_err() {
                            return;
                        }
                    }
                });
                receiver
            }
        }
    }
}

/// The leader's `host:port`, waiting up to `timeout` for one to be known.
pub async fn leader_address(source: &MasterSource, timeout: Duration) -> Option<String> {
    let mut leader = source.follow();
    let wait = leader.wait_for(Option::is_some);
    tokio::time::timeout(timeout, wait).await.ok()?.ok().and_then(|address| address.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fixed_address_never_changes() {
        let mut leader = MasterSource::Address("m:5050".into()).follow();
        assert_eq!(leader.borrow().as_deref(), Some("m:5050"));
        let changed = tokio::time::timeout(std::time::Duration::from_millis(50), leader.changed()).await;
        assert!(changed.is_err(), "no change, and no end either");
    }

    #[test]
    fn addresses_and_urls() {
        assert_eq!(MasterSource::parse("10.0.0.1:5050").unwrap(), MasterSource::Address("10.0.0.1:5050".into()));
        assert_eq!(MasterSource::parse("http://m:5050/").unwrap(), MasterSource::Address("m:5050".into()));
        assert!(matches!(MasterSource::parse("zk://z:2181/mesos").unwrap(), MasterSource::ZooKeeper(_)));
        assert!(MasterSource::parse("zk://z:2181").is_err());
    }
}
