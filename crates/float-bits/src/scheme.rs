//! The lossy float schemes, one small validated type each, and [`Scheme`], the enum over them.

use core::fmt;

use crate::error::{Error, Result};
use crate::float::Float;
use crate::reference;

/// Largest mantissa width among the supported types (`f64`): the upper bound for `k`.
pub(crate) const MAX_MANTISSA: u32 = <f64 as Float>::MANTISSA_BITS;

fn check_k(scheme: &'static str, k: u32, min: u32, max: u32) -> Result<u32> {
    if (min..=max).contains(&k) { Ok(k) } else { Err(Error::KeptBitsOutOfRange { scheme, k, min, max }) }
}

fn check_n(scheme: &'static str, n: u32, min: u32, max: u32) -> Result<u32> {
    if (min..=max).contains(&n) { Ok(n) } else { Err(Error::BitCountOutOfRange { scheme, n, min, max }) }
}

fn check_range(scheme: &'static str, min: f64, max: f64) -> Result<()> {
    if min.is_finite() && max.is_finite() && min < max && (max - min).is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidRange { scheme, min, max })
    }
}

/// ATLAS `CxxUtils::FloatCompressor` (athena, `Control/CxxUtils/Root/FloatCompressor.cxx`),
/// used when writing DAOD_PHYS / DAOD_PHYSLITE: keep `k` mantissa bits, rounding half **away
/// from zero** in magnitude on the raw bits.
///
/// With `r = 1 << (M - 1 - k)` and `vmax = MAX_FINITE_BITS - r`, the bits `b` of a finite value
/// become `((b & ABS) < vmax ? b + r : b) & mask`: the carry may ripple into the exponent
/// (`1.11…1 × 2^e` rounds to `2^(e+1)`), the sign is never touched, magnitudes at or above
/// `vmax` are truncated instead (no overflow to Inf), and NaN / ±Inf pass through unchanged.
/// `k` is 5..=52 (athena clamps to 5..=23 for `float`; see [`Atlas::clamped`]); `k` at or above
/// the type's mantissa width (23 for `f32`) keeps every bit.
///
/// ```
/// use float_bits::Atlas;
/// let a = Atlas::new(7)?;
/// assert_eq!(a.compress(1.0f32 + 1.0 / 256.0), 1.0 + 1.0 / 128.0); // tie → away from zero
/// assert_eq!(a.compress(3.0f32), 3.0); // already representable: unchanged
/// assert_eq!(Atlas::HIGH.k(), 7);
/// # Ok::<(), float_bits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Atlas {
    k: u32,
}

impl Atlas {
    /// Smallest accepted `k` (athena's lower clamp).
    ///
    /// ```
    /// assert!(float_bits::Atlas::new(float_bits::Atlas::MIN_K).is_ok());
    /// ```
    pub const MIN_K: u32 = 5;
    /// Largest accepted `k` (an `f64` mantissa).
    ///
    /// ```
    /// assert!(float_bits::Atlas::new(float_bits::Atlas::MAX_K + 1).is_err());
    /// ```
    pub const MAX_K: u32 = MAX_MANTISSA;
    /// `CompressionBitsHigh` of AthenaOutputStream: 7 kept bits (high compression).
    ///
    /// ```
    /// assert_eq!(float_bits::Atlas::HIGH, float_bits::Atlas::new(7)?);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub const HIGH: Atlas = Atlas { k: 7 };
    /// `CompressionBitsLow` of AthenaOutputStream: 15 kept bits (low compression).
    ///
    /// ```
    /// assert_eq!(float_bits::Atlas::LOW, float_bits::Atlas::new(15)?);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub const LOW: Atlas = Atlas { k: 15 };

    /// Keep `k` mantissa bits; `k` must be in `5..=52`.
    ///
    /// ```
    /// assert!(float_bits::Atlas::new(15).is_ok());
    /// assert!(float_bits::Atlas::new(4).is_err());
    /// ```
    pub fn new(k: u32) -> Result<Self> {
        check_k("Atlas", k, Self::MIN_K, Self::MAX_K).map(|k| Self { k })
    }

    /// Exactly what athena's `FloatCompressor(k)` constructor does: clamp `k` to `5..=23`.
    ///
    /// ```
    /// assert_eq!(float_bits::Atlas::clamped(2).k(), 5);
    /// assert_eq!(float_bits::Atlas::clamped(40).k(), 23);
    /// ```
    pub fn clamped(k: i64) -> Self {
        Self { k: k.clamp(5, 23) as u32 }
    }

