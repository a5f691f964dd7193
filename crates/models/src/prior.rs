//! The non-neural priors: what is likely inside each value's preimage interval.

use std::collections::HashMap;

use float_bits::Scheme;
use quant_bounds::interval::{from_key, key};
use serde::{Deserialize, Serialize};

use crate::posterior::{Posterior, Shape, clamp_into};
use crate::{Error, Estimate, Result};

/// Values handled per call to `quant_bounds::preimages` (stack buffers, no allocation).
const CHUNK: usize = 1024;

/// The largest number of lattice points a [`Lattice`] enumerates inside one interval; beyond it
/// the interval is treated as continuous (the lattice is then finer than the interval can show).
pub const MAX_LATTICE_POINTS: usize = 64;

/// A prior over the originals behind each compressed value of one column.
///
/// Every prior but `Identity` returns a value inside the preimage, and returns the compressed
/// value itself where it is certain: zeros, non-finite values and one-member intervals.
///
/// ```
/// use models::{Estimate, Prior, Seed};
/// let scheme = float_bits::Scheme::atlas(7)?;
/// let compressed = [1.0f32, 0.0, -1.0];
/// let mut out = [0f32; 3];
/// Prior::Uniform.upsample(&scheme, &compressed, Estimate::Mean, Seed::default(), &mut out)?;
/// assert!(out[0] > 1.0); // the midpoint of the asymmetric interval above a power of two
/// assert_eq!(out[1].to_bits(), 0.0f32.to_bits()); // zeros stay zeros
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Prior {
    /// Output the compressed value unchanged (the baseline every column can fall back to).
    Identity,
    /// Every member of the interval equally likely (in value): the exact interval midpoint as
    /// mean and median, uniform dithering as sample.
    Uniform,
    /// Originals on a lattice (integers, or multiples of a power of two), weighted by how often
    /// training saw each point.
    Lattice(Lattice),
    /// Exact values that training saw repeatedly (sentinels, zeros, discrete levels) plus a
    /// learned density of the position inside the interval.
    Histogram(Histogram),
}

/// Per-value draws for [`Estimate::Sample`]: value `i` of a call uses a random number derived
/// from `stream` and `first_row + i` only, so results do not depend on how a column is split
/// into batches.
///
/// ```
/// let s = models::Seed { stream: 7, first_row: 1000 };
/// assert_ne!(s.draw(0), s.draw(1));
/// assert_eq!(s.draw(5), models::Seed { stream: 7, first_row: 1005 }.draw(0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seed {
    /// Identifies the stream (mix in the user's seed and the column).
    pub stream: u64,
    /// Global row index of the first value of the call.
    pub first_row: u64,
}

impl Seed {
    /// The uniform number in [0, 1) for value `i` of the call.
    pub fn draw(&self, i: usize) -> f64 {
        (self.state(i) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// The 64 random bits behind [`Seed::draw`] (seeds further draws for value `i`).
    pub(crate) fn state(&self, i: usize) -> u64 {
        splitmix64(self.stream ^ splitmix64(self.first_row.wrapping_add(i as u64)))
    }
}

/// SplitMix64's output function: a fast, well-mixed 64-bit hash.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A column's training data: originals, their compressed values and preimage intervals.
#[derive(Debug)]
pub(crate) struct Training<'a> {
    pub original: &'a [f32],
    pub compressed: Vec<f32>,
    pub lo: Vec<f32>,
    pub hi: Vec<f32>,
}

impl<'a> Training<'a> {
    pub fn new(scheme: &Scheme, original: &'a [f32]) -> Result<Self> {
        let mut compressed = original.to_vec();
        scheme.compress_in_place(&mut compressed)?;
        let (mut lo, mut hi) = (vec![0f32; original.len()], vec![0f32; original.len()]);
        quant_bounds::preimages(scheme, &compressed, &mut lo, &mut hi)?;
        Ok(Training { original, compressed, lo, hi })
    }
}

/// Where the compressed value itself is the answer: zeros, non-finite values or bounds, and
/// intervals of a single float.
#[inline]
pub(crate) fn certain(c: f32, lo: f32, hi: f32) -> bool {
    c == 0.0 || !c.is_finite() || !lo.is_finite() || !hi.is_finite() || lo.to_bits() == hi.to_bits()
}

/// Whether `c` has at most [`KeptBits::UNINFORMATIVE`](float_bits::KeptBits::UNINFORMATIVE)
/// significant mantissa bits: the values sentinels, bounds and counts take (−1, 0.5, 1, 3, …),
/// and where a binade boundary moves the midpoint away from them.
fn short(c: f32) -> bool {
    float_bits::needed_bits(c) <= float_bits::KeptBits::<f32>::UNINFORMATIVE
}

/// Exact-value counts of the finite training originals, sorted in `totalOrder`.
fn value_counts(values: &[f32]) -> Vec<(f32, u32)> {
    let mut counts: HashMap<u32, u32> = HashMap::new();
    for &x in values.iter().filter(|x| x.is_finite()) {
        *counts.entry(x.to_bits()).or_default() += 1;
    }
    let mut out: Vec<(f32, u32)> = counts.into_iter().map(|(b, n)| (f32::from_bits(b), n)).collect();
    out.sort_unstable_by_key(|&(x, _)| key(x));
    out
}

/// The indices of the atoms (sorted in `totalOrder`) that lie in `[lo, hi]`.
fn in_range(atoms: &[(f32, f64)], lo: f32, hi: f32) -> std::ops::Range<usize> {
    let a = atoms.partition_point(|t| key(t.0) < key(lo));
    let b = atoms.partition_point(|t| key(t.0) <= key(hi));
    a..b.max(a)
}

/// Integers or multiples of a power of two, with how often training saw each point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lattice {
    /// The lattice spacing, a power of two (1 for integers).
    pub step: f64,
    /// Pseudo-count of every lattice point (what an unseen point weighs).
    pub alpha: f64,
    /// Points training saw, with their counts, sorted in `totalOrder`.
    pub counts: Vec<(f32, f64)>,
}

