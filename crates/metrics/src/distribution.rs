//! Distributional metrics: histograms with explicit edges, KL, Jensen–Shannon, Wasserstein-1 and
//! the two-sample Kolmogorov–Smirnov test.

use crate::error::{Error, Result};
use crate::value::Value;

/// What a histogram bins: the value itself, or `log10|x|`.
///
/// ```
/// assert_ne!(metrics::Scale::Linear, metrics::Scale::Log10Abs);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Scale {
    /// Bin `x`.
    Linear,
    /// Bin `log10|x|`; zeros are counted apart (they have no logarithm).
    Log10Abs,
}

/// Most bins a histogram may have (16 Mi).
pub const MAX_BINS: usize = 1 << 24;

/// Explicit, strictly increasing bin edges on a [`Scale`]: bin `i` is `[edges[i], edges[i+1])`,
/// the last bin also takes `edges[n]`. Chosen once (e.g. from the original with
/// [`Edges::from_original`]) so that every candidate is binned identically.
///
/// ```
/// use metrics::{Edges, Scale};
/// let e = Edges::uniform(Scale::Linear, 0.0, 1.0, 4)?;
/// assert_eq!(e.edges(), &[0.0, 0.25, 0.5, 0.75, 1.0]);
/// assert_eq!(e.bin(0.3), Some(1));
/// assert_eq!(e.bin(1.0), Some(3));
/// assert_eq!(e.bin(1.5), None);
/// # Ok::<(), metrics::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Edges {
    scale: Scale,
    edges: Vec<f64>,
}

impl Edges {
    /// Edges given explicitly; they must be finite and strictly increasing (at least two).
    ///
    /// ```
    /// assert!(metrics::Edges::new(metrics::Scale::Linear, vec![0.0, 0.0]).is_err());
    /// ```
    pub fn new(scale: Scale, edges: Vec<f64>) -> Result<Self> {
        if edges.len() < 2
            || edges.len() > MAX_BINS + 1
            || edges.iter().any(|e| !e.is_finite())
            || edges.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(Error::InvalidArgument(
                "edges must be at least two finite, strictly increasing numbers".into(),
            ));
        }
        Ok(Self { scale, edges })
    }

    /// `n` equal bins from `lo` to `hi` (on the scale: for [`Scale::Log10Abs`] these are
    /// decades, e.g. `-6.0..6.0`).
    ///
    /// ```
    /// let e = metrics::Edges::uniform(metrics::Scale::Log10Abs, -3.0, 3.0, 6)?;
    /// assert_eq!(e.bin(500.0), Some(5));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn uniform(scale: Scale, lo: f64, hi: f64, n: usize) -> Result<Self> {
        if n == 0 || n > MAX_BINS || lo.partial_cmp(&hi) != Some(core::cmp::Ordering::Less) {
            return Err(Error::InvalidArgument(format!(
                "uniform edges need finite lo < hi and 0 < n <= {MAX_BINS}, got [{lo}, {hi}], n = {n}"
            )));
        }
        let width = hi - lo;
        let edges = (0..=n)
            .map(|i| match i {
                // The ends are exact, so that lo and hi themselves are always in range.
                0 => lo,
                _ if i == n => hi,
                _ if width.is_finite() => lo + width * i as f64 / n as f64,
                _ => {
                    let t = i as f64 / n as f64;
                    lo * (1.0 - t) + hi * t
                }
            })
            .collect();
        Self::new(scale, edges)
    }

    /// `n` equal bins spanning the finite range of `original` on `scale` (zeros ignored for
    /// [`Scale::Log10Abs`]): every finite original value is in range. [`Error::InvalidArgument`]
    /// if it has fewer than two distinct values there, or if they are so close that `n` bins
    /// would not have strictly increasing edges.
    ///
    /// ```
    /// let e = metrics::Edges::from_original(metrics::Scale::Linear, &[1.0f32, 3.0, 2.0], 2)?;
    /// assert_eq!(e.edges(), &[1.0, 2.0, 3.0]);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn from_original<T: Value>(scale: Scale, original: &[T], n: usize) -> Result<Self> {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in original.iter().filter_map(|x| transform(scale, x.widen())) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        Self::uniform(scale, lo, hi, n)
    }

    /// The scale.
    ///
    /// ```
    /// assert_eq!(metrics::Edges::uniform(metrics::Scale::Linear, 0.0, 1.0, 1)?.scale(), metrics::Scale::Linear);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// The edges.
    ///
    /// ```
    /// assert_eq!(metrics::Edges::uniform(metrics::Scale::Linear, 0.0, 1.0, 1)?.edges(), &[0.0, 1.0]);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// Number of bins.
    ///
    /// ```
    /// assert_eq!(metrics::Edges::uniform(metrics::Scale::Linear, 0.0, 1.0, 7)?.bins(), 7);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn bins(&self) -> usize {
        self.edges.len() - 1
    }

    /// The bin of a value already on the scale, or `None` outside the edges.
    fn bin_of(&self, v: f64) -> Option<usize> {
        let e = &self.edges;
        let last = e.len() - 1;
        if !(v >= e[0] && v <= e[last]) {
            return None;
        }
        // First edge greater than v, minus one; the last edge belongs to the last bin.
        Some(e.partition_point(|&x| x <= v).saturating_sub(1).min(last - 1))
    }

    /// The bin of `x` (transformed by the scale), or `None` if it is outside, NaN, or a zero
    /// on the log scale.
    ///
    /// ```
    /// let e = metrics::Edges::uniform(metrics::Scale::Log10Abs, 0.0, 2.0, 2)?;
    /// assert_eq!((e.bin(-50.0), e.bin(0.0)), (Some(1), None));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn bin(&self, x: f64) -> Option<usize> {
        transform(self.scale, x).and_then(|v| self.bin_of(v))
    }
}

