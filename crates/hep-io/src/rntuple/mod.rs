//! RNTuple, ROOT's successor to `TTree` (binary format 1.x): the anchor, the header, footer and
//! page-list envelopes (each checked against its XXH3 checksum, and the footer and page lists
//! against the header they belong to), the schema (fields, columns, alias columns, the schema
//! extension), clusters and pages, decoded into Arrow with the `TTree` reader's conventions.

mod column;
mod envelope;

use std::ops::Range;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, LargeListArray, PrimitiveArray, RecordBatch, RecordBatchOptions, types::ArrowPrimitiveType,
};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::{Field, Schema, SchemaRef};
use float_bits::Scheme;

use crate::error::{Error, Result};
use crate::file::RootFile;
use crate::types::{ColumnType, Dims, Layout, Primitive};
use crate::{Selection, Unreadable};
use column::{Elem, Kind};
use envelope::{Cluster, ColumnDesc, FieldDesc, Le, Locator, ROLE_COLLECTION, ROLE_LEAF, ROLE_RECORD};

/// The class names of an RNTuple anchor key.
pub(crate) const ANCHOR_CLASS: &str = "ROOT::RNTuple";

/// One column of an RNTuple: a top-level field, or a member of a record field (`record.member`,
/// also for records inside collections and arrays: records are flattened to one column per
/// leaf); its name, C++ type, and the Arrow type it reads as (or why it is not read).
///
/// ```no_run
/// let f = hep_io::RootFile::open("physlite_rntuple.root")?;
/// let nt = f.rntuple("EventData")?;
/// let pt = nt.field("AnalysisJetsAuxDyn:pt")?;
/// assert_eq!(pt.type_name, "std::vector<float>");
/// # Ok::<(), hep_io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RField {
    /// The field name (ATLAS: `Container:variable`).
    pub name: String,
    /// Its C++ type, as the file names it.
    pub type_name: String,
    /// The columns behind it, by their names in the specification (`SplitIndex64`,
    /// `SplitReal32`, …), one representation after another.
    pub encoding: String,
    /// How it reads into Arrow, or why it is not read.
    pub column: std::result::Result<ColumnType, Unreadable>,
    /// The lossy scheme its values went through, where every representation of its column is
    /// the same lossy one (`Real16`: [`Scheme::half`]; `Real32Trunc` with `n` bits:
    /// `TowardZero { k: n - 9 }` ([`TowardZero::from_rntuple_bits`](float_bits::TowardZero::from_rntuple_bits)); `Real32Quant`: `RntupleQuant`; a `double` stored as
    /// `Real32`: `NearestEven { k: 23 }`); its Arrow field carries it under
    /// [`SCHEME_KEY`](crate::SCHEME_KEY).
    pub scheme: Option<Scheme>,
    /// The field ids from the top field to its leaf that hold columns or arrays (one per
    /// nesting level; records are left out).
    chain: Vec<usize>,
    /// A `ROOT::RNTupleCardinality<T>` field: its value is the size of each entry's collection,
    /// read from the collection's offsets (an index column).
    cardinality: bool,
}

/// The way down from a top-level field while [`RNTuple::walk`] looks for its leaves.
#[derive(Clone, Debug, Default)]
struct Walk {
    name: String,
    type_name: String,
    chain: Vec<usize>,
    layout: Vec<Layout>,
    encoding: Vec<String>,
    depth: usize,
}

impl Walk {
    fn into_field(self, column: std::result::Result<ColumnType, Unreadable>) -> RField {
        RField {
            name: self.name,
            type_name: self.type_name,
            encoding: self.encoding.join(" + "),
            column,
            scheme: None,
            chain: self.chain,
            cardinality: false,
        }
    }
}

/// An RNTuple of a ROOT file: its schema, clusters and pages, read on request. Like a
/// [`Tree`](crate::Tree) it owns a clone of its file and clones cheaply.
///
/// ```no_run
/// let f = hep_io::RootFile::open("physlite_rntuple.root")?;
/// let nt = f.rntuple("EventData")?;
/// let sel = nt.select_supported(&["AnalysisJetsAuxDyn:*"])?;
/// let batch = nt.read(&sel, 0..nt.entries())?;
/// println!("{} rows, {} columns", batch.num_rows(), batch.num_columns());
/// # Ok::<(), hep_io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RNTuple {
    file: RootFile,
    name: String,
    entries: u64,
    fields: Arc<[FieldDesc]>,
    columns: Arc<[ColumnDesc]>,
    /// For each field, its physical columns: one list per representation.
    field_columns: Arc<[Vec<Vec<usize>>]>,
    clusters: Arc<[Cluster]>,
    top: Arc<[RField]>,
    /// File offsets of the header envelope and of the first page list, for errors.
    header_at: u64,
    lists_at: u64,
}

/// A decompressed envelope's payload, its type and length checked, and its checksum.
fn envelope(file: &RootFile, what: &'static str, kind: u16, loc: Locator, len: u64) -> Result<(Vec<u8>, u64)> {
    let bad = |detail: String| Error::Malformed { what, offset: loc.offset, detail };
    if len < 16 {
        return Err(bad(format!("{len} bytes are too few for an envelope")));
    }
    let data = file.unpack(what, loc.offset, &file.read_raw(what, loc.offset, loc.size)?, len)?;
    let n = data.len();
    let stored = u64::from_le_bytes(data[n - 8..].try_into().map_err(|_| bad("short checksum".into()))?);
    let actual = twox_hash::XxHash3_64::oneshot(&data[..n - 8]);
    if actual != stored {
        return Err(bad(format!("XXH3 checksum {actual:#018x} differs from the stored {stored:#018x}")));
    }
    let word = u64::from_le_bytes(data[..8].try_into().map_err(|_| bad("short envelope".into()))?);
    if word & 0xffff != u64::from(kind) || word >> 16 != len {
        return Err(bad(format!(
            "envelope type {} of {} bytes where type {kind} of {len} bytes was expected",
            word & 0xffff,
            word >> 16
        )));
    }
    Ok((data[8..n - 8].to_vec(), stored))
}

