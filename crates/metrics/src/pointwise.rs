//! Pointwise metrics: how far each reconstructed value is from its original.

use float_bits::Backend;

use crate::error::{Error, Result};
use crate::sum::Sum;
use crate::value::Value;

/// Resolution of the effective-bits histogram used for the median: 1/64 bit.
const BITS_PER_BIN: f64 = 1.0 / 64.0;
/// The histogram covers effective bits in `[BITS_LO, BITS_HI)` (8 192 bins, 64 KiB, allocated on
/// the first inexact pair). Distinct `f64` values are at most 54 bits apart relative to `x`, so
/// the top is never reached; values below −64 bits (relative errors above 2^64) are counted in
/// the lowest bin.
const BITS_LO: f64 = -64.0;
const BITS_HI: f64 = 64.0;
const BITS_BINS: usize = ((BITS_HI - BITS_LO) / BITS_PER_BIN) as usize;

/// A mergeable streaming accumulator of pointwise metrics between originals `x` and candidates
/// `x̂` (a reconstruction, or the compressed values themselves as the baseline).
///
/// All arithmetic is in `f64`. Full blocks of 1 024 pairs go through a vectorised kernel with
/// eight lanes of plain partial sums (rounding at most 128 ε relative within a block), folded
/// into compensated sums ([`Sum`]); shorter runs are added pair by pair into the compensated
/// sums directly. [`merge`](Self::merge) of the accumulators of the parts of a data set equals
/// the accumulator of the whole up to that rounding (counts, maxima and the histogram merge
/// exactly).
///
/// **Pairs used.** A pair is *used* when both values are finite; pairs with a NaN or ±Inf on
/// either side are excluded from every metric and counted in [`non_finite`](Self::non_finite).
/// With `d = x̂ − x` over the `n` used pairs:
///
/// | metric | formula | pairs |
/// |---|---|---|
/// | [`mse`](Self::mse) | `Σ d² / n` | used |
/// | [`rmse`](Self::rmse) | `√mse` | used |
/// | [`mae`](Self::mae) | `Σ \|d\| / n` | used |
/// | [`max_abs`](Self::max_abs) | `max \|d\|` | used |
/// | [`relative_mse`](Self::relative_mse) | `Σ (d / x)² / n_rel` | used, `x ≠ 0` |
/// | [`log_mse`](Self::log_mse) | `Σ (log10\|x̂\| − log10\|x\|)² / n_log` | used, `x ≠ 0` and `x̂ ≠ 0` |
/// | [`effective_bits_mean`](Self::effective_bits_mean) | `Σ −log2(\|d\| / \|x\|) / n_bits` | used, `x ≠ 0`, `x̂ ≠ x` |
///
/// `log_mse` compares magnitudes only: a sign flip (`x̂` and `x` of opposite signs) does not
/// change it, so flips are counted separately in [`sign_flips`](Self::sign_flips); pairs with a
/// zero on either side are counted in [`log_excluded`](Self::log_excluded). Exact matches
/// (`x̂ == x`, including `x = 0`) have infinitely many effective bits: they are counted in
/// [`exact`](Self::exact) and left out of the mean and median; pairs with `x = 0 ≠ x̂` have no
/// relative error and are in neither.
///
/// ```
/// use metrics::Pointwise;
/// let x = [1.0f32, 2.0, -4.0, 0.0];
/// let xhat = [1.0f32, 2.5, 4.0, 0.0];
/// let mut p = Pointwise::new();
/// p.add(&x, &xhat)?;
/// assert_eq!(p.mse(), Some((0.25 + 64.0) / 4.0));
/// assert_eq!(p.max_abs(), Some(8.0));
/// assert_eq!(p.sign_flips(), 1);
/// assert_eq!(p.exact(), 2);
/// # Ok::<(), metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Pointwise {
    used: u64,
    non_finite: u64,
    sq: Sum,
    abs: Sum,
    max_abs: f64,
    rel_n: u64,
    rel_sq: Sum,
    log_n: u64,
    log_sq: Sum,
    log_excluded: u64,
    sign_flips: u64,
    exact: u64,
    bits_n: u64,
    bits: Sum,
    bits_hist: Vec<u64>,
    /// The instruction set of the block kernel.
    backend: Backend,
}

