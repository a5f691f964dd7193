//! Plain scalar transcriptions of each scheme's origin code: the oracle every fast path is
//! tested against, bit for bit.
//!
//! These functions are written for clarity, one value at a time, following the integer and
//! floating-point steps of the C++ they model. Prefer the validated scheme types (and
//! [`crate::Scheme`]'s slice methods) in applications. `k` is the number of explicitly kept
//! mantissa bits: for the mantissa-rounding rules, `k >=` the type's mantissa width keeps every
//! bit (identity). No parameter value makes these functions panic; each function says what it
//! does with parameters outside its origin's range.

use num_traits::{One, WrappingSub, Zero};

use crate::float::{Bits, Float};

#[inline(always)]
fn bit<B: Bits>(shift: u32) -> B {
    B::one() << shift as usize
}

/// Mask keeping the sign, the exponent and the top `k` mantissa bits.
#[inline(always)]
pub(crate) fn keep_mask<F: Float>(k: u32) -> F::Bits {
    let dropped = F::MANTISSA_BITS - k;
    !(bit::<F::Bits>(dropped) - F::Bits::one())
}

/// ATLAS `CxxUtils::FloatCompressor::reduceFloatPrecision`, generalised to `f64`.
///
/// Non-finite inputs are returned unchanged; otherwise, on the raw bits `b` with
/// `r = 1 << (M - 1 - k)` (M = mantissa width) and `vmax = MAX_FINITE_BITS - r`:
/// `if (b & ABS) < vmax { b += r }; b &= mask`. Rounds half away from zero in magnitude; the
/// carry may ripple into the exponent; magnitudes at or above `vmax` are truncated.
///
/// ```
/// use float_bits::reference::atlas;
/// assert_eq!(atlas(1.0 + 1.0 / 256.0, 7), 1.0 + 1.0 / 128.0); // tie rounds away from zero
/// assert_eq!(atlas(-1.0 - 1.0 / 256.0, 7), -1.0 - 1.0 / 128.0);
/// assert_eq!(atlas(f32::MAX, 7), f32::from_bits(0x7f7f_0000)); // vmax guard: no Inf
/// ```
pub fn atlas<F: Float>(x: F, k: u32) -> F {
    if k >= F::MANTISSA_BITS || !x.is_finite() {
        return x;
    }
    let r: F::Bits = bit(F::MANTISSA_BITS - 1 - k);
    let vmax = F::MAX_FINITE_BITS - r;
    let mut b = x.to_bits();
    if (b & F::ABS_MASK) < vmax {
        b = b + r;
    }
    F::from_bits(b & keep_mask::<F>(k))
}

/// Round to nearest, ties to even, on the mantissa (bfloat16, numcodecs `BitRound`,
/// xbitinfo "round"), generalised to any `k`.
///
/// Finite inputs: `b += ((b >> s) & 1) + (1 << (s - 1)) - 1; b &= mask` with `s = M - k`.
/// There is no overflow guard: the largest finite values may round to ±Inf, as in `BitRound`.
/// Non-finite inputs are returned unchanged (`BitRound` itself would corrupt NaN payloads).
///
/// ```
/// use float_bits::reference::nearest_even;
/// assert_eq!(nearest_even(1.0 + 1.0 / 256.0, 7), 1.0f32); // tie to even (down)
/// assert_eq!(nearest_even(1.0 + 3.0 / 256.0, 7), 1.0 + 4.0 / 256.0f32); // tie to even (up)
/// assert_eq!(nearest_even(f32::MAX, 7), f32::INFINITY);
/// ```
pub fn nearest_even<F: Float>(x: F, k: u32) -> F {
    if k >= F::MANTISSA_BITS || !x.is_finite() {
        return x;
    }
    let s = F::MANTISSA_BITS - k;
    let b = x.to_bits();
    let lsb = (b >> s as usize) & F::Bits::one();
    let half_minus_one = bit::<F::Bits>(s - 1) - F::Bits::one();
    F::from_bits((b + half_minus_one + lsb) & keep_mask::<F>(k))
}