impl RootFile {
    /// The RNTuples of the file (anchor keys of class `ROOT::RNTuple`), by path.
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("physlite_rntuple.root")?;
    /// assert!(f.rntuples()?.contains(&"EventData".to_string()));
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn rntuples(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> =
            self.walk()?.into_iter().filter(|(_, k)| k.class_name == ANCHOR_CLASS).map(|(p, _)| p).collect();
        names.dedup();
        Ok(names)
    }

    /// Open the RNTuple at `path`: its anchor, header, footer and page lists, all checked.
    ///
    /// ```no_run
    /// let f = hep_io::RootFile::open("physlite_rntuple.root")?;
    /// let nt = f.rntuple("EventData")?;
    /// assert_eq!(nt.entries(), 100);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn rntuple(&self, path: &str) -> Result<RNTuple> {
        let key = self.latest_key(path)?;
        if key.class_name != ANCHOR_CLASS {
            return Err(Error::Unsupported {
                what: "RNTuple",
                offset: key.seek_key,
                detail: format!("{path} is a {}, not a {ANCHOR_CLASS}", key.class_name),
            });
        }
        let at = key.seek_key;
        let anchor = self.read_object(&key)?;
        let bad = |detail: String| Error::Malformed { what: "RNTuple anchor", offset: at, detail };
        // A streamed object: byte count and class version, then big-endian fields and their
        // XXH3 checksum.
        let fields = anchor.get(6..6 + 64).ok_or_else(|| bad(format!("{} bytes", anchor.len())))?;
        let sum = anchor.get(70..78).ok_or_else(|| bad(format!("{} bytes: no checksum", anchor.len())))?;
        let stored = u64::from_be_bytes(sum.try_into().map_err(|_| bad("short checksum".into()))?);
        let actual = twox_hash::XxHash3_64::oneshot(fields);
        if actual != stored {
            return Err(bad(format!("XXH3 checksum {actual:#018x} differs from the stored {stored:#018x}")));
        }
        let be16 = |i: usize| u16::from_be_bytes([fields[i], fields[i + 1]]);
        let be64 = |i: usize| u64::from_be_bytes(fields[i..i + 8].try_into().unwrap_or_default());
        let epoch = be16(0);
        if epoch != 1 {
            return Err(Error::Unsupported {
                what: "RNTuple anchor",
                offset: at,
                detail: format!("format {}.{}.{}.{}: only epoch 1 is read", epoch, be16(2), be16(4), be16(6)),
            });
        }
        let header_at = Locator { offset: be64(8), size: be64(16) };
        let footer_at = Locator { offset: be64(32), size: be64(40) };
        let (header, header_sum) = envelope(self, "RNTuple header", 1, header_at, be64(24))?;
        let (name, mut schema) = envelope::header(&mut Le::new(&header, "RNTuple header", header_at.offset))?;
        let (footer, _) = envelope(self, "RNTuple footer", 2, footer_at, be64(48))?;
        let (expects, groups) =
            envelope::footer(&mut Le::new(&footer, "RNTuple footer", footer_at.offset), &mut schema)?;
        if expects != header_sum {
            return Err(Error::Malformed {
                what: "RNTuple footer",
                offset: footer_at.offset,
                detail: format!("it belongs to the header with checksum {expects:#018x}, not {header_sum:#018x}"),
            });
        }
        let mut clusters = Vec::new();
        for g in &groups {
            let (len, loc) = g.page_list;
            let (list, _) = envelope(self, "RNTuple page list", 3, loc, len)?;
            let (expects, mut cs) = envelope::page_list(&mut Le::new(&list, "RNTuple page list", loc.offset))?;
            if expects != header_sum || cs.len() != g.clusters as usize {
                return Err(Error::Malformed {
                    what: "RNTuple page list",
                    offset: loc.offset,
                    detail: format!(
                        "{} clusters for header {expects:#018x}; the footer announces {} for {header_sum:#018x}",
                        cs.len(),
                        g.clusters
                    ),
                });
            }
            clusters.append(&mut cs);
        }
        let lists_at = groups.first().map_or(footer_at.offset, |g| g.page_list.1.offset);
        RNTuple::new(self.clone(), name, schema, clusters, (header_at.offset, lists_at))
    }
}

