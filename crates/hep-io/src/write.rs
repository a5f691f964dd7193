//! Arrow `RecordBatch`es out: Parquet with float columns in `BYTE_STREAM_SPLIT` encoding and
//! ZSTD compression, and Arrow IPC files.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use parquet::arrow::ArrowSchemaConverter;
use parquet::arrow::arrow_writer::{ArrowColumnWriter, ArrowRowGroupWriterFactory, ArrowWriter, compute_leaves};
use parquet::basic::{Compression, Encoding, Type as PhysicalType, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;

use crate::error::{Error, Result};

/// How to write Parquet.
///
/// ```
/// let o = hep_io::ParquetOptions { zstd_level: 9, ..Default::default() };
/// assert!(o.byte_stream_split);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParquetOptions {
    /// ZSTD level (1–22); 0 writes uncompressed pages.
    pub zstd_level: i32,
    /// Encode `float` and `double` columns with `BYTE_STREAM_SPLIT` (one stream per byte of the
    /// value, which is what makes mantissa-rounded floats compress), without dictionaries.
    pub byte_stream_split: bool,
    /// Rows per row group, at most.
    pub row_group_rows: usize,
    /// Bytes per row group, at most, as Arrow holds its rows decoded (the values, offsets and
    /// validity of the rows, not the encoded size): a writer gathers a row group's batches
    /// before it encodes them, so this bounds a writer's memory whatever the size of the input,
    /// and a reader decoding a whole row group holds about this much. 64 MiB by default.
    pub row_group_bytes: usize,
    /// Bytes of a data page, at most, before it is compressed (Parquet's data page size limit;
    /// also the dictionary page limit). A reader holds one decoded page per column, so with
    /// hundreds of columns this bounds its memory. 1 MiB by default (the `parquet` crate's).
    pub page_bytes: usize,
    /// Record the CRC-32 of the data in the footer ([`DIGEST_KEY`]), so that readers can tell
    /// damaged data from what was written ([`verify_parquet`](crate::verify_parquet)). On by
    /// default; off only to measure its cost or to make unprotected test files.
    pub digest: bool,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            zstd_level: 3,
            byte_stream_split: true,
            row_group_rows: 1 << 20,
            row_group_bytes: 64 << 20,
            page_bytes: 1 << 20,
            digest: true,
        }
    }
}

impl ParquetOptions {
    /// Writer properties for `schema`: the codec, and `BYTE_STREAM_SPLIT` on every float leaf.
    ///
    /// ```
    /// use arrow_schema::{DataType, Field, Schema};
    /// let schema = Schema::new(vec![Field::new("x", DataType::Float32, false)]);
    /// let props = hep_io::ParquetOptions::default().properties(&schema)?;
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn properties(&self, schema: &arrow_schema::Schema) -> Result<WriterProperties> {
        let bad = |e: parquet::errors::ParquetError| Error::Write { path: None, format: "Parquet", source: e.into() };
        let compression = if self.zstd_level == 0 {
            Compression::UNCOMPRESSED
        } else {
            Compression::ZSTD(ZstdLevel::try_new(self.zstd_level).map_err(bad)?)
        };
        let mut b = WriterProperties::builder()
            .set_compression(compression)
            .set_max_row_group_row_count(Some(self.row_group_rows.max(1)))
            .set_max_row_group_bytes(Some(self.row_group_bytes.max(1)))
            .set_data_page_size_limit(self.page_bytes.max(1))
            .set_dictionary_page_size_limit(self.page_bytes.max(1))
            .set_statistics_enabled(EnabledStatistics::Chunk);
        if self.byte_stream_split {
            let descr = ArrowSchemaConverter::new().convert(schema).map_err(bad)?;
            for col in descr.columns() {
                if matches!(col.physical_type(), PhysicalType::FLOAT | PhysicalType::DOUBLE) {
                    b = b
                        .set_column_dictionary_enabled(col.path().clone(), false)
                        .set_column_encoding(col.path().clone(), Encoding::BYTE_STREAM_SPLIT);
                }
            }
        }
        Ok(b.build())
    }
}

