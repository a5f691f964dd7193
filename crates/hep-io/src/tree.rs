//! `TTree`s: branches with their types and baskets, branch selection by name or glob, and
//! reading entry ranges into Arrow `RecordBatch`es, whole or streamed in bounded batches.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{Field, Schema, SchemaRef};

use crate::decode::ColumnBuilder;
use crate::error::{Error, Result};
use crate::file::{Basket, RootFile, rising_offsets};
use crate::lossy::{Packing, with_scheme};
use crate::object::{BranchRec, ElementInfo, LeafRec, Obj, ObjReader, StreamerElement, StreamerInfo};
use crate::types::{ColumnType, Dims, Layout, Primitive};

/// Where a basket's bytes are.
#[derive(Clone, Debug)]
enum Source {
    Disk { seek: u64, bytes: u32 },
    Embedded(Arc<Basket>),
}

/// The baskets of a branch, in entry order: where each ends and where its bytes are. 20 bytes a
/// basket (files of small baskets hold millions of them): the baskets written to disk in their
/// own keys first, then those kept inside the branch record (embedded).
#[derive(Clone, Debug, Default)]
struct Baskets {
    /// The entry after the last of each basket; a basket starts where the one before ends (the
    /// first at entry 0).
    ends: Vec<u64>,
    /// File offset of each basket written to disk.
    seeks: Vec<u64>,
    /// Bytes on disk of each basket written to disk.
    bytes: Vec<u32>,
    /// The embedded baskets, after those on disk.
    embedded: Vec<Arc<Basket>>,
}

impl Baskets {
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Entries `first..end` of basket `i` (which exists).
    fn entries(&self, i: usize) -> (u64, u64) {
        let first = if i == 0 { 0 } else { self.ends.get(i - 1).copied().unwrap_or(0) };
        (first, self.ends.get(i).copied().unwrap_or(first))
    }

    /// Where basket `i`'s bytes are, `None` past the last basket.
    fn source(&self, i: usize) -> Option<Source> {
        match (self.seeks.get(i), self.bytes.get(i)) {
            (Some(&seek), Some(&bytes)) => Some(Source::Disk { seek, bytes }),
            _ => i.checked_sub(self.seeks.len()).and_then(|j| self.embedded.get(j)).cloned().map(Source::Embedded),
        }
    }
}

/// How a branch's baskets are stored ([`Tree::storage`]).
///
/// ```
/// let s = hep_io::BasketStorage { codec: Some(hep_io::Codec::Zlib), checked: true };
/// assert!(s.checked);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasketStorage {
    /// The codec of its first block; `None`: stored raw.
    pub codec: Option<crate::Codec>,
    /// Whether damage to it would be detected when it is read: zlib's Adler-32, LZ4's
    /// xxHash-64, LZMA's CRC, or a Zstandard frame with its content checksum; a raw basket,
    /// ROOT's old algorithm and a Zstandard frame without the checksum are not checked.
    pub checked: bool,
}

/// A branch of a tree: its name, type, size, and where its baskets are.
///
/// ```no_run
/// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
/// let tree = f.tree("CollectionTree")?;
/// let b = tree.branch("AnalysisElectronsAuxDyn.pt")?;
/// assert_eq!(b.type_name, "std::vector<float>");
/// # Ok::<(), hep_io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Branch {
    /// Branch name.
    pub name: String,
    /// The names from the top-level branch down, joined by `/` (as `uproot` keys them): the
    /// column name. Equal to `name` for top-level branches. Unique in its tree: where a tree
    /// holds several branches of one path (Delphes writes `Particle` twice), the n-th is
    /// `path#n` (`Particle#2`, with `Particle#2/Particle.PT` below it).
    pub path: String,
    /// Branch title.
    pub title: String,
    /// `TBranch` or `TBranchElement`.
    pub class: String,
    /// C++ type, as `uproot` spells it.
    pub type_name: String,
    /// The column type, or why this reader does not read the branch: a type it does not
    /// decode by design, or damage in the file.
    pub column: std::result::Result<ColumnType, Unreadable>,
    /// How a `Float16_t` or `Double32_t` branch packs its values (range, mantissa bits, or a
    /// `float`), as its leaf title or member comment says; `None` for every other type. The
    /// column holds the decoded values (`f32` for `Float16_t`, `f64` for `Double32_t`) and its
    /// Arrow field carries the matching scheme under [`SCHEME_KEY`](crate::SCHEME_KEY).
    pub packing: Option<Packing>,
    /// Entries.
    pub entries: u64,
    /// Bytes on disk (compressed, basket headers included).
    pub compressed_bytes: u64,
    /// Bytes once decompressed.
    pub uncompressed_bytes: u64,
    /// Nesting depth (0 for top-level branches).
    pub depth: usize,
    /// File offset of the branch record (inside the tree's record).
    offset: u64,
    baskets: Baskets,
    /// `TObject::fBits` of a split object (streamer type 15): referenced objects' values are
    /// followed by a process-ID index.
    tobject_bits: bool,
    /// The branch of its count leaf (`x[n]`), which sizes its entries where a basket was
    /// written without entry offsets.
    count: Option<usize>,
}

/// Why a branch is not read into Arrow ([`Branch::column`]).
///
/// ```
/// use hep_io::Unreadable;
/// let u = Unreadable::Unsupported("a leaf list of 3 leaves".into());
/// assert!(!u.is_damaged());
/// let d = Unreadable::Damaged { offset: 1234, detail: "the streamer info cannot be read".into() };
/// assert!(d.is_damaged());
/// assert_eq!(d.to_string(), "damaged at offset 1234: the streamer info cannot be read");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unreadable {
    /// A type this reader does not decode, by design (leaf lists, objects, element links…):
    /// such branches are listed and skipped ([`Tree::select_supported`]).
    Unsupported(String),
    /// The branch should be readable, but the file is damaged: the streamer info describing a
    /// member this reader could decode (an STL container or a fixed array, by the branch's own
    /// streamer type) is unreadable or lacks the class or member the branch names, a leaf
    /// declares no values, or the basket list is out of order or out of range. Selecting it
    /// is an error unless the caller asks to skip damaged branches ([`Tree::select_readable`]).
    Damaged {
        /// File offset of the damaged structure (the streamer-info record, or the branch record).
        offset: u64,
        /// What is wrong.
        detail: String,
    },
}

impl Unreadable {
    /// Whether the branch is unreadable because the file is damaged.
    ///
    /// ```
    /// assert!(!hep_io::Unreadable::Unsupported("TObject".into()).is_damaged());
    /// ```
    pub fn is_damaged(&self) -> bool {
        matches!(self, Unreadable::Damaged { .. })
    }
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Unsupported(why) => write!(f, "unsupported: {why}"),
            Unreadable::Damaged { offset, detail } => write!(f, "damaged at offset {offset}: {detail}"),
        }
    }
}

/// A branch that should be readable but is not, because the file is damaged (see
/// [`Selection::damaged`], [`Tree::damaged`] and [`Error::DamagedBranch`]).
///
/// ```
/// let d = hep_io::DamagedBranch { branch: "x".into(), offset: 99, detail: "no baskets".into() };
/// assert_eq!(d.to_string(), "branch x is damaged at offset 99: no baskets");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DamagedBranch {
    /// The branch (its path, the column name).
    pub branch: String,
    /// File offset of the damaged structure.
    pub offset: u64,
    /// What is wrong.
    pub detail: String,
}

impl std::fmt::Display for DamagedBranch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "branch {} is damaged at offset {}: {}", self.branch, self.offset, self.detail)
    }
}

