//! Which zlib decoder `hep-io` should use (issue 19, "faster inflate"): the float data of the
//! PHYSLITE sample (every `float` branch, decompressed by hep-io), cut into 32 KiB blocks and
//! compressed at zlib level 1 as ROOT writes baskets, inflated block by block into buffers of the
//! exact size by each candidate, zlib header and Adler-32 verified by all of them:
//!
//! - `miniz_oxide` (what hep-io used up to 0.7): pure Rust;
//! - `zlib-rs` through `flate2` (the Trifecta Tech rewrite of zlib-ng in Rust): pure Rust;
//! - `libdeflater` (libdeflate, C): whole-buffer decompression.
//!
//! The same run measures `memcpy` of the output bytes (the limit). Before the timings, every
//! candidate inflates damaged copies of the blocks (one byte changed at a seeded position, 2 000
//! copies) and the run prints how many each refused and how many it decoded to different bytes
//! without an error (silent damage: must be 0 with the checksum verified).
//!
//! ```text
//! cargo bench -p hepfloat-benches --bench inflate
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use hep_io::RootFile;

/// ROOT's baskets of float data come in blocks of this order; the sample's are level 1.
const BLOCK: usize = 32 * 1024;

/// The decompressed float bytes of the sample.
fn float_bytes() -> Vec<u8> {
    let path = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap_or_else(|e| panic!("{e}"));
    let file = RootFile::open(path).expect("the sample opens");
    let tree = file.tree("CollectionTree").expect("the tree opens");
    let floats = hepfloat_benches::float_branches(&tree);
    let batch = tree.read(&tree.select(&floats).expect("supported"), 0..tree.entries()).expect("reads");
    hepfloat_benches::value_bytes(&batch)
}

type Inflate = fn(&[u8], &mut [u8]) -> Result<usize, String>;

fn miniz(src: &[u8], dst: &mut [u8]) -> Result<usize, String> {
    use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
    let mut state = DecompressorOxide::new();
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
        | inflate_flags::TINFL_FLAG_COMPUTE_ADLER32
        | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    match decompress(&mut state, src, dst, 0, flags) {
        (miniz_oxide::inflate::TINFLStatus::Done, _, n) => Ok(n),
        (s, _, n) => Err(format!("{s:?} after {n} bytes")),
    }
}

fn zlib_rs(src: &[u8], dst: &mut [u8]) -> Result<usize, String> {
    let mut d = flate2::Decompress::new(true);
    match d.decompress(src, dst, flate2::FlushDecompress::Finish) {
        Ok(flate2::Status::StreamEnd) => Ok(d.total_out() as usize),
        Ok(s) => Err(format!("{s:?} after {} bytes", d.total_out())),
        Err(e) => Err(e.to_string()),
    }
}

fn libdeflate(src: &[u8], dst: &mut [u8]) -> Result<usize, String> {
    libdeflater::Decompressor::new().zlib_decompress(src, dst).map_err(|e| e.to_string())
}

const CANDIDATES: [(&str, Inflate); 3] =
    [("miniz_oxide", miniz), ("zlib-rs (flate2)", zlib_rs), ("libdeflate", libdeflate)];

/// Inflate one damaged copy of each of many blocks: (refused, decoded wrongly without error).
fn damage(blocks: &[(Vec<u8>, &[u8])], f: Inflate) -> (u32, u32) {
    let (mut refused, mut silent) = (0, 0);
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..2000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let (z, plain) = &blocks[i % blocks.len()];
        let mut bad = z.clone();
        let at = (s as usize >> 8) % bad.len();
        bad[at] ^= 1 + (s as u8 % 255);
        let mut out = vec![0u8; plain.len()];
        match f(&bad, &mut out) {
            Ok(n) if n == plain.len() && out == *plain => {}
            Ok(_) => silent += 1,
            Err(_) => refused += 1,
        }
    }
    (refused, silent)
}

fn main() {
    let plain = float_bytes();
    let blocks: Vec<(Vec<u8>, &[u8])> =
        plain.chunks(BLOCK).map(|c| (miniz_oxide::deflate::compress_to_vec_zlib(c, 1), c)).collect();
    let compressed: usize = blocks.iter().map(|b| b.0.len()).sum();
    eprintln!(
        "{} blocks of up to {BLOCK} bytes: {} bytes of floats, {compressed} compressed (zlib level 1)",
        blocks.len(),
        plain.len()
    );
    eprintln!("damaged copies (one byte changed, 2000 per decoder): refused / decoded wrongly without error");
    for (name, f) in CANDIDATES {
        let (refused, silent) = damage(&blocks, f);
        eprintln!("  {name:<18} {refused:>5} / {silent}");
        assert_eq!(silent, 0, "{name} decoded damaged data without an error");
        for (z, p) in &blocks {
            let mut out = vec![0u8; p.len()];
            assert_eq!(f(z, &mut out), Ok(p.len()), "{name}");
            assert_eq!(&out[..], *p, "{name}");
        }
    }

    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut g = c.benchmark_group("inflate_physlite_floats_32KiB_blocks");
    g.throughput(Throughput::Bytes(plain.len() as u64));
    let mut out = vec![0u8; plain.len()];
    for (name, f) in CANDIDATES {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut at = 0;
                for (z, p) in &blocks {
                    at += f(black_box(z), &mut out[at..at + p.len()]).expect("inflates");
                }
                black_box(at)
            })
        });
    }
    g.bench_function("limit_memcpy_same_bytes", |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&plain));
            black_box(out[0])
        })
    });
    g.finish();
    c.final_summary();
}