impl Default for Pointwise {
    fn default() -> Self {
        Self::new()
    }
}

impl Pointwise {
    /// An empty accumulator.
    ///
    /// ```
    /// assert_eq!(metrics::Pointwise::new().mse(), None);
    /// ```
    pub fn new() -> Self {
        Pointwise::on(Backend::detect())
    }

    /// An empty accumulator whose block kernel runs on `backend` (benchmarks and tests force
    /// each one; every back-end gives bit-identical results); [`Error::BackendUnavailable`] if
    /// this CPU lacks it.
    ///
    /// ```
    /// use float_bits::Backend;
    /// let x: Vec<f32> = (0..3000).map(|i| 1.0 + i as f32).collect();
    /// let y: Vec<f32> = x.iter().map(|v| v * 1.001).collect();
    /// let mut fast = metrics::Pointwise::new();
    /// let mut scalar = metrics::Pointwise::with_backend(Backend::Scalar)?;
    /// fast.add(&x, &y)?;
    /// scalar.add(&x, &y)?;
    /// assert_eq!(fast.mse().unwrap().to_bits(), scalar.mse().unwrap().to_bits());
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn with_backend(backend: Backend) -> Result<Self> {
        if backend.is_available() { Ok(Pointwise::on(backend)) } else { Err(Error::BackendUnavailable(backend)) }
    }

    fn on(backend: Backend) -> Self {
        Pointwise {
            used: 0,
            non_finite: 0,
            sq: Sum::default(),
            abs: Sum::default(),
            max_abs: 0.0,
            rel_n: 0,
            rel_sq: Sum::default(),
            log_n: 0,
            log_sq: Sum::default(),
            log_excluded: 0,
            sign_flips: 0,
            exact: 0,
            bits_n: 0,
            bits: Sum::default(),
            bits_hist: Vec::new(),
            backend,
        }
    }

    /// Add pairs `(original[i], candidate[i])`; [`Error::LengthMismatch`] if the lengths differ.
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// assert!(p.add(&[1.0f64], &[1.0, 2.0]).is_err());
    /// ```
    pub fn add<T: Value>(&mut self, original: &[T], candidate: &[T]) -> Result<()> {
        if original.len() != candidate.len() {
            return Err(Error::LengthMismatch { left: original.len(), right: candidate.len() });
        }
        let (blocks_x, tail_x) = original.as_chunks::<BLOCK>();
        let (blocks_y, tail_y) = candidate.as_chunks::<BLOCK>();
        for (bx, by) in blocks_x.iter().zip(blocks_y) {
            self.add_block(bx, by);
        }
        for (&x, &y) in tail_x.iter().zip(tail_y) {
            self.add_pair(x.widen(), y.widen());
        }
        Ok(())
    }

