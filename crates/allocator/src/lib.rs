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

mod api;

pub use api::*;
