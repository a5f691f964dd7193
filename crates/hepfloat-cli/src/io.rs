//! Where data comes from (ROOT TTrees, Parquet files, the toy generator) and goes to (Parquet,
//! written under a temporary name and renamed when complete).

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use arrow_array::RecordBatch;
use arrow_schema::{Schema, SchemaRef};
use hep_io::{ParquetOptions, RootFile, Selection, Tree};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use crate::guard::{Caught, guarded};
use crate::output::Temporary;

/// Schema metadata keys `hepfloat compress` writes: how the floats were compressed.
pub const META_SCHEME: &str = "hepfloat.scheme";
/// The comma-separated exemption list.
pub const META_KEEP: &str = "hepfloat.keep";

/// How this process writes Parquet: the command line's `--row-group-mib` and `--page-kib`.
static PARQUET_OPTIONS: std::sync::OnceLock<ParquetOptions> = std::sync::OnceLock::new();

/// Set how every Parquet file of this process is written (once, before any is: later calls
/// are ignored).
pub fn set_parquet_options(options: ParquetOptions) {
    let _ = PARQUET_OPTIONS.set(options);
}

/// How Parquet files are written: what [`set_parquet_options`] set, else the defaults.
pub fn parquet_options() -> ParquetOptions {
    PARQUET_OPTIONS.get().copied().unwrap_or_default()
}

/// Events per batch when streaming, at most (and where the input does not record its sizes).
pub const BATCH_EVENTS: u64 = 10_000;
/// The decoded bytes a streamed batch aims at (see [`Input::batch_events`]).
pub const BATCH_BYTES: u64 = 32 << 20;

enum Kind {
    /// Several files read one after the other, as one source (a dataset).
    Chain {
        parts: Vec<Input>,
    },
    Root {
        tree: Box<Tree>,
        selection: Selection,
    },
    RNTuple {
        ntuple: Box<hep_io::RNTuple>,
        selection: Selection,
    },
    Parquet {
        path: PathBuf,
        columns: Vec<usize>,
    },
    Toy {
        toy: hep_toy::Toy,
        columns: Vec<usize>,
    },
}

/// An opened data source.
pub struct Input {
    kind: Kind,
    entries: u64,
    schema: SchemaRef,
    /// Bytes of the file (0 for the toy).
    pub bytes: u64,
    /// The decoded bytes of the selected columns, where the file records them (TTree branches,
    /// Parquet row groups).
    decoded: Option<u64>,
    /// The name given on the command line.
    pub name: String,
    /// Branches of a ROOT file that damage makes unreadable, skipped on request
    /// (`--skip-damaged`); empty otherwise.
    pub damaged: Vec<hep_io::DamagedBranch>,
    /// What protects the data against damage, per file, where that is known (Parquet: hepfloat's
    /// digest, verified at open, or page CRCs): the file's name, whether it is protected, and
    /// how.
    pub protection: Vec<(String, bool, String)>,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input").field("name", &self.name).field("entries", &self.entries).finish()
    }
}

/// `toy`, `toy:EVENTS` or `toy:EVENTS:SEED`.
pub fn toy_spec(spec: &str) -> Result<Option<(u64, u64)>> {
    let Some(rest) = spec.strip_prefix("toy") else { return Ok(None) };
    if !(rest.is_empty() || rest.starts_with(':')) {
        return Ok(None);
    }
    let mut parts = rest.split(':').skip(1);
    let num = |s: Option<&str>, default: u64| -> Result<u64> {
        s.map_or(Ok(default), |s| s.parse().with_context(|| format!("{spec:?}: {s:?} is not a number")))
    };
    Ok(Some((num(parts.next(), 20_000)?, num(parts.next(), 1)?)))
}

/// The files the command-line arguments name: each argument as it is, except that one whose
/// file name holds a glob (`*`, `?`) is the files of its directory matching it, sorted by name
/// (so that a quoted glob works where the shell does not expand it, and past the shell's limit
/// on arguments). A glob that matches nothing and a file named twice are errors.
pub fn expand_inputs(specs: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for spec in specs {
        let path = Path::new(spec);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if toy_spec(spec)?.is_some() || !name.contains(['*', '?']) {
            out.push(spec.clone());
            continue;
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if dir.to_str().is_some_and(|d| d.contains(['*', '?'])) {
            bail!("{spec}: globs are matched in file names only, not in directories");
        }
        let entries = std::fs::read_dir(&dir).with_context(|| format!("{spec}: cannot list {}", dir.display()))?;
        let mut found: Vec<String> = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("{spec}: cannot list {}", dir.display()))?;
            let file = entry.file_name();
            let Some(file) = file.to_str() else { continue };
            if hep_io::glob_match(name, file) && entry.path().is_file() {
                let shown = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.join(file).display().to_string(),
                    _ => file.to_string(),
                };
                found.push(shown);
            }
        }
        if found.is_empty() {
            bail!("{spec}: no file matches");
        }
        found.sort();
        out.extend(found);
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = out.iter().find(|s| !seen.insert(s.as_str())) {
        bail!("{twice} is given twice: its events would be counted twice");
    }
    Ok(out)
}

impl Input {
    /// Open `files` (the arguments after [`expand_inputs`]) as one source: one file as
    /// [`Input::open_source`] does; several as a dataset whose events are those of each file in
    /// turn (entries counted across files). The files must have the same columns, of the same
    /// types and schemes, and the same file metadata: the first that differs is named.
    pub fn open_dataset(files: &[String], source: &crate::Source) -> Result<Input> {
        if let [one] = files {
            return Self::open_source(one, source);
        }
        let parts = files.iter().map(|f| Self::open_source(f, source)).collect::<Result<Vec<_>>>()?;
        Self::chain(parts)
    }

