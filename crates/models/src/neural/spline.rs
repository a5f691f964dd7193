//! The monotone rational-quadratic spline (Durkan et al., 2019) used as a cumulative
//! distribution function `F: [0, 1] → [0, 1]` of the position in the interval, and the
//! quadrature rules of the generative models.
//!
//! A row of `3·BINS + 1` raw network outputs parameterises one spline: `BINS` bin widths and
//! heights (softmax, each at least `MIN_BIN`) and `BINS + 1` knot derivatives (softplus plus
//! `MIN_DERIVATIVE`). The density is `F'`; the same formulas are written once on tensors (for the
//! likelihood during training) and once on `f64` (for the mean, median and samples).

use burn::tensor::{Tensor, activation};

/// Bins of the spline.
pub const BINS: usize = 8;
/// Raw parameters per spline.
pub const PARAMS: usize = 3 * BINS + 1;
const MIN_BIN: f64 = 1e-3;
const MIN_DERIVATIVE: f64 = 1e-3;

/// One spline on `f64`: knots `x`, `y` (`BINS + 1` each, from 0 to 1) and derivatives `d`.
#[derive(Clone, Debug)]
pub struct Spline {
    x: [f64; BINS + 1],
    y: [f64; BINS + 1],
    d: [f64; BINS + 1],
}

/// The parameter transforms run in `f32`, the precision the network gives them in; the spline
/// itself is evaluated in `f64`.
fn softplus(v: f32) -> f64 {
    f64::from(if v > 15.0 { v } else { v.exp().ln_1p() })
}

/// Bin sizes from raw logits: softmax, floored at `MIN_BIN`; knots from 0 to exactly 1.
fn knots(raw: &[f32]) -> [f64; BINS + 1] {
    let m = raw.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut e = [0.0; BINS];
    for (e, &v) in e.iter_mut().zip(raw) {
        *e = f64::from((v - m).exp());
    }
    let total: f64 = e.iter().sum();
    let mut k = [0.0; BINS + 1];
    for i in 0..BINS {
        k[i + 1] = k[i] + MIN_BIN + (1.0 - MIN_BIN * BINS as f64) * e[i] / total;
    }
    k[BINS] = 1.0;
    k
}

impl Spline {
    /// The spline of one row of raw parameters (`PARAMS` values; non-finite ones give the
    /// uniform distribution's identity map).
    pub fn new(raw: &[f32]) -> Spline {
        if raw.len() != PARAMS || raw.iter().any(|v| !v.is_finite()) {
            let k = std::array::from_fn(|i| i as f64 / BINS as f64);
            return Spline { x: k, y: k, d: [1.0; BINS + 1] };
        }
        let mut d = [0.0; BINS + 1];
        for (d, &r) in d.iter_mut().zip(&raw[2 * BINS..]) {
            *d = MIN_DERIVATIVE + softplus(r);
        }
        Spline { x: knots(&raw[..BINS]), y: knots(&raw[BINS..2 * BINS]), d }
    }

    /// `F` inside bin `k` at the bin's relative position `t ∈ [0, 1]`.
    #[cfg(test)]
    fn cdf_in(&self, k: usize, t: f64) -> f64 {
        let (w, h) = (self.x[k + 1] - self.x[k], self.y[k + 1] - self.y[k]);
        let s = h / w;
        let (d0, d1) = (self.d[k], self.d[k + 1]);
        let tt = t * (1.0 - t);
        self.y[k] + h * (s * t * t + d0 * tt) / (s + (d0 + d1 - 2.0 * s) * tt)
    }

    fn bin(knots: &[f64; BINS + 1], v: f64) -> usize {
        knots[1..BINS].partition_point(|&k| k <= v)
    }

    /// The cumulative distribution function at `u ∈ [0, 1]`.
    #[cfg(test)]
    pub fn cdf(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        let k = Self::bin(&self.x, u);
        self.cdf_in(k, (u - self.x[k]) / (self.x[k + 1] - self.x[k]))
    }