    /// The number of kept mantissa bits.
    ///
    /// ```
    /// assert_eq!(float_bits::Atlas::LOW.k(), 15);
    /// ```
    pub fn k(self) -> u32 {
        self.k
    }

    /// Compress one value.
    ///
    /// ```
    /// assert_eq!(float_bits::Atlas::HIGH.compress(f64::NAN).is_nan(), true);
    /// ```
    #[inline]
    pub fn compress<F: Float>(self, x: F) -> F {
        reference::atlas(x, self.k)
    }
}

/// CMS NanoAOD rounding: CMSSW's `MiniFloatConverter::reduceMantissaToNbitsRounding`
/// (`DataFormats/Math/interface/libminifloat.h`), applied to each float branch of a NanoAOD
/// `FlatTable` with its own `precision` (kept mantissa bits), and in the Run 3 scouting
/// formats.
///
/// Rounds half **away from zero** in magnitude on the first dropped bit, like [`Atlas`], with
/// two differences, both at the top of a binade: the mantissa never carries into the exponent
/// (where ATLAS rounds `1.11…1 × 2^e` up to `2^(e+1)`, CMS truncates), and a kept mantissa of
/// `2^k − 2` is truncated too, so the all-ones mantissa `2^k − 1` is reached only from inputs
/// that already have it. Consequently the preimage of the all-ones output is a whole cell below
/// the next power of two, that of `2^k − 2` has a half cell more above it, and a power of two
/// takes no inputs from below. Unlike ATLAS there is no `vmax` guard to need (nothing
/// overflows), and NaN and ±Inf go through the same bit operations: ±Inf is unchanged, a NaN
/// stays NaN unless its payload lies only in the dropped bits below the first one (it becomes
/// ±Inf). See [`reference::cms`](crate::reference::cms).
///
/// `k` is 1..=52. On `f32` CMSSW defines `k` in 1..=22 (at 23 its code shifts by −1, undefined
/// behaviour; NanoAOD writes full-precision branches without calling it); here `k` at or above
/// the type's mantissa width keeps every bit. At `k = 1` the rule never rounds up (`2^k − 2 =
/// 0`): it is truncation. `k = 0` is rejected (the C++ wraps and sets an exponent bit).
///
/// ```
/// use float_bits::{Atlas, Cms};
/// let c = Cms::new(10)?;
/// let x = 1.0f32 + 1.5 / 1024.0; // first dropped bit set: rounds up
/// assert_eq!(c.compress(x), 1.0 + 2.0 / 1024.0);
/// let top = 2.0f32 - 0.5 / 1024.0; // rounds to 2.0 under ATLAS ...
/// assert_eq!(Atlas::new(10)?.compress(top), 2.0);
/// assert_eq!(c.compress(top), 2.0 - 1.0 / 1024.0); // ... but CMS never carries
/// # Ok::<(), float_bits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cms {
    k: u32,
}

impl Cms {
    /// Smallest accepted `k`.
    ///
    /// ```
    /// assert!(float_bits::Cms::new(float_bits::Cms::MIN_K - 1).is_err());
    /// ```
    pub const MIN_K: u32 = 1;
    /// Largest accepted `k` (an `f64` mantissa).
    ///
    /// ```
    /// assert!(float_bits::Cms::new(float_bits::Cms::MAX_K + 1).is_err());
    /// ```
    pub const MAX_K: u32 = MAX_MANTISSA;

    /// Keep `k` mantissa bits; `k` must be in `1..=52`.
    ///
    /// ```
    /// assert!(float_bits::Cms::new(10).is_ok());
    /// assert!(float_bits::Cms::new(0).is_err());
    /// ```
    pub fn new(k: u32) -> Result<Self> {
        check_k("Cms", k, Self::MIN_K, Self::MAX_K).map(|k| Self { k })
    }

    /// The number of kept mantissa bits.
    ///
    /// ```
    /// assert_eq!(float_bits::Cms::new(12)?.k(), 12);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn k(self) -> u32 {
        self.k
    }

    /// Compress one value.
    ///
    /// ```
    /// assert_eq!(float_bits::Cms::new(8)?.compress(f32::INFINITY), f32::INFINITY);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    #[inline]
    pub fn compress<F: Float>(self, x: F) -> F {
        reference::cms(x, self.k)
    }
}