    /// Several opened sources as one (see [`Input::open_dataset`]).
    fn chain(parts: Vec<Input>) -> Result<Input> {
        let Some(first) = parts.first() else { bail!("no input file") };
        let schema = first.schema();
        for p in &parts[1..] {
            let other = p.schema();
            for f in schema.fields() {
                match other.field_with_name(f.name()) {
                    Err(_) => bail!(
                        "{} has no column {} (which {} has): the files of a dataset must have the same columns",
                        p.name,
                        f.name(),
                        first.name
                    ),
                    Ok(g) if g.data_type() != f.data_type() => bail!(
                        "{}: column {} is {}, in {} it is {}: the files of a dataset must agree",
                        p.name,
                        f.name(),
                        g.data_type(),
                        first.name,
                        f.data_type()
                    ),
                    Ok(g) if g.metadata() != f.metadata() => bail!(
                        "{}: column {} has the metadata {:?}, in {} {:?} (its scheme differs?): the files of a dataset must agree",
                        p.name,
                        f.name(),
                        g.metadata(),
                        first.name,
                        f.metadata()
                    ),
                    Ok(_) => {}
                }
            }
            if let Some(extra) = other.fields().iter().find(|g| schema.field_with_name(g.name()).is_err()) {
                bail!(
                    "{} has a column {} that {} lacks: the files of a dataset must have the same columns",
                    p.name,
                    extra.name(),
                    first.name
                );
            }
            if other.metadata() != schema.metadata() {
                bail!(
                    "{}: its file metadata {:?} differs from {}'s {:?}: the files of a dataset must agree",
                    p.name,
                    other.metadata(),
                    first.name,
                    schema.metadata()
                );
            }
        }
        let entries = parts.iter().try_fold(0u64, |n, p| n.checked_add(p.entries)).context("too many events")?;
        let bytes = parts.iter().map(|p| p.bytes).sum();
        let decoded = parts.iter().map(|p| p.decoded).sum::<Option<u64>>();
        let damaged = parts.iter().flat_map(|p| p.damaged.iter().cloned()).collect();
        let protection = parts.iter().flat_map(|p| p.protection.iter().cloned()).collect();
        let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
        let name = format!("{} files ({} … {})", parts.len(), names[0], names[names.len() - 1]);
        Ok(Input { schema, entries, bytes, decoded, damaged, protection, name, kind: Kind::Chain { parts } })
    }

    /// The files of a dataset, each with its first event's number in it; the source itself
    /// otherwise.
    pub fn parts(&self) -> Vec<(u64, &Input)> {
        match &self.kind {
            Kind::Chain { parts } => {
                let mut at = 0;
                parts
                    .iter()
                    .map(|p| {
                        let first = at;
                        at += p.entries;
                        (first, p)
                    })
                    .collect()
            }
            _ => vec![(0, self)],
        }
    }

    /// The files read whose data nothing protects against damage, for a command's summary line
    /// (`None` if none).
    pub fn unprotected_report(&self) -> Option<String> {
        let files: Vec<String> =
            self.protection.iter().filter(|p| !p.1).map(|(file, _, how)| format!("{file} ({how})")).collect();
        (!files.is_empty()).then(|| {
            format!(
                "not every byte read is checked against damage, which would go unnoticed there: {}",
                files.join("; ")
            )
        })
    }

    /// The damaged branches skipped, for a command's summary line (empty if none) and its JSON.
    pub fn damaged_report(&self) -> (Option<String>, serde_json::Value) {
        let list: Vec<serde_json::Value> = self
            .damaged
            .iter()
            .map(|d| serde_json::json!({"branch": d.branch, "offset": d.offset, "detail": d.detail}))
            .collect();
        let line = (!self.damaged.is_empty()).then(|| {
            let names: Vec<&str> = self.damaged.iter().map(|d| d.branch.as_str()).collect();
            format!("skipped {} damaged branches of {}: {}", names.len(), self.name, names.join(", "))
        });
        (line, serde_json::Value::Array(list))
    }

    /// Open `spec`: a ROOT file (its tree `tree`, or the only / `CollectionTree` one), a Parquet
    /// file, or `toy[:EVENTS[:SEED]]`. `branches` are globs selecting columns (all if empty).
    pub fn open(spec: &str, tree: Option<&str>, branches: &[String]) -> Result<Input> {
        Self::open_with(spec, tree, branches, false)
    }

    /// [`Input::open`] of a command's [`Source`](crate::Source) options (`--skip-damaged`
    /// included).
    pub fn open_source(spec: &str, source: &crate::Source) -> Result<Input> {
        Self::open_with(spec, source.tree.as_deref(), &source.branches, source.skip_damaged)
    }

