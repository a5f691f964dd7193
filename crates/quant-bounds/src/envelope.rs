//! The residual envelope: how far an original can be from its compressed value, exactly per
//! value and as the continuous lines of the log10|x| – log10|Δ| plane.

use float_bits::{Float, Scheme};

use crate::error::{Error, Result};
use crate::preimage::preimage;

/// The largest possible `|original − c|` over the preimage of `c` (in `f64`):
/// `max(c − lo, hi − c)`. It is a staircase with one step per binade, with the half-width below
/// powers of two; `+Inf` where the preimage is unbounded (the end codes of `RootRange`, ±Inf
/// reached by overflow); NaN for NaN `c`.
///
/// ```
/// use float_bits::Scheme;
/// use quant_bounds::max_abs_residual;
/// let s = Scheme::atlas(7)?;
/// assert_eq!(max_abs_residual(&s, 1.5f32)?, 2f64.powi(-8)); // half a step in [1, 2)
/// assert_eq!(max_abs_residual(&s, 1.0f32)?, 2f64.powi(-8) - 2f64.powi(-23)); // above 1 (below: 2^-9)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn max_abs_residual<F: Float>(scheme: &Scheme, c: F) -> Result<f64> {
    if c.is_nan() {
        return Ok(f64::NAN);
    }
    let i = preimage(scheme, c)?;
    let v = c.to_f64();
    let below = if i.lo().is_nan() { 0.0 } else { v - i.lo().to_f64() };
    let above = if i.hi().is_nan() { 0.0 } else { i.hi().to_f64() - v };
    // ±Inf minus itself is NaN: treat as no distance.
    let clean = |d: f64| if d.is_nan() { 0.0 } else { d.abs() };
    Ok(clean(below).max(clean(above)))
}

/// The continuous bounds on the residual `Δ = x − c` of a mantissa scheme with `k` kept bits,
/// for an original `x` (see `docs/quantisation-bounds.md` for the derivation).
///
/// - Normal range: `|Δ| < |x| · relative` (a strict bound; the supremum of `|Δ|/|x|` is
///   `relative / (1 + relative)`), i.e. on the log-log plane
///   `log10|Δ| < log10|x| + offset` with `offset = log10(relative)` (slope +1). `relative` is
///   `2^-(k+1)` for the rounding schemes (`Atlas`, `NearestEven`, `RootFloat16`), `2^-k`
///   for truncation (`TowardZero`), and `1 / (2^(k+1) − 2)` for `Cms` (its field `2^k − 2`
///   rounds down as well as up, so that cell spans a step and a half). The prior study's line `log10|x| − m·log10 2` with
///   `m = k` is the truncation line: one bit (a factor 2) loose for rounding schemes.
/// - The exact maximum inside the binade `[2^e, 2^(e+1))` of `x` is the `step` fraction of
///   `2^(e−k)`: ½ (rounding: half a step), 1 (truncation, `RootFloat16` whose mantissa
///   saturates at the top of each binade, and `Cms` which truncates there). The highest binade of the type differs
///   (`top_step`): `Atlas`'s `vmax` guard truncates there (a full step), and `NearestEven`
///   rounds its top half-step to ±Inf (an infinite residual, outside the relative bound too).
/// - Subnormals and zero: a constant floor `|Δ| ≤ floor` (the spacing no longer shrinks).
/// - Sign: rounding residuals take both signs (the mirrored line `Δ = −|x|·relative` bounds the
///   negative side); truncation residuals have the sign of `x` (one-sided).
///
/// ```
/// use float_bits::Scheme;
/// let e = quant_bounds::envelope::<f32>(&Scheme::atlas(7)?)?;
/// assert_eq!(e.relative, 2f64.powi(-8));
/// assert!((e.offset - (-8.0 * 2f64.log10())).abs() < 1e-15);
/// assert_eq!(e.binade_max(1.7), 2f64.powi(-8));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Envelope {
    /// Kept mantissa bits.
    pub k: u32,
    /// The bound on `|Δ|` relative to `|x|` over normal originals (see the type's docs):
    /// `2^-(k+1)`, `2^-k`, or `1 / (2^(k+1) − 2)` for `Cms`.
    pub relative: f64,
    /// `log10(relative)`: the intercept of the slope-+1 line on the log-log plane.
    pub offset: f64,
    /// The binade maximum as a fraction of the step `2^(e−k)`: 0.5 or 1.
    pub step: f64,
    /// The same fraction in the highest binade of the type (`max_exponent`).
    pub top_step: f64,
    /// Exponent of the highest binade (127 for `f32`, 1023 for `f64`).
    pub max_exponent: i32,
    /// Whether the residual can have the opposite sign of `x` (rounding) or not (truncation).
    pub two_sided: bool,
    /// Largest `|Δ|` for subnormal or zero originals.
    pub floor: f64,
    /// Smallest normal magnitude of the type: below it the floor applies.
    pub min_normal: f64,
}

