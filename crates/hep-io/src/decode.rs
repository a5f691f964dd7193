//! Basket bytes into Arrow buffers: big-endian values swapped straight into one aligned buffer
//! per column, list offsets alongside; no allocation per entry.

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, LargeListArray, make_array};
use arrow_buffer::{BooleanBuffer, Buffer, MutableBuffer, OffsetBuffer, ScalarBuffer};
use arrow_data::ArrayData;

use crate::error::{Error, Result};
use crate::file::Basket;
use crate::lossy::Packing;
use crate::types::{ColumnType, Layout, Primitive, fixed_lists, item};

/// The byte count flag of a streamed object header.
const BYTE_COUNT_MASK: u32 = 0x4000_0000;

/// Accumulates entries of one column, basket after basket.
#[derive(Debug)]
pub(crate) struct ColumnBuilder {
    ty: ColumnType,
    /// How `Float16_t` / `Double32_t` values are packed on disk (`None`: as `ty` says).
    packing: Option<Packing>,
    /// Values in native byte order.
    values: MutableBuffer,
    /// Outer list offsets (in values, or in inner lists for vectors of vectors).
    outer: Vec<i64>,
    /// Inner list offsets for vectors of vectors: values per innermost list.
    inner: Vec<i64>,
    /// Middle list offsets for vectors of vectors of vectors: inner lists per middle list.
    middle: Vec<i64>,
    entries: usize,
    /// `TObject::fBits` (streamer type 15, `kBits`): each `u32` value is followed by a 2-byte
    /// process-ID index where it has the `kIsReferenced` bit (0x10) set, as ROOT writes it.
    tobject_bits: bool,
}

/// `TObject::kIsReferenced`: the object's `fBits` are followed by a process-ID index.
const IS_REFERENCED: u32 = 0x10;

impl ColumnBuilder {
    pub(crate) fn new(ty: ColumnType) -> Self {
        ColumnBuilder {
            ty,
            packing: None,
            values: MutableBuffer::new(0),
            outer: vec![0],
            inner: vec![0],
            middle: vec![0],
            entries: 0,
            tobject_bits: false,
        }
    }

    /// The same builder reading `TObject::fBits` (see the field).
    pub(crate) fn tobject_bits(mut self, yes: bool) -> Self {
        self.tobject_bits = yes;
        self
    }

    /// The same builder reading values packed as `packing` says.
    pub(crate) fn packed(mut self, packing: Option<Packing>) -> Self {
        self.packing = packing;
        self
    }

    /// Bytes per value on disk.
    fn disk_size(&self) -> usize {
        self.packing.map_or(self.ty.primitive.size(), Packing::size)
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
        if let Some(p) = self.packing {
            return p.decode(src, self.ty.primitive == Primitive::F64, &mut self.values);
        }
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
        self.append_with(basket, basket.offsets.as_ref(), a, b)
    }

    /// Append entries `a..b` of a variable-length basket written without entry offsets (as
    /// uproot 3 could), each entry's length given by `counts` — its count leaf's values, one per
    /// entry of the basket.
    pub(crate) fn append_counted(&mut self, basket: &Basket, counts: &[u64], a: usize, b: usize) -> Result<()> {
        let size = self.disk_size() as u64;
        let bad = |detail: String| Error::Malformed { what: "basket data", offset: basket.offset, detail };
        let mut offsets = Vec::with_capacity(counts.len() + 1);
        let mut at = 0u64;
        for (e, &n) in counts.iter().enumerate() {
            offsets.push(usize::try_from(at).map_err(|_| bad(format!("entry {e} starts beyond memory")))?);
            at = n
                .checked_mul(size)
                .and_then(|k| at.checked_add(k))
                .filter(|&end| end <= basket.border as u64)
                .ok_or_else(|| {
                    bad(format!(
                        "entry {e}: {n} values from its count leaf overrun the basket's {} bytes",
                        basket.border
                    ))
                })?;
        }
        offsets.push(usize::try_from(at).map_err(|_| bad("the basket's end is beyond memory".into()))?);
        self.append_with(basket, Some(&offsets), a, b)
    }