    /// One block of pairs: lane-parallel plain sums (vectorised), folded into the compensated
    /// sums once per block; then the effective-bits histogram, scalar.
    fn add_block<T: Value>(&mut self, x: &[T; BLOCK], y: &[T; BLOCK]) {
        let mut l = Lanes::default();
        let mut bins = [0u32; BLOCK];
        if !lanes_kernel(self.backend, x, y, &mut l, &mut bins) {
            // A ratio beyond the normal range somewhere in the block (extreme f64 inputs): the
            // pair-at-a-time path handles it with a difference of logarithms.
            for (&x, &y) in x.iter().zip(y) {
                self.add_pair(x.widen(), y.widen());
            }
            return;
        }
        self.used += l.used.iter().sum::<u64>();
        self.non_finite += BLOCK as u64 - l.used.iter().sum::<u64>();
        self.rel_n += l.rel_n.iter().sum::<u64>();
        self.log_n += l.log_n.iter().sum::<u64>();
        self.log_excluded += l.used.iter().sum::<u64>() - l.log_n.iter().sum::<u64>();
        self.sign_flips += l.flips.iter().sum::<u64>();
        self.exact += l.exact.iter().sum::<u64>();
        let bits_n: u64 = l.bits_n.iter().sum();
        self.bits_n += bits_n;
        for lane in 0..LANES {
            self.sq.add(l.sq[lane]);
            self.abs.add(l.abs[lane]);
            self.rel_sq.add(l.rel[lane]);
            self.log_sq.add(l.log[lane]);
            self.bits.add(l.bits[lane]);
            if l.max[lane] > self.max_abs {
                self.max_abs = l.max[lane];
            }
        }
        if bits_n > 0 {
            if self.bits_hist.is_empty() {
                self.bits_hist = vec![0; BITS_BINS];
            }
            for &b in &bins {
                // `u32::MAX` marks pairs without effective bits.
                if let Some(c) = self.bits_hist.get_mut(b as usize) {
                    *c += 1;
                }
            }
        }
    }

    #[inline]
    fn add_pair(&mut self, x: f64, y: f64) {
        if !(x.is_finite() && y.is_finite()) {
            self.non_finite += 1;
            return;
        }
        self.used += 1;
        let d = y - x;
        let a = d.abs();
        self.sq.add(d * d);
        self.abs.add(a);
        if a > self.max_abs {
            self.max_abs = a;
        }
        if x != 0.0 {
            let r = d / x;
            self.rel_n += 1;
            self.rel_sq.add(r * r);
        }
        if x != 0.0 && y != 0.0 {
            // log10|y| − log10|x| as one logarithm of the ratio (accurate when y ≈ x); the
            // difference of logarithms where the ratio over- or underflows.
            let l = log10_ratio(x, y);
            self.log_n += 1;
            self.log_sq.add(l * l);
            if (x < 0.0) != (y < 0.0) {
                self.sign_flips += 1;
            }
        } else {
            self.log_excluded += 1;
        }
        if d == 0.0 {
            self.exact += 1;
        } else if x != 0.0 {
            let b = effective_bits(a, x);
            self.bits_n += 1;
            self.bits.add(b);
            let bin = bits_bin(b);
            if self.bits_hist.is_empty() {
                self.bits_hist = vec![0; BITS_BINS];
            }
            self.bits_hist[bin] += 1;
        }
    }

    /// Combine with the accumulator of other pairs (another chunk or thread).
    ///
    /// ```
    /// use metrics::Pointwise;
    /// let (x, y) = ([1.0f32, 2.0, 3.0], [1.5f32, 2.0, 2.0]);
    /// let mut whole = Pointwise::new();
    /// whole.add(&x, &y)?;
    /// let (mut a, mut b) = (Pointwise::new(), Pointwise::new());
    /// a.add(&x[..1], &y[..1])?;
    /// b.add(&x[1..], &y[1..])?;
    /// a.merge(&b);
    /// assert_eq!(a.mse(), whole.mse());
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn merge(&mut self, other: &Pointwise) {
        self.used += other.used;
        self.non_finite += other.non_finite;
        self.sq.merge(&other.sq);
        self.abs.merge(&other.abs);
        self.max_abs = self.max_abs.max(other.max_abs);
        self.rel_n += other.rel_n;
        self.rel_sq.merge(&other.rel_sq);
        self.log_n += other.log_n;
        self.log_sq.merge(&other.log_sq);
        self.log_excluded += other.log_excluded;
        self.sign_flips += other.sign_flips;
        self.exact += other.exact;
        self.bits_n += other.bits_n;
        self.bits.merge(&other.bits);
        if self.bits_hist.is_empty() {
            self.bits_hist.clone_from(&other.bits_hist);
        } else {
            for (a, b) in self.bits_hist.iter_mut().zip(&other.bits_hist) {
                *a += b;
            }
        }
    }

