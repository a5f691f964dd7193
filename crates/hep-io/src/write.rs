//! Arrow `RecordBatch`es out: Parquet with float columns in `BYTE_STREAM_SPLIT` encoding and
//! ZSTD compression, and Arrow IPC files.

use std::fs::File;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, Encoding, Type as PhysicalType, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

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
    /// Rows per row group.
    pub row_group_rows: usize,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions { zstd_level: 3, byte_stream_split: true, row_group_rows: 1 << 20 }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.display().to_string(), source }
}

fn write_error<'a>(path: &'a Path, format: &'static str) -> impl Fn(String) -> Error + 'a {
    move |detail| Error::Write { path: path.display().to_string(), format, detail }
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
        let bad = |detail: String| Error::Write { path: String::new(), format: "Parquet", detail };
        let compression = if self.zstd_level == 0 {
            Compression::UNCOMPRESSED
        } else {
            Compression::ZSTD(ZstdLevel::try_new(self.zstd_level).map_err(|e| bad(e.to_string()))?)
        };
        let mut b = WriterProperties::builder()
            .set_compression(compression)
            .set_max_row_group_row_count(Some(self.row_group_rows.max(1)))
            .set_statistics_enabled(EnabledStatistics::Chunk);
        if self.byte_stream_split {
            let descr = ArrowSchemaConverter::new().convert(schema).map_err(|e| bad(e.to_string()))?;
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteSummary {
    /// Rows written.
    pub rows: u64,
    /// Batches written.
    pub batches: u64,
    /// Size of the file.
    pub bytes: u64,
}

/// Write batches to a Parquet file, one batch at a time (memory stays bounded by the batch and
/// the open row group). Stops at the first error from the batches.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Float32Array, RecordBatch};
/// use arrow_schema::{DataType, Field, Schema};
/// let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Float32, false)]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Float32Array::from(vec![1.5f32, 2.5]))]).unwrap();
/// let path = std::env::temp_dir().join("hep_io_doc_write.parquet");
/// let s = hep_io::write_parquet(&path, schema, [Ok(batch)], hep_io::ParquetOptions::default())?;
/// assert_eq!(s.rows, 2);
/// # Ok::<(), hep_io::Error>(())
/// ```
pub fn write_parquet(
    path: impl AsRef<Path>,
    schema: SchemaRef,
    batches: impl IntoIterator<Item = Result<RecordBatch>>,
    options: ParquetOptions,
) -> Result<WriteSummary> {
    let path = path.as_ref();
    let fail = write_error(path, "Parquet");
    let props = options.properties(&schema).map_err(|e| fail(e.to_string()))?;
    let file = File::create(path).map_err(io_error(path))?;
    let mut w = ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| fail(e.to_string()))?;
    let (rows, n) = drain(batches, |b| w.write(b).map_err(|e| fail(e.to_string())))?;
    w.close().map_err(|e| fail(e.to_string()))?;
    summary(path, rows, n)
}

/// Feed every batch to `write`, stopping at the first error; returns rows and batches written.
fn drain(
    batches: impl IntoIterator<Item = Result<RecordBatch>>,
    mut write: impl FnMut(&RecordBatch) -> Result<()>,
) -> Result<(u64, u64)> {
    let (mut rows, mut n) = (0, 0);
    for batch in batches {
        let batch = batch?;
        write(&batch)?;
        rows += batch.num_rows() as u64;
        n += 1;
    }
    Ok((rows, n))
}

fn summary(path: &Path, rows: u64, batches: u64) -> Result<WriteSummary> {
    let bytes = std::fs::metadata(path).map_err(io_error(path))?.len();
    Ok(WriteSummary { rows, batches, bytes })
}

/// Write batches to an Arrow IPC file (uncompressed, readable by any Arrow implementation).
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Int32Array, RecordBatch};
/// use arrow_schema::{DataType, Field, Schema};
/// let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int32, false)]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int32Array::from(vec![1, 2, 3]))]).unwrap();
/// let path = std::env::temp_dir().join("hep_io_doc_write.arrow");
/// assert_eq!(hep_io::write_ipc(&path, schema, [Ok(batch)])?.rows, 3);
/// # Ok::<(), hep_io::Error>(())
/// ```
pub fn write_ipc(
    path: impl AsRef<Path>,
    schema: SchemaRef,
    batches: impl IntoIterator<Item = Result<RecordBatch>>,
) -> Result<WriteSummary> {
    let path = path.as_ref();
    let fail = write_error(path, "Arrow IPC");
    let file = File::create(path).map_err(io_error(path))?;
    let mut w = arrow_ipc::writer::FileWriter::try_new(file, &schema).map_err(|e| fail(e.to_string()))?;
    let (rows, n) = drain(batches, |b| w.write(b).map_err(|e| fail(e.to_string())))?;
    w.finish().map_err(|e| fail(e.to_string()))?;
    summary(path, rows, n)
}
