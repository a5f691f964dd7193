//! The exact preimage of a compressed value: every float the scheme maps to it.

use float_bits::{Backend, Bits, Float, RntupleQuant, RootRange, Scheme, reference};

use crate::error::{Error, Result};
use crate::interval::{Interval, from_key, key};

/// A mantissa-rounding rule, as far as its preimage is concerned.
#[derive(Clone, Copy)]
pub(crate) enum Rule {
    Identity,
    Atlas,
    Cms,
    NearestEven,
    TowardZero,
}

/// Mantissa-rule constants for `k` kept bits, in the raw-bit type `B` of the float.
///
/// Each rule is written once, branch-light so that the slice loop vectorises, and used by the
/// scalar [`preimage`] and the slice [`preimages`] alike.
#[derive(Clone, Copy)]
pub(crate) struct MantissaPre<B> {
    rule: Rule,
    shift: usize,
    low: B,
    half: B,
    top: B,
    inf: B,
    abs: B,
    sign: B,
    max_finite: B,
    mant: B,
    cms_limit: B,
}

impl<B: Bits> MantissaPre<B> {
    pub(crate) fn new<F: Float<Bits = B>>(rule: Rule, k: u32) -> Self {
        let m = F::MANTISSA_BITS;
        let (rule, k) = if k >= m { (Rule::Identity, m) } else { (rule, k) };
        let shift = m - k;
        let low = (1u64 << shift) - 1;
        let half = if shift == 0 { 0 } else { 1u64 << (shift - 1) };
        let max_finite = F::MAX_FINITE_BITS.widen();
        let mant = (1u64 << m) - 1;
        // CMS rounds up only below the field `2^k − 2` (in units of the kept lsb).
        let cms_limit = ((1u64 << k).wrapping_sub(2) << shift) & mant;
        MantissaPre {
            rule,
            shift: shift as usize,
            low: B::truncate(low),
            half: B::truncate(half),
            top: B::truncate(max_finite & !low),
            inf: F::INF_BITS,
            abs: F::ABS_MASK,
            sign: F::SIGN_MASK,
            max_finite: F::MAX_FINITE_BITS,
            mant: B::truncate(mant),
            cms_limit: B::truncate(cms_limit),
        }
    }

    /// `(lo_bits, hi_bits, valid)` for the output bits `b`.
    #[inline(always)]
    pub(crate) fn bounds(&self, b: B) -> (B, B, bool) {
        match self.rule {
            Rule::Identity => (b, b, true),
            Rule::Atlas => self.atlas(b),
            Rule::Cms => self.cms(b),
            Rule::NearestEven => self.nearest_even(b),
            Rule::TowardZero => self.toward_zero(b),
        }
    }

    /// Negative values: the larger magnitude is the lower float.
    #[inline(always)]
    fn order(s: B, lo_m: B, hi_m: B) -> (B, B) {
        if s != B::zero() { (s | hi_m, s | lo_m) } else { (lo_m, hi_m) }
    }

    /// Magnitudes `[m − half, m + half − 1]`; the top output also takes every larger finite
    /// value (the `vmax` guard); non-finite values (NaN whatever its low bits) are themselves.
    #[inline(always)]
    fn atlas(&self, b: B) -> (B, B, bool) {
        let (m, s) = (b & self.abs, b & self.sign);
        let finite = m < self.inf;
        let lo_m = if finite && m >= self.half {
            m - self.half
        } else if finite {
            B::zero()
        } else {
            m
        };
        let hi_m = if !finite {
            m
        } else if m == self.top {
            self.max_finite
        } else {
            // Wrapping: for invalid `m` (low bits set) the result is discarded.
            m.wrapping_add(&(self.half - B::one()))
        };
        let (l, h) = Self::order(s, lo_m, hi_m);
        (l, h, m & self.low == B::zero() || m > self.inf)
    }

