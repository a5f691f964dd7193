//! Parquet (BYTE_STREAM_SPLIT + ZSTD) and Arrow IPC out, read back losslessly.

use std::fs::File;

use arrow_array::RecordBatch;
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
    let s = hep_io::write_parquet(&path, schema.clone(), tree.batches(&sel).entries_per_batch(30), options).unwrap();
    assert_eq!((s.rows, s.batches), (100, 4));
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
    let s = hep_io::write_ipc(&ipc, schema.clone(), tree.batches(&sel).entries_per_batch(45)).unwrap();
    assert_eq!((s.rows, s.batches), (100, 3));
    let reader = arrow_ipc::reader::FileReader::try_new(File::open(&ipc).unwrap(), None).unwrap();
    assert_eq!(reader.schema(), schema);
    assert_eq!(concat(reader.map(|b| b.unwrap()).collect()), original);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn writing_reports_errors() {
    let schema = std::sync::Arc::new(arrow_schema::Schema::empty());
    let e = hep_io::write_parquet("/no/such/dir/x.parquet", schema.clone(), [], ParquetOptions::default()).unwrap_err();
    assert!(matches!(e, hep_io::Error::Io { .. }), "{e}");
    let bad = ParquetOptions { zstd_level: 99, ..Default::default() };
    let e =
        hep_io::write_parquet(std::env::temp_dir().join("hep_io_bad.parquet"), schema.clone(), [], bad).unwrap_err();
    assert!(matches!(e, hep_io::Error::Write { .. }), "{e}");
    // An error from the batch source stops the writer and is passed on.
    let path = std::env::temp_dir().join(format!("hep_io_err_{}.arrow", std::process::id()));
    let e = hep_io::write_ipc(&path, schema, [Err(hep_io::Error::NoSuchBranch("x".into()))]).unwrap_err();
    assert!(matches!(e, hep_io::Error::NoSuchBranch(_)), "{e}");
    let _ = std::fs::remove_file(path);
}