/// What a writer wrote.
///
/// ```
/// let s = hep_io::WriteSummary { rows: 0, batches: 0, bytes: 0 };
/// assert_eq!(s.rows, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Rows written.
    pub rows: u64,
    /// Batches written.
    pub batches: u64,
    /// Bytes written: the size of the file.
    pub bytes: u64,
}

/// The Parquet key-value metadata key under which every Parquet file the SDK writes records the
/// CRC-32 of its data, block by block (the `parquet` crate cannot write Parquet's own page
/// CRCs): `v1 block=16384 bytes=N CRC…`, the CRC-32 (IEEE) of each 16 KiB block of the file's
/// first `N` bytes (the magic and every column chunk: all the data pages and dictionaries; not
/// the page indexes and the footer after them), 8 hex digits each, the last block possibly
/// shorter. [`verify_parquet`](crate::verify_parquet) checks it; see `docs/integrity.md`.
pub const DIGEST_KEY: &str = "hepfloat.crc32";

/// Bytes per checksummed block of [`DIGEST_KEY`].
pub(crate) const DIGEST_BLOCK: usize = 1 << 14;

/// A `Write` that counts what passes through it and checksums it in [`DIGEST_BLOCK`]s.
#[derive(Debug)]
struct Counted<W> {
    inner: W,
    bytes: u64,
    block: crc32fast::Hasher,
    filled: usize,
    crcs: Vec<u32>,
}

impl<W> Counted<W> {
    fn new(inner: W) -> Self {
        Counted { inner, bytes: 0, block: crc32fast::Hasher::new(), filled: 0, crcs: Vec::new() }
    }

    /// The [`DIGEST_KEY`] value of everything written so far.
    fn digest(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!("v1 block={DIGEST_BLOCK} bytes={} ", self.bytes);
        let last = (self.filled > 0).then(|| self.block.clone().finalize());
        for crc in self.crcs.iter().chain(last.as_ref()) {
            let _ = write!(out, "{crc:08x}");
        }
        out
    }
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            let take = (DIGEST_BLOCK - self.filled).min(rest.len());
            self.block.update(&rest[..take]);
            self.filled += take;
            if self.filled == DIGEST_BLOCK {
                self.crcs.push(std::mem::take(&mut self.block).finalize());
                self.filled = 0;
            }
            rest = &rest[take..];
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A Parquet stream being written, batch by batch, to any [`Write`] sink (a file, a buffer, a
/// counter): the one Parquet writer of the SDK, with the layout of [`ParquetOptions`]. Memory
/// stays bounded by the open row group. [`write_parquet`] writes a whole
/// [`RecordBatchReader`] to a file safely; use this type where batches are pushed, or where the
/// sink is not a plain file.
///
/// Batches are gathered (not copied: the writer holds on to them) until they fill a row group
/// ([`ParquetOptions::row_group_bytes`], `row_group_rows`); the row group's columns are then
/// encoded and compressed in parallel on rayon's thread pool (the current one:
/// `rayon::ThreadPool::install` chooses it), each column by its own encoder fed the group's
/// batches in turn, so the bytes written are the same whatever the number of threads. A
/// column's encoder lives only while it encodes: memory holds the row group's Arrow data,
/// its encoded column chunks and one encoder per thread, where encoding batch by batch into
/// every column at once held a compression context (about 1 MB for zstd) and an open page
/// per column, hundreds of MB with hundreds of columns.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Float32Array, RecordBatch};
/// let batch = RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(vec![1.5f32, 2.5])) as _)]).unwrap();
/// let mut w = hep_io::ParquetWriter::new(Vec::new(), batch.schema(), &Default::default())?;
/// w.write(&batch)?;
/// let (bytes, summary) = w.finish()?;
/// assert_eq!((summary.rows, summary.bytes), (2, bytes.len() as u64));
/// assert_eq!(&bytes[..4], b"PAR1");
/// # Ok::<(), hep_io::Error>(())
/// ```
pub struct ParquetWriter<W: Write + Send> {
    file: SerializedFileWriter<Counted<W>>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// Parquet leaf columns per Arrow field, in order.
    leaves: Vec<usize>,
    /// The open row group, not encoded yet.
    open: OpenGroup,
    max_rows: usize,
    max_bytes: usize,
    summary: WriteSummary,
    digest: bool,
}

/// The batches (or slices of them) of a row group being gathered, their rows and Arrow bytes.
#[derive(Default)]
struct OpenGroup {
    batches: Vec<RecordBatch>,
    rows: usize,
    bytes: usize,
}

impl<W: Write + Send> std::fmt::Debug for ParquetWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetWriter").field("summary", &self.summary).finish_non_exhaustive()
    }
}