impl RNTuple {
    fn new(
        file: RootFile,
        name: String,
        schema: envelope::Schema,
        clusters: Vec<Cluster>,
        (header_at, lists_at): (u64, u64),
    ) -> Result<RNTuple> {
        let n = schema.fields.len();
        let mut field_columns: Vec<Vec<Vec<usize>>> = vec![Vec::new(); n];
        for (i, c) in schema.columns.iter().enumerate() {
            let Some(reps) = field_columns.get_mut(c.field as usize) else {
                return Err(Error::Malformed {
                    what: "RNTuple header",
                    offset: header_at,
                    detail: format!("column {i} belongs to field {}, of {n}", c.field),
                });
            };
            let r = usize::from(c.representation);
            if r > reps.len() {
                return Err(Error::Malformed {
                    what: "RNTuple header",
                    offset: header_at,
                    detail: format!("column {i}: representation {r} before representation {}", reps.len()),
                });
            }
            if r == reps.len() {
                reps.push(Vec::new());
            }
            reps[r].push(i);
        }
        // A projected field reads the physical columns its alias columns name, in their
        // representations.
        for (a, &(physical, field)) in schema.aliases.iter().enumerate() {
            let bad = |detail: String| Error::Malformed { what: "RNTuple header", offset: header_at, detail };
            let Some(c) = schema.columns.get(physical as usize) else {
                let m = schema.columns.len();
                return Err(bad(format!("alias column {a} names physical column {physical}, of {m}")));
            };
            let Some(reps) = field_columns.get_mut(field as usize) else {
                return Err(bad(format!("alias column {a} belongs to field {field}, of {n}")));
            };
            let r = usize::from(c.representation);
            if r > reps.len() {
                return Err(bad(format!("alias column {a}: representation {r} before representation {}", reps.len())));
            }
            if r == reps.len() {
                reps.push(Vec::new());
            }
            reps[r].push(physical as usize);
        }
        let mut entries = 0u64;
        for c in &clusters {
            if c.first_entry != entries {
                return Err(Error::Malformed {
                    what: "RNTuple page list",
                    offset: lists_at,
                    detail: format!("a cluster starts at entry {}, after {entries} entries", c.first_entry),
                });
            }
            entries = entries.checked_add(c.entries).ok_or_else(|| Error::Overflow {
                what: "RNTuple clusters",
                offset: lists_at,
                detail: "the entry count overflows".into(),
            })?;
        }
        let mut nt = RNTuple {
            file,
            name,
            entries,
            fields: schema.fields.into(),
            columns: schema.columns.into(),
            field_columns: field_columns.into(),
            clusters: clusters.into(),
            top: Arc::new([]),
            header_at,
            lists_at,
        };
        let mut top = Vec::new();
        for i in (0..n).filter(|&i| nt.fields[i].parent as usize == i) {
            let f = &nt.fields[i];
            let path = Walk { name: f.name.clone(), type_name: f.type_name.clone(), ..Walk::default() };
            nt.walk(i, path, &mut top);
        }
        nt.top = top.into();
        Ok(nt)
    }

    /// The readable columns under field `at`, reached by `path`, appended to `out`: the field
    /// itself if it is a primitive (in up to two collections or an array), or, through a record
    /// (also a record inside a collection or an array), one column per member leaf, named
    /// `path.member` (uproot's names; base classes, `:_0`, add no name). Records hold no
    /// columns: they are not in the chain.
    fn walk(&self, at: usize, mut path: Walk, out: &mut Vec<RField>) {
        let f = &self.fields[at];
        let unsupported =
            |why: String| std::result::Result::<ColumnType, Unreadable>::Err(Unreadable::Unsupported(why));
        if path.depth >= 8 {
            let damaged =
                Unreadable::Damaged { offset: self.header_at, detail: "fields nested more than 8 deep".into() };
            out.push(path.into_field(Err(damaged)));
            return;
        }
        path.depth += 1;
        match (f.role, f.array_size) {
            (ROLE_LEAF, Some(n)) if f.type_name.starts_with("std::bitset<") && self.children(at).is_empty() => {
                // `std::bitset<N>`: N bits per entry in one column of its own.
                path.layout.push(Layout::Array(usize::try_from(n).unwrap_or(usize::MAX)));
                path.chain.push(at);
                let column = self.bitset(at, &path.layout, &mut path.encoding);
                out.push(path.into_field(column));
            }
            (ROLE_LEAF, None) if f.type_name.starts_with("std::atomic<") => {
                // `std::atomic<T>` stores its value as its one member `_0`, under its own name.
                let [child] = self.children(at)[..] else {
                    out.push(path.into_field(unsupported(format!("{} without one member", f.type_name))));
                    return;
                };
                let type_name = self.fields[child].type_name.clone();
                self.walk(child, Walk { type_name, ..path }, out);
            }
            (ROLE_LEAF, Some(n)) => {
                let [child] = self.children(at)[..] else {
                    out.push(path.into_field(unsupported(format!("array field {:?} without one item field", f.name))));
                    return;
                };
                path.layout.push(Layout::Array(usize::try_from(n).unwrap_or(usize::MAX)));
                path.chain.push(at);
                self.walk(child, path, out);
            }
            (ROLE_LEAF, None) if f.type_name.starts_with("ROOT::RNTupleCardinality<") => {
                path.chain.push(at);
                let column = self.cardinality(at, &path.layout, &mut path.encoding);
                out.push(RField { cardinality: true, ..path.into_field(column) });
            }
            (ROLE_LEAF, None) => {
                path.chain.push(at);
                let column = self.leaf(at, &path.layout, &mut path.encoding);
                let scheme = column.as_ref().ok().and_then(|c| self.scheme(at, c.primitive));
                out.push(RField { scheme, ..path.into_field(column) });
            }
            (ROLE_COLLECTION, _) => {
                let kinds = match self.single_columns(at, &mut path.encoding) {
                    Ok(k) => k,
                    Err(why) => return out.push(path.into_field(Err(why))),
                };
                if !kinds.iter().all(|k| matches!(k, Kind::Index { .. })) {
                    let detail = format!("collection {:?} with a non-index column", f.name);
                    return out.push(path.into_field(Err(Unreadable::Damaged { offset: self.header_at, detail })));
                }
                let [child] = self.children(at)[..] else {
                    out.push(path.into_field(unsupported(format!("collection {:?} of several fields", f.name))));
                    return;
                };
                path.layout.push(Layout::Vector);
                path.chain.push(at);
                self.walk(child, path, out);
            }
            (ROLE_RECORD, _) => {
                let members = self.children(at);
                if members.is_empty() {
                    out.push(path.into_field(unsupported(format!("record {} with no members", f.type_name))));
                    return;
                }
                // `std::pair` / `std::tuple` members are `_0`, `_1`, …: named `0`, `1`, … as
                // uproot's arrays name them.
                let tuple = ["std::pair<", "std::tuple<"].iter().any(|t| f.type_name.starts_with(t));
                let mut produced = Vec::new();
                for m in members {
                    let member = &self.fields[m];
                    // A base class (`:_0`, `:_1`, …) is transparent: its members are the record's.
                    let name = if member.name.starts_with(':') {
                        path.name.clone()
                    } else if tuple && member.name.starts_with('_') {
                        format!("{}.{}", path.name, &member.name[1..])
                    } else {
                        format!("{}.{}", path.name, member.name)
                    };
                    let mut leaves = Vec::new();
                    self.walk(m, Walk { name, type_name: member.type_name.clone(), ..path.clone() }, &mut leaves);
                    let base = member.name.starts_with(':').then(|| member.type_name.clone());
                    produced.push((base, leaves));
                }
                // Two bases with a common base (`A : B, C` with `B : X`, `C : X`) bring the same
                // member names twice: those are qualified by the direct base they come through,
                // `record.B::x` and `record.C::x`, as uproot names them.
                let mut count: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
                for f in produced.iter().flat_map(|(_, l)| l) {
                    *count.entry(f.name.clone()).or_default() += 1;
                }
                let prefix = format!("{}.", path.name);
                for (base, leaves) in produced {
                    for mut f in leaves {
                        if let (Some(b), Some(rest)) = (&base, f.name.strip_prefix(&prefix))
                            && count.get(&f.name).is_some_and(|&n| n > 1)
                        {
                            f.name = format!("{prefix}{b}::{rest}");
                        }
                        out.push(f);
                    }
                }
            }
            (role, _) => out.push(path.into_field(unsupported(format!("structural role {role} ({})", f.type_name)))),
        }
    }

