//! The evidence the gate asks of a candidate: a gain in total squared error that holds when the
//! validation *events* are resampled.
//!
//! Values of one event are not independent (one event's particles share its kinematics), and the
//! squared errors of a column are often dominated by a few large values. So the gate sums the
//! paired difference of squared errors (the old choice's minus the candidate's) per event, and
//! resamples those event totals with replacement ([`RESAMPLES`] times, seeded, so fitting is
//! reproducible). The candidate wins only where the total gain is positive *and* its lower
//! bound — the [`ALPHA`] quantile of the resampled totals, a one-sided 95 % bound — is above
//! zero, on at least [`MIN_EVENTS`] events. Above [`EXACT_EVENTS`] events the bound is the
//! bootstrap's normal limit (total − 1.645 × its standard error), which costs one pass instead
//! of [`RESAMPLES`]. `docs/gate.md` states the rule and how it was measured.
//!
//! ```
//! use models::evidence::{Gain, gain};
//! // 40 events of 5 values each; the candidate halves every squared error.
//! let events: Vec<u64> = (0..200).map(|i| i / 5).collect();
//! let old = vec![1.0; 200];
//! let new = vec![0.5; 200];
//! let g = gain(&old, &new, Some(&events), 7);
//! assert_eq!(g.total, 100.0);
//! assert!(g.holds());
//! // One event carries the whole gain: not evidence.
//! let mut lucky = old.clone();
//! lucky[..5].fill(0.0);
//! let g = gain(&old, &lucky, Some(&events), 7);
//! assert!(g.total > 0.0 && !g.holds());
//! ```

use crate::prior::splitmix64;

/// The fewest events (with validation values) on which a candidate can win.
pub const MIN_EVENTS: usize = 10;
/// Resamples of the event totals.
pub const RESAMPLES: usize = 1000;
/// The quantile of the resampled gains taken as the lower bound (one-sided 95 %).
pub const ALPHA: f64 = 0.05;
/// Above this many events the bound is the normal approximation of the resampling.
pub const EXACT_EVENTS: usize = 2000;