/// Round to nearest, ties to **even**, keeping `k` mantissa bits: bfloat16 (`half::bf16` is
/// `k = 7` on `f32`), numcodecs `BitRound` and xbitinfo's "round".
///
/// No overflow guard (the largest finite values may round to ±Inf, as in `BitRound`); NaN and
/// ±Inf pass through unchanged. `k` is 0..=52; `k` at or above the mantissa width is the
/// identity.
///
/// ```
/// use float_bits::NearestEven;
/// let bf = NearestEven::BF16;
/// let x = 1.0f32 + 3.0 / 256.0;
/// assert_eq!(bf.compress(x), half::bf16::from_f32(x).to_f32());
/// # Ok::<(), float_bits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NearestEven {
    k: u32,
}

impl NearestEven {
    /// bfloat16's rounding: 7 kept bits of an `f32`.
    ///
    /// ```
    /// assert_eq!(float_bits::NearestEven::BF16.k(), 7);
    /// ```
    pub const BF16: NearestEven = NearestEven { k: 7 };

    /// Keep `k` mantissa bits; `k` must be in `0..=52`.
    ///
    /// ```
    /// assert!(float_bits::NearestEven::new(0).is_ok());
    /// assert!(float_bits::NearestEven::new(53).is_err());
    /// ```
    pub fn new(k: u32) -> Result<Self> {
        check_k("NearestEven", k, 0, MAX_MANTISSA).map(|k| Self { k })
    }

    /// The number of kept mantissa bits.
    ///
    /// ```
    /// assert_eq!(float_bits::NearestEven::BF16.k(), 7);
    /// ```
    pub fn k(self) -> u32 {
        self.k
    }

    /// Compress one value.
    ///
    /// ```
    /// assert_eq!(float_bits::NearestEven::new(7)?.compress(f32::MAX), f32::INFINITY);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    #[inline]
    pub fn compress<F: Float>(self, x: F) -> F {
        reference::nearest_even(x, self.k)
    }
}

/// Truncation **toward zero**, keeping `k` mantissa bits: RNTuple's `Real32Trunc` column type
/// (`n = 9 + k` total bits; `n = 16` is the bfloat16 layout) and fpzip's lossy mode.
///
/// A pure bit mask on every input, as RNTuple applies it: ±Inf is unchanged and a NaN whose
/// payload lies only in the dropped bits becomes ±Inf. `k` is 0..=52.
///
/// ```
/// use float_bits::TowardZero;
/// let t = TowardZero::from_rntuple_bits(16)?; // Real32Trunc with 16 bits
/// assert_eq!(t.k(), 7);
/// assert_eq!(t.compress(1.999f32), 1.9921875);
/// # Ok::<(), float_bits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TowardZero {
    k: u32,
}

impl TowardZero {
    /// Keep `k` mantissa bits; `k` must be in `0..=52`.
    ///
    /// ```
    /// assert!(float_bits::TowardZero::new(10).is_ok());
    /// ```
    pub fn new(k: u32) -> Result<Self> {
        check_k("TowardZero", k, 0, MAX_MANTISSA).map(|k| Self { k })
    }

    /// RNTuple `Real32Trunc` with `n` total bits (`n` in `10..=31`), i.e. `k = n - 9`.
    ///
    /// ```
    /// assert!(float_bits::TowardZero::from_rntuple_bits(9).is_err());
    /// assert_eq!(float_bits::TowardZero::from_rntuple_bits(31)?.k(), 22);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn from_rntuple_bits(n: u32) -> Result<Self> {
        check_n("TowardZero (RNTuple Real32Trunc)", n, 10, 31).map(|n| Self { k: n - 9 })
    }

    /// The number of kept mantissa bits.
    ///
    /// ```
    /// assert_eq!(float_bits::TowardZero::new(3)?.k(), 3);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn k(self) -> u32 {
        self.k
    }

    /// Compress one value.
    ///
    /// ```
    /// assert_eq!(float_bits::TowardZero::new(0)?.compress(1.75f32), 1.0);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    #[inline]
    pub fn compress<F: Float>(self, x: F) -> F {
        reference::toward_zero(x, self.k)
    }
}

