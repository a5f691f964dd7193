//! What can be recovered at all: a quick estimate, before any model is fitted, of how much of a
//! column's lost precision its own values and its context can give back.
//!
//! Compression keeps each original `x` inside its preimage `[lo, hi]`; what is lost is its
//! position `u = (x − lo) / (hi − lo)` inside it. The compressed value sits at a fixed position
//! `p` of the interval, so its squared error is `width² (u − p)²`. An upsampler can only do
//! better where `u` is predictable, from the value itself (a falling spectrum puts more
//! originals in the lower part of each interval) or from the object's other fields. The
//! estimate fits two binned regressions of `u`, weighted by `width²` as the MSE weighs them, on
//! one half of the originals and scores them on the other (and the other way round):
//! - `alone`: the mean of `u` per quantile bin of the compressed value (what a histogram prior
//!   can learn);
//! - `with_context`: on top of that, what is left of `u` as a line in where the least-squares
//!   link of the standardised context (the neural models' first feature) puts the value in its
//!   interval, one line per quantile bin of that position and coarse bin (up to 4) of the
//!   compressed value, whose interval width sets how sharply the position is known.
//!
//! Both use one bin per 25 training values, up to 16 (200 values: 8 bins), so that a small
//! sample is not overfitted.
//!
//! Each is reported as an MSE ratio to the compressed values, as the gate and the reports
//! measure it. It is an estimate from a quick fit, not a bound: a network may use the context
//! better than a linear link and bins can (a smaller ratio), and a full fit on few events may
//! not reach it (it still has to pass the gate). It costs one sort of at most 100 000 values a
//! column, so it can tell which columns are worth fitting before any network is trained.
//!
//! ```
//! use models::recover::estimate;
//! let s = float_bits::Scheme::atlas(7)?;
//! // x follows its context within a fraction of an interval; y does not.
//! let pt: Vec<f32> = (0..20_000).map(|i| 20_000.0 + 7.3 * i as f32).collect();
//! let x: Vec<f32> = pt.iter().enumerate().map(|(i, p)| 0.02 * p + 0.5 * ((i as f32 * 0.618).fract() - 0.5)).collect();
//! let y: Vec<f32> = (0..20_000).map(|i| 400.0 + 300.0 * (i as f32 * 0.754_877).fract()).collect();
//! let rx = estimate(&s, &x, &[&pt])?.unwrap();
//! let ry = estimate(&s, &y, &[&pt])?.unwrap();
//! assert!(rx.with_context.unwrap() < 0.5 && rx.best() < rx.alone);
//! assert!(ry.best() > 0.9); // nothing to learn: the compressed values are as good as it gets
//! # Ok::<(), models::Error>(())
//! ```

use float_bits::Scheme;
use serde::{Deserialize, Serialize};

use crate::link::{least_squares, mean_sd};
use crate::prior::certain;
use crate::{Error, Result};

/// The fewest uncertain values an estimate rests on.
pub const MIN_RECOVERABLE: usize = 200;
/// The most values an estimate reads (a column holding more is read at an even stride).
pub const MAX_RECOVERABLE: usize = 100_000;
/// The most quantile bins of each regression.
const MAX_BINS: usize = 16;
/// Training values per bin (fewer values, fewer bins: 200 values give 8).
const PER_BIN: usize = 25;
/// The most bins of the compressed value under the context's lines.
const COARSE_BINS: usize = 4;

/// How much of a column's lost precision a quick binned fit recovers (see the
/// [module documentation](self)): estimated MSE ratios to the compressed values, cross-fitted on
/// two halves of the originals.
///
/// ```
/// let r = models::recover::Recoverable { values: 5000, alone: 0.98, with_context: Some(0.62) };
/// assert_eq!(r.best(), 0.62);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recoverable {
    /// The uncertain values the estimate rests on (a stride of the column beyond
    /// [`MAX_RECOVERABLE`]).
    pub values: u64,
    /// From the compressed value alone.
    pub alone: f64,
    /// With the context (`None`: the column has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_context: Option<f64>,
}

