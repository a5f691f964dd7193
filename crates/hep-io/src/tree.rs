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
use crate::object::{BranchRec, LeafRec, Obj, ObjReader, StreamerInfo};
use crate::types::{ColumnType, Layout, Primitive};

/// Where a basket's bytes are.
#[derive(Clone, Debug)]
enum Source {
    Disk { seek: u64, bytes: u32 },
    Embedded(Arc<Basket>),
}

/// One basket of a branch: entries `first..end`.
#[derive(Clone, Debug)]
struct BasketRef {
    first: u64,
    end: u64,
    source: Source,
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
    /// column name. Equal to `name` for top-level branches.
    pub path: String,
    /// Branch title.
    pub title: String,
    /// `TBranch` or `TBranchElement`.
    pub class: String,
    /// C++ type, as `uproot` spells it.
    pub type_name: String,
    /// The column type, or why this reader does not decode the branch.
    pub column: std::result::Result<ColumnType, String>,
    /// Entries.
    pub entries: u64,
    /// Bytes on disk (compressed, basket headers included).
    pub compressed_bytes: u64,
    /// Bytes once decompressed.
    pub uncompressed_bytes: u64,
    /// Nesting depth (0 for top-level branches).
    pub depth: usize,
    baskets: Vec<BasketRef>,
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
        self.baskets
            .iter()
            .filter_map(|b| match b.source {
                Source::Disk { seek, .. } => Some(seek),
                Source::Embedded(_) => None,
            })
            .collect()
    }

    fn context(&self, basket: Option<usize>) -> impl FnOnce(Error) -> Error + '_ {
        move |e| Error::InBranch { branch: self.path.clone(), basket, source: Box::new(e) }
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
#[derive(Debug)]
pub struct Tree<'f> {
    file: &'f RootFile,
    name: String,
    title: String,
    entries: u64,
    branches: Vec<Branch>,
    index: HashMap<String, usize>,
}

/// Branches chosen for reading (see [`Tree::select`]).
///
/// ```no_run
/// let f = hep_io::RootFile::open("PHYSLITE_example.root")?;
/// let tree = f.tree("CollectionTree")?;
/// let sel = tree.select_supported(&["AnalysisJetsAuxDyn.*"])?;
/// println!("{} columns, {} unsupported skipped", sel.columns().len(), sel.skipped().len());
/// # Ok::<(), hep_io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Selection {
    columns: Vec<usize>,
    names: Vec<String>,
    skipped: Vec<String>,
}

impl Selection {
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
        "TLeafF" => Primitive::F32,
        "TLeafD" => Primitive::F64,
        _ => return None,
    })
}

/// Resolves branch types, reading the streamer info only when a branch needs it.
struct Resolver<'a> {
    file: &'a RootFile,
    infos: OnceCell<Result<Vec<StreamerInfo>, String>>,
}