/// ROOT TTree `Float16_t` / `Double32_t` in mantissa mode (`//[0,0,k]`, `TBufferFile::
/// WriteFloat16` and `ReadWithNbits`): one exponent byte plus a 16-bit word with `k` mantissa
/// bits and the sign.
///
/// The mantissa is rounded half-up but **saturates** at all ones instead of carrying into the
/// exponent; the sign comes from `x < 0`, so `-0.0` (and any NaN) is read back positive. `k` is
/// 2..=14 (the 16-bit word holds `k` bits, a carry bit and the sign); plain `Float16_t` keeps
/// 12. `Double32_t` converts to `float` first, so `f64` inputs are rounded to `f32` before.
///
/// ```
/// use float_bits::RootFloat16;
/// let f = RootFloat16::new(7)?;
/// assert_eq!(f.compress(1.999f32), 1.9921875); // saturated, no carry to 2.0
/// assert_eq!(f.compress(-0.0f32).to_bits(), 0);
/// assert_eq!(RootFloat16::DEFAULT.k(), 12);
/// # Ok::<(), float_bits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RootFloat16 {
    k: u32,
}

impl RootFloat16 {
    /// Smallest accepted `k`.
    ///
    /// ```
    /// assert!(float_bits::RootFloat16::new(float_bits::RootFloat16::MIN_K - 1).is_err());
    /// ```
    pub const MIN_K: u32 = 2;
    /// Largest accepted `k`.
    ///
    /// ```
    /// assert!(float_bits::RootFloat16::new(float_bits::RootFloat16::MAX_K).is_ok());
    /// ```
    pub const MAX_K: u32 = 14;
    /// Plain `Float16_t` (no `//[...]` in the title): 12 mantissa bits.
    ///
    /// ```
    /// assert_eq!(float_bits::RootFloat16::DEFAULT.k(), 12);
    /// ```
    pub const DEFAULT: RootFloat16 = RootFloat16 { k: 12 };

    /// Keep `k` mantissa bits; `k` must be in `2..=14`.
    ///
    /// ```
    /// assert!(float_bits::RootFloat16::new(14).is_ok());
    /// assert!(float_bits::RootFloat16::new(15).is_err());
    /// ```
    pub fn new(k: u32) -> Result<Self> {
        check_k("RootFloat16", k, Self::MIN_K, Self::MAX_K).map(|k| Self { k })
    }

    /// The number of kept mantissa bits.
    ///
    /// ```
    /// assert_eq!(float_bits::RootFloat16::new(10)?.k(), 10);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn k(self) -> u32 {
        self.k
    }

    /// Compress one value.
    ///
    /// ```
    /// assert_eq!(float_bits::RootFloat16::DEFAULT.compress(1.0f64), 1.0);
    /// ```
    #[inline]
    pub fn compress<F: Float>(self, x: F) -> F {
        reference::root_float16(x, self.k)
    }
}

/// ROOT TTree range mode (`Float16_t` / `Double32_t` with `//[min,max,n]`): clamp to
/// `[min, max]`, store `u32(0.5 + (x - min) · 2^n / (max - min))`, read back `a / factor + min`.
///
/// All arithmetic is in `double` as in ROOT; `n = 32` uses `0xffffffff` instead of `2^32`. NaN
/// (undefined behaviour in the C++) encodes as code 0, i.e. decodes to `min`. `n` is 2..=32
/// (ROOT silently uses 32 for anything else; this type rejects it instead).
///
/// ```
/// use float_bits::RootRange;
/// let r = RootRange::new(0.0, 1.0, 2)?;
/// assert_eq!(r.compress(0.3f32), 0.25);
/// assert_eq!(r.compress(9.0f32), 1.0); // clamped
/// assert_eq!(r.encode(0.3f32), 1);
/// # Ok::<(), float_bits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RootRange {
    min: f64,
    max: f64,
    n: u32,
}

impl RootRange {
    /// `[min, max]` with `n` bits; needs finite `min < max` and `n` in `2..=32`.
    ///
    /// ```
    /// assert!(float_bits::RootRange::new(1.0, 0.0, 8).is_err());
    /// assert!(float_bits::RootRange::new(0.0, 1.0, 33).is_err());
    /// ```
    pub fn new(min: f64, max: f64, n: u32) -> Result<Self> {
        check_range("RootRange", min, max)?;
        check_n("RootRange", n, 2, 32).map(|n| Self { min, max, n })
    }