    fn mean(sum: &Sum, n: u64) -> Option<f64> {
        (n > 0).then(|| sum.value() / n as f64)
    }

    /// Pairs used (both values finite).
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[1.0f32, f32::NAN], &[1.0, 1.0])?;
    /// assert_eq!((p.used(), p.non_finite()), (1, 1));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Pairs with a NaN or ±Inf on either side (excluded from every metric).
    ///
    /// ```
    /// assert_eq!(metrics::Pointwise::new().non_finite(), 0);
    /// ```
    pub fn non_finite(&self) -> u64 {
        self.non_finite
    }

    /// Mean squared error `Σ (x̂ − x)² / n` over used pairs; `None` without pairs.
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[1.0f64, 2.0], &[1.0, 2.0])?;
    /// assert_eq!(p.mse(), Some(0.0));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn mse(&self) -> Option<f64> {
        Self::mean(&self.sq, self.used)
    }

    /// Root mean squared error `√mse`.
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[0.0f64, 0.0], &[3.0, -3.0])?;
    /// assert_eq!(p.rmse(), Some(3.0));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn rmse(&self) -> Option<f64> {
        self.mse().map(f64::sqrt)
    }

    /// Mean absolute error `Σ |x̂ − x| / n` over used pairs.
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[0.0f64, 0.0], &[1.0, -3.0])?;
    /// assert_eq!(p.mae(), Some(2.0));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn mae(&self) -> Option<f64> {
        Self::mean(&self.abs, self.used)
    }

    /// Largest absolute error `max |x̂ − x|` over used pairs.
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[0.0f64, 0.0], &[1.0, -3.0])?;
    /// assert_eq!(p.max_abs(), Some(3.0));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn max_abs(&self) -> Option<f64> {
        (self.used > 0).then_some(self.max_abs)
    }

    /// Relative MSE `Σ ((x̂ − x) / x)² / n_rel` over used pairs with `x ≠ 0`.
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[2.0f64, 0.0], &[3.0, 1.0])?;
    /// assert_eq!(p.relative_mse(), Some(0.25));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn relative_mse(&self) -> Option<f64> {
        Self::mean(&self.rel_sq, self.rel_n)
    }

    /// Log-MSE `Σ (log10|x̂| − log10|x|)² / n_log` over used pairs with `x ≠ 0` and `x̂ ≠ 0`.
    /// Magnitudes only: see [`sign_flips`](Self::sign_flips) and
    /// [`log_excluded`](Self::log_excluded).
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[1.0f64, 5.0, 0.0], &[10.0, -5.0, 1.0])?;
    /// assert_eq!(p.log_mse(), Some(0.5)); // (1² + 0²) / 2; the zero pair is excluded
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn log_mse(&self) -> Option<f64> {
        Self::mean(&self.log_sq, self.log_n)
    }

    /// Pairs in the log-MSE whose signs differ (invisible to the log-MSE itself).
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[1.0f64], &[-1.0])?;
    /// assert_eq!((p.log_mse(), p.sign_flips()), (Some(0.0), 1));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn sign_flips(&self) -> u64 {
        self.sign_flips
    }

    /// Used pairs left out of the log-MSE because `x = 0` or `x̂ = 0`.
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[0.0f64, 1.0], &[0.0, 0.0])?;
    /// assert_eq!((p.log_mse(), p.log_excluded()), (None, 2));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn log_excluded(&self) -> u64 {
        self.log_excluded
    }

    /// Used pairs with `x̂ == x` exactly (infinitely many effective bits).
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[0.0f32, 1.0], &[0.0, 1.0])?;
    /// assert_eq!(p.exact(), 2);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn exact(&self) -> u64 {
        self.exact
    }

    /// Mean effective bits of precision `Σ −log2(|x̂ − x| / |x|) / n_bits` over used pairs with
    /// `x ≠ 0` and `x̂ ≠ x`.
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[1.0f64, 1.0], &[1.0 + 2f64.powi(-8), 1.0 - 2f64.powi(-10)])?;
    /// assert_eq!(p.effective_bits_mean(), Some(9.0));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn effective_bits_mean(&self) -> Option<f64> {
        Self::mean(&self.bits, self.bits_n)
    }

    /// Lower median of the effective bits over the same pairs as the mean, to 1/64 bit: the
    /// centre of the histogram bin where the cumulative count first reaches half (bins cover
    /// `[−64, 64)` bits; values below fall into the lowest bin).
    ///
    /// ```
    /// let mut p = metrics::Pointwise::new();
    /// p.add(&[1.0f64; 3], &[1.0 + 2f64.powi(-4), 1.0 + 2f64.powi(-8), 1.0 + 2f64.powi(-20)])?;
    /// assert!((p.effective_bits_median().unwrap() - 8.0).abs() <= 1.0 / 128.0);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn effective_bits_median(&self) -> Option<f64> {
        if self.bits_n == 0 {
            return None;
        }
        let half = self.bits_n.div_ceil(2);
        let mut seen = 0;
        for (i, &c) in self.bits_hist.iter().enumerate() {
            seen += c;
            if seen >= half {
                return Some(BITS_LO + (i as f64 + 0.5) * BITS_PER_BIN);
            }
        }
        None
    }
}