impl Resolver<'_> {
    fn infos(&self) -> &Result<Vec<StreamerInfo>, String> {
        self.infos.get_or_init(|| self.file.streamer_infos().map_err(|e| e.to_string()))
    }

    /// The C++ type name and the column type (or why not) of a branch.
    fn resolve(&self, rec: &BranchRec, objs: &[Obj]) -> (String, std::result::Result<ColumnType, String>) {
        let leaves: Vec<&LeafRec> = rec
            .leaves
            .iter()
            .filter_map(|&i| match &objs[i] {
                Obj::Leaf(l) => Some(l),
                _ => None,
            })
            .collect();
        let Some(e) = &rec.element else {
            let [leaf] = leaves.as_slice() else {
                return (format!("{} leaves", leaves.len()), Err(format!("a leaf list of {} leaves", leaves.len())));
            };
            let Some(p) = leaf_primitive(leaf) else {
                return (leaf.class.clone(), Err(format!("leaf class {}", leaf.class)));
            };
            let layout = match (leaf.count.is_some(), leaf.len) {
                (true, 1) => Layout::Jagged,
                (false, 1) => Layout::Scalar,
                (false, n) if n > 1 => Layout::Array(n as usize),
                (_, n) => {
                    let name = format!("{}[][{n}]", p.cpp_name());
                    return (name.clone(), Err(format!("{name}: multidimensional variable-length array")));
                }
            };
            let t = ColumnType { primitive: p, layout };
            return (t.cpp_name(), Ok(t));
        };
        if !rec.branches.is_empty() {
            return (e.class_name.clone(), Err("a split object: its members are the sub-branches".into()));
        }
        if e.id < 0 {
            return match ColumnType::from_cpp(&e.class_name) {
                Some(t) => (t.cpp_name(), Ok(t)),
                None => (e.class_name.clone(), Err(format!("{} is not a supported type", e.class_name))),
            };
        }
        let in_collection = e.btype == 31 || e.btype == 41;
        if let Some(p) = Primitive::from_code(e.streamer_type) {
            let t = ColumnType { primitive: p, layout: if in_collection { Layout::Jagged } else { Layout::Scalar } };
            return (t.cpp_name(), Ok(t));
        }
        // Everything else is described by the member's streamer element.
        let element = match self.infos() {
            Err(err) => return (e.class_name.clone(), Err(format!("the streamer info cannot be read: {err}"))),
            Ok(infos) => infos
                .iter()
                .find(|i| i.class_name == e.class_name && i.version == e.class_version)
                .and_then(|i| i.elements.get(e.id as usize)),
        };
        let Some(el) = element else {
            let why = format!("no streamer info for member {} of {} version {}", e.id, e.class_name, e.class_version);
            return (e.class_name.clone(), Err(why));
        };
        let fixed = (21..=38).contains(&e.streamer_type).then(|| Primitive::from_code(e.streamer_type - 20)).flatten();
        match (fixed, ColumnType::from_cpp(&el.type_name)) {
            (Some(p), _) if !in_collection && el.array_length > 0 => {
                let t = ColumnType { primitive: p, layout: Layout::Array(el.array_length as usize) };
                (t.cpp_name(), Ok(t))
            }
            (None, Some(t)) if e.streamer_type == 300 && !in_collection && t.layout != Layout::Scalar => {
                (t.cpp_name(), Ok(t))
            }
            _ => (el.type_name.clone(), Err(format!("{} (streamer type {})", el.type_name, e.streamer_type))),
        }
    }
}

/// The baskets of a branch, checked: they start at entry 0, follow each other, and end at the
/// branch's entry count.
fn basket_refs(rec: &BranchRec, objs: &[Obj]) -> Result<Vec<BasketRef>> {
    let bad = |detail: String| Error::Malformed { what: "branch", offset: rec.offset, detail };
    let entries = u64::try_from(rec.entries).map_err(|_| bad(format!("{} entries", rec.entries)))?;
    let mut out = Vec::with_capacity(rec.write_basket + rec.embedded.len());
    let mut next = 0u64;
    for i in 0..rec.write_basket {
        let first = u64::try_from(rec.basket_entry[i]).ok().filter(|&f| f == next);
        let end = match rec.basket_entry.get(i + 1) {
            Some(&e) if i + 1 < rec.write_basket || !rec.embedded.is_empty() => u64::try_from(e).ok(),
            _ => Some(entries),
        };
        let (Some(first), Some(end)) = (first, end.filter(|&e| e >= next && e <= entries)) else {
            return Err(bad(format!("basket {i} entry range does not follow entry {next}")));
        };
        let seek = u64::try_from(rec.basket_seek[i]).ok().filter(|&s| s > 0);
        let bytes = u32::try_from(rec.basket_bytes[i]).ok().filter(|&b| b > 0);
        let (Some(seek), Some(bytes)) = (seek, bytes) else {
            return Err(bad(format!("basket {i} is at {} with {} bytes", rec.basket_seek[i], rec.basket_bytes[i])));
        };
        out.push(BasketRef { first, end, source: Source::Disk { seek, bytes } });
        next = end;
    }
    for &i in &rec.embedded {
        if let Obj::Basket(b) = &objs[i]
            && b.entries > 0
        {
            let end = next + b.entries as u64;
            let offsets = match &b.offsets {
                None => None,
                Some(o) => {
                    let raw: Vec<i64> = o.iter().map(|&x| i64::from(x)).collect();
                    let v = rising_offsets(&raw, 0, b.data.len())
                        .map_err(|_| bad("an embedded basket has entry offsets out of order".into()))?;
                    Some(v)
                }
            };
            let basket = Basket { data: b.data.clone(), border: b.data.len(), offsets, offset: b.offset };
            out.push(BasketRef { first: next, end, source: Source::Embedded(Arc::new(basket)) });
            next = end;
        }
    }
    // Branches that only group others (split objects) have no baskets at all.
    if next != entries && !out.is_empty() {
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
    pub fn tree(&self, path: &str) -> Result<Tree<'_>> {
        let key = self
            .walk()?
            .into_iter()
            .filter(|(p, _)| p == path)
            .map(|(_, k)| k)
            .max_by_key(|k| k.cycle)
            .ok_or_else(|| Error::NoSuchKey(path.to_string()))?;
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
        let entries = u64::try_from(entries).map_err(|_| Error::Malformed {
            what: "TTree",
            offset: key.seek_key,
            detail: format!("{entries} entries"),
        })?;
        let resolver = Resolver { file: self, infos: OnceCell::new() };
        let mut branches = Vec::new();
        let mut stack: Vec<(usize, usize, String)> = top.into_iter().rev().map(|i| (i, 0, String::new())).collect();
        while let Some((i, depth, parent)) = stack.pop() {
            let Obj::Branch(rec) = &r.objs[i] else { continue };
            let (type_name, column) = resolver.resolve(rec, &r.objs);
            let path = if parent.is_empty() { rec.name.clone() } else { format!("{parent}/{}", rec.name) };
            stack.extend(rec.branches.iter().rev().map(|&c| (c, depth + 1, path.clone())));
            branches.push(Branch {
                path,
                name: rec.name.clone(),
                title: rec.title.clone(),
                class: rec.class.clone(),
                type_name,
                column,
                entries: u64::try_from(rec.entries).unwrap_or(0),
                compressed_bytes: u64::try_from(rec.zip_bytes).unwrap_or(0),
                uncompressed_bytes: u64::try_from(rec.tot_bytes).unwrap_or(0),
                depth,
                baskets: basket_refs(rec, &r.objs)?,
            });
        }
        // Paths first, so a path always finds its own branch; then names not already taken.
        let mut index = HashMap::with_capacity(2 * branches.len());
        for (i, b) in branches.iter().enumerate() {
            index.insert(b.path.clone(), i);
        }
        for (i, b) in branches.iter().enumerate() {
            index.entry(b.name.clone()).or_insert(i);
        }
        Ok(Tree { file: self, name, title, entries, branches, index })
    }
}

