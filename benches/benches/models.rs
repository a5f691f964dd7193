//! `models` upsampling throughput (one core) against the copy of the same bytes, in the same run.
//!
//! ```text
//! cargo bench -p hepfloat-benches --bench models
//! ```
//! Throughput is compressed values per second (one `f32` in, one `f32` out), for the uniform
//! prior and for a fitted histogram prior (atoms plus a within-interval shape), mean and sample.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use float_bits::Scheme;
use hepfloat_benches::physics_like;
use models::{Estimate, FitOptions, Prior, Seed};

fn config() -> Criterion {
    Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

fn upsample(c: &mut Criterion) {
    let n = 1 << 20;
    let atlas = Scheme::atlas(7).expect("valid");
    let original = physics_like(n);
    let mut comp = original.clone();
    atlas.compress_in_place(&mut comp).expect("valid");
    let mut out = vec![0f32; n];
    let fitted = models::candidates(&atlas, &original[..n / 4], &FitOptions::default()).expect("fits");
    let histogram = fitted.into_iter().find(|p| p.name() == "histogram").expect("always fitted");
    let mut g = c.benchmark_group("upsample_atlas_k7_1Mi");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("copy_from_slice", |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&comp));
            black_box(&out);
        })
    });
    for (name, prior) in [("uniform", Prior::Uniform), ("histogram", histogram)] {
        for how in [Estimate::Mean, Estimate::Sample] {
            g.bench_function(format!("{name}_{how}"), |b| {
                b.iter(|| {
                    prior.upsample(&atlas, black_box(&comp), how, Seed::default(), &mut out).expect("outputs");
                    black_box(&out);
                })
            });
        }
    }
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = upsample }
criterion_main!(benches);