/// Fraction of candidates inside given intervals `[lo, hi]` (inclusive, IEEE `totalOrder`, so
/// `-0.0` is not inside `[+0.0, …]`): for checking that a reconstruction never leaves the
/// preimages of its compressed values. Mergeable.
///
/// ```
/// let mut c = metrics::Coverage::default();
/// c.add(&[1.0f32, 2.0, 5.0], &[0.5, 2.0, 3.0], &[1.5, 2.5, 4.0])?;
/// assert_eq!((c.inside(), c.total()), (2, 3));
/// assert_eq!(c.fraction(), Some(2.0 / 3.0));
/// # Ok::<(), metrics::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    inside: u64,
    total: u64,
}

impl Coverage {
    /// Add candidates with their interval bounds (all three slices of equal length).
    ///
    /// ```
    /// assert!(metrics::Coverage::default().add(&[1.0f64], &[0.0], &[]).is_err());
    /// ```
    pub fn add<T: Value>(&mut self, candidate: &[T], lo: &[T], hi: &[T]) -> Result<()> {
        for other in [lo.len(), hi.len()] {
            if other != candidate.len() {
                return Err(Error::LengthMismatch { left: candidate.len(), right: other });
            }
        }
        for ((x, l), h) in candidate.iter().zip(lo).zip(hi) {
            let k = x.total_key();
            self.inside += u64::from(l.total_key() <= k && k <= h.total_key());
        }
        self.total += candidate.len() as u64;
        Ok(())
    }

    /// Combine with another coverage count.
    ///
    /// ```
    /// let mut a = metrics::Coverage::default();
    /// a.merge(&metrics::Coverage::default());
    /// assert_eq!(a.total(), 0);
    /// ```
    pub fn merge(&mut self, other: &Coverage) {
        self.inside += other.inside;
        self.total += other.total;
    }

    /// Candidates inside their interval.
    ///
    /// ```
    /// assert_eq!(metrics::Coverage::default().inside(), 0);
    /// ```
    pub fn inside(&self) -> u64 {
        self.inside
    }

    /// Candidates seen.
    ///
    /// ```
    /// assert_eq!(metrics::Coverage::default().total(), 0);
    /// ```
    pub fn total(&self) -> u64 {
        self.total
    }

    /// `inside / total`; `None` before any candidate.
    ///
    /// ```
    /// assert_eq!(metrics::Coverage::default().fraction(), None);
    /// ```
    pub fn fraction(&self) -> Option<f64> {
        (self.total > 0).then(|| self.inside as f64 / self.total as f64)
    }
}

