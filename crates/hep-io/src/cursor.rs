//! A bounds-checked big-endian reader that knows its file offset.

use crate::error::{Error, Result};

/// Reads big-endian fields from a byte slice that starts at file offset `base`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    /// A reader over `data`, which sits at file offset `base`; `what` names it in errors.
    pub(crate) fn new(data: &'a [u8], base: u64, what: &'static str) -> Self {
        Self { data, pos: 0, base, what }
    }

    /// File offset of the next byte. Data always lies inside a file whose size is a `u64`, so
    /// this cannot overflow; it saturates rather than wrap if a caller's base were wrong.
    pub(crate) fn offset(&self) -> u64 {
        self.at(self.pos)
    }

    /// File offset of position `pos` of the data (saturating, as [`offset`](Self::offset)).
    fn at(&self, pos: usize) -> u64 {
        self.base.saturating_add(u64::try_from(pos).unwrap_or(u64::MAX))
    }

    /// Length of the data.
    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    /// Bytes consumed so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Move to position `pos` (relative to the start of the data), at most the end.
    pub(crate) fn seek(&mut self, pos: usize) -> Result<()> {
        if pos > self.data.len() {
            return Err(Error::Truncated {
                what: self.what,
                offset: self.at(pos),
                need: (pos - self.pos.min(pos)) as u64,
                have: self.remaining() as u64,
            });
        }
        self.pos = pos;
        Ok(())
    }

    /// The next `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let have = self.data.len() - self.pos;
        if n > have {
            return Err(Error::Truncated { what: self.what, offset: self.offset(), need: n as u64, have: have as u64 });
        }
        // `n <= have` above, so the end is inside the data.
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    pub(crate) fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array()?))
    }
    pub(crate) fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub(crate) fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    pub(crate) fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_be_bytes(self.array()?))
    }

    /// A count from the file for items of at least `min_size` bytes each: it must be
    /// non-negative and the items must fit in what is left, so it can size an allocation.
    pub(crate) fn count(&mut self, field: &str, min_size: usize) -> Result<usize> {
        let at = self.offset();
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| self.malformed(at, format!("{field} is negative ({n})")))?;
        if n.saturating_mul(min_size.max(1)) > self.remaining() {
            return Err(Error::Truncated {
                what: self.what,
                offset: at,
                need: (n as u64).saturating_mul(min_size.max(1) as u64),
                have: self.remaining() as u64,
            });
        }
        Ok(n)
    }

    /// A NUL-terminated string (class names after a new-class tag).
    pub(crate) fn c_string(&mut self) -> Result<String> {
        let at = self.offset();
        let rest = &self.data[self.pos..];
        let n =
            rest.iter().position(|&b| b == 0).ok_or_else(|| self.malformed(at, "unterminated class name".into()))?;
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.pos += n + 1;
        Ok(s)
    }

    /// A ROOT `TString`: one length byte, or 255 followed by a 4-byte length.
    pub(crate) fn string(&mut self) -> Result<String> {
        let at = self.offset();
        let n = match self.u8()? {
            255 => {
                let n = self.i32()?;
                usize::try_from(n).map_err(|_| self.malformed(at, format!("negative string length {n}")))?
            }
            n => usize::from(n),
        };
        Ok(String::from_utf8_lossy(self.bytes(n)?).into_owned())
    }

    /// A malformed-field error at `offset` for this structure.
    pub(crate) fn malformed(&self, offset: u64, detail: String) -> Error {
        Error::Malformed { what: self.what, offset, detail }
    }
}
