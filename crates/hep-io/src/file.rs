//! The ROOT file structure: header, keys, directories, and the objects the keys point at.

use std::path::Path;
use std::sync::Arc;

use crate::compression::decompress;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::source::{POSITIONED, Source};

/// The most bytes a file header, directory record or lone key header can take: they are read
/// through a window this long (less at the end of the file).
const HEADER_WINDOW: u64 = 1 << 16;

/// Bounds on what a file may make this reader do. Every size read from a file is checked against
/// the file's own size and against these limits before anything is allocated.
///
/// ```
/// let l = hep_io::Limits::default();
/// assert_eq!(l.max_object_bytes, 1 << 31);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest decompressed object (bytes).
    pub max_object_bytes: u64,
    /// Largest decompressed-to-compressed ratio accepted for one object larger than one ROOT
    /// compression block ([`ONE_BLOCK`] bytes, accepted at any ratio: a constant RNTuple page of
    /// 1 MiB legitimately compresses to a few dozen bytes).
    pub max_ratio: u64,
    /// Most keys in one directory.
    pub max_keys: usize,
    /// Deepest directory nesting followed by [`RootFile::walk`].
    pub max_depth: usize,
}

/// The most bytes one ROOT compression block decompresses to (its 3-byte size field): objects up
/// to this size pass [`Limits::max_ratio`] whatever their compressed size, since one block of
/// any codec may legitimately reach it.
///
/// ```
/// assert_eq!(hep_io::ONE_BLOCK, 0xff_ffff);
/// ```
pub const ONE_BLOCK: u64 = 0xff_ffff;

impl Default for Limits {
    fn default() -> Self {
        Limits { max_object_bytes: 1 << 31, max_ratio: 10_000, max_keys: 1 << 20, max_depth: 64 }
    }
}

impl Limits {
    /// `obj_len` as a `usize` if `stored` compressed bytes may decompress to it: at most
    /// `max_object_bytes`, and at most `max_ratio` times `stored` above one block.
    pub(crate) fn check_unpacked(&self, what: &'static str, at: u64, stored: usize, obj_len: u64) -> Result<usize> {
        let by_ratio = (stored as u64).saturating_mul(self.max_ratio).max(ONE_BLOCK);
        let limit = self.max_object_bytes.min(by_ratio);
        if obj_len > limit {
            return Err(Error::LimitExceeded { what, offset: at, size: obj_len, limit });
        }
        usize::try_from(obj_len).map_err(|_| Error::LimitExceeded {
            what,
            offset: at,
            size: obj_len,
            limit: usize::MAX as u64,
        })
    }
}

/// The fixed header at the start of every ROOT file (`TFile`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// ROOT version that wrote the file (`fVersion`; ≥ 1 000 000 means 64-bit seeks).
    pub version: i32,
    /// Offset of the first key (`fBEGIN`).
    pub begin: u64,
    /// End of the used part of the file (`fEND`).
    pub end: u64,
    /// Bytes of the file's own key and name (`fNbytesName`): the top directory record follows.
    pub nbytes_name: u32,
    /// Compression setting (`fCompress`: 100 × algorithm + level).
    pub compress: i32,
    /// Offset of the streamer-info record (`fSeekInfo`).
    pub seek_info: u64,
    /// Size of the streamer-info record (`fNbytesInfo`).
    pub nbytes_info: u32,
}

/// A key: the directory entry of one stored object (`TKey`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// Class of the object, e.g. `TTree`.
    pub class_name: String,
    /// Name of the object.
    pub name: String,
    /// Title of the object.
    pub title: String,
    /// Cycle number (several versions of one name may exist).
    pub cycle: i16,
    /// Bytes on disk, key header included (`fNbytes`).
    pub nbytes: u32,
    /// Bytes of the object once decompressed (`fObjlen`).
    pub obj_len: u32,
    /// Bytes of the key header (`fKeylen`).
    pub key_len: u16,
    /// Offset of the key header in the file (`fSeekKey`).
    pub seek_key: u64,
    /// Offset of the directory holding the key (`fSeekPdir`).
    pub seek_pdir: u64,
}

