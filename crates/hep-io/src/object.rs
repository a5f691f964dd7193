//! ROOT's object serialisation (`TBufferFile`): versioned records with byte counts, class tags
//! with back references, and the classes a `TTree` and the streamer-info list are made of.
//!
//! Objects are read into an arena; references between them (a leaf's count leaf, a class tag
//! naming a class seen before) are arena indices. Every record with a byte count is left at
//! exactly its declared end, so fields this reader does not need are skipped safely, and every
//! count is checked against the bytes that remain before it sizes anything.

use std::collections::HashMap;

use crate::cursor::Cursor;
use crate::error::{Error, Result};

const BYTE_COUNT_MASK: u32 = 0x4000_0000;
const NEW_CLASS_TAG: u32 = 0xFFFF_FFFF;
const CLASS_MASK: u32 = 0x8000_0000;
const MAP_OFFSET: u32 = 2;
const IS_REFERENCED: u32 = 1 << 4;
/// Deepest nesting of objects inside objects (branches of branches, arrays of arrays).
const MAX_DEPTH: usize = 64;

/// A leaf (`TLeaf` and its typed subclasses).
#[derive(Clone, Debug)]
pub(crate) struct LeafRec {
    pub class: String,
    pub len: i32,
    pub is_unsigned: bool,
    /// The leaf's title (`x/d[-2.71,10,20]` for a `Double32_t` leaf: the range lives there).
    pub title: String,
    /// The leaf holding the per-entry element count, for variable-length C arrays.
    pub count: Option<usize>,
}

/// A basket stored inside the `TTree` record instead of in its own key.
#[derive(Clone, Debug)]
pub(crate) struct EmbeddedBasket {
    pub entries: usize,
    /// Entry start offsets into `data`, if the basket has them.
    pub offsets: Option<Vec<i64>>,
    pub data: Vec<u8>,
    pub offset: u64,
}

/// A branch (`TBranch` or `TBranchElement`).
#[derive(Clone, Debug)]
pub(crate) struct BranchRec {
    pub class: String,
    pub name: String,
    pub title: String,
    pub offset: u64,
    pub write_basket: usize,
    pub entries: i64,
    pub tot_bytes: i64,
    pub zip_bytes: i64,
    pub branches: Vec<usize>,
    pub leaves: Vec<usize>,
    pub embedded: Vec<usize>,
    pub basket_bytes: Vec<i32>,
    pub basket_entry: Vec<i64>,
    pub basket_seek: Vec<i64>,
    /// `TBranchElement` members.
    pub element: Option<ElementInfo>,
}

/// The `TBranchElement` part of a branch.
#[derive(Clone, Debug)]
pub(crate) struct ElementInfo {
    pub class_name: String,
    pub class_version: i32,
    pub id: i32,
    pub btype: i32,
    pub streamer_type: i32,
}

/// One element of a class layout (`TStreamerElement` and subclasses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamerElement {
    /// Member name.
    pub name: String,
    /// ROOT type code (`fType`: 5 = float, 300 = STL container, …).
    pub type_code: i32,
    /// C++ type name (`fTypeName`).
    pub type_name: String,
    /// Fixed array length, 0 if not an array.
    pub array_length: i32,
    /// The member's comment (`fTitle`): for `Float16_t` and `Double32_t` members, the range
    /// and bits they are packed with (`[-pi,pi,30] …`).
    pub title: String,
}

/// The layout of one class version as the file was written (`TStreamerInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamerInfo {
    /// Class name.
    pub class_name: String,
    /// Class version.
    pub version: i32,
    /// Checksum of the layout.
    pub checksum: u32,
    /// Members in streaming order.
    pub elements: Vec<StreamerElement>,
}

/// What the arena holds.
#[derive(Clone, Debug)]
pub(crate) enum Obj {
    Branch(Box<BranchRec>),
    Leaf(LeafRec),
    Info(StreamerInfo),
    Element(StreamerElement),
    /// `TObjArray` or `TList` items (arena indices; `None` for null entries).
    Array(Vec<Option<usize>>),
    Basket(EmbeddedBasket),
    /// A class this reader skips over.
    Other,
}

enum Ref {
    Class(String),
    Obj(usize),
}