/// `x` on the scale; `None` for NaN, ±Inf, and zeros on the log scale.
fn transform(scale: Scale, x: f64) -> Option<f64> {
    match scale {
        Scale::Linear => x.is_finite().then_some(x),
        Scale::Log10Abs => (x.is_finite() && x != 0.0).then(|| x.abs().log10()),
    }
}

/// Counts of values per bin of fixed [`Edges`], plus what fell outside. Mergeable.
///
/// ```
/// use metrics::{Edges, Histogram, Scale};
/// let mut h = Histogram::new(Edges::uniform(Scale::Linear, 0.0, 1.0, 2)?);
/// h.add(&[0.1f32, 0.6, 0.7, 5.0, f32::NAN]);
/// assert_eq!(h.counts(), &[1, 2]);
/// assert_eq!((h.overflow(), h.not_finite()), (1, 1));
/// # Ok::<(), metrics::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Histogram {
    edges: Edges,
    counts: Vec<u64>,
    underflow: u64,
    overflow: u64,
    zeros: u64,
    not_finite: u64,
}

impl Histogram {
    /// An empty histogram on these edges.
    ///
    /// ```
    /// let h = metrics::Histogram::new(metrics::Edges::uniform(metrics::Scale::Linear, 0.0, 1.0, 3)?);
    /// assert_eq!(h.counts(), &[0, 0, 0]);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn new(edges: Edges) -> Self {
        let n = edges.bins();
        Self { edges, counts: vec![0; n], underflow: 0, overflow: 0, zeros: 0, not_finite: 0 }
    }

    /// Count values.
    ///
    /// ```
    /// let mut h = metrics::Histogram::new(metrics::Edges::uniform(metrics::Scale::Log10Abs, -1.0, 1.0, 2)?);
    /// h.add(&[0.0f64, 0.5, 5.0]);
    /// assert_eq!((h.counts(), h.zeros()), (&[1, 1][..], 1));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn add<T: Value>(&mut self, values: &[T]) {
        let last = *self.edges.edges.last().unwrap_or(&0.0);
        for x in values {
            let x = x.widen();
            if !x.is_finite() {
                self.not_finite += 1;
                continue;
            }
            let Some(v) = transform(self.edges.scale, x) else {
                self.zeros += 1;
                continue;
            };
            match self.edges.bin_of(v) {
                Some(i) => self.counts[i] += 1,
                None if v > last => self.overflow += 1,
                None => self.underflow += 1,
            }
        }
    }

    /// Add the counts of a histogram on the same edges.
    ///
    /// ```
    /// use metrics::{Edges, Histogram, Scale};
    /// let e = Edges::uniform(Scale::Linear, 0.0, 1.0, 1)?;
    /// let (mut a, mut b) = (Histogram::new(e.clone()), Histogram::new(e));
    /// a.add(&[0.5f32]);
    /// b.add(&[0.25f32]);
    /// a.merge(&b)?;
    /// assert_eq!(a.counts(), &[2]);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn merge(&mut self, other: &Histogram) -> Result<()> {
        if self.edges != other.edges {
            return Err(Error::InvalidArgument("histograms with different edges cannot be merged".into()));
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.underflow += other.underflow;
        self.overflow += other.overflow;
        self.zeros += other.zeros;
        self.not_finite += other.not_finite;
        Ok(())
    }

    /// The edges.
    ///
    /// ```
    /// let e = metrics::Edges::uniform(metrics::Scale::Linear, 0.0, 1.0, 1)?;
    /// assert_eq!(metrics::Histogram::new(e.clone()).edges(), &e);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn edges(&self) -> &Edges {
        &self.edges
    }

    /// Counts per bin.
    ///
    /// ```
    /// let h = metrics::Histogram::new(metrics::Edges::uniform(metrics::Scale::Linear, 0.0, 1.0, 1)?);
    /// assert_eq!(h.counts(), &[0]);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Finite values below the first edge.
    ///
    /// ```
    /// let mut h = metrics::Histogram::new(metrics::Edges::uniform(metrics::Scale::Linear, 0.0, 1.0, 1)?);
    /// h.add(&[-1.0f32]);
    /// assert_eq!(h.underflow(), 1);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn underflow(&self) -> u64 {
        self.underflow
    }

    /// Finite values above the last edge.
    ///
    /// ```
    /// let mut h = metrics::Histogram::new(metrics::Edges::uniform(metrics::Scale::Linear, 0.0, 1.0, 1)?);
    /// h.add(&[2.0f32]);
    /// assert_eq!(h.overflow(), 1);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// Zeros on the log scale (no logarithm).
    ///
    /// ```
    /// let mut h = metrics::Histogram::new(metrics::Edges::uniform(metrics::Scale::Log10Abs, 0.0, 1.0, 1)?);
    /// h.add(&[0.0f32, -0.0]);
    /// assert_eq!(h.zeros(), 2);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn zeros(&self) -> u64 {
        self.zeros
    }

    /// NaN and ±Inf values.
    ///
    /// ```
    /// let mut h = metrics::Histogram::new(metrics::Edges::uniform(metrics::Scale::Linear, 0.0, 1.0, 1)?);
    /// h.add(&[f64::INFINITY]);
    /// assert_eq!(h.not_finite(), 1);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn not_finite(&self) -> u64 {
        self.not_finite
    }
}

