//! What a store must prove before the master starts from it: that its
//! records are the last registry the master acknowledged as stored, not an
//! older one (a rolled-back or repaired file, a restored copy) and not a
//! damaged one.
//!
//! Every committed batch gets the next **version**, and the registry's
//! contents a [`Digest`] (how many records, and a checksum of them that does
//! not depend on their order, updated per record as batches change them).
//! A [`Seal`] (version and digest) is kept twice: *inside* the store, in the
//! same transaction as the records, and *outside* it, in a marker the store
//! writes after each commit (a small file beside the registry file). At
//! start, [`verify`] compares the two with a digest computed afresh from the
//! records read back, and decides whether the store may be trusted.
//!
//! No I/O here: stores read and write seals and call [`verify`].

use std::collections::BTreeMap;
use std::fmt;

use crate::records::Changes;

/// How many records a registry holds, and an order-independent checksum of
/// them: the wrapping sum of a 64-bit FNV-1a hash of each record (key and
/// bytes). Changing, adding or removing any one record changes the sum
/// (FNV-1a tells apart any two inputs that differ in one byte).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digest {
    hashes: BTreeMap<String, u64>,
    sum: u64,
}

/// What a [`Digest`] sums up: compared across stores and markers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub records: u64,
    pub checksum: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} records, checksum {:016x}", self.records, self.checksum)
    }
}

impl Digest {
    /// The digest of `records` (key, bytes), in any order.
    pub fn of<K: AsRef<str>, V: AsRef<[u8]>>(records: impl IntoIterator<Item = (K, V)>) -> Digest {
        let mut digest = Digest::default();
        for (key, bytes) in records {
            digest.put(key.as_ref(), bytes.as_ref());
        }
        digest
    }

    /// Updates the digest with a batch's changes.
    pub fn apply(&mut self, changes: &Changes) {
        for (key, bytes) in &changes.put {
            self.put(key, bytes);
        }
        for key in &changes.delete {
            if let Some(old) = self.hashes.remove(key) {
                self.sum = self.sum.wrapping_sub(old);
            }
        }
    }

    fn put(&mut self, key: &str, bytes: &[u8]) {
        let hash = record_hash(key, bytes);
        if let Some(old) = self.hashes.insert(key.to_owned(), hash) {
            self.sum = self.sum.wrapping_sub(old);
        }
        self.sum = self.sum.wrapping_add(hash);
    }

    pub fn summary(&self) -> Summary {
        Summary { records: self.hashes.len() as u64, checksum: self.sum }
    }
}

/// FNV-1a (64 bits) over the key's length, the key and the record's bytes.
fn record_hash(key: &str, bytes: &[u8]) -> u64 {
    let length = (key.len() as u64).to_le_bytes();
    fnv1a(fnv1a(fnv1a(FNV_OFFSET, &length), key.as_bytes()), bytes)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A registry's version and digest, as a store records it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seal {
    /// 0 for an empty registry never written; each committed batch adds 1.
    pub version: u64,
    pub contents: Summary,
}

impl fmt::Display for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "version {} ({})", self.version, self.contents)
    }
}

const SEAL_HEADER: &str = "mesos-registry-seal 1";

impl Seal {
    /// The seal of the empty registry, before any write.
    pub fn empty() -> Seal {
        Seal::default()
    }

    /// The seal after committing a batch whose result is `contents`.
    pub fn next(&self, contents: Summary) -> Seal {
        Seal { version: self.version + 1, contents }
    }

    /// A short text, checksummed itself, so that a damaged seal is told
    /// from a valid one: `mesos-registry-seal 1 version=V records=N
    /// checksum=HEX check=HEX`.
    pub fn encode(&self) -> String {
        let body = format!(
            "{SEAL_HEADER} version={} records={} checksum={:016x}",
            self.version, self.contents.records, self.contents.checksum
        );
        let check = fnv1a(FNV_OFFSET, body.as_bytes());
        format!("{body} check={check:016x}\n")
    }

    /// Reads [`Seal::encode`]'s text; anything else is an error.
    pub fn decode(bytes: &[u8]) -> Result<Seal, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "it is not text".to_owned())?;
        let text = text.strip_suffix('\n').ok_or("it is not a complete line")?;
        let (body, check) = text.rsplit_once(" check=").ok_or("it has no check")?;
        let check = u64::from_str_radix(check, 16).map_err(|_| "its check is not a number".to_owned())?;
        if check != fnv1a(FNV_OFFSET, body.as_bytes()) {
            return Err("its check does not match its contents".to_owned());
        }
        let fields = body.strip_prefix(SEAL_HEADER).ok_or("it is not a registry seal of a known format")?;
        let mut values = BTreeMap::new();
        for field in fields.split_whitespace() {
            let (name, value) = field.split_once('=').ok_or("a field has no value")?;
            values.insert(name, value);
        }
        let number = |name: &str, radix: u32| {
            values
                .get(name)
                .and_then(|value| u64::from_str_radix(value, radix).ok())
                .ok_or_else(|| format!("its {name} is missing or not a number"))
        };
        Ok(Seal {
            version: number("version", 10)?,
            contents: Summary { records: number("records", 10)?, checksum: number("checksum", 16)? },
        })
    }
}

