//! `hep-io` reading every float branch of the PHYSLITE sample (380 branches, 100 events) into
//! Arrow, against two limits measured in the same run: `memcpy` of the decompressed bytes, and
//! zlib-inflating a buffer of the same size compressed at the same level (the sample's baskets
//! are zlib level 1).
//!
//! ```text
//! cargo bench -p hepfloat-benches --bench hep_io
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hep_io::RootFile;

fn config() -> Criterion {
    Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(10))
}

fn read(c: &mut Criterion) {
    let path = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap_or_else(|e| panic!("{e}"));
    let bytes = std::fs::read(path).expect("the sample reads");
    let file = RootFile::from_bytes(bytes.clone()).expect("the sample opens");
    let tree = file.tree("CollectionTree").expect("the tree opens");
    let floats = hepfloat_benches::float_branches(&tree);
    let sel = tree.select(&floats).expect("float branches are supported");
    let uncompressed: u64 = floats.iter().map(|n| tree.branch(n).map(|b| b.uncompressed_bytes).unwrap_or(0)).sum();
    // A buffer of the same size as the decompressed baskets, zlib level 1, for the inflate limit.
    let batch = tree.read(&sel, 0..tree.entries()).expect("reads");
    let mut plain = hepfloat_benches::value_bytes(&batch);
    plain.resize(uncompressed as usize, 0);
    let zlib = miniz_oxide::deflate::compress_to_vec_zlib(&plain, 1);

    let mut g = c.benchmark_group("hep_io_physlite_380_float_branches");
    g.throughput(Throughput::Bytes(uncompressed));
    g.bench_function("open_and_parse_tree", |b| {
        b.iter(|| {
            let f = RootFile::from_bytes(black_box(bytes.clone())).expect("opens");
            black_box(f.tree("CollectionTree").expect("parses").branches().len())
        })
    });
    g.bench_function("read_into_arrow", |b| b.iter(|| black_box(tree.read(&sel, 0..100).expect("reads"))));
    g.bench_function("limit_inflate_same_bytes", |b| {
        // libdeflate, the decoder hep-io uses (benches/benches/inflate.rs compares the candidates).
        let mut out = vec![0u8; plain.len()];
        let mut d = libdeflater::Decompressor::new();
        b.iter(|| black_box(d.zlib_decompress(black_box(&zlib), &mut out).expect("inflates")))
    });
    let mut dst = vec![0u8; plain.len()];
    g.bench_function("limit_memcpy_same_bytes", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&plain));
            black_box(dst[0])
        })
    });
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = read }
criterion_main!(benches);
