//! `metrics` streaming throughput over 100 M value pairs (override with `HEPFLOAT_BENCH_N`).
//!
//! ```text
//! cargo bench -p hepfloat-benches --bench metrics
//! ```
//! Throughput is value pairs per second on one core. The reference is the plain MSE loop alone
//! (one subtraction, one multiply-add per pair) on the same data in the same run.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use float_bits::Scheme;
use hepfloat_benches::physics_like;
use metrics::{Edges, Histogram, Pointwise, Scale};

fn config() -> Criterion {
    Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(20))
}

fn streaming(c: &mut Criterion) {
    let n: usize = std::env::var("HEPFLOAT_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000_000);
    let original = physics_like(n);
    let mut compressed = original.clone();
    Scheme::atlas(7).expect("valid").compress_in_place(&mut compressed).expect("valid");
    let edges = Edges::from_original(Scale::Log10Abs, &original[..1_000_000.min(n)], 100).expect("spread");
    let chunk = 1 << 16;
    let mut g = c.benchmark_group(format!("metrics_{}M_pairs", n / 1_000_000));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("plain_mse_loop", |b| {
        b.iter(|| {
            let s: f64 = original
                .iter()
                .zip(&compressed)
                .map(|(&x, &y)| {
                    let d = f64::from(y) - f64::from(x);
                    d * d
                })
                .sum();
            black_box(s / n as f64)
        })
    });
    g.bench_function("pointwise_all", |b| {
        b.iter(|| {
            let mut p = Pointwise::new();
            for (x, y) in original.chunks(chunk).zip(compressed.chunks(chunk)) {
                p.add(x, y).expect("same length");
            }
            black_box((p.mse(), p.log_mse()))
        })
    });
    g.bench_function("histogram_log10", |b| {
        b.iter(|| {
            let mut h = Histogram::new(edges.clone());
            h.add(&compressed);
            black_box(h.counts()[0])
        })
    });
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = streaming }
criterion_main!(benches);