/// Pairs per block of the vectorised kernel; lanes per accumulator.
const BLOCK: usize = 1024;
const LANES: usize = 8;

/// Lane-parallel partial sums and counts of one block.
#[derive(Default)]
struct Lanes {
    sq: [f64; LANES],
    abs: [f64; LANES],
    rel: [f64; LANES],
    log: [f64; LANES],
    bits: [f64; LANES],
    max: [f64; LANES],
    used: [u64; LANES],
    rel_n: [u64; LANES],
    log_n: [u64; LANES],
    flips: [u64; LANES],
    exact: [u64; LANES],
    bits_n: [u64; LANES],
}

/// `log10|y| − log10|x|` for non-zero finite `x`, `y`: one logarithm of the ratio (accurate
/// when `y ≈ x`), the difference of two where the ratio over- or underflows.
#[inline(always)]
fn log10_ratio(x: f64, y: f64) -> f64 {
    let ratio = (y / x).abs();
    if ratio.is_normal() {
        log2(ratio) * core::f64::consts::LOG10_2
    } else {
        (log2(y.abs()) - log2(x.abs())) * core::f64::consts::LOG10_2
    }
}

/// `−log2(a / |x|)` for `a > 0`, `x ≠ 0` (both finite).
#[inline(always)]
fn effective_bits(a: f64, x: f64) -> f64 {
    let q = a / x.abs();
    if q.is_normal() { -log2(q) } else { log2(x.abs()) - log2(a) }
}

#[inline(always)]
fn bits_bin(b: f64) -> usize {
    ((b - BITS_LO) / BITS_PER_BIN).floor().clamp(0.0, (BITS_BINS - 1) as f64) as usize
}

/// `log2(x)` for finite `x > 0` (subnormals included), branch-free so that it vectorises:
/// `x = 2^e · m` with `m ∈ [√½, √2)`, `ln m = 2 atanh(t)`, `t = (m − 1)/(m + 1)`, summed to
/// `t^23` (`|t| ≤ 0.1716`: truncation below `10^-18`). Within a few ulp of `f64::log2`; exact
/// for powers of two.
#[inline(always)]
pub(crate) fn log2(x: f64) -> f64 {
    const TWO54: f64 = 18_014_398_509_481_984.0;
    let sub = x < f64::MIN_POSITIVE;
    let xs = if sub { x * TWO54 } else { x };
    let bits = xs.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as f64 - 1023.0 - if sub { 54.0 } else { 0.0 };
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > core::f64::consts::SQRT_2;
    m = if big { m * 0.5 } else { m };
    e += if big { 1.0 } else { 0.0 };
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut p = 1.0 / 23.0;
    for k in [21.0, 19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0, 1.0] {
        p = p * t2 + 1.0 / k;
    }
    e + 2.0 * t * p * core::f64::consts::LOG2_E
}

