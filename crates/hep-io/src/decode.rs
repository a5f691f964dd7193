//! Basket bytes into Arrow buffers: big-endian values swapped straight into one aligned buffer
//! per column, list offsets alongside; no allocation per entry.

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, FixedSizeListArray, LargeListArray, make_array};
use arrow_buffer::{BooleanBuffer, Buffer, MutableBuffer, OffsetBuffer, ScalarBuffer};
use arrow_data::ArrayData;

use crate::error::{Error, Result};
use crate::file::Basket;
use crate::types::{ColumnType, Layout, Primitive, item};

/// The byte count flag of a streamed object header.
const BYTE_COUNT_MASK: u32 = 0x4000_0000;

/// Accumulates entries of one column, basket after basket.
#[derive(Debug)]
pub(crate) struct ColumnBuilder {
    ty: ColumnType,
    /// Values in native byte order.
    values: MutableBuffer,
    /// Outer list offsets (in values, or in inner lists for vectors of vectors).
    outer: Vec<i64>,
    /// Inner list offsets for vectors of vectors.
    inner: Vec<i64>,
    entries: usize,
}

impl ColumnBuilder {
    pub(crate) fn new(ty: ColumnType) -> Self {
        ColumnBuilder { ty, values: MutableBuffer::new(0), outer: vec![0], inner: vec![0], entries: 0 }
    }

    /// Entries appended so far.
    pub(crate) fn entries(&self) -> usize {
        self.entries
    }

    fn n_values(&self) -> usize {
        self.values.len() / self.ty.primitive.size()
    }

    /// Copy big-endian values into the value buffer in native order; `src` holds whole values.
    fn push_values(&mut self, src: &[u8]) {
        let start = self.values.len();
        self.values.extend_from_slice(src);
        let dst = &mut self.values.as_slice_mut()[start..];
        match self.ty.primitive.size() {
            2 => {
                dst.chunks_exact_mut(2).for_each(|c| c.copy_from_slice(&u16::from_be_bytes([c[0], c[1]]).to_ne_bytes()))
            }
            4 => dst
                .chunks_exact_mut(4)
                .for_each(|c| c.copy_from_slice(&u32::from_be_bytes([c[0], c[1], c[2], c[3]]).to_ne_bytes())),
            8 => dst.chunks_exact_mut(8).for_each(|c| {
                let v = u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
                c.copy_from_slice(&v.to_ne_bytes())
            }),
            _ => {}
        }
    }

    /// Append entries `a..b` of a basket.
    pub(crate) fn append(&mut self, basket: &Basket, a: usize, b: usize) -> Result<()> {
        let size = self.ty.primitive.size();
        let data = &basket.data[..basket.border];
        let bad = |detail: String| Error::Malformed { what: "basket data", offset: basket.offset, detail };
        match (self.ty.layout, &basket.offsets) {
            (Layout::Scalar | Layout::Array(_), _) => {
                let stride = size * if let Layout::Array(n) = self.ty.layout { n } else { 1 };
                // Fixed-size entries are packed; offsets, if any, must agree.
                let (lo, hi) = (a.saturating_mul(stride), b.saturating_mul(stride));
                if hi > data.len() {
                    return Err(bad(format!(
                        "entries {a}..{b} need {hi} bytes of {stride} each, the basket holds {}",
                        data.len()
                    )));
                }
                self.values.reserve(hi - lo);
                self.push_values(&data[lo..hi]);
            }
            (Layout::Jagged, Some(off)) => {
                let (lo, hi) = (off[a], off[b]);
                self.values.reserve(hi - lo);
                for e in a..b {
                    let len = off[e + 1] - off[e];
                    if len % size != 0 {
                        return Err(bad(format!("entry {e} is {len} bytes, not a whole number of {size}-byte values")));
                    }
                    self.outer.push(self.outer[self.outer.len() - 1] + (len / size) as i64);
                }
                self.push_values(&data[lo..hi]);
            }
            (Layout::Vector | Layout::VectorVector, Some(off)) => {
                self.values.reserve(off[b] - off[a]);
                for e in a..b {
                    let entry = &data[off[e]..off[e + 1]];
                    self.vector_entry(entry).map_err(|d| bad(format!("entry {e}: {d}")))?;
                }
            }
            (_, None) => return Err(bad("a variable-length branch's basket has no entry offsets".into())),
        }
        self.entries += b - a;
        Ok(())
    }