/// A versioned record header.
struct Record {
    version: i16,
    /// Position just past the record, when it carries a byte count.
    end: Option<usize>,
    at: u64,
}

/// Reads objects from one decompressed record (`data` of a key whose header is `key_len` bytes:
/// ROOT's reference positions count from the start of the key).
pub(crate) struct ObjReader<'a> {
    c: Cursor<'a>,
    key_len: u32,
    refs: HashMap<u32, Ref>,
    depth: usize,
    pub objs: Vec<Obj>,
}

impl<'a> ObjReader<'a> {
    pub(crate) fn new(data: &'a [u8], base: u64, key_len: u32, what: &'static str) -> Self {
        ObjReader { c: Cursor::new(data, base, what), key_len, refs: HashMap::new(), depth: 0, objs: Vec::new() }
    }

    /// ROOT's position of the next byte, counted from the start of the key: the tag that later
    /// references to the object read there use. ROOT keeps it in 32 bits.
    fn displacement(&self) -> Result<u32> {
        u32::try_from(self.c.pos()).ok().and_then(|p| p.checked_add(self.key_len)).ok_or_else(|| {
            self.overflow(self.c.offset(), format!("position {} plus the key's {} bytes", self.c.pos(), self.key_len))
        })
    }

    /// A reference tag (a displacement plus ROOT's map offset), checked.
    fn tag(&self, at: u64, displacement: u32) -> Result<u32> {
        displacement.checked_add(MAP_OFFSET).ok_or_else(|| self.overflow(at, format!("reference tag {displacement}")))
    }

    /// The end of a record of `n` bytes after a 4-byte count at `start`, checked.
    fn end_of(&self, at: u64, start: usize, n: u32) -> Result<usize> {
        usize::try_from(n)
            .ok()
            .and_then(|n| start.checked_add(4)?.checked_add(n))
            .ok_or_else(|| self.overflow(at, format!("byte count {n} from position {start}")))
    }

    /// `n` items of `size` bytes, as a byte count, checked.
    fn bytes_for(&self, n: usize, size: usize) -> Result<usize> {
        n.checked_mul(size).ok_or_else(|| self.overflow(self.c.offset(), format!("{n} items of {size} bytes")))
    }

    fn overflow(&self, at: u64, detail: String) -> Error {
        Error::Overflow { what: "object", offset: at, detail }
    }

    fn malformed(&self, at: u64, detail: String) -> Error {
        self.c.malformed(at, detail)
    }

    fn unsupported_version(&self, rec: &Record, class: &str, versions: &str) -> Error {
        Error::Unsupported {
            what: "class version",
            offset: rec.at,
            detail: format!("{class} version {} (this reader knows {versions})", rec.version),
        }
    }

    /// A record header: byte count (if flagged) and version.
    fn record(&mut self) -> Result<Record> {
        let at = self.c.offset();
        let start = self.c.pos();
        let bcnt = self.c.u32()?;
        if bcnt & BYTE_COUNT_MASK != 0 {
            let n = bcnt & !BYTE_COUNT_MASK;
            let end = self.end_of(at, start, n)?;
            if n < 2 || end > self.c.len() {
                return Err(Error::Truncated {
                    what: "record",
                    offset: at,
                    need: u64::from(n),
                    have: (self.c.remaining() as u64).saturating_add(4),
                });
            }
            let version = self.c.i16()?;
            Ok(Record { version, end: Some(end), at })
        } else {
            self.c.seek(start)?;
            let version = self.c.i16()?;
            Ok(Record { version, end: None, at })
        }
    }

    /// Leave a record at its declared end (it must not have been overrun).
    fn finish(&mut self, rec: &Record) -> Result<()> {
        if let Some(end) = rec.end {
            if self.c.pos() > end {
                return Err(
                    self.malformed(rec.at, format!("record read {} bytes past its byte count", self.c.pos() - end))
                );
            }
            self.c.seek(end)?;
        }
        Ok(())
    }

    /// Skip a whole record; it must carry a byte count.
    fn skip_record(&mut self, class: &str) -> Result<()> {
        let rec = self.record()?;
        if rec.end.is_none() {
            return Err(self.malformed(rec.at, format!("{class} record has no byte count to skip by")));
        }
        self.finish(&rec)
    }