    /// [`Input::open`]; with `skip_damaged`, branches of a ROOT file that damage makes unreadable
    /// are skipped and listed in [`Input::damaged`] instead of failing the open.
    pub fn open_with(spec: &str, tree: Option<&str>, branches: &[String], skip_damaged: bool) -> Result<Input> {
        let patterns: Vec<String> = if branches.is_empty() { vec!["*".into()] } else { branches.to_vec() };
        if let Some((events, seed)) = toy_spec(spec)? {
            let toy = hep_toy::Toy::new(seed);
            let full = hep_toy::schema();
            let columns = matching(&full, &patterns);
            if columns.is_empty() {
                bail!("{spec}: no column matches {patterns:?}");
            }
            let schema = Arc::new(full.project(&columns)?);
            return Ok(Input {
                kind: Kind::Toy { toy, columns },
                entries: events,
                schema,
                bytes: 0,
                decoded: None,
                name: spec.into(),
                damaged: vec![],
                protection: vec![],
            });
        }
        let path = Path::new(spec);
        // Checked before opening: opening a FIFO would wait for a writer, /dev/zero never ends.
        let bytes = check_regular(path, spec)?;
        let mut magic = [0u8; 4];
        std::io::Read::read_exact(&mut File::open(path).with_context(|| format!("cannot open {spec}"))?, &mut magic)
            .with_context(|| format!("{spec}: too short to be a ROOT or Parquet file"))?;
        match &magic {
            b"root" => {
                let file = RootFile::open(path).with_context(|| format!("cannot read ROOT file {spec}"))?;
                let reading = || format!("cannot read ROOT file {spec}");
                let ntuples = file.rntuples().with_context(reading)?;
                let name = match tree {
                    Some(t) => t.to_string(),
                    None => match file.event_data() {
                        Ok(name) => name,
                        Err(hep_io::Error::NoEventData { found }) => {
                            bail!(
                                "{spec} holds no event TTree or RNTuple (only metadata: {found:?}); choose one with --tree"
                            )
                        }
                        Err(hep_io::Error::SeveralEventData { candidates }) => bail!(
                            "{spec} holds several trees and RNTuples ({}); choose one with --tree",
                            candidates.join(", ")
                        ),
                        Err(e) => return Err(e).with_context(reading),
                    },
                };
                if ntuples.contains(&name) {
                    let ntuple = file
                        .rntuple(&name)
                        .with_context(|| format!("cannot read RNTuple {name:?} of ROOT file {spec}"))?;
                    let selection =
                        ntuple.select_supported(&patterns).with_context(|| format!("{spec}: RNTuple {name:?}"))?;
                    let schema = ntuple.schema(&selection);
                    let (checked, pages) = ntuple.page_checksums();
                    let how = format!("RNTuple page checksums (XXH3) on {checked} of {pages} pages");
                    let protection = vec![(spec.to_string(), checked == pages, how)];
                    return Ok(Input {
                        damaged: selection.damaged().to_vec(),
                        entries: ntuple.entries(),
                        kind: Kind::RNTuple { ntuple: Box::new(ntuple), selection },
                        schema,
                        bytes,
                        decoded: None,
                        name: spec.into(),
                        protection,
                    });
                }
                let tree =
                    file.tree(&name).with_context(|| format!("cannot read tree {name:?} of ROOT file {spec}"))?;
                let selection = if skip_damaged { tree.select_readable(&patterns) } else { tree.select_supported(&patterns) }
                    .map_err(|e| match e {
                        hep_io::Error::DamagedBranch(d) => anyhow!(
                            "{spec}: tree {name:?}: branch {} is damaged at offset {}: {}; skip the damaged branches with --skip-damaged (they are then listed)",
                            d.branch,
                            d.offset,
                            d.detail
                        ),
                        e => anyhow::Error::from(e).context(format!("{spec}: tree {name:?}")),
                    })?;
                let schema = tree.schema(&selection);
                let protection = vec![basket_protection(spec, &tree, selection.columns())];
                let decoded =
                    selection.columns().iter().filter_map(|c| tree.branch(c).ok()).map(|b| b.uncompressed_bytes);
                let decoded = Some(decoded.sum());
                Ok(Input {
                    damaged: selection.damaged().to_vec(),
                    decoded,
                    entries: tree.entries(),
                    kind: Kind::Root { tree: Box::new(tree), selection },
                    schema,
                    bytes,
                    name: spec.into(),
                    protection,
                })
            }
            b"PAR1" => {
                // The data against what protects them, before any value is read: a block that
                // fails hepfloat's digest refuses the file, naming where.
                let protection = match guarded(|| hep_io::verify_parquet(path)) {
                    Ok(Ok(p)) => p,
                    Ok(Err(e @ hep_io::Error::Checksum { .. })) => return Err(e.into()),
                    Ok(Err(e)) => bail!(Damaged::new(spec, None, format!("cannot check its checksums: {e}"))),
                    Err(c) => bail!(Damaged::new(spec, None, panicked(&c))),
                };
                let builder = parquet_builder(path, spec)?;
                let full = builder.schema().clone();
                let columns = matching(&full, &patterns);
                if columns.is_empty() {
                    bail!("{spec}: no column matches {patterns:?}");
                }
                // The digest is the file's, not its data's: not carried into what is written.
                let mut meta = full.metadata().clone();
                meta.remove(hep_io::DIGEST_KEY);
                let schema = Arc::new(Schema::new_with_metadata(
                    columns.iter().map(|&i| full.field(i).clone()).collect::<Vec<_>>(),
                    meta,
                ));
                let rows = builder.metadata().file_metadata().num_rows();
                let decoded = builder.metadata().row_groups().iter().map(|g| u64::try_from(g.total_byte_size()).ok());
                let decoded = decoded.sum::<Option<u64>>();
                let entries = u64::try_from(rows)
                    .map_err(|_| Damaged::new(spec, None, format!("its metadata gives {rows} rows")))?;
                Ok(Input {
                    kind: Kind::Parquet { path: path.into(), columns },
                    entries,
                    schema,
                    bytes,
                    decoded,
                    name: spec.into(),
                    damaged: vec![],
                    protection: vec![(spec.to_string(), protection.is_protected(), protection.to_string())],
                })
            }
            _ => bail!("{spec} is neither a ROOT file nor a Parquet file"),
        }
    }