impl Lattice {
    /// A lattice for the training originals, if they lie on one that is coarser than the
    /// compressed grid: every finite value a multiple of one power of two `step`, and at least
    /// half of the training intervals holding at most [`MAX_LATTICE_POINTS`] points.
    pub(crate) fn fit(t: &Training<'_>) -> Option<Lattice> {
        let lsb = t
            .original
            .iter()
            .filter(|x| x.is_finite() && **x != 0.0)
            .map(|x| {
                let b = x.to_bits();
                let (exp, man) = ((b >> 23) & 0xff, b & 0x7f_ffff);
                if exp == 0 {
                    -149 + man.trailing_zeros() as i32
                } else {
                    exp as i32 - 150 + (man | 0x80_0000).trailing_zeros() as i32
                }
            })
            .min()?;
        let step = 2f64.powi(lsb);
        let small = (0..t.original.len())
            .filter(|&i| t.original[i].is_finite())
            .filter(|&i| points(step, t.lo[i], t.hi[i]).is_some_and(|(a, b)| b - a < MAX_LATTICE_POINTS as f64))
            .count();
        if 2 * small < t.original.iter().filter(|x| x.is_finite()).count() {
            return None;
        }
        let mut counts = value_counts(t.original);
        if counts.len() > crate::validate::MAX_LATTICE_COUNTS {
            counts.sort_unstable_by_key(|a| std::cmp::Reverse(a.1));
            counts.truncate(crate::validate::MAX_LATTICE_COUNTS);
            counts.sort_unstable_by_key(|&(x, _)| key(x));
        }
        Some(Lattice { step, alpha: 0.5, counts: counts.into_iter().map(|(x, n)| (x, f64::from(n))).collect() })
    }
}

/// The 0.1 % upper critical value of χ² with `df` degrees of freedom (Wilson–Hilferty; within
/// 1 % of the exact value from `df = 3` up).
fn chi2_critical(df: f64) -> f64 {
    const Z: f64 = 3.090_232; // the standard normal's 99.9 % quantile
    let a = 2.0 / (9.0 * df);
    df * (1.0 - a + Z * a.sqrt()).powi(3)
}

/// The lattice indices `(m0, m1)` of the first and last multiples of `step` in `[lo, hi]`, if any.
fn points(step: f64, lo: f32, hi: f32) -> Option<(f64, f64)> {
    let (m0, m1) = ((f64::from(lo) / step).ceil(), (f64::from(hi) / step).floor());
    (m0 <= m1).then_some((m0, m1))
}

