//! The bounded hybrid corrector against the exact oracle where its context carries information,
//! and against the compressed data where it carries none.
#![cfg(feature = "neural")]

use float_bits::Scheme;
use models::neural::{Hybrid, HybridConfig, Rows};

/// `n` objects: pt (kept) and x = slope·pt + N(0, sigma²), seeded.
fn objects(n: usize, seed: u64, slope: f64, sigma: f64) -> (Vec<f32>, Vec<f32>) {
    let mut st = seed;
    let mut u = move || {
        st = st.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((st >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let (mut pt, mut x) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let p = (20_000.0 - 30_000.0 * u().ln()) as f32;
        let g = (-2.0 * u().ln()).sqrt() * (std::f64::consts::TAU * u()).cos();
        pt.push(p);
        x.push(if slope == 0.0 { (2000.0 + 800.0 * g) as f32 } else { (slope * f64::from(p) + sigma * g) as f32 });
    }
    (pt, x)
}

/// The Bayes-optimal posterior mean of N(μ, σ²) restricted to [lo, hi] (midpoint rule, 256 cells).
fn oracle(lo: f32, hi: f32, mu: f64, sigma: f64) -> f64 {
    let (lo, w) = (f64::from(lo), f64::from(hi) - f64::from(lo));
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..256 {
        let x = lo + w * (i as f64 + 0.5) / 256.0;
        let p = (-0.5 * ((x - mu) / sigma).powi(2)).exp();
        num += x * p;
        den += p;
    }
    if den > 0.0 { num / den } else { lo + 0.5 * w }
}

fn sq(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum()
}

#[test]
fn reaches_the_oracle_where_the_context_informs() {
    let s = Scheme::atlas(7).unwrap();
    let (slope, sigma) = (0.02, 5.0); // the toy's topoetcone20: spread about half an interval
    let (pt, x) = objects(90_000, 7, slope, sigma);
    let (train, valid, test) = (0..40_000, 40_000..60_000, 60_000..90_000);
    let rows = |r: std::ops::Range<usize>| (x[r.clone()].to_vec(), pt[r].to_vec());
    let ((xt, pt_t), (xv, pt_v), (xe, pt_e)) = (rows(train), rows(valid), rows(test));
    let (h, report) = Hybrid::fit(
        &s,
        Rows { values: &xt, context: &[&pt_t] },
        Rows { values: &xv, context: &[&pt_v] },
        HybridConfig::default(),
    )
    .unwrap();
    let mut c = xe.clone();
    s.compress_in_place(&mut c).unwrap();
    let mut out = vec![0f32; c.len()];
    h.upsample(Rows { values: &c, context: &[&pt_e] }, &mut out).unwrap();
    let mut best = vec![0f32; c.len()];
    for i in 0..c.len() {
        let p = quant_bounds::preimage(&s, c[i]).unwrap();
        assert!(p.contains(out[i]), "{} outside [{}, {}]", out[i], p.lo(), p.hi());
        best[i] = oracle(p.lo(), p.hi(), slope * f64::from(pt_e[i]), sigma) as f32;
    }
    let (base, ours, limit) = (sq(&c, &xe), sq(&out, &xe), sq(&best, &xe));
    println!(
        "hybrid {:.4}, oracle {:.4} of the compressed MSE; {} epochs, best {}",
        ours / base,
        limit / base,
        report.epochs,
        report.best_epoch
    );
    assert!(limit / base < 0.8, "the test data must carry information: {}", limit / base);
    assert!(ours <= 1.05 * limit, "hybrid {} vs oracle {}", ours / base, limit / base);
}

#[test]
fn stays_near_the_compressed_values_without_information() {
    let s = Scheme::atlas(7).unwrap();
    let (pt, x) = objects(40_000, 9, 0.0, 0.0); // x independent of pt, spread ≫ interval
    let (h, _) = Hybrid::fit(
        &s,
        Rows { values: &x[..20_000], context: &[&pt[..20_000]] },
        Rows { values: &x[20_000..30_000], context: &[&pt[20_000..30_000]] },
        HybridConfig::default(),
    )
    .unwrap();
    let mut c = x[30_000..].to_vec();
    s.compress_in_place(&mut c).unwrap();
    let mut out = vec![0f32; c.len()];
    h.upsample(Rows { values: &c, context: &[&pt[30_000..]] }, &mut out).unwrap();
    let ratio = sq(&out, &x[30_000..]) / sq(&c, &x[30_000..]);
    println!("hybrid without information: {ratio:.4}");
    // Nothing to learn: the best is the midpoint (ratio ≈ 1); the gate rejects anything worse.
    assert!(ratio < 1.02, "{ratio}");
}

#[test]
fn certain_values_pass_through_and_do_not_disturb_training() {
    let s = Scheme::atlas(7).unwrap();
    let (pt, mut x) = objects(30_000, 11, 0.02, 5.0);
    // Every third value exactly zero (certain: its own preimage's only sensible value).
    for v in x.iter_mut().step_by(3) {
        *v = 0.0;
    }
    let (h, _) = Hybrid::fit(
        &s,
        Rows { values: &x[..15_000], context: &[&pt[..15_000]] },
        Rows { values: &x[15_000..20_000], context: &[&pt[15_000..20_000]] },
        HybridConfig { epochs: 3, ..HybridConfig::default() },
    )
    .unwrap();
    let mut c = x[20_000..].to_vec();
    s.compress_in_place(&mut c).unwrap();
    let mut out = vec![1f32; c.len()];
    h.upsample(Rows { values: &c, context: &[&pt[20_000..]] }, &mut out).unwrap();
    for (c, y) in c.iter().zip(&out) {
        if *c == 0.0 {
            assert_eq!(y.to_bits(), c.to_bits());
        }
        assert!(quant_bounds::preimage(&s, *c).unwrap().contains(*y));
    }
}

#[test]
fn rejects_mismatched_rows() {
    let s = Scheme::atlas(7).unwrap();
    let x = [1.5f32, 2.5, 3.5];
    let bad = Hybrid::fit(
        &s,
        Rows { values: &x, context: &[&[1.0, 2.0]] },
        Rows { values: &x, context: &[&x] },
        HybridConfig::default(),
    );
    assert!(matches!(bad, Err(models::Error::LengthMismatch { .. })));
    let bad = Hybrid::fit(
        &s,
        Rows { values: &x, context: &[&x] },
        Rows { values: &x, context: &[] },
        HybridConfig::default(),
    );
    assert!(matches!(bad, Err(models::Error::InvalidArgument(_))));
}

/// The gate takes the corrector as one more candidate where a column has kept context in its
/// container, keeps it only where it wins on validation, stores it in the model file, and
/// applies it from aligned columns and from record batches.
#[test]
fn gate_chooses_the_corrector_and_applies_it_from_files_and_batches() {
    use arrow_array::{Float32Array, RecordBatch};
    use models::batch::{Upsampler, compress_batch};
    use models::{Estimate, FitOptions, Model};
    use std::sync::Arc;
    let s = Scheme::atlas(7).unwrap();
    let (pt, x) = objects(36_000, 5, 0.02, 5.0);
    let (_, noise) = objects(36_000, 6, 0.0, 0.0); // a column its context says nothing about
    let cols: Vec<(&str, &[f32], &[f32])> =
        vec![("el.iso", &x[..12_000], &x[12_000..24_000]), ("el.noise", &noise[..12_000], &noise[12_000..24_000])];
    let kept: Vec<(&str, &[f32], &[f32])> = vec![("el.pt", &pt[..12_000], &pt[12_000..24_000])];
    let opts = FitOptions { neural: true, ..FitOptions::default() };
    let model = Model::fit_groups(&s, &cols, &kept, &[], opts).unwrap();
    assert_eq!(model.column("el.iso").unwrap().choice(), "hybrid");
    assert_ne!(model.column("el.noise").unwrap().choice(), "hybrid");
    let model = Model::from_json(&model.to_json().unwrap()).unwrap();

    let batch = RecordBatch::try_from_iter([
        ("el.pt", Arc::new(Float32Array::from(pt[24_000..].to_vec())) as _),
        ("el.iso", Arc::new(Float32Array::from(x[24_000..].to_vec())) as _),
        ("el.noise", Arc::new(Float32Array::from(noise[24_000..].to_vec())) as _),
    ])
    .unwrap();
    let (compressed, _) = compress_batch(&s, &batch, &["pt"]).unwrap();
    let up = Upsampler::new(&model, Estimate::Mean, 0).upsample(&compressed).unwrap();
    let col = |b: &RecordBatch, n: &str| models::batch::float_values(b.column_by_name(n).unwrap().as_ref()).unwrap();
    let (c, y) = (col(&compressed, "el.iso"), col(&up, "el.iso"));
    let ratio = sq(&y, &x[24_000..]) / sq(&c, &x[24_000..]);
    assert!(ratio < 0.8, "{ratio}");
    // The same through the table call, and a clear error without the context column.
    let mut out = vec![0f32; c.len()];
    let ctx = pt[24_000..].to_vec();
    let mut pt_out = vec![0f32; c.len()];
    model
        .upsample_table(&[("el.iso", &c), ("el.pt", &ctx)], Estimate::Mean, 0, 0, &mut [&mut out, &mut pt_out])
        .unwrap();
    assert_eq!(out, y);
    let err = model.upsample_table(&[("el.iso", &c)], Estimate::Mean, 0, 0, &mut [&mut out]).unwrap_err();
    assert!(err.to_string().contains("el.pt"), "{err}");
}
