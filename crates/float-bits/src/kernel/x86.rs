//! x86-64 AVX2 / AVX-512F kernels.
//!
//! Each mantissa rule is a small integer program on the raw bits, written once per vector width
//! as `#[inline(always)]` helpers that are only ever inlined into the `#[target_feature]`
//! drivers below (the pattern of the `memchr` crate). The drivers are `unsafe` and only called
//! after run-time detection of the feature.

use core::arch::x86_64::*;

use super::Mantissa;
use crate::float::Float;
use crate::reference;

/// One mantissa rule on one lane type, for both vector widths and the scalar tail.
trait Rule: Copy {
    type Lane: Copy;
    /// The rule on 512 bits of lanes.
    ///
    /// # Safety
    /// Only called from an `avx512f` context.
    unsafe fn v512(self, b: __m512i) -> __m512i;
    /// The rule on 256 bits of lanes.
    ///
    /// # Safety
    /// Only called from an `avx2` context.
    unsafe fn v256(self, b: __m256i) -> __m256i;
    /// The scalar reference, for tails.
    fn scalar(self, b: Self::Lane) -> Self::Lane;
}

/// Constants of a mantissa rule for `k` kept bits out of `m` (23 or 52).
#[derive(Clone, Copy)]
struct Consts {
    k: u32,
    /// Dropped bits, `m - k`.
    shift: u64,
    /// Half of the last kept bit (`1 << (shift - 1)`).
    half: u64,
    /// Keeps sign, exponent and `k` mantissa bits.
    mask: u64,
    /// Atlas's `vmax` guard.
    vmax: u64,
    /// CMS: the mantissa field below which a set first dropped bit rounds up,
    /// `(2^k - 2) << shift`.
    cms_limit: u64,
}

impl Consts {
    fn new(k: u32, m: u32, max_finite: u64) -> Self {
        let shift = u64::from(m - k);
        let half = 1u64 << (shift - 1);
        // CMS has k >= 1; for the other rules (k may be 0) the value is unused.
        let cms_limit = (1u64 << k).wrapping_sub(2) << shift;
        Consts { k, shift, half, mask: !((1u64 << shift) - 1), vmax: max_finite - half, cms_limit }
    }
}