    /// CMS never carries out of the mantissa field: a field `j` (in kept-lsb units) takes
    /// `[j − ½, j + ½)` for `1 ≤ j < 2^k − 2`, only `[0, ½)` for `j = 0`, `[j − ½, j + 1)` for
    /// `j = 2^k − 2` (which also keeps the truncated `2^k − 2 + ½ …`), and `[j, j + 1)` for the
    /// all-ones `j = 2^k − 1`. The same holds in every binade, non-finite ones included: `±Inf`
    /// also takes the NaNs whose dropped payload truncates to zero.
    #[inline(always)]
    fn cms(&self, b: B) -> (B, B, bool) {
        let (m, s) = (b & self.abs, b & self.sign);
        let field = m & self.mant;
        let lo_m = if field != B::zero() && field <= self.cms_limit { m.wrapping_sub(&self.half) } else { m };
        // Wrapping: for invalid `m` (low bits set) the result is discarded.
        let hi_m = if field < self.cms_limit { m.wrapping_add(&(self.half - B::one())) } else { m | self.low };
        let (l, h) = Self::order(s, lo_m, hi_m);
        (l, h, m & self.low == B::zero())
    }

    /// Both ties for an even output, neither for an odd one; `+Inf` also takes the finite
    /// values that overflow; NaN is itself.
    #[inline(always)]
    fn nearest_even(&self, b: B) -> (B, B, bool) {
        let (m, s) = (b & self.abs, b & self.sign);
        let odd = (m >> self.shift) & B::one();
        let nan = m > self.inf;
        let lo_m = if nan || m == B::zero() { m } else { m.wrapping_sub(&self.half).wrapping_add(&odd) };
        let hi_m = if nan || m == self.inf { m } else { m.wrapping_add(&self.half).wrapping_sub(&odd) };
        let (l, h) = Self::order(s, lo_m, hi_m);
        (l, h, m & self.low == B::zero() || nan)
    }

    /// Every magnitude sharing the kept bits (one-sided).
    #[inline(always)]
    fn toward_zero(&self, b: B) -> (B, B, bool) {
        let (m, s) = (b & self.abs, b & self.sign);
        let (l, h) = Self::order(s, m, m | self.low);
        (l, h, m & self.low == B::zero())
    }
}

fn not_an_output<F: Float>(scheme: &Scheme, index: usize, c: F) -> Error {
    Error::NotAnOutput { index, value: c.to_f64(), bits: c.to_bits().widen(), scheme: scheme.to_string() }
}

/// The exact preimage of `c` under `scheme`: the interval (in IEEE `totalOrder`) of every float
/// whose compression is bit-for-bit `c`, or [`Error::NotAnOutput`] if no input produces `c`.
///
/// Exact for every scheme of `float-bits`, including the asymmetric intervals at powers of two
/// (the spacing halves below `2^e`), zero and subnormals, `Atlas`'s `vmax` guard (the top
/// output also takes every larger finite value), `Cms`'s one-sided cells at the top of each
/// binade (it never rounds into the next binade), `RootFloat16`'s saturation (the top mantissa
/// also takes the rest of the binade), `Half`'s own exponent range (subnormal steps of `2^-24`,
/// ±0 up to `2^-25`, ±Inf from `65520`), and `RootRange`'s clamping (the end codes reach ±Inf).
///
/// Non-finite `c`: ±Inf gets the finite values that round to it, if any (e.g. `NearestEven`
/// overflow), plus itself. A NaN that a scheme passes through gets the interval of NaN bit
/// patterns that map to it (for `Atlas` and `NearestEven` just itself). Two documented
/// exceptions, because their preimages are not one interval: `RootFloat16` also maps negative
/// NaNs (sign dropped), `Half` also maps the signalling NaNs with the same top payload bits
/// (it quiets them), and `RootRange` maps every NaN to code 0; the interval omits those NaNs
/// (and a NaN output of `RootFloat16` or `Half` on `f64` gets the point interval of itself).
///
/// ```
/// use float_bits::Scheme;
/// use quant_bounds::preimage;
/// let atlas7 = Scheme::atlas(7)?;
/// let i = preimage(&atlas7, 1.0f32)?;
/// // Half a step (2^-8) above, but only a quarter step below: the spacing halves below 1.
/// assert_eq!(i.hi().to_bits(), (1.0f32 + 2f32.powi(-8)).to_bits() - 1);
/// assert_eq!(i.lo(), 1.0 - 2f32.powi(-9));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preimage<F: Float>(scheme: &Scheme, c: F) -> Result<Interval<F>> {
    preimage_at(scheme, 0, c)
}

