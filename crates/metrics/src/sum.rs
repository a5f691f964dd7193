//! [`Sum`]: a compensated (Neumaier) `f64` sum that merges.

/// A compensated sum of `f64` terms (Neumaier's variant of Kahan summation): the rounding error
/// of every addition is carried in a second accumulator, so the result is the exact sum rounded
/// once, up to an error of order `n · ε²` of the magnitudes added (instead of `n · ε`).
///
/// Merging two sums adds both parts, so the sum of chunks equals the sum of the whole up to that
/// same second-order rounding.
///
/// ```
/// use metrics::Sum;
/// let mut s = Sum::default();
/// for x in [1.0, 1e100, 1.0, -1e100] {
///     s.add(x);
/// }
/// assert_eq!(s.value(), 2.0); // a plain f64 sum gives 0.0
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    /// Add one term.
    ///
    /// ```
    /// let mut s = metrics::Sum::default();
    /// s.add(0.1);
    /// assert_eq!(s.value(), 0.1);
    /// ```
    #[inline(always)]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if !t.is_finite() {
            // Overflow, ±Inf or NaN terms: the sum is that, and no compensation applies.
            self.sum = t;
            return;
        }
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// Add another sum (e.g. of another chunk).
    ///
    /// ```
    /// let (mut a, mut b) = (metrics::Sum::default(), metrics::Sum::default());
    /// a.add(1.0);
    /// b.add(2.0);
    /// a.merge(&b);
    /// assert_eq!(a.value(), 3.0);
    /// ```
    pub fn merge(&mut self, other: &Sum) {
        self.add(other.sum);
        self.compensation += other.compensation;
    }

    /// The sum.
    ///
    /// ```
    /// assert_eq!(metrics::Sum::default().value(), 0.0);
    /// ```
    #[inline]
    pub fn value(&self) -> f64 {
        if self.sum.is_finite() { self.sum + self.compensation } else { self.sum }
    }
}
