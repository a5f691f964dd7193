//! `cargo xtask conformance [--check]`: hep-io's read of every leaf of the conformance corpus
//! (`test-data/conformance/`, files of scikit-hep-testdata) against uproot's, leaf by leaf.
//!
//! `test-data/conformance/reference.py` wrote, once, a digest of every leaf uproot decodes to
//! numbers (`reference.json`, committed); this task reads the same leaves with hep-io, digests
//! them the same way and classifies each: exact, missing (with hep-io's reason) or differing.
//! The table goes to `docs/conformance.md`; `--check` fails if any leaf differs or if the table
//! on disk is not the one this run writes (CI runs it; no Python needed).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, GenericListArray, OffsetSizeTrait, RecordBatch};
use arrow_schema::DataType;
use hep_io::RootFile;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What became of one leaf.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    /// Same type, same lists, same values.
    Exact,
    /// Equal to ROOT's own decode, which uproot's differs from (range-mode `Float16_t` /
    /// `Double32_t`: `reference.py` decodes them as ROOT does too).
    AsRoot,
    /// hep-io does not read it; why.
    Missing(String),
    /// The same bits as an integer of the same width and the other signedness: hep-io follows
    /// the type the file declares (a class member `int` streamed as `kCounter`, which uproot
    /// reads as `uint32`); the types.
    Signedness(String),
    /// Read, but not as uproot reads it; how.
    Differs(String),
    /// A branch filled apart from its tree, with fewer entries than the tree: not a column
    /// of the tree's entries (hep-io lists it as not read); uproot reads its own entries. Its
    /// entries, the tree's, and the values uproot reads.
    Apart(u64, u64, u64),
}