fn same_edges(p: &Histogram, q: &Histogram) -> Result<()> {
    if p.edges == q.edges {
        Ok(())
    } else {
        Err(Error::InvalidArgument("the histograms must share their edges".into()))
    }
}

/// Kullback–Leibler divergence `KL(p‖q) = Σ_i p_i ln(p_i / q_i)` in nats, between the in-range
/// bin counts of two histograms on the same edges (values outside the edges, and zeros on the
/// log scale, are not part of it: report them apart), with **additive smoothing**: every bin of
/// both histograms gets `alpha` extra counts before normalising,
/// `p_i = (c_i + α) / (N + α·B)` (B bins), so empty bins give a finite answer. `alpha = 0.5` is
/// the Krichevsky–Trofimov choice; `alpha = 0` is the unsmoothed divergence (`+Inf` when `q`
/// has an empty bin where `p` does not). Zero for identical histograms, whatever `alpha`.
///
/// ```
/// use metrics::{Edges, Histogram, Scale, kl_divergence};
/// let e = Edges::uniform(Scale::Linear, 0.0, 2.0, 2)?;
/// let (mut p, mut q) = (Histogram::new(e.clone()), Histogram::new(e));
/// p.add(&[0.5f32, 1.5]);
/// q.add(&[0.5f32, 0.6]);
/// assert_eq!(kl_divergence(&p, &p, 0.5)?, 0.0);
/// assert_eq!(kl_divergence(&p, &q, 0.0)?, f64::INFINITY);
/// assert!(kl_divergence(&p, &q, 0.5)?.is_finite());
/// # Ok::<(), metrics::Error>(())
/// ```
pub fn kl_divergence(p: &Histogram, q: &Histogram, alpha: f64) -> Result<f64> {
    same_edges(p, q)?;
    if !(alpha >= 0.0 && alpha.is_finite()) {
        return Err(Error::InvalidArgument(format!("smoothing alpha must be finite and >= 0, got {alpha}")));
    }
    let prob = |h: &Histogram| -> Option<Vec<f64>> {
        let n = h.counts.iter().sum::<u64>();
        let total = n as f64 + alpha * h.counts.len() as f64;
        (n > 0).then(|| h.counts.iter().map(|&c| (c as f64 + alpha) / total).collect())
    };
    let (Some(pp), Some(qq)) = (prob(p), prob(q)) else {
        return Err(Error::InvalidArgument("KL divergence of an empty histogram".into()));
    };
    Ok(pp.iter().zip(&qq).map(|(&a, &b)| if a == 0.0 { 0.0 } else { a * (a / b).ln() }).sum::<f64>().max(0.0))
}