/// Repeated exact values plus a learned shape of the position inside the interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Exact values seen at least `min_count` times, with their counts, sorted in `totalOrder`.
    pub atoms: Vec<(f32, f64)>,
    /// For each atom, the count of the other training originals behind the same compressed
    /// value (the weight of the continuous part beside it).
    pub rest: Vec<f64>,
    /// Cumulative distribution of `u = (x − lo) / (hi − lo)` over equal bins (`cdf[0] = 0`,
    /// last = 1), learned from the training originals that are not atoms.
    pub cdf: Vec<f64>,
    /// Mean of `u` under `cdf`.
    pub mean_u: f64,
    /// Whether every compressed value with at most
    /// [`KeptBits::UNINFORMATIVE`](float_bits::KeptBits::UNINFORMATIVE) significant mantissa
    /// bits (−1, ±0.5, 1, powers of two, small integers) is taken as exact, seen in training or
    /// not (set by [`Histogram::deconvolve`], which has no originals to learn atoms from).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub short_exact: bool,
}

impl Histogram {
    /// Fit on training originals: atoms seen `min_count` times or more, and a `bins`-bin
    /// histogram of the relative position of the others, with one pseudo-count per bin — flat
    /// unless a χ² test against flat rejects it at the 0.1 % level.
    pub(crate) fn fit(scheme: &Scheme, t: &Training<'_>, min_count: u32, bins: usize) -> Result<Histogram> {
        if bins == 0 || bins > crate::validate::MAX_HISTOGRAM_BINS {
            let detail = format!("{bins} bins: expected 1 to {}", crate::validate::MAX_HISTOGRAM_BINS);
            return Err(Error::InvalidSetting { setting: "histogram bins", detail });
        }
        if min_count == 0 {
            return Err(Error::InvalidSetting {
                setting: "atom min_count",
                detail: "0: atoms must be seen at least once".into(),
            });
        }
        let counts = value_counts(t.original);
        let atom_bits: HashMap<u32, u32> =
            counts.iter().filter(|a| a.1 >= min_count).map(|&(x, n)| (x.to_bits(), n)).collect();
        // Training originals behind each compressed value that holds an atom, not atoms themselves.
        let mut rest: HashMap<u32, u32> = HashMap::new();
        let mut hist = vec![1.0f64; bins];
        for i in 0..t.original.len() {
            let (x, lo, hi) = (t.original[i], t.lo[i], t.hi[i]);
            if !x.is_finite() || atom_bits.contains_key(&x.to_bits()) {
                continue;
            }
            *rest.entry(t.compressed[i].to_bits()).or_default() += 1;
            let width = f64::from(hi) - f64::from(lo);
            if certain(t.compressed[i], lo, hi) || width.is_nan() || width <= 0.0 {
                continue;
            }
            let u = (f64::from(x) - f64::from(lo)) / width;
            hist[((u * bins as f64) as usize).min(bins - 1)] += 1.0;
        }
        // A shape the training values do not demand (χ² against flat below the 0.1 % critical
        // value) would only fit noise: keep the continuous part flat then.
        let seen: f64 = hist.iter().map(|h| h - 1.0).sum();
        if seen > 0.0 {
            let expect = seen / bins as f64;
            let chi2: f64 = hist.iter().map(|h| (h - 1.0 - expect).powi(2) / expect).sum();
            if bins < 2 || chi2 < chi2_critical((bins - 1) as f64) {
                hist.iter_mut().for_each(|h| *h = 1.0);
            }
        }
        let total: f64 = hist.iter().sum();
        let mut cdf = Vec::with_capacity(bins + 1);
        cdf.push(0.0);
        let mut acc = 0.0;
        let mut mean_u = 0.0;
        for (j, h) in hist.iter().enumerate() {
            acc += h / total;
            mean_u += h / total * (j as f64 + 0.5) / bins as f64;
            cdf.push(acc);
        }
        *cdf.last_mut().expect("bins > 0") = 1.0;
        let (mut atoms, mut others) = (Vec::new(), Vec::new());
        for &(x, n) in counts.iter().filter(|a| a.1 >= min_count) {
            let c = scheme.compress(x)?;
            atoms.push((x, f64::from(n)));
            others.push(f64::from(rest.get(&c.to_bits()).copied().unwrap_or(0)));
        }
        Ok(Histogram { atoms, rest: others, cdf, mean_u, short_exact: false })
    }
}

