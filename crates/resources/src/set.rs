//! Sets of strings, the SET value type.

use std::collections::BTreeSet;
use std::fmt;

/// An ordered set of items; rendered as `{a, b}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Set(BTreeSet<String>);

impl Set {
    pub fn new() -> Set {
        Set::default()
    }

    pub fn items(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn insert(&mut self, item: impl Into<String>) {
        self.0.insert(item.into());
    }

    pub fn contains(&self, other: &Set) -> bool {
        other.0.is_subset(&self.0)
    }

    pub fn add(&mut self, other: &Set) {
        self.0.extend(other.0.iter().cloned());
    }

    pub fn subtract(&mut self, other: &Set) {
        self.0.retain(|item| !other.0.contains(item));
    }
}

impl<S: Into<String>> FromIterator<S> for Set {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Set {
        Set(iter.into_iter().map(Into::into).collect())
    }
}

impl fmt::Display for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{")?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{item}")?;
        }
        write!(f, "}}")
    }
}