/// CMS `MiniFloatConverter::reduceMantissaToNbitsRounding` (CMSSW,
/// `DataFormats/Math/interface/libminifloat.h`), the rounding of NanoAOD's per-branch
/// `precision`, generalised to `f64`.
///
/// A transcription of the C++ on the raw bits `b`, with `s = M - k` (M = mantissa width), the
/// test bit `t = 1 << (s - 1)` and `maxn = 2^k - 2`: if `b & t` (the first dropped bit is set),
/// the kept mantissa `j = (b & MANTISSA) >> s` becomes `j + 1` when `j < maxn` and stays `j`
/// otherwise, and the low bits are cleared; if not, the low bits are cleared. So it rounds half
/// **away from zero** in magnitude like [`atlas`], but the kept mantissa never reaches its
/// all-ones value by rounding and never carries into the exponent: at the top of every binade
/// (`j >= 2^k - 2`) it truncates instead.
///
/// Every input goes through the same bit operations, as in CMSSW: ±Inf is unchanged, a NaN
/// stays NaN unless its payload lies only in the dropped bits with the test bit clear (then it
/// becomes ±Inf, as under [`toward_zero`]). `k >= M` returns `x` (CMSSW's `k = 23` shifts by -1:
/// undefined behaviour). `k = 0` follows the C++ literally (`maxn` wraps to all ones and the
/// incremented mantissa is OR-ed into the exponent); [`Cms`](crate::Cms) rejects it.
///
/// ```
/// use float_bits::reference::{atlas, cms};
/// let x = 1.0f32 + 3.0 / 256.0; // kept mantissa 1 (of 7 bits), first dropped bit set
/// assert_eq!(cms(x, 7), atlas(x, 7)); // rounds up like ATLAS
/// // 1.1111111|1 × 2^0: the all-ones 7-bit mantissa, first dropped bit set.
/// let top = f32::from_bits(0x3fff_8000);
/// assert_eq!(cms(top, 7), f32::from_bits(0x3fff_0000)); // truncated ...
/// assert_eq!(atlas(top, 7), 2.0); // ... where ATLAS carries into the exponent
/// ```
pub fn cms<F: Float>(x: F, k: u32) -> F {
    let m = F::MANTISSA_BITS;
    if k >= m {
        return x;
    }
    let shift = (m - k) as usize;
    let low = bit::<F::Bits>(m) - F::Bits::one(); // the mantissa field
    let hi = !low; // sign and exponent
    let mask = !(bit::<F::Bits>(m - k) - F::Bits::one());
    let test = bit::<F::Bits>(m - k - 1);
    let maxn = bit::<F::Bits>(k).wrapping_sub(&(F::Bits::one() + F::Bits::one()));
    let mut b = x.to_bits();
    if b & test != F::Bits::zero() {
        let mut mantissa = (b & low) >> shift;
        if mantissa < maxn {
            mantissa = mantissa + F::Bits::one();
        }
        b = (b & hi) | (mantissa << shift);
    } else {
        b = b & mask;
    }
    F::from_bits(b)
}

/// Truncation toward zero: clear the low `M - k` mantissa bits of every input (RNTuple
/// `Real32Trunc`, fpzip's lossy mode).
///
/// This is a pure bit mask, applied to every input as RNTuple does: ±Inf is unchanged, and a
/// NaN whose payload lies entirely in the dropped bits becomes ±Inf.
///
/// ```
/// use float_bits::reference::toward_zero;
/// assert_eq!(toward_zero(1.999f32, 7), 1.9921875);
/// assert_eq!(toward_zero(-1.999f32, 7), -1.9921875);
/// ```
pub fn toward_zero<F: Float>(x: F, k: u32) -> F {
    if k >= F::MANTISSA_BITS {
        return x;
    }
    F::from_bits(x.to_bits() & keep_mask::<F>(k))
}

