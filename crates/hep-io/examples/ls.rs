//! List every key of a ROOT file (`cargo run -p hep-io --example ls -- FILE`).

fn main() -> Result<(), hep_io::Error> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| hepfloat_testdata::data_dir().join("PHYSLITE_example.root").display().to_string());
    let file = hep_io::RootFile::open(&path)?;
    println!("{path}: ROOT {} , {} bytes, compression {}", file.header().version, file.len(), file.header().compress);
    for (name, key) in file.walk()? {
        let obj = file.read_object(&key)?;
        println!("  {name:40} {:24} cycle {} {:>9} → {:>9} bytes", key.class_name, key.cycle, key.nbytes, obj.len());
    }
    let info = file.streamer_info_key()?;
    println!("  streamer info: {} bytes → {}", info.nbytes, file.read_object(&info)?.len());
    Ok(())
}
