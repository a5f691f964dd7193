//! [`Interval`]: a closed range of floats in IEEE-754 `totalOrder`.

use float_bits::{Bits, Float};

/// Order-preserving key of a float in IEEE-754 `totalOrder` (−NaN < −Inf < … < −0 < +0 < … <
/// +Inf < +NaN): consecutive floats have consecutive keys.
///
/// ```
/// use quant_bounds::interval::{key, from_key};
/// assert_eq!(key(0.0f32), key(-0.0f32) + 1);
/// assert!(key(-1.0f64) < key(-0.5f64));
/// assert_eq!(from_key::<f32>(key(1.5f32) + 1), f32::from_bits(1.5f32.to_bits() + 1));
/// ```
#[inline(always)]
pub fn key<F: Float>(x: F) -> u64 {
    let b = x.to_bits().widen();
    let sign = 1u64 << (F::Bits::WIDTH - 1);
    let all = if F::Bits::WIDTH == 64 { u64::MAX } else { (1u64 << F::Bits::WIDTH) - 1 };
    if b & sign != 0 { !b & all } else { b | sign }
}

/// Inverse of [`key`]; keys above the largest (`2^32 - 1` for `f32`) wrap.
///
/// ```
/// use quant_bounds::interval::{key, from_key};
/// assert_eq!(from_key::<f64>(key(-2.0f64)), -2.0);
/// ```
#[inline(always)]
pub fn from_key<F: Float>(k: u64) -> F {
    let sign = 1u64 << (F::Bits::WIDTH - 1);
    let all = if F::Bits::WIDTH == 64 { u64::MAX } else { (1u64 << F::Bits::WIDTH) - 1 };
    let b = if k & sign != 0 { k & !sign } else { !k & all };
    F::from_bits(F::Bits::truncate(b))
}

/// Every float `x` with `lo <= x <= hi` in IEEE-754 `totalOrder`: the exact set of originals
/// behind one compressed value. `-0.0` sits just below `+0.0`, so sign-of-zero rules are exact.
///
/// ```
/// use quant_bounds::Interval;
/// let i = Interval::new(1.0f32, 1.5)?;
/// assert!(i.contains(1.25) && !i.contains(1.5000001));
/// assert_eq!(i.width(), 0.5);
/// assert_eq!(i.midpoint(), 1.25);
/// # Ok::<(), quant_bounds::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval<F: Float> {
    lo: F,
    hi: F,
}

impl<F: Float> Interval<F> {
    /// The interval `[lo, hi]`; an error unless `lo <= hi` in `totalOrder`.
    ///
    /// ```
    /// assert!(quant_bounds::Interval::new(2.0f64, 1.0).is_err());
    /// ```
    pub fn new(lo: F, hi: F) -> crate::Result<Self> {
        if key(lo) <= key(hi) {
            Ok(Self { lo, hi })
        } else {
            Err(crate::Error::InvalidArgument(format!("interval bounds out of order: [{lo}, {hi}]")))
        }
    }

    /// `[lo, hi]` from bounds known to be ordered.
    #[inline(always)]
    pub(crate) fn from_ordered(lo: F, hi: F) -> Self {
        debug_assert!(key(lo) <= key(hi), "[{lo}, {hi}]");
        Self { lo, hi }
    }

    /// The single float `x`.
    ///
    /// ```
    /// assert_eq!(quant_bounds::Interval::point(3.0f32).count(), 1);
    /// ```
    pub fn point(x: F) -> Self {
        Self { lo: x, hi: x }
    }

    /// Lowest member.
    ///
    /// ```
    /// assert_eq!(quant_bounds::Interval::new(1.0f32, 2.0)?.lo(), 1.0);
    /// # Ok::<(), quant_bounds::Error>(())
    /// ```
    pub fn lo(&self) -> F {
        self.lo
    }

    /// Highest member.
    ///
    /// ```
    /// assert_eq!(quant_bounds::Interval::new(1.0f32, 2.0)?.hi(), 2.0);
    /// # Ok::<(), quant_bounds::Error>(())
    /// ```
    pub fn hi(&self) -> F {
        self.hi
    }