impl Key {
    /// Whether the key holds a subdirectory.
    ///
    /// ```
    /// # let k = hep_io::Key { class_name: "TDirectoryFile".into(), name: "d".into(), title: String::new(),
    /// #   cycle: 1, nbytes: 0, obj_len: 0, key_len: 0, seek_key: 0, seek_pdir: 0 };
    /// assert!(k.is_directory());
    /// ```
    pub fn is_directory(&self) -> bool {
        matches!(self.class_name.as_str(), "TDirectory" | "TDirectoryFile")
    }
}

/// A ROOT file, parsed lazily: opening reads and checks the header; keys, objects and baskets
/// are read on request. [`RootFile::open`] reads them from disk at their offsets (memory stays
/// bounded by the records in use); [`RootFile::from_bytes`] parses a file already in memory.
///
/// ```no_run
/// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
/// for key in f.keys()? {
///     println!("{} {} ({} bytes)", key.class_name, key.name, key.obj_len);
/// }
/// let tree = f.get("CollectionTree")?;
/// let bytes = f.read_object(&tree)?; // the streamed TTree, decompressed
/// # Ok::<(), hep_io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RootFile {
    /// Shared by the clones: a [`Tree`](crate::Tree) and its batch readers each hold one, so
    /// they own what they read from.
    source: Arc<Source>,
    header: Header,
    limits: Limits,
}

/// `offset + len` for the structure `what`, two numbers from the file: an [`Error::Overflow`]
/// rather than a wrap.
fn offset_plus(what: &'static str, offset: u64, len: u64) -> Result<u64> {
    offset.checked_add(len).ok_or_else(|| Error::Overflow { what, offset, detail: format!("offset plus {len} bytes") })
}

/// A `u64` from a signed field that must be a non-negative offset or size.
fn non_negative(c: &Cursor<'_>, at: u64, field: &str, v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| c.malformed(at, format!("{field} is negative ({v})")))
}

