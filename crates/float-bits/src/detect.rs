//! How many mantissa bits does a column really use? Trailing-zero analysis.

use core::marker::PhantomData;

use num_traits::{One, PrimInt, Zero};

use crate::float::Float;

/// Mantissa bits a value needs: its mantissa field's width minus its trailing zeros (0 for a
/// zero mantissa: zeros, powers of two, ±Inf).
///
/// ```
/// use float_bits::needed_bits;
/// assert_eq!(needed_bits(1.0f32), 0);
/// assert_eq!(needed_bits(1.5f32), 1);
/// assert_eq!(needed_bits(0.1f32), 23);
/// assert_eq!(needed_bits(1.0 + f64::EPSILON), 52);
/// ```
#[inline]
pub fn needed_bits<F: Float>(x: F) -> u32 {
    let m = F::MANTISSA_BITS;
    let mantissa = x.to_bits() & ((F::Bits::one() << m as usize) - F::Bits::one());
    if mantissa.is_zero() { 0 } else { m - mantissa.trailing_zeros() }
}

/// Result of [`detect_kept_bits`]: a histogram of the mantissa bits each finite value needs,
/// and the smallest `k` consistent with it.
///
/// Mergeable ([`KeptBits::merge`]) so that a file can be analysed chunk by chunk.
///
/// ```
/// use float_bits::{detect_kept_bits, Scheme};
/// let mut v: Vec<f32> = (1..1000).map(|i| (i as f32).sqrt()).collect();
/// Scheme::atlas(15)?.compress_in_place(&mut v)?;
/// let d = detect_kept_bits(&v);
/// assert_eq!(d.k(), Some(15));
/// assert_eq!(detect_kept_bits(&[0.0f32, 1.0, -3.0, 5.0]).k(), None); // no evidence
/// # Ok::<(), float_bits::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct KeptBits<F: Float> {
    histogram: [u64; 53],
    non_finite: u64,
    _type: PhantomData<fn() -> F>,
}

impl<F: Float> PartialEq for KeptBits<F> {
    fn eq(&self, other: &Self) -> bool {
        self.histogram == other.histogram && self.non_finite == other.non_finite
    }
}

impl<F: Float> Eq for KeptBits<F> {}

impl<F: Float> Default for KeptBits<F> {
    fn default() -> Self {
        Self { histogram: [0; 53], non_finite: 0, _type: PhantomData }
    }
}

impl<F: Float> KeptBits<F> {
    /// Values needing at most this many bits are representable at every `k` ATLAS can use
    /// (`k >= 5`): zeros, powers of two, small integers. They carry no evidence about `k`.
    ///
    /// ```
    /// assert_eq!(float_bits::KeptBits::<f32>::UNINFORMATIVE, 5);
    /// ```
    pub const UNINFORMATIVE: u32 = 5;

    /// Add values to the analysis.
    ///
    /// ```
    /// let mut d = float_bits::KeptBits::<f32>::default();
    /// d.add(&[0.1, 0.2]);
    /// assert_eq!(d.smallest_consistent(), 23);
    /// ```
    pub fn add(&mut self, values: &[F]) {
        for &x in values {
            if x.is_finite() {
                self.histogram[needed_bits(x) as usize] += 1;
            } else {
                self.non_finite += 1;
            }
        }
    }

    /// Combine with the analysis of other values (e.g. another chunk or thread).
    ///
    /// ```
    /// use float_bits::detect_kept_bits;
    /// let mut a = detect_kept_bits(&[1.5f32]);
    /// a.merge(&detect_kept_bits(&[1.25f32]));
    /// assert_eq!(a.smallest_consistent(), 2);
    /// ```
    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.histogram.iter_mut().zip(other.histogram.iter()) {
            *a += b;
        }
        self.non_finite += other.non_finite;
    }

    /// The detected kept bits: the smallest `k` every value is consistent with, counting only
    /// values that need more than [`UNINFORMATIVE`](Self::UNINFORMATIVE) bits; `None` when no
    /// value carries evidence. Uncompressed data gives the full mantissa width (23 or 52) as soon
    /// as one value has its last mantissa bit set.
    ///
    /// ```
    /// assert_eq!(float_bits::detect_kept_bits(&[0.1f32]).k(), Some(23));
    /// ```
    pub fn k(&self) -> Option<u32> {
        let k = self.smallest_consistent();
        (k > Self::UNINFORMATIVE).then_some(k)
    }

    /// The smallest `k` every finite value is consistent with, evidence or not (0 if none).
    ///
    /// ```
    /// assert_eq!(float_bits::detect_kept_bits(&[3.0f32]).smallest_consistent(), 1);
    /// ```
    pub fn smallest_consistent(&self) -> u32 {
        self.histogram().iter().rposition(|&c| c > 0).unwrap_or(0) as u32
    }

    /// Count of finite values needing exactly `m` mantissa bits, for `m` in `0..=MANTISSA_BITS`.
    ///
    /// ```
    /// let d = float_bits::detect_kept_bits(&[1.5f32, 1.5, 1.0]);
    /// assert_eq!(&d.histogram()[..3], &[1, 2, 0]);
    /// ```
    pub fn histogram(&self) -> &[u64] {
        &self.histogram[..=F::MANTISSA_BITS as usize]
    }

    /// Finite values that need more than [`UNINFORMATIVE`](Self::UNINFORMATIVE) bits.
    ///
    /// ```
    /// assert_eq!(float_bits::detect_kept_bits(&[0.1f32, 2.0]).informative(), 1);
    /// ```
    pub fn informative(&self) -> u64 {
        self.histogram()[Self::UNINFORMATIVE as usize + 1..].iter().sum()
    }

    /// Number of NaN and ±Inf values seen (ignored by the analysis).
    ///
    /// ```
    /// assert_eq!(float_bits::detect_kept_bits(&[f32::NAN]).non_finite(), 1);
    /// ```
    pub fn non_finite(&self) -> u64 {
        self.non_finite
    }
}

/// The smallest number of kept mantissa bits consistent with `values`, from the trailing zeros
/// of their mantissas: tells how an existing column was compressed.
///
/// Values representable at any `k` (zeros, small integers, powers of two) and non-finite values
/// are ignored; see [`KeptBits`].
///
/// ```
/// use float_bits::{detect_kept_bits, Scheme};
/// let mut v = vec![0.123f32, 4.56, -7.89, 1.0e-3];
/// Scheme::atlas(7)?.compress_in_place(&mut v)?;
/// assert_eq!(detect_kept_bits(&v).k(), Some(7));
/// # Ok::<(), float_bits::Error>(())
/// ```
pub fn detect_kept_bits<F: Float>(values: &[F]) -> KeptBits<F> {
    let mut d = KeptBits::default();
    d.add(values);
    d
}