pub(crate) fn mantissa_pre<F: Float>(scheme: &Scheme) -> Option<MantissaPre<F::Bits>> {
    Some(match scheme {
        Scheme::Atlas(s) => MantissaPre::new::<F>(Rule::Atlas, s.k()),
        Scheme::Cms(s) => MantissaPre::new::<F>(Rule::Cms, s.k()),
        Scheme::NearestEven(s) => MantissaPre::new::<F>(Rule::NearestEven, s.k()),
        Scheme::TowardZero(s) => MantissaPre::new::<F>(Rule::TowardZero, s.k()),
        _ => return None,
    })
}

fn preimage_at<F: Float>(scheme: &Scheme, index: usize, c: F) -> Result<Interval<F>> {
    if let Some(p) = mantissa_pre::<F>(scheme) {
        let (lo, hi, valid) = p.bounds(c.to_bits());
        return if valid {
            Ok(Interval::from_ordered(F::from_bits(lo), F::from_bits(hi)))
        } else {
            Err(not_an_output(scheme, index, c))
        };
    }
    let found = match scheme {
        Scheme::RootFloat16(s) => root_float16(s.k(), c),
        Scheme::RootRange(s) => root_range(s, c),
        Scheme::RntupleQuant(s) => rntuple_quant(s, c),
        Scheme::Half(_) => through_f32(c, half_f32),
        other => return Err(Error::Unsupported(other.to_string())),
    };
    found.ok_or_else(|| not_an_output(scheme, index, c))
}

/// `RootFloat16` on `f32` bits: `(lo, hi)` or `None`.
fn root_float16_f32(k: u32, b: u32) -> Option<(u32, u32)> {
    let drop = 23 - k;
    if b & ((1 << drop) - 1) != 0 {
        return None;
    }
    let sign = b & 0x8000_0000;
    let e = (b >> 23) & 0xff;
    let q = (b & 0x007f_ffff) >> drop;
    let qmax = (1u32 << k) - 1;
    let unit = drop - 1; // the rounded field has k + 1 bits: its unit is 2^(22 - k)
    // Mantissa range of the inputs: field f = 0 for q = 0, f in {2q-1, 2q} otherwise, plus the
    // saturated f = 2^(k+1) - 1 for the top q.
    let mlo = if q == 0 { 0 } else { (2 * q - 1) << unit };
    let mhi = if q == qmax { 0x007f_ffff } else { ((2 * q + 1) << unit) - 1 };
    let base = e << 23;
    if sign == 0 {
        // +0 also takes -0 (whose sign test `x < 0` is false).
        let lo = if b == 0 { 0x8000_0000 } else { base | mlo };
        Some((lo, base | mhi))
    } else if e == 0xff {
        // -Inf comes only from -Inf; negative NaN outputs do not exist (NaN loses its sign).
        (q == 0).then_some((b, b))
    } else {
        // Negative outputs: negative inputs of the same binade, -0 excluded (it gives +0).
        let mlo = if e == 0 && mlo == 0 { 1 } else { mlo };
        Some((sign | base | mhi, sign | base | mlo))
    }
}

fn root_float16<F: Float>(k: u32, c: F) -> Option<Interval<F>> {
    let k = if (2..=14).contains(&k) { k } else { 12 };
    through_f32(c, |b| root_float16_f32(k, b))
}