macro_rules! rule_types {
    ($($name:ident),*) => { $( #[derive(Clone, Copy)] struct $name(Consts); )* };
}
rule_types!(Atlas32, NearestEven32, Cms32, TowardZero32, RootFloat16x32, Atlas64, NearestEven64, Cms64, TowardZero64);

const ABS32: i32 = 0x7fff_ffff;
const INF32: i32 = 0x7f80_0000;
const MANT32: i32 = 0x007f_ffff;
const ABS64: i64 = 0x7fff_ffff_ffff_ffff;
const INF64: i64 = 0x7ff0_0000_0000_0000;
const MANT64: i64 = 0x000f_ffff_ffff_ffff;

impl Rule for Atlas32 {
    type Lane = u32;
    #[inline(always)]
    unsafe fn v512(self, b: __m512i) -> __m512i {
        let c = self.0;
        // SAFETY: caller runs in an avx512f context.
        unsafe {
            let a = _mm512_and_si512(b, _mm512_set1_epi32(ABS32));
            let round = _mm512_cmplt_epu32_mask(a, _mm512_set1_epi32(c.vmax as i32));
            let finite = _mm512_cmplt_epu32_mask(a, _mm512_set1_epi32(INF32));
            let added = _mm512_mask_add_epi32(b, round, b, _mm512_set1_epi32(c.half as i32));
            let masked = _mm512_and_si512(added, _mm512_set1_epi32(c.mask as i32));
            _mm512_mask_blend_epi32(finite, b, masked)
        }
    }
    #[inline(always)]
    unsafe fn v256(self, b: __m256i) -> __m256i {
        let c = self.0;
        // SAFETY: caller runs in an avx2 context. Magnitudes are below 2^31, so signed
        // comparisons order them correctly.
        unsafe {
            let a = _mm256_and_si256(b, _mm256_set1_epi32(ABS32));
            let round = _mm256_cmpgt_epi32(_mm256_set1_epi32(c.vmax as i32), a);
            let finite = _mm256_cmpgt_epi32(_mm256_set1_epi32(INF32), a);
            let added = _mm256_add_epi32(b, _mm256_and_si256(round, _mm256_set1_epi32(c.half as i32)));
            let masked = _mm256_and_si256(added, _mm256_set1_epi32(c.mask as i32));
            _mm256_blendv_epi8(b, masked, finite)
        }
    }
    #[inline(always)]
    fn scalar(self, b: u32) -> u32 {
        reference::atlas(f32::from_bits(b), self.0.k).to_bits()
    }
}

impl Rule for NearestEven32 {
    type Lane = u32;
    #[inline(always)]
    unsafe fn v512(self, b: __m512i) -> __m512i {
        let c = self.0;
        // SAFETY: caller runs in an avx512f context.
        unsafe {
            let a = _mm512_and_si512(b, _mm512_set1_epi32(ABS32));
            let finite = _mm512_cmplt_epu32_mask(a, _mm512_set1_epi32(INF32));
            let lsb = _mm512_and_si512(_mm512_srlv_epi32(b, _mm512_set1_epi32(c.shift as i32)), _mm512_set1_epi32(1));
            let sum = _mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32((c.half - 1) as i32)), lsb);
            let masked = _mm512_and_si512(sum, _mm512_set1_epi32(c.mask as i32));
            _mm512_mask_blend_epi32(finite, b, masked)
        }
    }
    #[inline(always)]
    unsafe fn v256(self, b: __m256i) -> __m256i {
        let c = self.0;
        // SAFETY: caller runs in an avx2 context; magnitudes are below 2^31.
        unsafe {
            let a = _mm256_and_si256(b, _mm256_set1_epi32(ABS32));
            let finite = _mm256_cmpgt_epi32(_mm256_set1_epi32(INF32), a);
            let lsb = _mm256_and_si256(_mm256_srlv_epi32(b, _mm256_set1_epi32(c.shift as i32)), _mm256_set1_epi32(1));
            let sum = _mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32((c.half - 1) as i32)), lsb);
            let masked = _mm256_and_si256(sum, _mm256_set1_epi32(c.mask as i32));
            _mm256_blendv_epi8(b, masked, finite)
        }
    }
    #[inline(always)]
    fn scalar(self, b: u32) -> u32 {
        reference::nearest_even(f32::from_bits(b), self.0.k).to_bits()
    }
}

/// CMS rounding: `(b & mask) + unit` where the first dropped bit is set and the mantissa field
/// is below `(2^k - 2) << shift` (so the increment never leaves the mantissa), `b & mask`
/// elsewhere; NaN and ±Inf take the same path, as in CMSSW.
impl Rule for Cms32 {
    type Lane = u32;
    #[inline(always)]
    unsafe fn v512(self, b: __m512i) -> __m512i {
        let c = self.0;
        // SAFETY: caller runs in an avx512f context.
        unsafe {
            let test = _mm512_test_epi32_mask(b, _mm512_set1_epi32(c.half as i32));
            let field = _mm512_and_si512(b, _mm512_set1_epi32(MANT32));
            let up = _mm512_mask_cmplt_epu32_mask(test, field, _mm512_set1_epi32(c.cms_limit as i32));
            let masked = _mm512_and_si512(b, _mm512_set1_epi32(c.mask as i32));
            _mm512_mask_add_epi32(masked, up, masked, _mm512_set1_epi32((c.half << 1) as i32))
        }
    }
    #[inline(always)]
    unsafe fn v256(self, b: __m256i) -> __m256i {
        let c = self.0;
        // SAFETY: caller runs in an avx2 context. Mantissa fields are below 2^23, so signed
        // comparisons order them correctly.
        unsafe {
            let half = _mm256_set1_epi32(c.half as i32);
            let test = _mm256_cmpeq_epi32(_mm256_and_si256(b, half), half);
            let field = _mm256_and_si256(b, _mm256_set1_epi32(MANT32));
            let below = _mm256_cmpgt_epi32(_mm256_set1_epi32(c.cms_limit as i32), field);
            let up = _mm256_and_si256(test, below);
            let masked = _mm256_and_si256(b, _mm256_set1_epi32(c.mask as i32));
            _mm256_add_epi32(masked, _mm256_and_si256(up, _mm256_set1_epi32((c.half << 1) as i32)))
        }
    }
    #[inline(always)]
    fn scalar(self, b: u32) -> u32 {
        reference::cms(f32::from_bits(b), self.0.k).to_bits()
    }
}