fn parquet_error(e: parquet::errors::ParquetError) -> Error {
    Error::Write { path: None, format: "Parquet", source: e.into() }
}

impl<W: Write + Send> ParquetWriter<W> {
    /// Start a Parquet stream of `schema` (its metadata included) on `sink`.
    ///
    /// ```
    /// let schema = std::sync::Arc::new(arrow_schema::Schema::empty());
    /// let w = hep_io::ParquetWriter::new(Vec::new(), schema, &Default::default())?;
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn new(sink: W, schema: SchemaRef, options: &ParquetOptions) -> Result<Self> {
        // A digest read with the schema of another file (Parquet readers put its key-value
        // metadata there) is that file's, never this one's.
        let schema = if schema.metadata().contains_key(DIGEST_KEY) {
            let mut meta = schema.metadata().clone();
            meta.remove(DIGEST_KEY);
            std::sync::Arc::new(arrow_schema::Schema::new_with_metadata(schema.fields().clone(), meta))
        } else {
            schema
        };
        let props = options.properties(&schema)?;
        // The arrow writer lays out the file (the magic, the Arrow schema in the footer); its
        // parts then encode the columns of each row group side by side.
        let writer = ArrowWriter::try_new(Counted::new(sink), schema.clone(), Some(props)).map_err(parquet_error)?;
        let (file, factory) = writer.into_serialized_writer().map_err(parquet_error)?;
        let descr = file.schema_descr();
        let mut leaves = vec![0; schema.fields().len()];
        for i in 0..descr.num_columns() {
            if let Some(n) = leaves.get_mut(descr.get_column_root_idx(i)) {
                *n += 1;
            }
        }
        Ok(ParquetWriter {
            file,
            factory,
            schema,
            leaves,
            open: OpenGroup::default(),
            max_rows: options.row_group_rows.max(1),
            max_bytes: options.row_group_bytes.max(1),
            summary: WriteSummary::default(),
            digest: options.digest,
        })
    }