impl Branch {
    /// Number of baskets.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// println!("{}", f.tree("t")?.branches()[0].baskets());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn baskets(&self) -> usize {
        self.baskets.len()
    }

    /// File offsets of the baskets stored in their own keys, in entry order.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// println!("{:?}", f.tree("t")?.branches()[0].basket_offsets());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn basket_offsets(&self) -> Vec<u64> {
        self.baskets.seeks.clone()
    }

    /// File offset of the branch record (inside the tree's record).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// println!("{}", f.tree("t")?.branches()[0].offset());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Why the branch cannot be read although its type is one this reader decodes: `Some`
    /// when the file is damaged there ([`Unreadable::Damaged`]).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// for b in f.tree("t")?.branches() {
    ///     if let Some(d) = b.damage() { eprintln!("{d}"); }
    /// }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn damage(&self) -> Option<DamagedBranch> {
        match &self.column {
            Err(Unreadable::Damaged { offset, detail }) => {
                Some(DamagedBranch { branch: self.path.clone(), offset: *offset, detail: detail.clone() })
            }
            _ => None,
        }
    }

    /// The position of its first basket written to disk, and that basket's entry count.
    fn first_disk_basket(&self) -> Option<(u64, u64)> {
        let (first, end) = self.baskets.entries(0);
        self.baskets.seeks.first().map(|&seek| (seek, end - first))
    }

    /// The error for a branch that cannot be read, `None` if it can.
    fn unreadable(&self) -> Option<Error> {
        match &self.column {
            Ok(_) => None,
            Err(Unreadable::Unsupported(why)) => {
                Some(Error::UnsupportedBranch { branch: self.path.clone(), detail: why.clone() })
            }
            Err(Unreadable::Damaged { .. }) => self.damage().map(Error::DamagedBranch),
        }
    }

    /// File offset of basket `i` (its key, or its place inside the tree record), or of the
    /// branch record when no basket is involved.
    fn offset_of(&self, basket: Option<usize>) -> u64 {
        match basket.and_then(|i| self.baskets.source(i)) {
            Some(Source::Disk { seek, .. }) => seek,
            Some(Source::Embedded(b)) => b.offset,
            None => self.offset,
        }
    }

    fn context(&self, basket: Option<usize>) -> impl FnOnce(Error) -> Error + '_ {
        move |e| Error::InBranch {
            branch: self.path.clone(),
            basket,
            offset: self.offset_of(basket),
            source: Box::new(e),
        }
    }
}

/// A `TTree` of a file: entry count and branches (flattened, depth first).
///
/// ```no_run
/// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
/// let tree = f.tree("CollectionTree")?;
/// println!("{} entries, {} branches", tree.entries(), tree.branches().len());
/// print!("{}", tree.show());
/// # Ok::<(), hep_io::Error>(())
/// ```
///
/// A tree owns what it reads from (a clone of its [`RootFile`], whose clones share one open file)
/// and clones cheaply, so it and its [`Batches`] can be kept, returned and sent to other threads
/// without borrowing the file.
#[derive(Clone, Debug)]
pub struct Tree {
    file: RootFile,
    name: String,
    title: String,
    entries: u64,
    branches: Arc<[Branch]>,
    index: Arc<HashMap<String, usize>>,
}

/// Branches chosen for reading (see [`Tree::select`], [`Tree::select_supported`] and
/// [`Tree::select_readable`]).
///
/// ```no_run
/// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
/// let tree = f.tree("CollectionTree")?;
/// let sel = tree.select_readable(&["AnalysisJetsAuxDyn.*"])?;
/// println!(
///     "{} columns, {} unsupported skipped, {} damaged skipped",
///     sel.columns().len(),
///     sel.skipped().len(),
///     sel.damaged().len()
/// );
/// # Ok::<(), hep_io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Selection {
    columns: Vec<usize>,
    names: Vec<String>,
    skipped: Vec<String>,
    damaged: Vec<DamagedBranch>,
}

impl Selection {
    /// No column yet.
    pub(crate) fn empty() -> Selection {
        Selection { columns: Vec::new(), names: Vec::new(), skipped: Vec::new(), damaged: Vec::new() }
    }

    /// Select column `i`, named `name`.
    pub(crate) fn push(&mut self, i: usize, name: &str) {
        self.columns.push(i);
        self.names.push(name.to_string());
    }

    /// List `name` as skipped (unsupported).
    pub(crate) fn skip(&mut self, name: &str) {
        self.skipped.push(name.to_string());
    }

    /// List a damaged column.
    pub(crate) fn damage(&mut self, d: DamagedBranch) {
        self.damaged.push(d);
    }

    /// The indices of the selected columns in their tree or RNTuple.
    pub(crate) fn indices(&self) -> &[usize] {
        &self.columns
    }

    /// Names of the selected columns, in order.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let t = f.tree("t")?;
    /// for n in t.select(&["x"])?.columns() { println!("{n}"); }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.names
    }

    /// Branches that matched but were skipped as unsupported ([`Tree::select_supported`]).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let t = f.tree("t")?;
    /// assert!(t.select(&["x"])?.skipped().is_empty());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// Branches that matched but were skipped because the file is damaged there, with the
    /// damage ([`Tree::select_readable`]; the other selections fail on them instead).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let t = f.tree("t")?;
    /// for d in t.select_readable(&["*"])?.damaged() {
    ///     eprintln!("skipped {}: {}", d.branch, d.detail);
    /// }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn damaged(&self) -> &[DamagedBranch] {
        &self.damaged
    }
}

/// Whether `name` matches `pattern`, a branch name or a glob with `*` (any run of characters)
/// and `?` (any one character), as [`Tree::select`] matches them (bytes, case-sensitive).
///
/// ```
/// assert!(hep_io::glob_match("Analysis*.pt", "AnalysisJetsAuxDyn.pt"));
/// assert!(!hep_io::glob_match("Analysis*.pt", "AnalysisJetsAuxDyn.pt2"));
/// ```
pub fn glob_match(pattern: &str, name: &str) -> bool {
    glob(pattern.as_bytes(), name.as_bytes())
}

/// Whether `name` matches a glob with `*` (any run) and `?` (any one character).
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    // Iterative matching with one backtrack point: linear in practice, never recursive.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((sp, sn)) = star {
            p = sp + 1;
            n = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The element type of a plain leaf class.
/// The sizes of a leaf title's fixed dimensions (`x[2][3]` → `[2, 3]`); empty where a dimension
/// is not a number (a count leaf) or there is none.
fn fixed_dims(title: &str) -> Vec<usize> {
    let mut dims = Vec::new();
    let mut rest = title;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']') else { return vec![] };
        match rest[open + 1..open + close].trim().parse() {
            Ok(n) => dims.push(n),
            Err(_) => return vec![],
        }
        rest = &rest[open + close + 1..];
    }
    dims
}

fn leaf_primitive(leaf: &LeafRec) -> Option<Primitive> {
    let u = leaf.is_unsigned;
    Some(match leaf.class.as_str() {
        "TLeafO" => Primitive::Bool,
        "TLeafB" if u => Primitive::U8,
        "TLeafB" => Primitive::I8,
        "TLeafS" if u => Primitive::U16,
        "TLeafS" => Primitive::I16,
        "TLeafI" if u => Primitive::U32,
        "TLeafI" => Primitive::I32,
        "TLeafL" | "TLeafG" if u => Primitive::U64,
        "TLeafL" | "TLeafG" => Primitive::I64,
        // `Float16_t` and `Double32_t` leaves decode to `float` and `double`.
        "TLeafF" | "TLeafF16" => Primitive::F32,
        "TLeafD" | "TLeafD32" => Primitive::F64,
        _ => return None,
    })
}