/// The upper `alpha` quantile of the standard normal distribution (Acklam's rational
/// approximation, relative error below 1.2e-9), for `alpha` in (0, 0.5].
fn z_upper(alpha: f64) -> f64 {
    const A: [f64; 6] = [
        -39.696_830_286_653_76,
        220.946_098_424_520_5,
        -275.928_510_446_968_7,
        138.357_751_867_269,
        -30.664_798_066_147_16,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -54.476_098_798_224_06,
        161.585_836_858_040_9,
        -155.698_979_859_886_6,
        66.801_311_887_719_72,
        -13.280_681_552_885_72,
    ];
    const C: [f64; 6] = [
        -0.007_784_894_002_430_293,
        -0.322_396_458_041_136_5,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [0.007_784_695_709_041_462, 0.322_467_129_070_039_8, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let p = alpha.clamp(1e-300, 0.5);
    if p < 0.024_25 {
        // The lower tail at p, negated.
        let q = (-2.0 * p.ln()).sqrt();
        -((((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0))
    } else {
        let q = 0.5 - p;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// A candidate's gain over another on validation: the total difference of squared errors (old
/// minus new; positive when the candidate is better) and its lower bound across event
/// resamples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gain {
    /// Total squared error of the old choice minus the candidate's (`±inf` where one of them
    /// has a non-finite error and the other does not).
    pub total: f64,
    /// The lower bound ([`ALPHA`] quantile) of `total` across event resamples; `None` with
    /// fewer than [`MIN_EVENTS`] events, mismatched inputs, or non-finite errors.
    pub lower: Option<f64>,
    /// Events that held the values.
    pub events: usize,
}

impl Gain {
    /// Whether the gain is evidence: positive, with a lower bound above zero (or, where errors
    /// are not finite, the candidate finite where the old choice was not).
    pub fn holds(&self) -> bool {
        match self.lower {
            Some(lower) => self.total > 0.0 && lower > 0.0,
            None => self.total == f64::INFINITY,
        }
    }
}

/// The gain of `new` squared errors over `old` ones, paired value by value; `events[i]` is the
/// event of value `i`, non-decreasing (`None`: each value its own event). `seed` seeds the
/// resampling. The bound is the [`ALPHA`] quantile; [`gain_at`] takes another.
pub fn gain(old: &[f64], new: &[f64], events: Option<&[u64]>, seed: u64) -> Gain {
    gain_at(old, new, events, seed, ALPHA)
}

/// [`gain`] with the bound at quantile `alpha` (in (0, 0.5]): the gate divides [`ALPHA`] among
/// the candidates it tries on a column (Bonferroni), so that trying more of them does not make
/// a lucky one likelier to pass.
///
/// ```
/// use models::evidence::{gain, gain_at, ALPHA};
/// let old: Vec<f64> = (0..100).map(|i| 1.0 + (i as f64 * 0.618).fract()).collect();
/// let new: Vec<f64> = old.iter().enumerate().map(|(i, o)| o - 0.05 + 0.3 * ((i as f64 * 0.414).fract() - 0.5)).collect();
/// let (loose, strict) = (gain(&old, &new, None, 1), gain_at(&old, &new, None, 1, ALPHA / 10.0));
/// assert!(strict.lower.unwrap() < loose.lower.unwrap());
/// ```
pub fn gain_at(old: &[f64], new: &[f64], events: Option<&[u64]>, seed: u64, alpha: f64) -> Gain {
    let alpha = if alpha.is_finite() { alpha.clamp(1.0 / RESAMPLES as f64, 0.5) } else { ALPHA };
    let none = Gain { total: 0.0, lower: None, events: 0 };
    if old.len() != new.len() || events.is_some_and(|e| e.len() != old.len()) {
        return none;
    }
    let (so, sn) = (old.iter().sum::<f64>(), new.iter().sum::<f64>());
    if !so.is_finite() || !sn.is_finite() {
        let total = match (so.is_finite(), sn.is_finite()) {
            (false, true) => f64::INFINITY,
            (true, false) => f64::NEG_INFINITY,
            _ => 0.0,
        };
        return Gain { total, ..none };
    }
    let totals = event_totals(old, new, events);
    let total = so - sn;
    let n = totals.len();
    if n < MIN_EVENTS {
        return Gain { total, lower: None, events: n };
    }
    let lower = if n > EXACT_EVENTS {
        let mean = totals.iter().sum::<f64>() / n as f64;
        let var = totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / n as f64;
        total - z_upper(alpha) * (n as f64 * var).sqrt()
    } else {
        let mut state = splitmix64(seed ^ 0x6576_6964_656e_6365);
        let mut sums: Vec<f64> = (0..RESAMPLES)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        state = splitmix64(state);
                        // Multiply-shift: an index below n without modulo bias worth noting.
                        totals[((u128::from(state) * n as u128) >> 64) as usize]
                    })
                    .sum::<f64>()
            })
            .collect();
        sums.sort_by(f64::total_cmp);
        sums[((RESAMPLES as f64 * alpha) as usize).min(RESAMPLES - 1)]
    };
    Gain { total, lower: Some(lower), events: n }
}

/// The paired differences summed per event (runs of equal labels).
fn event_totals(old: &[f64], new: &[f64], events: Option<&[u64]>) -> Vec<f64> {
    per_event(old.iter().zip(new).map(|(o, n)| o - n), events)
}

/// `values` summed per event (runs of equal labels; `None`: each value its own event).
fn per_event(values: impl Iterator<Item = f64>, events: Option<&[u64]>) -> Vec<f64> {
    let Some(events) = events else { return values.collect() };
    let mut out: Vec<f64> = Vec::new();
    let mut last = None;
    for (v, &e) in values.zip(events) {
        match out.last_mut() {
            Some(t) if last == Some(e) => *t += v,
            _ => {
                out.push(v);
                last = Some(e);
            }
        }
    }
    out
}

/// How many events a column's squared errors rest on: Kish's effective number,
/// `(Σ w)² / Σ w²` over the errors `err` summed per event (`events` as in [`gain`]). It is the
/// number of events when every event weighs the same, and near 1 when one event holds the
/// whole error. 0 when there is no error at all, and when `err` and `events` differ in length.
///
/// Where two or three events with the largest values hold most of a column's squared error,
/// every resample of [`gain`] draws from the same few large gains, the bound looks safe, and
/// the next sample's large values fall on the other side: the gate then asks a candidate fitted
/// on training data for [`MIN_EVENTS`] effective events, not just that many events.
///
/// ```
/// use models::evidence::effective_events;
/// let events: Vec<u64> = (0..40).map(|i| i / 4).collect();
/// assert_eq!(effective_events(&[2.0; 40], Some(&events)), 10.0);
/// let mut one = vec![0.001; 40];
/// one[..4].fill(100.0); // the first event holds nearly everything
/// assert!(effective_events(&one, Some(&events)) < 1.01);
/// ```
pub fn effective_events(err: &[f64], events: Option<&[u64]>) -> f64 {
    if events.is_some_and(|e| e.len() != err.len()) {
        return 0.0;
    }
    let totals = per_event(err.iter().copied(), events);
    let (sum, squares) = totals.iter().fold((0.0, 0.0), |(s, q), w| (s + w, q + w * w));
    if squares > 0.0 && squares.is_finite() { sum * sum / squares } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_summed_and_resampled_as_units() {
        let events: Vec<u64> = (0..100).map(|i| i / 4).collect();
        assert_eq!(event_totals(&[3.0; 100], &[1.0; 100], Some(&events)).len(), 25);
        assert_eq!(event_totals(&[3.0; 100], &[1.0; 100], None).len(), 100);
        // Too few events: no bound, no evidence.
        let g = gain(&[3.0; 20], &[1.0; 20], Some(&events[..20]), 0);
        assert_eq!((g.events, g.lower), (5, None));
        assert!(!g.holds());
        // The same gain spread over every event holds; concentrated in two of 25 it does not.
        assert!(gain(&[3.0; 100], &[1.0; 100], Some(&events), 0).holds());
        let mut new = vec![3.0; 100];
        new[..8].fill(0.0);
        assert!(!gain(&[3.0; 100], &new, Some(&events), 0).holds());
        // Reproducible.
        assert_eq!(gain(&[3.0; 100], &new, Some(&events), 5), gain(&[3.0; 100], &new, Some(&events), 5));
    }

    #[test]
    fn normal_quantiles() {
        for (alpha, z) in
            [(0.5, 0.0), (0.05, 1.644_853_626_951_472), (0.005, 2.575_829_303_548_901), (0.025, 1.959_963_984_540_054)]
        {
            assert!((z_upper(alpha) - z).abs() < 1e-8, "{alpha}: {}", z_upper(alpha));
        }
    }

    #[test]
    fn non_finite_errors_decide_by_finiteness() {
        let inf = f64::INFINITY;
        assert!(gain(&[inf, 1.0], &[1.0, 1.0], None, 0).holds());
        assert!(!gain(&[1.0, 1.0], &[inf, 1.0], None, 0).holds());
        assert!(!gain(&[inf, 1.0], &[inf, 0.0], None, 0).holds());
        assert!(!gain(&[1.0], &[1.0, 2.0], None, 0).holds()); // mismatched
    }

    #[test]
    fn the_normal_limit_agrees_with_resampling_where_both_apply() {
        // 2001 events: the normal bound; the first 2000: resampled. Same data, close bounds.
        let old: Vec<f64> = (0..2001).map(|i| 1.0 + (i as f64 * 0.618).fract()).collect();
        let new: Vec<f64> =
            old.iter().enumerate().map(|(i, o)| o - 0.01 + 0.05 * ((i as f64 * 0.414).fract() - 0.5)).collect();
        let a = gain(&old, &new, None, 1);
        let b = gain(&old[..2000], &new[..2000], None, 1);
        let (la, lb) = (a.lower.unwrap(), b.lower.unwrap());
        assert!((la - lb).abs() < 0.15 * (a.total - la), "{a:?} {b:?}");
    }
}