    fn tobject(&mut self) -> Result<()> {
        let version = self.c.u16()?;
        if version & 0x4000 != 0 {
            self.c.bytes(4)?;
        }
        let _unique_id = self.c.u32()?;
        let bits = self.c.u32()?;
        if bits & IS_REFERENCED != 0 {
            self.c.bytes(2)?;
        }
        Ok(())
    }

    /// `TNamed`: name and title.
    fn tnamed(&mut self) -> Result<(String, String)> {
        let rec = self.record()?;
        self.tobject()?;
        let name = self.c.string()?;
        let title = self.c.string()?;
        self.finish(&rec)?;
        Ok((name, title))
    }

    fn i64_array(&mut self, n: usize) -> Result<Vec<i64>> {
        let b = self.c.bytes(self.bytes_for(n, 8)?)?;
        Ok(b.chunks_exact(8).map(|c| i64::from_be_bytes(c.try_into().unwrap_or_default())).collect())
    }

    fn i32_array(&mut self, n: usize) -> Result<Vec<i32>> {
        let b = self.c.bytes(self.bytes_for(n, 4)?)?;
        Ok(b.chunks_exact(4).map(|c| i32::from_be_bytes(c.try_into().unwrap_or_default())).collect())
    }

    fn push(&mut self, o: Obj) -> usize {
        self.objs.push(o);
        self.objs.len() - 1
    }

