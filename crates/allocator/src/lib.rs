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
//!
//! # The algorithm
//!
//! A cycle ([`Allocator::allocate`], or [`Allocator::allocate_agents`] for a
//! few agents) behaves like Apache Mesos's hierarchical allocator:
//!
//! 1. Expired offer filters are dropped; agents that are active and have
//!    something available are shuffled (seeded RNG, a new order each cycle).
//! 2. **Guarantees first.** If some role with frameworks is short of its
//!    quota guarantees, each agent is visited: roles in role-sorter order,
//!    those short of guarantees only; inside a role, frameworks in
//!    framework-sorter order. A framework is offered the unreserved scalars
//!    that go toward the unmet guarantees, plus the role's reservations,
//!    ports and revocable resources, plus other unreserved scalars within
//!    the role's limits and the headroom.
//! 3. **Everyone.** The agents are reshuffled and visited again, all roles
//!    this time. A framework is offered everything on the agent it may take
//!    (unreserved, or reserved to its role or an ancestor; minus what its
//!    capabilities exclude: revocable, shared, refined reservations),
//!    with the unreserved non-revocable scalars cut to the role's limits
//!    (its own and its ancestors') and to the headroom: what unmet
//!    guarantees need stays unallocated.
//! 4. An offer is made only if it is at least one of the minimum sizes
//!    (`--min_allocatable_resources`, or the framework's own for that role)
//!    and no filter of the framework refuses it; agents with GPUs go only to
//!    GPU-capable frameworks when `filter_gpu_resources`. The first
//!    framework that takes something usually takes the whole agent; the walk
//!    goes on only while the agent has resources left. There is one offer
//!    per (framework, agent, role), with `allocation_role` set.
//!
//! Sorting: the DRF sorter orders by dominant share (the largest fraction
//! of any resource's cluster total a client holds, total taken over every
//! agent, names in `fair_sharing_excluded_resource_names` left out) divided
//! by the weight, then by fewer allocations, then by name. Roles form a
//! tree (`eng` above `eng/web`): siblings are compared by their subtree's
//! share. The random sorter draws a weighted random order instead.
//!
//! # Data structures
//!
//! - Ids are interned to dense indices: agents and frameworks live in slabs
//!   (`u32`), roles in a table with parent links,
//!   resource names in a table, so quantities are small vectors of
//!   thousandths indexed by name (`Qty`), not resource bags.
//! - Each agent keeps its total, what each framework holds there per role,
//!   its available resources, and a summary of them: plain or not (nothing
//!   reserved, revocable or shared), amounts, a mask of the names present.
//!   Most decisions in a cycle read the summary; a bag is built only for an
//!   offer actually made (one clone per offer).
//! - Sorters ([`sorter`]) keep every node's children sorted incrementally
//!   (`VecDeque` of node indices; an allocation moves one client and its
//!   ancestors). A cycle walks them lazily, so visiting an agent costs the
//!   frameworks looked at, not all of them; updates are applied when an
//!   agent is done, so each agent sees a fixed order, as in Mesos.
//! - Offer filters are grouped per agent by (role, refused resources), with
//!   a bit set of frameworks; a group caches whether its refused resources
//!   cover everything the agent has available (until that grows), so a
//!   filtered (framework, agent) pair costs a bit test. Expiry is a heap of
//!   per-group deadlines.
//! - Quota consumption (reservations plus offered or allocated unreserved
//!   non-revocable scalars, sub-roles included) is kept per role, and the
//!   cluster's available headroom per agent and in total, so the headroom
//!   check is a vector comparison. Per cycle, masks of the names each role
//!   may still take let agents nobody can use be skipped at once.

mod agent_events;
mod agents;
mod api;
mod bits;
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
