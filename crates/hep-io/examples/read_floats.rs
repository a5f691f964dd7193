//! Read every float branch of a tree, or every float field of an RNTuple, into Arrow, as a whole
//! process (the speed comparison with `uproot`'s `arrays(names)`).
//!
//! ```text
//! cargo run --release -p hep-io --example read_floats [-- FILE.root [TREE-OR-RNTUPLE]]
//! ```
//! Without a name it reads `EventData` of a file holding that RNTuple, else `CollectionTree`.
//! With `--stream` after the name it reads batches of about 64 MiB one after the other, as the
//! `hepfloat` commands do (memory bounded by the batch), instead of the whole file at once (as
//! uproot's `arrays()` does).

use arrow_array::RecordBatch;
use hep_io::Primitive;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = std::time::Instant::now();
    let mut args = std::env::args().skip(1);
    let path = match args.next() {
        Some(p) => p.into(),
        None => hepfloat_testdata::data_file("PHYSLITE_example.root")?,
    };
    let file = hep_io::RootFile::open(&path)?;
    let ntuples = file.rntuples()?;
    let default = if ntuples.iter().any(|n| n == "EventData") { "EventData" } else { "CollectionTree" };
    let name = args.next().unwrap_or_else(|| default.into());
    let is_float =
        |c: &Result<hep_io::ColumnType, hep_io::Unreadable>| c.as_ref().is_ok_and(|c| c.primitive == Primitive::F32);
    let stream = args.next().as_deref() == Some("--stream");
    let (mut columns, mut rows, mut values) = (0, 0, 0);
    let mut count = |batch: hep_io::Result<RecordBatch>| -> hep_io::Result<()> {
        let batch = batch?;
        (columns, rows) = (batch.num_columns(), rows + batch.num_rows());
        for c in batch.columns() {
            let mut d = c.to_data();
            while let Some(child) = d.child_data().first() {
                d = child.clone();
            }
            values += d.len();
        }
        Ok(())
    };
    if ntuples.contains(&name) {
        let nt = file.rntuple(&name)?;
        let floats: Vec<&str> = nt.fields().iter().filter(|f| is_float(&f.column)).map(|f| f.name.as_str()).collect();
        let sel = nt.select_supported(&floats)?;
        if stream {
            nt.batches(&sel).try_for_each(count)?;
        } else {
            count(nt.read(&sel, 0..nt.entries()))?;
        }
    } else {
        let tree = file.tree(&name)?;
        let floats: Vec<&str> =
            tree.branches().iter().filter(|b| is_float(&b.column)).map(|b| b.path.as_str()).collect();
        let sel = tree.select(&floats)?;
        if stream {
            tree.batches(&sel).try_for_each(count)?;
        } else {
            count(tree.read(&sel, 0..tree.entries()))?;
        }
    }
    println!(
        "{} float columns of {name}, {} entries, {values} values in {:.2} ms",
        columns,
        rows,
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