    /// The density `F'(u)`.
    #[cfg(test)]
    pub fn density(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        let k = Self::bin(&self.x, u);
        let (w, h) = (self.x[k + 1] - self.x[k], self.y[k + 1] - self.y[k]);
        let s = h / w;
        let (d0, d1) = (self.d[k], self.d[k + 1]);
        let t = ((u - self.x[k]) / w).clamp(0.0, 1.0);
        let tt = t * (1.0 - t);
        let den = s + (d0 + d1 - 2.0 * s) * tt;
        s * s * (d1 * t * t + 2.0 * s * tt + d0 * (1.0 - t) * (1.0 - t)) / (den * den)
    }

    /// The inverse `F⁻¹(p)` (closed form: a quadratic in the bin's relative position).
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        let k = Self::bin(&self.y, p);
        let (w, h) = (self.x[k + 1] - self.x[k], self.y[k + 1] - self.y[k]);
        let s = h / w;
        let (d0, d1) = (self.d[k], self.d[k + 1]);
        let dy = p - self.y[k];
        let g = d0 + d1 - 2.0 * s;
        let a = h * (s - d0) + dy * g;
        let b = h * d0 - dy * g;
        let c = -s * dy;
        let disc = (b * b - 4.0 * a * c).max(0.0);
        let t = if c == 0.0 { 0.0 } else { (2.0 * c / (-b - disc.sqrt())).clamp(0.0, 1.0) };
        self.x[k] + t * w
    }

    /// `∫₀¹ F dt` over bin `k` in its relative position `t`, in closed form. With
    /// `D = s + g·t(1−t)` (`g = d₀ + d₁ − 2s`), symmetric about ½ with `D(0) = D(1) = s`:
    /// `∫ t/D = I/2` and `∫ t(1−t)/D = (1 − s·I)/g`, where `I = ∫₀¹ dt/D = φ(r)/c`,
    /// `c = D(½)`, `r = g/(4c) ∈ (−1, 1)`, `φ(r) = atanh(√r)/√r` (`atan(√−r)/√−r` for `r < 0`);
    /// the second integral is written as `(1 − s·ψ(r)/c)/(4c)` with `ψ = (φ − 1)/r`, free of the
    /// cancellation at `g → 0` (series there).
    fn integral_in(&self, k: usize) -> f64 {
        let (w, h) = (self.x[k + 1] - self.x[k], self.y[k + 1] - self.y[k]);
        let s = h / w;
        let (d0, d1) = (self.d[k], self.d[k + 1]);
        let g = d0 + d1 - 2.0 * s;
        let c = s + 0.25 * g;
        let r = g / (4.0 * c);
        let (phi, psi) = if r.abs() < 1e-3 {
            (1.0 + r * (1.0 / 3.0 + r * (0.2 + r / 7.0)), 1.0 / 3.0 + r * (0.2 + r * (1.0 / 7.0 + r / 9.0)))
        } else {
            let q = r.abs().sqrt();
            // atanh q = ½ ln((1 + q) / (1 − q)), with q < 1.
            let phi = if r > 0.0 { 0.5 * ((1.0 + q) / (1.0 - q)).ln() / q } else { q.atan() / q };
            (phi, (phi - 1.0) / r)
        };
        let i = phi / c;
        let j = (1.0 - s * psi / c) / (4.0 * c);
        // F = y_k + h·N/D with N = s·t + (d₀ − s)·t(1−t).
        self.y[k] + h * (0.5 * s * i + (d0 - s) * j)
    }

    /// The mean `E[u] = 1 − ∫₀¹ F(u) du`, exactly (closed form in every bin).
    pub fn mean(&self) -> f64 {
        1.0 - (0..BINS).map(|k| (self.x[k + 1] - self.x[k]) * self.integral_in(k)).sum::<f64>()
    }
}

