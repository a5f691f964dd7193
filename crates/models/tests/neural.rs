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