/// Jensen–Shannon divergence in nats: `½ KL(p‖m) + ½ KL(q‖m)` with `m = (p + q) / 2`, on the
/// normalised in-range counts (as for [`kl_divergence`], out-of-range values are not part of it) (no smoothing needed: `m` is positive wherever `p` or `q` is;
/// `0 · ln 0 = 0`). Symmetric, between 0 and `ln 2`.
///
/// ```
/// use metrics::{Edges, Histogram, Scale, js_divergence};
/// let e = Edges::uniform(Scale::Linear, 0.0, 2.0, 2)?;
/// let (mut p, mut q) = (Histogram::new(e.clone()), Histogram::new(e));
/// p.add(&[0.5f32]);
/// q.add(&[1.5f32]);
/// assert!((js_divergence(&p, &q)? - 2f64.ln()).abs() < 1e-15); // disjoint: the maximum
/// # Ok::<(), metrics::Error>(())
/// ```
pub fn js_divergence(p: &Histogram, q: &Histogram) -> Result<f64> {
    same_edges(p, q)?;
    let (np, nq) = (p.counts.iter().sum::<u64>() as f64, q.counts.iter().sum::<u64>() as f64);
    if np == 0.0 || nq == 0.0 {
        return Err(Error::InvalidArgument("Jensen-Shannon divergence of an empty histogram".into()));
    }
    let mut js = 0.0;
    for (&a, &b) in p.counts.iter().zip(&q.counts) {
        let (a, b) = (a as f64 / np, b as f64 / nq);
        let m = 0.5 * (a + b);
        if a > 0.0 {
            js += 0.5 * a * (a / m).ln();
        }
        if b > 0.0 {
            js += 0.5 * b * (b / m).ln();
        }
    }
    Ok(js.max(0.0))
}