    /// Append a batch (of the writer's schema).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use arrow_array::{Int32Array, RecordBatch};
    /// let batch = RecordBatch::try_from_iter([("n", Arc::new(Int32Array::from(vec![1])) as _)]).unwrap();
    /// let mut w = hep_io::ParquetWriter::new(Vec::new(), batch.schema(), &Default::default())?;
    /// w.write(&batch)?;
    /// assert_eq!(w.summary().rows, 1);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let fields = self.schema.fields();
        let matches = batch.num_columns() == fields.len()
            && fields.iter().zip(batch.columns()).all(|(f, c)| f.data_type().equals_datatype(c.data_type()));
        if !matches {
            return Err(Error::Write {
                path: None,
                format: "Parquet",
                source: format!("a batch of schema {} written to a stream of schema {}", batch.schema(), self.schema)
                    .into(),
            });
        }
        let mut rest = batch.clone();
        while rest.num_rows() > 0 {
            // As many rows as the row group still takes: by count, and by the Arrow bytes of
            // those rows (fewer rows, in proportion, while they do not fit).
            let mut take = rest.num_rows().min(self.max_rows - self.open.rows);
            let room = self.max_bytes.saturating_sub(self.open.bytes);
            let mut bytes = arrow_bytes(&rest.slice(0, take));
            while bytes > room && take > 0 {
                let fits = take as u128 * room as u128 / bytes as u128;
                take = usize::try_from(fits).unwrap_or(0).min(take - 1);
                bytes = arrow_bytes(&rest.slice(0, take));
            }
            if take == 0 && self.open.rows == 0 {
                // One row larger than a whole row group: it is a row group of its own.
                take = 1;
                bytes = arrow_bytes(&rest.slice(0, 1));
            }
            if take == 0 {
                self.flush()?;
                continue;
            }
            let part = rest.slice(0, take);
            rest = rest.slice(take, rest.num_rows() - take);
            self.open.bytes += bytes;
            self.open.rows += take;
            self.open.batches.push(part);
            if self.open.rows >= self.max_rows || self.open.bytes >= self.max_bytes {
                self.flush()?;
            }
        }
        self.summary.rows += batch.num_rows() as u64;
        self.summary.batches += 1;
        Ok(())
    }

    /// Encode the open row group, its columns in parallel (each Arrow field's leaf columns one
    /// task, fed every batch of the group in turn, then closed), and write it out.
    fn flush(&mut self) -> Result<()> {
        if self.open.batches.is_empty() {
            return Ok(());
        }
        let open = std::mem::take(&mut self.open);
        let writers =
            self.factory.create_column_writers(self.file.flushed_row_groups().len()).map_err(parquet_error)?;
        let mut tasks = Vec::with_capacity(self.leaves.len());
        let mut writers = writers.into_iter();
        for (i, (field, &n)) in self.schema.fields().iter().zip(&self.leaves).enumerate() {
            tasks.push((i, field, writers.by_ref().take(n).collect::<Vec<_>>()));
        }
        // Every field encoded and closed, then the first error in column order: the same
        // whatever the number of threads. A column's encoder (its compression context and open
        // page) lives only while that column is encoded, so memory holds the group's Arrow
        // data, its encoded chunks, and one encoder per thread.
        let chunks: Vec<_> = tasks
            .into_par_iter()
            .with_max_len(1)
            .map(|(i, field, mut writers)| {
                for batch in &open.batches {
                    let parts = compute_leaves(field, batch.column(i))?;
                    if parts.len() != writers.len() {
                        return Err(parquet::errors::ParquetError::General(format!(
                            "column {}: {} leaves, the schema has {}",
                            field.name(),
                            parts.len(),
                            writers.len()
                        )));
                    }
                    parts.iter().zip(writers.iter_mut()).try_for_each(|(leaf, w)| w.write(leaf))?;
                }
                writers.into_iter().map(ArrowColumnWriter::close).collect::<Result<Vec<_>, _>>()
            })
            .collect();
        drop(open);
        let mut group = self.file.next_row_group().map_err(parquet_error)?;
        for chunk in chunks {
            for chunk in chunk.map_err(parquet_error)? {
                chunk.append_to_row_group(&mut group).map_err(parquet_error)?;
            }
        }
        group.close().map_err(parquet_error)?;
        Ok(())
    }

    /// Rows and batches written so far, and the bytes that reached the sink.
    ///
    /// ```
    /// let schema = std::sync::Arc::new(arrow_schema::Schema::empty());
    /// let w = hep_io::ParquetWriter::new(Vec::new(), schema, &Default::default())?;
    /// assert_eq!(w.summary().batches, 0);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn summary(&self) -> WriteSummary {
        WriteSummary { bytes: self.file.inner().bytes, ..self.summary }
    }

    /// Write the footer, with the [`DIGEST_KEY`] checksums of the data, and hand back the sink
    /// (flushed, not synced), with what was written.
    ///
    /// ```
    /// let schema = std::sync::Arc::new(arrow_schema::Schema::empty());
    /// let (sink, s) = hep_io::ParquetWriter::new(Vec::new(), schema, &Default::default())?.finish()?;
    /// assert_eq!(s.bytes, sink.len() as u64);
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn finish(mut self) -> Result<(W, WriteSummary)> {
        let summary = self.summary;
        self.flush()?;
        let sink_error = |e: std::io::Error| Error::Write { path: None, format: "Parquet", source: e.into() };
        if self.digest {
            // Every row group through to the sink, then the checksums of all that, in the footer.
            self.file.flush().map_err(sink_error)?;
            let digest = self.file.inner().digest();
            self.file.append_key_value_metadata(parquet::file::metadata::KeyValue::new(DIGEST_KEY.to_string(), digest));
        }
        let mut counted = self.file.into_inner().map_err(parquet_error)?;
        counted.flush().map_err(sink_error)?;
        Ok((counted.inner, WriteSummary { bytes: counted.bytes, ..summary }))
    }
}