    fn append_with(&mut self, basket: &Basket, offsets: Option<&Vec<usize>>, a: usize, b: usize) -> Result<()> {
        let size = self.disk_size();
        let data = &basket.data[..basket.border];
        let bad = |detail: String| Error::Malformed { what: "basket data", offset: basket.offset, detail };
        let out_of_range =
            |a: usize, b: usize, n: usize| bad(format!("entries {a}..{b} are outside the basket's {n} entry offsets"));
        match (self.ty.layout, offsets) {
            (Layout::Scalar | Layout::Jagged, _) if self.tobject_bits => {
                self.append_bits(data, offsets, a, b, basket.offset)?
            }
            (Layout::Scalar | Layout::Array(_) | Layout::Matrix { .. } | Layout::NdArray(_), _) => {
                let n = self.ty.layout.fixed_len().unwrap_or(1);
                let stride = size.checked_mul(n).ok_or_else(|| bad(format!("arrays of {n} values overflow")))?;
                // Fixed-size entries are packed; offsets, if any, must agree.
                let (Some(lo), Some(hi)) = (a.checked_mul(stride), b.checked_mul(stride)) else {
                    return Err(bad(format!("entries {a}..{b} of {stride} bytes each overflow")));
                };
                if hi > data.len() || lo > hi {
                    return Err(bad(format!(
                        "entries {a}..{b} need {hi} bytes of {stride} each, the basket holds {}",
                        data.len()
                    )));
                }
                self.values.reserve(hi - lo);
                self.push_values(&data[lo..hi]);
            }
            // Lists of values, or of fixed arrays of `n` values: each entry is whole items.
            (Layout::Jagged | Layout::JaggedArray(_), Some(off)) => {
                let n = match self.ty.layout {
                    Layout::JaggedArray(n) => n,
                    _ => 1,
                };
                let (lo, hi) = entry_span(off, a, b, data.len()).ok_or_else(|| out_of_range(a, b, off.len()))?;
                let stride =
                    size.checked_mul(n).filter(|&s| s > 0).ok_or_else(|| bad(format!("arrays of {n} values")))?;
                self.values.reserve(hi - lo);
                for e in a..b {
                    let (start, end) =
                        entry_span(off, e, e + 1, hi).ok_or_else(|| out_of_range(e, e + 1, off.len()))?;
                    let len = end - start;
                    if len % stride != 0 {
                        let items = if n == 1 { format!("{size}-byte values") } else { format!("{n}-value arrays") };
                        return Err(bad(format!("entry {e} is {len} bytes, not a whole number of {items}")));
                    }
                    self.push_offset(Outer, len / stride).map_err(|d| bad(format!("entry {e}: {d}")))?;
                }
                self.push_values(&data[lo..hi]);
            }
            (Layout::Pointer, Some(off)) => {
                let (_, hi) = entry_span(off, a, b, data.len()).ok_or_else(|| out_of_range(a, b, off.len()))?;
                for e in a..b {
                    let (start, end) =
                        entry_span(off, e, e + 1, hi).ok_or_else(|| out_of_range(e, e + 1, off.len()))?;
                    // The flag byte (an empty entry may lack it), then whole values.
                    let values = data.get(start + 1..end).unwrap_or(&[]);
                    if values.len() % size != 0 {
                        let len = values.len();
                        return Err(bad(format!(
                            "entry {e} holds {len} bytes after its flag, not whole {size}-byte values"
                        )));
                    }
                    self.push_values(values);
                    self.push_offset(Outer, values.len() / size).map_err(|d| bad(format!("entry {e}: {d}")))?;
                }
            }
            (Layout::Vector | Layout::VectorVector | Layout::VectorVectorVector | Layout::JaggedVector, Some(off)) => {
                let (lo, hi) = entry_span(off, a, b, data.len()).ok_or_else(|| out_of_range(a, b, off.len()))?;
                self.values.reserve(hi - lo);
                for e in a..b {
                    let (start, end) =
                        entry_span(off, e, e + 1, hi).ok_or_else(|| out_of_range(e, e + 1, off.len()))?;
                    let entry = &data[start..end];
                    match self.ty.layout {
                        Layout::JaggedVector => self.member_vectors_entry(entry),
                        _ => self.vector_entry(entry),
                    }
                    .map_err(|d| bad(format!("entry {e}: {d}")))?;
                }
            }
            (_, None) => return Err(bad("a variable-length branch's basket has no entry offsets".into())),
        }
        self.entries = b.checked_sub(a).and_then(|n| self.entries.checked_add(n)).ok_or_else(|| Error::Overflow {
            what: "basket data",
            offset: basket.offset,
            detail: format!("entries {a}..{b}"),
        })?;
        Ok(())
    }