/// An STL vector (of vectors) of `Float16_t` or `Double32_t`, by its C++ name
/// (`vector<Double32_t>`): whether its elements are `Float16_t`, and the name with them read as
/// the `float` or `double` they decode to.
fn lossy_vector(cpp: &str) -> Option<(bool, String)> {
    let float16 = cpp.contains("Float16_t");
    if !float16 && !cpp.contains("Double32_t") {
        return None;
    }
    let plain = cpp.replace("Float16_t", "float").replace("Double32_t", "double");
    ColumnType::from_cpp(&plain).filter(|t| t.layout != Layout::Scalar)?;
    Some((float16, plain))
}

/// The column type of a C++ type name, STL vectors of `Float16_t` / `Double32_t` read as the
/// `float` / `double` they decode to.
fn decoded_type(cpp: &str) -> Option<ColumnType> {
    lossy_vector(cpp).map_or_else(|| ColumnType::from_cpp(cpp), |(_, plain)| ColumnType::from_cpp(&plain))
}

/// Resolves branch types, reading the streamer info only when a branch needs it.
struct Resolver<'a> {
    file: &'a RootFile,
    infos: OnceCell<Result<Vec<StreamerInfo>, String>>,
}

/// A type this reader does not decode.
fn unsupported(why: String) -> std::result::Result<ColumnType, Unreadable> {
    Err(Unreadable::Unsupported(why))
}

impl Resolver<'_> {
    fn infos(&self) -> &Result<Vec<StreamerInfo>, String> {
        self.infos.get_or_init(|| self.file.streamer_infos().map_err(|e| e.to_string()))
    }

    /// Damage in the streamer info, which sits at the header's `fSeekInfo`.
    fn damaged(&self, detail: String) -> std::result::Result<ColumnType, Unreadable> {
        Err(Unreadable::Damaged { offset: self.file.header().seek_info, detail })
    }

    /// The streamer element of member `id` of the class a branch element stores, or why the
    /// file cannot say.
    fn element(&self, e: &ElementInfo, id: usize) -> std::result::Result<&StreamerElement, String> {
        let infos = self.infos().as_ref().map_err(|err| format!("the streamer info cannot be read: {err}"))?;
        let info = infos
            .iter()
            .find(|i| i.class_name == e.class_name && i.version == e.class_version)
            .ok_or_else(|| format!("the streamer info has no class {} version {}", e.class_name, e.class_version))?;
        info.elements.get(id).ok_or_else(|| {
            format!("the streamer info of {} has {} members, not member {id}", e.class_name, info.elements.len())
        })
    }

    /// The C++ type name, the column type (or why not) and, for `Float16_t` and `Double32_t`,
    /// the packing of a branch.
    fn resolve(
        &self,
        rec: &BranchRec,
        objs: &[Obj],
    ) -> (String, std::result::Result<ColumnType, Unreadable>, Option<Packing>) {
        let (name, column) = self.resolve_plain(rec, objs);
        let leaf = rec.leaves.first().and_then(|&i| match objs.get(i) {
            Some(Obj::Leaf(l)) => Some(l),
            _ => None,
        });
        // `Float16_t` / `Double32_t`: a leaf of their own classes, or a class member of their
        // streamer types (9, 19; 29, 39 for fixed arrays).
        let lossy = match (&rec.element, leaf) {
            (None, Some(l)) if rec.leaves.len() == 1 && l.class == "TLeafF16" => Some((true, Ok(l.title.as_str()))),
            (None, Some(l)) if rec.leaves.len() == 1 && l.class == "TLeafD32" => Some((false, Ok(l.title.as_str()))),
            (Some(e), _) if rec.branches.is_empty() && matches!(e.streamer_type, 9 | 19 | 29 | 39) => {
                let title = usize::try_from(e.id)
                    .map_err(|_| format!("member id {}", e.id))
                    .and_then(|id| self.element(e, id).map(|el| el.title.as_str()));
                Some((e.streamer_type % 20 == 19, title))
            }
            // STL vectors of them, a whole branch or a member: ROOT streams a collection's
            // elements without their member's streamer element, so a range in the member's
            // comment does not apply and each element has its type's default packing.
            (Some(e), _) if rec.branches.is_empty() => {
                let cpp = match usize::try_from(e.id) {
                    Err(_) => Some(e.class_name.as_str()),
                    Ok(id) if e.streamer_type == 300 => self.element(e, id).ok().map(|el| el.type_name.as_str()),
                    Ok(_) => None,
                };
                cpp.and_then(lossy_vector).map(|(float16, _)| (float16, Ok("")))
            }
            _ => None,
        };
        let Some((float16, title)) = lossy else { return (name, column, None) };
        let (cpp, p) = if float16 { ("Float16_t", Primitive::F32) } else { ("Double32_t", Primitive::F64) };
        let title = match title {
            Ok(t) => t,
            Err(why) => return (cpp.to_string(), self.damaged(why), None),
        };
        let packing = if float16 { Packing::float16(title) } else { Packing::double32(title) };
        match column {
            Ok(t) => {
                let t = ColumnType { primitive: p, layout: t.layout };
                (t.cpp_name().replacen(p.cpp_name(), cpp, 1), Ok(t), Some(packing))
            }
            Err(why) => (name.replacen(p.cpp_name(), cpp, 1), Err(why), None),
        }
    }

    /// The C++ type name and the column type (or why not) of a branch, `Float16_t` and
    /// `Double32_t` read as the `float` or `double` they decode to.
    fn resolve_plain(&self, rec: &BranchRec, objs: &[Obj]) -> (String, std::result::Result<ColumnType, Unreadable>) {
        let leaves: Vec<&LeafRec> = rec
            .leaves
            .iter()
            .filter_map(|&i| match objs.get(i) {
                Some(Obj::Leaf(l)) => Some(l),
                _ => None,
            })
            .collect();
        let Some(e) = &rec.element else {
            let [leaf] = leaves.as_slice() else {
                let n = leaves.len();
                return (format!("{n} leaves"), unsupported(format!("a leaf list of {n} leaves")));
            };
            let Some(p) = leaf_primitive(leaf) else {
                return (leaf.class.clone(), unsupported(format!("leaf class {}", leaf.class)));
            };
            let layout = match (leaf.count.is_some(), usize::try_from(leaf.len)) {
                (true, Ok(1)) => Layout::Jagged,
                (false, Ok(1)) => Layout::Scalar,
                (false, Ok(n)) if n > 1 => match fixed_dims(&leaf.title)[..] {
                    [rows, cols] if rows.checked_mul(cols) == Some(n) => Layout::Matrix { rows, cols },
                    ref dims @ [_, _, _, ..] => match Dims::new(dims).filter(|d| d.count() == n) {
                        Some(d) => Layout::NdArray(d),
                        None => {
                            let name = format!("{}{}", p.cpp_name(), leaf.title.trim_start_matches(|c| c != '['));
                            let detail = format!("leaf {} of {} declares {n} values per entry", rec.name, leaf.class);
                            return (name, Err(Unreadable::Damaged { offset: rec.offset, detail }));
                        }
                    },
                    _ => Layout::Array(n),
                },
                // `x[n][4]`: lists of fixed arrays (more dimensions are not read).
                (true, Ok(n)) if n > 1 && fixed_dims(leaf.title.split_once(']').map_or("", |(_, r)| r)) == [n] => {
                    Layout::JaggedArray(n)
                }
                (true, Ok(n)) if n > 1 => {
                    let name = format!("{}[][{n}]", p.cpp_name());
                    return (name.clone(), unsupported(format!("{name}: multidimensional variable-length array")));
                }
                _ => {
                    let name = p.cpp_name().to_string();
                    let detail = format!("leaf {} of {} declares {} values per entry", rec.name, leaf.class, leaf.len);
                    return (name, Err(Unreadable::Damaged { offset: rec.offset, detail }));
                }
            };
            let t = ColumnType { primitive: p, layout };
            return (t.cpp_name(), Ok(t));
        };
        if !rec.branches.is_empty() {
            return (e.class_name.clone(), unsupported("a split object: its members are the sub-branches".into()));
        }
        let Ok(id) = usize::try_from(e.id) else {
            return match decoded_type(&e.class_name) {
                Some(t) => (t.cpp_name(), Ok(t)),
                None => (e.class_name.clone(), unsupported(format!("{} is not a supported type", e.class_name))),
            };
        };
        let in_collection = e.btype == 31 || e.btype == 41;
        // `Double32_t` (9) and `Float16_t` (19) have the layouts of `double` and `float`.
        let code = match e.streamer_type {
            9 | 29 => e.streamer_type - 1,
            19 | 39 => e.streamer_type - 14,
            c => c,
        };
        if let Some(p) = Primitive::from_code(code) {
            let t = ColumnType { primitive: p, layout: if in_collection { Layout::Jagged } else { Layout::Scalar } };
            return (t.cpp_name(), Ok(t));
        }
        // Everything else is described by the member's streamer element. A sound file carries
        // the layout of every class its branches store: without it the file is damaged, and
        // a member this reader could decode (an STL container or a fixed array of numbers, by
        // the branch's own streamer type) is a damaged branch, never silently unsupported.
        let fixed = (21..=38).contains(&code).then(|| Primitive::from_code(code - 20)).flatten();
        // 41 … 58: a pointer to an array whose length is another member (`T* x; //[n]`).
        if let Some(p) = (41..=58).contains(&code).then(|| Primitive::from_code(code - 40)).flatten()
            && !in_collection
        {
            let t = ColumnType { primitive: p, layout: Layout::Pointer };
            return (t.cpp_name(), Ok(t));
        }
        let missing = |why: String| {
            if fixed.is_some() || e.streamer_type == 300 {
                (e.class_name.clone(), self.damaged(why))
            } else {
                let what = format!("member {id} of {} (streamer type {})", e.class_name, e.streamer_type);
                (e.class_name.clone(), unsupported(format!("{what}; besides, {why}")))
            }
        };
        let el = match self.element(e, id) {
            Ok(el) => el,
            Err(why) => return missing(why),
        };
        match (fixed, decoded_type(&el.type_name), usize::try_from(el.array_length)) {
            (Some(p), _, Ok(n)) if n > 0 => {
                // The dimensions, as the branch's name spells them (`fQvector[9][10][2]`).
                let dims = fixed_dims(&rec.name);
                let nd = Dims::new(&dims).filter(|d| dims.len() >= 3 && d.count() == n);
                let layout = match (&dims[..], in_collection, nd) {
                    (&[m], false, _) if m == n => Layout::Array(n),
                    (&[rows, cols], false, _) if rows.checked_mul(cols) == Some(n) => Layout::Matrix { rows, cols },
                    (_, false, Some(d)) => Layout::NdArray(d),
                    (&[m], true, _) if m == n => Layout::JaggedArray(n),
                    _ => {
                        let name = format!("{}{}", p.cpp_name(), rec.name.trim_start_matches(|c| c != '['));
                        let why = if in_collection {
                            "an array in a collection".to_string()
                        } else {
                            format!("its name's dimensions do not make its {n} values")
                        };
                        return (name.clone(), unsupported(format!("{name}: {why}")));
                    }
                };
                let t = ColumnType { primitive: p, layout };
                (t.cpp_name(), Ok(t))
            }
            (None, Some(t), _) if e.streamer_type == 300 && !in_collection && t.layout != Layout::Scalar => {
                (t.cpp_name(), Ok(t))
            }
            // A vector member of the objects of a split collection: a list of vectors per entry.
            (None, Some(t), _) if e.streamer_type == 300 && in_collection && t.layout == Layout::Vector => {
                let t = ColumnType { primitive: t.primitive, layout: Layout::JaggedVector };
                (t.cpp_name(), Ok(t))
            }
            _ => (el.type_name.clone(), unsupported(format!("{} (streamer type {})", el.type_name, e.streamer_type))),
        }
    }
}