impl RootFile {
    /// Open the file at `path` and check its header, with the default [`Limits`]. The file is
    /// not read into memory: keys, objects and baskets are read at their offsets when asked
    /// for, so memory stays bounded by what is in use, whatever the file's size.
    ///
    /// ```
    /// assert!(matches!(hep_io::RootFile::open("/no/such/file.root"), Err(hep_io::Error::Io { .. })));
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_limits(path, Limits::default())
    }

    /// Open the file at `path` with explicit [`Limits`] (see [`RootFile::open`]).
    ///
    /// ```
    /// let tight = hep_io::Limits { max_keys: 10, ..Default::default() };
    /// assert!(hep_io::RootFile::open_with_limits("/no/such/file.root", tight).is_err());
    /// ```
    pub fn open_with_limits(path: impl AsRef<Path>, limits: Limits) -> Result<Self> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let source = if POSITIONED {
            let file = std::fs::File::open(path).map_err(io)?;
            let len = file.metadata().map_err(io)?.len();
            Source::File { file, len, path: path.display().to_string() }
        } else {
            Source::Memory(std::fs::read(path).map_err(io)?)
        };
        Self::from_source(source, limits)
    }

    /// Parse a file already in memory, with the default [`Limits`].
    ///
    /// ```
    /// assert!(hep_io::RootFile::from_bytes(b"root".to_vec()).is_err()); // truncated header
    /// ```
    pub fn from_bytes(data: Vec<u8>) -> Result<Self> {
        Self::with_limits(data, Limits::default())
    }

    /// Parse a file already in memory with explicit [`Limits`].
    ///
    /// ```
    /// let tight = hep_io::Limits { max_keys: 10, ..Default::default() };
    /// assert!(hep_io::RootFile::with_limits(vec![0; 3], tight).is_err());
    /// ```
    pub fn with_limits(data: Vec<u8>, limits: Limits) -> Result<Self> {
        Self::from_source(Source::Memory(data), limits)
    }

    fn from_source(source: Source, limits: Limits) -> Result<Self> {
        let window = match source.window("file header", 0, HEADER_WINDOW) {
            Ok(w) => w,
            Err(Error::Truncated { .. }) => return Err(Error::BadMagic { offset: 0, found: Vec::new() }),
            Err(e) => return Err(e),
        };
        let mut c = Cursor::new(&window, 0, "file header");
        let magic = c.bytes(4).map_err(|_| Error::BadMagic { offset: 0, found: window.to_vec() })?;
        if magic != b"root" {
            return Err(Error::BadMagic { offset: 0, found: magic.to_vec() });
        }
        let at = c.offset();
        let version = c.i32()?;
        let begin = i64::from(c.i32()?);
        let large = version >= 1_000_000;
        let wide = |c: &mut Cursor<'_>| -> Result<i64> { if large { c.i64() } else { c.i32().map(i64::from) } };
        let end = wide(&mut c)?;
        let _seek_free = wide(&mut c)?;
        let _nbytes_free = c.i32()?;
        let _nfree = c.i32()?;
        let nbytes_name = c.i32()?;
        let _units = c.u8()?;
        let compress = c.i32()?;
        let seek_info = wide(&mut c)?;
        let nbytes_info = c.i32()?;
        let header = Header {
            version,
            begin: non_negative(&c, at, "fBEGIN", begin)?,
            end: non_negative(&c, at, "fEND", end)?,
            nbytes_name: u32::try_from(nbytes_name)
                .map_err(|_| c.malformed(at, format!("fNbytesName is {nbytes_name}")))?,
            compress,
            seek_info: non_negative(&c, at, "fSeekInfo", seek_info)?,
            nbytes_info: u32::try_from(nbytes_info)
                .map_err(|_| c.malformed(at, format!("fNbytesInfo is {nbytes_info}")))?,
        };
        drop(window);
        let file = RootFile { source: Arc::new(source), header, limits };
        file.source.check("top directory", file.header.begin, u64::from(file.header.nbytes_name))?;
        Ok(file)
    }

    /// The file header.
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("f.root")?;
    /// println!("written by ROOT {}", f.header().version);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The size of the file in bytes.
    ///
    /// ```no_run
    /// println!("{}", hep_io::RootFile::open("f.root")?.len());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn len(&self) -> u64 {
        self.source.len()
    }

    /// Whether the file is empty (never true for a parsed file).
    ///
    /// ```no_run
    /// assert!(!hep_io::RootFile::open("f.root")?.is_empty());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key of the basket at `seek` and the bytes of data it holds (`fLast` less the key
    /// length, from the basket header that ends its key): one small read.
    pub(crate) fn basket_head(&self, seek: u64) -> Result<(Key, u64)> {
        let window = self.source.window("basket key", seek, 1 << 12)?;
        let mut c = Cursor::new(&window, seek, "basket key");
        let key = Self::key_at(&mut c)?;
        let bad = |detail: String| Error::Malformed { what: "basket header", offset: seek, detail };
        let at = usize::from(key.key_len).checked_sub(5).ok_or_else(|| bad(format!("fKeylen {}", key.key_len)))?;
        c.seek(at)?;
        let last = c.i32()?;
        let data = u64::try_from(last)
            .ok()
            .and_then(|l| l.checked_sub(u64::from(key.key_len)))
            .ok_or_else(|| bad(format!("fLast {last} is before the end of the key ({})", key.key_len)))?;
        Ok((key, data))
    }

    /// Parse a key header at the cursor.
    fn key_at(c: &mut Cursor<'_>) -> Result<Key> {
        let at = c.offset();
        let nbytes = c.i32()?;
        let version = c.i16()?;
        let obj_len = c.i32()?;
        let _datime = c.u32()?;
        let key_len = c.i16()?;
        let cycle = c.i16()?;
        let (seek_key, seek_pdir) =
            if version > 1000 { (c.i64()?, c.i64()?) } else { (i64::from(c.i32()?), i64::from(c.i32()?)) };
        let class_name = c.string()?;
        let name = c.string()?;
        let title = c.string()?;
        let bad = |field: &str, v: i64| c.malformed(at, format!("{field} is {v}"));
        Ok(Key {
            class_name,
            name,
            title,
            cycle,
            nbytes: u32::try_from(nbytes).map_err(|_| bad("fNbytes", nbytes.into()))?,
            obj_len: u32::try_from(obj_len).map_err(|_| bad("fObjlen", obj_len.into()))?,
            key_len: u16::try_from(key_len).map_err(|_| bad("fKeylen", key_len.into()))?,
            seek_key: u64::try_from(seek_key).map_err(|_| bad("fSeekKey", seek_key))?,
            seek_pdir: u64::try_from(seek_pdir).map_err(|_| bad("fSeekPdir", seek_pdir))?,
        })
    }

    /// The keys of the directory whose record starts at `dir_at`.
    fn keys_of_directory(&self, dir_at: u64) -> Result<Vec<Key>> {
        let record = self.source.window("directory record", dir_at, HEADER_WINDOW)?;
        let mut c = Cursor::new(&record, dir_at, "directory record");
        let version = c.i16()?;
        let _ctime = c.u32()?;
        let _mtime = c.u32()?;
        let nbytes_keys = c.i32()?;
        let _nbytes_name = c.i32()?;
        let (_seek_dir, _seek_parent, seek_keys) = if version > 1000 {
            (c.i64()?, c.i64()?, c.i64()?)
        } else {
            (i64::from(c.i32()?), i64::from(c.i32()?), i64::from(c.i32()?))
        };
        let seek_keys = non_negative(&c, dir_at, "fSeekKeys", seek_keys)?;
        let nbytes_keys = non_negative(&c, dir_at, "fNbytesKeys", nbytes_keys.into())?;
        if seek_keys == 0 {
            return Ok(Vec::new()); // an empty directory
        }
        // The key list: its own key header, the number of keys, then one header per key.
        let list = self.source.read("key list", seek_keys, nbytes_keys)?;
        let mut c = Cursor::new(&list, seek_keys, "key list");
        let own = Self::key_at(&mut c)?;
        let skip = usize::from(own.key_len).checked_sub(c.pos()).ok_or_else(|| {
            c.malformed(seek_keys, format!("key list header is {} bytes, shorter than its fields", own.key_len))
        })?;
        c.bytes(skip)?;
        let at = c.offset();
        let n = c.i32()?;
        // A key header is at least 26 bytes: the count cannot exceed what the list holds.
        let n = usize::try_from(n).map_err(|_| c.malformed(at, format!("negative key count {n}")))?;
        if n > self.limits.max_keys || n > list.len() / 26 {
            return Err(Error::LimitExceeded {
                what: "key count",
                offset: at,
                size: n as u64,
                limit: (self.limits.max_keys.min(list.len() / 26)) as u64,
            });
        }
        (0..n).map(|_| Self::key_at(&mut c)).collect()
    }

    /// The keys of the top directory, in file order.
    ///
    /// ```no_run
    /// let names: Vec<String> = hep_io::RootFile::open("f.root")?.keys()?.into_iter().map(|k| k.name).collect();
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn keys(&self) -> Result<Vec<Key>> {
        self.keys_of_directory(offset_plus("top directory", self.header.begin, u64::from(self.header.nbytes_name))?)
    }

    /// The keys of a subdirectory.
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("f.root")?;
    /// for d in f.keys()?.iter().filter(|k| k.is_directory()) {
    ///     println!("{}: {} keys", d.name, f.keys_in(d)?.len());
    /// }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn keys_in(&self, dir: &Key) -> Result<Vec<Key>> {
        if !dir.is_directory() {
            return Err(Error::Malformed {
                what: "directory key",
                offset: dir.seek_key,
                detail: format!("{} is a {}, not a directory", dir.name, dir.class_name),
            });
        }
        self.keys_of_directory(offset_plus("directory key", dir.seek_key, u64::from(dir.key_len))?)
    }

    /// Every key of the file with its path (`dir/sub/name`), directories first-order, following
    /// at most [`Limits::max_depth`] levels and never the same directory twice.
    ///
    /// ```no_run
    /// for (path, key) in hep_io::RootFile::open("f.root")?.walk()? {
    ///     println!("{path}: {}", key.class_name);
    /// }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn walk(&self) -> Result<Vec<(String, Key)>> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![(String::new(), self.keys()?, 0usize)];
        while let Some((prefix, keys, depth)) = stack.pop() {
            for k in keys {
                let path = if prefix.is_empty() { k.name.clone() } else { format!("{prefix}/{}", k.name) };
                if k.is_directory() && depth < self.limits.max_depth && seen.insert(k.seek_key) {
                    stack.push((path.clone(), self.keys_in(&k)?, depth + 1));
                }
                out.push((path, k));
            }
        }
        Ok(out)
    }

    /// The key of the highest cycle named `name` in the top directory.
    ///
    /// ```no_run
    /// let tree = hep_io::RootFile::open("f.root")?.get("CollectionTree")?;
    /// assert_eq!(tree.class_name, "TTree");
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn get(&self, name: &str) -> Result<Key> {
        self.keys()?
            .into_iter()
            .filter(|k| k.name == name)
            .max_by_key(|k| k.cycle)
            .ok_or_else(|| Error::NoSuchKey(name.to_string()))
    }

    /// The key of the streamer-info record (the class layouts the file was written with).
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("f.root")?;
    /// let info = f.read_object(&f.streamer_info_key()?)?;
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn streamer_info_key(&self) -> Result<Key> {
        let at = self.header.seek_info;
        let window = self.source.window("streamer info key", at, HEADER_WINDOW)?;
        Self::key_at(&mut Cursor::new(&window, at, "streamer info key"))
    }

    /// The codec of the first compressed block of a key's object; `None` if it is stored
    /// uncompressed.
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("f.root")?;
    /// println!("{:?}", f.codec_of(&f.get("CollectionTree")?)?);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn codec_of(&self, key: &Key) -> Result<Option<crate::Codec>> {
        let data_at = offset_plus("key", key.seek_key, u64::from(key.key_len))?;
        let data_len = u64::from(key.nbytes).saturating_sub(u64::from(key.key_len));
        if data_len == u64::from(key.obj_len) {
            return Ok(None);
        }
        let tag = self.source.read("compressed block header", data_at, 2)?;
        let tag = [tag[0], tag[1]];
        crate::Codec::from_tag(tag).map(Some).ok_or(Error::UnknownCodec { offset: data_at, tag })
    }

    /// The object a key points at, decompressed (exactly `obj_len` bytes). The key header on
    /// disk at `seek_key` must agree with the key (name, class and sizes), which catches keys
    /// pointing at the wrong place.
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("f.root")?;
    /// let key = f.get("CollectionTree")?;
    /// assert_eq!(f.read_object(&key)?.len(), key.obj_len as usize);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn read_object(&self, key: &Key) -> Result<Vec<u8>> {
        let at = key.seek_key;
        let record = self.source.read("object", at, u64::from(key.nbytes))?;
        let on_disk = Self::key_at(&mut Cursor::new(&record, at, "key"))?;
        if on_disk.name != key.name
            || on_disk.class_name != key.class_name
            || on_disk.nbytes != key.nbytes
            || on_disk.obj_len != key.obj_len
            || on_disk.key_len != key.key_len
        {
            return Err(Error::Malformed {
                what: "key",
                offset: at,
                detail: format!(
                    "the key on disk ({} {}, {} bytes) disagrees with the directory entry ({} {}, {} bytes)",
                    on_disk.class_name, on_disk.name, on_disk.nbytes, key.class_name, key.name, key.nbytes
                ),
            });
        }
        let stored = record.get(usize::from(key.key_len)..).ok_or_else(|| Error::Malformed {
            what: "key",
            offset: at,
            detail: format!("fKeylen {} exceeds fNbytes {}", key.key_len, key.nbytes),
        })?;
        let data_at = offset_plus("key", at, u64::from(key.key_len))?;
        self.payload("object", at, stored, data_at, u64::from(key.obj_len))
    }

    /// Decompress the `obj_len` bytes held in `stored` (at file offset `at`) of the `what`
    /// record whose key is at `key_at`, within the limits.
    fn payload(&self, what: &'static str, key_at: u64, stored: &[u8], at: u64, obj_len: u64) -> Result<Vec<u8>> {
        let size = self.limits.check_unpacked(what, key_at, stored.len(), obj_len)?;
        decompress(stored, at, size)
    }

    /// The key at `path` (directories included) with the highest cycle.
    pub(crate) fn latest_key(&self, path: &str) -> Result<Key> {
        self.walk()?
            .into_iter()
            .filter(|(p, _)| p == path)
            .map(|(_, k)| k)
            .max_by_key(|k| k.cycle)
            .ok_or_else(|| Error::NoSuchKey(path.to_string()))
    }

    /// The `len` bytes at `offset`, as stored.
    pub(crate) fn read_raw(&self, what: &'static str, offset: u64, len: u64) -> Result<std::borrow::Cow<'_, [u8]>> {
        self.source.read(what, offset, len)
    }

    /// `stored`, read from `offset`, decompressed to exactly `len` bytes within the limits.
    pub(crate) fn unpack(&self, what: &'static str, offset: u64, stored: &[u8], len: u64) -> Result<Vec<u8>> {
        self.payload(what, offset, stored, offset, len)
    }

    /// The limits this file is read with.
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The basket at `seek`, which the branch says is `nbytes` long on disk: its key and basket
    /// headers, its decompressed data and its entry offsets, all checked.
    pub(crate) fn read_basket(&self, seek: u64, nbytes: u32, entries: usize) -> Result<Basket> {
        let record = self.source.read("basket", seek, u64::from(nbytes))?;
        let mut c = Cursor::new(&record, seek, "basket header");
        let key = Self::key_at(&mut c)?;
        let bad = |detail: String| Error::Malformed { what: "basket header", offset: seek, detail };
        if key.nbytes != nbytes || key.class_name != "TBasket" {
            return Err(bad(format!(
                "the key on disk is a {} of {} bytes, the branch expects a TBasket of {nbytes}",
                key.class_name, key.nbytes
            )));
        }
        // The basket header (`fVersion`, `fBufferSize`, `fNevBufSize`, `fNevBuf`, `fLast`, a flag:
        // 19 bytes) ends the key, and is read from there: some writers (uproot 3's) leave a byte
        // between the key's title and the header, which ROOT-written keys never do.
        const BASKET_HEADER: usize = 19;
        let key_len = usize::from(key.key_len);
        let header_at = key_len.checked_sub(BASKET_HEADER).filter(|&h| h >= c.pos()).ok_or_else(|| {
            bad(format!("fKeylen {key_len} is shorter than the basket header ({} bytes)", c.pos() + BASKET_HEADER))
        })?;
        c.seek(header_at)?;
        let _version = c.i16()?;
        let _buffer_size = c.i32()?;
        let _nev_buf_size = c.i32()?;
        let nev_buf = c.i32()?;
        let last = c.i32()?;
        let _flag = c.u8()?;
        if usize::try_from(nev_buf).ok() != Some(entries) {
            return Err(bad(format!("holds {nev_buf} entries, the branch expects {entries}")));
        }
        let obj_len = usize::try_from(key.obj_len).map_err(|_| bad(format!("fObjlen {} is too large", key.obj_len)))?;
        let border =
            usize::try_from(last).ok().and_then(|l| l.checked_sub(key_len)).filter(|&b| b <= obj_len).ok_or_else(
                || bad(format!("fLast {last} is outside the key ({key_len}) and data ({obj_len}) bytes")),
            )?;
        let stored = record.get(key_len..).ok_or_else(|| bad(format!("fKeylen {key_len} exceeds fNbytes {nbytes}")))?;
        let data_at = offset_plus("basket", seek, u64::from(key.key_len))?;
        let data = self.payload("basket", data_at, stored, data_at, obj_len as u64)?;
        let offsets =
            if border < obj_len { Some(entry_offsets(&data, border, entries, key_len, data_at)?) } else { None };
        Ok(Basket { data, border, offsets, offset: seek })
    }
}

