//! The [`Sorter`]: the order in which roles, or the frameworks of one role,
//! are offered resources. Its bookkeeping (clients, which are active, what
//! each holds, weights, the cluster total) is one client tree shared by
//! every kind of sorter; what differs between DRF and the weighted random
//! sorter is only the order a pass visits the clients in, the [`Order`]
//! trait, implemented by [`DrfOrder`] and [`RandomOrder`].
//!
//! Clients are dense `usize` ids chosen by the caller, each with a name or
//! role path. An allocation pass asks for the active clients in order with
//! [`Sorter::start`] and [`Sorter::next`]; the order is produced lazily, so
//! a pass that stops after the first client costs almost nothing. The order
//! must not change during a pass: the allocator records what it hands out
//! and reports it with [`Sorter::allocated`] once the agent is done, which
//! is how Apache Mesos behaves too (it copies the sorted list).

mod drf;
mod random;
mod tree;

pub(crate) use drf::DrfOrder;
pub(crate) use random::RandomOrder;

use mesos_proto::collections::SeededState;
use tree::ClientTree;

use crate::api::SorterKind;

/// The order of a pass over the active clients of a [`ClientTree`].
pub(crate) trait Order: std::fmt::Debug + Send {
    /// Whether the tree keeps every node's children sorted by share (DRF).
    fn sorted(&self) -> bool;

    /// Takes out of `clients` (active clients picked by the caller) the one
    /// a pass would visit first: a pass over a few clients, lazily.
    fn pick(&mut self, tree: &mut ClientTree, clients: &mut Vec<usize>) -> Option<usize>;

    /// Begins a pass over the active clients.
    fn start(&mut self, tree: &mut ClientTree);

    /// The next active client of the current pass.
    fn next(&mut self, tree: &ClientTree) -> Option<usize>;
}

/// Orders clients for allocation. Quantities are thousandths indexed by the
/// allocator's resource-name ids; shorter slices mean zeros.
#[derive(Debug)]
pub struct Sorter {
    tree: ClientTree,
    order: Box<dyn Order>,
}

impl Sorter {
    /// A sorter visiting clients in `order`; `hierarchical` for role
    /// sorters, whose client paths are role paths; names (which frameworks
    /// choose) hash with `hash_seed`.
    pub(crate) fn new(order: Box<dyn Order>, hierarchical: bool, hash_seed: u64) -> Sorter {
        let tree = ClientTree::new(hierarchical, order.sorted(), SeededState::new(hash_seed));
        Sorter { tree, order }
    }

    /// Hierarchical (weighted) Dominant Resource Fairness.
    pub fn drf(hierarchical: bool, hash_seed: u64) -> Sorter {
        Sorter::new(Box::new(DrfOrder::default()), hierarchical, hash_seed)
    }

    /// Weighted random order, drawn from `seed`.
    pub fn random(hierarchical: bool, seed: u64) -> Sorter {
        Sorter::new(Box::new(RandomOrder::new(seed)), hierarchical, seed)
    }

    /// Adds an inactive client. In a hierarchical sorter `path` is a role
    /// (`eng/web`) and its ancestors become internal nodes.
    pub fn add(&mut self, client: usize, path: &str) {
        self.tree.add(client, path);
    }

    /// Removes a client and whatever it was counted as holding.
    pub fn remove(&mut self, client: usize) {
        self.tree.remove(client);
    }

    pub fn contains(&self, client: usize) -> bool {
        self.tree.contains(client)
    }

    /// The client takes part in passes from now on.
    pub fn activate(&mut self, client: usize) {
        self.tree.activate(client);
    }

    /// The client is skipped by passes; its allocation still counts.
    pub fn deactivate(&mut self, client: usize) {
        self.tree.deactivate(client);
    }

    pub fn is_active(&self, client: usize) -> bool {
        self.tree.is_active(client)
    }

    /// Number of active clients.
    pub fn active_count(&self) -> usize {
        self.tree.active_count()
    }

    /// Sets the weight of a path (a role, or an ancestor of some).
    pub fn update_weight(&mut self, path: &str, weight: f64) {
        self.tree.update_weight(path, weight);
    }

    /// `client` was handed `quantities` (counts as one allocation).
    pub fn allocated(&mut self, client: usize, quantities: &[i64]) {
        self.tree.allocated(client, quantities);
    }

    /// `client` gave back `quantities`.
    pub fn unallocated(&mut self, client: usize, quantities: &[i64]) {
        self.tree.unallocated(client, quantities);
    }

    /// What `client` holds.
    pub fn allocation(&self, client: usize) -> &[i64] {
        self.tree.allocation(client)
    }

    /// The cluster total that shares are taken over (names excluded from
    /// fair sharing are zero).
    pub fn set_total(&mut self, total: &[i64]) {
        self.tree.set_total(total);
    }

    /// The client's dominant share divided by its weight.
    pub fn share(&self, client: usize) -> f64 {
        self.tree.client_share(client)
    }

    /// Takes out of `clients` (active clients picked by the caller) the one
    /// a pass would visit first.
    pub fn pick(&mut self, clients: &mut Vec<usize>) -> Option<usize> {
        self.order.pick(&mut self.tree, clients)
    }

    /// Begins a pass over the active clients.
    pub fn start(&mut self) {
        self.order.start(&mut self.tree);
    }

    /// The next active client of the current pass.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<usize> {
        self.order.next(&self.tree)
    }

    #[cfg(test)]
    pub(crate) fn check(&self) {
        self.tree.check();
    }
}

/// A sorter of the given kind; `hierarchical` for role sorters, whose client
/// paths are role paths.
pub fn new_sorter(kind: SorterKind, hierarchical: bool, seed: u64) -> Sorter {
    match kind {
        SorterKind::Drf => Sorter::drf(hierarchical, seed),
        SorterKind::Random => Sorter::random(hierarchical, seed),
    }
}