/// The baskets of a branch, checked: they start at entry 0, follow each other, and end at the
/// branch's entry count.
fn basket_refs(rec: &BranchRec, objs: &[Obj]) -> Result<Baskets> {
    let bad = |detail: String| Error::Malformed { what: "branch", offset: rec.offset, detail };
    let overflow = |detail: String| Error::Overflow { what: "branch", offset: rec.offset, detail };
    let entries = u64::try_from(rec.entries).map_err(|_| bad(format!("{} entries", rec.entries)))?;
    let mut out = Baskets::default();
    let mut next = 0u64;
    // Baskets written to disk come first; those past the first without a position (seek 0) were
    // never written there: the branch keeps them, if at all, among its embedded baskets (as
    // ROOT does for a tree saved while it was filled in memory). Were a damaged position to
    // end the list early, the entry count check below refuses the branch.
    let on_disk = (0..rec.write_basket).take_while(|&i| rec.basket_seek.get(i).is_some_and(|&s| s != 0)).count();
    let on_disk = if rec.embedded.is_empty() { rec.write_basket } else { on_disk };
    // Sized by the basket arrays already read (not by the count the record claims): no
    // doubling of millions of entries as they are pushed.
    let known = on_disk.min(rec.basket_seek.len());
    out.ends.reserve_exact(known.saturating_add(rec.embedded.len().min(objs.len())));
    out.seeks.reserve_exact(known);
    out.bytes.reserve_exact(known);
    for i in 0..on_disk {
        let (Some(&entry), Some(&seek), Some(&bytes)) =
            (rec.basket_entry.get(i), rec.basket_seek.get(i), rec.basket_bytes.get(i))
        else {
            return Err(bad(format!("basket {i} is outside the basket arrays")));
        };
        let follows = u64::try_from(entry).ok().filter(|&f| f == next);
        let end = match rec.basket_entry.get(i + 1) {
            Some(&e) if i + 1 < on_disk || !rec.embedded.is_empty() => u64::try_from(e).ok(),
            _ => Some(entries),
        };
        let (Some(_), Some(end)) = (follows, end.filter(|&e| e >= next && e <= entries)) else {
            return Err(bad(format!("basket {i} entry range does not follow entry {next}")));
        };
        let (Some(seek_at), Some(nbytes)) =
            (u64::try_from(seek).ok().filter(|&s| s > 0), u32::try_from(bytes).ok().filter(|&b| b > 0))
        else {
            return Err(bad(format!("basket {i} is at {seek} with {bytes} bytes")));
        };
        out.ends.push(end);
        out.seeks.push(seek_at);
        out.bytes.push(nbytes);
        next = end;
    }
    for &i in &rec.embedded {
        if let Some(Obj::Basket(b)) = objs.get(i)
            && b.entries > 0
        {
            let end = u64::try_from(b.entries)
                .ok()
                .and_then(|n| next.checked_add(n))
                .ok_or_else(|| overflow(format!("entry {next} plus {} entries of an embedded basket", b.entries)))?;
            let offsets = match &b.offsets {
                None => None,
                Some(raw) => {
                    let v = rising_offsets(raw, 0, b.data.len())
                        .map_err(|_| bad("an embedded basket has entry offsets out of order".into()))?;
                    Some(v)
                }
            };
            let basket = Basket { data: b.data.clone(), border: b.data.len(), offsets, offset: b.offset };
            out.ends.push(end);
            out.embedded.push(Arc::new(basket));
            next = end;
        }
    }
    // Branches that only group others (split objects) have no baskets at all.
    if next != entries && !out.ends.is_empty() {
        return Err(bad(format!("baskets hold {next} entries, the branch {entries}")));
    }
    Ok(out)
}

