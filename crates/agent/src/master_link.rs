//! The agent's connection to the master: open the stream with REGISTER (or
//! REREGISTER once the agent has an id), feed its events to the event loop,
//! and reconnect with a randomized backoff when it breaks. A non-leading
//! master's redirect is followed; with `--master=zk://...` the leader is
//! followed in ZooKeeper and the agent re-registers when it changes.

use std::time::Duration;

use mesos_proto::ContentType;
use mesos_proto::internal::{AgentCall, AgentEvent};
use mesos_proto::v1::Address;
use mesos_zk::MasterSource;
use rand::Rng;
use tokio::sync::watch;

use crate::actor::{AgentHandle, Command};

/// The protocol's path on the master.
pub const AGENT_API_PATH: &str = "/internal/agent/v1";

/// How long the agent waits for word from a master that did not say how
/// often it pings (15 s pings, 5 missed).
const DEFAULT_MASTER_SILENCE: Duration = Duration::from_secs(75);

/// Longest wait between registration attempts, as Mesos caps it.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Where a `--master` value points: `host:port`, `master@host:port`,
/// `http://host:port`, or a ZooKeeper URL (`zk://...`, `file://...`) to
/// follow the leading master.
pub fn master_source(master: &str) -> Result<MasterSource, String> {
    let trimmed = master.trim().trim_end_matches('/');
    if trimmed.starts_with("zk://") || trimmed.starts_with("file://") {
        return MasterSource::parse(trimmed).map_err(|e| e.to_string());
    }
    let authority =
        trimmed.strip_prefix("http://").or_else(|| trimmed.split_once('@').map(|(_, rest)| rest)).unwrap_or(trimmed);
    if authority.is_empty() || !authority.contains(':') {
        return Err(format!("'{master}' is not of the form host:port or zk://host:port/path"));
    }
    Ok(MasterSource::Address(authority.to_owned()))
}

/// Keeps the agent connected to the leading master, forever: when the
/// leader changes (with `--master=zk://...`), the agent re-registers with
/// the new one.
pub async fn run(
    agent: AgentHandle,
    mut leader: watch::Receiver<Option<String>>,
    address: Address,
    version: String,
    backoff_factor: Duration,
) {
    let client = mesos_http::client::Client::new();
    let mut backoff = backoff_factor;
    let mut redirected: Option<String> = None;
    loop {
        let master = match redirected.take() {
            Some(master) => master,
            None => match leader.wait_for(Option::is_some).await {
                Ok(current) => format!("http://{}", current.clone().unwrap_or_default()),
                Err(_) => return,
            },
        };
        let version = version.clone();
        let address = address.clone();
        let Some(call) = agent.inspect_internal(move |core, _| core.registration_call(&version, address)).await else {
            return;
        };
        let url = format!("{master}{AGENT_API_PATH}");
        match client.subscribe::<AgentCall, AgentEvent>(&url, ContentType::Protobuf, &call, None).await {
            Ok(mut stream) => {
                let stream_id = stream.stream_id.clone().unwrap_or_default();
                agent.send(Command::MasterConnected { url: url.clone(), stream_id });
                backoff = backoff_factor;
                leader.mark_unchanged();
                // The master pings; silence longer than its ping timeout
                // means the connection is dead, whatever TCP thinks.
                let mut silence = DEFAULT_MASTER_SILENCE;
                loop {
                    let next = tokio::select! {
                        next = tokio::time::timeout(silence, stream.next()) => next,
                        changed = leader.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            tracing::info!(leader = ?*leader.borrow(), "the leading master changed");
                            break;
                        }
                    };
                    let event = match next {
                        Ok(Some(Ok(event))) => event,
                        Ok(Some(Err(error))) => {
                            tracing::warn!(%error, "lost the master's stream");
                            break;
                        }
                        Ok(None) => break,
                        Err(_) => {
                            tracing::warn!(?silence, "no word from the master; registering again");
                            break;
                        }
                    };
                    if let Some(seconds) = event
                        .registered
                        .as_ref()
                        .and_then(|r| r.ping_timeout_seconds)
                        .filter(|s| s.is_finite() && *s > 0.0)
                    {
                        silence = Duration::from_secs_f64(seconds);
                    }
                    match mesos_agent_core::FromMaster::try_from(event) {
                        Ok(message) => {
                            agent.send(Command::Input(mesos_agent_core::AgentInput::FromMaster(message)));
                        }
                        Err(error) => tracing::warn!(%error, "ignored a malformed event from the master"),
                    }
                }
                agent.send(Command::MasterDisconnected);
                tracing::warn!(%master, "disconnected from the master");
            }
            Err(error) => {
                if let Some(leader) = error.redirect() {
                    tracing::info!(%leader, "following the master's redirect to the leader");
                    redirected = Some(format!("http://{leader}"));
                    continue;
                }
                tracing::warn!(%error, "failed to register with the master");
            }
        }
        let wait = rand::rng().random_range(Duration::ZERO..=backoff.max(Duration::from_millis(10)));
        tokio::select! {
            () = tokio::time::sleep(wait) => backoff = (backoff * 2).min(MAX_BACKOFF),
            // A new leader is tried at once, with the backoff started over.
            changed = leader.changed() => {
                if changed.is_err() {
                    return;
                }
                backoff = backoff_factor;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_addresses() {
        let address = |text: &str| match master_source(text).unwrap() {
            MasterSource::Address(address) => address,
            other => panic!("{other:?}"),
        };
        assert_eq!(address("10.0.0.1:5050"), "10.0.0.1:5050");
        assert_eq!(address("master@10.0.0.1:5050"), "10.0.0.1:5050");
        assert_eq!(address("http://m:5050/"), "m:5050");
        assert!(master_source("nonsense").is_err());
        assert!(matches!(master_source("zk://z:2181/mesos"), Ok(MasterSource::ZooKeeper(_))));
        assert!(master_source("zk://z:2181").is_err());
    }
}
