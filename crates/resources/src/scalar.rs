//! Fixed-point scalar quantities: thousandths held in an `i64`.
//!
//! Mesos keeps three decimal digits of precision and rounds every scalar to
//! the nearest thousandth before comparing or combining, so that sums of
//! fractional cpus never drift. Holding the value as an integer makes that
//! impossible to forget.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

/// A non-negative (by convention) quantity with three decimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Scalar(i64);

impl Scalar {
    pub const ZERO: Scalar = Scalar(0);

    /// Rounds `value` to the nearest thousandth. Callers validate finiteness.
    pub fn from_f64(value: f64) -> Scalar {
        Scalar((value * 1000.0).round() as i64)
    }

    /// A whole number of units.
    pub const fn from_units(units: i64) -> Scalar {
        Scalar(units * 1000)
    }

    /// A quantity given in thousandths.
    pub const fn from_millis(millis: i64) -> Scalar {
        Scalar(millis)
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Subtraction that stops at zero.
    pub fn saturating_sub(self, other: Scalar) -> Scalar {
        Scalar((self.0 - other.0).max(0))
    }
}

impl Add for Scalar {
    type Output = Scalar;
    fn add(self, other: Scalar) -> Scalar {
        Scalar(self.0 + other.0)
    }
}

impl AddAssign for Scalar {
    fn add_assign(&mut self, other: Scalar) {
        self.0 += other.0;
    }
}

impl Sub for Scalar {
    type Output = Scalar;
    fn sub(self, other: Scalar) -> Scalar {
        Scalar(self.0 - other.0)
    }
}

impl SubAssign for Scalar {
    fn sub_assign(&mut self, other: Scalar) {
        self.0 -= other.0;
    }
}

impl std::iter::Sum for Scalar {
    fn sum<I: Iterator<Item = Scalar>>(iter: I) -> Scalar {
        iter.fold(Scalar::ZERO, Add::add)
    }
}

impl fmt::Display for Scalar {
    /// Shortest decimal form: `2`, `0.5`, `1.125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let digits = format!("{frac:03}");
            write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_decimal_digits() {
        assert_eq!(Scalar::from_f64(0.1) + Scalar::from_f64(0.2), Scalar::from_f64(0.3));
        assert_eq!(Scalar::from_f64(0.0004), Scalar::ZERO);
        assert_eq!(Scalar::from_f64(0.0005), Scalar::from_millis(1));
        assert_eq!(Scalar::from_f64(1.5).to_string(), "1.5");
        assert_eq!(Scalar::from_units(2).to_string(), "2");
        assert_eq!(Scalar::from_f64(0.125).to_string(), "0.125");
    }
}