    fn children(&self, i: usize) -> Vec<usize> {
        (0..self.fields.len()).filter(|&c| c != i && self.fields[c].parent as usize == i).collect()
    }

    /// The lossy scheme of leaf field `at` read as `primitive`, where all its representations
    /// share one.
    fn scheme(&self, at: usize, primitive: Primitive) -> Option<Scheme> {
        let kinds = self.single_columns(at, &mut Vec::new()).ok()?;
        let (first, rest) = kinds.split_first()?;
        if rest.iter().any(|k| k != first) {
            return None; // e.g. `Real32` in one cluster, `Real16` in the next
        }
        match *first {
            Kind::Real { bytes: 2, .. } => Some(Scheme::half()),
            Kind::Real { bytes: 4, .. } if primitive == Primitive::F64 => Scheme::nearest_even(23).ok(),
            Kind::Trunc { bits } => float_bits::TowardZero::from_rntuple_bits(bits).ok().map(Scheme::from),
            Kind::Quant { bits, min, max } => Scheme::rntuple_quant(min, max, bits).ok(),
            _ => None,
        }
    }

    /// The columns of field `i` (every representation) must each be one column of a usable kind.
    fn single_columns(&self, i: usize, encoding: &mut Vec<String>) -> std::result::Result<Vec<Kind>, Unreadable> {
        let reps = &self.field_columns[i];
        if reps.is_empty() {
            return Err(Unreadable::Unsupported(format!("field {:?} has no column", self.fields[i].name)));
        }
        let mut kinds = Vec::new();
        for rep in reps {
            let [c] = rep[..] else {
                return Err(Unreadable::Unsupported(format!("{} columns per representation", rep.len())));
            };
            let d = &self.columns[c];
            let kind = Kind::of(d.kind, d.bits, d.range)
                .map_err(|e| Unreadable::Damaged { offset: self.header_at, detail: format!("column {c}: {e}") })?;
            encoding.push(kind.name());
            kinds.push(kind);
        }
        Ok(kinds)
    }

    /// The type of the cardinality field `at` (`ROOT::RNTupleCardinality<std::uint32_t>` or
    /// `<std::uint64_t>`): an unsigned integer per entry, read from an index column (the
    /// offsets of the collection it counts, usually lent by an alias column).
    fn cardinality(
        &self,
        at: usize,
        layout: &[Layout],
        encoding: &mut Vec<String>,
    ) -> std::result::Result<ColumnType, Unreadable> {
        let f = &self.fields[at];
        let unsupported = |why: String| Err(Unreadable::Unsupported(why));
        let argument = f.type_name.trim_start_matches("ROOT::RNTupleCardinality<").trim_end_matches('>');
        let primitive = match argument.trim().trim_start_matches("std::") {
            "uint32_t" => Primitive::U32,
            "uint64_t" => Primitive::U64,
            _ => return unsupported(format!("{}: a cardinality of another type", f.type_name)),
        };
        if !layout.is_empty() {
            return unsupported(format!("{} inside a collection or array", f.type_name));
        }
        self.columns_all(at, encoding, |k| matches!(k, Kind::Index { .. }))?;
        Ok(ColumnType { primitive, layout: Layout::Scalar })
    }

    /// Field `at`'s columns (every representation), each of a kind `fits` accepts.
    fn columns_all(
        &self,
        at: usize,
        encoding: &mut Vec<String>,
        fits: impl Fn(&Kind) -> bool,
    ) -> std::result::Result<(), Unreadable> {
        if self.single_columns(at, encoding)?.iter().all(fits) {
            return Ok(());
        }
        let f = &self.fields[at];
        Err(Unreadable::Unsupported(format!("{} from {} columns", f.type_name, encoding.join(", "))))
    }

    /// The type of the `std::bitset<N>` field `at`: N booleans per entry, from a `Bit` column.
    fn bitset(
        &self,
        at: usize,
        layout: &[Layout],
        encoding: &mut Vec<String>,
    ) -> std::result::Result<ColumnType, Unreadable> {
        match layout {
            [Layout::Array(n)] => {
                self.columns_all(at, encoding, |k| matches!(k, Kind::Bit))?;
                Ok(ColumnType { primitive: Primitive::Bool, layout: Layout::Array(*n) })
            }
            _ => Err(Unreadable::Unsupported(format!("{} inside a collection or array", self.fields[at].type_name))),
        }
    }

