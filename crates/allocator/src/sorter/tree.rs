//! The client tree both sorters keep: clients are leaves, roles' path
//! components are internal nodes, and every node knows what its subtree
//! holds, how many allocations it received and how many active leaves it has.
//!
//! Each node lists the children whose subtree has an active leaf. When the
//! tree is *ordered* (DRF) and clean, those lists are kept sorted by
//! `(share, allocation count, path)`, the order Apache Mesos uses; a change
//! to one client's allocation moves that client and its ancestors to their
//! new places (a `VecDeque`, so moving an entry from the front to the back,
//! the usual case after an allocation, is cheap). A change of the cluster
//! total or of a weight only marks the tree dirty; the next pass re-sorts.
//!
//! In a hierarchical tree a client with path `a/b` hangs below the internal
//! node `a/b` (which hangs below `a`), as a leaf named `a/b/.`, so a role can
//! have both frameworks of its own and sub-roles. In a flat tree (frameworks
//! of one role) leaves hang directly below the root.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use mesos_proto::collections::{Map, SeededState};

use crate::quantities::{add_slice, sub_slice};

/// No node.
pub(crate) const NONE: u32 = u32::MAX;
/// The root node's index.
pub(crate) const ROOT: u32 = 0;

#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) path: Arc<str>,
    pub(crate) parent: u32,
    /// The client of a leaf, `NONE` for internal nodes.
    pub(crate) client: u32,
    /// Children with at least one active leaf below them.
    pub(crate) children: VecDeque<u32>,
    /// Children, listed or not, by path (their ranks follow this order).
    names: BTreeMap<Arc<str>, u32>,
    /// What the subtree holds.
    pub(crate) alloc: Vec<i64>,
    pub(crate) weight: f64,
    /// Active leaves in the subtree.
    pub(crate) active: u32,
}

impl Node {
    fn new(path: Arc<str>, parent: u32, client: u32, weight: f64) -> Node {
        Node {
            path,
            parent,
            client,
            children: VecDeque::new(),
            names: BTreeMap::new(),
            alloc: Vec::new(),
            weight,
            active: 0,
        }
    }

    pub(crate) fn is_leaf(&self) -> bool {
        self.client != NONE
    }
}

/// What siblings are ordered by, kept apart from the nodes so that binary
/// searches over thousands of siblings stay in cache.
#[derive(Debug, Clone, Copy, Default)]
struct Key {
    share: f64,
    /// How many allocations the subtree received.
    count: u64,
    /// The node's place among its siblings in path order (order-maintenance
    /// labels: a new sibling takes the middle of the gap between its
    /// neighbours, and the siblings are relabelled when there is none).
    rank: u64,
}

#[derive(Debug)]
pub(crate) struct ClientTree {
    hierarchical: bool,
    ordered: bool,
    pub(crate) nodes: Vec<Node>,
    keys: Vec<Key>,
    free: Vec<u32>,
    /// Internal nodes by role path (hierarchical trees only).
    internal: Map<Arc<str>, u32>,
    /// Leaf of each client, or `NONE`.
    leaves: Vec<u32>,
    weights: Map<String, f64>,
    total: Vec<i64>,
    /// Shares or child orders are stale (ordered trees only).
    dirty: bool,
}

impl ClientTree {
    /// An empty tree; client and role names (which frameworks choose)
    /// hash with `hasher`.
    pub(crate) fn new(hierarchical: bool, ordered: bool, hasher: SeededState) -> ClientTree {
        ClientTree {
            hierarchical,
            ordered,
            nodes: vec![Node::new(Arc::from(""), NONE, NONE, 1.0)],
            keys: vec![Key::default()],
            free: Vec::new(),
            internal: hasher.map(),
            leaves: Vec::new(),
            weights: hasher.map(),
            total: Vec::new(),
            dirty: false,
        }
    }

    fn clean(&self) -> bool {
        self.ordered && !self.dirty
    }

    /// Whether leaves hang directly below the root.
    pub(crate) fn is_flat(&self) -> bool {
        !self.hierarchical
    }