    /// Entries `a..b` of a `TObject::fBits` column (a scalar, or one value per object of a split
    /// collection): each entry's values read one by one, skipping the process-ID index after a
    /// referenced object's. Entries are found by the basket's offsets or, for scalars written
    /// without them, by reading the entries before `a`.
    fn append_bits(&mut self, data: &[u8], offsets: Option<&Vec<usize>>, a: usize, b: usize, at: u64) -> Result<()> {
        let bad = |detail: String| Error::Malformed { what: "basket data", offset: at, detail };
        let scalar = self.ty.layout == Layout::Scalar;
        let mut next = 0;
        for e in 0..b {
            let (start, end) = match offsets {
                Some(_) if e < a => continue,
                Some(off) => entry_span(off, e, e + 1, data.len())
                    .ok_or_else(|| bad(format!("entry {e} is outside the basket's {} entry offsets", off.len())))?,
                None if scalar => (next, data.len()),
                None => return Err(bad("a variable-length branch's basket has no entry offsets".into())),
            };
            let (mut i, mut n) = (start, 0usize);
            while if offsets.is_some() { i < end } else { n == 0 } {
                let w = data.get(i..i + 4).filter(|_| i + 4 <= end).ok_or_else(|| {
                    bad(format!("entry {e}: its bytes end inside a 4-byte value at byte {}", i - start))
                })?;
                let v = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
                i += if v & IS_REFERENCED != 0 { 6 } else { 4 };
                if i > end {
                    return Err(bad(format!("entry {e}: a referenced object's process-ID index is cut off")));
                }
                if e >= a {
                    self.values.extend_from_slice(&v.to_ne_bytes());
                }
                n += 1;
            }
            next = i;
            if scalar && n != 1 {
                return Err(bad(format!("entry {e} holds {n} values, not one")));
            }
            if !scalar {
                self.push_offset(Outer, n).map_err(|d| bad(format!("entry {e}: {d}")))?;
            }
        }
        Ok(())
    }

    /// One streamed `std::vector<T>`, `std::vector<std::vector<T>>` or a vector of those: a byte
    /// count and version, the length, then the values (each inner vector is its length and
    /// values, each middle one its length and inner vectors).
    fn vector_entry(&mut self, entry: &[u8]) -> Result<(), String> {
        let size = self.disk_size();
        let word = |at: usize| word(entry, at);
        streamed_header(entry)?;
        let n = word(6)? as usize;
        let mut at = 10;
        if self.ty.layout == Layout::Vector {
            if n.checked_mul(size) != Some(entry.len() - at) {
                return Err(format!("{n} values of {size} bytes do not fill the entry's {} bytes", entry.len()));
            }
            self.push_values(&entry[at..]);
            return self.push_offset(Outer, n);
        }
        if n > (entry.len() - at) / 4 {
            return Err(format!("{n} inner vectors cannot fit in {} bytes", entry.len()));
        }
        for _ in 0..n {
            at = match self.ty.layout {
                Layout::VectorVectorVector => self.middle_vector(entry, at)?,
                _ => self.inner_vector(entry, at)?,
            };
        }
        if at != entry.len() {
            return Err(format!("{} bytes left after the last inner vector", entry.len() - at));
        }
        self.push_offset(Outer, n)
    }

    /// The vectors of one entry of a [`Layout::JaggedVector`] column: a streamer header, then
    /// each object's vector (its length, its values) up to the entry's end.
    fn member_vectors_entry(&mut self, entry: &[u8]) -> Result<(), String> {
        streamed_header(entry)?;
        let (mut at, mut n) = (6, 0);
        while at < entry.len() {
            at = self.inner_vector(entry, at)?;
            n += 1;
        }
        self.push_offset(Outer, n)
    }