impl<'f> Tree<'f> {
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

    /// A table of the branches: name, C++ type, Arrow type (or why unsupported), sizes.
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
        for b in &self.branches {
            let arrow = match &b.column {
                Ok(c) => format!("{}", c.data_type()),
                Err(why) => format!("unsupported: {why}"),
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

    /// Select branches by exact name or glob (`*`, `?`), in pattern order. A pattern that
    /// matches nothing, or a match of an unsupported type, is an error.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// let t = f.tree("CollectionTree")?;
    /// let sel = t.select(&["AnalysisElectronsAuxDyn.pt", "AnalysisElectronsAuxDyn.eta"])?;
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn select(&self, patterns: &[impl AsRef<str>]) -> Result<Selection> {
        let sel = self.select_supported(patterns)?;
        match sel.skipped.first() {
            Some(name) => {
                let b = self.branch(name)?;
                Err(Error::UnsupportedBranch {
                    branch: name.clone(),
                    detail: b.column.clone().err().unwrap_or_default(),
                })
            }
            None => Ok(sel),
        }
    }

    /// Like [`select`](Self::select), but unsupported branches are skipped and listed in
    /// [`Selection::skipped`].
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// let all = f.tree("CollectionTree")?.select_supported(&["*"])?;
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn select_supported(&self, patterns: &[impl AsRef<str>]) -> Result<Selection> {
        let (mut columns, mut names, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
        for i in self.matching(patterns)? {
            let b = &self.branches[i];
            if b.column.is_ok() {
                columns.push(i);
                names.push(b.path.clone());
            } else {
                skipped.push(b.path.clone());
            }
        }
        Ok(Selection { columns, names, skipped })
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
                b.column.as_ref().ok().map(|c| Field::new(&b.path, c.data_type(), false))
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
    pub fn batches<'t>(&'t self, sel: &Selection) -> Batches<'t, 'f> {
        Batches {
            tree: self,
            schema: self.schema(sel),
            readers: self.readers(sel),
            next: 0,
            end: self.entries,
            step: None,
            target_bytes: 64 << 20,
        }
    }

    fn readers(&self, sel: &Selection) -> Vec<ColumnReader<'_>> {
        sel.columns.iter().map(|&i| ColumnReader { branch: &self.branches[i], cached: None }).collect()
    }

    fn batch(&self, schema: SchemaRef, readers: &mut [ColumnReader<'_>], range: Range<u64>) -> Result<RecordBatch> {
        if range.start > range.end || range.end > self.entries {
            return Err(Error::BadRange { start: range.start, end: range.end, entries: self.entries });
        }
        let columns =
            readers.iter_mut().map(|r| r.read(self.file, range.clone())).collect::<Result<Vec<ArrayRef>>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some((range.end - range.start) as usize));
        RecordBatch::try_new_with_options(schema, columns, &options).map_err(|e| Error::Malformed {
            what: "record batch",
            offset: 0,
            detail: e.to_string(),
        })
    }
}

/// Reads one branch, keeping its current basket for the next range.
#[derive(Debug)]
struct ColumnReader<'t> {
    branch: &'t Branch,
    cached: Option<(usize, Arc<Basket>)>,
}

impl ColumnReader<'_> {
    fn basket(&mut self, file: &RootFile, i: usize) -> Result<Arc<Basket>> {
        if let Some((j, b)) = &self.cached
            && *j == i
        {
            return Ok(b.clone());
        }
        let r = &self.branch.baskets[i];
        let b = match &r.source {
            Source::Embedded(b) => b.clone(),
            Source::Disk { seek, bytes } => Arc::new(file.read_basket(*seek, *bytes, (r.end - r.first) as usize)?),
        };
        self.cached = Some((i, b.clone()));
        Ok(b)
    }