impl RootFile {
    /// The class layouts the file was written with (its `TStreamerInfo` records).
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
    /// for info in f.streamer_infos()? {
    ///     println!("{} v{}: {} members", info.class_name, info.version, info.elements.len());
    /// }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn streamer_infos(&self) -> Result<Vec<StreamerInfo>> {
        let key = self.streamer_info_key()?;
        let data = self.read_object(&key)?;
        let mut r =
            ObjReader::new(&data, key.seek_key + u64::from(key.key_len), u32::from(key.key_len), "streamer info");
        let items = r.list()?;
        let mut out = Vec::new();
        for i in items.into_iter().flatten() {
            if let Obj::Info(info) = &r.objs[i] {
                out.push(info.clone());
            }
        }
        Ok(out)
    }

    /// Paths of the `TTree`s in the file (subdirectories included).
    ///
    /// ```no_run
    /// assert_eq!(hep_io::RootFile::open("PHYSLITE_example.root")?.trees()?, ["CollectionTree"]);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn trees(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> =
            self.walk()?.into_iter().filter(|(_, k)| k.class_name == "TTree").map(|(p, _)| p).collect();
        out.dedup();
        Ok(out)
    }

    /// Open the tree at `path` (a name in the top directory, or `dir/name`; the highest cycle).
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
    /// let tree = f.tree("CollectionTree")?;
    /// assert_eq!(tree.entries(), 100);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn tree(&self, path: &str) -> Result<Tree> {
        let key = self.latest_key(path)?;
        if key.class_name != "TTree" {
            return Err(Error::Unsupported {
                what: "tree",
                offset: key.seek_key,
                detail: format!("{path} is a {}, not a TTree", key.class_name),
            });
        }
        let data = self.read_object(&key)?;
        let mut r = ObjReader::new(&data, key.seek_key + u64::from(key.key_len), u32::from(key.key_len), "TTree");
        let (name, title, entries, top) = r.tree()?;
        // The parsed objects own what they hold: the raw bytes (for a big tree, tens of MB of
        // basket arrays) go before the basket index is built from them.
        let mut objs = std::mem::take(&mut r.objs);
        drop(r);
        drop(data);
        let entries = u64::try_from(entries).map_err(|_| Error::Malformed {
            what: "TTree",
            offset: key.seek_key,
            detail: format!("{entries} entries"),
        })?;
        let resolver = Resolver { file: self, infos: OnceCell::new() };
        let mut branches = Vec::new();
        // The leaves of each branch, and the count leaf of its first.
        let mut leaves: Vec<(Vec<usize>, Option<usize>)> = Vec::new();
        let mut stack: Vec<(usize, usize, String)> = top.into_iter().rev().map(|i| (i, 0, String::new())).collect();
        let mut taken: HashMap<String, usize> = HashMap::new();
        while let Some((i, depth, parent)) = stack.pop() {
            let Some(Obj::Branch(rec)) = objs.get(i) else { continue };
            let (type_name, mut column, packing) = resolver.resolve(rec, &objs);
            // A damaged basket list makes the branch unreadable, not the whole tree.
            let baskets = basket_refs(rec, &objs).unwrap_or_else(|e| {
                if column.is_ok() {
                    column = Err(Unreadable::Damaged { offset: rec.offset, detail: e.to_string() });
                }
                Baskets::default()
            });
            // A branch filled apart from its tree (fewer entries than the tree) cannot be a
            // column of the tree's entries; its baskets are sound, so this is not damage.
            let own = u64::try_from(rec.entries).unwrap_or(0);
            if column.is_ok() && own < entries {
                column = Err(Unreadable::Unsupported(format!(
                    "it holds {own} of the tree's {entries} entries (filled apart from the tree), and a column has one \
                     value per entry"
                )));
            }
            let mut path = if parent.is_empty() { rec.name.clone() } else { format!("{parent}/{}", rec.name) };
            // Paths name columns, so they must be unique; a tree may hold two branches of one
            // name (Delphes writes `Particle` twice): the n-th gets `#n` after its name, and
            // its sub-branches live under that path.
            let seen = taken.entry(path.clone()).or_insert(0usize);
            *seen += 1;
            let mut n = *seen;
            while n > 1 {
                let unique = format!("{path}#{n}");
                if !taken.contains_key(&unique) {
                    taken.insert(unique.clone(), 1);
                    path = unique;
                    break;
                }
                n += 1;
            }
            stack.extend(rec.branches.iter().rev().map(|&c| (c, depth + 1, path.clone())));
            let count_leaf = rec.leaves.first().and_then(|&l| match objs.get(l) {
                Some(Obj::Leaf(leaf)) => leaf.count,
                _ => None,
            });
            leaves.push((rec.leaves.clone(), count_leaf));
            branches.push(Branch {
                path,
                name: rec.name.clone(),
                title: rec.title.clone(),
                class: rec.class.clone(),
                type_name,
                column,
                packing,
                entries: u64::try_from(rec.entries).unwrap_or(0),
                compressed_bytes: u64::try_from(rec.zip_bytes).unwrap_or(0),
                uncompressed_bytes: u64::try_from(rec.tot_bytes).unwrap_or(0),
                depth,
                offset: rec.offset,
                baskets,
                tobject_bits: rec.element.as_ref().is_some_and(|e| e.streamer_type == 15),
                count: None,
            });
            // Its basket arrays are in the index now: the record's copies go, so a tree of
            // millions of baskets does not hold both at once.
            if let Some(Obj::Branch(rec)) = objs.get_mut(i) {
                (rec.basket_entry, rec.basket_seek, rec.basket_bytes) = Default::default();
            }
        }
        let owner: HashMap<usize, usize> =
            leaves.iter().enumerate().flat_map(|(b, (ls, _))| ls.iter().map(move |&l| (l, b))).collect();
        for (b, (_, count_leaf)) in leaves.iter().enumerate() {
            branches[b].count = count_leaf.and_then(|l| owner.get(&l).copied()).filter(|&c| c != b);
        }
        // Paths first, so a path always finds its own branch; then names not already taken.
        let mut index = HashMap::with_capacity(2 * branches.len());
        for (i, b) in branches.iter().enumerate() {
            index.insert(b.path.clone(), i);
        }
        for (i, b) in branches.iter().enumerate() {
            index.entry(b.name.clone()).or_insert(i);
        }
        Ok(Tree { file: self.clone(), name, title, entries, branches: branches.into(), index: Arc::new(index) })
    }
}

