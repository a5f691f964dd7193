//! RNTuple envelopes (header, footer, page lists): little-endian records and lists in frames,
//! parsed into plain descriptions. Every count and size read here is checked against the bytes
//! that remain before anything is allocated by it.

use crate::error::{Error, Result};

/// Reads little-endian fields of one decompressed envelope; errors name the envelope, its file
/// offset and the byte position inside it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Le<'a> {
    data: &'a [u8],
    pos: usize,
    /// The envelope (`RNTuple header`, …).
    what: &'static str,
    /// File offset of the envelope's stored (compressed) bytes.
    at: u64,
}

impl<'a> Le<'a> {
    pub(crate) fn new(data: &'a [u8], what: &'static str, at: u64) -> Self {
        Le { data, pos: 0, what, at }
    }

    /// A malformed-envelope error at the current position.
    pub(crate) fn bad(&self, detail: impl std::fmt::Display) -> Error {
        Error::Malformed {
            what: self.what,
            offset: self.at,
            detail: format!("byte {} of the envelope: {detail}", self.pos),
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let Some(end) = end else {
            return Err(Error::Truncated {
                what: self.what,
                offset: self.at,
                need: n as u64,
                have: (self.data.len() - self.pos) as u64,
            });
        };
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(crate) fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub(crate) fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    pub(crate) fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A string: a `u32` byte count, then UTF-8 bytes.
    pub(crate) fn string(&mut self) -> Result<String> {
        let n = self.u32()? as usize;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.bad("a string that is not UTF-8"))
    }

    /// Feature flags: 64-bit words, more following while a word is negative. Any bit set is a
    /// feature this reader does not know (format 1.0 defines none).
    pub(crate) fn feature_flags(&mut self) -> Result<()> {
        loop {
            let word = self.i64()?;
            if word & i64::MAX != 0 {
                return Err(Error::Unsupported {
                    what: self.what,
                    offset: self.at,
                    detail: format!("feature flags {word:#x}: a feature this reader does not know"),
                });
            }
            if word >= 0 {
                return Ok(());
            }
        }
    }

    /// Enter a frame: returns its body (with the list's item count for a list frame) and moves
    /// past the whole frame, whatever the body's reader consumes of it.
    pub(crate) fn frame(&mut self) -> Result<(Le<'a>, Option<u32>)> {
        let start = self.pos;
        let size = self.i64()?;
        let list = size < 0;
        let declared = size.unsigned_abs();
        let count = if list { Some(self.u32()?) } else { None };
        let header = self.pos - start;
        let size = usize::try_from(declared).ok().filter(|&s| s >= header && start + s <= self.data.len());
        let Some(size) = size else {
            self.pos = start;
            return Err(self.bad(format!("a frame of {declared} bytes runs past the envelope")));
        };
        let body = Le { data: &self.data[..start + size], pos: self.pos, what: self.what, at: self.at };
        self.pos = start + size;
        Ok((body, count))
    }

    /// A record frame's body.
    pub(crate) fn record(&mut self) -> Result<Le<'a>> {
        match self.frame()? {
            (body, None) => Ok(body),
            (body, Some(_)) => Err(body.bad("a list frame where a record frame belongs")),
        }
    }