    pub(crate) fn leaf(&self, client: usize) -> u32 {
        self.leaves.get(client).copied().unwrap_or(NONE)
    }

    pub(crate) fn contains(&self, client: usize) -> bool {
        self.leaf(client) != NONE
    }

    pub(crate) fn active_count(&self) -> usize {
        self.nodes[ROOT as usize].active as usize
    }

    pub(crate) fn is_active(&self, client: usize) -> bool {
        let leaf = self.leaf(client);
        leaf != NONE && self.nodes[leaf as usize].active > 0
    }

    pub(crate) fn allocation(&self, client: usize) -> &[i64] {
        match self.leaf(client) {
            NONE => &[],
            leaf => &self.nodes[leaf as usize].alloc,
        }
    }

    fn new_node(&mut self, node: Node) -> u32 {
        let parent = node.parent;
        let path = node.path.clone();
        let index = match self.free.pop() {
            Some(index) => {
                self.nodes[index as usize] = node;
                self.keys[index as usize] = Key::default();
                index
            }
            None => {
                self.nodes.push(node);
                self.keys.push(Key::default());
                u32::try_from(self.nodes.len() - 1).expect("fewer than 2^32 sorter nodes")
            }
        };
        let names = &mut self.nodes[parent as usize].names;
        let before = names.range(..path.clone()).next_back().map(|(_, &n)| n);
        let after = names.range((Bound::Excluded(path.clone()), Bound::Unbounded)).next().map(|(_, &n)| n);
        names.insert(path, index);
        let low = before.map_or(0, |n| self.keys[n as usize].rank);
        let high = after.map_or(u64::MAX, |n| self.keys[n as usize].rank);
        if high - low >= 2 {
            self.keys[index as usize].rank = low + (high - low) / 2;
        } else {
            let names = &self.nodes[parent as usize].names;
            let step = u64::MAX / (names.len() as u64 + 1);
            for (i, &sibling) in names.values().enumerate() {
                self.keys[sibling as usize].rank = step * (i as u64 + 1);
            }
        }
        index
    }

    fn free_node(&mut self, index: u32) {
        let parent = self.nodes[index as usize].parent;
        let path = self.nodes[index as usize].path.clone();
        self.nodes[parent as usize].names.remove(&path);
        let node = &mut self.nodes[index as usize];
        node.parent = NONE;
        node.children = VecDeque::new();
        node.names = BTreeMap::new();
        node.alloc = Vec::new();
        self.free.push(index);
    }

    /// The internal node of a role path, created with its ancestors.
    fn internal_node(&mut self, path: &str) -> u32 {
        if let Some(&node) = self.internal.get(path) {
            return node;
        }
        let parent = match path.rfind('/') {
            Some(slash) => self.internal_node(&path[..slash]),
            None => ROOT,
        };
        let weight = self.weights.get(path).copied().unwrap_or(1.0);
        let path: Arc<str> = Arc::from(path);
        let node = self.new_node(Node::new(path.clone(), parent, NONE, weight));
        self.internal.insert(path, node);
        node
    }

    pub(crate) fn add(&mut self, client: usize, path: &str) {
        if self.contains(client) {
            return;
        }
        let (parent, leaf_path, weight) = if self.hierarchical {
            (self.internal_node(path), Arc::from(format!("{path}/.")), 1.0)
        } else {
            let weight = self.weights.get(path).copied().unwrap_or(1.0);
            (ROOT, Arc::from(path), weight)
        };
        let client_index = u32::try_from(client).expect("client ids fit in u32");
        let leaf = self.new_node(Node::new(leaf_path, parent, client_index, weight));
        if self.leaves.len() <= client {
            self.leaves.resize(client + 1, NONE);
        }
        self.leaves[client] = leaf;
    }