/// ROOT `TBufferFile::WriteFloat16` followed by `ReadWithNbits`, mantissa mode
/// (`Float16_t` / `Double32_t` with `//[0,0,k]`), for `f32`.
///
/// The exponent byte is kept; the top `k + 1` mantissa bits are rounded half-up to `k` bits in a
/// 16-bit word, **saturating** at all ones instead of carrying into the exponent; the sign is
/// taken from `x < 0`, so `-0.0` and every NaN come back with a positive sign. A NaN whose top
/// mantissa bits round to zero comes back as `+Inf`.
///
/// `k` outside `2..=14` falls back to 12 bits, as ROOT does for an unusable `//[0,0,k]`.
///
/// ```
/// use float_bits::reference::root_float16_f32;
/// assert_eq!(root_float16_f32(1.999, 7), 1.9921875); // saturates instead of carrying to 2.0
/// assert_eq!(root_float16_f32(-0.0, 7).to_bits(), 0); // -0 → +0
/// ```
pub fn root_float16_f32(x: f32, k: u32) -> f32 {
    let k = if (2..=14).contains(&k) { k } else { 12 };
    // Write: exponent byte and a 16-bit mantissa word (transcribed step by step).
    let i = x.to_bits() as i32;
    let the_exp = (((i << 1) >> 24) & 0xff) as u8;
    let mut the_man = (((1i32 << (k + 1)) - 1) & (i >> (23 - k - 1))) as u16;
    the_man = the_man.wrapping_add(1);
    the_man >>= 1;
    if the_man & (1 << k) != 0 {
        the_man = (1 << k) - 1;
    }
    if x < 0.0 {
        the_man |= 1 << (k + 1);
    }
    // Read back.
    let mut v = i32::from(the_exp) << 23;
    v |= (i32::from(the_man) & ((1 << (k + 1)) - 1)) << (23 - k);
    let mut f = f32::from_bits(v as u32);
    if (1 << (k + 1)) & i32::from(the_man) != 0 {
        f = -f;
    }
    f
}

/// [`root_float16_f32`] for any [`Float`]: an `f32` goes in bit for bit (signalling NaNs
/// included); `Double32_t` in mantissa mode converts the `double` to `float` first and reads
/// back a `float` widened to `double`.
///
/// ```
/// use float_bits::reference::root_float16;
/// assert_eq!(root_float16(1.999f64, 7), 1.9921875);
/// ```
pub fn root_float16<F: Float>(x: F, k: u32) -> F {
    if F::MANTISSA_BITS == 23 {
        // `F` is `f32`: reinterpret the bits (a conversion could quiet a signalling NaN).
        let y = root_float16_f32(f32::from_bits(x.to_bits().widen() as u32), k);
        F::from_bits(F::Bits::truncate(u64::from(y.to_bits())))
    } else {
        F::from_f32(root_float16_f32(x.to_f64() as f32, k))
    }
}

/// The TTree range-mode factor: `2^n / (max - min)`, or `0xffffffff / (max - min)` for `n = 32`
/// (`TStreamerElement::GetRange`).
///
/// ```
/// assert_eq!(float_bits::reference::root_range_factor(0.0, 1.0, 10), 1024.0);
/// ```
pub fn root_range_factor(min: f64, max: f64, n: u32) -> f64 {
    let bigint = if n >= 32 { f64::from(u32::MAX) } else { f64::from(1u32 << n) };
    bigint / (max - min)
}

/// TTree range mode (`//[min,max,n]`), writing side: clamp to `[min, max]` in `double`, then
/// `UInt_t(0.5 + factor * (x - min))`. NaN (undefined behaviour in the C++) encodes as 0.
///
/// ```
/// use float_bits::reference::root_range_encode;
/// assert_eq!(root_range_encode(0.5f32, 0.0, 1.0, 10), 512);
/// assert_eq!(root_range_encode(7.0f32, 0.0, 1.0, 10), 1024); // clamped to max
/// ```
pub fn root_range_encode<F: Float>(x: F, min: f64, max: f64, n: u32) -> u32 {
    let factor = root_range_factor(min, max, n);
    let mut v = x.to_f64();
    if v < min {
        v = min;
    }
    if v > max {
        v = max;
    }
    (0.5 + factor * (v - min)) as u32
}

