//! Parquet (BYTE_STREAM_SPLIT + ZSTD) and Arrow IPC out, read back losslessly.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Float32Array, RecordBatch, RecordBatchIterator};
use arrow_schema::{ArrowError, Schema};
use hep_io::{ParquetOptions, RootFile};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding};
use parquet::file::reader::{FileReader, SerializedFileReader};

fn physlite() -> RootFile {
    let path = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap_or_else(|e| panic!("{e}"));
    RootFile::open(path).unwrap()
}

fn concat(batches: Vec<RecordBatch>) -> RecordBatch {
    arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
}

#[test]
fn every_supported_physlite_branch_round_trips_through_parquet_and_ipc() {
    let f = physlite();
    let tree = f.tree("CollectionTree").unwrap();
    let sel = tree.select_supported(&["*"]).unwrap();
    let schema = tree.schema(&sel);
    let original = tree.read(&sel, 0..100).unwrap();
    let dir = std::env::temp_dir().join(format!("hep_io_write_test_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // Parquet, streamed in batches of 30 entries and row groups of 64 rows.
    let path = dir.join("physlite.parquet");
    let options = ParquetOptions { zstd_level: 5, row_group_rows: 64, ..Default::default() };
    let s = hep_io::write_parquet(&path, tree.batches(&sel).entries_per_batch(30).into_reader(), &options).unwrap();
    assert_eq!((s.rows, s.batches), (100, 4));
    let s_parquet = s;
    assert_eq!(s.bytes, std::fs::metadata(&path).unwrap().len());
    let back = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap().build().unwrap();
    let back = concat(back.map(|b| b.unwrap()).collect());
    assert_eq!(back.schema(), schema, "the Arrow schema is restored");
    // RecordBatch equality compares primitive values byte for byte: float bits included.
    assert_eq!(back, original);

    // Float leaves are BYTE_STREAM_SPLIT without dictionaries, everything ZSTD.
    let meta = SerializedFileReader::new(File::open(&path).unwrap()).unwrap().metadata().clone();
    assert_eq!(meta.num_row_groups(), 2);
    let (mut floats, mut others) = (0, 0);
    for rg in meta.row_groups() {
        for c in rg.columns() {
            assert!(matches!(c.compression(), Compression::ZSTD(_)));
            let is_float = matches!(c.column_type(), parquet::basic::Type::FLOAT | parquet::basic::Type::DOUBLE);
            let encodings: Vec<Encoding> = c.encodings().collect();
            if is_float {
                assert!(encodings.contains(&Encoding::BYTE_STREAM_SPLIT), "{}: {encodings:?}", c.column_path());
                assert!(!encodings.contains(&Encoding::RLE_DICTIONARY), "{}: {encodings:?}", c.column_path());
                floats += 1;
            } else {
                others += 1;
            }
        }
    }
    assert_eq!(floats, 2 * (380 + 18), "float and double leaves of both row groups");
    assert!(others > 0);

    // Arrow IPC.
    let ipc = dir.join("physlite.arrow");
    let s = hep_io::write_ipc(&ipc, tree.batches(&sel).entries_per_batch(45).into_reader()).unwrap();
    assert_eq!((s.rows, s.batches), (100, 3));
    let reader = arrow_ipc::reader::FileReader::try_new(File::open(&ipc).unwrap(), None).unwrap();
    assert_eq!(reader.schema(), schema);
    assert_eq!(concat(reader.map(|b| b.unwrap()).collect()), original);

    // The pushed writer gives the same bytes as the pulled one.
    let mut w = hep_io::ParquetWriter::new(Vec::new(), schema.clone(), &options).unwrap();
    for batch in tree.batches(&sel).entries_per_batch(30) {
        w.write(&batch.unwrap()).unwrap();
    }
    let (bytes, pushed) = w.finish().unwrap();
    assert_eq!(pushed, s_parquet);
    assert_eq!(bytes, std::fs::read(&path).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn empty_reader(
    items: Vec<Result<RecordBatch, ArrowError>>,
) -> RecordBatchIterator<std::vec::IntoIter<Result<RecordBatch, ArrowError>>> {
    RecordBatchIterator::new(items.into_iter(), Arc::new(Schema::empty()))
}

/// The files in `dir` whose name starts with `prefix` (temporary files included).
fn files_like(dir: &Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.trim_start_matches('.').starts_with(prefix))
        .collect();
    v.sort();
    v
}

#[test]
fn writing_reports_errors_and_leaves_nothing_half_written() {
    let e =
        hep_io::write_parquet("/no/such/dir/x.parquet", empty_reader(vec![]), &ParquetOptions::default()).unwrap_err();
    assert!(matches!(e, hep_io::Error::Io { .. }), "{e}");
    let dir = std::env::temp_dir().join(format!("hep_io_write_errors_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = ParquetOptions { zstd_level: 99, ..Default::default() };
    let e = hep_io::write_parquet(dir.join("bad.parquet"), empty_reader(vec![]), &bad).unwrap_err();
    assert!(matches!(e, hep_io::Error::Write { format: "Parquet", .. }), "{e}");
    assert!(std::error::Error::source(&e).is_some(), "{e}: the encoder's error is kept");

    // An error of this crate from the batch source stops the writer and is given back as it was;
    // an error of another kind is an input error. A file already under the name is untouched.
    let batch = RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(vec![1.5f32])) as _)]).unwrap();
    for name in ["x.arrow", "x.parquet"] {
        let path = dir.join(name);
        std::fs::write(&path, b"before").unwrap();
        let ours = || {
            RecordBatchIterator::new(
                vec![Ok(batch.clone()), Err(hep_io::Error::NoSuchBranch("x".into()).into())],
                batch.schema(),
            )
        };
        let theirs = || {
            RecordBatchIterator::new(
                vec![Ok(batch.clone()), Err(ArrowError::ComputeError("no".into()))],
                batch.schema(),
            )
        };
        let (e1, e2) = if name.ends_with("arrow") {
            (hep_io::write_ipc(&path, ours()).unwrap_err(), hep_io::write_ipc(&path, theirs()).unwrap_err())
        } else {
            let o = ParquetOptions::default();
            (
                hep_io::write_parquet(&path, ours(), &o).unwrap_err(),
                hep_io::write_parquet(&path, theirs(), &o).unwrap_err(),
            )
        };
        assert!(matches!(e1, hep_io::Error::NoSuchBranch(_)), "{e1}");
        assert!(matches!(e2, hep_io::Error::Input(ArrowError::ComputeError(_))), "{e2}");
        assert_eq!(std::fs::read(&path).unwrap(), b"before", "{name}");
        assert_eq!(files_like(&dir, name), [name], "no temporary file is left");
    }
    // A directory is no output.
    let e = hep_io::write_parquet(&dir, empty_reader(vec![]), &ParquetOptions::default()).unwrap_err();
    assert!(matches!(e, hep_io::Error::Io { .. }), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Row groups are bounded in bytes as well as rows: a writer holds one row group in memory, so
/// this bounds its memory on inputs of any size. Here 256 KiB groups split the sample's 100
/// events of every branch (about 4 MB of values) into many, and the data read back unchanged.
#[test]
fn row_groups_are_bounded_in_bytes() {
    let f = physlite();
    let tree = f.tree("CollectionTree").unwrap();
    let sel = tree.select_supported(&["*"]).unwrap();
    let original = tree.read(&sel, 0..100).unwrap();
    let dir = std::env::temp_dir().join(format!("hep_io_row_groups_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |row_group_bytes: usize| {
        let options = ParquetOptions { row_group_bytes, ..Default::default() };
        let path = dir.join(format!("{row_group_bytes}.parquet"));
        hep_io::write_parquet(&path, tree.batches(&sel).entries_per_batch(5).into_reader(), &options).unwrap();
        let groups = SerializedFileReader::new(File::open(&path).unwrap()).unwrap().metadata().num_row_groups();
        let back = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap().build().unwrap();
        (groups, concat(back.map(|b| b.unwrap()).collect()))
    };
    let (one, back) = write(64 << 20);
    assert_eq!((one, &back), (1, &original));
    let (many, back) = write(256 << 10);
    assert!(many >= 4, "{many} row groups of at most 256 KiB");
    assert_eq!(back, original);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The writer encodes the columns of a row group in parallel. Its file is byte for byte the one
/// that the `parquet` crate's own sequential `ArrowWriter` writes with the same settings when
/// given the same batches and told where each row group ends (an independent encoder), whatever
/// the number of threads, with row groups cut by rows or by bytes; and each row group holds at
/// most the rows and the Arrow bytes it may (measured on the data read back).
#[test]
fn parallel_encoding_writes_the_bytes_of_the_sequential_writer() {
    let f = physlite();
    let tree = f.tree("CollectionTree").unwrap();
    let sel = tree.select_supported(&["*"]).unwrap();
    let batches: Vec<RecordBatch> = tree.batches(&sel).entries_per_batch(7).map(|b| b.unwrap()).collect();
    let schema = batches[0].schema();
    for options in [
        ParquetOptions { digest: false, ..Default::default() },
        ParquetOptions { digest: false, row_group_rows: 30, ..Default::default() },
        ParquetOptions { digest: false, row_group_bytes: 300 << 10, ..Default::default() },
        ParquetOptions { digest: false, row_group_bytes: 300 << 10, page_bytes: 8 << 10, ..Default::default() },
    ] {
        let ours: Vec<Vec<u8>> = [1, 2, 5]
            .into_iter()
            .map(|threads| {
                rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
                    let mut w = hep_io::ParquetWriter::new(Vec::new(), schema.clone(), &options).unwrap();
                    for b in &batches {
                        w.write(b).unwrap();
                    }
                    w.finish().unwrap().0
                })
            })
            .collect();
        assert!(ours.iter().all(|o| *o == ours[0]), "{options:?}: the bytes depend on the thread count");
        let path = std::env::temp_dir().join(format!("hep_io_ours_{}.parquet", std::process::id()));
        std::fs::write(&path, &ours[0]).unwrap();
        let meta = SerializedFileReader::new(File::open(&path).unwrap()).unwrap().metadata().clone();
        let sizes: Vec<usize> = meta.row_groups().iter().map(|g| g.num_rows() as usize).collect();
        let cut = options.row_group_rows < 1000 || options.row_group_bytes < 1 << 20;
        assert_eq!(sizes.len() > 2, cut, "{sizes:?} rows per row group");
        // Each row group within its bounds, as Arrow holds it once read back.
        for (i, &rows) in sizes.iter().enumerate() {
            let back = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
            let back = back.with_row_groups(vec![i]).with_batch_size(rows).build().unwrap();
            let group = concat(back.map(|b| b.unwrap()).collect());
            assert_eq!(group.num_rows(), rows);
            let bytes: usize = group.columns().iter().map(|c| c.to_data().get_slice_memory_size().unwrap()).sum();
            assert!(rows <= options.row_group_rows, "{rows} rows");
            assert!(rows == 1 || bytes <= options.row_group_bytes, "{bytes} bytes in a row group of {rows} rows");
        }
        std::fs::remove_file(&path).unwrap();
        // The reference: the same batches, sliced where our row groups end, each group flushed.
        let unbounded = ParquetOptions { row_group_rows: usize::MAX, row_group_bytes: usize::MAX, ..options };
        let mut reference = parquet::arrow::ArrowWriter::try_new(
            Vec::new(),
            schema.clone(),
            Some(unbounded.properties(&schema).unwrap()),
        )
        .unwrap();
        let (mut group, mut left) = (0, sizes[0]);
        for b in &batches {
            let mut rest = b.clone();
            while rest.num_rows() > 0 {
                let take = rest.num_rows().min(left);
                reference.write(&rest.slice(0, take)).unwrap();
                rest = rest.slice(take, rest.num_rows() - take);
                left -= take;
                if left == 0 {
                    reference.flush().unwrap();
                    group += 1;
                    left = sizes.get(group).copied().unwrap_or(usize::MAX);
                }
            }
        }
        let reference = reference.into_inner().unwrap();
        assert!(ours[0] == reference, "{options:?}: {} vs {} bytes", ours[0].len(), reference.len());
    }
}

/// A batch that is not of the writer's schema is refused with an error, not a panic.
#[test]
fn a_batch_of_another_schema_is_refused() {
    let a = RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(vec![1.0f32])) as _)]).unwrap();
    let b = RecordBatch::try_from_iter([("x", Arc::new(arrow_array::Int32Array::from(vec![1])) as _)]).unwrap();
    let two = RecordBatch::try_from_iter([
        ("x", Arc::new(Float32Array::from(vec![1.0f32])) as _),
        ("y", Arc::new(Float32Array::from(vec![1.0f32])) as _),
    ])
    .unwrap();
    let mut w = hep_io::ParquetWriter::new(Vec::new(), a.schema(), &Default::default()).unwrap();
    for other in [&b, &two] {
        let e = w.write(other).unwrap_err().to_string();
        assert!(e.contains("schema"), "{e}");
    }
    w.write(&a).unwrap();
    assert_eq!(w.finish().unwrap().1.rows, 1);
}