/// `Half` (RNTuple `Real16`) on `f32` bits: `(lo, hi)` or `None`. Round to nearest even onto
/// the half grid: a cell reaches halfway to each neighbour, both ties included for an even
/// mantissa and neither for an odd one. `±0` also takes up to `2^-25` (the tie goes to the even
/// zero); `±Inf` takes everything from `65520`; a NaN takes the quiet NaNs of its sign whose
/// payload agrees in the top 10 bits.
fn half_f32(b: u32) -> Option<(u32, u32)> {
    let c = f32::from_bits(b);
    let h = float_bits::reference::float_to_half(c);
    if float_bits::reference::half_to_float(h).to_bits() != b {
        return None;
    }
    let sign = b & 0x8000_0000;
    let a = b & 0x7fff_ffff;
    let (lo, hi) = if a > 0x7f80_0000 {
        (a, a | 0x1fff)
    } else if a == 0x7f80_0000 {
        (65520f32.to_bits(), a)
    } else {
        let m = u32::from(h & 0x7fff);
        let v = |m: u32| f64::from(float_bits::reference::half_to_float(m as u16));
        let (below, here) = (if m == 0 { 0.0 } else { v(m - 1) }, v(m));
        // Above the largest finite half lies 65536, where the overflow to Inf begins.
        let above = if m == 0x7bff { 65536.0 } else { v(m + 1) };
        // Midpoints are exact in f64 and representable in f32 (12 significant bits, or a
        // multiple of 2^-25 among the subnormals).
        let (mid_lo, mid_hi) = ((below + here) / 2.0, (here + above) / 2.0);
        let (lo, hi) = ((mid_lo as f32).to_bits(), (mid_hi as f32).to_bits());
        if m == 0 {
            (0, hi)
        } else if m & 1 == 0 {
            (lo, hi)
        } else {
            (lo + 1, hi - 1)
        }
    };
    Some(if sign == 0 { (lo, hi) } else { (sign | hi, sign | lo) })
}

/// The preimage of a scheme that rounds `f64` to `f32` before its `f32` rule, from that rule's
/// preimage on `f32` bits: for `f32`, the bits themselves; for `f64`, every `f64` whose
/// conversion to `f32` lands in the `f32` preimage. A NaN output on `f64` gets the point
/// interval of itself (the `f64` NaNs that map to it are not one interval).
fn through_f32<F: Float>(c: F, pre32: impl Fn(u32) -> Option<(u32, u32)>) -> Option<Interval<F>> {
    if F::MANTISSA_BITS == 23 {
        let (lo, hi) = pre32(c.to_bits().widen() as u32)?;
        return Some(Interval::from_ordered(
            F::from_bits(F::Bits::truncate(u64::from(lo))),
            F::from_bits(F::Bits::truncate(u64::from(hi))),
        ));
    }
    let c32 = c.to_f64() as f32;
    if F::from_f32(c32).to_bits() != c.to_bits() {
        return None;
    }
    if c.is_nan() {
        return pre32(c32.to_bits()).map(|_| Interval::point(c));
    }
    let (lo32, hi32) = pre32(c32.to_bits())?;
    let (klo, khi) = (key(f32::from_bits(lo32)), key(f32::from_bits(hi32)));
    let to32 = |x: F| key(x.to_f64() as f32);
    let lo = first_key::<F>(|x| to32(x) >= klo)?;
    let hi = last_key::<F>(|x| to32(x) <= khi)?;
    Some(Interval::from_ordered(lo, hi))
}

/// Keys of the non-NaN floats of `F`: from `-Inf` to `+Inf`.
fn non_nan_keys<F: Float>() -> (u64, u64) {
    (key(F::neg_infinity()), key(F::infinity()))
}

/// The smallest non-NaN float where the monotone predicate turns true.
fn first_key<F: Float>(pred: impl Fn(F) -> bool) -> Option<F> {
    let (mut lo, mut hi) = non_nan_keys::<F>();
    if !pred(from_key(hi)) {
        return None;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(from_key(mid)) { hi = mid } else { lo = mid + 1 }
    }
    Some(from_key(lo))
}

/// The largest non-NaN float where the monotone (decreasing) predicate is still true.
fn last_key<F: Float>(pred: impl Fn(F) -> bool) -> Option<F> {
    let (mut lo, mut hi) = non_nan_keys::<F>();
    if !pred(from_key(lo)) {
        return None;
    }
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if pred(from_key(mid)) { lo = mid } else { hi = mid - 1 }
    }
    Some(from_key(lo))
}