/// The Arrow bytes of a batch's rows, as they bound a row group: of its slice only where it is
/// one (a list column counts the values its rows hold, not its whole child array).
fn arrow_bytes(batch: &RecordBatch) -> usize {
    batch.columns().iter().fold(0usize, |n, c| n.saturating_add(array_bytes(c.as_ref())))
}

fn array_bytes(a: &dyn arrow_array::Array) -> usize {
    use arrow_array::{Array, cast::AsArray};
    fn listed(offsets: impl Fn(usize) -> Option<usize>, len: usize, values: &arrow_array::ArrayRef) -> usize {
        let end = offsets(len).unwrap_or(0).min(values.len());
        let start = offsets(0).unwrap_or(0).min(end);
        array_bytes(values.slice(start, end - start).as_ref())
    }
    let nulls = a.logical_nulls().map_or(0, |n| n.len().div_ceil(8));
    let inner = if let Some(l) = a.as_list_opt::<i32>() {
        let o = l.value_offsets();
        4 * o.len() + listed(|i| o.get(i).and_then(|&v| usize::try_from(v).ok()), l.len(), l.values())
    } else if let Some(l) = a.as_list_opt::<i64>() {
        let o = l.value_offsets();
        8 * o.len() + listed(|i| o.get(i).and_then(|&v| usize::try_from(v).ok()), l.len(), l.values())
    } else if let Some(l) = a.as_fixed_size_list_opt() {
        array_bytes(l.values().as_ref())
    } else if let Some(s) = a.as_struct_opt() {
        s.columns().iter().map(|c| array_bytes(c.as_ref())).sum()
    } else {
        a.to_data().get_slice_memory_size().unwrap_or_else(|_| a.get_array_memory_size())
    };
    nulls + inner
}

/// A file being written under a temporary name beside its target, renamed onto it only when
/// complete and synced; removed if dropped before that.
struct PartialFile {
    tmp: PathBuf,
    target: PathBuf,
    done: bool,
}

impl PartialFile {
    fn create(target: &Path) -> Result<(PartialFile, File)> {
        let name = target.file_name().ok_or_else(|| Error::Io {
            path: target.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        })?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        // Unique per process and writer: two writers never share a temporary file.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tmp_name.push(format!(".{}-{n}.partial", std::process::id()));
        let tmp = target.with_file_name(tmp_name);
        let io = |source| Error::Io { path: target.display().to_string(), source };
        if target.is_dir() {
            return Err(io(std::io::Error::new(std::io::ErrorKind::IsADirectory, "the output is a directory")));
        }
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(io)?;
        Ok((PartialFile { tmp, target: target.to_path_buf(), done: false }, file))
    }

    fn commit(mut self, file: File) -> Result<()> {
        let io = |source| Error::Io { path: self.target.display().to_string(), source };
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&self.tmp, &self.target).map_err(io)?;
        self.done = true;
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// An error of a batch source: a `hep-io` error passed through Arrow is given back as it was.
fn input_error(e: ArrowError) -> Error {
    match e {
        ArrowError::ExternalError(inner) => match inner.downcast::<Error>() {
            Ok(e) => *e,
            Err(other) => Error::Input(ArrowError::ExternalError(other)),
        },
        other => Error::Input(other),
    }
}

/// Name the file in a writer's error.
fn at_path(path: &Path) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::Write { path: None, format, source } => {
            Error::Write { path: Some(path.display().to_string()), format, source }
        }
        e => e,
    }
}

