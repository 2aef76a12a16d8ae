//! Client libraries for the Mesos v1 HTTP APIs, used by the project's
//! frameworks, executors and tools. They depend only on the wire crate and
//! the HTTP client, never on the master or agent.
//!
//! - [`scheduler`]: subscribe a framework, receive its events, make calls;
//!   heartbeats are watched and the subscription is re-established (with
//!   the framework id, following redirects) when it breaks.
//! - [`executor`]: subscribe an executor to its agent with the environment
//!   the agent provides, send reliable status updates and messages.

pub mod executor;
pub mod master;
pub mod scheduler;

pub use mesos_http::client::ClientError;

/// A fresh random 16-byte UUID.
pub fn new_uuid() -> Vec<u8> {
    uuid::Uuid::new_v4().as_bytes().to_vec()
}
