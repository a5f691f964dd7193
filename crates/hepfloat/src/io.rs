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
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::output::Temporary;

/// Schema metadata keys `hepfloat compress` writes: how the floats were compressed.
pub const META_SCHEME: &str = "hepfloat.scheme";
/// The comma-separated exemption list.
pub const META_KEEP: &str = "hepfloat.keep";

/// Events per batch when streaming.
pub const BATCH_EVENTS: u64 = 10_000;

enum Kind {
    Root { tree: &'static Tree<'static>, selection: Selection },
    Parquet { path: PathBuf, columns: Vec<usize> },
    Toy { toy: hep_toy::Toy, columns: Vec<usize> },
}

/// An opened data source.
pub struct Input {
    kind: Kind,
    entries: u64,
    schema: SchemaRef,
    /// Bytes of the file (0 for the toy).
    pub bytes: u64,
    /// The name given on the command line.
    pub name: String,
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

impl Input {
    /// Open `spec`: a ROOT file (its tree `tree`, or the only / `CollectionTree` one), a Parquet
    /// file, or `toy[:EVENTS[:SEED]]`. `branches` are globs selecting columns (all if empty).
    pub fn open(spec: &str, tree: Option<&str>, branches: &[String]) -> Result<Input> {
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
                name: spec.into(),
            });
        }
        let path = Path::new(spec);
        let bytes = std::fs::metadata(path).with_context(|| format!("cannot open {spec}"))?.len();
        let mut magic = [0u8; 4];
        std::io::Read::read_exact(&mut File::open(path).with_context(|| format!("cannot open {spec}"))?, &mut magic)
            .with_context(|| format!("{spec}: too short to be a ROOT or Parquet file"))?;
        match &magic {
            b"root" => {
                let file: &'static RootFile =
                    Box::leak(Box::new(RootFile::open(path).with_context(|| format!("cannot read ROOT file {spec}"))?));
                let name = match tree {
                    Some(t) => t.to_string(),
                    None => {
                        let trees = file.trees()?;
                        match trees.iter().find(|t| t.as_str() == "CollectionTree").or(trees.first()) {
                            Some(t) if trees.len() == 1 || t == "CollectionTree" => t.clone(),
                            Some(_) => {
                                bail!("{spec} holds several trees ({}); choose one with --tree", trees.join(", "))
                            }
                            None => bail!("{spec} holds no TTree (RNTuple files are not supported yet)"),
                        }
                    }
                };
                let tree: &'static Tree<'static> =
                    Box::leak(Box::new(file.tree(&name).with_context(|| format!("{spec}: no tree {name:?}"))?));
                let selection = tree.select_supported(&patterns)?;
                let schema = tree.schema(&selection);
                Ok(Input {
                    kind: Kind::Root { tree, selection },
                    entries: tree.entries(),
                    schema,
                    bytes,
                    name: spec.into(),
                })
            }
            b"PAR1" => {
                let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)
                    .with_context(|| format!("cannot read Parquet file {spec}"))?;
                let full = builder.schema().clone();
                let columns = matching(&full, &patterns);
                if columns.is_empty() {
                    bail!("{spec}: no column matches {patterns:?}");
                }
                let schema = Arc::new(Schema::new_with_metadata(
                    columns.iter().map(|&i| full.field(i).clone()).collect::<Vec<_>>(),
                    full.metadata().clone(),
                ));
                let entries = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
                Ok(Input {
                    kind: Kind::Parquet { path: path.into(), columns },
                    entries,
                    schema,
                    bytes,
                    name: spec.into(),
                })
            }
            _ => bail!("{spec} is neither a ROOT file nor a Parquet file"),
        }
    }

    /// Events (rows) in the source.
    pub fn entries(&self) -> u64 {
        self.entries
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
    pub fn tree(&self) -> Option<&Tree<'static>> {
        match &self.kind {
            Kind::Root { tree, .. } => Some(tree),
            _ => None,
        }
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
            Kind::Root { tree, selection } => Box::new(
                tree.batches(selection).entries(range).entries_per_batch(per).map(|b| b.map_err(anyhow::Error::from)),
            ),
            Kind::Toy { toy, columns } => Box::new(toy.batches(range, per).map(|b| Ok(b?.project(columns)?))),
            Kind::Parquet { path, columns } => {
                let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?;
                let mask = ProjectionMask::roots(builder.parquet_schema(), columns.iter().copied());
                let reader = builder
                    .with_projection(mask)
                    .with_batch_size(usize::try_from(per).unwrap_or(usize::MAX))
                    .with_offset(usize::try_from(range.start)?)
                    .with_limit(usize::try_from(range.end - range.start)?)
                    .build()?;
                Box::new(reader.map(move |b| {
                    let b = b?;
                    // Carry the file's metadata on every batch, like the schema.
                    Ok(RecordBatch::try_new(schema.clone(), b.columns().to_vec())?)
                }))
            }
        })
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