/// Sorted finite values of a sample, widened to `f64`.
fn sorted<T: Value>(x: &[T]) -> Vec<f64> {
    let mut v: Vec<f64> = x.iter().map(|v| v.widen()).filter(|v| v.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Wasserstein-1 (earth mover's) distance between the empirical distributions of the finite
/// values of two samples, exactly: `W1 = ∫ |F_a(t) − F_b(t)| dt`, evaluated piecewise between
/// consecutive values of the merged sorted samples. Sizes may differ. Symmetric.
///
/// ```
/// let w = metrics::wasserstein1(&[0.0f64, 1.0], &[0.5f64, 1.5])?;
/// assert_eq!(w, 0.5);
/// # Ok::<(), metrics::Error>(())
/// ```
pub fn wasserstein1<T: Value>(a: &[T], b: &[T]) -> Result<f64> {
    let (a, b) = two_samples(a, b, "Wasserstein distance")?;
    let mut w = 0.0;
    let mut prev = a[0].min(b[0]);
    walk_cdfs(&a, &b, |t, before, _| {
        // On [prev, t) the CDFs are constant (an exact zero gap contributes nothing, even over
        // an infinite span).
        if before != 0.0 {
            w += before * (t - prev);
        }
        prev = t;
    });
    Ok(w)
}

/// The sorted finite values of both samples, neither empty.
fn two_samples<T: Value>(a: &[T], b: &[T], what: &str) -> Result<(Vec<f64>, Vec<f64>)> {
    let (a, b) = (sorted(a), sorted(b));
    if a.is_empty() || b.is_empty() {
        return Err(Error::InvalidArgument(format!("{what} of an empty sample")));
    }
    Ok((a, b))
}

/// Walks the distinct values `t` of two sorted samples in increasing order, calling
/// `f(t, |F_a − F_b| just below t, |F_a − F_b| at t)` with the empirical CDFs.
fn walk_cdfs(a: &[f64], b: &[f64], mut f: impl FnMut(f64, f64, f64)) {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let gap = |i: usize, j: usize| (i as f64 / na - j as f64 / nb).abs();
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        let t = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => return,
        };
        let before = gap(i, j);
        while i < a.len() && a[i] == t {
            i += 1;
        }
        while j < b.len() && b[j] == t {
            j += 1;
        }
        f(t, before, gap(i, j));
    }
}

/// The two-sample Kolmogorov–Smirnov test: the statistic and its asymptotic p-value.
///
/// ```
/// let ks = metrics::ks_two_sample(&[1.0f64, 2.0, 3.0], &[1.0f64, 2.0, 3.0])?;
/// assert_eq!((ks.statistic, ks.p_value), (0.0, 1.0));
/// # Ok::<(), metrics::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KsTest {
    /// `D = sup_t |F_a(t) − F_b(t)|` over the finite values.
    pub statistic: f64,
    /// Asymptotic p-value `Q_KS((√n_e + 0.12 + 0.11/√n_e) · D)`, `n_e = n_a n_b / (n_a + n_b)`,
    /// `Q_KS(λ) = 2 Σ_{j≥1} (−1)^(j−1) e^(−2 j² λ²)` (Stephens' small-sample correction, as in
    /// Numerical Recipes `kstwo`); accurate for `n_e ≳ 4`.
    pub p_value: f64,
    /// Finite values in the first sample.
    pub n_a: usize,
    /// Finite values in the second sample.
    pub n_b: usize,
}

/// The Kolmogorov distribution's survival function `Q_KS(λ)`, summed until a term is below
/// `1e-17` of the sum; 1 where the series has not converged (small `λ`).
fn q_ks(lambda: f64) -> f64 {
    let a2 = -2.0 * lambda * lambda;
    let (mut sum, mut sign) = (0.0f64, 2.0f64);
    for j in 1..=1000 {
        let j = f64::from(j);
        let term = sign * (a2 * j * j).exp();
        sum += term;
        if term.abs() <= 1e-17 * sum.abs() {
            return sum.clamp(0.0, 1.0);
        }
        sign = -sign;
    }
    1.0
}

/// Two-sample Kolmogorov–Smirnov statistic `D = sup |F_a − F_b|` over the finite values, exact,
/// with its asymptotic p-value (see [`KsTest`]).
///
/// ```
/// let ks = metrics::ks_two_sample(&[0.0f32, 1.0, 2.0, 3.0], &[10.0f32, 11.0, 12.0, 13.0])?;
/// assert_eq!(ks.statistic, 1.0);
/// assert!(ks.p_value < 0.05);
/// # Ok::<(), metrics::Error>(())
/// ```
pub fn ks_two_sample<T: Value>(a: &[T], b: &[T]) -> Result<KsTest> {
    let (a, b) = two_samples(a, b, "Kolmogorov-Smirnov test")?;
    let mut d = 0.0f64;
    walk_cdfs(&a, &b, |_, _, at| d = d.max(at));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let ne = na * nb / (na + nb);
    let sq = ne.sqrt();
    let p = q_ks((sq + 0.12 + 0.11 / sq) * d);
    Ok(KsTest { statistic: d, p_value: p, n_a: a.len(), n_b: b.len() })
}