    pub(crate) fn remove(&mut self, client: usize) {
        let leaf = self.leaf(client);
        if leaf == NONE {
            return;
        }
        self.deactivate(client);
        let held = std::mem::take(&mut self.nodes[leaf as usize].alloc);
        self.leaves[client] = NONE;
        let mut node = self.nodes[leaf as usize].parent;
        self.free_node(leaf);
        // Give back what the leaf held and drop internal nodes left empty.
        while node != NONE {
            self.change(node, &held, false, false);
            let parent = self.nodes[node as usize].parent;
            if node != ROOT && self.nodes[node as usize].names.is_empty() {
                let path = self.nodes[node as usize].path.clone();
                self.internal.remove(&path);
                self.free_node(node);
            }
            node = parent;
        }
    }

    pub(crate) fn activate(&mut self, client: usize) {
        let leaf = self.leaf(client);
        if leaf == NONE || self.nodes[leaf as usize].active > 0 {
            return;
        }
        let mut node = leaf;
        while node != NONE {
            self.nodes[node as usize].active += 1;
            let parent = self.nodes[node as usize].parent;
            if node != ROOT && self.nodes[node as usize].active == 1 {
                if self.clean() {
                    self.keys[node as usize].share = self.compute_share(node);
                }
                self.list(node);
            }
            node = parent;
        }
    }

    pub(crate) fn deactivate(&mut self, client: usize) {
        let leaf = self.leaf(client);
        if leaf == NONE || self.nodes[leaf as usize].active == 0 {
            return;
        }
        let mut node = leaf;
        while node != NONE {
            if node != ROOT && self.nodes[node as usize].active == 1 {
                self.unlist(node);
            }
            self.nodes[node as usize].active -= 1;
            node = self.nodes[node as usize].parent;
        }
    }

    pub(crate) fn update_weight(&mut self, path: &str, weight: f64) {
        self.weights.insert(path.to_owned(), weight);
        let node = if self.hierarchical { self.internal.get(path).copied() } else { None };
        if let Some(node) = node {
            self.nodes[node as usize].weight = weight;
            self.dirty = self.ordered;
        }
    }

    pub(crate) fn set_total(&mut self, total: &[i64]) {
        if self.total != total {
            self.total = total.to_vec();
            self.dirty = self.ordered;
        }
    }

    pub(crate) fn allocated(&mut self, client: usize, quantities: &[i64]) {
        self.adjust(client, quantities, true);
    }

    pub(crate) fn unallocated(&mut self, client: usize, quantities: &[i64]) {
        self.adjust(client, quantities, false);
    }

    fn adjust(&mut self, client: usize, quantities: &[i64], add: bool) {
        let mut node = self.leaf(client);
        while node != NONE {
            self.change(node, quantities, add, add);
            node = self.nodes[node as usize].parent;
        }
    }

    /// Changes one node's allocation and keeps it in order among its
    /// siblings.
    fn change(&mut self, node: u32, quantities: &[i64], add: bool, count: bool) {
        let listed = node != ROOT && self.nodes[node as usize].active > 0;
        let position = if listed && self.clean() { Some(self.position(node)) } else { None };
        let entry = &mut self.nodes[node as usize];
        if add {
            add_slice(&mut entry.alloc, quantities);
        } else {
            sub_slice(&mut entry.alloc, quantities);
        }
        if count {
            self.keys[node as usize].count += 1;
        }
        if node != ROOT && self.clean() {
            self.keys[node as usize].share = self.compute_share(node);
        }
        if let Some(position) = position {
            self.reposition(node, position);
        }
    }

    pub(crate) fn compute_share(&self, node: u32) -> f64 {
        let entry = &self.nodes[node as usize];
        let mut share = 0.0f64;
        for (id, &total) in self.total.iter().enumerate() {
            if total > 0 {
                let held = entry.alloc.get(id).copied().unwrap_or(0);
                share = share.max(held as f64 / total as f64);
            }
        }
        share / entry.weight
    }

    /// DRF order: lower share first, then fewer allocations, then path.
    pub(crate) fn compare(&self, a: u32, b: u32) -> Ordering {
        let (x, y) = (self.keys[a as usize], self.keys[b as usize]);
        x.share.total_cmp(&y.share).then(x.count.cmp(&y.count)).then(x.rank.cmp(&y.rank))
    }