/// A Parquet file being written: under a unique temporary name beside its target (see
/// [`crate::output`]) until [`ParquetSink::finish`] renames it; dropped unfinished (an error on the
/// way), the temporary file is removed.
pub struct ParquetSink {
    writer: Option<ArrowWriter<File>>,
    tmp: Temporary,
}

impl std::fmt::Debug for ParquetSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetSink").field("path", &self.tmp.target()).finish()
    }
}

/// Float columns in `BYTE_STREAM_SPLIT` with ZSTD: the layout where dropped mantissa bits
/// turn into saved bytes.
pub fn writer_properties(schema: &Schema) -> Result<parquet::file::properties::WriterProperties> {
    Ok(ParquetOptions::default().properties(schema)?)
}

impl ParquetSink {
    /// Start writing `path` with `schema` (refused if `path` is a directory or exists and is not
    /// a regular file).
    pub fn create(path: &Path, schema: SchemaRef) -> Result<Self> {
        let props = writer_properties(&schema)?;
        let (tmp, file) = Temporary::file(path)?;
        let writer = ArrowWriter::try_new(file, schema, Some(props))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(ParquetSink { writer: Some(writer), tmp })
    }

    /// Append a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let target = self.tmp.target();
        let w = self.writer.as_mut().ok_or_else(|| anyhow!("{} is already finished", target.display()))?;
        w.write(batch).with_context(|| format!("cannot write {}", target.display()))
    }

    /// Close the file (synced to disk) and give it its name; returns its size in bytes.
    pub fn finish(mut self) -> Result<u64> {
        let target = self.tmp.target().to_path_buf();
        let writing =
            |e: parquet::errors::ParquetError| anyhow!(e).context(format!("cannot write {}", target.display()));
        if let Some(mut w) = self.writer.take() {
            w.finish().map_err(writing)?;
            w.inner().sync_all().with_context(|| format!("cannot write {}", target.display()))?;
        }
        let bytes =
            std::fs::metadata(self.tmp.path()).with_context(|| format!("cannot write {}", target.display()))?.len();
        self.tmp.commit()?;
        Ok(bytes)
    }
}

/// Bytes a batch stream takes as Parquet with the writer's settings, without keeping them.
pub struct SizeCounter {
    writer: ArrowWriter<Counting>,
}

/// A `Write` that only counts.
#[derive(Clone, Default)]
struct Counting(Arc<std::sync::atomic::AtomicU64>);

impl std::io::Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SizeCounter {
    /// Count a stream with `schema`.
    pub fn new(schema: SchemaRef) -> Result<Self> {
        let props = writer_properties(&schema)?;
        Ok(SizeCounter { writer: ArrowWriter::try_new(Counting::default(), schema, Some(props))? })
    }

    /// Add a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        Ok(self.writer.write(batch)?)
    }

    /// The total size.
    pub fn finish(self) -> Result<u64> {
        let counter = self.writer.inner().0.clone();
        self.writer.close()?;
        Ok(counter.load(std::sync::atomic::Ordering::Relaxed))
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

    #[test]
    fn toy_specs() {
        assert_eq!(toy_spec("toy").unwrap(), Some((20_000, 1)));
        assert_eq!(toy_spec("toy:500:9").unwrap(), Some((500, 9)));
        assert_eq!(toy_spec("toys.root").unwrap(), None);
        assert!(toy_spec("toy:x").is_err());
    }
}
