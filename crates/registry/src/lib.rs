//! The master's registry: what it must remember across restarts and
//! failovers (the agents it admitted, those it marked unreachable or gone,
//! the maintenance schedule and machines, quota and weights), changed only
//! by the typed [`Operation`]s of `operation.rs`, applied by a pure function.
//!
//! A store keeps the registry as records, one per key (`agents/<id>`,
//! `unreachable/<id>`, `quota/<role>`, ...; see `records.rs`), so that a
//! batch of operations writes only the records it touched ([`Changes`]) and
//! no single record grows with the cluster. Frameworks, tasks, offers and
//! reservations are not kept: agents and frameworks bring them back.
//!
//! `seal.rs` decides whether a store read back at start is the registry
//! last acknowledged (see its docs).
//!
//! No I/O here: the master daemon's registrar owns a store and writes the
//! changes; the master core asks for operations and waits for them.

mod error;
mod operation;
mod records;
mod registry;
mod seal;

pub use error::RegistryError;
pub use operation::Operation;
pub use records::{Changes, Key};
pub use registry::Registry;
pub use seal::{Digest, Marker, Mismatch, Seal, Summary, Verdict, verify};
