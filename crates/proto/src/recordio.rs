//! RecordIO framing of Mesos streaming bodies: each record is its length in
//! ASCII decimal, a line feed, then exactly that many bytes. No trailing
//! newline, no CRLF. Records may straddle transport chunks arbitrarily, so the
//! decoder buffers until a whole record is present.

use bytes::{Buf, Bytes, BytesMut};

/// Upper bound on a single record, so a corrupt length cannot make a reader
/// buffer without end.
pub const MAX_RECORD_BYTES: usize = 256 * 1024 * 1024;

/// Why a RecordIO stream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordIoError {
    #[error("invalid RecordIO length header")]
    InvalidLength,
    #[error("RecordIO record of {0} bytes exceeds the limit")]
    TooLarge(usize),
}

/// Frames one record.
pub fn encode(record: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(record.len() + 12);
    out.extend_from_slice(record.len().to_string().as_bytes());
    out.extend_from_slice(b"\n");
    out.extend_from_slice(record);
    out.freeze()
}

/// Incremental decoder: feed it bytes as they arrive, take records out.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: BytesMut,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buffer.extend_from_slice(data);
    }

    /// Takes the next complete record, if one is buffered.
    pub fn next_record(&mut self) -> Result<Option<Bytes>, RecordIoError> {
        let Some(newline) = self.buffer.iter().position(|b| *b == b'\n') else {
            if self.buffer.len() > 20 {
                return Err(RecordIoError::InvalidLength);
            }
            return Ok(None);
        };
        let header = &self.buffer[..newline];
        if header.is_empty() || header.len() > 20 || !header.iter().all(u8::is_ascii_digit) {
            return Err(RecordIoError::InvalidLength);
        }
        let length: usize =
            std::str::from_utf8(header).ok().and_then(|s| s.parse().ok()).ok_or(RecordIoError::InvalidLength)?;
        if length > MAX_RECORD_BYTES {
            return Err(RecordIoError::TooLarge(length));
        }
        if self.buffer.len() < newline + 1 + length {
            return Ok(None);
        }
        self.buffer.advance(newline + 1);
        Ok(Some(self.buffer.split_to(length).freeze()))
    }

    /// Bytes received but not yet returned as a record.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn frames_as_mesos_does() {
        assert_eq!(&encode(b"hello")[..], b"5\nhello");
        assert_eq!(&encode(b"")[..], b"0\n");
    }

    #[test]
    fn rejects_garbage_headers() {
        let mut decoder = Decoder::new();
        decoder.push(b"12x\nabc");
        assert_eq!(decoder.next_record(), Err(RecordIoError::InvalidLength));
        let mut decoder = Decoder::new();
        decoder.push(b"99999999999999\n");
        assert!(matches!(decoder.next_record(), Err(RecordIoError::TooLarge(_))));
    }

    proptest! {
        /// Records survive any split of the stream into chunks.
        #[test]
        fn records_survive_arbitrary_chunking(
            records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8),
            cuts in proptest::collection::vec(1usize..17, 0..40),
        ) {
            let stream: Vec<u8> = records.iter().flat_map(|r| encode(r).to_vec()).collect();
            let mut decoder = Decoder::new();
            let mut out = Vec::new();
            let mut offset = 0;
            let mut cuts = cuts.into_iter();
            while offset < stream.len() {
                let step = cuts.next().unwrap_or(stream.len()).min(stream.len() - offset);
                decoder.push(&stream[offset..offset + step]);
                offset += step;
                while let Some(record) = decoder.next_record().unwrap() {
                    out.push(record.to_vec());
                }
            }
            prop_assert_eq!(out, records);
            prop_assert_eq!(decoder.buffered(), 0);
        }
    }
}