impl Tree {
    /// Tree name.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// assert_eq!(f.tree("t")?.name(), "t");
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Tree title.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// println!("{}", f.tree("t")?.title());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn title(&self) -> &str {
        &self.title
    }

    /// How a branch's data are stored, as its first basket written to disk says (one key
    /// header and block header are read); `None` where the branch has no basket on disk.
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
    /// let t = f.tree("CollectionTree")?;
    /// if let Some(s) = t.storage("AnalysisElectronsAuxDyn.pt")? {
    ///     println!("{:?}, checked: {}", s.codec, s.checked);
    /// }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn storage(&self, path: &str) -> Result<Option<BasketStorage>> {
        let Some((seek, _)) = self.branch(path)?.first_disk_basket() else { return Ok(None) };
        let (key, _) = self.file.basket_head(seek)?;
        let codec = self.file.codec_of(&key)?;
        let checked = match codec {
            None | Some(crate::Codec::OldRoot) => false,
            Some(crate::Codec::Zlib | crate::Codec::Lz4 | crate::Codec::Lzma) => true,
            // A Zstandard frame checks its content only where its writer set the flag: bit 2
            // of the frame header descriptor, after ROOT's 9-byte block header and the magic.
            Some(crate::Codec::Zstd) => {
                let at = seek.saturating_add(u64::from(key.key_len)).saturating_add(9 + 4);
                self.file.read_raw("Zstandard frame header", at, 1)?.first().is_some_and(|d| d & 0x04 != 0)
            }
        };
        Ok(Some(BasketStorage { codec, checked }))
    }

    /// Number of entries (events).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// println!("{}", f.tree("t")?.entries());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Every branch, depth first.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// for b in f.tree("t")?.branches() { println!("{} {}", b.name, b.type_name); }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn branches(&self) -> &[Branch] {
        &self.branches
    }

    /// The branch with this path or name.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// assert!(f.tree("t")?.branch("no such branch").is_err());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn branch(&self, name: &str) -> Result<&Branch> {
        self.index.get(name).map(|&i| &self.branches[i]).ok_or_else(|| Error::NoSuchBranch(name.to_string()))
    }

    /// A table of the branches: name, C++ type, Arrow type (or why unsupported or damaged),
    /// sizes.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// print!("{}", f.tree("t")?.show());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn show(&self) -> String {
        let w = self.branches.iter().map(|b| b.path.len()).max().unwrap_or(4).clamp(4, 60);
        let t = self.branches.iter().map(|b| b.type_name.len()).max().unwrap_or(4).clamp(4, 40);
        let mut s = format!("{} ({} entries, {} branches)\n", self.name, self.entries, self.branches.len());
        s += &format!("{:w$}  {:t$}  {:>10}  {:>10}  arrow\n", "name", "type", "zipped", "bytes");
        for b in self.branches.iter() {
            let arrow = match &b.column {
                Ok(c) => format!("{}", c.data_type()),
                Err(why) => why.to_string(),
            };
            s += &format!(
                "{:w$}  {:t$}  {:>10}  {:>10}  {arrow}\n",
                b.path, b.type_name, b.compressed_bytes, b.uncompressed_bytes
            );
        }
        s
    }

    fn matching(&self, patterns: &[impl AsRef<str>]) -> Result<Vec<usize>> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.branches.len()];
        for p in patterns {
            let p = p.as_ref();
            let found: Vec<usize> = if p.contains(['*', '?']) {
                let matches =
                    |b: &Branch| glob(p.as_bytes(), b.path.as_bytes()) || glob(p.as_bytes(), b.name.as_bytes());
                (0..self.branches.len()).filter(|&i| matches(&self.branches[i])).collect()
            } else {
                self.index.get(p).copied().into_iter().collect()
            };
            if found.is_empty() {
                return Err(Error::NoSuchBranch(p.to_string()));
            }
            for i in found {
                if !std::mem::replace(&mut seen[i], true) {
                    out.push(i);
                }
            }
        }
        Ok(out)
    }

    /// Every branch whose type this reader decodes but that cannot be read because the file
    /// is damaged, in branch order (empty for a sound file).
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
    /// assert!(f.tree("CollectionTree")?.damaged().is_empty());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn damaged(&self) -> Vec<DamagedBranch> {
        self.branches.iter().filter_map(Branch::damage).collect()
    }

    /// Select branches by exact name or glob (`*`, `?`), in pattern order. A pattern that
    /// matches nothing, or a match that cannot be read (unsupported type:
    /// [`Error::UnsupportedBranch`]; damaged: [`Error::DamagedBranch`]), is an error.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// let t = f.tree("CollectionTree")?;
    /// let sel = t.select(&["AnalysisElectronsAuxDyn.pt", "AnalysisElectronsAuxDyn.eta"])?;
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn select(&self, patterns: &[impl AsRef<str>]) -> Result<Selection> {
        let matching = self.matching(patterns)?;
        match matching.iter().find_map(|&i| self.branches[i].unreadable()) {
            Some(e) => Err(e),
            None => Ok(self.selection(matching)),
        }
    }

    /// Like [`select`](Self::select), but branches of unsupported types are skipped and listed
    /// in [`Selection::skipped`]. A matching branch that cannot be read because the file is
    /// damaged is still an error ([`Error::DamagedBranch`], naming the branch and the file
    /// offset): nothing readable in principle is dropped silently. Use
    /// [`select_readable`](Self::select_readable) to skip damaged branches too.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// let all = f.tree("CollectionTree")?.select_supported(&["*"])?;
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn select_supported(&self, patterns: &[impl AsRef<str>]) -> Result<Selection> {
        let sel = self.selection(self.matching(patterns)?);
        match sel.damaged.first() {
            Some(d) => Err(Error::DamagedBranch(d.clone())),
            None => Ok(sel),
        }
    }

    /// Like [`select_supported`](Self::select_supported), but branches the file's damage makes
    /// unreadable are skipped as well, and listed with the damage in [`Selection::damaged`]
    /// (for the caller to report): the choice to read a damaged file in part.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// let sel = f.tree("CollectionTree")?.select_readable(&["*"])?;
    /// for d in sel.damaged() {
    ///     eprintln!("skipped: {d}");
    /// }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn select_readable(&self, patterns: &[impl AsRef<str>]) -> Result<Selection> {
        Ok(self.selection(self.matching(patterns)?))
    }

    /// The readable branches of `matching`, with the unsupported and damaged ones listed apart.
    fn selection(&self, matching: Vec<usize>) -> Selection {
        let mut sel = Selection::empty();
        for i in matching {
            let b = &self.branches[i];
            match &b.column {
                Ok(ty) => match self.empty_objects(b, ty) {
                    Some(d) => sel.damaged.push(d),
                    None => {
                        sel.columns.push(i);
                        sel.names.push(b.path.clone());
                    }
                },
                Err(Unreadable::Unsupported(_)) => sel.skipped.push(b.path.clone()),
                Err(Unreadable::Damaged { .. }) => sel.damaged.extend(b.damage()),
            }
        }
        sel
    }

    /// A branch of streamed objects (`std::vector`s and the like: every entry starts with a
    /// 6-byte byte count and version) whose first basket on disk holds fewer data bytes than
    /// that for its entries: its writer stored no data (ROOT does so for a `std::bitset` member
    /// it has no collection proxy for; no reader can read it), listed as damaged. One key
    /// header is read; a basket whose header cannot be read is left to the read to report.
    fn empty_objects(&self, b: &Branch, ty: &ColumnType) -> Option<DamagedBranch> {
        if !matches!(
            ty.layout,
            Layout::Vector | Layout::VectorVector | Layout::VectorVectorVector | Layout::JaggedVector
        ) {
            return None;
        }
        let (seek, entries) = b.first_disk_basket()?;
        let (_, data) = self.file.basket_head(seek).ok()?;
        (entries > 0 && data < entries.saturating_mul(6)).then(|| DamagedBranch {
            branch: b.path.clone(),
            offset: seek,
            detail: format!(
                "its first basket holds {entries} entries of streamed objects in {data} bytes of data, \
                 less than the 6-byte header each needs: its writer stored no data for them"
            ),
        })
    }

    /// The Arrow schema of a selection: one column per branch, named as the branch.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let t = f.tree("t")?;
    /// let schema = t.schema(&t.select(&["x"])?);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn schema(&self, sel: &Selection) -> SchemaRef {
        let fields: Vec<Field> = sel
            .columns
            .iter()
            .filter_map(|&i| {
                let b = &self.branches[i];
                let field = Field::new(&b.path, b.column.as_ref().ok()?.data_type(), false);
                Some(match b.packing.map(Packing::scheme) {
                    Some(Ok(scheme)) => with_scheme(field, &scheme),
                    _ => field,
                })
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// Read entries `range` of the selected branches into one `RecordBatch`.
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
    /// let t = f.tree("CollectionTree")?;
    /// let batch = t.read(&t.select(&["AnalysisJetsAuxDyn.pt"])?, 0..10)?;
    /// assert_eq!(batch.num_rows(), 10);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn read(&self, sel: &Selection, range: Range<u64>) -> Result<RecordBatch> {
        self.batch(self.schema(sel), &mut self.readers(sel), range)
    }

    /// Stream the selected branches in `RecordBatch`es of bounded size.
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
    /// let t = f.tree("CollectionTree")?;
    /// let sel = t.select(&["AnalysisElectronsAuxDyn.*t*"])?;
    /// for batch in t.batches(&sel).entries(0..100).entries_per_batch(25) {
    ///     assert_eq!(batch?.num_rows(), 25);
    /// }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn batches(&self, sel: &Selection) -> Batches {
        let source = Reading::Tree { tree: self.clone(), readers: self.readers(sel) };
        Batches::new(source, self.schema(sel), self.entries)
    }

    fn readers(&self, sel: &Selection) -> Vec<ColumnReader> {
        sel.columns.iter().map(|&branch| ColumnReader { branch, cached: None }).collect()
    }

    fn batch(&self, schema: SchemaRef, readers: &mut [ColumnReader], range: Range<u64>) -> Result<RecordBatch> {
        if range.start > range.end || range.end > self.entries {
            return Err(Error::BadRange { start: range.start, end: range.end, entries: self.entries });
        }
        let columns = in_parallel(readers, |r| r.read(self, range.clone()))?;
        let options = RecordBatchOptions::new().with_row_count(Some(to_usize(range.end - range.start, 0)?));
        RecordBatch::try_new_with_options(schema, columns, &options).map_err(|e| Error::Malformed {
            what: "record batch",
            offset: 0,
            detail: e.to_string(),
        })
    }
}