impl Recoverable {
    /// The smaller of the two ratios: the estimated reach of an upsampler of this column.
    pub fn best(&self) -> f64 {
        self.with_context.map_or(self.alone, |c| c.min(self.alone))
    }
}

/// One uncertain value: position of the original and of the compressed value in the interval,
/// its weight (width²), the compressed value and the interval.
struct Row {
    u: f64,
    p: f64,
    q: f64,
    c: f32,
    lo: f64,
    width: f64,
    at: usize,
}

/// Quantile edges of `keys` into `bins` bins.
fn edges(mut keys: Vec<f64>, bins: usize) -> Vec<f64> {
    keys.sort_by(f64::total_cmp);
    (1..bins).filter_map(|b| keys.get(b * keys.len() / bins).copied()).collect()
}

fn bin(edges: &[f64], key: f64) -> usize {
    edges.partition_point(|&e| e < key)
}

/// Bins for `n` training values.
fn bins(n: usize) -> usize {
    (n / PER_BIN).clamp(1, MAX_BINS)
}

/// A weighted least-squares line `y ≈ a + b (x − x̄)` per bin of `x`: `(x̄, a, b)` for each bin
/// (slope 0 where the bin's `x` do not spread, `None` where it holds no value).
fn lines(points: &[(usize, f64, f64, f64)], bins: usize) -> Vec<Option<(f64, f64, f64)>> {
    let mut acc = vec![(0.0, 0.0, 0.0); bins];
    for &(k, x, y, q) in points {
        acc[k].0 += q;
        acc[k].1 += q * x;
        acc[k].2 += q * y;
    }
    let means: Vec<Option<(f64, f64)>> = acc.iter().map(|&(w, sx, sy)| (w > 0.0).then(|| (sx / w, sy / w))).collect();
    let mut spread = vec![(0.0, 0.0); bins];
    for &(k, x, y, q) in points {
        if let Some((mx, my)) = means[k] {
            spread[k].0 += q * (x - mx) * (y - my);
            spread[k].1 += q * (x - mx) * (x - mx);
        }
    }
    means
        .iter()
        .zip(&spread)
        .zip(&acc)
        .map(|((m, &(sxy, sxx)), &(w, ..))| {
            let (mx, my) = (*m)?;
            // A weighted variance of x below 1e-12 (weights are width², of any scale): no slope.
            let slope = if sxx > 1e-12 * w { sxy / sxx } else { 0.0 };
            Some((mx, my, if slope.is_finite() { slope } else { 0.0 }))
        })
        .collect()
}