/// [`Cms32`] on `f64` bits.
impl Rule for Cms64 {
    type Lane = u64;
    #[inline(always)]
    unsafe fn v512(self, b: __m512i) -> __m512i {
        let c = self.0;
        // SAFETY: caller runs in an avx512f context.
        unsafe {
            let test = _mm512_test_epi64_mask(b, _mm512_set1_epi64(c.half as i64));
            let field = _mm512_and_si512(b, _mm512_set1_epi64(MANT64));
            let up = _mm512_mask_cmplt_epu64_mask(test, field, _mm512_set1_epi64(c.cms_limit as i64));
            let masked = _mm512_and_si512(b, _mm512_set1_epi64(c.mask as i64));
            _mm512_mask_add_epi64(masked, up, masked, _mm512_set1_epi64((c.half << 1) as i64))
        }
    }
    #[inline(always)]
    unsafe fn v256(self, b: __m256i) -> __m256i {
        let c = self.0;
        // SAFETY: caller runs in an avx2 context; mantissa fields are below 2^52.
        unsafe {
            let half = _mm256_set1_epi64x(c.half as i64);
            let test = _mm256_cmpeq_epi64(_mm256_and_si256(b, half), half);
            let field = _mm256_and_si256(b, _mm256_set1_epi64x(MANT64));
            let below = _mm256_cmpgt_epi64(_mm256_set1_epi64x(c.cms_limit as i64), field);
            let up = _mm256_and_si256(test, below);
            let masked = _mm256_and_si256(b, _mm256_set1_epi64x(c.mask as i64));
            _mm256_add_epi64(masked, _mm256_and_si256(up, _mm256_set1_epi64x((c.half << 1) as i64)))
        }
    }
    #[inline(always)]
    fn scalar(self, b: u64) -> u64 {
        reference::cms(f64::from_bits(b), self.0.k).to_bits()
    }
}

impl Rule for TowardZero32 {
    type Lane = u32;
    #[inline(always)]
    unsafe fn v512(self, b: __m512i) -> __m512i {
        // SAFETY: caller runs in an avx512f context.
        unsafe { _mm512_and_si512(b, _mm512_set1_epi32(self.0.mask as i32)) }
    }
    #[inline(always)]
    unsafe fn v256(self, b: __m256i) -> __m256i {
        // SAFETY: caller runs in an avx2 context.
        unsafe { _mm256_and_si256(b, _mm256_set1_epi32(self.0.mask as i32)) }
    }
    #[inline(always)]
    fn scalar(self, b: u32) -> u32 {
        reference::toward_zero(f32::from_bits(b), self.0.k).to_bits()
    }
}

impl Rule for RootFloat16x32 {
    type Lane = u32;
    #[inline(always)]
    unsafe fn v512(self, b: __m512i) -> __m512i {
        let k = self.0.k as i32;
        // SAFETY: caller runs in an avx512f context.
        unsafe {
            let exp = _mm512_and_si512(b, _mm512_set1_epi32(INF32));
            let field = _mm512_and_si512(
                _mm512_srlv_epi32(b, _mm512_set1_epi32(22 - k)),
                _mm512_set1_epi32((1 << (k + 1)) - 1),
            );
            let man = _mm512_srli_epi32::<1>(_mm512_add_epi32(field, _mm512_set1_epi32(1)));
            let man = _mm512_min_epu32(man, _mm512_set1_epi32((1 << k) - 1));
            let out = _mm512_or_si512(exp, _mm512_sllv_epi32(man, _mm512_set1_epi32(23 - k)));
            // `x < 0`: sign set, magnitude non-zero and not NaN, i.e. magnitude - 1 < INF.
            let a = _mm512_and_si512(b, _mm512_set1_epi32(ABS32));
            let neg = _mm512_mask_cmplt_epu32_mask(
                _mm512_cmplt_epu32_mask(b, _mm512_set1_epi32(i32::MIN)) ^ 0xffff,
                _mm512_sub_epi32(a, _mm512_set1_epi32(1)),
                _mm512_set1_epi32(INF32),
            );
            _mm512_mask_or_epi32(out, neg, out, _mm512_set1_epi32(i32::MIN))
        }
    }
    #[inline(always)]
    unsafe fn v256(self, b: __m256i) -> __m256i {
        let k = self.0.k as i32;
        // SAFETY: caller runs in an avx2 context.
        unsafe {
            let exp = _mm256_and_si256(b, _mm256_set1_epi32(INF32));
            let field = _mm256_and_si256(
                _mm256_srlv_epi32(b, _mm256_set1_epi32(22 - k)),
                _mm256_set1_epi32((1 << (k + 1)) - 1),
            );
            let man = _mm256_srli_epi32::<1>(_mm256_add_epi32(field, _mm256_set1_epi32(1)));
            let man = _mm256_min_epu32(man, _mm256_set1_epi32((1 << k) - 1));
            let out = _mm256_or_si256(exp, _mm256_sllv_epi32(man, _mm256_set1_epi32(23 - k)));
            // Signed view: b < 0 is the sign bit; magnitude - 1 in [0, INF) (no overflow: the
            // magnitude is below 2^31, and 0 - 1 = -1 fails the signed test).
            let a = _mm256_and_si256(b, _mm256_set1_epi32(ABS32));
            let am1 = _mm256_sub_epi32(a, _mm256_set1_epi32(1));
            let in_range = _mm256_andnot_si256(
                _mm256_cmpgt_epi32(_mm256_setzero_si256(), am1),
                _mm256_cmpgt_epi32(_mm256_set1_epi32(INF32), am1),
            );
            let sign = _mm256_and_si256(b, _mm256_set1_epi32(i32::MIN));
            _mm256_or_si256(out, _mm256_and_si256(sign, in_range))
        }
    }
    #[inline(always)]
    fn scalar(self, b: u32) -> u32 {
        reference::root_float16_f32(f32::from_bits(b), self.0.k).to_bits()
    }
}