/// `f` of every item, on rayon's current thread pool (each column of a batch is read, inflated
/// and decoded on its own), in item order; the first error in item order, whatever finished
/// first, so that results and errors do not depend on the thread count.
pub(crate) fn in_parallel<T: Send, R: Send>(
    items: &mut [T],
    f: impl Fn(&mut T) -> Result<R> + Sync + Send,
) -> Result<Vec<R>> {
    use rayon::prelude::*;
    let out: Vec<Result<R>> = items.par_iter_mut().with_max_len(1).map(f).collect();
    out.into_iter().collect()
}

/// An entry count as a `usize` (an error where it does not fit, on 32-bit targets).
fn to_usize(n: u64, offset: u64) -> Result<usize> {
    usize::try_from(n).map_err(|_| Error::Overflow {
        what: "entry count",
        offset,
        detail: format!("{n} entries do not fit in this platform's memory"),
    })
}

/// Reads one branch (its index in the tree), keeping its current basket for the next range.
#[derive(Debug)]
struct ColumnReader {
    branch: usize,
    cached: Option<(usize, Arc<Basket>)>,
}

impl ColumnReader {
    fn basket(&mut self, tree: &Tree, i: usize) -> Result<Arc<Basket>> {
        if let Some((j, b)) = &self.cached
            && *j == i
        {
            return Ok(b.clone());
        }
        let branch = &tree.branches[self.branch];
        let Some(source) = branch.baskets.source(i) else {
            return Err(Error::Malformed {
                what: "branch",
                offset: branch.offset,
                detail: format!("no basket {i} of {}", branch.baskets.len()),
            });
        };
        let b = match source {
            Source::Embedded(b) => b,
            Source::Disk { seek, bytes } => {
                let (first, end) = branch.baskets.entries(i);
                Arc::new(tree.file.read_basket(seek, bytes, to_usize(end - first, seek)?)?)
            }
        };
        self.cached = Some((i, b.clone()));
        Ok(b)
    }

    fn read(&mut self, tree: &Tree, range: Range<u64>) -> Result<ArrayRef> {
        let branch = &tree.branches[self.branch];
        let Ok(ty) = branch.column else {
            return Err(branch.unreadable().unwrap_or_else(|| Error::NoSuchBranch(branch.path.clone())));
        };
        if range.end > branch.entries {
            return Err(branch.context(None)(Error::BadRange {
                start: range.start,
                end: range.end,
                entries: branch.entries,
            }));
        }
        let mut out = ColumnBuilder::new(ty).packed(branch.packing).tobject_bits(branch.tobject_bits);
        let first = branch.baskets.ends.partition_point(|&end| end <= range.start);
        for i in first..branch.baskets.len() {
            let (b0, b1) = branch.baskets.entries(i);
            if b0 >= range.end {
                break;
            }
            let basket = self.basket(tree, i).map_err(branch.context(Some(i)))?;
            let at = branch.offset_of(Some(i));
            let a = to_usize(range.start.max(b0) - b0, at).map_err(branch.context(Some(i)))?;
            let z = to_usize(range.end.min(b1) - b0, at).map_err(branch.context(Some(i)))?;
            match (basket.offsets.is_none(), ty.layout, branch.count) {
                // A variable-length basket without entry offsets: its count leaf sizes it.
                (true, Layout::Jagged, Some(c)) => {
                    let counts = ColumnReader { branch: c, cached: None }
                        .read(tree, b0..b1)
                        .and_then(|a| counts_of(&a, tree.branches[c].offset))
                        .map_err(branch.context(Some(i)))?;
                    out.append_counted(&basket, &counts, a, z).map_err(branch.context(Some(i)))?;
                }
                _ => out.append(&basket, a, z).map_err(branch.context(Some(i)))?,
            }
        }
        if u64::try_from(out.entries()).ok() != Some(range.end - range.start) {
            let detail = format!("its baskets hold {} of entries {}..{}", out.entries(), range.start, range.end);
            return Err(branch.context(None)(Error::Malformed { what: "branch", offset: branch.offset, detail }));
        }
        out.finish().map_err(branch.context(None))
    }
}