    /// Lower end of the range.
    ///
    /// ```
    /// assert_eq!(float_bits::RootRange::new(-1.0, 1.0, 8)?.min(), -1.0);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn min(&self) -> f64 {
        self.min
    }

    /// Upper end of the range.
    ///
    /// ```
    /// assert_eq!(float_bits::RootRange::new(-1.0, 1.0, 8)?.max(), 1.0);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn max(&self) -> f64 {
        self.max
    }

    /// Number of bits.
    ///
    /// ```
    /// assert_eq!(float_bits::RootRange::new(-1.0, 1.0, 8)?.n(), 8);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn n(&self) -> u32 {
        self.n
    }

    /// The stored code of `x` (clamped).
    ///
    /// ```
    /// assert_eq!(float_bits::RootRange::new(0.0, 1.0, 8)?.encode(1.0f32), 256);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    #[inline]
    pub fn encode<F: Float>(&self, x: F) -> u32 {
        reference::root_range_encode(x, self.min, self.max, self.n)
    }

    /// The value read back from a stored code.
    ///
    /// ```
    /// assert_eq!(float_bits::RootRange::new(0.0, 1.0, 8)?.decode::<f32>(128), 0.5);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    #[inline]
    pub fn decode<F: Float>(&self, code: u32) -> F {
        reference::root_range_decode(code, self.min, self.max, self.n)
    }

    /// Compress one value (encode, then decode).
    ///
    /// ```
    /// assert_eq!(float_bits::RootRange::new(0.0, 1.0, 8)?.compress(f32::NAN), 0.0);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    #[inline(always)]
    pub fn compress<F: Float>(&self, x: F) -> F {
        reference::root_range(x, self.min, self.max, self.n)
    }
}

/// ROOT RNTuple `Real32Quant` column type (`RColumnElement`, `QuantizeReals` /
/// `UnquantizeReals`): `n` bits over `[min, max]` with `2^n - 1` steps (unlike TTree's `2^n`).
///
/// Code `u32(0.5 + (x - min) · (2^n - 1) / (max - min))`, read back as
/// `q · (max - min) / (2^n - 1) + min`, in `double`. Values outside `[min, max]` (and NaN) are
/// an error, as in RNTuple. `n` is 1..=32.
///
/// ```
/// use float_bits::RntupleQuant;
/// let q = RntupleQuant::new(0.0, 1.0, 2)?;
/// assert_eq!(q.compress(0.3f32)?, 1.0 / 3.0);
/// assert!(q.compress(1.5f32).is_err());
/// # Ok::<(), float_bits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RntupleQuant {
    min: f64,
    max: f64,
    n: u32,
}

impl RntupleQuant {
    /// `[min, max]` with `n` bits; needs finite `min < max` and `n` in `1..=32`.
    ///
    /// ```
    /// assert!(float_bits::RntupleQuant::new(0.0, 1.0, 0).is_err());
    /// assert!(float_bits::RntupleQuant::new(0.0, f64::INFINITY, 8).is_err());
    /// ```
    pub fn new(min: f64, max: f64, n: u32) -> Result<Self> {
        check_range("RntupleQuant", min, max)?;
        check_n("RntupleQuant", n, 1, 32).map(|n| Self { min, max, n })
    }

    /// Lower end of the range.
    ///
    /// ```
    /// assert_eq!(float_bits::RntupleQuant::new(-1.0, 1.0, 8)?.min(), -1.0);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn min(&self) -> f64 {
        self.min
    }

    /// Upper end of the range.
    ///
    /// ```
    /// assert_eq!(float_bits::RntupleQuant::new(-1.0, 1.0, 8)?.max(), 1.0);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn max(&self) -> f64 {
        self.max
    }

    /// Number of bits.
    ///
    /// ```
    /// assert_eq!(float_bits::RntupleQuant::new(-1.0, 1.0, 8)?.n(), 8);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn n(&self) -> u32 {
        self.n
    }

    /// The largest code, `2^n - 1`.
    ///
    /// ```
    /// assert_eq!(float_bits::RntupleQuant::new(0.0, 1.0, 8)?.max_code(), 255);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn max_code(&self) -> u32 {
        reference::rntuple_quant_max(self.n)
    }

    /// The stored code of `x`; [`Error::OutOfRange`] (index 0) outside `[min, max]`.
    ///
    /// ```
    /// assert_eq!(float_bits::RntupleQuant::new(0.0, 1.0, 8)?.encode(1.0f32)?, 255);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    #[inline]
    pub fn encode<F: Float>(&self, x: F) -> Result<u32> {
        reference::rntuple_quant_encode(x, self.min, self.max, self.n).ok_or_else(|| self.out_of_range(0, x))
    }

    /// The value read back from a stored code; [`Error::CodeOutOfRange`] above `2^n - 1`.
    ///
    /// ```
    /// let q = float_bits::RntupleQuant::new(0.0, 1.0, 8)?;
    /// assert_eq!(q.decode::<f32>(255)?, 1.0);
    /// assert!(q.decode::<f32>(256).is_err());
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    #[inline]
    pub fn decode<F: Float>(&self, code: u32) -> Result<F> {
        let max = self.max_code();
        if code > max {
            return Err(Error::CodeOutOfRange { code, max, n: self.n });
        }
        Ok(reference::rntuple_quant_decode(code, self.min, self.max, self.n))
    }

    /// Compress one value (encode, then decode); [`Error::OutOfRange`] outside `[min, max]`.
    ///
    /// ```
    /// assert_eq!(float_bits::RntupleQuant::new(0.0, 1.0, 1)?.compress(0.2f64)?, 0.0);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    #[inline]
    pub fn compress<F: Float>(&self, x: F) -> Result<F> {
        reference::rntuple_quant(x, self.min, self.max, self.n).ok_or_else(|| self.out_of_range(0, x))
    }

    pub(crate) fn out_of_range<F: Float>(&self, index: usize, x: F) -> Error {
        Error::OutOfRange { index, value: x.to_f64(), min: self.min, max: self.max }
    }

    /// Whether `x` lies inside `[min, max]` (false for NaN).
    #[inline(always)]
    pub(crate) fn contains<F: Float>(&self, x: F) -> bool {
        let v = x.to_f64();
        self.min <= v && v <= self.max
    }
}