impl Rule for Atlas64 {
    type Lane = u64;
    #[inline(always)]
    unsafe fn v512(self, b: __m512i) -> __m512i {
        let c = self.0;
        // SAFETY: caller runs in an avx512f context.
        unsafe {
            let a = _mm512_and_si512(b, _mm512_set1_epi64(ABS64));
            let round = _mm512_cmplt_epu64_mask(a, _mm512_set1_epi64(c.vmax as i64));
            let finite = _mm512_cmplt_epu64_mask(a, _mm512_set1_epi64(INF64));
            let added = _mm512_mask_add_epi64(b, round, b, _mm512_set1_epi64(c.half as i64));
            let masked = _mm512_and_si512(added, _mm512_set1_epi64(c.mask as i64));
            _mm512_mask_blend_epi64(finite, b, masked)
        }
    }
    #[inline(always)]
    unsafe fn v256(self, b: __m256i) -> __m256i {
        let c = self.0;
        // SAFETY: caller runs in an avx2 context; magnitudes are below 2^63.
        unsafe {
            let a = _mm256_and_si256(b, _mm256_set1_epi64x(ABS64));
            let round = _mm256_cmpgt_epi64(_mm256_set1_epi64x(c.vmax as i64), a);
            let finite = _mm256_cmpgt_epi64(_mm256_set1_epi64x(INF64), a);
            let added = _mm256_add_epi64(b, _mm256_and_si256(round, _mm256_set1_epi64x(c.half as i64)));
            let masked = _mm256_and_si256(added, _mm256_set1_epi64x(c.mask as i64));
            _mm256_blendv_epi8(b, masked, finite)
        }
    }
    #[inline(always)]
    fn scalar(self, b: u64) -> u64 {
        reference::atlas(f64::from_bits(b), self.0.k).to_bits()
    }
}

