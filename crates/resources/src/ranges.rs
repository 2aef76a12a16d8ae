//! Inclusive integer ranges (the RANGES value type, used for ports),
//! normalized so that they are sorted and overlapping or adjacent ranges
//! are merged: `[1-4, 5-7]` is `[1-7]`.

use std::fmt;

/// A normalized list of inclusive `(begin, end)` ranges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Ranges(Vec<(u64, u64)>);

impl Ranges {
    pub fn new() -> Ranges {
        Ranges::default()
    }

    /// Builds normalized ranges from any list; pairs with `begin > end` are
    /// the caller's to reject beforehand (they are dropped here).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (u64, u64)>) -> Ranges {
        let mut list: Vec<(u64, u64)> = pairs.into_iter().filter(|(b, e)| b <= e).collect();
        list.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(list.len());
        for (begin, end) in list {
            match merged.last_mut() {
                Some(last) if begin <= last.1.saturating_add(1) => last.1 = last.1.max(end),
                _ => merged.push((begin, end)),
            }
        }
        Ranges(merged)
    }

    /// The single range `[begin-end]`.
    pub fn single(begin: u64, end: u64) -> Ranges {
        Ranges::from_pairs([(begin, end)])
    }

    pub fn pairs(&self) -> &[(u64, u64)] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many integers the ranges hold.
    pub fn count(&self) -> u64 {
        self.0.iter().map(|(b, e)| e - b + 1).sum()
    }

    pub fn contains_value(&self, value: u64) -> bool {
        let index = self.0.partition_point(|(_, end)| *end < value);
        self.0.get(index).is_some_and(|(begin, _)| *begin <= value)
    }

    /// Whether every integer of `other` is in `self`.
    pub fn contains(&self, other: &Ranges) -> bool {
        other.0.iter().all(|(begin, end)| {
            let index = self.0.partition_point(|(_, e)| e < begin);
            self.0.get(index).is_some_and(|(b, e)| b <= begin && end <= e)
        })
    }

    pub fn add(&mut self, other: &Ranges) {
        if other.is_empty() {
            return;
        }
        *self = Ranges::from_pairs(self.0.iter().chain(other.0.iter()).copied());
    }

    /// Removes every integer of `other`, splitting ranges where needed.
    pub fn subtract(&mut self, other: &Ranges) {
        if other.is_empty() || self.is_empty() {
            return;
        }
        let cuts = &other.0;
        let mut result = Vec::with_capacity(self.0.len() + cuts.len());
        let mut first_cut = 0;
        for &(begin, end) in &self.0 {
            while first_cut < cuts.len() && cuts[first_cut].1 < begin {
                first_cut += 1;
            }
            // `start` is where the not-yet-removed rest of this range begins.
            let mut start = Some(begin);
            let mut k = first_cut;
            while let Some(from) = start {
                match cuts.get(k) {
                    Some(&(cut_begin, cut_end)) if cut_begin <= end => {
                        if cut_begin > from {
                            result.push((from, cut_begin - 1));
                        }
                        start = if cut_end >= end { None } else { Some(cut_end + 1) };
                        k += 1;
                    }
                    _ => {
                        result.push((from, end));
                        start = None;
                    }
                }
            }
        }
        // Pieces keep the order and the gaps of their sources: still normal.
        self.0 = result;
    }

    /// The integers in both.
    pub fn intersection(&self, other: &Ranges) -> Ranges {
        let mut result = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a0, a1) = self.0[i];
            let (b0, b1) = other.0[j];
            let (lo, hi) = (a0.max(b0), a1.min(b1));
            if lo <= hi {
                result.push((lo, hi));
            }
            if a1 < b1 { i += 1 } else { j += 1 }
        }
        Ranges(result)
    }

    /// Takes the first `count` integers, in ascending order.
    pub fn take_first(&self, count: u64) -> Ranges {
        let mut left = count;
        let mut taken = Vec::new();
        for &(begin, end) in &self.0 {
            if left == 0 {
                break;
            }
            let size = end - begin + 1;
            if size <= left {
                taken.push((begin, end));
                left -= size;
            } else {
                taken.push((begin, begin + left - 1));
                left = 0;
            }
        }
        Ranges(taken)
    }
}

impl fmt::Display for Ranges {
    /// `[31000-32000, 33000-34000]`, as Mesos renders ranges.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, (begin, end)) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{begin}-{end}")?;
        }
        write!(f, "]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn expand(r: &Ranges) -> BTreeSet<u64> {
        r.pairs().iter().flat_map(|(b, e)| *b..=*e).collect()
    }

    fn small_ranges() -> impl Strategy<Value = Ranges> {
        proptest::collection::vec((0u64..60, 0u64..8), 0..6)
            .prop_map(|v| Ranges::from_pairs(v.into_iter().map(|(b, len)| (b, b + len))))
    }

    #[test]
    fn coalesces_overlapping_and_adjacent() {
        assert_eq!(Ranges::from_pairs([(5, 7), (1, 4)]).to_string(), "[1-7]");
        assert_eq!(Ranges::from_pairs([(1, 3), (2, 9), (20, 21)]).to_string(), "[1-9, 20-21]");
    }

    #[test]
    fn subtraction_splits() {
        let mut r = Ranges::single(31000, 32000);
        r.subtract(&Ranges::from_pairs([(31000, 31000), (31500, 31600)]));
        assert_eq!(r.to_string(), "[31001-31499, 31601-32000]");
        let mut full = Ranges::single(0, u64::MAX);
        full.subtract(&Ranges::single(0, u64::MAX));
        assert!(full.is_empty());
    }

    proptest! {
        #[test]
        fn arithmetic_matches_integer_sets(a in small_ranges(), b in small_ranges()) {
            let (sa, sb) = (expand(&a), expand(&b));
            let mut sum = a.clone();
            sum.add(&b);
            prop_assert_eq!(expand(&sum), sa.union(&sb).copied().collect::<BTreeSet<_>>());
            let mut difference = a.clone();
            difference.subtract(&b);
            prop_assert_eq!(expand(&difference), sa.difference(&sb).copied().collect::<BTreeSet<_>>());
            prop_assert_eq!(expand(&a.intersection(&b)), sa.intersection(&sb).copied().collect::<BTreeSet<_>>());
            prop_assert_eq!(a.contains(&b), sb.is_subset(&sa));
            prop_assert_eq!(a.count() as usize, sa.len());
            // Normal form: sorted, disjoint, not adjacent.
            for w in sum.pairs().windows(2) {
                prop_assert!(w[0].1 + 1 < w[1].0);
            }
        }
    }
}