    /// `TBufferFile::ReadObjectAny`: a null, a reference to an object read before, or a new
    /// object preceded by its class (by name or by reference).
    pub(crate) fn any(&mut self) -> Result<Option<usize>> {
        let at = self.c.offset();
        let beg = self.displacement()?;
        let start_pos = self.c.pos();
        let bcnt = self.c.u32()?;
        let (tag, counted, tag_disp, end) = if bcnt & BYTE_COUNT_MASK == 0 || bcnt == NEW_CLASS_TAG {
            (bcnt, false, 0, None)
        } else {
            let tag_disp = self.displacement()?;
            let end = self.end_of(at, start_pos, bcnt & !BYTE_COUNT_MASK)?;
            (self.c.u32()?, true, tag_disp, Some(end))
        };
        if let Some(end) = end
            && end > self.c.len()
        {
            let have = (self.c.len() - start_pos) as u64;
            return Err(Error::Truncated { what: "object", offset: at, need: (end - start_pos) as u64, have });
        }
        if tag & CLASS_MASK == 0 {
            return match (tag, self.refs.get(&tag)) {
                (0 | 1, _) => Ok(None), // null, or the parent (not needed here)
                (_, Some(Ref::Obj(i))) => Ok(Some(*i)),
                (_, Some(Ref::Class(_))) => Err(self.malformed(at, format!("object reference {tag} names a class"))),
                (_, None) => {
                    // An unresolved reference: skip it, as ROOT does.
                    if let Some(end) = end {
                        self.c.seek(end)?;
                    }
                    Ok(None)
                }
            };
        }
        let class = if tag == NEW_CLASS_TAG {
            let name = self.c.c_string()?;
            if counted {
                self.refs.insert(self.tag(at, tag_disp)?, Ref::Class(name.clone()));
            }
            name
        } else {
            match self.refs.get(&(tag & !CLASS_MASK)) {
                Some(Ref::Class(name)) => name.clone(),
                _ => {
                    return Err(self
                        .malformed(at, format!("class tag {:#x} refers to no class read before", tag & !CLASS_MASK)));
                }
            }
        };
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::LimitExceeded {
                what: "object nesting",
                offset: at,
                size: self.depth as u64,
                limit: MAX_DEPTH as u64,
            });
        }
        let obj = self.class(&class, end.is_some());
        self.depth -= 1;
        let idx = obj?;
        if let Some(end) = end {
            if self.c.pos() > end {
                return Err(self.malformed(at, format!("{class} object read past its byte count")));
            }
            self.c.seek(end)?;
        }
        if counted {
            self.refs.insert(self.tag(at, beg)?, Ref::Obj(idx));
        }
        Ok(Some(idx))
    }

    /// An object of a known class (after its class tag).
    fn class(&mut self, class: &str, skippable: bool) -> Result<usize> {
        let o = match class {
            "TObjArray" => Obj::Array(self.obj_array()?),
            "TList" | "THashList" => Obj::Array(self.list()?),
            "TBranch" | "TBranchElement" => Obj::Branch(Box::new(self.branch(class)?)),
            "TStreamerInfo" => Obj::Info(self.streamer_info()?),
            "TBasket" => Obj::Basket(self.embedded_basket()?),
            c if c.starts_with("TLeaf") => Obj::Leaf(self.leaf(c)?),
            c if c.starts_with("TStreamer") => Obj::Element(self.streamer_element(c)?),
            _ if skippable => Obj::Other,
            _ => {
                return Err(Error::Unsupported {
                    what: "object",
                    offset: self.c.offset(),
                    detail: format!("an object of class {class} without a byte count cannot be skipped"),
                });
            }
        };
        Ok(self.push(o))
    }

    /// `TObjArray` (its own record, then the items).
    pub(crate) fn obj_array(&mut self) -> Result<Vec<Option<usize>>> {
        let rec = self.record()?;
        self.tobject()?;
        let _name = self.c.string()?;
        let n = self.c.count("TObjArray size", 4)?;
        let _lower = self.c.i32()?;
        let items = (0..n).map(|_| self.any()).collect::<Result<Vec<_>>>()?;
        self.finish(&rec)?;
        Ok(items)
    }

    /// `TList`: items each followed by an option string.
    pub(crate) fn list(&mut self) -> Result<Vec<Option<usize>>> {
        let rec = self.record()?;
        self.tobject()?;
        let _name = self.c.string()?;
        let n = self.c.count("TList size", 5)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.any()?);
            let _option = self.c.string()?;
        }
        self.finish(&rec)?;
        Ok(items)
    }

    /// Indices of the items of an array object.
    pub(crate) fn items(&self, idx: Option<usize>) -> Vec<usize> {
        match idx.and_then(|i| self.objs.get(i)) {
            Some(Obj::Array(v)) => v.iter().flatten().copied().collect(),
            _ => Vec::new(),
        }
    }

    fn streamer_info(&mut self) -> Result<StreamerInfo> {
        let rec = self.record()?;
        let (class_name, _) = self.tnamed()?;
        let checksum = self.c.u32()?;
        let version = self.c.i32()?;
        let elements_idx = self.any()?;
        self.finish(&rec)?;
        let elements = self
            .items(elements_idx)
            .into_iter()
            .filter_map(|i| match &self.objs[i] {
                Obj::Element(e) => Some(e.clone()),
                _ => None,
            })
            .collect();
        Ok(StreamerInfo { class_name, version, checksum, elements })
    }

    /// Any `TStreamerElement` subclass: its own record (and `TStreamerSTL`'s, for
    /// `TStreamerSTLstring`) around the `TStreamerElement` base.
    fn streamer_element(&mut self, class: &str) -> Result<StreamerElement> {
        let levels = match class {
            "TStreamerElement" => 0,
            "TStreamerSTLstring" => 2,
            _ => 1,
        };
        let outer = (0..levels).map(|_| self.record()).collect::<Result<Vec<_>>>()?;
        let rec = self.record()?;
        let (name, title) = self.tnamed()?;
        let type_code = self.c.i32()?;
        let _size = self.c.i32()?;
        let array_length = self.c.i32()?;
        let _array_dim = self.c.i32()?;
        let n = if rec.version == 1 { self.c.count("fMaxIndex length", 4)? } else { 5 };
        self.c.bytes(self.bytes_for(n, 4)?)?;
        let type_name = self.c.string()?;
        self.finish(&rec)?;
        for o in outer.iter().rev() {
            self.finish(o)?;
        }
        Ok(StreamerElement { name, type_code, type_name, array_length, title })
    }

    fn leaf(&mut self, class: &str) -> Result<LeafRec> {
        let outer = self.record()?;
        let rec = self.record()?;
        if rec.version < 2 {
            return Err(self.unsupported_version(&rec, "TLeaf", "2 and above"));
        }
        let (_, title) = self.tnamed()?;
        let len = self.c.i32()?;
        let _len_type = self.c.i32()?;
        let _offset = self.c.i32()?;
        let _is_range = self.c.u8()?;
        let is_unsigned = self.c.u8()? != 0;
        let count = self.any()?;
        self.finish(&rec)?;
        // Subclass members (minimum and maximum, or TLeafElement's id and type) are skipped.
        self.finish(&outer)?;
        Ok(LeafRec { class: class.to_string(), len, is_unsigned, title, count })
    }

    /// A count that ROOT 4 and 5 stored as a `double` (`fEntries`, `fTotBytes` …): a whole
    /// number from 0 to 2^53, or the record is malformed.
    fn double_count(&mut self, field: &str) -> Result<i64> {
        let at = self.c.offset();
        let x = self.c.f64()?;
        if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_992.0 {
            Ok(x as i64)
        } else {
            Err(self.malformed(at, format!("{field} is {x}, not a count")))
        }
    }

    /// `fBasketEntry` or `fBasketSeek`: `int` before `TBranch` version 10, `Long64_t` since.
    fn position_array(&mut self, wide: bool, n: usize) -> Result<Vec<i64>> {
        if wide { self.i64_array(n) } else { Ok(self.i32_array(n)?.into_iter().map(i64::from).collect()) }
    }

    /// `TBranch` (versions 8 and 10–13), or `TBranchElement` (versions 8–10) around one.
    /// Version 8 (ROOT 4) keeps its counts in `int` and `double` where later versions have
    /// `Long64_t`, and has no `fFirstEntry`.
    pub(crate) fn branch(&mut self, class: &str) -> Result<BranchRec> {
        let outer = if class == "TBranchElement" { Some(self.record()?) } else { None };
        if let Some(o) = &outer
            && !(8..=10).contains(&o.version)
        {
            return Err(self.unsupported_version(o, "TBranchElement", "8 to 10"));
        }
        let offset = self.c.offset();
        let rec = self.record()?;
        let v = rec.version;
        if !(v == 8 || (10..=13).contains(&v)) {
            return Err(self.unsupported_version(&rec, "TBranch", "8 and 10 to 13"));
        }
        let wide = v >= 10;
        let (name, title) = self.tnamed()?;
        self.skip_record("TAttFill")?;
        let _compress = self.c.i32()?;
        let _basket_size = self.c.i32()?;
        let _entry_offset_len = self.c.i32()?;
        let write_basket = self.c.i32()?;
        let _entry_number = if wide { self.c.i64()? } else { i64::from(self.c.i32()?) };
        if v >= 13 {
            self.skip_record("TIOFeatures")?;
        }
        let _offset = self.c.i32()?;
        let at = self.c.offset();
        let max_baskets = self.c.i32()?;
        let _split_level = self.c.i32()?;
        let entries = if wide { self.c.i64()? } else { self.double_count("fEntries")? };
        if v >= 11 {
            let _first_entry = self.c.i64()?;
        }
        let tot_bytes = if wide { self.c.i64()? } else { self.double_count("fTotBytes")? };
        let zip_bytes = if wide { self.c.i64()? } else { self.double_count("fZipBytes")? };
        let branches = self.obj_array()?.into_iter().flatten().collect();
        let leaves = self.obj_array()?.into_iter().flatten().collect();
        let embedded = self.obj_array()?.into_iter().flatten().collect();
        // The three basket arrays, each after a one-byte marker: at least 13 bytes per basket.
        let max =
            usize::try_from(max_baskets).map_err(|_| self.malformed(at, format!("fMaxBaskets is {max_baskets}")))?;
        if max.saturating_mul(16) > self.c.remaining() + 3 {
            return Err(Error::Truncated {
                what: "basket arrays",
                offset: at,
                need: (max as u64).saturating_mul(16),
                have: self.c.remaining() as u64,
            });
        }
        let write_basket = usize::try_from(write_basket)
            .ok()
            .filter(|&w| w <= max)
            .ok_or_else(|| self.malformed(at, format!("fWriteBasket {write_basket} outside 0..={max}")))?;
        // Each array is a pointer member: a flag byte (0 for null), then the values.
        let basket_bytes = if self.c.u8()? != 0 { self.i32_array(max)? } else { vec![0; max] };
        let basket_entry = if self.c.u8()? != 0 { self.position_array(wide, max)? } else { vec![0; max] };
        let basket_seek = if self.c.u8()? != 0 { self.position_array(wide, max)? } else { vec![0; max] };
        self.finish(&rec)?;
        let element = match outer {
            None => None,
            Some(o) => {
                let class_name = self.c.string()?;
                let _parent = self.c.string()?;
                let _clones = self.c.string()?;
                let _checksum = self.c.u32()?;
                let class_version = if o.version >= 10 { i32::from(self.c.i16()?) } else { self.c.i32()? };
                let id = self.c.i32()?;
                let btype = self.c.i32()?;
                let streamer_type = self.c.i32()?;
                let _maximum = self.c.i32()?;
                let _count = self.any()?;
                let _count2 = self.any()?;
                self.finish(&o)?;
                Some(ElementInfo { class_name, class_version, id, btype, streamer_type })
            }
        };
        Ok(BranchRec {
            class: class.to_string(),
            name,
            title,
            offset,
            write_basket,
            entries,
            tot_bytes,
            zip_bytes,
            branches,
            leaves,
            embedded,
            basket_bytes,
            basket_entry,
            basket_seek,
            element,
        })
    }

    /// A `TBasket` kept inside the tree record: key header, basket header, then (by its flag)
    /// entry offsets and the uncompressed buffer, which repeats the key header.
    fn embedded_basket(&mut self) -> Result<EmbeddedBasket> {
        let offset = self.c.offset();
        let start = self.c.pos();
        let _nbytes = self.c.i32()?;
        let key_version = self.c.i16()?;
        let _obj_len = self.c.i32()?;
        let _datime = self.c.u32()?;
        let key_len = self.c.i16()?;
        let _cycle = self.c.i16()?;
        self.c.bytes(if key_version > 1000 { 16 } else { 8 })?;
        for _ in 0..3 {
            self.c.string()?;
        }
        let _version = self.c.i16()?;
        let _buffer_size = self.c.i32()?;
        let nev_buf_size = self.c.i32()?;
        let entries = self.c.count("fNevBuf", 0)?;
        let last = self.c.i32()?;
        let flag = self.c.u8()?;
        let key_len = usize::try_from(key_len)
            .ok()
            .filter(|&k| k >= self.c.pos().saturating_sub(start))
            .ok_or_else(|| self.malformed(offset, format!("fKeylen {key_len} is shorter than the basket header")))?;
        let border = usize::try_from(last)
            .ok()
            .and_then(|l| l.checked_sub(key_len))
            .ok_or_else(|| self.malformed(offset, format!("fLast {last} is shorter than the key ({key_len} bytes)")))?;
        let mut offsets = None;
        if flag == 0 {
            return Ok(EmbeddedBasket { entries: 0, offsets, data: Vec::new(), offset });
        }
        if flag % 10 != 2 && entries > 0 {
            let n = self.c.count("entry offset count", 4)?;
            if n < entries || !usize::try_from(nev_buf_size).is_ok_and(|size| size >= n) {
                return Err(self.malformed(offset, format!("{n} entry offsets for {entries} entries")));
            }
            // Offsets count from the start of the key; in i64, less the key length cannot overflow.
            let key = i64::try_from(key_len).map_err(|_| self.overflow(offset, format!("fKeylen {key_len}")))?;
            offsets = Some(self.i32_array(n)?.into_iter().take(entries).map(|o| i64::from(o) - key).collect());
            if flag > 40 {
                let n = self.c.count("displacement count", 4)?;
                self.c.bytes(self.bytes_for(n, 4)?)?;
            }
        }
        if flag == 1 || flag > 10 {
            self.c.bytes(key_len)?;
            let data = self.c.bytes(border)?.to_vec();
            return Ok(EmbeddedBasket { entries, offsets, data, offset });
        }
        Ok(EmbeddedBasket { entries: 0, offsets: None, data: Vec::new(), offset })
    }

    /// A `TTree` record (versions 5 and 16–20): the entry count and the top-level branches.
    /// Version 5 (ROOT 4) holds `fEntries`, then three byte counts, as `double`s and seven
    /// `int`s before `fBranches`.
    pub(crate) fn tree(&mut self) -> Result<(String, String, i64, Vec<usize>)> {
        let rec = self.record()?;
        let v = rec.version;
        if !(v == 5 || (16..=20).contains(&v)) {
            return Err(self.unsupported_version(&rec, "TTree", "5 and 16 to 20"));
        }
        let (name, title) = self.tnamed()?;
        for class in ["TAttLine", "TAttFill", "TAttMarker"] {
            self.skip_record(class)?;
        }
        if v == 5 {
            let entries = self.double_count("fEntries")?;
            self.c.bytes(3 * 8 + 7 * 4)?;
            let branches = self.obj_array()?.into_iter().flatten().collect();
            self.finish(&rec)?;
            return Ok((name, title, entries, branches));
        }
        let entries = self.c.i64()?;
        // fTotBytes, fZipBytes, fSavedBytes, [fFlushedBytes,] fWeight, fTimerInterval,
        // fScanField, fUpdate, [fDefaultEntryOffsetLen,] [fNClusterRange,] then 5 or 6 i64.
        let skip = match v {
            16 => 24 + 8 + 12,
            17 => 24 + 8 + 16,
            _ => 32 + 8 + 16,
        };
        self.c.bytes(skip)?;
        let at = self.c.offset();
        let n_cluster = if v >= 19 { self.c.count("fNClusterRange", 0)? } else { 0 };
        self.c.bytes(if v >= 18 { 48 } else { 40 })?;
        if v >= 19 {
            for _ in 0..2 {
                self.c.u8()?;
                self.c.bytes(
                    n_cluster.checked_mul(8).ok_or_else(|| self.malformed(at, "fNClusterRange too large".into()))?,
                )?;
            }
        }
        if v >= 20 {
            self.skip_record("TIOFeatures")?;
        }
        let branches = self.obj_array()?.into_iter().flatten().collect();
        self.finish(&rec)?;
        Ok((name, title, entries, branches))
    }
}