    /// Whether `x` is a member (bit-exact: `-0.0` and `+0.0` are different floats).
    ///
    /// ```
    /// let i = quant_bounds::Interval::new(0.0f32, 1.0)?;
    /// assert!(i.contains(0.0) && !i.contains(-0.0));
    /// # Ok::<(), quant_bounds::Error>(())
    /// ```
    #[inline]
    pub fn contains(&self, x: F) -> bool {
        let k = key(x);
        key(self.lo) <= k && k <= key(self.hi)
    }

    /// Number of floats (bit patterns) in the interval; `u128` because every `f64` is 2^64.
    ///
    /// ```
    /// assert_eq!(quant_bounds::Interval::new(-0.0f32, 0.0)?.count(), 2);
    /// # Ok::<(), quant_bounds::Error>(())
    /// ```
    pub fn count(&self) -> u128 {
        u128::from(key(self.hi) - key(self.lo)) + 1
    }

    /// `hi - lo` in `f64` (exact for the preimage intervals of `f32` values; `+Inf` for
    /// unbounded intervals).
    ///
    /// ```
    /// assert_eq!(quant_bounds::Interval::new(1.0f32, 1.0078125)?.width(), 0.0078125);
    /// # Ok::<(), quant_bounds::Error>(())
    /// ```
    pub fn width(&self) -> f64 {
        self.hi.to_f64() - self.lo.to_f64()
    }

    /// The value-space midpoint `(lo + hi) / 2`, rounded to the type (inside the interval; the
    /// minimum-MSE estimate when every member is equally likely).
    ///
    /// ```
    /// // The preimage of 1.0 at k = 7 is asymmetric: its midpoint is not 1.0.
    /// let i = quant_bounds::preimage(&float_bits::Scheme::atlas(7)?, 1.0f32)?;
    /// assert!(i.midpoint() > 1.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn midpoint(&self) -> F {
        let (lo, hi) = (self.lo.to_f64(), self.hi.to_f64());
        let m = F::from_f64(lo / 2.0 + hi / 2.0);
        // Guard the rounding (and f64's own) so the answer is always a member.
        if key(m) < key(self.lo) {
            self.lo
        } else if key(m) > key(self.hi) {
            self.hi
        } else {
            m
        }
    }

    /// How far `x` lies outside the interval, in units of its width: 0 inside, otherwise the
    /// distance to the nearer bound divided by `width()`. An interval without a finite positive
    /// width (a single float, or one reaching ±Inf) uses the spacing of floats at the violated
    /// bound instead; `+Inf` when that bound is not finite. NaN for NaN `x`.
    ///
    /// ```
    /// let i = quant_bounds::Interval::new(1.0f64, 2.0)?;
    /// assert_eq!(i.excess(1.5), 0.0);
    /// assert_eq!(i.excess(2.5), 0.5);
    /// assert_eq!(i.excess(-1.0), 2.0);
    /// # Ok::<(), quant_bounds::Error>(())
    /// ```
    pub fn excess(&self, x: F) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        if self.contains(x) {
            return 0.0;
        }
        let below = key(x) < key(self.lo);
        let bound = if below { self.lo } else { self.hi };
        let (v, b) = (x.to_f64(), bound.to_f64());
        if !b.is_finite() {
            return f64::INFINITY;
        }
        let d = (v - b).abs();
        let mut w = self.width();
        if !(w > 0.0 && w.is_finite()) {
            // Spacing of floats at the violated bound, towards x (keys of finite floats have
            // room on both sides).
            let k = key(bound);
            let next = from_key::<F>(if below { k - 1 } else { k + 1 }).to_f64();
            w = (next - b).abs();
        }
        if d == 0.0 {
            // A sign-of-zero miss (-0.0 against [+0, ...]): outside by one float.
            f64::MIN_POSITIVE
        } else if w.is_finite() && w > 0.0 {
            d / w
        } else {
            f64::INFINITY
        }
    }
}