/// A count leaf's values as element counts (non-negative integers).
fn counts_of(array: &ArrayRef, offset: u64) -> Result<Vec<u64>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
    };
    use arrow_schema::DataType;
    fn signed<T: Copy + Into<i64>>(v: &[T], offset: u64) -> Result<Vec<u64>> {
        v.iter()
            .map(|&x| {
                let x: i64 = x.into();
                u64::try_from(x).map_err(|_| Error::Malformed {
                    what: "count leaf",
                    offset,
                    detail: format!("a count of {x}"),
                })
            })
            .collect()
    }
    let a = array.as_ref();
    Ok(match a.data_type() {
        DataType::Int8 => signed(a.as_primitive::<Int8Type>().values(), offset)?,
        DataType::Int16 => signed(a.as_primitive::<Int16Type>().values(), offset)?,
        DataType::Int32 => signed(a.as_primitive::<Int32Type>().values(), offset)?,
        DataType::Int64 => signed(a.as_primitive::<Int64Type>().values(), offset)?,
        DataType::UInt8 => a.as_primitive::<UInt8Type>().values().iter().map(|&x| u64::from(x)).collect(),
        DataType::UInt16 => a.as_primitive::<UInt16Type>().values().iter().map(|&x| u64::from(x)).collect(),
        DataType::UInt32 => a.as_primitive::<UInt32Type>().values().iter().map(|&x| u64::from(x)).collect(),
        DataType::UInt64 => a.as_primitive::<UInt64Type>().values().to_vec(),
        other => {
            return Err(Error::Malformed {
                what: "count leaf",
                offset,
                detail: format!("a count leaf of type {other}"),
            });
        }
    })
}

/// What [`Batches`] read from.
#[derive(Debug)]
enum Reading {
    Tree { tree: Tree, readers: Vec<ColumnReader> },
    RNTuple { ntuple: crate::RNTuple, sel: Selection },
}

/// An iterator of `RecordBatch`es over an entry range of a TTree ([`Tree::batches`]) or an
/// RNTuple ([`RNTuple::batches`](crate::RNTuple::batches)): one type for both formats. Memory
/// stays bounded: one batch, plus the baskets or pages in use. It owns what it reads from (it
/// borrows nothing) and is `Send`; [`Batches::into_reader`] makes it an Arrow
/// [`RecordBatchReader`](arrow_array::RecordBatchReader).
#[derive(Debug)]
pub struct Batches {
    source: Reading,
    schema: SchemaRef,
    /// Entries of the tree or RNTuple.
    entries: u64,
    next: u64,
    end: u64,
    step: Option<u64>,
    target_bytes: u64,
}

impl Batches {
    fn new(source: Reading, schema: SchemaRef, entries: u64) -> Batches {
        Batches { source, schema, entries, next: 0, end: entries, step: None, target_bytes: 64 << 20 }
    }

    /// The batches of selection `sel` of an RNTuple.
    pub(crate) fn of_rntuple(ntuple: crate::RNTuple, sel: Selection) -> Batches {
        let (schema, entries) = (ntuple.schema(&sel), ntuple.entries());
        Batches::new(Reading::RNTuple { ntuple, sel }, schema, entries)
    }

    /// Read only entries `range` (clamped to the tree or RNTuple).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let t = f.tree("t")?;
    /// let n: usize = t.batches(&t.select(&["x"])?).entries(10..20).map(|b| b.unwrap().num_rows()).sum();
    /// assert_eq!(n, 10);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn entries(mut self, range: Range<u64>) -> Self {
        self.end = range.end.min(self.entries);
        self.next = range.start.min(self.end);
        self
    }

    /// Entries per batch (at least 1); overrides [`target_bytes`](Self::target_bytes).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let t = f.tree("t")?;
    /// let batches = t.batches(&t.select(&["x"])?).entries_per_batch(1000);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn entries_per_batch(mut self, n: u64) -> Self {
        self.step = Some(n.max(1));
        self
    }

    /// Aim for batches of about this many decompressed bytes (default 64 MiB), estimated from
    /// the branches' average entry size (a TTree's; an RNTuple's batches end at its cluster
    /// boundaries, at most 10 000 entries each, unless [`entries_per_batch`](Self::entries_per_batch)
    /// is given).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let t = f.tree("t")?;
    /// let batches = t.batches(&t.select(&["x"])?).target_bytes(8 << 20);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn target_bytes(mut self, bytes: u64) -> Self {
        self.target_bytes = bytes.max(1);
        self
    }

    /// The schema of every batch.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let t = f.tree("t")?;
    /// let sel = t.select(&["x"])?;
    /// assert_eq!(t.batches(&sel).schema(), t.schema(&sel));
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// These batches as an Arrow [`RecordBatchReader`](arrow_array::RecordBatchReader), for any
    /// consumer of Arrow streams ([`write_parquet`](crate::write_parquet), DataFusion, pyarrow…).
    /// Errors become [`ArrowError::ExternalError`](arrow_schema::ArrowError::ExternalError)s
    /// holding this crate's [`Error`], which the writers of this crate unwrap again.
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
    /// let t = f.tree("CollectionTree")?;
    /// let jets = t.batches(&t.select(&["AnalysisJetsAuxDyn.*"])?).into_reader();
    /// hep_io::write_parquet("jets.parquet", jets, &Default::default())?;
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn into_reader(self) -> BatchReader {
        BatchReader(self)
    }

    /// Where the next batch ends. With no columns a batch costs nothing, so one batch holds
    /// every row (a damaged entry count cannot make the iteration endless).
    fn stop(&self) -> u64 {
        let columns = match &self.source {
            Reading::Tree { readers, .. } => readers.len(),
            Reading::RNTuple { sel, .. } => sel.columns.len(),
        };
        let stop = match (&self.source, self.step) {
            _ if columns == 0 => u64::MAX,
            (_, Some(n)) => self.next.saturating_add(n),
            (Reading::Tree { tree, readers }, None) => {
                let per_entry: f64 = readers
                    .iter()
                    .map(|r| &tree.branches[r.branch])
                    .map(|b| b.uncompressed_bytes as f64 / b.entries.max(1) as f64)
                    .sum();
                self.next.saturating_add(((self.target_bytes as f64 / per_entry.max(1.0)) as u64).max(1))
            }
            (Reading::RNTuple { ntuple, .. }, None) => {
                ntuple.cluster_end(self.next).min(self.next.saturating_add(10_000))
            }
        };
        stop.min(self.end)
    }
}

impl Iterator for Batches {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let stop = self.stop();
        let range = self.next..stop;
        self.next = stop;
        let out = match &mut self.source {
            Reading::Tree { tree, readers } => tree.batch(self.schema.clone(), readers, range),
            Reading::RNTuple { ntuple, sel } => ntuple.read(sel, range),
        };
        if out.is_err() {
            self.next = self.end; // stop after an error
        }
        Some(out)
    }
}

/// [`Batches`] as an Arrow [`RecordBatchReader`](arrow_array::RecordBatchReader) (see
/// [`Batches::into_reader`]); `Send` and owning, like the batches.
#[derive(Debug)]
pub struct BatchReader(Batches);

impl Iterator for BatchReader {
    type Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|b| b.map_err(Into::into))
    }
}

impl arrow_array::RecordBatchReader for BatchReader {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_stars_and_question_marks() {
        let m = |p: &str, n: &str| glob(p.as_bytes(), n.as_bytes());
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("Analysis*.pt", "AnalysisJetsAuxDyn.pt"));
        assert!(!m("Analysis*.pt", "AnalysisJetsAuxDyn.pt2"));
        assert!(m("a*b*c", "aXXbYYbZc"));
        assert!(!m("a*b*c", "aXXbYYbZ"));
        assert!(m("p?", "pt"));
        assert!(!m("p?", "p"));
        assert!(m("**x", "x"));
        assert!(!m("x", "xx"));
        assert!(m("a*a*a*a*b", &("a".repeat(30) + "b")));
        assert!(!m("a*a*a*a*b", &"a".repeat(30)));
    }
}
