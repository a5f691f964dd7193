//! Show a tree's branches and read every readable one (`cargo run -p hep-io --example show -- FILE [TREE]`).

fn main() -> Result<(), hep_io::Error> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| hepfloat_testdata::data_dir().join("PHYSLITE_example.root").display().to_string());
    let file = hep_io::RootFile::open(&path)?;
    let name = match args.next() {
        Some(n) => n,
        None => file.trees()?.into_iter().next().ok_or_else(|| hep_io::Error::NoSuchKey("any TTree".into()))?,
    };
    let tree = file.tree(&name)?;
    print!("{}", tree.show());
    // Read what can be read, and say what the file's damage makes unreadable.
    let sel = tree.select_readable(&["*"])?;
    for d in sel.damaged() {
        eprintln!("skipped: {d}");
    }
    let batch = tree.read(&sel, 0..tree.entries())?;
    println!(
        "read {} supported branches ({} rows, {} bytes in Arrow); {} unsupported and {} damaged skipped",
        batch.num_columns(),
        batch.num_rows(),
        batch.get_array_memory_size(),
        sel.skipped().len(),
        sel.damaged().len()
    );
    Ok(())
}