/// TTree range mode, reading side (`ReadWithFactor`): `aint / factor + min` in `double`, then
/// converted to the stored type.
///
/// ```
/// use float_bits::reference::root_range_decode;
/// assert_eq!(root_range_decode::<f32>(512, 0.0, 1.0, 10), 0.5);
/// ```
pub fn root_range_decode<F: Float>(aint: u32, min: f64, max: f64, n: u32) -> F {
    let factor = root_range_factor(min, max, n);
    F::from_f64(f64::from(aint) / factor + min)
}

/// TTree range mode round trip: [`root_range_decode`] of [`root_range_encode`].
///
/// ```
/// use float_bits::reference::root_range;
/// assert_eq!(root_range(0.3f32, 0.0, 1.0, 2), 0.25);
/// ```
pub fn root_range<F: Float>(x: F, min: f64, max: f64, n: u32) -> F {
    root_range_decode(root_range_encode(x, min, max, n), min, max, n)
}

/// The largest RNTuple `Real32Quant` code: `2^n - 1`, with `n` clamped to RNTuple's `1..=32`.
///
/// ```
/// assert_eq!(float_bits::reference::rntuple_quant_max(8), 255);
/// assert_eq!(float_bits::reference::rntuple_quant_max(32), u32::MAX);
/// ```
pub fn rntuple_quant_max(n: u32) -> u32 {
    ((1u64 << n.clamp(1, 32)) - 1) as u32
}

/// RNTuple `Real32Quant` writing side (`QuantizeReals`): `None` when `x` is outside `[min, max]`
/// (or NaN), which RNTuple reports as an error; otherwise
/// `u32(0.5 + (x - min) * ((2^n - 1) / (max - min)))` in `double`.
///
/// ```
/// use float_bits::reference::rntuple_quant_encode;
/// assert_eq!(rntuple_quant_encode(1.0f32, 0.0, 1.0, 8), Some(255));
/// assert_eq!(rntuple_quant_encode(1.5f32, 0.0, 1.0, 8), None);
/// ```
pub fn rntuple_quant_encode<F: Float>(x: F, min: f64, max: f64, n: u32) -> Option<u32> {
    let v = x.to_f64();
    if !(min <= v && v <= max) {
        return None;
    }
    let scale = f64::from(rntuple_quant_max(n)) / (max - min);
    Some((0.5 + (v - min) * scale) as u32)
}

/// RNTuple `Real32Quant` reading side (`UnquantizeReals`): `e = q * ((max - min) / (2^n - 1)) +
/// min` in `double`, clamped with `std::min(e, max)` (current ROOT; older releases did not clamp),
/// converted to the stored type.
///
/// ```
/// use float_bits::reference::rntuple_quant_decode;
/// assert_eq!(rntuple_quant_decode::<f32>(255, 0.0, 1.0, 8), 1.0);
/// ```
pub fn rntuple_quant_decode<F: Float>(q: u32, min: f64, max: f64, n: u32) -> F {
    let scale = (max - min) / f64::from(rntuple_quant_max(n));
    let e = f64::from(q) * scale + min;
    F::from_f64(if max < e { max } else { e })
}

/// RNTuple `Real32Quant` round trip; `None` when `x` is out of range.
///
/// ```
/// use float_bits::reference::rntuple_quant;
/// assert_eq!(rntuple_quant(0.5f32, 0.0, 1.0, 1), Some(1.0));
/// ```
pub fn rntuple_quant<F: Float>(x: F, min: f64, max: f64, n: u32) -> Option<F> {
    rntuple_quant_encode(x, min, max, n).map(|q| rntuple_quant_decode(q, min, max, n))
}