/// The block kernel: everything branch-free per lane, so that the compiler vectorises it;
/// compiled for the accumulator's back-end. Returns `false` (and must then be
/// discarded) if some ratio left the normal range, where the one-logarithm forms lose accuracy.
fn lanes_kernel<T: Value>(
    backend: Backend,
    x: &[T; BLOCK],
    y: &[T; BLOCK],
    l: &mut Lanes,
    bins: &mut [u32; BLOCK],
) -> bool {
    #[inline(always)]
    fn run<T: Value>(x: &[T; BLOCK], y: &[T; BLOCK], l: &mut Lanes, bins: &mut [u32; BLOCK]) -> bool {
        let (cx, _) = x.as_chunks::<LANES>();
        let (cy, _) = y.as_chunks::<LANES>();
        let (cb, _) = bins.as_chunks_mut::<LANES>();
        let mut abnormal = [false; LANES];
        for ((vx, vy), vb) in cx.iter().zip(cy).zip(cb.iter_mut()) {
            for i in 0..LANES {
                let (x, y) = (vx[i].widen(), vy[i].widen());
                let used = x.is_finite() && y.is_finite();
                let d = y - x;
                let a = d.abs();
                let xnz = used && x != 0.0;
                let both = xnz && y != 0.0;
                let exact = used && d == 0.0;
                let has_bits = xnz && d != 0.0;
                let r = if xnz { d / x } else { 0.0 };
                let ratio = if both { (y / x).abs() } else { 1.0 };
                let q = if has_bits { r.abs() } else { 1.0 };
                abnormal[i] |= !(ratio.is_normal() && q.is_normal());
                // Masked-out lanes take the harmless argument 1 (no NaN reaches a kept sum).
                let lg = log2(if ratio.is_normal() { ratio } else { 1.0 }) * core::f64::consts::LOG10_2;
                let b = -log2(if q.is_normal() { q } else { 1.0 });
                l.sq[i] += if used { d * d } else { 0.0 };
                l.abs[i] += if used { a } else { 0.0 };
                l.max[i] = if used && a > l.max[i] { a } else { l.max[i] };
                l.rel[i] += r * r;
                l.log[i] += if both { lg * lg } else { 0.0 };
                l.bits[i] += if has_bits { b } else { 0.0 };
                l.used[i] += u64::from(used);
                l.rel_n[i] += u64::from(xnz);
                l.log_n[i] += u64::from(both);
                l.flips[i] += u64::from(both && ((x < 0.0) != (y < 0.0)));
                l.exact[i] += u64::from(exact);
                l.bits_n[i] += u64::from(has_bits);
                vb[i] = if has_bits { bits_bin(b) as u32 } else { u32::MAX };
            }
        }
        !abnormal.iter().any(|&a| a)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = backend; // only x86-64 has kernels of its own
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
        unsafe fn wide<T: Value>(x: &[T; BLOCK], y: &[T; BLOCK], l: &mut Lanes, bins: &mut [u32; BLOCK]) -> bool {
            run(x, y, l, bins)
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn narrow<T: Value>(x: &[T; BLOCK], y: &[T; BLOCK], l: &mut Lanes, bins: &mut [u32; BLOCK]) -> bool {
            run(x, y, l, bins)
        }
        match backend {
            // SAFETY: `backend` is available (checked when the accumulator was made): the
            // features enabled here, `Backend::features`, were detected on this CPU; the
            // function runs safe code.
            Backend::Avx512 => return unsafe { wide(x, y, l, bins) },
            // SAFETY: as above.
            Backend::Avx2 => return unsafe { narrow(x, y, l, bins) },
            _ => {}
        }
    }
    run(x, y, l, bins)
}

#[cfg(test)]
mod tests {
    use super::log2;

    #[test]
    fn fast_log2_is_within_a_few_ulp() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let x = f64::from_bits(s >> 1); // positive, any exponent
            if !(x.is_finite() && x > 0.0) {
                continue;
            }
            let (ours, std) = (log2(x), x.log2());
            let ulp = f64::from_bits(std.abs().to_bits() + 1) - std.abs();
            assert!((ours - std).abs() <= 4.0 * ulp.max(f64::MIN_POSITIVE), "{x:e}: {ours} vs {std}");
        }
        for e in -1074i32..1024 {
            // Built from bits: `powi` underflows before the smallest subnormal.
            let p =
                if e < -1022 { f64::from_bits(1u64 << (e + 1074)) } else { f64::from_bits(((e + 1023) as u64) << 52) };
            assert_eq!(log2(p), f64::from(e));
        }
        // Near 1 the result is accurate relative to its own (small) size.
        for d in [1e-3, 1e-8, 1e-15, -1e-3, -1e-12] {
            let x: f64 = 1.0 + d;
            assert!(((log2(x) - x.log2()) / x.log2()).abs() < 1e-14, "{x}");
        }
    }
}
