//! The [`Sorter`] trait: the order in which roles, or the frameworks of one
//! role, are offered resources; with a DRF and a weighted random
//! implementation.
//!
//! A sorter knows its clients (dense `usize` ids chosen by the caller, each
//! with a name or role path), which are active, how much each holds, and the
//! cluster total. An allocation pass asks for the active clients in order
//! with [`Sorter::start`] and [`Sorter::next`]; the order is produced lazily,
//! so a pass that stops after the first client costs almost nothing. The
//! order must not change during a pass: the allocator records what it hands
//! out and reports it with [`Sorter::allocated`] once the agent is done,
//! which is how Apache Mesos behaves too (it copies the sorted list).

mod drf;
mod random;
mod tree;

pub use drf::DrfSorter;
pub use random::RandomSorter;

use crate::api::SorterKind;

/// Orders clients for allocation. Quantities are thousandths indexed by the
/// allocator's resource-name ids; shorter slices mean zeros.
pub trait Sorter: std::fmt::Debug + Send {
    /// Adds an inactive client. In a hierarchical sorter `path` is a role
    /// (`eng/web`) and its ancestors become internal nodes.
    fn add(&mut self, client: usize, path: &str);

    /// Removes a client and whatever it was counted as holding.
    fn remove(&mut self, client: usize);

    fn contains(&self, client: usize) -> bool;

    /// The client takes part in passes from now on.
    fn activate(&mut self, client: usize);

    /// The client is skipped by passes; its allocation still counts.
    fn deactivate(&mut self, client: usize);

    fn is_active(&self, client: usize) -> bool;

    /// Number of active clients.
    fn active_count(&self) -> usize;

    /// Sets the weight of a path (a role, or an ancestor of some).
    fn update_weight(&mut self, path: &str, weight: f64);

    /// `client` was handed `quantities` (counts as one allocation).
    fn allocated(&mut self, client: usize, quantities: &[i64]);

    /// `client` gave back `quantities`.
    fn unallocated(&mut self, client: usize, quantities: &[i64]);

    /// What `client` holds.
    fn allocation(&self, client: usize) -> &[i64];

    /// The cluster total that shares are taken over (names excluded from
    /// fair sharing are zero).
    fn set_total(&mut self, total: &[i64]);

    /// The client's dominant share divided by its weight.
    fn share(&self, client: usize) -> f64;

    /// Takes out of `clients` (active clients picked by the caller) the one
    /// a pass would visit first: a pass over a few clients, lazily.
    fn pick(&mut self, clients: &mut Vec<usize>) -> Option<usize>;

    /// Begins a pass over the active clients.
    fn start(&mut self);

    /// The next active client of the current pass.
    fn next(&mut self) -> Option<usize>;
}

/// A sorter of the given kind; `hierarchical` for role sorters, whose client
/// paths are role paths.
pub fn new_sorter(kind: SorterKind, hierarchical: bool, seed: u64) -> Box<dyn Sorter> {
    match kind {
        SorterKind::Drf => Box::new(DrfSorter::new(hierarchical, seed)),
        SorterKind::Random => Box::new(RandomSorter::new(hierarchical, seed)),
    }
}