impl Rule for NearestEven64 {
    type Lane = u64;
    #[inline(always)]
    unsafe fn v512(self, b: __m512i) -> __m512i {
        let c = self.0;
        // SAFETY: caller runs in an avx512f context.
        unsafe {
            let a = _mm512_and_si512(b, _mm512_set1_epi64(ABS64));
            let finite = _mm512_cmplt_epu64_mask(a, _mm512_set1_epi64(INF64));
            let lsb = _mm512_and_si512(_mm512_srlv_epi64(b, _mm512_set1_epi64(c.shift as i64)), _mm512_set1_epi64(1));
            let sum = _mm512_add_epi64(_mm512_add_epi64(b, _mm512_set1_epi64((c.half - 1) as i64)), lsb);
            let masked = _mm512_and_si512(sum, _mm512_set1_epi64(c.mask as i64));
            _mm512_mask_blend_epi64(finite, b, masked)
        }
    }
    #[inline(always)]
    unsafe fn v256(self, b: __m256i) -> __m256i {
        let c = self.0;
        // SAFETY: caller runs in an avx2 context; magnitudes are below 2^63.
        unsafe {
            let a = _mm256_and_si256(b, _mm256_set1_epi64x(ABS64));
            let finite = _mm256_cmpgt_epi64(_mm256_set1_epi64x(INF64), a);
            let lsb = _mm256_and_si256(_mm256_srlv_epi64(b, _mm256_set1_epi64x(c.shift as i64)), _mm256_set1_epi64x(1));
            let sum = _mm256_add_epi64(_mm256_add_epi64(b, _mm256_set1_epi64x((c.half - 1) as i64)), lsb);
            let masked = _mm256_and_si256(sum, _mm256_set1_epi64x(c.mask as i64));
            _mm256_blendv_epi8(b, masked, finite)
        }
    }
    #[inline(always)]
    fn scalar(self, b: u64) -> u64 {
        reference::nearest_even(f64::from_bits(b), self.0.k).to_bits()
    }
}

impl Rule for TowardZero64 {
    type Lane = u64;
    #[inline(always)]
    unsafe fn v512(self, b: __m512i) -> __m512i {
        // SAFETY: caller runs in an avx512f context.
        unsafe { _mm512_and_si512(b, _mm512_set1_epi64(self.0.mask as i64)) }
    }
    #[inline(always)]
    unsafe fn v256(self, b: __m256i) -> __m256i {
        // SAFETY: caller runs in an avx2 context.
        unsafe { _mm256_and_si256(b, _mm256_set1_epi64x(self.0.mask as i64)) }
    }
    #[inline(always)]
    fn scalar(self, b: u64) -> u64 {
        reference::toward_zero(f64::from_bits(b), self.0.k).to_bits()
    }
}

/// Lanes per vector for a lane type.
trait LaneCount {
    const PER_512: usize;
    const PER_256: usize;
}
impl LaneCount for u32 {
    const PER_512: usize = 16;
    const PER_256: usize = 8;
}
impl LaneCount for u64 {
    const PER_512: usize = 8;
    const PER_256: usize = 4;
}

/// Outputs at least this large (and not in place) are written with non-temporal stores, as
/// `memcpy` does: the destination is not read into the cache first, which saves a third of the
/// memory traffic on data far larger than the caches.
const STREAM_BYTES: usize = 4 << 20;

/// Whether to stream the output of an `n`-lane kernel.
fn streaming<T>(src: *const T, dst: *mut T, n: usize) -> bool {
    !core::ptr::eq(src, dst) && n * core::mem::size_of::<T>() >= STREAM_BYTES
}

/// # Safety
/// avx512f available; `src` valid for `n` reads, `dst` for `n` writes, equal or disjoint.
#[target_feature(enable = "avx512f")]
unsafe fn drive512<R: Rule>(rule: R, src: *const R::Lane, dst: *mut R::Lane, n: usize)
where
    R::Lane: LaneCount,
{
    let step = R::Lane::PER_512;
    let mut i = 0;
    if streaming(src, dst, n) {
        // Lanes until `dst` is 64-byte aligned (lanes are naturally aligned, so this is exact).
        let head = ((64 - (dst as usize) % 64) % 64) / core::mem::size_of::<R::Lane>();
        // SAFETY: `head < step <= n`; the masked tail code below handles `head` lanes.
        unsafe { masked512(rule, src, dst, head) };
        i = head;
        while i + step <= n {
            // SAFETY: `i + step <= n` and `dst + i` is 64-byte aligned.
            unsafe {
                let v = _mm512_loadu_si512(src.add(i).cast());
                _mm512_stream_si512(dst.add(i).cast(), rule.v512(v));
            }
            i += step;
        }
        // SAFETY: orders the streaming stores before any later store; the rest is in bounds.
        unsafe {
            _mm_sfence();
            masked512(rule, src.add(i), dst.add(i), n - i);
        }
        return;
    }
    // Two vectors per iteration keep both load ports busy.
    while i + 2 * step <= n {
        // SAFETY: `i + 2 * step <= n`; unaligned loads and stores.
        unsafe {
            let v0 = _mm512_loadu_si512(src.add(i).cast());
            let v1 = _mm512_loadu_si512(src.add(i + step).cast());
            _mm512_storeu_si512(dst.add(i).cast(), rule.v512(v0));
            _mm512_storeu_si512(dst.add(i + step).cast(), rule.v512(v1));
        }
        i += 2 * step;
    }
    while i < n {
        let left = n - i;
        if left >= step {
            // SAFETY: `i + step <= n`.
            unsafe {
                let v = _mm512_loadu_si512(src.add(i).cast());
                _mm512_storeu_si512(dst.add(i).cast(), rule.v512(v));
            }
            i += step;
        } else {
            // SAFETY: `left < step` lanes remain.
            unsafe { masked512(rule, src.add(i), dst.add(i), left) };
            i = n;
        }
    }
}