    /// The type of the primitive leaf `at` under the list levels `layout`, from its columns.
    fn leaf(
        &self,
        at: usize,
        layout: &[Layout],
        encoding: &mut Vec<String>,
    ) -> std::result::Result<ColumnType, Unreadable> {
        let f = &self.fields[at];
        let prim = Primitive::from_cpp(&f.type_name.replace("std::", ""))
            .ok_or_else(|| Unreadable::Unsupported(format!("{} is not a primitive type", f.type_name)))?;
        let kinds = self.single_columns(at, encoding)?;
        let fits = kinds.iter().all(|k| {
            matches!(prim, Primitive::F32 | Primitive::F64) == k.is_real()
                && !matches!(k, Kind::Index { .. } | Kind::Switch)
        });
        if !fits {
            return Err(Unreadable::Unsupported(format!("{} from {} columns", f.type_name, encoding.join(", "))));
        }
        let layout = match layout[..] {
            [] => Layout::Scalar,
            [Layout::Vector] => Layout::Vector,
            [Layout::Vector, Layout::Vector] => Layout::VectorVector,
            [Layout::Vector, Layout::Vector, Layout::Vector] => Layout::VectorVectorVector,
            // A vector of `std::array<T, n>`.
            [Layout::Vector, Layout::Array(n)] => Layout::JaggedArray(n),
            [Layout::Array(n)] => Layout::Array(n),
            [Layout::Array(rows), Layout::Array(cols)] => Layout::Matrix { rows, cols },
            // `std::array`s nested three deep or more.
            ref levels if levels.iter().all(|l| matches!(l, Layout::Array(_))) => {
                let sizes: Vec<usize> = levels.iter().filter_map(|l| l.fixed_len()).collect();
                match Dims::new(&sizes) {
                    Some(d) => Layout::NdArray(d),
                    None => {
                        return Err(Unreadable::Unsupported(format!(
                            "{} nested arrays of {}",
                            sizes.len(),
                            f.type_name
                        )));
                    }
                }
            }
            _ => return Err(Unreadable::Unsupported(format!("nesting {layout:?} of {}", f.type_name))),
        };
        Ok(ColumnType { primitive: prim, layout })
    }

    /// Its name.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// assert_eq!(f.rntuple("EventData")?.name(), "EventData");
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Pages that carry an XXH3 checksum (verified whenever the page is read), and all pages:
    /// a writer may leave the checksums out, and then damage to a page goes unnoticed.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// let (checked, pages) = f.rntuple("EventData")?.page_checksums();
    /// println!("{checked} of {pages} pages checksummed");
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn page_checksums(&self) -> (u64, u64) {
        let pages = self.clusters.iter().flat_map(|c| &c.columns).flat_map(|r| &r.pages);
        pages.fold((0, 0), |(k, n), p| (k + u64::from(p.checksum), n + 1))
    }