/// The codes `[a_lo, a_hi]` (within `0..=top`) whose decoding is bit-for-bit `c`.
fn codes_of<F: Float>(c: F, top: u32, decode: impl Fn(u32) -> F) -> Option<(u32, u32)> {
    if c.is_nan() {
        return None;
    }
    let kc = key(c);
    // First code decoding to >= c.
    let (mut lo, mut hi) = (0u64, u64::from(top) + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if key(decode(mid as u32)) >= kc { hi = mid } else { lo = mid + 1 }
    }
    if lo > u64::from(top) || key(decode(lo as u32)) != kc {
        return None;
    }
    let a_lo = lo as u32;
    // Last code decoding to <= c.
    let (mut lo, mut hi) = (u64::from(a_lo), u64::from(top));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if key(decode(mid as u32)) <= kc { lo = mid } else { hi = mid - 1 }
    }
    Some((a_lo, lo as u32))
}

fn root_range<F: Float>(s: &RootRange, c: F) -> Option<Interval<F>> {
    let (min, max, n) = (s.min(), s.max(), s.n());
    let top = reference::root_range_encode(F::infinity(), min, max, n);
    let (a_lo, a_hi) = codes_of(c, top, |a| s.decode::<F>(a))?;
    let lo = if a_lo == 0 { F::neg_infinity() } else { first_key::<F>(|x| s.encode(x) >= a_lo)? };
    let hi = if a_hi == top { F::infinity() } else { last_key::<F>(|x| s.encode(x) <= a_hi)? };
    // A decoded value whose codes no input encodes to (the code step is finer than the float
    // spacing there) has an empty preimage: the search then crosses over.
    (key(lo) <= key(hi) && s.compress(lo).to_bits() == c.to_bits()).then(|| Interval::from_ordered(lo, hi))
}

fn rntuple_quant<F: Float>(s: &RntupleQuant, c: F) -> Option<Interval<F>> {
    let (min, max) = (s.min(), s.max());
    let top = s.max_code();
    let (a_lo, a_hi) = codes_of(c, top, |a| s.decode::<F>(a).unwrap_or(F::nan()))?;
    // Inputs outside [min, max] are errors, not members: rank them below / above every code.
    let rank = |x: F| -> i64 {
        let v = x.to_f64();
        if v < min {
            -1
        } else if v > max {
            i64::from(top) + 1
        } else {
            s.encode(x).map_or(-1, i64::from)
        }
    };
    let lo = first_key::<F>(|x| rank(x) >= i64::from(a_lo))?;
    let hi = last_key::<F>(|x| rank(x) <= i64::from(a_hi))?;
    // Both ends must be genuine members (in range, right code).
    (key(lo) <= key(hi) && s.compress(lo).ok()?.to_bits() == c.to_bits()).then(|| Interval::from_ordered(lo, hi))
}

/// Slice form of [`preimage`]: writes the bounds of each `c[i]` to `lo[i]` and `hi[i]`.
///
/// The mantissa schemes (`Atlas`, `NearestEven`, `TowardZero`) use a branch-free closed form
/// that the compiler vectorises; the others call [`preimage`] per value (about 190 scheme
/// evaluations each for the quantising schemes, which search the codes and the inputs). On error (the first value that is not a
/// possible output, by index) the output slices are partly written.
///
/// ```
/// use float_bits::Scheme;
/// let s = Scheme::atlas(7)?;
/// let mut c = vec![1.0f32, -3.5, 1.0e-3];
/// s.compress_in_place(&mut c)?;
/// let (mut lo, mut hi) = (vec![0f32; 3], vec![0f32; 3]);
/// quant_bounds::preimages(&s, &c, &mut lo, &mut hi)?;
/// assert!(lo[1] < -3.5 && hi[1] > -3.5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preimages<F: Float>(scheme: &Scheme, c: &[F], lo: &mut [F], hi: &mut [F]) -> Result<()> {
    preimages_with(Backend::detect(), scheme, c, lo, hi)
}