/// ROOT's `FloatToHalf` (`core/foundation/inc/ROOT/RFloat16.hxx`, the RNTuple `Real16` column
/// writer): the IEEE-754 binary16 bits of an `f32`, rounded to nearest, ties to even.
///
/// Magnitudes from `65520` (the midpoint between the largest half, `65504`, and `2^16`) up
/// overflow to ±Inf; below `2^-14` the result is a half subnormal (steps of `2^-24`); `2^-25`
/// and below become ±0 (the tie at `2^-25` goes to the even zero). The sign is always kept, so
/// `-0.0` stays negative. A NaN stays a NaN: quiet (`0x200`), with the top 10 payload bits of
/// the `f32` (its quiet bit among them) in the half's mantissa.
///
/// ```
/// use float_bits::reference::float_to_half;
/// assert_eq!(float_to_half(1.0), 0x3c00);
/// assert_eq!(float_to_half(65520.0), 0x7c00); // the tie above 65504 rounds to +Inf
/// assert_eq!(float_to_half(-2f32.powi(-25)), 0x8000); // ties to the even -0
/// ```
pub fn float_to_half(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = (b >> 16) as u16 & 0x8000;
    let a = b & 0x7fff_ffff;
    // Rounds `v` up by one unit when the dropped part is above half, or exactly half and `v` odd.
    let nearest_even = |v: u32, guard: bool, sticky: bool| v + u32::from(guard && (sticky || v & 1 == 1));
    let magnitude = if a > 0x7f80_0000 {
        0x7e00 | (a >> 13) & 0x3ff
    } else if a >= 0x4780_0000 {
        0x7c00 // 2^16 and above, Inf included
    } else if a >= 0x3880_0000 {
        // Normal half: re-bias the exponent (127 → 15), keep 10 mantissa bits; a carry out of the
        // mantissa moves to the next exponent, and out of 65504 to Inf (0x7c00).
        let v = ((a >> 23) - 112) << 10 | (a >> 13) & 0x3ff;
        nearest_even(v, a >> 12 & 1 == 1, a & 0xfff != 0)
    } else if a >= 0x3300_0000 {
        // Half subnormal: the 24-bit significand in units of 2^-24 is `m >> (126 - e)`.
        let shift = 126 - (a >> 23);
        let m = (a & 0x007f_ffff) | 0x0080_0000;
        nearest_even(m >> shift, m >> (shift - 1) & 1 == 1, m & ((1 << (shift - 1)) - 1) != 0)
    } else {
        0
    };
    sign | magnitude as u16
}

/// ROOT's `HalfToFloat` (RNTuple `Real16` reader): the `f32` of a binary16 bit pattern, exact
/// (every half is an `f32`); a NaN keeps its payload in the top mantissa bits and is quiet.
///
/// ```
/// use float_bits::reference::half_to_float;
/// assert_eq!(half_to_float(0x3c00), 1.0);
/// assert_eq!(half_to_float(0x0001), 2f32.powi(-24)); // the smallest subnormal
/// assert_eq!(half_to_float(0xfc00), f32::NEG_INFINITY);
/// ```
pub fn half_to_float(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let e = u32::from(h >> 10) & 0x1f;
    let m = u32::from(h & 0x3ff);
    let magnitude = match e {
        0 => (m as f32 * 2f32.powi(-24)).to_bits(),
        0x1f if m == 0 => 0x7f80_0000,
        0x1f => 0x7fc0_0000 | m << 13,
        _ => (e + 112) << 23 | m << 13,
    };
    f32::from_bits(sign | magnitude)
}

/// RNTuple `Real16` round trip, [`float_to_half`] then [`half_to_float`]: IEEE half
/// precision, with its own exponent range (subnormals below `2^-14`, ±Inf from `65520`).
/// An `f64` is rounded to `f32` first (nearest even) and read back widened.
///
/// ```
/// use float_bits::reference::half;
/// assert_eq!(half(1.0f32 + 2f32.powi(-11)), 1.0); // the tie goes to the even mantissa
/// assert_eq!(half(1.0f32 + 3.0 * 2f32.powi(-11)), 1.0 + 2f32.powi(-9));
/// assert_eq!(half(1e5f64), f64::INFINITY);
/// ```
pub fn half<F: Float>(x: F) -> F {
    if F::MANTISSA_BITS == 23 {
        // `F` is `f32`: reinterpret the bits (a conversion could quiet a signalling NaN).
        let y = half_to_float(float_to_half(f32::from_bits(x.to_bits().widen() as u32)));
        F::from_bits(F::Bits::truncate(u64::from(y.to_bits())))
    } else {
        F::from_f32(half_to_float(float_to_half(x.to_f64() as f32)))
    }
}