    /// Entries (events).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// println!("{}", f.rntuple("EventData")?.entries());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The columns: the top-level fields and, flattened, the members of record fields
    /// (`record.member`), in schema order.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// for field in f.rntuple("EventData")?.fields() { println!("{} {}", field.name, field.type_name); }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn fields(&self) -> &[RField] {
        &self.top
    }

    /// The column `name` (a top-level field or a record member, `record.member`).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// assert!(f.rntuple("EventData")?.field("no such field").is_err());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn field(&self, name: &str) -> Result<&RField> {
        self.top.iter().find(|f| f.name == name).ok_or_else(|| Error::NoSuchBranch(name.to_string()))
    }

    /// A table of the fields: name, C++ type, columns, Arrow type (or why it is not read).
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// print!("{}", f.rntuple("EventData")?.show());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn show(&self) -> String {
        let w = self.top.iter().map(|f| f.name.len()).max().unwrap_or(4).clamp(4, 60);
        let t = self.top.iter().map(|f| f.type_name.len()).max().unwrap_or(4).clamp(4, 40);
        let mut s = format!(
            "{} (RNTuple, {} entries, {} fields, {} clusters)\n",
            self.name,
            self.entries,
            self.top.len(),
            self.clusters.len()
        );
        s += &format!("{:w$}  {:t$}  columns  arrow\n", "name", "type");
        for f in self.top.iter() {
            let arrow = match &f.column {
                Ok(c) => c.data_type().to_string(),
                Err(why) => why.to_string(),
            };
            s += &format!("{:w$}  {:t$}  {}  {arrow}\n", f.name, f.type_name, f.encoding);
        }
        s
    }

    /// Select fields by exact name or glob (`*`, `?`); fields this reader does not decode are
    /// skipped and listed in [`Selection::skipped`]. A pattern that matches nothing is an error.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// let sel = f.rntuple("EventData")?.select_supported(&["*"])?;
    /// println!("{} fields, {} skipped", sel.columns().len(), sel.skipped().len());
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn select_supported(&self, patterns: &[impl AsRef<str>]) -> Result<Selection> {
        let mut sel = Selection::empty();
        let mut seen = vec![false; self.top.len()];
        for p in patterns {
            let p = p.as_ref();
            let found: Vec<usize> = (0..self.top.len()).filter(|&i| crate::glob_match(p, &self.top[i].name)).collect();
            if found.is_empty() {
                return Err(Error::NoSuchBranch(p.to_string()));
            }
            for i in found {
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                let f = &self.top[i];
                match &f.column {
                    Ok(_) => sel.push(i, &f.name),
                    Err(Unreadable::Unsupported(_)) => sel.skip(&f.name),
                    Err(Unreadable::Damaged { offset, detail }) => sel.damage(crate::DamagedBranch {
                        branch: f.name.clone(),
                        offset: *offset,
                        detail: detail.clone(),
                    }),
                }
            }
        }
        match sel.damaged().first() {
            Some(d) => Err(Error::DamagedBranch(d.clone())),
            None => Ok(sel),
        }
    }

    /// The Arrow schema of a selection: one column per field, named as the field.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let nt = f.rntuple("EventData")?;
    /// let schema = nt.schema(&nt.select_supported(&["*:pt"])?);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn schema(&self, sel: &Selection) -> SchemaRef {
        let fields: Vec<Field> = sel
            .indices()
            .iter()
            .filter_map(|&i| {
                let f = &self.top[i];
                let field = Field::new(&f.name, f.column.as_ref().ok()?.data_type(), false);
                Some(match &f.scheme {
                    Some(scheme) => crate::with_scheme(field, scheme),
                    None => field,
                })
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// Read entries `range` of the selected fields into one `RecordBatch`.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// # let nt = f.rntuple("EventData")?;
    /// let batch = nt.read(&nt.select_supported(&["AnalysisJetsAuxDyn:pt"])?, 0..10)?;
    /// assert_eq!(batch.num_rows(), 10);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn read(&self, sel: &Selection, range: Range<u64>) -> Result<RecordBatch> {
        if range.start > range.end || range.end > self.entries {
            return Err(Error::BadRange { start: range.start, end: range.end, entries: self.entries });
        }
        let mut fields: Vec<&RField> = sel.indices().iter().map(|&i| &self.top[i]).collect();
        let columns = crate::tree::in_parallel(&mut fields, |f| {
            // The offset of the damage (the page, the envelope) where the cause has one, not
            // of the header.
            let in_field = |e: Error| Error::InBranch {
                branch: f.name.clone(),
                basket: None,
                offset: e.offset().unwrap_or(self.header_at),
                source: Box::new(e),
            };
            let Ok(ty) = f.column else { return Err(Error::NoSuchBranch(f.name.clone())) };
            self.read_field(f, ty, range.clone()).map_err(in_field)
        })?;
        let rows = usize::try_from(range.end - range.start).map_err(|_| Error::Overflow {
            what: "entry count",
            offset: self.header_at,
            detail: "too many entries".into(),
        })?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(self.schema(sel), columns, &options).map_err(|e| Error::Malformed {
            what: "record batch",
            offset: self.header_at,
            detail: e.to_string(),
        })
    }

    /// Stream the selected fields in `RecordBatch`es (by default one per cluster, at most 10 000
    /// entries), with the same [`Batches`](crate::Batches) iterator as a TTree's.
    ///
    /// ```no_run
    /// # let f = hep_io::RootFile::open("f.root")?;
    /// let nt = f.rntuple("EventData")?;
    /// let sel = nt.select_supported(&["AnalysisJetsAuxDyn:*"])?;
    /// for batch in nt.batches(&sel).entries(0..100).entries_per_batch(25) {
    ///     assert_eq!(batch?.num_rows(), 25);
    /// }
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn batches(&self, sel: &Selection) -> crate::Batches {
        crate::Batches::of_rntuple(self.clone(), sel.clone())
    }

    /// The file offset of the first page of field `field`'s columns in cluster `k` (for errors;
    /// the first page list's offset where the field has no page there).
    fn page_at(&self, field: usize, k: usize) -> u64 {
        let cluster = &self.clusters[k];
        self.field_columns[field]
            .iter()
            .flatten()
            .filter_map(|&c| cluster.columns.get(c)?.pages.first())
            .map(|p| p.locator.offset)
            .next()
            .unwrap_or(self.lists_at)
    }

    /// The end of the cluster holding `entry` (the entry count past the last).
    pub(crate) fn cluster_end(&self, entry: u64) -> u64 {
        self.clusters.iter().map(|c| c.first_entry + c.entries).find(|&e| e > entry).unwrap_or(self.entries)
    }

    fn read_field(&self, f: &RField, ty: ColumnType, range: Range<u64>) -> Result<ArrayRef> {
        if f.cardinality {
            let counts = self.read_cardinality(f, range)?;
            let overflow = |n: u64| Error::Overflow {
                what: "RNTuple cardinality",
                offset: self.header_at,
                detail: format!("a collection of {n} items in a 32-bit cardinality"),
            };
            return Ok(match ty.primitive {
                Primitive::U32 => {
                    let v: Vec<u32> =
                        counts.iter().map(|&n| u32::try_from(n).map_err(|_| overflow(n))).collect::<Result<_>>()?;
                    Arc::new(arrow_array::UInt32Array::from(v))
                }
                _ => Arc::new(arrow_array::UInt64Array::from(counts)),
            });
        }
        macro_rules! leaf {
            ($t:ty, $arrow:ty) => {
                self.read_typed::<$t>(f, ty, range)
                    .and_then(|(values, lists)| wrap(ty, prim::<$arrow>(values), lists, self.header_at))
            };
        }
        match ty.primitive {
            Primitive::Bool => self
                .read_typed::<bool>(f, ty, range)
                .and_then(|(v, lists)| wrap(ty, Arc::new(BooleanArray::from(v)) as ArrayRef, lists, self.header_at)),
            Primitive::I8 => leaf!(i8, arrow_array::types::Int8Type),
            Primitive::U8 => leaf!(u8, arrow_array::types::UInt8Type),
            Primitive::I16 => leaf!(i16, arrow_array::types::Int16Type),
            Primitive::U16 => leaf!(u16, arrow_array::types::UInt16Type),
            Primitive::I32 => leaf!(i32, arrow_array::types::Int32Type),
            Primitive::U32 => leaf!(u32, arrow_array::types::UInt32Type),
            Primitive::I64 => leaf!(i64, arrow_array::types::Int64Type),
            Primitive::U64 => leaf!(u64, arrow_array::types::UInt64Type),
            Primitive::F32 => leaf!(f32, arrow_array::types::Float32Type),
            Primitive::F64 => leaf!(f64, arrow_array::types::Float64Type),
        }
    }

    /// The size of each entry's collection in `range`, for the cardinality field `f`: the
    /// differences of its index column (whose offsets restart in every cluster).
    fn read_cardinality(&self, f: &RField, range: Range<u64>) -> Result<Vec<u64>> {
        let field = *f.chain.last().unwrap_or(&0);
        let mut out = Vec::new();
        for (k, c) in self.clusters.iter().enumerate() {
            let (c0, c1) = (c.first_entry, c.first_entry + c.entries);
            if c1 <= range.start || c0 >= range.end {
                continue;
            }
            let (a, b) = (range.start.max(c0) - c0, range.end.min(c1) - c0);
            let idx: Vec<u64> = self.elements(field, k, Some(c.entries), a.saturating_sub(1), b)?;
            let (mut prev, ends) =
                if a == 0 { (0, &idx[..]) } else { (idx.first().copied().unwrap_or(0), idx.get(1..).unwrap_or(&[])) };
            for &e in ends {
                let n = e.checked_sub(prev).ok_or_else(|| Error::Malformed {
                    what: "RNTuple index column",
                    offset: self.page_at(field, k),
                    detail: format!("offsets fall from {prev} to {e}"),
                })?;
                out.push(n);
                prev = e;
            }
        }
        Ok(out)
    }

    /// The leaf values of entries `range`, and the list offsets of each collection level
    /// (outermost first), from 0.
    fn read_typed<T: Elem>(&self, f: &RField, ty: ColumnType, range: Range<u64>) -> Result<(Vec<T>, Vec<Vec<i64>>)> {
        let levels = match ty.layout {
            Layout::Vector | Layout::JaggedArray(_) => 1,
            Layout::VectorVector => 2,
            Layout::VectorVectorVector => 3,
            _ => 0,
        };
        let per_entry = match ty.layout {
            Layout::Array(_) | Layout::Matrix { .. } | Layout::NdArray(_) => {
                ty.layout.fixed_len().unwrap_or(usize::MAX) as u64
            }
            _ => 1,
        };
        let mut values = Vec::new();
        let mut lists: Vec<Vec<i64>> = vec![vec![0]; levels];
        for (k, c) in self.clusters.iter().enumerate() {
            let (c0, c1) = (c.first_entry, c.first_entry + c.entries);
            if c1 <= range.start || c0 >= range.end {
                continue;
            }
            // Entries of this cluster, then element ranges level by level (cluster-relative).
            let (a, b) = (range.start.max(c0) - c0, range.end.min(c1) - c0);
            let items_of = |e: u64, n: u64| {
                e.checked_mul(n).ok_or_else(|| Error::Overflow {
                    what: "RNTuple array field",
                    offset: self.header_at,
                    detail: format!("{n} items per entry"),
                })
            };
            let mut span = (items_of(a, per_entry)?, items_of(b, per_entry)?);
            for (level, &field) in f.chain.iter().take(levels).enumerate() {
                let from = span.0.saturating_sub(1);
                let whole = (level == 0).then(|| c.entries.saturating_mul(per_entry));
                let idx: Vec<u64> = self.elements(field, k, whole, from, span.1)?;
                let mut ends = idx.as_slice();
                let start = if span.0 == 0 { 0 } else { ends[0] };
                if span.0 > 0 {
                    ends = &ends[1..];
                }
                let out = &mut lists[level];
                let base = *out.last().unwrap_or(&0);
                let mut prev = start;
                for &e in ends {
                    if e < prev {
                        return Err(Error::Malformed {
                            what: "RNTuple index column",
                            offset: self.page_at(field, k),
                            detail: format!("offsets fall from {prev} to {e}"),
                        });
                    }
                    let len = i64::try_from(e - start).map_err(|_| Error::Overflow {
                        what: "RNTuple index column",
                        offset: self.page_at(field, k),
                        detail: format!("offset {e}"),
                    })?;
                    out.push(base + len);
                    prev = e;
                }
                span = (start, prev);
            }
            // The items of a vector of `std::array<T, n>` are `n` values each.
            if let Layout::JaggedArray(n) = ty.layout {
                span = (items_of(span.0, n as u64)?, items_of(span.1, n as u64)?);
            }
            let leaf = *f.chain.last().unwrap_or(&0);
            let whole = (levels == 0).then(|| c.entries.saturating_mul(per_entry));
            values.extend(self.elements::<T>(leaf, k, whole, span.0, span.1)?);
        }
        Ok((values, lists))
    }

    /// Elements `[from, to)` (cluster-relative) of field `field`'s column in cluster `k`, from
    /// the representation that is active there. `whole` is the column's element count in the
    /// cluster where the entries fix it (the field's outermost column: entries × items).
    fn elements<T: Elem>(&self, field: usize, k: usize, whole: Option<u64>, from: u64, to: u64) -> Result<Vec<T>> {
        if from == to {
            // Nothing asked (the items of empty lists): also where a collection added late has
            // no item column yet.
            return Ok(Vec::new());
        }
        let cluster = &self.clusters[k];
        let reps = &self.field_columns[field];
        let active = reps
            .iter()
            .filter_map(|r| r.first().copied())
            .find(|&c| cluster.columns.get(c).is_some_and(|r| r.first.is_some()));
        let limit = self.file.limits().max_object_bytes / std::mem::size_of::<T>().max(1) as u64;
        if to.saturating_sub(from) > limit {
            return Err(Error::LimitExceeded {
                what: "RNTuple column read",
                offset: self.page_at(field, k),
                size: to - from,
                limit,
            });
        }
        let Some(c) = active else {
            // A column added late (deferred) has no pages in the clusters before it: zeros.
            if reps.iter().flatten().all(|&c| cluster.columns.get(c).is_none() && self.columns[c].first_element != 0) {
                return Ok(vec![T::default(); usize::try_from(to.saturating_sub(from)).unwrap_or(0)]);
            }
            return Err(Error::Malformed {
                what: "RNTuple page list",
                offset: self.lists_at,
                detail: format!("no column of field {:?} is active in cluster {k}", self.fields[field].name),
            });
        };
        let d = &self.columns[c];
        let kind = Kind::of(d.kind, d.bits, d.range).map_err(|detail| Error::Malformed {
            what: "RNTuple column",
            offset: self.header_at,
            detail,
        })?;
        let range = &cluster.columns[c];
        let pages = &range.pages;
        let stored: u64 = pages.iter().map(|p| u64::from(p.elements)).sum();
        // Where the column's elements of this cluster start: the end of the previous cluster's.
        // A column added late (deferred) stores nothing for its first elements, which read as
        // zeros: the cluster where it starts holds `first - start` synthetic elements. Where the
        // previous cluster has no such column (it was added in the middle of this one), the
        // entries say how many elements the cluster holds, if this is the outermost column.
        let first = range.first.unwrap_or(0);
        let previous = match k {
            0 => Some(0),
            _ => self.clusters[k - 1]
                .columns
                .get(c)
                .and_then(|r| r.first.map(|f| f + r.pages.iter().map(|p| u64::from(p.elements)).sum::<u64>())),
        };
        let start = match (previous, whole) {
            (Some(p), _) => p.min(first),
            (None, Some(n)) => first.saturating_sub(n.saturating_sub(stored)),
            (None, None) => first,
        };
        let zeros = first - start;
        let deferred = u64::try_from(self.columns[c].first_element).unwrap_or(0);
        if zeros > deferred {
            return Err(Error::Malformed {
                what: "RNTuple page list",
                offset: pages.first().map_or(0, |p| p.locator.offset),
                detail: format!("column {c} starts at element {first} in cluster {k}, after {start}"),
            });
        }
        let total = zeros + stored;
        if to > total || from > to {
            return Err(Error::Malformed {
                what: "RNTuple column",
                offset: pages.first().map_or(0, |p| p.locator.offset),
                detail: format!("elements {from}..{to} asked of column {c}, which has {total} in cluster {k}"),
            });
        }
        let mut out = Vec::with_capacity((to - from) as usize);
        out.resize(zeros.clamp(from, to).saturating_sub(from) as usize, T::default());
        let mut next = zeros;
        let mut page_values = Vec::new();
        for p in pages {
            let n = u64::from(p.elements);
            let (p0, p1) = (next, next + n);
            next = p1;
            if p1 <= from || p0 >= to {
                continue;
            }
            let loc = p.locator;
            let bytes = kind.page_bytes(n).ok_or_else(|| Error::Overflow {
                what: "RNTuple page",
                offset: loc.offset,
                detail: format!("{n} elements"),
            })?;
            let stored = self.file.read_raw("RNTuple page", loc.offset, loc.size)?;
            if p.checksum {
                self.check_page(loc, &stored)?;
            }
            let raw = self.file.unpack("RNTuple page", loc.offset, &stored, bytes)?;
            page_values.clear();
            column::decode(kind, &raw, n as usize, &mut page_values, loc.offset)?;
            let (s, e) = (from.max(p0) - p0, to.min(p1) - p0);
            out.extend_from_slice(&page_values[s as usize..e as usize]);
        }
        Ok(out)
    }
}