impl Envelope {
    /// The continuous bound on `|Δ|` for an original `x`: `max(|x|·relative, floor)` (strict
    /// in the normal range).
    ///
    /// ```
    /// let e = quant_bounds::envelope::<f32>(&float_bits::Scheme::toward_zero(7)?)?;
    /// assert_eq!(e.bound(1.0), 2f64.powi(-7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bound(&self, x: f64) -> f64 {
        (x.abs() * self.relative).max(self.floor)
    }

    /// The line `log10|Δ| = log10|x| + offset`, for plotting.
    ///
    /// ```
    /// let e = quant_bounds::envelope::<f32>(&float_bits::Scheme::atlas(7)?)?;
    /// assert!((e.log10_line(0.0) - e.offset).abs() < 1e-15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log10_line(&self, log10_x: f64) -> f64 {
        log10_x + self.offset
    }

    /// The exact largest `|Δ|` over originals in the binade of `x` (the staircase):
    /// `step · 2^(e−k)` with `e = floor(log2|x|)`, or the floor below the normal range.
    ///
    /// ```
    /// let e = quant_bounds::envelope::<f32>(&float_bits::Scheme::atlas(7)?)?;
    /// assert_eq!(e.binade_max(1000.0), 2f64.powi(9 - 8));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn binade_max(&self, x: f64) -> f64 {
        let a = x.abs();
        if a < self.min_normal {
            return self.floor;
        }
        let e = a.log2().floor();
        // Guard log2 rounding at exact powers of two.
        let e = if 2f64.powf(e) > a {
            e - 1.0
        } else if 2f64.powf(e + 1.0) <= a {
            e + 1.0
        } else {
            e
        };
        let step = if e >= f64::from(self.max_exponent) { self.top_step } else { self.step };
        step * 2f64.powf(e - f64::from(self.k))
    }
}

/// The [`Envelope`] of a mantissa scheme on type `F`; [`Error::Unsupported`] for the quantising
/// schemes (their error is absolute, `(max − min) / 2^(n+1)`, not relative) and for
/// `RootFloat16` and `Half` on `f64` (they round to `f32` first; use `envelope::<f32>`, plus half
/// an `f32` ulp). `Half` has half precision's exponent range: `min_normal` `2^-14`,
/// `max_exponent` 15 (its top binade overflows to Inf: `top_step` is infinite), floor `2^-25`.
///
/// ```
/// let e = quant_bounds::envelope::<f32>(&float_bits::Scheme::root_float16(12)?)?;
/// assert_eq!((e.relative, e.step), (2f64.powi(-13), 1.0));
/// assert!(quant_bounds::envelope::<f32>(&float_bits::Scheme::root_range(0.0, 1.0, 8)?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn envelope<F: Float>(scheme: &Scheme) -> Result<Envelope> {
    if let (Scheme::Half(_), 23) = (scheme, F::MANTISSA_BITS) {
        // Half precision's own range: normal from 2^-14, its top binade [2^15, 2^16) overflows
        // to Inf from 65520, steps of 2^-24 below 2^-14 (half of one is the floor).
        let relative = 2f64.powi(-11);
        return Ok(Envelope {
            k: 10,
            relative,
            offset: relative.log10(),
            step: 0.5,
            top_step: f64::INFINITY,
            max_exponent: 15,
            two_sided: true,
            floor: 2f64.powi(-25),
            min_normal: 2f64.powi(-14),
        });
    }
    let (k, truncation, saturating) = match scheme {
        Scheme::Atlas(s) => (s.k(), false, false),
        Scheme::Cms(s) => (s.k(), false, true),
        Scheme::NearestEven(s) => (s.k(), false, false),
        Scheme::TowardZero(s) => (s.k(), true, false),
        Scheme::RootFloat16(s) if F::MANTISSA_BITS == 23 => (s.k(), false, true),
        other => return Err(Error::Unsupported(format!("{other} has no relative envelope on {}", F::NAME))),
    };
    let k = k.min(F::MANTISSA_BITS);
    let min_normal = F::min_positive_value().to_f64();
    let emin = min_normal.log2();
    let exact = k >= F::MANTISSA_BITS;
    let relative = if exact {
        0.0
    } else if let Scheme::Cms(_) = scheme {
        // The cell of field `2^k − 2` reaches a full step up to `2^(e+1) − 2^(e−k)`.
        1.0 / (2f64.powi(k as i32 + 1) - 2.0)
    } else if truncation {
        2f64.powi(-(k as i32))
    } else {
        2f64.powi(-(k as i32) - 1)
    };
    let step = if exact {
        0.0
    } else if truncation || saturating {
        1.0
    } else {
        0.5
    };
    let floor = if exact { 0.0 } else { step * 2f64.powf(emin - f64::from(k)) };
    let top_step = match scheme {
        _ if exact => 0.0,
        Scheme::Atlas(_) => 1.0,
        Scheme::NearestEven(_) => f64::INFINITY,
        _ => step,
    };
    Ok(Envelope {
        k,
        relative,
        offset: relative.log10(),
        step,
        top_step,
        max_exponent: (1i32 << (F::EXPONENT_BITS - 1)) - 1,
        two_sided: !truncation,
        floor,
        min_normal,
    })
}