    /// Events (rows) in the source.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Events per streamed batch: about [`BATCH_BYTES`] of decoded values, from the sizes the
    /// file records (TTree branches, Parquet row groups), so that memory does not depend on how
    /// many values an event holds; [`BATCH_EVENTS`] at most, and where the file does not say.
    pub fn batch_events(&self) -> u64 {
        match self.decoded {
            Some(bytes) if bytes > 0 && self.entries > 0 => {
                let events = u128::from(BATCH_BYTES) * u128::from(self.entries) / u128::from(bytes);
                u64::try_from(events).unwrap_or(u64::MAX).clamp(1, BATCH_EVENTS)
            }
            _ => BATCH_EVENTS,
        }
    }

    /// The selected columns.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Schema metadata (`hepfloat.scheme`, `hepfloat.keep` in files `hepfloat` wrote).
    pub fn metadata(&self) -> &arrow_schema::Metadata {
        self.schema.metadata()
    }

    /// The ROOT tree, if the source is one.
    pub fn tree(&self) -> Option<&Tree> {
        match &self.kind {
            Kind::Root { tree, .. } => Some(tree),
            _ => None,
        }
    }

    /// The RNTuple, if the source is one.
    pub fn rntuple(&self) -> Option<&hep_io::RNTuple> {
        match &self.kind {
            Kind::RNTuple { ntuple, .. } => Some(ntuple),
            _ => None,
        }
    }

    /// The branches or fields of a ROOT source that are not read into Arrow: name, C++ type
    /// and why (empty for Parquet and the toy).
    pub fn unread(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        if let Kind::Chain { parts } = &self.kind {
            // Each name once, as the first file that lists it says.
            for p in parts {
                for u in p.unread() {
                    if !out.iter().any(|o: &(String, String, String)| o.0 == u.0) {
                        out.push(u);
                    }
                }
            }
            return out;
        }
        if let Some(tree) = self.tree() {
            for b in tree.branches() {
                if let Err(why) = &b.column {
                    out.push((b.path.clone(), b.type_name.clone(), why.to_string()));
                }
            }
        }
        if let Some(nt) = self.rntuple() {
            for f in nt.fields() {
                if let Err(why) = &f.column {
                    out.push((f.name.clone(), f.type_name.clone(), why.to_string()));
                }
            }
        }
        out
    }

    /// Stream events `range` (clipped to the source) in batches of `per_batch` events.
    pub fn batches(
        &self,
        range: Range<u64>,
        per_batch: u64,
    ) -> Result<Box<dyn Iterator<Item = Result<RecordBatch>> + '_>> {
        let range = range.start.min(self.entries)..range.end.min(self.entries);
        let per = per_batch.max(1);
        let schema = self.schema.clone();
        Ok(match &self.kind {
            Kind::Chain { .. } => {
                // Batches of `per` events counted from the start of `range`, whatever the files'
                // sizes, so that datasets split into files differently stream in step: each
                // file's share is cut at the dataset's batch boundaries, and the batch a file
                // boundary cuts is the end of one file joined to the start of the next.
                let mut pieces = Vec::new();
                let mut done = 0u64;
                for (first, p) in self.parts() {
                    let end = first + p.entries;
                    if range.start >= end || range.end <= first {
                        continue;
                    }
                    let (mut a, b) = (range.start.max(first) - first, range.end.min(end) - first);
                    let into = done % per;
                    if into != 0 {
                        let head = a..b.min(a + (per - into));
                        pieces.push((p, head.clone()));
                        a = head.end;
                    }
                    if a < b {
                        pieces.push((p, a..b));
                    }
                    done += range.end.min(end) - range.start.max(first);
                }
                let mut pieces = pieces.into_iter();
                let mut current: Option<Box<dyn Iterator<Item = Result<RecordBatch>> + '_>> = None;
                let (mut pending, mut rows): (Vec<RecordBatch>, u64) = (Vec::new(), 0);
                let joined = |pending: &mut Vec<RecordBatch>| -> Result<RecordBatch> {
                    let parts = std::mem::take(pending);
                    Ok(arrow_select::concat::concat_batches(&parts[0].schema(), &parts)?)
                };
                Box::new(std::iter::from_fn(move || {
                    loop {
                        let next = match current.as_mut().and_then(|it| it.next()) {
                            Some(b) => b,
                            None => match pieces.next() {
                                Some((p, r)) => {
                                    match p.batches(r, per) {
                                        Ok(it) => current = Some(it),
                                        Err(e) => return Some(Err(e)),
                                    }
                                    continue;
                                }
                                None if rows > 0 => {
                                    rows = 0;
                                    return Some(joined(&mut pending));
                                }
                                None => return None,
                            },
                        };
                        let b = match next {
                            Ok(b) => b,
                            Err(e) => return Some(Err(e)),
                        };
                        if rows == 0 && b.num_rows() as u64 == per {
                            return Some(Ok(b));
                        }
                        rows += b.num_rows() as u64;
                        pending.push(b);
                        if rows >= per {
                            rows = 0;
                            return Some(joined(&mut pending));
                        }
                    }
                }))
            }
            Kind::Root { tree, selection } => {
                let name = self.name.clone();
                Box::new(tree.batches(selection).entries(range).entries_per_batch(per).map(move |b| {
                    b.map_err(anyhow::Error::from).with_context(|| format!("cannot read ROOT file {name}"))
                }))
            }
            Kind::RNTuple { ntuple, selection } => {
                let name = self.name.clone();
                Box::new(ntuple.batches(selection).entries(range).entries_per_batch(per).map(move |b| {
                    b.map_err(anyhow::Error::from).with_context(|| format!("cannot read ROOT file {name}"))
                }))
            }
            Kind::Toy { toy, columns } => Box::new(toy.batches(range, per).map(|b| Ok(b?.project(columns)?))),
            Kind::Parquet { path, columns } => {
                Box::new(ParquetBatches::new(path, &self.name, columns, schema, range, usize::try_from(per)?)?)
            }
        })
    }
}