impl RNTuple {
    /// The XXH3 checksum stored after a page's bytes.
    fn check_page(&self, loc: Locator, bytes: &[u8]) -> Result<()> {
        let at = loc.offset.checked_add(loc.size).ok_or_else(|| Error::Overflow {
            what: "RNTuple page",
            offset: loc.offset,
            detail: "the checksum's offset".into(),
        })?;
        let sum = self.file.read_raw("RNTuple page checksum", at, 8)?;
        let stored = u64::from_le_bytes(sum[..8].try_into().unwrap_or_default());
        let actual = twox_hash::XxHash3_64::oneshot(bytes);
        if actual != stored {
            return Err(Error::Malformed {
                what: "RNTuple page",
                offset: loc.offset,
                detail: format!("XXH3 checksum {actual:#018x} differs from the stored {stored:#018x}"),
            });
        }
        Ok(())
    }
}

fn prim<A: ArrowPrimitiveType>(values: Vec<A::Native>) -> ArrayRef {
    Arc::new(PrimitiveArray::<A>::new(ScalarBuffer::from(values), None))
}

/// Leaf values wrapped in their list levels.
fn wrap(ty: ColumnType, values: ArrayRef, lists: Vec<Vec<i64>>, at: u64) -> Result<ArrayRef> {
    let bad =
        |e: arrow_schema::ArrowError| Error::Malformed { what: "RNTuple field", offset: at, detail: e.to_string() };
    let fixed = |values: ArrayRef, sizes: &[usize]| {
        crate::types::fixed_lists(values, sizes).map_err(|detail| Error::Unsupported {
            what: "RNTuple field",
            offset: at,
            detail,
        })
    };
    let mut out = match ty.layout {
        Layout::Array(_) | Layout::Matrix { .. } | Layout::NdArray(_) => {
            return fixed(values, &ty.layout.fixed_sizes());
        }
        Layout::JaggedArray(n) => fixed(values, &[n])?,
        _ => values,
    };
    for offsets in lists.into_iter().rev() {
        let item = Arc::new(Field::new("item", out.data_type().clone(), false));
        out = Arc::new(
            LargeListArray::try_new(item, OffsetBuffer::new(ScalarBuffer::from(offsets)), out, None).map_err(bad)?,
        );
    }
    Ok(out)
}
