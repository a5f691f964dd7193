//! `quant-bounds` slice preimages against the copy of the same bytes, in the same run.
//!
//! ```text
//! cargo bench -p hepfloat-benches --bench quant_bounds
//! ```
//! Throughput is compressed values per second (one `f32` in, two `f32` bounds out).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use float_bits::Scheme;
use hepfloat_benches::physics_like;

fn config() -> Criterion {
    Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

fn preimages(c: &mut Criterion) {
    for (label, n) in [("64Ki_in_cache", 64 * 1024), ("16Mi_in_memory", 16 * 1024 * 1024)] {
        let atlas = Scheme::atlas(7).expect("valid");
        let mut comp = physics_like(n);
        atlas.compress_in_place(&mut comp).expect("valid");
        let (mut lo, mut hi) = (vec![0f32; n], vec![0f32; n]);
        let mut g = c.benchmark_group(format!("preimages_atlas_k7_{label}"));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function("copy_from_slice_x2", |b| {
            b.iter(|| {
                lo.copy_from_slice(black_box(&comp));
                hi.copy_from_slice(black_box(&comp));
                black_box((&lo, &hi));
            })
        });
        g.bench_function("preimages", |b| {
            b.iter(|| {
                quant_bounds::preimages(&atlas, black_box(&comp), &mut lo, &mut hi).expect("outputs");
                black_box((&lo, &hi));
            })
        });
        g.finish();
    }
}

criterion_group! { name = benches; config = config(); targets = preimages }
criterion_main!(benches);
