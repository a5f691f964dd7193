//! The sealed [`Float`] trait: the two IEEE-754 binary formats the schemes work on.

use core::fmt::{Debug, Display};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// The unsigned integer holding the raw bits of a [`Float`] (`u32` for `f32`, `u64` for `f64`).
///
/// Sealed: implemented for `u32` and `u64` only.
///
/// ```
/// use float_bits::Bits;
/// assert_eq!(<u32 as Bits>::truncate(0x1_0000_0003), 3);
/// assert_eq!(7u64.widen(), 7);
/// ```
pub trait Bits:
    sealed::Sealed
    + num_traits::PrimInt
    + num_traits::Unsigned
    + num_traits::WrappingAdd
    + num_traits::WrappingSub
    + bytemuck::Pod
    + Debug
    + Send
    + Sync
    + 'static
{
    /// Width in bits (32 or 64).
    const WIDTH: u32;
    /// Truncating conversion from `u64` (keeps the low `WIDTH` bits).
    ///
    /// ```
    /// use float_bits::Bits;
    /// assert_eq!(<u32 as Bits>::truncate(u64::MAX), u32::MAX);
    /// ```
    fn truncate(v: u64) -> Self;
    /// Zero-extending conversion to `u64`.
    ///
    /// ```
    /// use float_bits::Bits;
    /// assert_eq!(u32::MAX.widen(), 0xffff_ffff);
    /// ```
    fn widen(self) -> u64;
}

impl Bits for u32 {
    const WIDTH: u32 = 32;
    #[inline(always)]
    fn truncate(v: u64) -> Self {
        v as u32
    }
    #[inline(always)]
    fn widen(self) -> u64 {
        u64::from(self)
    }
}

impl Bits for u64 {
    const WIDTH: u32 = 64;
    #[inline(always)]
    fn truncate(v: u64) -> Self {
        v
    }
    #[inline(always)]
    fn widen(self) -> u64 {
        self
    }
}

/// An IEEE-754 binary floating-point type the schemes apply to: `f32` or `f64`.
///
/// Sealed: the bit-level kernels rely on the exact layouts of these two types.
///
/// ```
/// use float_bits::Float;
/// assert_eq!(<f32 as Float>::MANTISSA_BITS, 23);
/// assert_eq!(<f64 as Float>::MANTISSA_BITS, 52);
/// assert_eq!(<f32 as Float>::to_bits(1.0), 0x3f80_0000);
/// assert_eq!(<f32 as Float>::from_bits(0x4000_0000), 2.0);
/// ```
pub trait Float:
    sealed::Sealed + num_traits::Float + bytemuck::Pod + Default + Debug + Display + Send + Sync + 'static
{
    /// The raw bit container.
    type Bits: Bits;
    /// Explicitly stored mantissa (fraction) bits: 23 or 52.
    const MANTISSA_BITS: u32;
    /// Exponent bits: 8 or 11.
    const EXPONENT_BITS: u32;
    /// The sign bit alone.
    const SIGN_MASK: Self::Bits;
    /// Every bit but the sign: `bits & ABS_MASK` is the magnitude's bit pattern.
    const ABS_MASK: Self::Bits;
    /// The bit pattern of `+Inf`: magnitudes at or above it are non-finite.
    const INF_BITS: Self::Bits;
    /// The bit pattern of the largest finite value.
    const MAX_FINITE_BITS: Self::Bits;
    /// Short name of the type (`"f32"`, `"f64"`), for messages.
    const NAME: &'static str;

    /// The raw bits (same as the inherent `to_bits`).
    ///
    /// ```
    /// use float_bits::Float;
    /// assert_eq!(Float::to_bits(-0.0f64), 1 << 63);
    /// ```
    fn to_bits(self) -> Self::Bits;
    /// The value with these raw bits (same as the inherent `from_bits`).
    ///
    /// ```
    /// use float_bits::Float;
    /// assert_eq!(<f32 as Float>::from_bits(0x7f80_0000), f32::INFINITY);
    /// ```
    fn from_bits(bits: Self::Bits) -> Self;
    /// Exact widening (`f32`) or identity (`f64`) conversion to `f64`.
    ///
    /// ```
    /// use float_bits::Float;
    /// assert_eq!(Float::to_f64(0.1f32), 0.10000000149011612);
    /// ```
    fn to_f64(self) -> f64;
    /// Conversion from `f64` with Rust's `as` semantics (round to nearest even; overflow to ±Inf).
    ///
    /// ```
    /// use float_bits::Float;
    /// assert_eq!(<f32 as Float>::from_f64(1e300), f32::INFINITY);
    /// ```
    fn from_f64(v: f64) -> Self;
    /// Conversion from `f32` (exact).
    ///
    /// ```
    /// use float_bits::Float;
    /// assert_eq!(<f64 as Float>::from_f32(0.5), 0.5);
    /// ```
    fn from_f32(v: f32) -> Self;
}

impl Float for f32 {
    type Bits = u32;
    const MANTISSA_BITS: u32 = 23;
    const EXPONENT_BITS: u32 = 8;
    const SIGN_MASK: u32 = 0x8000_0000;
    const ABS_MASK: u32 = 0x7fff_ffff;
    const INF_BITS: u32 = 0x7f80_0000;
    const MAX_FINITE_BITS: u32 = 0x7f7f_ffff;
    const NAME: &'static str = "f32";
    #[inline(always)]
    fn to_bits(self) -> u32 {
        f32::to_bits(self)
    }
    #[inline(always)]
    fn from_bits(bits: u32) -> Self {
        f32::from_bits(bits)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        v
    }
}

impl Float for f64 {
    type Bits = u64;
    const MANTISSA_BITS: u32 = 52;
    const EXPONENT_BITS: u32 = 11;
    const SIGN_MASK: u64 = 0x8000_0000_0000_0000;
    const ABS_MASK: u64 = 0x7fff_ffff_ffff_ffff;
    const INF_BITS: u64 = 0x7ff0_0000_0000_0000;
    const MAX_FINITE_BITS: u64 = 0x7fef_ffff_ffff_ffff;
    const NAME: &'static str = "f64";
    #[inline(always)]
    fn to_bits(self) -> u64 {
        f64::to_bits(self)
    }
    #[inline(always)]
    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        f64::from(v)
    }
}