/// The digest of an Arrow column as `reference.py` computes it from awkward: per list level,
/// the item counts (u64 LE), then the values (LE; booleans one byte). `None`: not a numeric
/// leaf in lists (with why).
fn digest(array: &ArrayRef) -> Result<(String, usize, Vec<usize>, String), String> {
    let mut hash = Sha256::new();
    let mut levels = Vec::new();
    // Descend the list levels, keeping the range of items of the current level.
    let mut current: ArrayRef = array.clone();
    loop {
        let (counts, child): (Vec<u64>, ArrayRef) = match current.data_type() {
            DataType::List(_) => list_level(current.as_list::<i32>()),
            DataType::LargeList(_) => list_level(current.as_list::<i64>()),
            DataType::FixedSizeList(_, n) => {
                let l = current.as_any().downcast_ref::<arrow_array::FixedSizeListArray>().ok_or("a fixed list")?;
                let n = *n as usize;
                let counts = vec![n as u64; l.len()];
                (counts, l.values().slice(l.offset() * n, l.len() * n))
            }
            _ => break,
        };
        levels.push(counts.len());
        for c in &counts {
            hash.update(c.to_le_bytes());
        }
        current = child;
    }
    if current.null_count() > 0 {
        return Err(format!("{} null values", current.null_count()));
    }
    let data = current.to_data();
    let (dtype, width) = match current.data_type() {
        DataType::Boolean => ("bool", 0),
        DataType::Int8 => ("int8", 1),
        DataType::UInt8 => ("uint8", 1),
        DataType::Int16 => ("int16", 2),
        DataType::UInt16 => ("uint16", 2),
        DataType::Int32 => ("int32", 4),
        DataType::UInt32 => ("uint32", 4),
        DataType::Int64 => ("int64", 8),
        DataType::UInt64 => ("uint64", 8),
        DataType::Float32 => ("float32", 4),
        DataType::Float64 => ("float64", 8),
        other => return Err(format!("values of type {other}")),
    };
    let n = current.len();
    if width == 0 {
        let b = current.as_any().downcast_ref::<arrow_array::BooleanArray>().ok_or("booleans")?;
        let bytes: Vec<u8> = b.values().iter().map(u8::from).collect();
        hash.update(&bytes);
    } else {
        // Primitive arrays on little-endian machines: the buffer is the values' LE bytes.
        let start = data.offset() * width;
        hash.update(&data.buffers()[0].as_slice()[start..start + n * width]);
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((dtype.to_string(), n, levels, hex))
}

/// The item count of every list of a `List` or `LargeList` level, and the items they hold.
fn list_level<O: OffsetSizeTrait>(l: &GenericListArray<O>) -> (Vec<u64>, ArrayRef) {
    let o = l.value_offsets();
    let (first, last) = (o[0].as_usize(), o[o.len() - 1].as_usize());
    let counts = o.windows(2).map(|w| (w[1] - w[0]).as_usize() as u64).collect();
    (counts, l.values().slice(first, last - first))
}

fn compare(reference: &Value, column: &ArrayRef) -> Outcome {
    let against_uproot = check(reference, column);
    match (&against_uproot, reference.get("root")) {
        (Outcome::Differs(_), Some(root)) if check(root, column) == Outcome::Exact => Outcome::AsRoot,
        _ => against_uproot,
    }
}

fn check(reference: &Value, column: &ArrayRef) -> Outcome {
    match digest(column) {
        Err(why) => Outcome::Differs(why),
        Ok((dtype, n, levels, sha)) => {
            let want_dtype = reference["dtype"].as_str().unwrap_or("");
            let want_levels: Vec<usize> = reference["levels"]
                .as_array()
                .map(|l| l.iter().filter_map(|x| x.as_u64()).map(|x| x as usize).collect())
                .unwrap_or_default();
            let same_bits = reference["sha256"].as_str() == Some(sha.as_str())
                && dtype.trim_start_matches('u') == want_dtype.trim_start_matches('u')
                && dtype.contains("int");
            if dtype != want_dtype && same_bits {
                Outcome::Signedness(format!("{dtype}, uproot {want_dtype}"))
            } else if dtype != want_dtype {
                Outcome::Differs(format!("type {dtype}, uproot {want_dtype}"))
            } else if levels.len() != want_levels.len() {
                Outcome::Differs(format!("{} list levels, uproot {}", levels.len(), want_levels.len()))
            } else if reference["values"].as_u64() != Some(n as u64) {
                Outcome::Differs(format!("{n} values, uproot {}", reference["values"]))
            } else if reference["sha256"].as_str() != Some(sha.as_str()) {
                Outcome::Differs("values or list lengths differ".into())
            } else {
                Outcome::Exact
            }
        }
    }
}

/// Each column of an object by name, or why it was not read.
type Columns = BTreeMap<String, Result<ArrayRef, String>>;

/// The branches with fewer entries than their tree, by path: their entries, the tree's.
type Apart = BTreeMap<String, (u64, u64)>;

/// The columns of a whole read (`all`), or, where it failed, of each column read alone; the
/// whole read's error, if any.
fn gather(
    all: Result<RecordBatch, String>,
    names: &[String],
    one: impl Fn(&str) -> Result<ArrayRef, String>,
    out: &mut Columns,
) -> Option<String> {
    match all {
        Ok(batch) => {
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                out.insert(field.name().clone(), Ok(column.clone()));
            }
            None
        }
        Err(e) => {
            for name in names {
                out.insert(name.clone(), one(name));
            }
            Some(e)
        }
    }
}

/// One object's line of the table: its exact, missing and differing leaves.
struct Row {
    file: String,
    object: String,
    format: &'static str,
    counts: [usize; 3],
}

