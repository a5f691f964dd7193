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

    /// File offset of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes consumed so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The next `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let have = self.data.len() - self.pos;
        if n > have {
            return Err(Error::Truncated { what: self.what, offset: self.offset(), need: n as u64, have: have as u64 });
        }
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
