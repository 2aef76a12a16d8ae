//! HTTP plumbing shared by the daemons and the client libraries, so that
//! every v1 endpoint negotiates content and frames streams the same way.
//!
//! - `server` (feature `server`): reading a v1 call from a request with
//!   Mesos's status codes, answering with a message or an error, and
//!   streaming events as RecordIO with heartbeats; the operator calls every
//!   daemon answers alike (`operator.rs`); the daemons' HTTP server with a
//!   bounded stop (`serve`), their logging (`daemon`, `log_file`) and
//!   signals.
//! - `client` (feature `client`): a small HTTP/1.1 client for posting calls
//!   and reading RecordIO event streams.

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
pub mod daemon;
#[cfg(feature = "server")]
pub mod daemon_flags;
#[cfg(feature = "server")]
pub mod gzip;
#[cfg(feature = "server")]
pub mod log_file;
#[cfg(feature = "server")]
pub mod operator;
pub mod prometheus;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod signals;
pub mod system;

/// The header carrying a subscription's stream id.
pub const STREAM_ID_HEADER: &str = "Mesos-Stream-Id";
