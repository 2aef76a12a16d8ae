//! The DRF sorter: clients in increasing order of weighted dominant share,
//! ties broken by fewer allocations, then by name, as Apache Mesos does.
//!
//! The order is kept up to date incrementally by the client tree; a pass is
//! a depth-first walk over the sorted child lists, so taking the first `k`
//! clients costs `O(k + depth)`.

use super::Order;
use super::tree::{ClientTree, ROOT};

/// Hierarchical (weighted) Dominant Resource Fairness: a depth-first walk
/// over the tree's child lists, which the tree keeps sorted by share.
#[derive(Debug, Default)]
pub(crate) struct DrfOrder {
    /// The pass in progress: nodes being walked and the next child index.
    stack: Vec<(u32, usize)>,
}

impl Order for DrfOrder {
    fn sorted(&self) -> bool {
        true
    }

    fn pick(&mut self, tree: &mut ClientTree, clients: &mut Vec<usize>) -> Option<usize> {
        let index = if tree.is_flat() {
            tree.resort();
            let tree = &*tree;
            (0..clients.len()).min_by(|&a, &b| tree.compare(tree.leaf(clients[a]), tree.leaf(clients[b])))?
        } else {
            self.start(tree);
            let first = std::iter::from_fn(|| self.next(tree)).find(|c| clients.contains(c))?;
            clients.iter().position(|&c| c == first)?
        };
        Some(clients.swap_remove(index))
    }

    fn start(&mut self, tree: &mut ClientTree) {
        tree.resort();
        self.stack.clear();
        self.stack.push((ROOT, 0));
    }

    fn next(&mut self, tree: &ClientTree) -> Option<usize> {
        while let Some(top) = self.stack.last_mut() {
            let (node, index) = *top;
            match tree.nodes[node as usize].children.get(index) {
                Some(&child) => {
                    top.1 += 1;
                    let entry = &tree.nodes[child as usize];
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
    use crate::sorter::Sorter;

    fn pass(sorter: &mut Sorter) -> Vec<usize> {
        sorter.start();
        std::iter::from_fn(|| sorter.next()).collect()
    }

    #[test]
    fn lowest_share_first_then_fewer_allocations_then_name() {
        let mut sorter = Sorter::drf(false, 0);
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
        let mut sorter = Sorter::drf(true, 0);
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
