//! Test data with a known oracle, shared by the neural and the recover tests.
#![allow(dead_code)]

/// `n` objects: pt (kept) and x = slope·pt + N(0, sigma²), seeded.
pub fn objects(n: usize, seed: u64, slope: f64, sigma: f64) -> (Vec<f32>, Vec<f32>) {
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
pub fn oracle(lo: f32, hi: f32, mu: f64, sigma: f64) -> f64 {
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

pub fn sq(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum()
}