impl Histogram {
    /// Deconvolve from compressed values alone, when no originals are available. Under ATLAS
    /// rounding a compressed value is its interval's midpoint except at powers of two (which
    /// this keeps exact), so there this prior changes only what the counts prove; under
    /// truncation it moves every continuous value to its midpoint. The only
    /// structure a smooth density leaves inside one preimage interval is a tilt of order
    /// (width × d log p/dx), too small to matter at k ≥ 7, so the continuous part stays flat;
    /// what the compressed counts do show is **spikes**: a compressed value seen far more often
    /// than its neighbours on the grid predict (count > 4 × expected + 2, and at least
    /// `min_count`) is taken as an exact value, kept exact, with the expected count as the
    /// continuous weight beside it. Compressed values with at most
    /// [`KeptBits::UNINFORMATIVE`](float_bits::KeptBits::UNINFORMATIVE) significant bits (−1,
    /// ±0.5, 1, small integers: what sentinels, bounds and counts are, and where a binade
    /// boundary moves the midpoint away from them) are kept exact however often they occur.
    /// Everything else gets the interval's midpoint (mean) or a uniform draw (sample).
    ///
    /// ```
    /// use models::{Estimate, Histogram, Prior, Seed};
    /// // Truncation (RNTuple Real32Trunc): every compressed value sits at an end of its interval.
    /// let s = float_bits::Scheme::toward_zero(7)?;
    /// // A continuous column with two sentinels: -1 (short: kept exact wherever it appears)
    /// // and -999.9 (a spike: its compressed value -996 is taken as exact).
    /// let mut x: Vec<f32> = (0..5000).map(|i| -3.0 + 6.0 * (i as f32 * 0.618_034).fract()).collect();
    /// x.extend([-1.0f32; 500]);
    /// x.extend([-999.9f32; 500]);
    /// s.compress_in_place(&mut x)?;
    /// let h = Histogram::deconvolve(&s, &x, 3)?;
    /// assert_eq!(h.atoms, [(-996.0, 500.0)]);
    /// let mut out = [0f32; 3];
    /// Prior::Histogram(h).upsample(&s, &[-1.0, -996.0, 2.015625], Estimate::Mean, Seed::default(), &mut out)?;
    /// assert_eq!(out[..2], [-1.0, -996.0]); // the plain midpoints are -1.0039 and -998.0
    /// assert_eq!(out[2], 2.0234375); // a continuous value: its interval's midpoint
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn deconvolve(scheme: &Scheme, compressed: &[f32], min_count: u32) -> Result<Histogram> {
        if min_count == 0 {
            return Err(Error::InvalidSetting {
                setting: "atom min_count",
                detail: "0: atoms must be seen at least once".into(),
            });
        }
        let counts = value_counts(compressed);
        let count_of = |c: f32| -> f64 {
            let i = counts.partition_point(|t| key(t.0) < key(c));
            counts.get(i).filter(|t| t.0.to_bits() == c.to_bits()).map_or(0.0, |t| f64::from(t.1))
        };
        // Counts per unit length of the grid value next to a preimage end (`dir` = ±1 in totalOrder).
        let density_beyond = |end: f32, dir: i64| -> Result<f64> {
            let k = key(end).wrapping_add_signed(dir);
            let x: f32 = from_key(k);
            if !x.is_finite() || key(x) != k {
                return Ok(0.0);
            }
            let c = scheme.compress(x)?;
            let Ok(p) = quant_bounds::preimage(scheme, c) else { return Ok(0.0) };
            let width = p.width();
            Ok(if width > 0.0 && width.is_finite() { count_of(c) / width } else { 0.0 })
        };
        let (mut atoms, mut rest) = (Vec::new(), Vec::new());
        for &(c, n) in &counts {
            let p = quant_bounds::preimage(scheme, c)?;
            if certain(c, p.lo(), p.hi()) {
                continue; // already exact
            }
            if n < min_count || short(c) {
                continue;
            }
            let expected = p.width() * 0.5 * (density_beyond(p.lo(), -1)? + density_beyond(p.hi(), 1)?);
            if f64::from(n) > 4.0 * expected + 2.0 {
                atoms.push((c, f64::from(n) - expected));
                rest.push(expected);
            }
        }
        Ok(Histogram { atoms, rest, cdf: vec![0.0, 1.0], mean_u: 0.5, short_exact: true })
    }
}