    /// One inner vector at byte `at` of `entry` (its length, its values); where it ends.
    fn inner_vector(&mut self, entry: &[u8], mut at: usize) -> Result<usize, String> {
        let m = word(entry, at)? as usize;
        at += 4;
        let bytes = m
            .checked_mul(self.disk_size())
            .filter(|&k| k <= entry.len() - at)
            .ok_or_else(|| format!("an inner vector of {m} values overruns the entry at byte {at}"))?;
        self.push_values(&entry[at..at + bytes]);
        self.push_offset(Inner, m)?;
        Ok(at + bytes)
    }

    /// One middle vector at byte `at` of `entry` (its length, its inner vectors); where it ends.
    fn middle_vector(&mut self, entry: &[u8], mut at: usize) -> Result<usize, String> {
        let k = word(entry, at)? as usize;
        at += 4;
        if k > (entry.len() - at) / 4 {
            return Err(format!("{k} inner vectors at byte {at} cannot fit in {} bytes", entry.len()));
        }
        for _ in 0..k {
            at = self.inner_vector(entry, at)?;
        }
        self.push_offset(Middle, k)?;
        Ok(at)
    }

    /// Append a list of `n` items to the outer, middle or inner offsets: the running total,
    /// checked.
    fn push_offset(&mut self, which: Offsets, n: usize) -> Result<(), String> {
        let offsets = match which {
            Outer => &mut self.outer,
            Middle => &mut self.middle,
            Inner => &mut self.inner,
        };
        let last = offsets.last().copied().unwrap_or(0);
        let next = i64::try_from(n)
            .ok()
            .and_then(|n| last.checked_add(n))
            .ok_or_else(|| format!("a list of {n} items after {last} overflows the 64-bit list offsets"))?;
        offsets.push(next);
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
            Layout::Array(_) | Layout::Matrix { .. } | Layout::NdArray(_) => {
                fixed_lists(values, &self.ty.layout.fixed_sizes()).map_err(|detail| Error::Overflow {
                    what: "column",
                    offset: 0,
                    detail,
                })
            }
            Layout::Jagged | Layout::Pointer | Layout::Vector => list(self.outer, values),
            Layout::JaggedArray(n) => list(
                self.outer,
                fixed_lists(values, &[n]).map_err(|detail| Error::Overflow { what: "column", offset: 0, detail })?,
            ),
            Layout::VectorVector | Layout::JaggedVector => list(self.outer, list(self.inner, values)?),
            Layout::VectorVectorVector => list(self.outer, list(self.middle, list(self.inner, values)?)?),
        }
    }
}

/// Which list offsets [`ColumnBuilder::push_offset`] extends.
#[derive(Clone, Copy)]
enum Offsets {
    Outer,
    Middle,
    Inner,
}
use Offsets::{Inner, Middle, Outer};

/// The big-endian `u32` at byte `at` of a streamed entry.
fn word(entry: &[u8], at: usize) -> Result<u32, String> {
    entry
        .get(at..at.saturating_add(4))
        .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
        .ok_or_else(|| format!("{} bytes end inside the header at byte {at}", entry.len()))
}

/// A streamed object's header: a byte count (flagged) that covers the rest of the entry, then
/// a 2-byte version, which must not flag member-wise streaming (a layout of collections of
/// objects, never of numbers: such bytes are not what the column's type says).
fn streamed_header(entry: &[u8]) -> Result<(), String> {
    let bcnt = word(entry, 0)?;
    if bcnt & BYTE_COUNT_MASK == 0 || (bcnt & !BYTE_COUNT_MASK) as usize != entry.len() - 4 || entry.len() < 6 {
        return Err(format!("byte count {bcnt:#x} does not match the entry's {} bytes", entry.len()));
    }
    let version = u16::from_be_bytes([entry[4], entry[5]]);
    if version & MEMBER_WISE != 0 {
        return Err(format!("version {version:#x} says the collection is streamed member-wise"));
    }
    Ok(())
}

/// `TBufferFile::kStreamedMemberWise`: the version bit of a collection streamed member by member.
const MEMBER_WISE: u16 = 0x4000;