/// The record kept outside the store, as found at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// There is none.
    Missing,
    /// There is one, but it cannot be read (the reason).
    Unreadable(String),
    Present(Seal),
}

/// Why a store may be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing was ever stored and nothing says otherwise: a new registry.
    /// The store writes a marker of [`Seal::empty`] before the master
    /// serves, so that a later loss of the store is noticed.
    Fresh,
    /// The store holds exactly what the marker names: the last batch
    /// acknowledged.
    Current(Seal),
    /// The store holds one batch more than the marker: the master stopped
    /// after committing that batch and before updating the marker, so the
    /// batch was never acknowledged; either state would be sound, and the
    /// store's, being whole (its digest matches its own seal), is kept. The
    /// store updates the marker before the master serves.
    AheadOfMarker(Seal),
    /// Records without any seal and no marker: a registry written before
    /// stores were sealed. Nothing contradicts it; the store seals it
    /// (version 1) before the master serves.
    Unsealed(Summary),
}

/// Why a store must not be trusted; each says what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error(
        "its records ({found}) do not match the seal stored with them ({sealed}): records or the seal were \
         changed outside the master's writes"
    )]
    Damaged { sealed: Seal, found: Summary },
    #[error(
        "it holds {stored}, older than {marker} that the marker records as the last acknowledged: \
         the store was rolled back (a repaired or damaged file, or an older copy)"
    )]
    RolledBack { stored: Seal, marker: Seal },
    #[error("it holds {stored} but the marker records {marker} for the same version: the two diverged")]
    Diverged { stored: Seal, marker: Seal },
    #[error("it holds {stored}, more than one batch beyond the marker's {marker}: the marker is an older copy")]
    MarkerBehind { stored: Seal, marker: Seal },
    #[error("it holds {stored} but its marker is missing")]
    MarkerMissing { stored: Seal },
    #[error("its marker cannot be read ({reason})")]
    MarkerUnreadable { reason: String },
    #[error(
        "it holds records without a seal ({found}) while the marker records {marker}: \
         it is not the registry the marker belongs to"
    )]
    UnsealedWithMarker { found: Summary, marker: Seal },
}

