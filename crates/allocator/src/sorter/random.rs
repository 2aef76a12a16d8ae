//! The random sorter: each pass visits the active clients in a weighted
//! random order, drawn level by level of the role tree (a child's chance to
//! come next is proportional to its weight), like Apache Mesos's `random`
//! sorter. Draws are lazy: a pass that stops early draws little.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::Order;
use super::tree::{ClientTree, ROOT};

/// Weighted random order.
#[derive(Debug)]
pub(crate) struct RandomOrder {
    rng: SmallRng,
    /// The pass in progress: per level, the children not drawn yet.
    stack: Vec<Frame>,
    spare: Vec<Vec<u32>>,
}

#[derive(Debug)]
struct Frame {
    pool: Vec<u32>,
    /// Pre-shuffled by weight (drawn from the back), or drawn uniformly.
    weighted: bool,
}

impl RandomOrder {
    /// Draws from `seed`.
    pub(crate) fn new(seed: u64) -> RandomOrder {
        RandomOrder { rng: SmallRng::seed_from_u64(seed), stack: Vec::new(), spare: Vec::new() }
    }

    fn push(&mut self, tree: &ClientTree, node: u32) {
        let mut pool = self.spare.pop().unwrap_or_default();
        pool.clear();
        pool.extend(tree.nodes[node as usize].children.iter().copied());
        let weight = |child: &u32| tree.nodes[*child as usize].weight;
        let first = pool.first().map(weight);
        let weighted = pool.iter().any(|child| Some(weight(child)) != first);
        if weighted {
            // Efraimidis-Spirakis: sort by u^(1/w); the largest key comes
            // first, so it goes last (the pool is drawn from the back).
            let mut keyed: Vec<(f64, u32)> = pool
                .iter()
                .map(|&child| {
                    let u: f64 = self.rng.random_range(f64::MIN_POSITIVE..1.0);
                    (u.powf(1.0 / weight(&child)), child)
                })
                .collect();
            keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            pool.clear();
            pool.extend(keyed.into_iter().map(|(_, child)| child));
        }
        self.stack.push(Frame { pool, weighted });
    }
}

impl Order for RandomOrder {
    fn sorted(&self) -> bool {
        false
    }

    fn pick(&mut self, tree: &mut ClientTree, clients: &mut Vec<usize>) -> Option<usize> {
        // Weighted by the clients' own weights (frameworks all weigh 1).
        let weights: Vec<f64> = clients.iter().map(|&c| tree.nodes[tree.leaf(c) as usize].weight).collect();
        let total: f64 = weights.iter().sum();
        if clients.is_empty() || total <= 0.0 {
            return None;
        }
        let mut point = self.rng.random_range(0.0..total);
        let mut index = clients.len() - 1;
        for (i, weight) in weights.iter().enumerate() {
            if point < *weight {
                index = i;
                break;
            }
            point -= weight;
        }
        Some(clients.swap_remove(index))
    }

    fn start(&mut self, tree: &mut ClientTree) {
        while let Some(frame) = self.stack.pop() {
            self.spare.push(frame.pool);
        }
        self.push(tree, ROOT);
    }

    fn next(&mut self, tree: &ClientTree) -> Option<usize> {
        loop {
            let frame = self.stack.last_mut()?;
            let child = if frame.pool.is_empty() {
                None
            } else if frame.weighted {
                frame.pool.pop()
            } else {
                let index = self.rng.random_range(0..frame.pool.len());
                Some(frame.pool.swap_remove(index))
            };
            let Some(child) = child else {
                if let Some(frame) = self.stack.pop() {
                    self.spare.push(frame.pool);
                }
                continue;
            };
            let entry = &tree.nodes[child as usize];
            if entry.is_leaf() {
                return Some(entry.client as usize);
            }
            self.push(tree, child);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::sorter::Sorter;

    #[test]
    fn every_active_client_once_in_varying_orders() {
        let mut sorter = Sorter::random(true, 7);
        for (client, role) in ["a", "b", "c/x", "c/y", "d"].iter().enumerate() {
            sorter.add(client, role);
            sorter.activate(client);
        }
        sorter.update_weight("a", 3.0);
        sorter.deactivate(4);
        let mut firsts = std::collections::BTreeMap::new();
        for _ in 0..400 {
            sorter.start();
            let mut order: Vec<usize> = std::iter::from_fn(|| sorter.next()).collect();
            *firsts.entry(order[0]).or_insert(0) += 1;
            order.sort_unstable();
            assert_eq!(order, [0, 1, 2, 3]);
        }
        // `a` (weight 3) comes first about half the time (3 / (3 + 1 + 1 + ...)).
        assert!(firsts[&0] > firsts[&1], "{firsts:?}");
        assert!(firsts.contains_key(&2) || firsts.contains_key(&3));
    }
}