/// `ln F'(u)` per row, on tensors: `params` is `[n, PARAMS]`, `u` is `[n, 1]` with values in
/// `[0, 1]`; the result is `[n, 1]`. Every bin's density is evaluated and the one holding `u`
/// selected by a mask (the knots are monotone, so exactly one bin holds it).
pub fn log_density(params: Tensor<2>, u: Tensor<2>) -> Tensor<2> {
    let [n, _] = params.dims();
    let sizes =
        |raw: Tensor<2>| activation::softmax(raw, 1).mul_scalar(1.0 - MIN_BIN * BINS as f64).add_scalar(MIN_BIN);
    let w = sizes(params.clone().narrow(1, 0, BINS));
    let h = sizes(params.clone().narrow(1, BINS, BINS));
    let d = activation::softplus(params.narrow(1, 2 * BINS, BINS + 1), 1.0).add_scalar(MIN_DERIVATIVE);
    let x_hi = w.clone().cumsum(1);
    let x_lo = x_hi.clone() - w.clone();
    // Bin k holds u when u ≥ its left knot (always for k = 0) and u < its right knot (never
    // tested for the last bin, whose right knot is 1 up to rounding).
    let inner = u.clone().expand([n, BINS - 1]).greater_equal(x_hi.clone().narrow(1, 0, BINS - 1)).float();
    let device = u.device();
    let ge_lo = Tensor::cat(vec![Tensor::ones([n, 1], &device), inner.clone()], 1);
    let ge_hi = Tensor::cat(vec![inner, Tensor::zeros([n, 1], &device)], 1);
    let mask = ge_lo - ge_hi;
    let s = h / w.clone();
    let d0 = d.clone().narrow(1, 0, BINS);
    let d1 = d.narrow(1, 1, BINS);
    let t = ((u.expand([n, BINS]) - x_lo) / w).clamp(0.0, 1.0);
    let one_t = t.clone().neg().add_scalar(1.0);
    let tt = t.clone() * one_t.clone();
    let num = s.clone().powi_scalar(2)
        * (d1.clone() * t.clone().powi_scalar(2)
            + s.clone().mul_scalar(2.0) * tt.clone()
            + d0.clone() * one_t.powi_scalar(2));
    let den = s.clone() + (d0 + d1 - s.mul_scalar(2.0)) * tt;
    ((num.log() - den.log().mul_scalar(2.0)) * mask).sum_dim(1)
}