/// The first `left < step` lanes through a masked load and store.
///
/// # Safety
/// avx512f available; `src` valid for `left` reads, `dst` for `left` writes; masked-off lanes
/// are neither read nor written (and cannot fault).
#[target_feature(enable = "avx512f")]
unsafe fn masked512<R: Rule>(rule: R, src: *const R::Lane, dst: *mut R::Lane, left: usize)
where
    R::Lane: LaneCount,
{
    if left == 0 {
        return;
    }
    // SAFETY: see the function's contract.
    unsafe {
        if R::Lane::PER_512 == 16 {
            let m: __mmask16 = ((1u32 << left) - 1) as u16;
            let v = _mm512_maskz_loadu_epi32(m, src.cast());
            _mm512_mask_storeu_epi32(dst.cast(), m, rule.v512(v));
        } else {
            let m: __mmask8 = ((1u32 << left) - 1) as u8;
            let v = _mm512_maskz_loadu_epi64(m, src.cast());
            _mm512_mask_storeu_epi64(dst.cast(), m, rule.v512(v));
        }
    }
}

/// # Safety
/// avx2 available; `src` valid for `n` reads, `dst` for `n` writes, equal or disjoint.
#[target_feature(enable = "avx2")]
unsafe fn drive256<R: Rule>(rule: R, src: *const R::Lane, dst: *mut R::Lane, n: usize)
where
    R::Lane: LaneCount,
{
    let step = R::Lane::PER_256;
    let mut i = 0;
    if streaming(src, dst, n) {
        // Scalar lanes until `dst` is 32-byte aligned, then aligned streaming stores.
        let head = ((32 - (dst as usize) % 32) % 32) / core::mem::size_of::<R::Lane>();
        for j in 0..head {
            // SAFETY: `head < step <= n`; read before write.
            unsafe { dst.add(j).write(rule.scalar(src.add(j).read())) };
        }
        i = head;
        while i + step <= n {
            // SAFETY: `i + step <= n` and `dst + i` is 32-byte aligned.
            unsafe {
                let v = _mm256_loadu_si256(src.add(i).cast());
                _mm256_stream_si256(dst.add(i).cast(), rule.v256(v));
            }
            i += step;
        }
        // Orders the streaming stores before any later store.
        _mm_sfence();
    }
    while i + 2 * step <= n {
        // SAFETY: `i + 2 * step <= n`; unaligned loads and stores.
        unsafe {
            let v0 = _mm256_loadu_si256(src.add(i).cast());
            let v1 = _mm256_loadu_si256(src.add(i + step).cast());
            _mm256_storeu_si256(dst.add(i).cast(), rule.v256(v0));
            _mm256_storeu_si256(dst.add(i + step).cast(), rule.v256(v1));
        }
        i += 2 * step;
    }
    if i + step <= n {
        // SAFETY: `i + step <= n`.
        unsafe {
            let v = _mm256_loadu_si256(src.add(i).cast());
            _mm256_storeu_si256(dst.add(i).cast(), rule.v256(v));
        }
        i += step;
    }
    for j in i..n {
        // SAFETY: `j < n`; read before write.
        unsafe { dst.add(j).write(rule.scalar(src.add(j).read())) };
    }
}

/// # Safety
/// The back-end (`wide`: AVX-512F, else AVX2) is available; pointer contract of the drivers.
unsafe fn drive<R: Rule>(rule: R, wide: bool, src: *const R::Lane, dst: *mut R::Lane, n: usize)
where
    R::Lane: LaneCount,
{
    // SAFETY: forwarded.
    unsafe { if wide { drive512(rule, src, dst, n) } else { drive256(rule, src, dst, n) } }
}

