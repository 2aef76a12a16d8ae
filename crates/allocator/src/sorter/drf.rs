//! The DRF sorter: clients in increasing order of weighted dominant share,
//! ties broken by fewer allocations, then by name, as Apache Mesos does.
//!
//! The order is kept up to date incrementally by the client tree; a pass is
//! a depth-first walk over the sorted child lists, so taking the first `k`
//! clients costs `O(k + depth)`.

use super::Sorter;
use super::tree::{ClientTree, ROOT};

/// Hierarchical (weighted) Dominant Resource Fairness.
#[derive(Debug)]
pub struct DrfSorter {
    tree: ClientTree,
    /// The pass in progress: nodes being walked and the next child index.
    stack: Vec<(u32, usize)>,
}

impl DrfSorter {
    /// A sorter whose client paths are role paths when `hierarchical`;
    /// names hash with `hash_seed`.
    pub fn new(hierarchical: bool, hash_seed: u64) -> DrfSorter {
        let tree = ClientTree::new(hierarchical, true, mesos_proto::collections::SeededState::new(hash_seed));
        DrfSorter { tree, stack: Vec::new() }
    }

    #[cfg(test)]
    pub(crate) fn check(&self) {
        self.tree.check();
    }
}

impl Sorter for DrfSorter {
    fn add(&mut self, client: usize, path: &str) {
        self.tree.add(client, path);
    }

    fn remove(&mut self, client: usize) {
        self.tree.remove(client);
    }

    fn contains(&self, client: usize) -> bool {
        self.tree.contains(client)
    }

    fn activate(&mut self, client: usize) {
        self.tree.activate(client);
    }

    fn deactivate(&mut self, client: usize) {
        self.tree.deactivate(client);
    }

    fn is_active(&self, client: usize) -> bool {
        self.tree.is_active(client)
    }

    fn active_count(&self) -> usize {
        self.tree.active_count()
    }

    fn update_weight(&mut self, path: &str, weight: f64) {
        self.tree.update_weight(path, weight);
    }

    fn allocated(&mut self, client: usize, quantities: &[i64]) {
        self.tree.allocated(client, quantities);
    }

    fn unallocated(&mut self, client: usize, quantities: &[i64]) {
        self.tree.unallocated(client, quantities);
    }

    fn allocation(&self, client: usize) -> &[i64] {
        self.tree.allocation(client)
    }

    fn set_total(&mut self, total: &[i64]) {
        self.tree.set_total(total);
    }

    fn share(&self, client: usize) -> f64 {
        self.tree.client_share(client)
    }

    fn pick(&mut self, clients: &mut Vec<usize>) -> Option<usize> {
        let index = if self.tree.is_flat() {
            self.tree.resort();
            let tree = &self.tree;
            (0..clients.len()).min_by(|&a, &b| tree.compare(tree.leaf(clients[a]), tree.leaf(clients[b])))?
        } else {
            self.start();
            let first = std::iter::from_fn(|| self.next()).find(|c| clients.contains(c))?;
            clients.iter().position(|&c| c == first)?
        };
        Some(clients.swap_remove(index))
    }

    fn start(&mut self) {
        self.tree.resort();
        self.stack.clear();
        self.stack.push((ROOT, 0));
    }

    fn next(&mut self) -> Option<usize> {
        while let Some(top) = self.stack.last_mut() {
            let (node, index) = *top;
            match self.tree.nodes[node as usize].children.get(index) {
                Some(&child) => {
                    top.1 += 1;
                    let entry = &self.tree.nodes[child as usize];
                    if entry.is_leaf() {
                        return Some(entry.client as usize);
                    }
                    self.stack.push((child, 0));
                }
                None => {
                    self.stack.pop();
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(sorter: &mut DrfSorter) -> Vec<usize> {
        sorter.start();
        std::iter::from_fn(|| sorter.next()).collect()
    }

    #[test]
    fn lowest_share_first_then_fewer_allocations_then_name() {
        let mut sorter = DrfSorter::new(false, 0);
        sorter.set_total(&[10_000, 100_000]); // cpus:10, mem:100
        for (client, name) in ["c", "a", "b"].iter().enumerate() {
            sorter.add(client, name);
            sorter.activate(client);
        }
        assert_eq!(pass(&mut sorter), [1, 2, 0]); // all 0: by name a, b, c
        sorter.allocated(1, &[1000, 40_000]); // a: mem 0.4
        sorter.allocated(2, &[3000, 10_000]); // b: cpus 0.3
        assert_eq!(pass(&mut sorter), [0, 2, 1]);
        sorter.allocated(0, &[3000, 0]); // c: cpus 0.3, but one allocation like b
        sorter.allocated(2, &[0, 0]); // b: still 0.3, two allocations
        assert_eq!(pass(&mut sorter), [0, 2, 1]);
        sorter.check();
        sorter.unallocated(1, &[1000, 40_000]); // a back to 0
        assert_eq!(pass(&mut sorter), [1, 0, 2]);
        sorter.deactivate(1);
        assert_eq!(pass(&mut sorter), [0, 2]);
        sorter.remove(0);
        assert_eq!(pass(&mut sorter), [2]);
        sorter.check();
    }

    #[test]
    fn weights_divide_shares_and_roles_nest() {
        let mut sorter = DrfSorter::new(true, 0);
        sorter.set_total(&[12_000]);
        for (client, role) in ["eng/web", "eng/db", "ops", "eng"].iter().enumerate() {
            sorter.add(client, role);
            sorter.activate(client);
        }
        sorter.update_weight("eng", 2.0);
        sorter.allocated(0, &[4000]); // eng/web 1/3; eng subtree 1/3 / 2 = 1/6
        sorter.allocated(2, &[3000]); // ops 1/4
        // eng (1/6) before ops (1/4); inside eng: eng/. (0), eng/db (0), eng/web.
        assert_eq!(pass(&mut sorter), [3, 1, 0, 2]);
        sorter.update_weight("eng", 1.0); // eng 1/3 now after ops 1/4
        assert_eq!(pass(&mut sorter), [2, 3, 1, 0]);
        sorter.remove(0);
        sorter.remove(1);
        sorter.remove(3);
        assert_eq!(pass(&mut sorter), [2]);
        sorter.check();
    }
}