/// [`preimages`] on a chosen back-end (benchmarks and tests force each one; all give
/// bit-identical bounds); [`Error::BackendUnavailable`] if this CPU lacks it.
///
/// ```
/// use float_bits::{Backend, Scheme};
/// let s = Scheme::atlas(7)?;
/// let c = [1.0f32, 40_960.0];
/// let (mut lo, mut hi) = ([0f32; 2], [0f32; 2]);
/// quant_bounds::preimages_with(Backend::Scalar, &s, &c, &mut lo, &mut hi)?;
/// let whole = quant_bounds::preimage(&s, 40_960.0f32)?;
/// assert_eq!((lo[1], hi[1]), (whole.lo(), whole.hi()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preimages_with<F: Float>(backend: Backend, scheme: &Scheme, c: &[F], lo: &mut [F], hi: &mut [F]) -> Result<()> {
    if c.len() != lo.len() || c.len() != hi.len() {
        return Err(Error::LengthMismatch {
            what: "compressed vs lo/hi",
            left: c.len(),
            right: lo.len().min(hi.len()),
        });
    }
    if !backend.is_available() {
        return Err(Error::BackendUnavailable(backend));
    }
    if let Some(p) = mantissa_pre::<F>(scheme) {
        if !bounds_slice(backend, &p, c, lo, hi) {
            let i = c.iter().position(|x| !p.bounds(x.to_bits()).2).unwrap_or(0);
            return Err(not_an_output(scheme, i, c[i]));
        }
        return Ok(());
    }
    for (i, ((x, l), h)) in c.iter().zip(lo.iter_mut()).zip(hi.iter_mut()).enumerate() {
        let iv = preimage_at(scheme, i, *x)?;
        *l = iv.lo();
        *h = iv.hi();
    }
    Ok(())
}

/// The mantissa-rule loop with the rule hoisted out, so that each rule's loop is branch-free
/// and vectorises; compiled for the `backend` the caller checked is available. Returns whether every
/// value was a possible output.
fn bounds_slice<F: Float>(backend: Backend, p: &MantissaPre<F::Bits>, c: &[F], lo: &mut [F], hi: &mut [F]) -> bool {
    #[inline(always)]
    fn run<F: Float>(p: &MantissaPre<F::Bits>, c: &[F], lo: &mut [F], hi: &mut [F]) -> bool {
        #[inline(always)]
        fn each<F: Float>(
            c: &[F],
            lo: &mut [F],
            hi: &mut [F],
            f: impl Fn(F::Bits) -> (F::Bits, F::Bits, bool),
        ) -> bool {
            let mut ok = true;
            for ((x, l), h) in c.iter().zip(lo.iter_mut()).zip(hi.iter_mut()) {
                let (a, b, v) = f(x.to_bits());
                *l = F::from_bits(a);
                *h = F::from_bits(b);
                ok &= v;
            }
            ok
        }
        match p.rule {
            Rule::Identity => each(c, lo, hi, |b| (b, b, true)),
            Rule::Atlas => each(c, lo, hi, |b| p.atlas(b)),
            Rule::Cms => each(c, lo, hi, |b| p.cms(b)),
            Rule::NearestEven => each(c, lo, hi, |b| p.nearest_even(b)),
            Rule::TowardZero => each(c, lo, hi, |b| p.toward_zero(b)),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = backend; // only x86-64 has kernels of its own
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
        unsafe fn wide<F: Float>(p: &MantissaPre<F::Bits>, c: &[F], lo: &mut [F], hi: &mut [F]) -> bool {
            run(p, c, lo, hi)
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn narrow<F: Float>(p: &MantissaPre<F::Bits>, c: &[F], lo: &mut [F], hi: &mut [F]) -> bool {
            run(p, c, lo, hi)
        }
        match backend {
            // SAFETY: the caller checked `backend.is_available()`: its features (those enabled
            // here, `Backend::features`) were detected on this CPU; the function runs safe code.
            Backend::Avx512 => return unsafe { wide(p, c, lo, hi) },
            // SAFETY: as above.
            Backend::Avx2 => return unsafe { narrow(p, c, lo, hi) },
            _ => {}
        }
    }
    run(p, c, lo, hi)
}