/// Whether the baskets of the selected `branches` of `tree` are checked when read (by the first
/// basket of each: its codec's check), as a protection entry of [`Input::protection`].
fn basket_protection(spec: &str, tree: &Tree, branches: &[String]) -> (String, bool, String) {
    let mut kinds: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut checked = 0;
    for b in branches {
        let kind = match tree.storage(b) {
            Ok(Some(s)) => {
                checked += usize::from(s.checked);
                match (s.codec, s.checked) {
                    (None, _) => "raw".to_string(),
                    (Some(hep_io::Codec::Zstd), false) => "zstd without checksum".to_string(),
                    (Some(c), _) => c.name().to_string(),
                }
            }
            Ok(None) => {
                checked += 1; // no basket on disk: nothing to damage
                "no basket on disk".to_string()
            }
            Err(_) => "unreadable key".to_string(),
        };
        *kinds.entry(kind).or_default() += 1;
    }
    let shown: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let how = format!(
        "TTree baskets checked on read in {checked} of {} branches ({})",
        branches.len(),
        if shown.is_empty() { "none selected".to_string() } else { shown.join(", ") }
    );
    (spec.to_string(), checked == branches.len(), how)
}

/// A file that a decoder could not read: damaged, or not what it claims to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// The file as given on the command line.
    pub file: String,
    /// The column whose data is damaged, where known.
    pub column: Option<String>,
    /// What the decoder said.
    pub detail: String,
}

impl Damaged {
    fn new(file: &str, column: Option<String>, detail: String) -> Damaged {
        Damaged { file: file.into(), column, detail }
    }
}

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is damaged", self.file)?;
        if let Some(c) = &self.column {
            write!(f, " (column {c})")?;
        }
        write!(f, ": {}", self.detail)
    }
}

impl std::error::Error for Damaged {}

/// The size of `path` if it is a regular file; a clear error (naming it as `shown`) for a
/// missing file, a directory, a FIFO, a device or a socket, decided without opening it.
pub fn check_regular(path: &Path, shown: &str) -> Result<u64> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot open {shown}"))?;
    if meta.is_dir() {
        bail!("{shown} is a directory, not a file");
    }
    if !meta.is_file() {
        bail!("{shown} is not a regular file (a FIFO, device or socket); give a file");
    }
    Ok(meta.len())
}

/// The decoder's message for a caught panic.
fn panicked(c: &Caught) -> String {
    format!("the Parquet decoder failed on it (a panic in the parquet crate: {c})")
}

/// Open a Parquet file's metadata, panics in the decoder turned into [`Damaged`].
fn parquet_builder(path: &Path, shown: &str) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).with_context(|| format!("cannot open {shown}"))?;
    match guarded(|| ParquetRecordBatchReaderBuilder::try_new(file)) {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) => Err(Damaged::new(shown, None, format!("cannot read its Parquet metadata: {e}")).into()),
        Err(c) => Err(Damaged::new(shown, None, panicked(&c)).into()),
    }
}

/// A Parquet file's footer, read and checked once for all the readers of [`ParquetBatches`].
fn parquet_metadata(path: &Path, shown: &str) -> Result<ArrowReaderMetadata> {
    let file = File::open(path).with_context(|| format!("cannot open {shown}"))?;
    match guarded(|| ArrowReaderMetadata::load(&file, Default::default())) {
        Ok(Ok(m)) => Ok(m),
        Ok(Err(e)) => Err(Damaged::new(shown, None, format!("cannot read its Parquet metadata: {e}")).into()),
        Err(c) => Err(Damaged::new(shown, None, panicked(&c)).into()),
    }
}

/// A Parquet reader over rows `offset..offset + limit` of the columns `columns`, with the file's
/// footer `meta` already read.
fn parquet_reader(
    path: &Path,
    shown: &str,
    meta: &ArrowReaderMetadata,
    columns: &[usize],
    (per, offset, limit): (usize, usize, usize),
) -> Result<ParquetRecordBatchReader> {
    let file = File::open(path).with_context(|| format!("cannot open {shown}"))?;
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone());
    let mask = ProjectionMask::roots(builder.parquet_schema(), columns.iter().copied());
    let build = || builder.with_projection(mask).with_batch_size(per).with_offset(offset).with_limit(limit).build();
    match guarded(build) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(Damaged::new(shown, None, e.to_string()).into()),
        Err(c) => Err(Damaged::new(shown, None, panicked(&c)).into()),
    }
}