/// A basket's data, decompressed: entries live in `data[..border]`; `offsets` (one per entry,
/// then `border`) mark where each begins when entries vary in size.
#[derive(Debug)]
pub(crate) struct Basket {
    pub data: Vec<u8>,
    pub border: usize,
    pub offsets: Option<Vec<usize>>,
    pub offset: u64,
}

/// The entry-offset array after a basket's data: a count, then one offset per entry (counted
/// from the start of the key), sometimes one more. They must rise and stay inside the data.
fn entry_offsets(data: &[u8], border: usize, entries: usize, key_len: usize, at: u64) -> Result<Vec<usize>> {
    let tail = data.get(border..).ok_or(Error::Truncated {
        what: "entry offsets",
        offset: at,
        need: border as u64,
        have: data.len() as u64,
    })?;
    // Offsets inside a record read from the file: they fit in a u64 (saturating only for
    // the error message, never wrapping).
    let tail_at = at.saturating_add(border as u64);
    let mut c = Cursor::new(tail, tail_at, "entry offsets");
    let n = c.count("entry offset count", 4)?;
    if n < entries {
        return Err(c.malformed(tail_at, format!("{n} entry offsets for {entries} entries")));
    }
    let first = c.offset();
    let raw = (0..entries).map(|_| c.i32().map(i64::from)).collect::<Result<Vec<_>>>()?;
    let out = rising_offsets(&raw, key_len, border).map_err(|i| {
        let offset = first.saturating_add((i as u64).saturating_mul(4));
        c.malformed(offset, format!("entry {i} offset is out of order or outside the data"))
    })?;
    if out.first().is_some_and(|&o| o != 0) {
        return Err(c.malformed(tail_at, "the first entry does not start at the data".into()));
    }
    Ok(out)
}

