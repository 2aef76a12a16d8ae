//! Hash maps and sets whose iteration order is reproducible.
//!
//! The pure cores iterate maps in ways that decide the order of what they
//! do, so a simulation replaying a seed needs the same order every time.
//! These maps hash with SipHash keyed by a seed that is an explicit input:
//! each core takes it in its configuration and builds the maps keyed by ids
//! that clients choose with it ([`SeededState::new`]), so a daemon that
//! draws a random seed at start keeps such ids from being crafted into
//! collisions, and a simulation that fixes it replays exactly. Maps keyed by
//! the core's own values may use [`SeededState::default`] (seed zero).

use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasher, Hasher};

/// Builds hashers keyed by a seed; the default seed is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeededState(u64);

impl SeededState {
    pub fn new(seed: u64) -> SeededState {
        SeededState(seed)
    }

    /// An empty map hashing with this seed.
    pub fn map<K, V>(self) -> Map<K, V> {
        Map::with_hasher(self)
    }

    /// An empty set hashing with this seed.
    pub fn set<T>(self) -> Set<T> {
        Set::with_hasher(self)
    }
}

impl BuildHasher for SeededState {
    type Hasher = DefaultHasher;

    fn build_hasher(&self) -> DefaultHasher {
        let mut hasher = DefaultHasher::new();
        hasher.write_u64(self.0);
        hasher
    }
}

/// A map with reproducible iteration order.
pub type Map<K, V> = std::collections::HashMap<K, V, SeededState>;

/// A set with reproducible iteration order.
pub type Set<T> = std::collections::HashSet<T, SeededState>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iteration_order_is_the_same_for_the_same_seed() {
        let fill = || (0..100).map(|i| (format!("key-{i}"), i)).collect::<Map<String, i32>>();
        let first: Vec<String> = fill().into_keys().collect();
        let second: Vec<String> = fill().into_keys().collect();
        assert_eq!(first, second);
    }
}