/// Every leaf of one object: its outcome; and why the object cannot be read whole (all its
/// readable columns in one read, as `hepfloat` reads it), if it cannot.
fn object(
    file: &RootFile,
    path: &str,
    rntuple: bool,
    leaves: &serde_json::Map<String, Value>,
) -> (BTreeMap<String, Outcome>, Option<String>) {
    let mut out = BTreeMap::new();
    // Every column in one read; where that fails, each column alone, so that one unreadable
    // branch does not hide the others (its error is its reason).
    let mut whole = None;
    let read: Result<(Columns, BTreeMap<String, String>, Apart), String> = (|| {
        let mut why = BTreeMap::new();
        let mut columns = BTreeMap::new();
        let mut apart = BTreeMap::new();
        if rntuple {
            let r = file.rntuple(path).map_err(|e| e.to_string())?;
            for f in r.fields() {
                if let Err(e) = &f.column {
                    why.insert(f.name.clone(), e.to_string());
                }
            }
            let sel = r.select_supported(&["*"]).map_err(|e| e.to_string())?;
            let one = |name: &str| -> Result<ArrayRef, String> {
                let sel = r.select_supported(&[name]).map_err(|e| e.to_string())?;
                Ok(r.read(&sel, 0..r.entries()).map_err(|e| e.to_string())?.column(0).clone())
            };
            whole = gather(r.read(&sel, 0..r.entries()).map_err(|e| e.to_string()), sel.columns(), one, &mut columns);
        } else {
            let t = file.tree(path).map_err(|e| e.to_string())?;
            for b in t.branches().iter().filter(|b| b.entries < t.entries()) {
                apart.insert(b.path.clone(), (b.entries, t.entries()));
            }
            for b in t.branches() {
                if let Err(e) = &b.column {
                    why.insert(b.path.clone(), e.to_string());
                }
            }
            let sel = t.select_readable(&["*"]).map_err(|e| e.to_string())?;
            for d in sel.damaged() {
                why.insert(d.branch.clone(), d.to_string());
            }
            let one = |name: &str| -> Result<ArrayRef, String> {
                let sel = t.select_readable(&[name]).map_err(|e| e.to_string())?;
                Ok(t.read(&sel, 0..t.entries()).map_err(|e| e.to_string())?.column(0).clone())
            };
            whole = gather(t.read(&sel, 0..t.entries()).map_err(|e| e.to_string()), sel.columns(), one, &mut columns);
        }
        Ok((columns, why, apart))
    })();
    for (name, reference) in leaves {
        if reference.get("skip").is_some() {
            continue;
        }
        let outcome = match &read {
            Err(e) => Outcome::Missing(format!("the object is not read: {e}")),
            Ok((_, _, apart)) if apart.contains_key(name) => {
                let (own, tree) = apart[name];
                Outcome::Apart(own, tree, reference["values"].as_u64().unwrap_or(0))
            }
            Ok((columns, why, _)) => match columns.get(name) {
                Some(Ok(c)) => compare(reference, c),
                Some(Err(e)) => Outcome::Missing(format!("not read: {e}")),
                None => Outcome::Missing(why.get(name).cloned().unwrap_or_else(|| "no column of that name".into())),
            },
        };
        out.insert(name.clone(), outcome);
    }
    if let Err(e) = &read {
        whole = Some(e.clone());
    }
    (out, whole)
}

/// A reason on one line of at most 160 characters.
fn one_line(reason: &str) -> String {
    let s: String = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 160 { s.chars().take(160).collect::<String>() + "…" } else { s }
}

