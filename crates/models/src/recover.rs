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
//! - `alone`: `u` by 16 quantile bins of the compressed value (what a histogram prior can learn);
//! - `with_context`: `u` by 4 bins of the compressed value × 16 bins of where the least-squares
//!   link of the standardised context (the neural models' first feature) puts the value in its
//!   interval.
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
/// Quantile bins of the compressed value (`alone`).
const VALUE_BINS: usize = 16;
/// Bins of the compressed value under the context's bins (`with_context`).
const COARSE_BINS: usize = 4;
/// Quantile bins of the link's position (`with_context`).
const LINK_BINS: usize = 16;
/// The fewest training values a cell of `with_context` needs (fewer: the value's own bin).
const MIN_CELL: usize = 5;

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

/// Weighted means of `u` per cell, and the training count of each cell.
fn cell_means(rows: &[&Row], cells: usize, cell: impl Fn(&Row) -> Option<usize>) -> Vec<(f64, usize)> {
    let mut acc = vec![(0.0, 0.0, 0usize); cells];
    for r in rows {
        if let Some(k) = cell(r) {
            acc[k].0 += r.q * r.u;
            acc[k].1 += r.q;
            acc[k].2 += 1;
        }
    }
    acc.into_iter().map(|(s, w, n)| (if w > 0.0 { s / w } else { f64::NAN }, n)).collect()
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
        let fine = edges(train.iter().map(|r| f64::from(r.c)).collect(), VALUE_BINS);
        let own = cell_means(&train, VALUE_BINS, |r| Some(bin(&fine, f64::from(r.c))));
        let alone_of = |r: &Row| {
            let m = own[bin(&fine, f64::from(r.c))].0;
            if m.is_finite() { m } else { overall }
        };
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
        let coarse = edges(train.iter().map(|r| f64::from(r.c)).collect(), COARSE_BINS);
        let by_link = edges(train.iter().map(|r| position(r)).filter(|p| p.is_finite()).collect(), LINK_BINS);
        let cell = |r: &Row| {
            let p = position(r);
            p.is_finite().then(|| bin(&coarse, f64::from(r.c)) * LINK_BINS + bin(&by_link, p))
        };
        let cells = cell_means(&train, COARSE_BINS * LINK_BINS, cell);
        with += test
            .iter()
            .map(|r| {
                let g = match cell(r).map(|k| cells[k]) {
                    Some((m, n)) if n >= MIN_CELL && m.is_finite() => m,
                    _ => alone_of(r),
                };
                r.q * (r.u - g).powi(2)
            })
            .sum::<f64>();
    }
    Ok(Some(Recoverable {
        values: rows.len() as u64,
        alone: alone / base,
        with_context: (!context.is_empty()).then_some(with / base),
    }))
}