/// Runs a mantissa rule over `f32` bits. Returns `true` (always: every rule has a kernel).
///
/// # Safety
/// See [`drive`].
pub(super) unsafe fn mantissa_u32(m: Mantissa, wide: bool, src: *const u32, dst: *mut u32, n: usize) -> bool {
    const M: u32 = <f32 as Float>::MANTISSA_BITS;
    let max = u64::from(<f32 as Float>::MAX_FINITE_BITS);
    let k = match m {
        Mantissa::Atlas(k)
        | Mantissa::NearestEven(k)
        | Mantissa::Cms(k)
        | Mantissa::TowardZero(k)
        | Mantissa::RootFloat16(k) => k,
    };
    let identity = k >= M && !matches!(m, Mantissa::RootFloat16(_));
    // SAFETY: forwarded; `src`/`dst` equal or disjoint.
    unsafe {
        if identity {
            if !core::ptr::eq(src, dst) {
                core::ptr::copy_nonoverlapping(src, dst, n);
            }
            return true;
        }
        let c = Consts::new(k.min(M - 1), M, max);
        match m {
            Mantissa::Atlas(_) => drive(Atlas32(c), wide, src, dst, n),
            Mantissa::NearestEven(_) => drive(NearestEven32(c), wide, src, dst, n),
            Mantissa::Cms(_) => drive(Cms32(c), wide, src, dst, n),
            Mantissa::TowardZero(_) => drive(TowardZero32(c), wide, src, dst, n),
            Mantissa::RootFloat16(_) => drive(RootFloat16x32(c), wide, src, dst, n),
        }
    }
    true
}

/// Runs a mantissa rule over `f64` bits. Returns `false` for `RootFloat16`, which has no
/// `u64` kernel (it goes through `f32`).
///
/// # Safety
/// See [`drive`].
pub(super) unsafe fn mantissa_u64(m: Mantissa, wide: bool, src: *const u64, dst: *mut u64, n: usize) -> bool {
    const M: u32 = <f64 as Float>::MANTISSA_BITS;
    let max = <f64 as Float>::MAX_FINITE_BITS;
    let k = match m {
        Mantissa::Atlas(k) | Mantissa::NearestEven(k) | Mantissa::Cms(k) | Mantissa::TowardZero(k) => k,
        Mantissa::RootFloat16(_) => return false,
    };
    // SAFETY: forwarded; `src`/`dst` equal or disjoint.
    unsafe {
        if k >= M {
            if !core::ptr::eq(src, dst) {
                core::ptr::copy_nonoverlapping(src, dst, n);
            }
            return true;
        }
        let c = Consts::new(k, M, max);
        match m {
            Mantissa::Atlas(_) => drive(Atlas64(c), wide, src, dst, n),
            Mantissa::NearestEven(_) => drive(NearestEven64(c), wide, src, dst, n),
            Mantissa::Cms(_) => drive(Cms64(c), wide, src, dst, n),
            Mantissa::TowardZero(_) => drive(TowardZero64(c), wide, src, dst, n),
            Mantissa::RootFloat16(_) => return false,
        }
    }
    true
}

/// The scalar function `f`, compiled for AVX-512F (`wide`) or AVX2 and vectorised by the
/// compiler: same IEEE operations, so bit-identical results.
///
/// # Safety
/// The back-end is available; `src` valid for `n` reads, `dst` for `n` writes, equal or
/// disjoint.
#[inline(always)]
pub(super) unsafe fn map<F: Float>(wide: bool, src: *const F, dst: *mut F, n: usize, f: impl Fn(F) -> F) {
    #[target_feature(enable = "avx512f,avx512dq,avx512vl")]
    unsafe fn map512<F: Float>(src: *const F, dst: *mut F, n: usize, f: impl Fn(F) -> F) {
        // SAFETY: forwarded.
        unsafe { super::map_scalar(src, dst, n, f) }
    }
    #[target_feature(enable = "avx2")]
    unsafe fn map256<F: Float>(src: *const F, dst: *mut F, n: usize, f: impl Fn(F) -> F) {
        // SAFETY: forwarded.
        unsafe { super::map_scalar(src, dst, n, f) }
    }
    // SAFETY: forwarded.
    unsafe { if wide { map512(src, dst, n, f) } else { map256(src, dst, n, f) } }
}