/// A reason as the summary table groups it: numbers written `N`, quoted names `"…"`, one line
/// of at most 90 characters.
fn kind(reason: &str) -> String {
    let r = reason.strip_prefix("unsupported: ").unwrap_or(reason);
    let mut s = String::new();
    let mut quoted = false;
    for c in r.chars() {
        if c == '"' {
            if !quoted {
                s.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if quoted {
        } else if c.is_whitespace() {
            if !s.ends_with(' ') {
                s.push(' ');
            }
        } else if c.is_ascii_digit() {
            if !s.ends_with('N') {
                s.push('N');
            }
        } else {
            s.push(c);
        }
    }
    if s.chars().count() > 90 {
        s = s.chars().take(90).collect::<String>() + "…";
    }
    s
}

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    const USAGE: &str = "usage: cargo xtask conformance [--check] [--corpus DIR --out FILE]";
    let (mut check, mut corpus, mut out) = (false, None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--check" => check = true,
            "--corpus" => corpus = Some(std::path::PathBuf::from(it.next().ok_or(USAGE)?)),
            "--out" => out = Some(std::path::PathBuf::from(it.next().ok_or(USAGE)?)),
            _ => return Err(USAGE.into()),
        }
    }
    // The committed corpus and table, or another folder of files with its own `reference.json`
    // (e.g. the scikit-hep-testdata files too large to vendor) and a table elsewhere.
    let vendored = corpus.is_none();
    if vendored != out.is_none() {
        return Err(USAGE.into());
    }
    let corpus = corpus.unwrap_or_else(|| root.join("test-data/conformance"));
    let out = out.unwrap_or_else(|| root.join("docs/conformance.md"));
    let text = std::fs::read_to_string(corpus.join("reference.json")).map_err(|e| format!("reference.json: {e}"))?;
    let reference: Value = serde_json::from_str(&text).map_err(|e| format!("reference.json: {e}"))?;
    let files = reference["files"].as_object().ok_or("reference.json has no files")?;
    let mut rows: Vec<Row> = Vec::new();
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    let mut missing_leaves = Vec::new();
    let mut differing = Vec::new();
    let mut as_root = Vec::new();
    let mut not_whole = Vec::new();
    let mut signedness = Vec::new();
    let mut apart = Vec::new();
    let mut uproot_skips: BTreeMap<String, usize> = BTreeMap::new();
    for (fname, f) in files {
        let Some(objects) = f["objects"].as_object() else { continue };
        let opened = RootFile::open(corpus.join(fname));
        let rntuples = opened.as_ref().ok().and_then(|f| f.rntuples().ok()).unwrap_or_default();
        for (path, leaves) in objects {
            let Some(leaves) = leaves.as_object() else { continue };
            for l in leaves.values() {
                if let Some(s) = l["skip"].as_str() {
                    *uproot_skips.entry(kind(s)).or_default() += 1;
                }
            }
            let rntuple = rntuples.iter().any(|r| r == path);
            let (outcomes, whole) = match &opened {
                Ok(file) => object(file, path, rntuple, leaves),
                Err(e) => (
                    leaves
                        .iter()
                        .filter(|(_, v)| v.get("skip").is_none())
                        .map(|(k, _)| (k.clone(), Outcome::Missing(format!("the file is not opened: {e}"))))
                        .collect(),
                    Some(format!("the file is not opened: {e}")),
                ),
            };
            if let Some(why) = whole {
                let n = outcomes.len();
                not_whole.push(format!("`{fname}` `{path}` ({n} numeric leaves): {}", one_line(&why)));
            }
            let (mut e, mut m, mut d) = (0, 0, 0);
            for (leaf, o) in &outcomes {
                match o {
                    Outcome::Exact => e += 1,
                    Outcome::AsRoot => {
                        e += 1;
                        as_root.push(format!("`{fname}` `{path}` `{leaf}`"));
                    }
                    Outcome::Signedness(types) => {
                        e += 1;
                        signedness.push(format!("`{fname}` `{path}` `{leaf}`: {types}"));
                    }
                    Outcome::Missing(why) => {
                        m += 1;
                        *missing.entry(kind(why)).or_default() += 1;
                        missing_leaves.push(format!("`{fname}` `{path}` `{leaf}`: {}", one_line(why)));
                    }
                    Outcome::Differs(how) => {
                        d += 1;
                        differing.push(format!("`{fname}` `{path}` `{leaf}`: {how}"));
                    }
                    Outcome::Apart(own, entries, values) => apart.push(format!(
                        "`{fname}` `{path}` `{leaf}`: {own} of {entries} entries; uproot reads {values} values"
                    )),
                }
            }
            let format = if rntuple { "RNTuple" } else { "TTree" };
            rows.push(Row { file: fname.clone(), object: path.clone(), format, counts: [e, m, d] });
        }
    }
    // Exact, missing and differing leaves of the objects of one format (all with `None`).
    let total = |fmt: Option<&str>| -> [usize; 3] {
        rows.iter()
            .filter(|r| fmt.is_none_or(|f| r.format == f))
            .fold([0; 3], |t, r| [t[0] + r.counts[0], t[1] + r.counts[1], t[2] + r.counts[2]])
    };
    let mut md = String::new();
    let made_by = &reference["made_by"];
    let _ = writeln!(
        md,
        "# Reader conformance: hep-io against uproot, leaf by leaf\n\n\
         Generated by `cargo xtask conformance{}` (do not edit by hand). The corpus is {} files of \
         [scikit-hep-testdata](https://github.com/scikit-hep/scikit-hep-testdata) (BSD-3, the files \
         uproot's own tests use){}. `test-data/conformance/reference.py` \
         digested every leaf uproot {} (awkward {}) decodes to numbers — its list lengths at every \
         level, then its values in their own type — into `reference.json`; this command reads the \
         same leaves with hep-io and compares. A leaf is *exact* when type, list lengths and values \
         all agree bit for bit. RNTuple cardinality fields (`ROOT::RNTupleCardinality<std::uint32_t>`, \
         a collection's size per entry) are compared in the type the file declares; uproot gives \
         them as `int64`.\n",
        if vendored {
            String::new()
        } else {
            let (r, o) = (root.canonicalize().unwrap_or(root.into()), out.canonicalize().unwrap_or(out.clone()));
            format!(" --corpus DIR --out {}", o.strip_prefix(&r).unwrap_or(&o).display())
        },
        files.len(),
        if vendored {
            " in `test-data/conformance/`: every RNTuple file but the PHYSLITE one \
             (`test-data/physlite_rntuple.root`, checked by `crates/hep-io/tests/rntuple.rs`), every \
             TTree file under 40 kB, one sample file per codec, and eight larger files with what the \
             small ones lack (a Delphes tree, an ALICE tree of split classes, baskets kept in the \
             tree's record, `ROOT::RVec`, a KM3NeT tree of vectors inside split vectors, two files \
             of ROOT 4 with `TTree` version 5, a tree with a branch its writer stored no data for). \
             The other files of scikit-hep-testdata are measured in \
             [conformance-large.md](conformance-large.md)"
        } else {
            ", every ROOT file of it that `test-data/conformance/` does not vendor and that the \
             snapshot it was taken from holds (`test-data/conformance/large.py` fetches them and \
             digests them with `reference.py`)"
        },
        made_by["uproot"].as_str().unwrap_or("?"),
        made_by["awkward"].as_str().unwrap_or("?"),
    );
    let _ =
        writeln!(md, "| format | objects | numeric leaves | exact | missing | differing |\n|---|---|---|---|---|---|");
    for fmt in ["TTree", "RNTuple"] {
        let objects = rows.iter().filter(|r| r.format == fmt).count();
        let [e, m, d] = total(Some(fmt));
        let _ = writeln!(md, "| {fmt} | {objects} | {} | {e} | {m} | {d} |", e + m + d);
    }
    let _ = writeln!(
        md,
        "\nObjects that cannot be read whole (all their readable columns in one read, as `hepfloat` \
         reads them; the leaves above are then read one column at a time): {}.",
        if not_whole.is_empty() { "none".to_string() } else { not_whole.len().to_string() }
    );
    for o in &not_whole {
        let _ = writeln!(md, "- {o}");
    }
    let _ = writeln!(md, "\n## Why leaves are missing\n");
    if missing_leaves.is_empty() {
        let _ = writeln!(md, "None: every numeric leaf reads.");
    } else {
        let _ = writeln!(md, "| reason | leaves |\n|---|---|");
        let mut reasons: Vec<_> = missing.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (why, n) in &reasons {
            let _ = writeln!(md, "| {} | {n} |", why.replace('|', "\\|"));
        }
        let _ = writeln!(md, "\nEvery missing leaf:\n");
        for l in &missing_leaves {
            let _ = writeln!(md, "- {l}");
        }
    }
    let _ = writeln!(md, "\n## Differing leaves\n");
    if differing.is_empty() {
        let _ = writeln!(md, "None.");
    }
    for d in &differing {
        let _ = writeln!(md, "- {d}");
    }
    let _ = writeln!(
        md,
        "\n## Exact against ROOT's decode, where uproot's differs\n\n\
         Range-mode `Float16_t` / `Double32_t` leaves (`[min, max, n]`): ROOT decodes the stored \
         integer by dividing by `2^n / (max - min)` (`TBufferFile::ReadWithFactor`), uproot multiplies \
         by `(max - min) / 2^n`, which differs in the last bits. hep-io decodes as ROOT does; \
         `reference.py` digests ROOT's decode as well (from the raw integers uproot reads). And \
         `TObject::fBits` of split objects (streamer type 15, `kBits`): ROOT writes a referenced \
         object's bits (bit `kIsReferenced`, 0x10) followed by a 2-byte process-ID index, which \
         uproot reads as more values; `reference.py` also parses the raw bytes as ROOT does. These \
         leaves equal ROOT's decode bit for bit. Counted as exact above.\n"
    );
    for d in &as_root {
        let _ = writeln!(md, "- {d}");
    }
    let _ = writeln!(
        md,
        "\n## The same bits, as the type the file declares\n\n\
         Members declared `int` and streamed as counters (streamer type 6, `kCounter`): ROOT reads \
         an `Int_t`, uproot a `uint32`. hep-io follows the declaration; the values' bits are equal. \
         Counted as exact above.\n"
    );
    for d in &signedness {
        let _ = writeln!(md, "- {d}");
    }
    let _ = writeln!(
        md,
        "\n## Branches filled apart from their tree (not counted above)\n\n\
         A branch with fewer entries than its tree (filled on its own, or added after the tree was \
         filled) cannot be a column of the tree's entries: hep-io does not read it and says why; \
         uproot reads the branch's own entries. {}\n",
        if apart.is_empty() { "None in this corpus." } else { "Every one:" }
    );
    for d in &apart {
        let _ = writeln!(md, "- {d}");
    }
    let _ = writeln!(
        md,
        "\n## Leaves uproot does not decode to numbers (not counted above)\n\n| reason | leaves |\n|---|---|"
    );
    let mut skips: Vec<_> = uproot_skips.into_iter().collect();
    skips.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (why, n) in &skips {
        let _ = writeln!(md, "| {} | {n} |", why.replace('|', "\\|"));
    }
    let _ = writeln!(
        md,
        "\n## Per object\n\n| file | object | format | exact | missing | differing |\n|---|---|---|---|---|---|"
    );
    for Row { file: f, object: o, format: fmt, counts: [e, m, d] } in &rows {
        let _ = writeln!(md, "| {f} | {o} | {fmt} | {e} | {m} | {d} |");
    }
    let [e, m, d] = total(None);
    println!("{} leaves: {e} exact, {m} missing, {d} differing", e + m + d);
    if check {
        // Any leaf whose outcome changed (read where it was missing, differing where it was
        // exact) changes the table: the committed table is the gate.
        let on_disk = std::fs::read_to_string(&out).unwrap_or_default();
        if on_disk != md {
            return Err(
                "docs/conformance.md is not what this run writes: run `cargo xtask conformance` and commit it".into()
            );
        }
        return Ok(());
    }
    std::fs::write(&out, md).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The README's test command (and so CI) checks the committed table: a change to any leaf's
    /// outcome fails here until `cargo xtask conformance` is run and the table committed.
    #[test]
    fn the_committed_conformance_table_is_current() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        super::run(&root, &["--check".to_string()]).unwrap();
    }

    #[test]
    fn reasons_group_by_kind() {
        assert_eq!(super::kind("unsupported: field \"Muon_pt\" has no column"), "field \"…\" has no column");
        assert_eq!(super::kind("unsigned int (streamer type 13)\nmore"), "unsigned int (streamer type N) more");
    }
}