/// IEEE-754 half precision (binary16), as RNTuple's `Real16` column stores a float field:
/// ROOT's `FloatToHalf` on writing, `HalfToFloat` on reading
/// ([`reference::float_to_half`], [`reference::half_to_float`]).
///
/// Round to nearest, ties to even, onto 10 mantissa bits **and** half precision's own exponent
/// range: from `2^-14` down the steps stay `2^-24` (subnormals), so the relative precision
/// fades; magnitudes of `2^-25` and below become ±0 (sign kept); from `65520` up (the tie
/// above the largest half, `65504`) they overflow to ±Inf. A NaN stays NaN (quiet, top payload
/// bits kept). An `f64` is rounded to `f32` first. It has no parameter: [`Half::kept_bits`] is
/// 10.
///
/// ```
/// use float_bits::Half;
/// assert_eq!(Half.compress(0.1f32), 0.099975586); // 10 mantissa bits
/// assert_eq!(Half.compress(1e-6f32), 17.0 * 2f32.powi(-24)); // a subnormal half
/// assert_eq!(Half.compress(65519.0f32), 65504.0);
/// assert_eq!(Half.compress(65520.0f32), f32::INFINITY);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Half;

impl Half {
    /// Kept mantissa bits in the normal half range (`2^-14 ≤ |x| < 65520`).
    ///
    /// ```
    /// assert_eq!(float_bits::Half::kept_bits(), 10);
    /// ```
    pub const fn kept_bits() -> u32 {
        10
    }

    /// Compress one value.
    ///
    /// ```
    /// assert_eq!(float_bits::Half.compress(-0.0f64).to_bits(), (-0.0f64).to_bits());
    /// ```
    #[inline]
    pub fn compress<F: Float>(self, x: F) -> F {
        reference::half(x)
    }
}

/// Any of the supported lossy schemes: the type to store, pass around and apply to slices.
///
/// Build it from a validated scheme type (`Scheme::from(Atlas::new(7)?)`) or with the short
/// constructors below. Slice methods pick the fastest SIMD back-end of the running CPU
/// ([`Backend::detect`](crate::Backend::detect)) and are bit-identical to the scalar reference.
///
/// ```
/// use float_bits::Scheme;
/// let s = Scheme::atlas(7)?;
/// let mut v = vec![1.0f32, 1.0 + 1.0 / 256.0, -2.5e-3, f32::NAN];
/// s.compress_in_place(&mut v)?;
/// assert_eq!(v[1], 1.0 + 1.0 / 128.0);
/// assert_eq!(s.to_string(), "Atlas{k=7}");
/// # Ok::<(), float_bits::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Scheme {
    /// See [`Atlas`].
    Atlas(Atlas),
    /// See [`NearestEven`].
    NearestEven(NearestEven),
    /// See [`Cms`].
    Cms(Cms),
    /// See [`TowardZero`].
    TowardZero(TowardZero),
    /// See [`RootFloat16`].
    RootFloat16(RootFloat16),
    /// See [`RootRange`].
    RootRange(RootRange),
    /// See [`RntupleQuant`].
    RntupleQuant(RntupleQuant),
    /// See [`Half`].
    Half(Half),
}

