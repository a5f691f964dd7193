//! `float-bits` hot paths against the physical limit measured in the same run.
//!
//! ```text
//! cargo bench -p hepfloat-benches --bench float_bits
//! ```
//! Every group uses 64 MiB of `f32` (16 Mi values, far beyond the caches) and reports bytes of
//! `f32` input per second, so the ratio to `copy_from_slice` is the fraction of memory speed.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use float_bits::{Backend, Scheme, pack};
use hepfloat_benches::physics_like;

const N: usize = 16 * 1024 * 1024;

fn config() -> Criterion {
    Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4))
}

fn compress(c: &mut Criterion) {
    let src = physics_like(N);
    let mut dst = vec![0f32; N];
    let mut g = c.benchmark_group("atlas_k7_64MiB");
    g.throughput(Throughput::Bytes((N * 4) as u64));
    g.bench_function("copy_from_slice", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(&dst);
        })
    });
    let atlas = Scheme::atlas(7).expect("valid");
    for backend in Backend::available() {
        g.bench_function(format!("compress_into/{backend:?}"), |b| {
            b.iter(|| {
                atlas.compress_into_with(backend, black_box(&src), &mut dst).expect("available");
                black_box(&dst);
            })
        });
    }
    g.bench_function("compress_in_place/detected", |b| {
        b.iter(|| {
            atlas.compress_in_place(black_box(&mut dst)).expect("valid");
        })
    });
    g.finish();

    let mut g = c.benchmark_group("schemes_64MiB");
    g.throughput(Throughput::Bytes((N * 4) as u64));
    let schemes = [
        Scheme::nearest_even(7),
        Scheme::toward_zero(7),
        Scheme::root_float16(7),
        Scheme::root_range(-1.0e6, 1.0e6, 16),
        Scheme::rntuple_quant(-1.0e6, 1.0e6, 16),
    ];
    for s in schemes.into_iter().map(|s| s.expect("valid")) {
        g.bench_function(format!("{s}/detected"), |b| {
            b.iter(|| {
                s.compress_into(black_box(&src), &mut dst).expect("in range");
                black_box(&dst);
            })
        });
    }
    g.finish();
}

fn packing(c: &mut Criterion) {
    let mut values = physics_like(N);
    Scheme::atlas(7).expect("valid").compress_in_place(&mut values).expect("valid");
    let mut packed = vec![0u8; pack::packed_len(7, N).expect("valid")];
    let mut back = vec![0f32; N];
    let mut split = vec![0u8; N * 4];
    let mut g = c.benchmark_group("pack_k7_64MiB");
    g.throughput(Throughput::Bytes((N * 4) as u64));
    g.bench_function("copy_from_slice", |b| {
        b.iter(|| {
            back.copy_from_slice(black_box(&values));
            black_box(&back);
        })
    });
    g.bench_function("pack", |b| {
        b.iter(|| pack::pack(7, black_box(&values), &mut packed).expect("packable"));
    });
    g.bench_function("unpack", |b| {
        b.iter(|| {
            pack::unpack(7, black_box(&packed), &mut back).expect("sized");
            black_box(&back);
        })
    });
    g.bench_function("byte_stream_split", |b| {
        b.iter(|| {
            pack::byte_stream_split(black_box(&values), &mut split).expect("sized");
            black_box(&split);
        })
    });
    g.bench_function("byte_stream_join", |b| {
        b.iter(|| {
            pack::byte_stream_join(black_box(&split), &mut back).expect("sized");
            black_box(&back);
        })
    });
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = compress, packing }
criterion_main!(benches);
