//! [`Value`]: the float types the metrics accept.

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// `f32` or `f64`: widened exactly to `f64` for every computation.
///
/// ```
/// use metrics::Value;
/// assert_eq!(0.1f32.widen(), 0.10000000149011612);
/// assert!((-0.0f64).total_key() < 0.0f64.total_key());
/// ```
pub trait Value: sealed::Sealed + Copy + Send + Sync + 'static {
    /// Exact conversion to `f64`.
    fn widen(self) -> f64;
    /// Order-preserving key in IEEE-754 `totalOrder` (−0 just below +0).
    fn total_key(self) -> u64;
}

impl Value for f32 {
    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn total_key(self) -> u64 {
        let b = self.to_bits();
        u64::from(if b >> 31 == 1 { !b } else { b | 0x8000_0000 })
    }
}

impl Value for f64 {
    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }
    #[inline(always)]
    fn total_key(self) -> u64 {
        let b = self.to_bits();
        if b >> 63 == 1 { !b } else { b | (1 << 63) }
    }
}
