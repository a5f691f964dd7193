//! Parquet sizes of the PHYSLITE sample at full precision and after ATLAS lossy compression.
//!
//! Reads every supported branch of `PHYSLITE_example.root`, writes it as Parquet (ZSTD, with and
//! without `BYTE_STREAM_SPLIT` on the float columns) and as Arrow IPC, then rounds every float
//! column with `float-bits` `Atlas{k: 15}` and `Atlas{k: 7}` and writes Parquet again. Prints a
//! table of sizes, for all branches and for the float branches alone.
//!
//! ```text
//! cargo run --release -p hep-io --example physlite_parquet [-- FILE.root [ZSTD_LEVEL]]
//! ```

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, FixedSizeListArray, Float32Array, LargeListArray, RecordBatch};
use arrow_schema::DataType;
use float_bits::Scheme;
use hep_io::{ParquetOptions, RootFile, Selection, Tree};

/// `array` with `f` applied to every `float` value, at any list depth.
fn map_floats(array: &ArrayRef, f: &dyn Fn(&mut [f32])) -> ArrayRef {
    match array.data_type() {
        DataType::Float32 => {
            let mut v = array.as_primitive::<arrow_array::types::Float32Type>().values().to_vec();
            f(&mut v);
            Arc::new(Float32Array::new(v.into(), array.nulls().cloned()))
        }
        DataType::LargeList(field) => {
            let l = array.as_list::<i64>();
            let values = map_floats(l.values(), f);
            Arc::new(LargeListArray::new(field.clone(), l.offsets().clone(), values, l.nulls().cloned()))
        }
        DataType::FixedSizeList(field, n) => {
            let l = array.as_fixed_size_list();
            let values = map_floats(l.values(), f);
            Arc::new(FixedSizeListArray::new(field.clone(), *n, values, l.nulls().cloned()))
        }
        _ => array.clone(),
    }
}

/// Bytes of a Parquet file holding `batch`.
fn parquet_size(batch: &RecordBatch, options: ParquetOptions) -> Result<u64, hep_io::Error> {
    let mut w = hep_io::ParquetWriter::new(std::io::sink(), batch.schema(), &options)?;
    w.write(batch)?;
    Ok(w.finish()?.1.bytes)
}

fn report(tree: &Tree, sel: &Selection, what: &str, level: i32) -> Result<(), Box<dyn std::error::Error>> {
    let batch = tree.read(sel, 0..tree.entries())?;
    let root_bytes: u64 = sel.columns().iter().map(|c| tree.branch(c).map(|b| b.compressed_bytes).unwrap_or(0)).sum();
    let bss = ParquetOptions { zstd_level: level, ..Default::default() };
    let plain = ParquetOptions { byte_stream_split: false, ..bss };
    let full = parquet_size(&batch, bss)?;
    let ipc_path = std::env::temp_dir().join(format!("hep_io_physlite_{}.arrow", std::process::id()));
    let one = arrow_array::RecordBatchIterator::new([Ok(batch.clone())], batch.schema());
    let ipc = hep_io::write_ipc(&ipc_path, one)?.bytes;
    let _ = std::fs::remove_file(ipc_path);
    let mut rows = vec![
        ("ROOT baskets (as stored in the file)".to_string(), root_bytes),
        ("Arrow IPC, uncompressed".to_string(), ipc),
        (format!("Parquet ZSTD({level}), plain/dictionary floats"), parquet_size(&batch, plain)?),
        (format!("Parquet ZSTD({level}) + BYTE_STREAM_SPLIT, full precision"), full),
    ];
    for k in [15, 7] {
        let scheme = Scheme::atlas(k)?;
        let columns: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .map(|c| map_floats(c, &|v| scheme.compress_in_place(v).expect("Atlas never fails on f32")))
            .collect();
        let rounded = RecordBatch::try_new(batch.schema(), columns)?;
        let size = parquet_size(&rounded, bss)?;
        rows.push((format!("Parquet ZSTD({level}) + BYTE_STREAM_SPLIT, Atlas k = {k}"), size));
    }
    println!("\n{what}: {} columns, {} rows", batch.num_columns(), batch.num_rows());
    println!("| format | bytes | vs full-precision Parquet |\n|---|---:|---:|");
    for (name, bytes) in rows {
        println!("| {name} | {bytes} | {:.3} |", bytes as f64 / full as f64);
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = match args.next() {
        Some(p) => p.into(),
        None => hepfloat_testdata::data_file("PHYSLITE_example.root")?,
    };
    let level: i32 = args.next().map(|l| l.parse()).transpose()?.unwrap_or(3);
    let file = RootFile::open(&path)?;
    let tree = file.tree("CollectionTree")?;
    println!("{}: {} bytes, {} entries", path.display(), file.len(), tree.entries());
    let all = tree.select_supported(&["*"])?;
    report(&tree, &all, "Every supported branch", level)?;
    let floats: Vec<String> = tree
        .branches()
        .iter()
        .filter(|b| b.column.as_ref().is_ok_and(|c| c.primitive == hep_io::Primitive::F32))
        .map(|b| b.path.clone())
        .collect();
    report(&tree, &tree.select(&floats)?, "Float branches", level)?;
    Ok(())
}