    /// One streamed `std::vector<T>` or `std::vector<std::vector<T>>`: a byte count and version,
    /// the length, then the values (each inner vector is its length and values).
    fn vector_entry(&mut self, entry: &[u8]) -> Result<(), String> {
        let size = self.ty.primitive.size();
        let word = |at: usize| -> Result<u32, String> {
            entry
                .get(at..at + 4)
                .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
                .ok_or_else(|| format!("{} bytes end inside the header at byte {at}", entry.len()))
        };
        let bcnt = word(0)?;
        if bcnt & BYTE_COUNT_MASK == 0 || (bcnt & !BYTE_COUNT_MASK) as usize != entry.len() - 4 {
            return Err(format!("byte count {bcnt:#x} does not match the entry's {} bytes", entry.len()));
        }
        let n = word(6)? as usize;
        let mut at = 10;
        if self.ty.layout == Layout::Vector {
            if n.checked_mul(size) != Some(entry.len() - at) {
                return Err(format!("{n} values of {size} bytes do not fill the entry's {} bytes", entry.len()));
            }
            self.push_values(&entry[at..]);
            self.outer.push(self.outer[self.outer.len() - 1] + n as i64);
            return Ok(());
        }
        if n > (entry.len() - at) / 4 {
            return Err(format!("{n} inner vectors cannot fit in {} bytes", entry.len()));
        }
        for _ in 0..n {
            let m = word(at)? as usize;
            at += 4;
            let bytes = m
                .checked_mul(size)
                .filter(|&k| k <= entry.len() - at)
                .ok_or_else(|| format!("an inner vector of {m} values overruns the entry at byte {at}"))?;
            self.push_values(&entry[at..at + bytes]);
            at += bytes;
            self.inner.push(self.inner[self.inner.len() - 1] + m as i64);
        }
        if at != entry.len() {
            return Err(format!("{} bytes left after the last inner vector", entry.len() - at));
        }
        self.outer.push(self.outer[self.outer.len() - 1] + n as i64);
        Ok(())
    }

    /// The finished Arrow array.
    pub(crate) fn finish(self) -> Result<ArrayRef> {
        let n = self.n_values();
        let p = self.ty.primitive;
        let values: ArrayRef = if p == Primitive::Bool {
            Arc::new(BooleanArray::new(BooleanBuffer::from_iter(self.values.as_slice().iter().map(|&v| v != 0)), None))
        } else {
            let data = ArrayData::try_new(p.data_type(), n, None, 0, vec![Buffer::from(self.values)], vec![])
                .map_err(arrow_error)?;
            make_array(data)
        };
        let list = |offsets: Vec<i64>, child: ArrayRef| -> Result<ArrayRef> {
            let field = item(child.data_type().clone());
            let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
            Ok(Arc::new(LargeListArray::try_new(field, offsets, child, None).map_err(arrow_error)?))
        };
        match self.ty.layout {
            Layout::Scalar => Ok(values),
            Layout::Array(k) => {
                let field = item(p.data_type());
                Ok(Arc::new(FixedSizeListArray::try_new(field, k as i32, values, None).map_err(arrow_error)?))
            }
            Layout::Jagged | Layout::Vector => list(self.outer, values),
            Layout::VectorVector => list(self.outer, list(self.inner, values)?),
        }
    }
}

fn arrow_error(e: arrow_schema::ArrowError) -> Error {
    Error::Malformed { what: "column", offset: 0, detail: format!("Arrow rejected the decoded column: {e}") }
}
