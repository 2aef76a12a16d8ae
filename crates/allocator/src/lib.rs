//! Hierarchical Dominant Resource Fairness allocation.
//!
//! The allocator decides *how much* each framework is offered. It is pure
//! and synchronous: the master tells it about agents, frameworks and resource
//! movements, and asks it for an allocation cycle; time is a parameter
//! (`now`, the time since the Unix epoch). It never sees a socket, a clock or
//! a disk.
//!
//! Resource flow, as in Mesos: resources handed out by [`Allocator::allocate`]
//! count as allocated to the framework (offered or in use alike) until the
//! master gives them back with [`Allocator::recover_resources`] (an offer
//! declined, rescinded or timed out; the unused part of an accepted offer; a
//! finished task's resources).

mod agent_events;
mod agents;
mod api;
mod cycle;
mod filters;
mod flow;
mod framework_events;
mod frameworks;
mod maintenance;
mod offer;
mod quantities;
mod quota;
mod report;
mod roles;
pub mod sorter;

pub use api::*;
pub use filters::MAX_REFUSE;
pub use maintenance::{InverseOffer, InverseOfferAnswer, Unavailability};
pub use report::AllocatorMetrics;

#[cfg(test)]
mod tests;
