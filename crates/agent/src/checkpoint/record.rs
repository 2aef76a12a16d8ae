//! How a checkpoint record is laid out on disk, so that damage is told
//! from a record: a 4-byte mark (`\0MCK`: no protobuf message starts with
//! a zero byte), the CRC-32 of the contents (4 bytes, little-endian), then
//! the contents (a protobuf message, or text for the agent's id and the
//! boot id). A record whose mark or checksum does not match is damaged:
//! fatal with `--strict`, skipped otherwise. Checked per record as it is
//! read, so recovery costs one pass over what it reads anyway.

/// The mark every record starts with.
const MARK: &[u8; 4] = b"\0MCK";

/// A record holding `contents`.
pub fn frame(contents: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(contents.len() + 8);
    out.extend_from_slice(MARK);
    out.extend_from_slice(&crc32fast::hash(contents).to_le_bytes());
    out.extend_from_slice(contents);
    out
}

/// The contents of a record, or why it is damaged.
pub fn unframe(bytes: &[u8]) -> Result<&[u8], &'static str> {
    let (Some(mark), Some(checksum)) = (bytes.first_chunk::<4>(), bytes.get(4..8)) else {
        return Err("it is too short to be a checkpoint record (damaged or truncated)");
    };
    if mark != MARK {
        return Err("it does not start as a checkpoint record does (damaged, or not written by this agent)");
    }
    let contents = &bytes[8..];
    let expected = u32::from_le_bytes([checksum[0], checksum[1], checksum[2], checksum[3]]);
    if crc32fast::hash(contents) != expected {
        return Err("its checksum does not match its contents (the record is damaged)");
    }
    Ok(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_any_damage_is_noticed() {
        for contents in [&b""[..], b"S1-agent-id", &[0x0a, 0x03, b'a', b'b', b'c']] {
            let record = frame(contents);
            assert_eq!(unframe(&record), Ok(contents));
            for index in 0..record.len() {
                for bit in 0..8 {
                    let mut damaged = record.clone();
                    damaged[index] ^= 1 << bit;
                    assert!(unframe(&damaged).is_err(), "flipping bit {bit} of byte {index} went unnoticed");
                }
            }
            for length in 0..record.len() {
                assert!(unframe(&record[..length]).is_err());
            }
        }
        // A record written without the frame is refused, not decoded.
        assert!(unframe(&[0x0a, 0x01, b'x', 0, 0, 0, 0, 0, 0]).is_err());
    }
}
