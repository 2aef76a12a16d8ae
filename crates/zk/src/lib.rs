//! Masters in ZooKeeper, as Apache Mesos keeps them, so that existing Mesos
//! tools and client libraries find our leader and we find theirs:
//!
//! - `url.rs`: `zk://[user:password@]host:port[,host:port...]/path`, or
//!   `file:///path` naming a file that holds such a URL.
//! - `membership.rs`: members are children of the path named
//!   `json.info_<10-digit sequence>` (ephemeral, sequential), holding the
//!   master's `MasterInfo` as JSON; the lowest sequence leads. The older
//!   labels `info_` (binary `MasterInfo`) and unlabeled (a `master@ip:port`
//!   pid) are read too.
//! - `contender.rs`: a master's candidacy, and the moment it is elected
//!   or loses its session.
//! - `detector.rs`: who leads now, followed as it changes (agents,
//!   schedulers, the CLI, standby masters).
//! - `master.rs`: `--master` as users write it: `host:port` or a ZooKeeper
//!   URL, resolved to the current leader's address.

mod contender;
mod detector;
mod error;
mod master;
mod membership;
mod session;
mod url;

pub use contender::Contender;
pub use detector::Detector;
pub use error::ZkError;
pub use master::{MasterSource, leader_address};
pub use membership::{Member, decode_member, encode_master_info, http_address, leader_of};
pub use session::connect;
pub use url::ZkUrl;
