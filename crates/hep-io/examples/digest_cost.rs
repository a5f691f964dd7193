//! What hepfloat's Parquet digest (`hep_io::DIGEST_KEY`) costs: a ROOT file's float branches,
//! held in memory, written as Parquet with and without the digest (best of three each), the
//! file sizes, and the time `verify_parquet` takes to check it, beside a plain read of the file
//! (the physical limit of a check that reads every byte).
//!
//! ```text
//! cargo run --release -p hep-io --example digest_cost -- FILE.root [OUT_DIR]
//! ```

use std::time::Instant;

use arrow_array::RecordBatch;
use hep_io::{ParquetOptions, ParquetWriter, RootFile};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args.next().ok_or("usage: digest_cost FILE.root [OUT_DIR]")?;
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| std::env::temp_dir().display().to_string()));
    let file = RootFile::open(&input)?;
    let tree = file.tree(&file.event_data()?)?;
    let floats: Vec<String> = tree
        .branches()
        .iter()
        .filter(|b| b.column.as_ref().is_ok_and(|c| c.primitive == hep_io::Primitive::F32))
        .map(|b| b.path.clone())
        .collect();
    let names: Vec<&str> = floats.iter().map(String::as_str).collect();
    let sel = tree.select(&names)?;
    let schema = tree.schema(&sel);
    let batches: Vec<RecordBatch> = tree.batches(&sel).collect::<Result<_, _>>()?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    println!("{input}: {rows} events, {} float columns, in memory", floats.len());
    println!("| digest | file bytes | write seconds (best of 3) | MB/s of file |");
    println!("|---|---:|---:|---:|");
    let mut sizes = [0u64; 2];
    for (i, digest) in [false, true].into_iter().enumerate() {
        let path = dir.join(format!("digest-cost-{digest}.parquet"));
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            let out = std::io::BufWriter::new(std::fs::File::create(&path)?);
            let mut w = ParquetWriter::new(out, schema.clone(), &ParquetOptions { digest, ..Default::default() })?;
            for b in &batches {
                w.write(b)?;
            }
            let (_, summary) = w.finish()?;
            best = best.min(t.elapsed().as_secs_f64());
            sizes[i] = summary.bytes;
        }
        println!(
            "| {} | {} | {best:.3} | {:.0} |",
            if digest { "on" } else { "off" },
            sizes[i],
            sizes[i] as f64 / best / 1e6
        );
    }
    let path = dir.join("digest-cost-true.parquet");
    let t = Instant::now();
    let bytes = std::fs::read(&path)?;
    let read = t.elapsed().as_secs_f64();
    drop(bytes);
    let t = Instant::now();
    let p = hep_io::verify_parquet(&path)?;
    let verify = t.elapsed().as_secs_f64();
    println!(
        "\nsize cost: {} bytes ({:.3} %); verify_parquet: {verify:.3} s ({:.0} MB/s; {p}); reading the file alone: {read:.3} s",
        sizes[1] as i64 - sizes[0] as i64,
        100.0 * (sizes[1] as f64 / sizes[0] as f64 - 1.0),
        sizes[1] as f64 / verify / 1e6
    );
    for digest in [false, true] {
        std::fs::remove_file(dir.join(format!("digest-cost-{digest}.parquet")))?;
    }
    Ok(())
}