/// Gauss–Hermite nodes and weights for `∫ e^{−x²} f(x) dx`, `n` points (Newton's method on the
/// orthonormal Hermite recurrence, from the asymptotic first guesses).
pub fn gauss_hermite(n: usize) -> Vec<(f64, f64)> {
    let pim4 = std::f64::consts::PI.powf(-0.25);
    let mut out = vec![(0.0, 0.0); n];
    let mut z = 0.0f64;
    for i in 0..n.div_ceil(2) {
        z = match i {
            0 => (2.0 * n as f64 + 1.0).sqrt() - 1.855_75 * (2.0 * n as f64 + 1.0).powf(-1.0 / 6.0),
            1 => z - 1.14 * (n as f64).powf(0.426) / z,
            2 => 1.86 * z - 0.86 * out[0].0,
            3 => 1.91 * z - 0.91 * out[1].0,
            _ => 2.0 * z - out[i - 2].0,
        };
        let mut pp = 0.0;
        for _ in 0..100 {
            let (mut p1, mut p2) = (pim4, 0.0);
            for j in 0..n {
                let p3 = p2;
                p2 = p1;
                p1 = z * (2.0 / (j as f64 + 1.0)).sqrt() * p2 - (j as f64 / (j as f64 + 1.0)).sqrt() * p3;
            }
            pp = (2.0 * n as f64).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() <= 1e-15 {
                break;
            }
        }
        out[i] = (z, 2.0 / (pp * pp));
        out[n - 1 - i] = (-z, 2.0 / (pp * pp));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn raw(seed: u64) -> Vec<f32> {
        (0..PARAMS as u64)
            .map(|i| ((crate::prior::splitmix64(seed * 97 + i) % 2000) as f32 / 1000.0 - 1.0) * 2.0)
            .collect()
    }

    #[test]
    fn cdf_is_monotone_from_0_to_1_and_inverts() {
        for seed in 0..20 {
            let s = Spline::new(&raw(seed));
            assert_eq!(s.cdf(0.0), 0.0);
            assert!((s.cdf(1.0) - 1.0).abs() < 1e-12);
            let mut last = 0.0;
            for i in 0..=1000 {
                let u = i as f64 / 1000.0;
                let f = s.cdf(u);
                assert!(f >= last - 1e-15, "{seed} {u}");
                last = f;
                assert!((s.cdf(s.quantile(f)) - f).abs() < 1e-12, "{seed} {u}");
                assert!((s.quantile(f) - u).abs() < 1e-9, "{seed} {u}");
            }
        }
    }

    #[test]
    fn density_is_the_derivative_and_mean_the_integral() {
        for seed in 0..20 {
            let s = Spline::new(&raw(seed));
            let n = 200_000;
            let (mut total, mut mean, mut integral) = (0.0, 0.0, 0.0);
            for i in 0..n {
                let u = (i as f64 + 0.5) / n as f64;
                total += s.density(u) / n as f64;
                mean += u * s.density(u) / n as f64;
                integral += s.cdf(u) / n as f64;
                if i % 997 == 0 {
                    let e = 1e-6;
                    let numeric = (s.cdf(u + e) - s.cdf(u - e)) / (2.0 * e);
                    assert!((numeric - s.density(u)).abs() < 1e-4 * (1.0 + s.density(u)), "{seed} {u}");
                }
            }
            assert!((total - 1.0).abs() < 1e-6, "{seed} {total}");
            assert!((mean - s.mean()).abs() < 1e-8, "{seed} {mean} {}", s.mean());
            assert!((1.0 - integral - s.mean()).abs() < 1e-11, "{seed} {integral} {}", s.mean());
        }
    }

    #[test]
    fn tensor_log_density_matches_f64() {
        let device = Device::flex();
        let rows: Vec<Vec<f32>> = (0..64).map(raw).collect();
        let u: Vec<f32> = (0..64)
            .map(|i| {
                if i == 0 {
                    0.0
                } else if i == 1 {
                    1.0
                } else {
                    (i as f32 * 0.618).fract()
                }
            })
            .collect();
        let p = Tensor::<2>::from_data(TensorData::new(rows.concat(), [64, PARAMS]), &device);
        let t = Tensor::<2>::from_data(TensorData::new(u.clone(), [64, 1]), &device);
        let got = log_density(p, t).into_data().try_to_vec::<f32>().unwrap();
        for (i, row) in rows.iter().enumerate() {
            let want = Spline::new(row).density(f64::from(u[i])).ln();
            assert!((f64::from(got[i]) - want).abs() < 1e-4 * (1.0 + want.abs()), "{i}: {} vs {want}", got[i]);
        }
    }

    #[test]
    fn gauss_hermite_integrates_moments() {
        for n in [4, 8, 16] {
            let r = gauss_hermite(n);
            let m = |p: i32| r.iter().map(|(x, w)| w * x.powi(p)).sum::<f64>();
            let sp = std::f64::consts::PI.sqrt();
            assert!((m(0) - sp).abs() < 1e-12, "{n}");
            assert!(m(1).abs() < 1e-12, "{n}");
            assert!((m(2) - sp / 2.0).abs() < 1e-12, "{n}");
            assert!((m(4) - 3.0 * sp / 4.0).abs() < 1e-11, "{n}");
        }
    }

    #[test]
    fn non_finite_parameters_give_the_uniform() {
        let mut r = raw(1);
        r[3] = f32::NAN;
        let s = Spline::new(&r);
        assert_eq!(s.quantile(0.25), 0.25);
        assert!((s.mean() - 0.5).abs() < 1e-15);
    }
}