/// The batches of a Parquet file, every step guarded; the first error ends the stream and names
/// the damaged column where reading the columns one by one finds it. The columns are read by
/// several readers side by side (contiguous groups of columns, one per task on rayon's pool,
/// a single reader on one thread), their batches joined: the same batches whatever the number.
struct ParquetBatches {
    /// One reader per group of columns, all at the same rows; `None` once ended.
    readers: Option<Vec<ParquetRecordBatchReader>>,
    /// The file's footer, shared by the readers.
    meta: ArrowReaderMetadata,
    path: PathBuf,
    name: String,
    columns: Vec<usize>,
    schema: SchemaRef,
    per: usize,
    /// The row the next batch starts at.
    at: usize,
}

impl ParquetBatches {
    fn new(
        path: &Path,
        name: &str,
        columns: &[usize],
        schema: SchemaRef,
        range: Range<u64>,
        per: usize,
    ) -> Result<Self> {
        let (offset, limit) = (usize::try_from(range.start)?, usize::try_from(range.end - range.start)?);
        // The batch's columns come in the file's order: contiguous groups of the sorted indices
        // join back in that order.
        let mut sorted = columns.to_vec();
        sorted.sort_unstable();
        let groups = if rayon::current_num_threads() > 1 { 4 * rayon::current_num_threads() } else { 1 };
        let size = sorted.len().div_ceil(groups).max(1);
        let mut groups: Vec<&[usize]> = sorted.chunks(size).collect();
        if groups.is_empty() {
            groups.push(&[]);
        }
        let meta = parquet_metadata(path, name)?;
        let readers = groups
            .iter()
            .map(|group| parquet_reader(path, name, &meta, group, (per, offset, limit)))
            .collect::<Result<Vec<_>>>()?;
        Ok(ParquetBatches {
            readers: Some(readers),
            meta,
            path: path.into(),
            name: name.into(),
            columns: columns.to_vec(),
            schema,
            per,
            at: offset,
        })
    }

    /// The error for a failed batch, with the first column that fails on its own.
    fn damaged(&self, detail: String) -> anyhow::Error {
        let column = self.columns.iter().find_map(|&c| {
            let fails = match parquet_reader(&self.path, &self.name, &self.meta, &[c], (self.per, self.at, self.per)) {
                Err(_) => true,
                Ok(mut r) => !matches!(guarded(|| r.next()), Ok(Some(Ok(_)) | None)),
            };
            fails.then(|| self.column_name(c))
        });
        Damaged::new(&self.name, column, detail).into()
    }

    /// The name of the file's column `index`.
    fn column_name(&self, index: usize) -> String {
        let at = self.columns.iter().position(|&c| c == index).unwrap_or(0);
        self.schema.fields().get(at).map_or_else(|| format!("#{index}"), |f| f.name().clone())
    }
}

impl Iterator for ParquetBatches {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Result<RecordBatch>> {
        use rayon::prelude::*;
        let readers = self.readers.as_mut()?;
        let parts: Vec<_> = readers.par_iter_mut().map(|r| guarded(|| r.next())).collect();
        let mut columns = Vec::with_capacity(self.schema.fields().len());
        let (mut rows, mut ended) = (None, 0);
        let mut detail = None;
        for part in parts {
            match part {
                Ok(None) => ended += 1,
                Ok(Some(Ok(b))) => {
                    if *rows.get_or_insert(b.num_rows()) != b.num_rows() {
                        detail.get_or_insert_with(|| "its columns hold different numbers of rows".to_string());
                    }
                    columns.extend_from_slice(b.columns());
                }
                Ok(Some(Err(e))) => _ = detail.get_or_insert(e.to_string()),
                Err(c) => _ = detail.get_or_insert(panicked(&c)),
            }
        }
        let detail = match (detail, ended) {
            (None, 0) => {
                self.at += rows.unwrap_or(0);
                // Carry the file's metadata on every batch, like the schema.
                let batch = RecordBatch::try_new(self.schema.clone(), columns)
                    .with_context(|| format!("{} is damaged: a batch does not match its schema", self.name));
                return Some(batch);
            }
            (None, n) if n == readers.len() => {
                self.readers = None;
                return None;
            }
            (None, _) => "its columns hold different numbers of rows".to_string(),
            (Some(d), _) => d,
        };
        self.readers = None;
        Some(Err(self.damaged(detail)))
    }
}

/// Indices of the fields of `schema` matching any of the globs.
fn matching(schema: &Schema, patterns: &[String]) -> Vec<usize> {
    let hit = |name: &str| patterns.iter().any(|p| hep_io::glob_match(p, name));
    schema.fields().iter().enumerate().filter(|(_, f)| hit(f.name())).map(|(i, _)| i).collect()
}

/// Parse `A..B`, `A..`, `..B` or `..` into a range of events (open ends: the whole source).
pub fn parse_entries(s: &str) -> Result<Range<u64>, String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("{s:?}: expected A..B"))?;
    let num = |t: &str, d: u64| if t.is_empty() { Ok(d) } else { t.parse::<u64>().map_err(|e| format!("{t:?}: {e}")) };
    let (a, b) = (num(a, 0)?, num(b, u64::MAX)?);
    if a > b {
        return Err(format!("{s:?}: the range is reversed"));
    }
    Ok(a..b)
}

/// A Parquet file being written by `hep_io`'s writer: under a unique temporary name beside its
/// target (see [`crate::output`], which also removes it on a signal) until
/// [`ParquetSink::finish`] renames it; dropped unfinished (an error on the way), the temporary
/// file is removed.
pub struct ParquetSink {
    writer: hep_io::ParquetWriter<File>,
    tmp: Temporary,
}

impl std::fmt::Debug for ParquetSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetSink").field("path", &self.tmp.target()).finish()
    }
}