/// Entry start offsets less `key_len`, checked to rise and stay within `border`, followed by
/// `border`; `Err` holds the index of the first offending entry.
pub(crate) fn rising_offsets(raw: &[i64], key_len: usize, border: usize) -> Result<Vec<usize>, usize> {
    let mut out = Vec::with_capacity(raw.len().saturating_add(1));
    for (i, &o) in raw.iter().enumerate() {
        match usize::try_from(o).ok().and_then(|o| o.checked_sub(key_len)) {
            Some(o) if o <= border && out.last().is_none_or(|&p| p <= o) => out.push(o),
            _ => return Err(i),
        }
    }
    out.push(border);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::rising_offsets;

    /// Entry offsets at the edges of `i64` (and of `i32`, less a key length) are refused with
    /// the index of the entry, never wrapped.
    #[test]
    fn offsets_at_the_edges_are_refused() {
        assert_eq!(rising_offsets(&[0, 4, 8], 0, 8), Ok(vec![0, 4, 8, 8]));
        assert_eq!(rising_offsets(&[100, 104], 100, 8), Ok(vec![0, 4, 8]));
        assert_eq!(rising_offsets(&[i64::MIN], 0, 8), Err(0));
        assert_eq!(rising_offsets(&[0, i64::MAX], 0, 8), Err(1));
        assert_eq!(rising_offsets(&[0, i64::from(i32::MIN) - 100], 0, 8), Err(1));
        assert_eq!(rising_offsets(&[0, 99], 100, 8), Err(0));
        assert_eq!(rising_offsets(&[8, 4], 0, 8), Err(1));
        assert_eq!(rising_offsets(&[0, 9], 0, 8), Err(1));
    }
}