/// Decides whether a store may be trusted, given its marker, the seal
/// stored with its records (`None` when there is none) and the digest of
/// the records as read back.
///
/// Accepted, and only these:
///
/// | marker        | stored seal | records              | verdict            |
/// |---------------|-------------|----------------------|--------------------|
/// | missing       | none        | none                 | [`Verdict::Fresh`] |
/// | missing       | none        | some                 | [`Verdict::Unsealed`] |
/// | version 0     | none        | none                 | [`Verdict::Current`] (empty) |
/// | V, digest D   | V, D        | match D              | [`Verdict::Current`] |
/// | V             | V + 1, D'   | match D'             | [`Verdict::AheadOfMarker`] |
///
/// Everything else is a [`Mismatch`]: records that do not match their own
/// seal, a store older than its marker or beside it, a marker that is
/// missing, unreadable, or more than one batch behind.
///
/// Why one batch ahead is sound: a store commits a batch (records and seal
/// in one transaction), then writes the marker, and only then is the batch
/// acknowledged to the master. A stop between the two leaves the store one
/// version ahead with a whole, self-consistent batch the master never acted
/// upon. No sequence of writes leaves it two ahead, or behind.
pub fn verify(marker: &Marker, stored: Option<&Seal>, found: Summary) -> Result<Verdict, Mismatch> {
    // Records without a seal count as version 0 when there are none.
    let stored = match stored {
        Some(seal) => {
            if seal.contents != found {
                return Err(Mismatch::Damaged { sealed: *seal, found });
            }
            Some(*seal)
        }
        None if found.records == 0 => None,
        None => {
            return match marker {
                Marker::Missing => Ok(Verdict::Unsealed(found)),
                Marker::Unreadable(reason) => Err(Mismatch::MarkerUnreadable { reason: reason.clone() }),
                Marker::Present(marker) => Err(Mismatch::UnsealedWithMarker { found, marker: *marker }),
            };
        }
    };
    let marker = match marker {
        Marker::Missing => {
            return match stored {
                None => Ok(Verdict::Fresh),
                Some(stored) => Err(Mismatch::MarkerMissing { stored }),
            };
        }
        Marker::Unreadable(reason) => return Err(Mismatch::MarkerUnreadable { reason: reason.clone() }),
        Marker::Present(marker) => *marker,
    };
    let stored = stored.unwrap_or_else(Seal::empty);
    match stored.version {
        version if version == marker.version && stored == marker => Ok(Verdict::Current(stored)),
        version if version == marker.version => Err(Mismatch::Diverged { stored, marker }),
        version if version < marker.version => Err(Mismatch::RolledBack { stored, marker }),
        version if version == marker.version + 1 => Ok(Verdict::AheadOfMarker(stored)),
        _ => Err(Mismatch::MarkerBehind { stored, marker }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(n: u8) -> Vec<(String, Vec<u8>)> {
        (0..n).map(|i| (format!("agents/S{i}"), vec![i; 3])).collect()
    }

    fn seal(version: u64, n: u8) -> Seal {
        Seal { version, contents: Digest::of(records(n)).summary() }
    }

    #[test]
    fn the_digest_ignores_order_and_follows_changes() {
        let mut forward = records(5);
        let digest = Digest::of(forward.clone());
        forward.reverse();
        assert_eq!(Digest::of(forward).summary(), digest.summary());

        let mut changed = Digest::of(records(3));
        let changes = Changes {
            put: vec![("agents/S1".into(), vec![9]), ("agents/S7".into(), vec![7])],
            delete: vec!["agents/S2".into(), "agents/none".into()],
        };
        changed.apply(&changes);
        let expected =
            Digest::of([("agents/S0", vec![0u8; 3]), ("agents/S1", vec![9]), ("agents/S7", vec![7])]).summary();
        assert_eq!(changed.summary(), expected);
        assert_eq!(expected.records, 3);
    }

    #[test]
    fn one_changed_byte_or_record_changes_the_checksum() {
        let base = Digest::of(records(4)).summary();
        for index in 0..4 {
            for position in 0..3 {
                let mut damaged = records(4);
                damaged[index].1[position] ^= 0x01;
                assert_ne!(Digest::of(damaged).summary(), base);
            }
            let mut fewer = records(4);
            fewer.remove(index);
            assert_ne!(Digest::of(fewer).summary().checksum, base.checksum);
        }
        // A value moved to another key is another registry.
        let swapped = [("agents/S0", vec![1u8; 3]), ("agents/S1", vec![0u8; 3])];
        assert_ne!(Digest::of(swapped).summary(), Digest::of(records(2)).summary());
    }

    #[test]
    fn seals_round_trip_and_damage_is_refused() {
        let original = seal(42, 3);
        let text = original.encode();
        assert_eq!(Seal::decode(text.as_bytes()), Ok(original));
        for index in 0..text.len() {
            let mut bytes = text.clone().into_bytes();
            bytes[index] ^= 0x04;
            assert!(Seal::decode(&bytes).is_err(), "flipping byte {index} of {text:?} went unnoticed");
        }
        assert!(Seal::decode(&text.as_bytes()[..text.len() - 1]).is_err());
        assert!(Seal::decode(b"").is_err());
    }

    #[test]
    fn accepted_states() {
        let empty = Summary::default();
        assert_eq!(verify(&Marker::Missing, None, empty), Ok(Verdict::Fresh));
        let legacy = Digest::of(records(2)).summary();
        assert_eq!(verify(&Marker::Missing, None, legacy), Ok(Verdict::Unsealed(legacy)));
        let zero = Marker::Present(Seal::empty());
        assert_eq!(verify(&zero, None, empty), Ok(Verdict::Current(Seal::empty())));
        let current = seal(7, 3);
        assert_eq!(verify(&Marker::Present(current), Some(&current), current.contents), Ok(Verdict::Current(current)));
        // Committed, then stopped before the marker was written.
        let next = seal(8, 4);
        assert_eq!(verify(&Marker::Present(current), Some(&next), next.contents), Ok(Verdict::AheadOfMarker(next)));
        // The first batch of a new registry.
        let first = seal(1, 1);
        assert_eq!(verify(&zero, Some(&first), first.contents), Ok(Verdict::AheadOfMarker(first)));
    }

    #[test]
    fn refused_states() {
        let current = seal(7, 3);
        let marker = Marker::Present(current);
        let older = seal(6, 2);
        let refusals: Vec<(Marker, Option<Seal>, Summary)> = vec![
            // Records that do not match the seal beside them.
            (marker.clone(), Some(current), seal(7, 2).contents),
            // An older state (a repair that rolled back, an old copy).
            (marker.clone(), Some(older), older.contents),
            // An empty store where the marker names records.
            (marker.clone(), None, Summary::default()),
            // The same version with other contents.
            (marker.clone(), Some(seal(7, 5)), seal(7, 5).contents),
            // Two batches ahead: the marker is not the one last written.
            (marker.clone(), Some(seal(9, 5)), seal(9, 5).contents),
            // A sealed store whose marker is gone, or damaged.
            (Marker::Missing, Some(current), current.contents),
            (Marker::Unreadable("bad".into()), Some(current), current.contents),
            (Marker::Unreadable("bad".into()), None, Summary::default()),
            // Unsealed records where a marker exists.
            (marker, None, seal(0, 3).contents),
        ];
        for (marker, stored, found) in refusals {
            let verdict = verify(&marker, stored.as_ref(), found);
            assert!(verdict.is_err(), "{marker:?} {stored:?} {found:?} was accepted: {verdict:?}");
        }
    }
}