impl ParquetSink {
    /// Start writing `path` with `schema` (refused if `path` is a directory or exists and is not
    /// a regular file).
    pub fn create(path: &Path, schema: SchemaRef) -> Result<Self> {
        Self::create_with(path, schema, &parquet_options())
    }

    /// [`ParquetSink::create`] with other writer settings.
    pub fn create_with(path: &Path, schema: SchemaRef, options: &ParquetOptions) -> Result<Self> {
        let (tmp, file) = Temporary::file(path)?;
        let writer = hep_io::ParquetWriter::new(file, schema, options)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(ParquetSink { writer, tmp })
    }

    /// Append a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let target = self.tmp.target();
        self.writer.write(batch).with_context(|| format!("cannot write {}", target.display()))
    }

    /// Close the file (synced to disk) and give it its name; returns its size in bytes.
    pub fn finish(self) -> Result<u64> {
        let target = self.tmp.target().to_path_buf();
        let writing = || format!("cannot write {}", target.display());
        let (file, summary) = self.writer.finish().with_context(writing)?;
        file.sync_all().with_context(writing)?;
        drop(file);
        self.tmp.commit()?;
        Ok(summary.bytes)
    }
}

/// Bytes a batch stream takes as Parquet with the writer's settings, without keeping them.
pub struct SizeCounter {
    writer: hep_io::ParquetWriter<std::io::Sink>,
}

impl SizeCounter {
    /// Count a stream with `schema`.
    pub fn new(schema: SchemaRef) -> Result<Self> {
        // The layout of the file written beside it, so that the two sizes compare like with like.
        Ok(SizeCounter { writer: hep_io::ParquetWriter::new(std::io::sink(), schema, &parquet_options())? })
    }