#[cfg(test)]
mod tests {
    use super::ObjReader;
    use crate::error::Error;

    /// ROOT's reference tags are 32-bit positions counted from the start of the key: a key
    /// length at the `u32` maximum overflows them, an error rather than a wrapped tag.
    #[test]
    fn reference_tags_overflowing_32_bits_are_errors() {
        // A counted object of a new class "X": tags at positions 0 and 4, the map offset added.
        let data = [0x40, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, b'X', 0];
        for (key_len, at) in [(u32::MAX, 104), (u32::MAX - 3, 104), (u32::MAX - 5, 100)] {
            let e = ObjReader::new(&data, 100, key_len, "test").any().unwrap_err();
            assert!(matches!(e, Error::Overflow { what: "object", offset, .. } if offset == at), "{key_len}: {e}");
        }
        // Just below, the tags fit.
        assert!(ObjReader::new(&data, 100, u32::MAX - 6, "test").any().is_ok());
    }

    /// Byte counts at the 30-bit maximum, on a record a few bytes long, are truncations.
    #[test]
    fn byte_counts_past_the_record_are_truncations() {
        let data = [0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1];
        let e = ObjReader::new(&data, 7, 0, "test").record().map(drop).unwrap_err();
        assert!(matches!(e, Error::Truncated { what: "record", offset: 7, need: 0x3fff_ffff, .. }), "{e}");
        let e = ObjReader::new(&data, 7, 0, "test").any().unwrap_err();
        assert!(matches!(e, Error::Truncated { what: "object", offset: 7, .. }), "{e}");
    }

    /// Counts read as `i32`: negative, or at the maximum, are refused before sizing anything.
    #[test]
    fn negative_and_maximal_counts_are_refused() {
        for (n, negative) in [(-1i32, true), (i32::MIN, true), (i32::MAX, false)] {
            let mut data = n.to_be_bytes().to_vec();
            data.extend([0; 16]);
            let mut r = ObjReader::new(&data, 0, 0, "test");
            let e = r.c.count("count", 4).unwrap_err();
            match negative {
                true => assert!(matches!(e, Error::Malformed { .. }) && e.to_string().contains("negative"), "{e}"),
                false => assert!(matches!(e, Error::Truncated { need: 8_589_934_588, .. }), "{e}"),
            }
            let mut data = vec![255];
            data.extend(n.to_be_bytes());
            let e = ObjReader::new(&data, 0, 0, "test").c.string().unwrap_err();
            assert!(matches!(e, Error::Malformed { .. } | Error::Truncated { .. }), "{e}");
        }
    }
}