/// The byte span `off[a]..off[b]` of entries `a..b`, if both offsets exist, rise and end
/// within `limit`.
fn entry_span(off: &[usize], a: usize, b: usize, limit: usize) -> Option<(usize, usize)> {
    let (&lo, &hi) = (off.get(a)?, off.get(b)?);
    (lo <= hi && hi <= limit).then_some((lo, hi))
}

fn arrow_error(e: arrow_schema::ArrowError) -> Error {
    Error::Malformed { what: "column", offset: 0, detail: format!("Arrow rejected the decoded column: {e}") }
}

#[cfg(test)]
mod tests {
    use super::ColumnBuilder;
    use crate::error::Error;
    use crate::file::Basket;
    use crate::types::{ColumnType, Layout, Primitive};

    fn basket(data: Vec<u8>, offsets: Option<Vec<usize>>) -> Basket {
        Basket { border: data.len(), data, offsets, offset: 1234 }
    }

    /// A fixed array so long that an entry's size overflows `usize`: an error, not a wrap.
    #[test]
    fn array_strides_that_overflow_are_errors() {
        for n in [usize::MAX, usize::MAX / 4 + 1] {
            let mut b = ColumnBuilder::new(ColumnType { primitive: Primitive::F32, layout: Layout::Array(n) });
            let e = b.append(&basket(vec![0; 64], None), 0, 1).unwrap_err();
            assert!(matches!(e, Error::Malformed { offset: 1234, .. }) && e.to_string().contains("overflow"), "{e}");
        }
        let mut b = ColumnBuilder::new(ColumnType { primitive: Primitive::F64, layout: Layout::Scalar });
        let e = b.append(&basket(vec![0; 64], None), usize::MAX - 1, usize::MAX).unwrap_err();
        assert!(matches!(e, Error::Malformed { offset: 1234, .. }), "{e}");
    }

    /// Entry ranges past the basket's offsets, and vectors declaring `u32::MAX` values.
    #[test]
    fn entries_outside_their_offsets_are_errors() {
        let mut b = ColumnBuilder::new(ColumnType { primitive: Primitive::F32, layout: Layout::Jagged });
        let e = b.append(&basket(vec![0; 8], Some(vec![0, 4, 8])), 1, 5).unwrap_err();
        assert!(e.to_string().contains("outside the basket's 3 entry offsets"), "{e}");
        let mut entry = vec![0x40, 0, 0, 10, 0, 9];
        entry.extend(u32::MAX.to_be_bytes());
        entry.extend([0; 4]);
        for layout in [Layout::Vector, Layout::VectorVector, Layout::VectorVectorVector] {
            let mut b = ColumnBuilder::new(ColumnType { primitive: Primitive::F64, layout });
            let e = b.append(&basket(entry.clone(), Some(vec![0, entry.len()])), 0, 1).unwrap_err();
            assert!(matches!(e, Error::Malformed { what: "basket data", .. }), "{e}");
        }
    }
    /// `TObject::fBits` as ROOT writes them: a referenced object's (bit 0x10) value is followed
    /// by a 2-byte process-ID index, which is skipped; one per object of a collection, or one
    /// per entry with or without entry offsets.
    #[test]
    fn tobject_bits_skip_the_process_id_of_referenced_objects() {
        use arrow_array::cast::AsArray;
        use arrow_array::types::UInt32Type;
        let (plain, referenced) = (0x0300_0000u32, 0x0300_0010u32);
        let mut data = Vec::new();
        data.extend(plain.to_be_bytes());
        data.extend(referenced.to_be_bytes());
        data.extend([0, 7]); // the process-ID index
        data.extend(plain.to_be_bytes());
        // A collection: entries of 2 objects (10 bytes) and 1 object (4 bytes).
        let ty = ColumnType { primitive: Primitive::U32, layout: Layout::Jagged };
        let mut b = ColumnBuilder::new(ty).tobject_bits(true);
        b.append(&basket(data.clone(), Some(vec![0, 10, 14])), 0, 2).unwrap();
        let a = b.finish().unwrap();
        let l = a.as_list::<i64>();
        assert_eq!(l.value_offsets(), &[0, 2, 3]);
        assert_eq!(l.values().as_primitive::<UInt32Type>().values(), &[plain, referenced, plain]);
        // Scalars: three entries of 4, 6 and 4 bytes, found with offsets and without.
        let ty = ColumnType { primitive: Primitive::U32, layout: Layout::Scalar };
        for offsets in [Some(vec![0, 4, 10, 14]), None] {
            let mut b = ColumnBuilder::new(ty).tobject_bits(true);
            b.append(&basket(data.clone(), offsets), 1, 3).unwrap();
            assert_eq!(b.finish().unwrap().as_primitive::<UInt32Type>().values(), &[referenced, plain]);
        }
        // A referenced value whose index is cut off is damage, not a value.
        let mut b =
            ColumnBuilder::new(ColumnType { primitive: Primitive::U32, layout: Layout::Jagged }).tobject_bits(true);
        let e = b.append(&basket(data[..9].to_vec(), Some(vec![0, 9])), 0, 1).unwrap_err();
        assert!(matches!(e, Error::Malformed { offset: 1234, .. }) && e.to_string().contains("cut off"), "{e}");
    }