    /// Add a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        Ok(self.writer.write(batch)?)
    }

    /// The total size.
    pub fn finish(self) -> Result<u64> {
        Ok(self.writer.finish()?.1.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_ranges() {
        assert_eq!(parse_entries("0..50"), Ok(0..50));
        assert_eq!(parse_entries("50.."), Ok(50..u64::MAX));
        assert_eq!(parse_entries(".."), Ok(0..u64::MAX));
        assert!(parse_entries("5").is_err());
        assert!(parse_entries("9..3").is_err());
        assert!(parse_entries("a..3").is_err());
    }

    /// A small file as `hepfloat compress` writes it: toy events compressed at k = 7, with the
    /// scheme in the metadata, floats in BYTE_STREAM_SPLIT pages under ZSTD.
    fn compressed_toy(path: &Path, events: u64, digest: bool) -> Vec<u8> {
        let scheme = float_bits::Scheme::atlas(7).unwrap();
        let keep: Vec<String> = hep_toy::KEEP.iter().map(|s| s.to_string()).collect();
        let mut meta = std::collections::HashMap::new();
        meta.insert(
            META_SCHEME.to_string(),
            serde_json::to_string(&models::SchemeSpec::try_from(&scheme).unwrap()).unwrap(),
        );
        meta.insert(META_KEEP.to_string(), keep.join(","));
        let schema = Arc::new(Schema::new_with_metadata(hep_toy::schema().fields().clone(), meta));
        let options = ParquetOptions { digest, ..Default::default() };
        let mut sink = ParquetSink::create_with(path, schema.clone(), &options).unwrap();
        for b in hep_toy::Toy::new(1).batches(0..events, 50) {
            let (c, _) = models::batch::compress_batch(&scheme, &b.unwrap(), &keep).unwrap();
            sink.write(&c.with_schema(schema.clone()).unwrap()).unwrap();
        }
        sink.finish().unwrap();
        std::fs::read(path).unwrap()
    }

    /// A dataset streams batches of exactly the size asked, counted from the start of the
    /// range, across file boundaries (the batch a boundary cuts joins both files' pieces), and
    /// holds the files' events in turn.
    #[test]
    fn datasets_stream_batches_aligned_across_files() {
        let part = |spec: &str| Input::open(spec, None, &[]).unwrap();
        let (a, b, c) = (part("toy:50:1"), part("toy:70:2"), part("toy:9:3"));
        let dataset = Input::chain(vec![part("toy:50:1"), part("toy:70:2"), part("toy:9:3")]).unwrap();
        assert_eq!(dataset.entries(), 129);
        let want: Vec<RecordBatch> = [(&a, 10..50), (&b, 0..70), (&c, 0..5)]
            .into_iter()
            .flat_map(|(i, r)| i.batches(r, 1000).unwrap().map(|b| b.unwrap()).collect::<Vec<_>>())
            .collect();
        let want = arrow_select::concat::concat_batches(&want[0].schema(), &want).unwrap();
        for per in [1, 7, 16, 40, 115, 500] {
            let got: Vec<RecordBatch> = dataset.batches(10..125, per).unwrap().map(|b| b.unwrap()).collect();
            let sizes: Vec<u64> = got.iter().map(|b| b.num_rows() as u64).collect();
            let n = sizes.len();
            assert!(sizes[..n - 1].iter().all(|&s| s == per) && sizes[n - 1] <= per, "{per}: {sizes:?}");
            let got = arrow_select::concat::concat_batches(&got[0].schema(), &got).unwrap();
            assert_eq!(got, want, "{per}");
        }
        // Files that are not one dataset: the first that differs is named.
        let parquet = std::env::temp_dir().join(format!("hepfloat-io-chain-{}.parquet", std::process::id()));
        compressed_toy(&parquet, 20, true);
        let other = Input::open(parquet.to_str().unwrap(), None, &[]).unwrap();
        let e = Input::chain(vec![part("toy:5:1"), other]).unwrap_err().to_string();
        std::fs::remove_file(&parquet).unwrap();
        assert!(e.contains("hepfloat-io-chain") && e.contains("the files of a dataset must agree"), "{e}");
    }

    /// A seeded xorshift: each call, a number below its argument.
    fn seeded(mut state: u64) -> impl FnMut(usize) -> usize {
        move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n as u64).unwrap()
        }
    }

    /// Read every batch of `path` through the tool's reading path.
    fn read_through(path: &Path) -> Result<u64> {
        let input = Input::open(path.to_str().unwrap(), None, &[])?;
        let mut rows = 0;
        for b in input.batches(0..u64::MAX, 64)? {
            rows += b?.num_rows() as u64;
        }
        Ok(rows)
    }

    /// ≥ 200 damaged variants of a compressed file (seeded bit flips anywhere, truncations,
    /// zeroed ranges): each is read cleanly or refused with an error naming the file; no panic
    /// escapes the reading path.
    #[test]
    fn damaged_parquet_files_are_read_or_refused_never_a_panic() {
        let dir = std::env::temp_dir().join(format!("hepfloat-io-damage-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // Without the digest (as other writers and hepfloat before 0.8.1 wrote them), so that
        // damage reaches the decoders.
        let good = compressed_toy(&dir.join("good.parquet"), 200, false);
        assert_eq!(read_through(&dir.join("good.parquet")).unwrap(), 200);
        let mut next = seeded(0x9e37_79b9_7f4a_7c15_u64);
        let len = good.len();
        let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
        for i in 0..240 {
            let mut v = good.clone();
            let flips = if i < 200 { 1 } else { 2 };
            let mut what = String::from("flip");
            for _ in 0..flips {
                let (at, bit) = (next(len), next(8));
                v[at] ^= 1 << bit;
                what.push_str(&format!(" {at}:{bit}"));
            }
            variants.push((what, v));
        }
        for k in 1..=40 {
            variants.push((format!("truncate {}", len * k / 41), good[..len * k / 41].to_vec()));
        }
        for _ in 0..40 {
            let (at, n) = (next(len), 1 + next(64));
            let mut v = good.clone();
            v[at..(at + n).min(len)].fill(0);
            variants.push((format!("zero {at}+{n}"), v));
        }
        let path = dir.join("damaged.parquet");
        let shown = path.to_str().unwrap().to_string();
        let (mut clean, mut refused, mut caught_panics) = (0, 0, 0);
        for (what, bytes) in &variants {
            std::fs::write(&path, bytes).unwrap();
            let outcome = std::panic::catch_unwind(|| read_through(&path));
            match outcome {
                Err(_) => panic!("{what}: a panic escaped the reading path"),
                Ok(Ok(_)) => clean += 1,
                Ok(Err(e)) => {
                    let text = format!("{e:#}");
                    assert!(text.contains(&shown), "{what}: the error does not name the file: {text}");
                    if e.downcast_ref::<Damaged>().is_some_and(|d| d.detail.contains("a panic in the parquet crate")) {
                        caught_panics += 1;
                    }
                    refused += 1;
                }
            }
        }
        eprintln!(
            "{} damaged variants: {clean} read, {refused} refused ({caught_panics} decoder panics caught)",
            variants.len()
        );
        assert!(variants.len() >= 300);
        // Damage is found (ZSTD pages without checksums read some flips as other values), and
        // the seeded flips include the decoder panic the guard exists for.
        assert!(refused >= 100, "{refused} refused");
        assert!(caught_panics >= 1, "no decoder panic among the variants");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Damage to the data of a file hepfloat wrote (its magic, column chunks, page headers,
    /// dictionary and data pages: every byte the digest covers) is always refused before any
    /// value is read: 600 variants with one to four flipped bits or changed bytes, 0 read.
    #[test]
    fn damage_to_checksummed_parquet_is_always_refused() {
        let dir = std::env::temp_dir().join(format!("hepfloat-io-crc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let good = compressed_toy(&dir.join("good.parquet"), 300, true);
        let covered = hep_io::verify_parquet(dir.join("good.parquet")).unwrap().digest_bytes.unwrap() as usize;
        assert!(covered > good.len() / 2, "{covered} of {}", good.len());
        let mut next = seeded(0x2545_f491_4f6c_dd1d_u64);
        let path = dir.join("damaged.parquet");
        let shown = path.to_str().unwrap().to_string();
        for i in 0..600 {
            let mut v = good.clone();
            let mut what = String::new();
            for _ in 0..1 + i % 4 {
                let at = next(covered);
                if i % 2 == 0 {
                    v[at] ^= 1 << next(8);
                } else {
                    v[at] = v[at].wrapping_add(1 + next(255) as u8);
                }
                what.push_str(&format!(" {at}"));
            }
            std::fs::write(&path, &v).unwrap();
            match read_through(&path) {
                Ok(rows) => panic!("variant {i} (changed at{what}): {rows} rows read from damaged data"),
                Err(e) => {
                    let text = format!("{e:#}");
                    assert!(text.contains(&shown) && text.contains("fail their checksum"), "variant {i}: {text}");
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn toy_specs() {
        assert_eq!(toy_spec("toy").unwrap(), Some((20_000, 1)));
        assert_eq!(toy_spec("toy:500:9").unwrap(), Some((500, 9)));
        assert_eq!(toy_spec("toys.root").unwrap(), None);
        assert!(toy_spec("toy:x").is_err());
    }
}