    /// A list frame's items, each read by `item` from its own record frame (`framed`), or read in
    /// sequence from the list's body (not framed: page descriptions). The count is checked
    /// against the bytes the frame holds (`min_item` bytes per item at least) before anything is
    /// allocated.
    pub(crate) fn list<T>(
        &mut self,
        framed: bool,
        min_item: usize,
        mut item: impl FnMut(&mut Le<'a>) -> Result<T>,
    ) -> Result<(Vec<T>, Le<'a>)> {
        let (mut body, count) = self.frame()?;
        let Some(count) = count else { return Err(body.bad("a record frame where a list frame belongs")) };
        let count = count as usize;
        if count.saturating_mul(min_item.max(1)) > body.data.len() - body.pos {
            return Err(body.bad(format!("a list of {count} items in {} bytes", body.data.len() - body.pos)));
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            if framed {
                let mut rec = body.record()?;
                out.push(item(&mut rec)?);
            } else {
                out.push(item(&mut body)?);
            }
        }
        Ok((out, body))
    }

    /// A locator: a size (negative: a non-standard locator) and an offset.
    pub(crate) fn locator(&mut self) -> Result<Locator> {
        let size = self.i32()?;
        if size >= 0 {
            return Ok(Locator { size: u64::from(size.unsigned_abs()), offset: self.u64()? });
        }
        let kind = (size.unsigned_abs() >> 24) & 0x7f;
        let own = (size.unsigned_abs() & 0xffff) as usize;
        if kind == 1 && own >= 20 {
            let start = self.pos - 4;
            let loc = Locator { size: self.u64()?, offset: self.u64()? };
            self.pos = start + own;
            return Ok(loc);
        }
        Err(Error::Unsupported {
            what: self.what,
            offset: self.at,
            detail: format!("a locator of type {kind}: only file locators are read"),
        })
    }

    /// An envelope link: the uncompressed size, then a locator.
    pub(crate) fn envelope_link(&mut self) -> Result<(u64, Locator)> {
        Ok((self.u64()?, self.locator()?))
    }
}

/// Where a block lies in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Locator {
    /// Bytes stored (compressed).
    pub size: u64,
    /// File offset.
    pub offset: u64,
}

/// One field of the schema.
#[derive(Clone, Debug)]
pub(crate) struct FieldDesc {
    pub parent: u32,
    pub role: u16,
    pub name: String,
    pub type_name: String,
    /// The length of a fixed-size array field (the repetitive flag).
    pub array_size: Option<u64>,
}

/// Structural roles.
pub(crate) const ROLE_LEAF: u16 = 0;
pub(crate) const ROLE_COLLECTION: u16 = 1;
pub(crate) const ROLE_RECORD: u16 = 2;

/// One physical column of the schema.
#[derive(Clone, Debug)]
pub(crate) struct ColumnDesc {
    pub kind: u16,
    pub bits: u16,
    pub field: u32,
    pub representation: u16,
    pub first_element: i64,
    pub range: Option<(f64, f64)>,
}

/// The schema description: fields, physical columns and alias columns (header and extension
/// together). An alias column lends a physical column to a projected field (a field that shows
/// another field's data under another name, as `RNTupleImporter` makes `Muon_pt` of
/// `_collection0.Muon_pt`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Schema {
    pub fields: Vec<FieldDesc>,
    pub columns: Vec<ColumnDesc>,
    /// `(physical column, field)` of each alias column.
    pub aliases: Vec<(u32, u32)>,
}

fn field(r: &mut Le<'_>) -> Result<FieldDesc> {
    let _field_version = r.u32()?;
    let _type_version = r.u32()?;
    let parent = r.u32()?;
    let role = r.u16()?;
    let flags = r.u16()?;
    let name = r.string()?;
    let type_name = r.string()?;
    let _type_alias = r.string()?;
    let _description = r.string()?;
    let array_size = if flags & 1 != 0 { Some(r.u64()?) } else { None };
    Ok(FieldDesc { parent, role, name, type_name, array_size })
}

fn column(r: &mut Le<'_>) -> Result<ColumnDesc> {
    let kind = r.u16()?;
    let bits = r.u16()?;
    let field = r.u32()?;
    let flags = r.u16()?;
    let representation = r.u16()?;
    let first_element = if flags & 1 != 0 { r.i64()? } else { 0 };
    let range = if flags & 2 != 0 { Some((r.f64()?, r.f64()?)) } else { None };
    Ok(ColumnDesc { kind, bits, field, representation, first_element, range })
}

