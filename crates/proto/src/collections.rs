//! Hash maps and sets whose iteration order is reproducible.
//!
//! The pure cores iterate maps in ways that decide the order of what they
//! do, so a simulation replaying a seed needs the same order every time.
//! These maps hash with SipHash keyed by a process-wide seed: zero unless a
//! daemon sets a random one at startup ([`set_hash_seed`]), which keeps ids
//! chosen by clients from being crafted into collisions.

use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

static SEED: AtomicU64 = AtomicU64::new(0);

/// Sets the seed of every map created afterwards (call once, at startup).
pub fn set_hash_seed(seed: u64) {
    SEED.store(seed, Ordering::Relaxed);
}

/// Builds hashers from the process-wide seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeededState(u64);

impl Default for SeededState {
    fn default() -> SeededState {
        SeededState(SEED.load(Ordering::Relaxed))
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
