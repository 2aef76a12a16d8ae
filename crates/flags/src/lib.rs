//! The conventions of Mesos flags that `clap` does not know by itself:
//!
//! - durations written `<number><unit>` with units `ns`, `us`, `ms`, `secs`,
//!   `mins`, `hrs`, `days`, `weeks` (`15secs`, `1.5mins`);
//! - booleans given as `--name`, `--name=true|false` or `--no-name`;
//! - values that may be read from a file, written `file:///path`.
//!
//! Every flag also reads `MESOS_<NAME>` from the environment, which the
//! daemons declare with clap's `env`.

use std::fmt;
use std::time::Duration;

/// Why a flag value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    #[error("invalid duration '{0}': expected a number followed by ns, us, ms, secs, mins, hrs, days or weeks")]
    Duration(String),
    #[error("cannot read '{path}': {reason}")]
    File { path: String, reason: String },
}

const UNITS: [(&str, f64); 8] = [
    ("ns", 1e-9),
    ("us", 1e-6),
    ("ms", 1e-3),
    ("secs", 1.0),
    ("mins", 60.0),
    ("hrs", 3600.0),
    ("days", 86_400.0),
    ("weeks", 604_800.0),
];

/// Parses a Mesos duration such as `15secs` or `10mins`.
pub fn parse_duration(text: &str) -> Result<Duration, FlagError> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(|| FlagError::Duration(text.to_owned()))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.trim().parse().map_err(|_| FlagError::Duration(text.to_owned()))?;
    let (_, factor) =
        UNITS.iter().find(|(name, _)| *name == unit).ok_or_else(|| FlagError::Duration(text.to_owned()))?;
    let seconds = number * factor;
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(FlagError::Duration(text.to_owned()));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A duration flag value that prints back the way Mesos prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct MesosDuration(pub Duration);

impl std::str::FromStr for MesosDuration {
    type Err = FlagError;
    fn from_str(text: &str) -> Result<Self, FlagError> {
        parse_duration(text).map(MesosDuration)
    }
}

impl fmt::Display for MesosDuration {
    /// The largest unit in which the value is at least one: `15secs`,
    /// `1mins`, `1.5hrs`, `0ns`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.0.as_secs_f64();
        if seconds == 0.0 {
            return write!(f, "0ns");
        }
        let (name, factor) = UNITS.iter().rev().find(|(_, factor)| seconds >= *factor).copied().unwrap_or(("ns", 1e-9));
        let value = seconds / factor;
        let rounded = (value * 1000.0).round() / 1000.0;
        if rounded.fract() == 0.0 { write!(f, "{}{name}", rounded as u64) } else { write!(f, "{rounded}{name}") }
    }
}

impl From<MesosDuration> for Duration {
    fn from(value: MesosDuration) -> Duration {
        value.0
    }
}

/// Rewrites `--no-name` into `--name=false` for the given boolean flags, so
/// that clap accepts Mesos's negated form.
pub fn normalize_args(args: impl IntoIterator<Item = String>, booleans: &[&str]) -> Vec<String> {
    args.into_iter()
        .map(|arg| match arg.strip_prefix("--no-") {
            Some(name) if booleans.contains(&name) => format!("--{name}=false"),
            _ => arg,
        })
        .collect()
}

/// Reads a value that may be given inline or as `file:///path`.
pub fn read_value(value: &str) -> Result<String, FlagError> {
    match value.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path)
            .map(|s| s.trim().to_owned())
            .map_err(|e| FlagError::File { path: path.to_owned(), reason: e.to_string() }),
        None => Ok(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15secs").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_duration("1.5mins").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("2weeks").unwrap(), Duration::from_secs(1_209_600));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        for bad in ["", "15", "secs", "15sec", "-1secs", "abcsecs"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(MesosDuration(Duration::from_secs(15)).to_string(), "15secs");
        assert_eq!(MesosDuration(Duration::from_secs(60)).to_string(), "1mins");
        assert_eq!(MesosDuration(Duration::from_secs(90)).to_string(), "1.5mins");
        assert_eq!(MesosDuration(Duration::ZERO).to_string(), "0ns");
    }

    #[test]
    fn negated_booleans() {
        let args = normalize_args(
            ["prog", "--no-hostname_lookup", "--no-such", "--port=1"].map(String::from),
            &["hostname_lookup"],
        );
        assert_eq!(args, ["prog", "--hostname_lookup=false", "--no-such", "--port=1"]);
    }
}