    /// Lists of fixed arrays (`float x[2]` in a split collection): entries are whole arrays.
    #[test]
    fn lists_of_fixed_arrays_keep_both_levels() {
        use arrow_array::cast::AsArray;
        use arrow_array::types::Int16Type;
        let data: Vec<u8> = (1..=6i16).flat_map(i16::to_be_bytes).collect();
        let ty = ColumnType { primitive: Primitive::I16, layout: Layout::JaggedArray(2) };
        assert_eq!(ty.cpp_name(), "int16_t[][2]");
        let mut b = ColumnBuilder::new(ty);
        b.append(&basket(data.clone(), Some(vec![0, 8, 8, 12])), 0, 3).unwrap();
        let a = b.finish().unwrap();
        assert_eq!(a.data_type(), &ty.data_type());
        let l = a.as_list::<i64>();
        assert_eq!(l.value_offsets(), &[0, 2, 2, 3]);
        let arrays = l.values().as_fixed_size_list();
        assert_eq!(arrays.values().as_primitive::<Int16Type>().values(), &[1, 2, 3, 4, 5, 6]);
        let mut b = ColumnBuilder::new(ty);
        let e = b.append(&basket(data, Some(vec![0, 6])), 0, 1).unwrap_err();
        assert!(e.to_string().contains("not a whole number of 2-value arrays"), "{e}");
    }
    /// A vector member of a split collection's objects: a header, then each object's vector;
    /// an entry with no objects is the header alone.
    #[test]
    fn vector_members_of_collections_are_lists_of_lists() {
        use arrow_array::cast::AsArray;
        use arrow_array::types::Float64Type;
        let header = |len: u32| [(0x4000_0000 | (len + 2)).to_be_bytes().to_vec(), vec![0, 9]].concat();
        let mut data = header(0);
        let first = data.len();
        let mut body = 2u32.to_be_bytes().to_vec();
        body.extend([1.5f64, 2.5].iter().flat_map(|v| v.to_be_bytes()));
        body.extend(0u32.to_be_bytes());
        data.extend(header(body.len() as u32));
        data.extend(&body);
        let ty = ColumnType { primitive: Primitive::F64, layout: Layout::JaggedVector };
        assert_eq!(ty.cpp_name(), "std::vector<double>[]");
        let mut b = ColumnBuilder::new(ty);
        b.append(&basket(data.clone(), Some(vec![0, first, data.len()])), 0, 2).unwrap();
        let a = b.finish().unwrap();
        let objects = a.as_list::<i64>();
        assert_eq!(objects.value_offsets(), &[0, 0, 2]);
        let vectors = objects.values().as_list::<i64>();
        assert_eq!(vectors.value_offsets(), &[0, 2, 2]);
        assert_eq!(vectors.values().as_primitive::<Float64Type>().values(), &[1.5, 2.5]);
        // A vector that runs past its entry is damage.
        let mut b = ColumnBuilder::new(ty);
        let e = b.append(&basket(data.clone(), Some(vec![0, first, data.len() - 4])), 1, 2).unwrap_err();
        assert!(e.to_string().contains("byte count"), "{e}");
    }
}
