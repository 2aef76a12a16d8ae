//! A fast, non-cryptographic hasher for the allocator's hot internal maps:
//! those keyed by indices the allocator assigns itself, and resource names
//! (which come from agents' totals). Maps keyed by ids or role names that
//! clients choose use the seeded `mesos_proto::collections::Map` instead,
//! so that such keys cannot be crafted into collisions. The scheme is the
//! Firefox hasher's multiply-and-rotate; it is deterministic, so iteration
//! order is reproducible.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_work_and_spread() {
        let mut map: FxHashMap<String, u32> = FxHashMap::default();
        for i in 0..1000 {
            map.insert(format!("framework-{i}"), i);
        }
        assert_eq!(map["framework-123"], 123);
        let mut a = FxHasher::default();
        a.write(b"agent-1");
        let mut b = FxHasher::default();
        b.write(b"agent-2");
        assert_ne!(a.finish(), b.finish());
    }
}
