//! Where a file's bytes come from: memory, or positioned reads of an open file.

use std::borrow::Cow;
use std::fs::File;

use crate::error::{Error, Result};

/// The bytes of a ROOT file. A file on disk is read piece by piece at the offsets its records
/// name, so memory stays bounded by the records in use, not by the file's size.
#[derive(Debug)]
pub(crate) enum Source {
    /// The whole file, already in memory.
    Memory(Vec<u8>),
    /// An open file of `len` bytes, read with positioned reads (no shared cursor, so a
    /// `RootFile` can be read from several threads).
    File { file: File, len: u64, path: String },
}

impl Source {
    /// The file's size in bytes.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Source::Memory(data) => data.len() as u64,
            Source::File { len, .. } => *len,
        }
    }

    /// `[offset, offset + len)` must lie inside the file.
    pub(crate) fn check(&self, what: &'static str, offset: u64, len: u64) -> Result<()> {
        let size = self.len();
        match offset.checked_add(len) {
            Some(end) if end <= size => Ok(()),
            _ => Err(Error::Truncated { what, offset, need: len, have: size.saturating_sub(offset) }),
        }
    }

    /// The bytes `[offset, offset + len)`, which must lie inside the file: borrowed from memory,
    /// or read from disk (so `len` is bounded by the file's size before anything is allocated).
    pub(crate) fn read(&self, what: &'static str, offset: u64, len: u64) -> Result<Cow<'_, [u8]>> {
        self.check(what, offset, len)?;
        match self {
            Source::Memory(data) => {
                // Both ends fit in the data (checked above), hence in usize.
                let start = usize::try_from(offset).map_err(|_| too_large(what, offset, len))?;
                let end = usize::try_from(offset + len).map_err(|_| too_large(what, offset, len))?;
                Ok(Cow::Borrowed(&data[start..end]))
            }
            Source::File { file, path, .. } => {
                let mut buf = vec![0; usize::try_from(len).map_err(|_| too_large(what, offset, len))?];
                read_exact_at(file, &mut buf, offset).map_err(|source| Error::Io { path: path.clone(), source })?;
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// Up to `max` bytes from `offset`, fewer at the end of the file; at least one byte.
    pub(crate) fn window(&self, what: &'static str, offset: u64, max: u64) -> Result<Cow<'_, [u8]>> {
        let rest = self.len().checked_sub(offset).filter(|&r| r > 0);
        let rest = rest.ok_or(Error::Truncated { what, offset, need: 1, have: 0 })?;
        self.read(what, offset, rest.min(max))
    }
}

/// A record larger than this platform can address (32-bit targets).
fn too_large(what: &'static str, offset: u64, len: u64) -> Error {
    Error::Overflow { what, offset, detail: format!("{len} bytes do not fit in this platform's memory") }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Whether this platform reads files in place; elsewhere `RootFile::open` reads the whole file.
pub(crate) const POSITIONED: bool = cfg!(any(unix, windows));

#[cfg(not(any(unix, windows)))]
fn read_exact_at(_: &File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}
