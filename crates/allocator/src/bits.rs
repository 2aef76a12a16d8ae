//! A growable bit set over dense indices (frameworks), with the few
//! word-at-a-time operations the cycle needs.

/// Bits indexed by `u32`; missing words are zeros.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bits(Vec<u64>);

impl Bits {
    pub(crate) fn has(&self, index: u32) -> bool {
        self.0.get((index / 64) as usize).is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    pub(crate) fn set(&mut self, index: u32, on: bool) {
        let word = (index / 64) as usize;
        if self.0.len() <= word {
            if !on {
                return;
            }
            self.0.resize(word + 1, 0);
        }
        if on {
            self.0[word] |= 1 << (index % 64);
        } else {
            self.0[word] &= !(1 << (index % 64));
        }
    }

    pub(crate) fn clear(&mut self) {
        self.0.iter_mut().for_each(|w| *w = 0);
    }

    /// `self |= other`.
    pub(crate) fn or(&mut self, other: &Bits) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine |= theirs;
        }
    }

    /// Number of bits set in `self` and not in `other`.
    pub(crate) fn count_without(&self, other: &Bits) -> usize {
        self.0.iter().enumerate().map(|(i, &w)| (w & !other.0.get(i).copied().unwrap_or(0)).count_ones() as usize).sum()
    }

    /// The indices set in `self` and not in `other`, appended to `out`.
    pub(crate) fn collect_without(&self, other: &Bits, out: &mut Vec<usize>) {
        for (i, &w) in self.0.iter().enumerate() {
            let mut word = w & !other.0.get(i).copied().unwrap_or(0);
            while word != 0 {
                let bit = word.trailing_zeros() as usize;
                out.push(i * 64 + bit);
                word &= word - 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let mut a = Bits::default();
        let mut b = Bits::default();
        for i in [1, 64, 130, 131] {
            a.set(i, true);
        }
        b.set(130, true);
        b.set(500, false);
        assert!(a.has(64) && !a.has(2) && !b.has(500));
        assert_eq!(a.count_without(&b), 3);
        let mut out = Vec::new();
        a.collect_without(&b, &mut out);
        assert_eq!(out, [1, 64, 131]);
        b.or(&a);
        assert_eq!(a.count_without(&b), 0);
        b.clear();
        assert_eq!(a.count_without(&b), 4);
    }
}