    fn read(&mut self, file: &RootFile, range: Range<u64>) -> Result<ArrayRef> {
        let branch = self.branch;
        let Ok(ty) = branch.column else {
            return Err(Error::UnsupportedBranch { branch: branch.path.clone(), detail: String::new() });
        };
        if range.end > branch.entries {
            return Err(branch.context(None)(Error::BadRange {
                start: range.start,
                end: range.end,
                entries: branch.entries,
            }));
        }
        let mut out = ColumnBuilder::new(ty);
        let first = branch.baskets.partition_point(|b| b.end <= range.start);
        for i in first..branch.baskets.len() {
            let (b0, b1) = (branch.baskets[i].first, branch.baskets[i].end);
            if b0 >= range.end {
                break;
            }
            let basket = self.basket(file, i).map_err(branch.context(Some(i)))?;
            let a = (range.start.max(b0) - b0) as usize;
            let z = (range.end.min(b1) - b0) as usize;
            out.append(&basket, a, z).map_err(branch.context(Some(i)))?;
        }
        if out.entries() as u64 != range.end - range.start {
            let detail = format!("its baskets hold {} of entries {}..{}", out.entries(), range.start, range.end);
            return Err(branch.context(None)(Error::Malformed { what: "branch", offset: 0, detail }));
        }
        out.finish().map_err(branch.context(None))
    }
}

/// An iterator of `RecordBatch`es over an entry range (see [`Tree::batches`]). Memory stays
/// bounded: one batch, plus one decompressed basket per selected branch.
#[derive(Debug)]
pub struct Batches<'t, 'f> {
    tree: &'t Tree<'f>,
    schema: SchemaRef,
    readers: Vec<ColumnReader<'t>>,
    next: u64,
    end: u64,
    step: Option<u64>,
    target_bytes: u64,
}

impl Batches<'_, '_> {
    /// Read only entries `range` (clamped to the tree).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let t = f.tree("t")?;
    /// let n: usize = t.batches(&t.select(&["x"])?).entries(10..20).map(|b| b.unwrap().num_rows()).sum();
    /// assert_eq!(n, 10);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn entries(mut self, range: Range<u64>) -> Self {
        self.end = range.end.min(self.tree.entries);
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
    /// the branches' average entry size.
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

    /// The entries per batch this iterator uses. With no columns a batch costs nothing, so one
    /// batch holds every row (a damaged entry count cannot make the iteration endless).
    fn step(&self) -> u64 {
        if self.readers.is_empty() {
            return u64::MAX;
        }
        self.step.unwrap_or_else(|| {
            let per_entry: f64 =
                self.readers.iter().map(|r| r.branch.uncompressed_bytes as f64 / r.branch.entries.max(1) as f64).sum();
            ((self.target_bytes as f64 / per_entry.max(1.0)) as u64).max(1)
        })
    }
}

impl Iterator for Batches<'_, '_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let stop = self.end.min(self.next.saturating_add(self.step()));
        let range = self.next..stop;
        self.next = stop;
        let out = self.tree.batch(self.schema.clone(), &mut self.readers, range);
        if out.is_err() {
            self.next = self.end; // stop after an error
        }
        Some(out)
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
