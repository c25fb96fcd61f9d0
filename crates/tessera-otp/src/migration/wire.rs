//! The protobuf wire format, only as much as the export needs: varints and
//! length-delimited fields, with fixed-width fields skipped.

use crate::Error;

/// One field of a message.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Field<'a> {
    /// Wire type 0: field number and value.
    Varint(u64, u64),
    /// Wire type 2: field number and bytes (strings, bytes, embedded messages).
    Bytes(u64, &'a [u8]),
    /// Wire types 1 and 5 (fixed 64 and 32 bits): field number only; nothing here uses them.
    Fixed(u64),
}

/// Reads fields one by one from a message's bytes.
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next field, or `None` at the end of the message.
    pub(super) fn next_field(&mut self) -> Result<Option<Field<'a>>, Error> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = key >> 3;
        if number == 0 || number > 0x1FFF_FFFF {
            return Err(malformed("invalid field number"));
        }
        let field = match key & 7 {
            0 => Field::Varint(number, self.varint()?),
            1 => {
                self.take(8)?;
                Field::Fixed(number)
            }
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| malformed("a length is out of range"))?;
                Field::Bytes(number, self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Field::Fixed(number)
            }
            // 3 and 4 are the deprecated groups; 6 and 7 do not exist.
            _ => return Err(malformed("unsupported wire type")),
        };
        Ok(Some(field))
    }

    /// A base-128 varint of at most ten bytes that fits in 64 bits.
    fn varint(&mut self) -> Result<u64, Error> {
        let mut value: u64 = 0;
        for i in 0..10u32 {
            let (&byte, rest) = self
                .rest
                .split_first()
                .ok_or(malformed("truncated varint"))?;
            self.rest = rest;
            let bits = u64::from(byte & 0x7F);
            // The tenth byte may only carry the 64th bit.
            if i == 9 && bits > 1 {
                return Err(malformed("varint overflows 64 bits"));
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed("varint longer than ten bytes"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        if len > self.rest.len() {
            return Err(malformed("a field runs past the end"));
        }
        let (head, tail) = self.rest.split_at(len);
        self.rest = tail;
        Ok(head)
    }
}

fn malformed(reason: &'static str) -> Error {
    Error::InvalidMigration(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(bytes: &[u8]) -> Result<Vec<Field<'_>>, Error> {
        let mut reader = Reader::new(bytes);
        let mut out = Vec::new();
        while let Some(f) = reader.next_field()? {
            out.push(f);
        }
        Ok(out)
    }

    fn varint_bytes(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        while v >= 0x80 {
            out.push(u8::try_from(v & 0x7F).unwrap_or_default() | 0x80);
            v >>= 7;
        }
        out.push(u8::try_from(v).unwrap_or_default());
        out
    }

    /// Field numbers run from 1 to 2^29 - 1 (protobuf.dev, "Assigning Field Numbers"):
    /// the last one is read, the next is refused.
    #[test]
    fn field_numbers_end_at_2_pow_29_minus_1() {
        let last = (1u64 << 29) - 1;
        let mut bytes = varint_bytes(last << 3);
        bytes.push(1);
        assert_eq!(fields(&bytes), Ok(vec![Field::Varint(last, 1)]));
        let mut bytes = varint_bytes((last + 1) << 3);
        bytes.push(1);
        assert_eq!(
            fields(&bytes),
            Err(Error::InvalidMigration("invalid field number"))
        );
    }

    #[test]
    fn reads_the_protobuf_encoding_examples() {
        // https://protobuf.dev/programming-guides/encoding/: 150 in field 1 is 08 96 01;
        // "testing" in field 2 is 12 07 74 65 73 74 69 6e 67.
        assert_eq!(
            fields(&[0x08, 0x96, 0x01]).unwrap(),
            [Field::Varint(1, 150)]
        );
        assert_eq!(
            fields(b"\x12\x07testing").unwrap(),
            [Field::Bytes(2, b"testing")]
        );
        // Fixed-width fields are skipped over.
        assert_eq!(
            fields(&[0x0D, 1, 2, 3, 4, 0x11, 1, 2, 3, 4, 5, 6, 7, 8]).unwrap(),
            [Field::Fixed(1), Field::Fixed(2)]
        );
        // The largest varint: ten bytes.
        let max = [
            0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
        ];
        assert_eq!(fields(&max).unwrap(), [Field::Varint(1, u64::MAX)]);
    }

    #[test]
    fn refuses_malformed_input() {
        for bad in [
            &[0x08][..],         // value missing
            &[0x08, 0x96],       // truncated varint
            &[0x12, 0x05, b'a'], // length past the end
            &[0x00, 0x01],       // field number 0
            &[0x0B],             // group start
            &[0x0E],             // wire type 6
            &[0x0D, 1, 2],       // truncated fixed32
            &[
                0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02,
            ], // > 64 bits
            &[
                0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
            ],
            &[0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], // huge length
        ] {
            assert!(
                matches!(fields(bad), Err(Error::InvalidMigration(_))),
                "{bad:02x?}"
            );
        }
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = fields(&bytes);
        }
    }
}