/// The histogram of `log10|Δ|` expected when each original is uniform (in value) inside its
/// preimage: overlay it on a measured residual histogram.
///
/// For a value `c` with preimage `[lo, hi]`, `a = c − lo` and `b = hi − c`,
/// `P(|Δ| ≤ t) = (min(t, a) + min(t, b)) / (a + b)`; the expected count in the bin
/// `[10^e_j, 10^e_{j+1})` is the sum over values of the difference of that CDF at the edges.
/// Returns `(counts, point_mass)`: `counts[j]` for the bin between `log10_edges[j]` and
/// `log10_edges[j+1]` (probability outside the edges is not counted), and the number of values
/// whose preimage is a single float (`Δ = 0`, off the log axis). Values that are not possible outputs are an error; NaN and unbounded
/// preimages are skipped.
///
/// ```
/// use float_bits::Scheme;
/// let s = Scheme::atlas(7)?;
/// let edges: Vec<f64> = (0..=44).map(|i| -12.0 + 0.25 * i as f64).collect();
/// let (counts, point) = quant_bounds::expected_log10_residual_histogram(&s, &[1.5f32, 3.0], &edges)?;
/// assert_eq!(point, 0.0);
/// // Almost all of the probability lies between 1e-12 and 0.1.
/// assert!((counts.iter().sum::<f64>() - 2.0).abs() < 1e-9);
/// // Uniform originals: 74 % and 87 % of the residuals lie above 10^-3 (the largest are 2^-8, 2^-7).
/// assert!((counts[36..].iter().sum::<f64>() - (1.0 - 2e-3 / 2f64.powi(-7) + 1.0 - 2e-3 / 2f64.powi(-6))).abs() < 1e-5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn expected_log10_residual_histogram<F: Float>(
    scheme: &Scheme,
    compressed: &[F],
    log10_edges: &[f64],
) -> Result<(Vec<f64>, f64)> {
    if log10_edges.len() < 2
        || log10_edges.windows(2).any(|w| w[0].partial_cmp(&w[1]) != Some(core::cmp::Ordering::Less))
    {
        return Err(Error::InvalidArgument("histogram edges must be at least two increasing numbers".into()));
    }
    let edges: Vec<f64> = log10_edges.iter().map(|e| 10f64.powf(*e)).collect();
    let mut counts = vec![0.0; edges.len() - 1];
    let mut point = 0.0;
    let mut cdf = vec![0.0; edges.len()];
    for &c in compressed {
        if c.is_nan() {
            continue;
        }
        let i = preimage(scheme, c)?;
        let v = c.to_f64();
        let (a, b) = (v - i.lo().to_f64(), i.hi().to_f64() - v);
        if !(a.is_finite() && b.is_finite()) {
            continue;
        }
        let total = a + b;
        if total == 0.0 {
            point += 1.0;
            continue;
        }
        for (p, &t) in cdf.iter_mut().zip(&edges) {
            *p = (t.min(a) + t.min(b)) / total;
        }
        for (j, n) in counts.iter_mut().enumerate() {
            *n += cdf[j + 1] - cdf[j];
        }
    }
    Ok((counts, point))
}