impl Scheme {
    /// [`Atlas::new`] as a `Scheme`.
    ///
    /// ```
    /// assert!(float_bits::Scheme::atlas(15).is_ok());
    /// ```
    pub fn atlas(k: u32) -> Result<Self> {
        Atlas::new(k).map(Self::Atlas)
    }

    /// [`Cms::new`] as a `Scheme`.
    ///
    /// ```
    /// assert!(float_bits::Scheme::cms(10).is_ok());
    /// ```
    pub fn cms(k: u32) -> Result<Self> {
        Cms::new(k).map(Self::Cms)
    }

    /// [`NearestEven::new`] as a `Scheme`.
    ///
    /// ```
    /// assert!(float_bits::Scheme::nearest_even(7).is_ok());
    /// ```
    pub fn nearest_even(k: u32) -> Result<Self> {
        NearestEven::new(k).map(Self::NearestEven)
    }

    /// [`TowardZero::new`] as a `Scheme`.
    ///
    /// ```
    /// assert!(float_bits::Scheme::toward_zero(7).is_ok());
    /// ```
    pub fn toward_zero(k: u32) -> Result<Self> {
        TowardZero::new(k).map(Self::TowardZero)
    }

    /// [`RootFloat16::new`] as a `Scheme`.
    ///
    /// ```
    /// assert!(float_bits::Scheme::root_float16(12).is_ok());
    /// ```
    pub fn root_float16(k: u32) -> Result<Self> {
        RootFloat16::new(k).map(Self::RootFloat16)
    }

    /// [`RootRange::new`] as a `Scheme`.
    ///
    /// ```
    /// assert!(float_bits::Scheme::root_range(0.0, 1.0, 16).is_ok());
    /// ```
    pub fn root_range(min: f64, max: f64, n: u32) -> Result<Self> {
        RootRange::new(min, max, n).map(Self::RootRange)
    }

    /// [`Half`] as a `Scheme` (RNTuple `Real16`).
    ///
    /// ```
    /// assert_eq!(float_bits::Scheme::half().compress(1.0f32 / 3.0)?, 0.33325195);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn half() -> Self {
        Self::Half(Half)
    }

    /// [`RntupleQuant::new`] as a `Scheme`.
    ///
    /// ```
    /// assert!(float_bits::Scheme::rntuple_quant(0.0, 1.0, 16).is_ok());
    /// ```
    pub fn rntuple_quant(min: f64, max: f64, n: u32) -> Result<Self> {
        RntupleQuant::new(min, max, n).map(Self::RntupleQuant)
    }

    /// Kept mantissa bits for the mantissa-rounding schemes (10 for [`Half`], whose outputs
    /// have at most 10 significant bits after the leading one), `None` for the quantising ones.
    ///
    /// ```
    /// assert_eq!(float_bits::Scheme::atlas(7)?.kept_bits(), Some(7));
    /// assert_eq!(float_bits::Scheme::root_range(0.0, 1.0, 8)?.kept_bits(), None);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn kept_bits(&self) -> Option<u32> {
        match self {
            Self::Atlas(s) => Some(s.k()),
            Self::NearestEven(s) => Some(s.k()),
            Self::Cms(s) => Some(s.k()),
            Self::TowardZero(s) => Some(s.k()),
            Self::RootFloat16(s) => Some(s.k()),
            Self::Half(_) => Some(Half::kept_bits()),
            Self::RootRange(_) | Self::RntupleQuant(_) => None,
        }
    }

    /// Compress one value. Only [`RntupleQuant`] can fail (value out of range).
    ///
    /// ```
    /// assert_eq!(float_bits::Scheme::toward_zero(0)?.compress(1.75f32)?, 1.0);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    #[inline]
    pub fn compress<F: Float>(&self, x: F) -> Result<F> {
        Ok(match self {
            Self::Atlas(s) => s.compress(x),
            Self::NearestEven(s) => s.compress(x),
            Self::Cms(s) => s.compress(x),
            Self::TowardZero(s) => s.compress(x),
            Self::RootFloat16(s) => s.compress(x),
            Self::RootRange(s) => s.compress(x),
            Self::RntupleQuant(s) => s.compress(x)?,
            Self::Half(s) => s.compress(x),
        })
    }
}

