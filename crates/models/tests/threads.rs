//! Compressing and upsampling a batch work on its columns in parallel (rayon's pool): the output
//! is the same, bit for bit, whatever the number of threads, random draws included.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, RecordBatch};
use float_bits::Scheme;
use models::batch::{Upsampler, compress_columns};
use models::{Estimate, FitOptions, Model};

/// `f` on a pool of `n` threads.
fn with_threads<R: Send>(n: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("a thread pool").install(f)
}

/// 24 columns of 4 000 values, each of its own shape (a few discrete values, smooth spectra,
/// signed values), from a fixed generator.
fn columns() -> Vec<(String, Vec<f32>)> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    (0..24)
        .map(|c| {
            let v = (0..4000)
                .map(|_| match c % 3 {
                    0 => (next() * 5.0).floor() * 0.25,
                    1 => 1000.0 * (-3.0 * next()).exp() * (1.0 + c as f32),
                    _ => (next() - 0.5) * 6.0,
                })
                .collect();
            (format!("c{c}"), v)
        })
        .collect()
}

fn batch(cols: &[(String, Vec<f32>)], events: std::ops::Range<usize>) -> RecordBatch {
    let arrays =
        cols.iter().map(|(n, v)| (n.as_str(), Arc::new(Float32Array::from(v[events.clone()].to_vec())) as ArrayRef));
    RecordBatch::try_from_iter(arrays).unwrap()
}

#[test]
fn compress_and_upsample_are_identical_whatever_the_thread_count() {
    let cols = columns();
    let scheme = Scheme::atlas(7).unwrap();
    let fit: Vec<(&str, &[f32], &[f32])> =
        cols.iter().filter(|(n, _)| n != "c5").map(|(n, v)| (n.as_str(), &v[..1000], &v[1000..2000])).collect();
    let model = Model::fit(scheme, &fit, FitOptions::default()).unwrap();
    let original = batch(&cols, 2000..4000);
    // `c5` stays at full precision: it passes through both.
    let scheme_of = |name: &str| (name != "c5").then_some(scheme);
    let compress = || compress_columns(&original, scheme_of).unwrap();
    let (compressed, counts) = with_threads(1, compress);
    assert_eq!((counts.values, counts.kept), (23 * 2000, 2000));
    let upsample = |how: Estimate| {
        let mut up = Upsampler::new(&model, how, 7);
        // Two batches, so that draws continue by position across them.
        let (a, b) = (compressed.slice(0, 700), compressed.slice(700, 1300));
        (up.upsample(&a).unwrap(), up.upsample(&b).unwrap())
    };
    let one: Vec<_> = [Estimate::Mean, Estimate::Sample].map(|how| with_threads(1, || upsample(how))).into();
    assert_ne!(one[1].0, compressed.slice(0, 700), "draws move values");
    for n in [2, 4, 7] {
        assert_eq!(with_threads(n, compress).0, compressed, "compress, {n} threads");
        for (how, want) in [Estimate::Mean, Estimate::Sample].into_iter().zip(&one) {
            assert_eq!(&with_threads(n, || upsample(how)), want, "{how:?}, {n} threads");
        }
    }
}