impl Schema {
    /// The four list frames of a schema description, appended to `self`.
    fn read(&mut self, r: &mut Le<'_>) -> Result<()> {
        self.fields.extend(r.list(true, 8, field)?.0);
        self.columns.extend(r.list(true, 8, column)?.0);
        self.aliases.extend(r.list(true, 8, |c| Ok((c.u32()?, c.u32()?)))?.0);
        let _extra_type_info = r.list(true, 8, |_| Ok(()))?;
        Ok(())
    }
}

/// The header envelope's payload: the ntuple's name and its schema.
pub(crate) fn header(r: &mut Le<'_>) -> Result<(String, Schema)> {
    r.feature_flags()?;
    let name = r.string()?;
    let _description = r.string()?;
    let _writer = r.string()?;
    let mut schema = Schema::default();
    schema.read(r)?;
    Ok((name, schema))
}

/// A cluster group: where its page list is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClusterGroup {
    pub clusters: u32,
    pub page_list: (u64, Locator),
}

/// The footer envelope's payload: the header checksum it expects, the schema extension, and
/// the cluster groups.
pub(crate) fn footer(r: &mut Le<'_>, schema: &mut Schema) -> Result<(u64, Vec<ClusterGroup>)> {
    r.feature_flags()?;
    let header_checksum = r.u64()?;
    let mut ext = r.record()?;
    if ext.pos() < ext.data.len() {
        schema.read(&mut ext)?;
    }
    let (groups, _) = r.list(true, 28, |g| {
        let _min_entry = g.u64()?;
        let _span = g.u64()?;
        let clusters = g.u32()?;
        Ok(ClusterGroup { clusters, page_list: g.envelope_link()? })
    })?;
    Ok((header_checksum, groups))
}

/// One page of a column in a cluster.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageDesc {
    pub elements: u32,
    pub checksum: bool,
    pub locator: Locator,
}

/// A column's pages in one cluster.
#[derive(Clone, Debug)]
pub(crate) struct ColumnRange {
    /// Index of the column's first element in this cluster; `None` if the column is suppressed.
    pub first: Option<u64>,
    pub pages: Vec<PageDesc>,
}

/// A cluster: its entries and, per physical column, its pages.
#[derive(Clone, Debug)]
pub(crate) struct Cluster {
    pub first_entry: u64,
    pub entries: u64,
    pub columns: Vec<ColumnRange>,
}

/// A page list envelope's payload.
pub(crate) fn page_list(r: &mut Le<'_>) -> Result<(u64, Vec<Cluster>)> {
    let header_checksum = r.u64()?;
    let (summaries, _) = r.list(true, 16, |s| {
        let first = s.u64()?;
        let word = s.u64()?;
        if (word >> 56) & 1 != 0 {
            return Err(Error::Unsupported {
                what: "RNTuple page list",
                offset: s.at,
                detail: "a sharded cluster (flag 0x01 of a cluster summary)".into(),
            });
        }
        Ok((first, word & ((1 << 56) - 1)))
    })?;
    let (columns, _) = r.list(false, 12, |cluster| {
        let (cols, _) = cluster.list(false, 12, |col| {
            let (pages, mut rest) = col.list(false, 16, |p| {
                let n = p.i32()?;
                Ok(PageDesc { elements: n.unsigned_abs(), checksum: n < 0, locator: p.locator()? })
            })?;
            let offset = rest.i64()?;
            // The compression settings follow unless the column is suppressed; pages say their
            // codec themselves.
            let first = if offset < 0 {
                None
            } else {
                let _compression = rest.u32()?;
                Some(offset as u64)
            };
            // The inner list frame holds the element offset and settings after its pages.
            Ok(ColumnRange { first, pages })
        })?;
        Ok(cols)
    })?;
    if columns.len() != summaries.len() {
        return Err(r.bad(format!(
            "{} cluster summaries but page locations for {} clusters",
            summaries.len(),
            columns.len()
        )));
    }
    let clusters = summaries
        .into_iter()
        .zip(columns)
        .map(|((first_entry, entries), columns)| Cluster { first_entry, entries, columns })
        .collect();
    Ok((header_checksum, clusters))
}