/// The estimate for `originals` compressed with `scheme`, with `context` columns aligned
/// (each as long as `originals`); `None` with fewer than [`MIN_RECOVERABLE`] uncertain values.
pub fn estimate(scheme: &Scheme, originals: &[f32], context: &[&[f32]]) -> Result<Option<Recoverable>> {
    if let Some(c) = context.iter().find(|c| c.len() != originals.len()) {
        return Err(Error::LengthMismatch { what: "context vs originals", left: originals.len(), right: c.len() });
    }
    let stride = originals.len().div_ceil(MAX_RECOVERABLE).max(1);
    let at: Vec<usize> = (0..originals.len()).step_by(stride).filter(|&i| originals[i].is_finite()).collect();
    let x: Vec<f32> = at.iter().map(|&i| originals[i]).collect();
    let mut c = x.clone();
    scheme.compress_in_place(&mut c)?;
    let (mut lo, mut hi) = (vec![0f32; c.len()], vec![0f32; c.len()]);
    quant_bounds::preimages(scheme, &c, &mut lo, &mut hi)?;
    let rows: Vec<Row> = (0..x.len())
        .filter(|&k| !certain(c[k], lo[k], hi[k]))
        .filter_map(|k| {
            let (l, width) = (f64::from(lo[k]), f64::from(hi[k]) - f64::from(lo[k]));
            let pos = |v: f32| ((f64::from(v) - l) / width).clamp(0.0, 1.0);
            (width.is_finite() && width > 0.0).then(|| Row {
                u: pos(x[k]),
                p: pos(c[k]),
                q: width * width,
                c: c[k],
                lo: l,
                width,
                at: at[k],
            })
        })
        .collect();
    if rows.len() < MIN_RECOVERABLE {
        return Ok(None);
    }
    let base: f64 = rows.iter().map(|r| r.q * (r.u - r.p).powi(2)).sum();
    if base <= 0.0 {
        return Ok(None);
    }
    let (mut alone, mut with) = (0.0, 0.0);
    for fold in 0..2 {
        let half = |keep: usize| -> Vec<&Row> { rows.iter().skip(keep).step_by(2).collect() };
        let (train, test) = (half(1 - fold), half(fold));
        let overall = {
            let w: f64 = train.iter().map(|r| r.q).sum();
            if w > 0.0 { train.iter().map(|r| r.q * r.u).sum::<f64>() / w } else { 0.5 }
        };
        // Alone: the mean position per quantile bin of the compressed value.
        let own_bins = bins(train.len());
        let by_value = edges(train.iter().map(|r| f64::from(r.c)).collect(), own_bins);
        let own =
            lines(&train.iter().map(|r| (bin(&by_value, f64::from(r.c)), 0.0, r.u, r.q)).collect::<Vec<_>>(), own_bins);
        let alone_of = |r: &Row| own[bin(&by_value, f64::from(r.c))].map_or(overall, |l| l.1);
        alone += test.iter().map(|r| r.q * (r.u - alone_of(r)).powi(2)).sum::<f64>();
        if context.is_empty() {
            continue;
        }
        // The link: least squares of the training originals on the standardised context.
        let y: Vec<f32> = train.iter().map(|r| originals[r.at]).collect();
        let ctx: Vec<Vec<f32>> = context.iter().map(|col| train.iter().map(|r| col[r.at]).collect()).collect();
        let ctx: Vec<&[f32]> = ctx.iter().map(Vec::as_slice).collect();
        let norm: Vec<(f64, f64)> = ctx.iter().map(|col| mean_sd(col.iter().map(|&v| f64::from(v)))).collect();
        let link = least_squares(&y, &ctx, &norm);
        let position = |r: &Row| {
            let z = context.iter().zip(&norm).map(|(col, (m, s))| (f64::from(col[r.at]) - m) / s);
            let mu = link[0] + link[1..].iter().zip(z).map(|(b, z)| b * z).sum::<f64>();
            ((mu - r.lo) / r.width).clamp(-8.0, 8.0)
        };
        // With the context: what `alone` leaves, as a line in the link's position per cell of
        // (coarse bin of the compressed value, whose interval width sets how sharp the position
        // is) × (quantile bin of the position): a near-exact relation is a line, which bins of
        // means would blur.
        let coarse_bins = (train.len() / (PER_BIN * MAX_BINS)).clamp(1, COARSE_BINS);
        let link_bins = bins(train.len() / coarse_bins);
        let coarse = edges(train.iter().map(|r| f64::from(r.c)).collect(), coarse_bins);
        let positions: Vec<f64> = train.iter().map(|r| position(r)).collect();
        let by_link = edges(positions.iter().copied().filter(|p| p.is_finite()).collect(), link_bins);
        let cell = |r: &Row, p: f64| bin(&coarse, f64::from(r.c)) * link_bins + bin(&by_link, p);
        let points: Vec<(usize, f64, f64, f64)> = train
            .iter()
            .zip(&positions)
            .filter(|(_, p)| p.is_finite())
            .map(|(r, &p)| (cell(r, p), p, r.u - alone_of(r), r.q))
            .collect();
        let residual = lines(&points, coarse_bins * link_bins);
        with += test
            .iter()
            .map(|r| {
                let p = position(r);
                let fix =
                    if p.is_finite() { residual[cell(r, p)].map_or(0.0, |(mx, my, b)| my + b * (p - mx)) } else { 0.0 };
                r.q * (r.u - (alone_of(r) + fix).clamp(0.0, 1.0)).powi(2)
            })
            .sum::<f64>();
    }
    Ok(Some(Recoverable {
        values: rows.len() as u64,
        alone: alone / base,
        with_context: (!context.is_empty()).then_some(with / base),
    }))
}