impl From<Atlas> for Scheme {
    fn from(s: Atlas) -> Self {
        Self::Atlas(s)
    }
}
impl From<NearestEven> for Scheme {
    fn from(s: NearestEven) -> Self {
        Self::NearestEven(s)
    }
}
impl From<Cms> for Scheme {
    fn from(s: Cms) -> Self {
        Self::Cms(s)
    }
}
impl From<TowardZero> for Scheme {
    fn from(s: TowardZero) -> Self {
        Self::TowardZero(s)
    }
}
impl From<RootFloat16> for Scheme {
    fn from(s: RootFloat16) -> Self {
        Self::RootFloat16(s)
    }
}
impl From<RootRange> for Scheme {
    fn from(s: RootRange) -> Self {
        Self::RootRange(s)
    }
}
impl From<RntupleQuant> for Scheme {
    fn from(s: RntupleQuant) -> Self {
        Self::RntupleQuant(s)
    }
}

impl From<Half> for Scheme {
    fn from(s: Half) -> Self {
        Self::Half(s)
    }
}

/// Text that [`Scheme`]'s `Display` writes, read back exactly (the range ends of `RootRange` and
/// `RntupleQuant` round-trip bit for bit: `Display` writes the shortest decimal that does); the
/// parameters are validated as by the constructors. This is the scheme's form in Arrow field
/// metadata and in reports.
///
/// ```
/// use float_bits::Scheme;
/// let s: Scheme = "RootRange{min=-3.141592653589793, max=3.141592653589793, n=30}".parse()?;
/// assert_eq!(s, Scheme::root_range(-std::f64::consts::PI, std::f64::consts::PI, 30)?);
/// assert_eq!("Cms{k=10}".parse::<Scheme>()?, Scheme::cms(10)?);
/// assert!("Atlas{k=99}".parse::<Scheme>().is_err()); // outside Atlas's k range
/// assert!("Atlas{n=7}".parse::<Scheme>().is_err());
/// # Ok::<(), float_bits::Error>(())
/// ```
impl core::str::FromStr for Scheme {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let bad = |detail: &str| Error::NotAScheme { text: text.to_string(), detail: detail.to_string() };
        let t = text.trim();
        if t == "Half" {
            return Ok(Self::half());
        }
        let (name, rest) = t.split_once('{').ok_or_else(|| bad("no {parameters}"))?;
        let body = rest.strip_suffix('}').ok_or_else(|| bad("no closing }"))?;
        let params: Vec<(&str, &str)> = body
            .split(',')
            .map(|p| p.split_once('=').map(|(k, v)| (k.trim(), v.trim())).ok_or_else(|| bad("a parameter without =")))
            .collect::<Result<_>>()?;
        let keys: Vec<&str> = params.iter().map(|p| p.0).collect();
        let int = |v: &str| v.parse::<u32>().map_err(|_| bad("a bit count that is not a whole number"));
        let real = |v: &str| v.parse::<f64>().map_err(|_| bad("a range end that is not a number"));
        match (name.trim(), keys.as_slice(), params.as_slice()) {
            (n, ["k"], [(_, k)]) => {
                let k = int(k)?;
                match n {
                    "Atlas" => Self::atlas(k),
                    "Cms" => Self::cms(k),
                    "NearestEven" => Self::nearest_even(k),
                    "TowardZero" => Self::toward_zero(k),
                    "RootFloat16" => Self::root_float16(k),
                    _ => Err(bad("no scheme of that name takes k")),
                }
            }
            (n, ["min", "max", "n"], [(_, lo), (_, hi), (_, bits)]) => {
                let (lo, hi, bits) = (real(lo)?, real(hi)?, int(bits)?);
                match n {
                    "RootRange" => Self::root_range(lo, hi, bits),
                    "RntupleQuant" => Self::rntuple_quant(lo, hi, bits),
                    _ => Err(bad("no scheme of that name takes min, max, n")),
                }
            }
            _ => Err(bad("unknown name or parameters")),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Atlas(s) => write!(f, "Atlas{{k={}}}", s.k()),
            Self::NearestEven(s) => write!(f, "NearestEven{{k={}}}", s.k()),
            Self::Cms(s) => write!(f, "Cms{{k={}}}", s.k()),
            Self::TowardZero(s) => write!(f, "TowardZero{{k={}}}", s.k()),
            Self::RootFloat16(s) => write!(f, "RootFloat16{{k={}}}", s.k()),
            Self::RootRange(s) => write!(f, "RootRange{{min={}, max={}, n={}}}", s.min, s.max, s.n),
            Self::RntupleQuant(s) => write!(f, "RntupleQuant{{min={}, max={}, n={}}}", s.min, s.max, s.n),
            Self::Half(_) => f.write_str("Half"),
        }
    }
}
