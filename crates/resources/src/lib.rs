//! The resource model of Mesos: what agents offer and tasks consume.
//!
//! - [`Scalar`]: fixed-point quantities with three decimal digits, so that
//!   `0.1 + 0.2 == 0.3` holds as Mesos promises.
//! - [`Ranges`]: inclusive integer ranges, always sorted and coalesced.
//! - [`Set`]: sets of strings.
//! - [`Resource`] and [`Resources`]: named values with their reservations,
//!   allocation role, disk information and markers, and the arithmetic on
//!   bags of them (adding, subtracting, containment).
//! - [`parse`]: the agent's `--resources` and `--attributes` grammars.
//! - [`role`]: role names and the role hierarchy.
//!
//! Pure: no I/O, no clock.

pub mod detect;
pub mod parse;
mod ranges;
mod resource;
mod resources;
pub mod role;
mod scalar;
mod set;
pub mod summary;

pub use ranges::Ranges;
pub use resource::{DiskInfo, Reservation, ReservationKind, Resource, ResourceFormat, ResourceValue};
pub use resources::Resources;
pub use scalar::Scalar;
pub use set::Set;

/// Why resources could not be built from their wire or text form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    #[error("invalid resource '{name}': {reason}")]
    Invalid { name: String, reason: String },
    #[error("failed to parse '{text}': {reason}")]
    Parse { text: String, reason: String },
    #[error("invalid role '{role}': {reason}")]
    InvalidRole { role: String, reason: String },
}