impl Prior {
    /// Short name (`identity`, `uniform`, `lattice`, `histogram`).
    ///
    /// ```
    /// assert_eq!(models::Prior::Uniform.name(), "uniform");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Prior::Identity => "identity",
            Prior::Uniform => "uniform",
            Prior::Lattice(_) => "lattice",
            Prior::Histogram(_) => "histogram",
        }
    }

    /// Upsample `compressed` (values produced by `scheme`) into `out`: the estimate `how` of
    /// each value's posterior under this prior. A value that `scheme` cannot produce is an
    /// error naming it, and so is a prior whose fields break its invariants
    /// ([`Error::InvalidModel`]: e.g. a histogram `cdf` that is not a distribution).
    ///
    /// ```
    /// use models::{Estimate, Prior, Seed};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let mut out = [0f32; 2];
    /// Prior::Uniform.upsample(&s, &[3.0, 5.0], Estimate::Sample, Seed { stream: 1, first_row: 0 }, &mut out)?;
    /// assert!(quant_bounds::preimage(&s, 3.0f32)?.contains(out[0]));
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn upsample(
        &self,
        scheme: &Scheme,
        compressed: &[f32],
        how: Estimate,
        seed: Seed,
        out: &mut [f32],
    ) -> Result<()> {
        if compressed.len() != out.len() {
            return Err(Error::LengthMismatch { what: "compressed vs out", left: compressed.len(), right: out.len() });
        }
        // The fields are public (and deserialisable): check them before indexing by them.
        crate::validate::prior("prior", self)?;
        if let Prior::Identity = self {
            out.copy_from_slice(compressed);
            return Ok(());
        }
        let (mut lo, mut hi) = ([0f32; CHUNK], [0f32; CHUNK]);
        let mut lattice_atoms = [(0f32, 0f64); MAX_LATTICE_POINTS];
        for (n, (c, o)) in compressed.chunks(CHUNK).zip(out.chunks_mut(CHUNK)).enumerate() {
            let (lo, hi) = (&mut lo[..c.len()], &mut hi[..c.len()]);
            quant_bounds::preimages(scheme, c, lo, hi)?;
            for i in 0..c.len() {
                let (ci, l, h) = (c[i], lo[i], hi[i]);
                if certain(ci, l, h) || matches!(self, Prior::Histogram(hist) if hist.short_exact && short(ci)) {
                    o[i] = ci;
                    continue;
                }
                let draw = if how == Estimate::Sample { seed.draw(n * CHUNK + i) } else { 0.0 };
                let post = match self {
                    Prior::Identity | Prior::Uniform => uniform(l, h),
                    Prior::Lattice(lat) => lat.posterior(l, h, &mut lattice_atoms),
                    Prior::Histogram(hist) => hist.posterior(l, h),
                };
                o[i] = post.estimate(how, draw);
            }
        }
        Ok(())
    }
}

fn uniform<'a>(lo: f32, hi: f32) -> Posterior<'a> {
    Posterior { lo, hi, atoms: &[], cont: 1.0, shape: Shape::Uniform }
}

impl Lattice {
    fn posterior<'a>(&self, lo: f32, hi: f32, buf: &'a mut [(f32, f64); MAX_LATTICE_POINTS]) -> Posterior<'a> {
        let Some((m0, m1)) = points(self.step, lo, hi).filter(|(a, b)| b - a < MAX_LATTICE_POINTS as f64) else {
            return uniform(lo, hi);
        };
        let mut n = 0;
        let mut m = m0;
        while m <= m1 {
            let p = (m * self.step) as f32;
            if clamp_into(p, lo, hi).to_bits() == p.to_bits() {
                let seen = self.counts.binary_search_by_key(&key(p), |a| key(a.0)).map_or(0.0, |i| self.counts[i].1);
                buf[n] = (p, seen + self.alpha);
                n += 1;
            }
            m += 1.0;
        }
        if n == 0 {
            return uniform(lo, hi);
        }
        Posterior { lo, hi, atoms: &buf[..n], cont: 0.0, shape: Shape::Uniform }
    }
}

impl Histogram {
    fn posterior(&self, lo: f32, hi: f32) -> Posterior<'_> {
        let shape = Shape::Binned { cdf: &self.cdf, mean_u: self.mean_u };
        let at = in_range(&self.atoms, lo, hi);
        // Atoms in one interval share its compressed value, hence its continuous weight.
        let cont = if at.is_empty() { 1.0 } else { self.rest[at.start] };
        Posterior { lo, hi, atoms: &self.atoms[at], cont, shape }
    }
}