/// Write every batch of `reader` to Parquet stream `sink`; stops at the first error.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Float32Array, RecordBatch, RecordBatchIterator};
/// let batch = RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(vec![1.5f32])) as _)]).unwrap();
/// let reader = RecordBatchIterator::new([Ok(batch.clone())], batch.schema());
/// let (bytes, s) = hep_io::write_parquet_to(Vec::new(), reader, &Default::default())?;
/// assert_eq!((s.rows, s.bytes), (1, bytes.len() as u64));
/// # Ok::<(), hep_io::Error>(())
/// ```
pub fn write_parquet_to<W: Write + Send>(
    sink: W,
    reader: impl RecordBatchReader,
    options: &ParquetOptions,
) -> Result<(W, WriteSummary)> {
    let mut w = ParquetWriter::new(sink, reader.schema(), options)?;
    for batch in reader {
        w.write(&batch.map_err(input_error)?)?;
    }
    w.finish()
}

/// Write every batch of `reader` (its schema and metadata included) to the Parquet file `path`,
/// one batch at a time (memory stays bounded by the batch and the open row group). The file is
/// written under a temporary name beside `path` and renamed onto it only when complete and synced:
/// on an error (from the batches, the disk or the encoder) nothing is left under `path`, and a
/// file already there is untouched.
///
/// [`Batches`](crate::Batches) becomes a reader with [`into_reader`](crate::Batches::into_reader);
/// any other Arrow reader works the same.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Float32Array, RecordBatch, RecordBatchIterator};
/// let batch = RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(vec![1.5f32, 2.5])) as _)]).unwrap();
/// let path = std::env::temp_dir().join("hep_io_doc_write.parquet");
/// let reader = RecordBatchIterator::new([Ok(batch.clone())], batch.schema());
/// let s = hep_io::write_parquet(&path, reader, &hep_io::ParquetOptions::default())?;
/// assert_eq!((s.rows, s.bytes), (2, std::fs::metadata(&path)?.len()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_parquet(
    path: impl AsRef<Path>,
    reader: impl RecordBatchReader,
    options: &ParquetOptions,
) -> Result<WriteSummary> {
    let path = path.as_ref();
    let (partial, file) = PartialFile::create(path)?;
    let (file, summary) = write_parquet_to(file, reader, options).map_err(at_path(path))?;
    partial.commit(file)?;
    Ok(summary)
}

/// Write every batch of `reader` to an Arrow IPC file (uncompressed, readable by any Arrow
/// implementation), as safely as [`write_parquet`]: under a temporary name until complete.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Int32Array, RecordBatch, RecordBatchIterator};
/// let batch = RecordBatch::try_from_iter([("n", Arc::new(Int32Array::from(vec![1, 2, 3])) as _)]).unwrap();
/// let path = std::env::temp_dir().join("hep_io_doc_write.arrow");
/// let reader = RecordBatchIterator::new([Ok(batch.clone())], batch.schema());
/// assert_eq!(hep_io::write_ipc(&path, reader)?.rows, 3);
/// # Ok::<(), hep_io::Error>(())
/// ```
pub fn write_ipc(path: impl AsRef<Path>, reader: impl RecordBatchReader) -> Result<WriteSummary> {
    let path = path.as_ref();
    let fail =
        |e: ArrowError| Error::Write { path: Some(path.display().to_string()), format: "Arrow IPC", source: e.into() };
    let (partial, file) = PartialFile::create(path)?;
    let mut w = arrow_ipc::writer::FileWriter::try_new(Counted::new(file), &reader.schema()).map_err(fail)?;
    let mut summary = WriteSummary::default();
    for batch in reader {
        let batch = batch.map_err(input_error)?;
        w.write(&batch).map_err(fail)?;
        summary.rows += batch.num_rows() as u64;
        summary.batches += 1;
    }
    w.finish().map_err(fail)?;
    let counted = w.into_inner().map_err(fail)?;
    summary.bytes = counted.bytes;
    partial.commit(counted.inner)?;
    Ok(summary)
}
