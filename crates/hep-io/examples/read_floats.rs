//! Read every float branch of a tree into Arrow, as a whole process (the speed comparison with
//! `uproot`'s `tree.arrays(names)`).
//!
//! ```text
//! cargo run --release -p hep-io --example read_floats [-- FILE.root [TREE]]
//! ```

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = std::time::Instant::now();
    let mut args = std::env::args().skip(1);
    let path = match args.next() {
        Some(p) => p.into(),
        None => hepfloat_testdata::data_file("PHYSLITE_example.root")?,
    };
    let tree_name = args.next().unwrap_or_else(|| "CollectionTree".into());
    let file = hep_io::RootFile::open(&path)?;
    let tree = file.tree(&tree_name)?;
    let floats: Vec<&str> = tree
        .branches()
        .iter()
        .filter(|b| b.column.as_ref().is_ok_and(|c| c.primitive == hep_io::Primitive::F32))
        .map(|b| b.path.as_str())
        .collect();
    let batch = tree.read(&tree.select(&floats)?, 0..tree.entries())?;
    let values: usize = batch
        .columns()
        .iter()
        .map(|c| {
            let mut d = c.to_data();
            while let Some(child) = d.child_data().first() {
                d = child.clone();
            }
            d.len()
        })
        .sum();
    println!(
        "{} float branches, {} entries, {values} values in {:.2} ms",
        batch.num_columns(),
        batch.num_rows(),
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