    /// Where `node` sits in its parent's list.
    fn position(&self, node: u32) -> usize {
        let siblings = &self.nodes[self.nodes[node as usize].parent as usize].children;
        if self.clean() {
            let index = siblings.partition_point(|&s| self.compare(s, node) == Ordering::Less);
            debug_assert_eq!(siblings.get(index), Some(&node));
            index
        } else {
            siblings.iter().position(|&s| s == node).expect("listed node is among its parent's children")
        }
    }

    fn list(&mut self, node: u32) {
        let parent = self.nodes[node as usize].parent as usize;
        let mut siblings = std::mem::take(&mut self.nodes[parent].children);
        if self.clean() {
            let index = siblings.partition_point(|&s| self.compare(s, node) == Ordering::Less);
            siblings.insert(index, node);
        } else {
            siblings.push_back(node);
        }
        self.nodes[parent].children = siblings;
    }

    fn unlist(&mut self, node: u32) {
        let index = self.position(node);
        let parent = self.nodes[node as usize].parent as usize;
        self.nodes[parent].children.remove(index);
    }

    /// Moves `node`, found at `from` but with a new key, to its place.
    fn reposition(&mut self, node: u32, from: usize) {
        let parent = self.nodes[node as usize].parent as usize;
        let mut siblings = std::mem::take(&mut self.nodes[parent].children);
        let before = from.checked_sub(1).map(|i| siblings[i]);
        let after = siblings.get(from + 1).copied();
        let in_place = before.is_none_or(|b| self.compare(b, node) == Ordering::Less)
            && after.is_none_or(|a| self.compare(node, a) == Ordering::Less);
        if !in_place {
            siblings.remove(from);
            let index = siblings.partition_point(|&s| self.compare(s, node) == Ordering::Less);
            siblings.insert(index, node);
        }
        self.nodes[parent].children = siblings;
    }

    /// Recomputes every share and re-sorts every list, if needed.
    pub(crate) fn resort(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        for node in 1..self.nodes.len() {
            if self.nodes[node].parent != NONE {
                let node = u32::try_from(node).expect("node index fits in u32");
                self.keys[node as usize].share = self.compute_share(node);
            }
        }
        for node in 0..self.nodes.len() {
            if self.nodes[node].children.len() > 1 {
                let mut siblings = std::mem::take(&mut self.nodes[node].children);
                siblings.make_contiguous().sort_unstable_by(|&a, &b| self.compare(a, b));
                self.nodes[node].children = siblings;
            }
        }
    }

    /// The client's own share (its leaf's allocation over its role's weight).
    pub(crate) fn client_share(&self, client: usize) -> f64 {
        let leaf = self.leaf(client);
        if leaf == NONE {
            return 0.0;
        }
        let node = &self.nodes[leaf as usize];
        let weight = if self.hierarchical { self.nodes[node.parent as usize].weight } else { node.weight };
        self.compute_share(leaf) * node.weight / weight
    }

    /// Checks the tree's invariants (tests only).
    #[cfg(test)]
    pub(crate) fn check(&self) {
        for (index, node) in self.nodes.iter().enumerate() {
            if node.parent == NONE && index != ROOT as usize {
                continue;
            }
            let listed: Vec<u32> = node.children.iter().copied().collect();
            for &child in &listed {
                assert!(self.nodes[child as usize].active > 0);
                assert_eq!(self.nodes[child as usize].parent as usize, index);
            }
            if self.clean() {
                for pair in listed.windows(2) {
                    assert_eq!(self.compare(pair[0], pair[1]), Ordering::Less);
                }
            }
            let ranks: Vec<u64> = node.names.values().map(|&n| self.keys[n as usize].rank).collect();
            assert!(ranks.windows(2).all(|pair| pair[0] < pair[1]), "ranks follow paths");
        }
    }
}
