//! Exact conversions of compressed values to the 16-bit storage types of the `half` crate.
//!
//! Any finite `f32` produced by a mantissa scheme with `k <= 7` is exactly a `bfloat16` (same
//! exponent range, 7 mantissa bits), and [`NearestEven::BF16`](crate::NearestEven::BF16) is
//! exactly `half::bf16::from_f32` on finite values. IEEE `f16` has 10 mantissa bits but a narrow
//! exponent range, so values compressed at `k <= 10` convert exactly only inside that range.
//! These functions never round a number: a value that does not fit is an error. The one
//! exception is NaN, which always maps to a NaN of the narrow type (sign kept, payload
//! truncated to the bits the type has, quiet bit set).

use half::{bf16, f16};

use crate::error::{Error, Result};

/// `x` as a `bf16`, if exactly representable; NaN maps to a NaN (sign and top payload kept,
/// quiet bit set).
///
/// ```
/// use float_bits::storage::to_bf16_exact;
/// assert_eq!(to_bf16_exact(1.5).map(|h| h.to_f32()), Some(1.5));
/// assert_eq!(to_bf16_exact(0.1), None);
/// ```
pub fn to_bf16_exact(x: f32) -> Option<bf16> {
    let bits = x.to_bits();
    if x.is_nan() {
        Some(bf16::from_f32(x))
    } else if bits & 0xffff == 0 {
        Some(bf16::from_bits((bits >> 16) as u16))
    } else {
        None
    }
}

/// `x` as an `f16`, if exactly representable (NaN maps to a NaN).
///
/// ```
/// use float_bits::storage::to_f16_exact;
/// assert!(to_f16_exact(0.5).is_some());
/// assert!(to_f16_exact(1.0e6).is_none()); // beyond f16's range
/// ```
pub fn to_f16_exact(x: f32) -> Option<f16> {
    let h = f16::from_f32(x);
    (x.is_nan() || h.to_f32().to_bits() == x.to_bits()).then_some(h)
}

fn convert<T>(src: &[f32], dst: &mut [T], target: &'static str, f: impl Fn(f32) -> Option<T>) -> Result<()> {
    if src.len() != dst.len() {
        return Err(Error::LengthMismatch { input: src.len(), output: dst.len() });
    }
    for (i, (&x, d)) in src.iter().zip(dst.iter_mut()).enumerate() {
        *d = f(x).ok_or(Error::NotRepresentable { index: i, bits: u64::from(x.to_bits()), target })?;
    }
    Ok(())
}

/// [`to_bf16_exact`] over a slice; [`Error::NotRepresentable`] names the first misfit.
///
/// ```
/// use float_bits::{storage, NearestEven, Scheme};
/// let mut v = [0.1f32, 2.5, -3.3];
/// Scheme::from(NearestEven::BF16).compress_in_place(&mut v)?;
/// let mut h = [half::bf16::ZERO; 3];
/// storage::to_bf16_slice(&v, &mut h)?;
/// assert_eq!(h[0], half::bf16::from_f32(0.1));
/// # Ok::<(), float_bits::Error>(())
/// ```
pub fn to_bf16_slice(src: &[f32], dst: &mut [bf16]) -> Result<()> {
    convert(src, dst, "bf16", to_bf16_exact)
}

/// [`to_f16_exact`] over a slice; [`Error::NotRepresentable`] names the first misfit.
///
/// ```
/// let mut h = [half::f16::ZERO; 2];
/// float_bits::storage::to_f16_slice(&[0.5, 1.0e6], &mut h).unwrap_err();
/// ```
pub fn to_f16_slice(src: &[f32], dst: &mut [f16]) -> Result<()> {
    convert(src, dst, "f16", to_f16_exact)
}
