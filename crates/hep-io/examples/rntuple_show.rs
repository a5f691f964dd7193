//! Show an RNTuple's fields and read every readable one (`cargo run -p hep-io --example rntuple_show -- FILE [NAME]`).

fn main() -> Result<(), hep_io::Error> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| hepfloat_testdata::data_dir().join("physlite_rntuple.root").display().to_string());
    let file = hep_io::RootFile::open(&path)?;
    let names = file.rntuples()?;
    println!("{path}: RNTuples {names:?}");
    let name =
        args.next().or_else(|| names.first().cloned()).ok_or_else(|| hep_io::Error::NoSuchKey("any RNTuple".into()))?;
    let nt = file.rntuple(&name)?;
    print!("{}", nt.show());
    let sel = nt.select_supported(&["*"])?;
    let batch = nt.read(&sel, 0..nt.entries())?;
    println!("read {} columns of {} rows ({} skipped)", batch.num_columns(), batch.num_rows(), sel.skipped().len());
    Ok(())
}
