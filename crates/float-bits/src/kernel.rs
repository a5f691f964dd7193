//! Slice kernels: run-time choice of a SIMD back-end, bit-identical to [`crate::reference`].

use crate::error::{Error, Result};
use crate::float::Float;
use crate::reference;
use crate::scheme::Scheme;

#[cfg(target_arch = "x86_64")]
mod x86;

/// Calls `$mapper(args.., f)` with `f` the scalar reference of the scheme's variant, so each
/// variant gets its own monomorphic loop.
macro_rules! map_each {
    ($scheme:expr, $mapper:path, $($arg:expr),*) => {
        match $scheme {
            Scheme::Atlas(a) => $mapper($($arg,)* move |x| a.compress(x)),
            Scheme::NearestEven(a) => $mapper($($arg,)* move |x| a.compress(x)),
            Scheme::Cms(a) => $mapper($($arg,)* move |x| a.compress(x)),
            Scheme::TowardZero(a) => $mapper($($arg,)* move |x| a.compress(x)),
            Scheme::RootFloat16(a) => $mapper($($arg,)* move |x| a.compress(x)),
            Scheme::RootRange(a) => $mapper($($arg,)* move |x| a.compress(x)),
            Scheme::RntupleQuant(a) => $mapper($($arg,)* move |x| quant_in_range(&a, x)),
            Scheme::Half(a) => $mapper($($arg,)* move |x| a.compress(x)),
        }
    };
}

/// The instruction set a slice kernel runs on: the one CPU-feature dispatch of the workspace.
///
/// [`Backend::detect`] picks the widest one the running CPU supports; the `*_with` methods of
/// [`Scheme`] let benchmarks and tests force one. Every back-end gives bit-identical results.
///
/// Mantissa schemes (`Atlas`, `NearestEven`, `Cms`, `TowardZero` on `f32` and `f64`, `RootFloat16` on
/// `f32`) have hand-written `std::arch` kernels; the quantising schemes, `Half` (and `RootFloat16`
/// on `f64`, which goes through `f32`) run the scalar reference compiled for the back-end's
/// instruction set and vectorised by the compiler.
///
/// `quant-bounds` (slice preimages) and `metrics` (pointwise accumulators) dispatch with this
/// type too, in one pattern: the loop is written once as an `#[inline(always)]` function, wrapped
/// by one `#[target_feature(enable = ...)]` function per back-end that enables exactly
/// [`Backend::features`], and chosen by a `match` on the `Backend` the caller passes (default
/// [`Backend::detect`]); a back-end the CPU lacks is an error, never undefined behaviour. Tests
/// force every back-end of [`Backend::available`] and name the ones they could not run
/// ([`Backend::unavailable`]).
///
/// ```
/// use float_bits::Backend;
///
/// #[inline(always)]
/// fn sum_of_squares(x: &[f32]) -> f32 {
///     x.iter().map(|v| v * v).sum()
/// }
/// #[cfg(target_arch = "x86_64")]
/// #[target_feature(enable = "avx2,fma")] // Backend::Avx2.features()
/// fn sum_of_squares_avx2(x: &[f32]) -> f32 {
///     sum_of_squares(x)
/// }
///
/// fn sum_of_squares_with(backend: Backend, x: &[f32]) -> Option<f32> {
///     if !backend.is_available() {
///         return None; // a typed error in real code
///     }
///     Some(match backend {
///         #[cfg(target_arch = "x86_64")]
///         // SAFETY: AVX2 and FMA were detected on this CPU.
///         Backend::Avx2 => unsafe { sum_of_squares_avx2(x) },
///         _ => sum_of_squares(x), // a back-end without a kernel of its own runs the portable loop
///     })
/// }
///
/// assert_eq!(Backend::Avx2.features(), "avx2,fma");
/// for b in Backend::available() {
///     assert_eq!(sum_of_squares_with(b, &[1.0, 2.0]), Some(5.0));
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// One value at a time, on any CPU: the portable fallback.
    Scalar,
    /// x86-64 AVX2 with FMA (256-bit vectors).
    Avx2,
    /// x86-64 AVX-512 F, DQ, VL and BW (512-bit vectors).
    Avx512,
}

impl Backend {
    /// Every back-end, widest last.
    ///
    /// ```
    /// assert_eq!(float_bits::Backend::ALL[0], float_bits::Backend::Scalar);
    /// ```
    pub const ALL: [Backend; 3] = [Backend::Scalar, Backend::Avx2, Backend::Avx512];

    /// The widest back-end the running CPU supports.
    ///
    /// ```
    /// println!("float-bits uses {:?}", float_bits::Backend::detect());
    /// ```
    pub fn detect() -> Self {
        if Backend::Avx512.is_available() {
            Backend::Avx512
        } else if Backend::Avx2.is_available() {
            Backend::Avx2
        } else {
            Backend::Scalar
        }
    }

    /// The target features this back-end stands for, as `#[target_feature(enable = ...)]`
    /// takes them: a kernel compiled for a back-end may use exactly these.
    ///
    /// ```
    /// assert_eq!(float_bits::Backend::Avx512.features(), "avx512f,avx512dq,avx512vl,avx512bw");
    /// assert_eq!(float_bits::Backend::Scalar.features(), "");
    /// ```
    pub fn features(self) -> &'static str {
        match self {
            Backend::Scalar => "",
            Backend::Avx2 => "avx2,fma",
            Backend::Avx512 => "avx512f,avx512dq,avx512vl,avx512bw",
        }
    }

    /// Whether this back-end can run on the current CPU: every one of its
    /// [`features`](Self::features) is detected.
    ///
    /// ```
    /// assert!(float_bits::Backend::Scalar.is_available());
    /// ```
    pub fn is_available(self) -> bool {
        match self {
            Backend::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx512bw")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx2 | Backend::Avx512 => false,
        }
    }

    /// The back-ends this CPU lacks, for tests to report what they could not run.
    ///
    /// ```
    /// use float_bits::Backend;
    /// assert_eq!(Backend::available().count() + Backend::unavailable().count(), Backend::ALL.len());
    /// ```
    pub fn unavailable() -> impl Iterator<Item = Backend> {
        Self::ALL.into_iter().filter(|b| !b.is_available())
    }

    /// The back-ends available on this CPU, narrowest first.
    ///
    /// ```
    /// assert_eq!(float_bits::Backend::available().next(), Some(float_bits::Backend::Scalar));
    /// ```
    pub fn available() -> impl Iterator<Item = Backend> {
        Self::ALL.into_iter().filter(|b| b.is_available())
    }
}

/// A mantissa-rounding rule and its kept bits, as the SIMD kernels see it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mantissa {
    Atlas(u32),
    NearestEven(u32),
    Cms(u32),
    TowardZero(u32),
    RootFloat16(u32),
}

impl Scheme {
    /// Compress a slice in place with the fastest back-end of this CPU.
    ///
    /// Fails only for [`RntupleQuant`](crate::RntupleQuant) with a value outside its range; the
    /// slice is then left unchanged and the error names the first such index.
    ///
    /// ```
    /// let mut v = [0.1f32, 0.2, 0.3];
    /// float_bits::Scheme::atlas(7)?.compress_in_place(&mut v)?;
    /// assert_eq!(v[0], 0.10009765625);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn compress_in_place<F: Float>(&self, values: &mut [F]) -> Result<()> {
        self.compress_in_place_with(Backend::detect(), values)
    }

    /// Compress `src` into `dst` (same length) with the fastest back-end of this CPU.
    ///
    /// ```
    /// let src = [0.1f64, -0.2];
    /// let mut dst = [0.0f64; 2];
    /// float_bits::Scheme::nearest_even(7)?.compress_into(&src, &mut dst)?;
    /// assert_eq!(dst[1], -0.2001953125);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn compress_into<F: Float>(&self, src: &[F], dst: &mut [F]) -> Result<()> {
        self.compress_into_with(Backend::detect(), src, dst)
    }

    /// [`compress_in_place`](Self::compress_in_place) on a chosen back-end;
    /// [`Error::BackendUnavailable`] if this CPU lacks it.
    ///
    /// ```
    /// use float_bits::{Backend, Scheme};
    /// let mut v = [1.999f32];
    /// Scheme::root_float16(7)?.compress_in_place_with(Backend::Scalar, &mut v)?;
    /// assert_eq!(v[0], 1.9921875);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn compress_in_place_with<F: Float>(&self, backend: Backend, values: &mut [F]) -> Result<()> {
        self.precheck(backend, values)?;
        let n = values.len();
        let p = values.as_mut_ptr();
        // SAFETY: `p` is valid for reads and writes of `n` elements; the kernels read element
        // `i` before writing element `i` and touch nothing else.
        unsafe { self.run(backend, p, p, n) };
        Ok(())
    }

    /// [`compress_into`](Self::compress_into) on a chosen back-end;
    /// [`Error::BackendUnavailable`] if this CPU lacks it.
    ///
    /// ```
    /// use float_bits::{Backend, Scheme};
    /// let mut dst = [0.0f32; 1];
    /// Scheme::toward_zero(7)?.compress_into_with(Backend::Scalar, &[1.999f32], &mut dst)?;
    /// assert_eq!(dst[0], 1.9921875);
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn compress_into_with<F: Float>(&self, backend: Backend, src: &[F], dst: &mut [F]) -> Result<()> {
        if src.len() != dst.len() {
            return Err(Error::LengthMismatch { input: src.len(), output: dst.len() });
        }
        self.precheck(backend, src)?;
        // SAFETY: `src` is valid for `len` reads, `dst` for `len` writes, and the borrows
        // guarantee they do not overlap.
        unsafe { self.run(backend, src.as_ptr(), dst.as_mut_ptr(), src.len()) };
        Ok(())
    }

    /// Checks that need no writing: back-end availability and, for `RntupleQuant`, the range.
    fn precheck<F: Float>(&self, backend: Backend, values: &[F]) -> Result<()> {
        if !backend.is_available() {
            return Err(Error::BackendUnavailable(backend));
        }
        if let Scheme::RntupleQuant(q) = self
            && let Some(i) = values.iter().position(|&x| !q.contains(x))
        {
            return Err(q.out_of_range(i, values[i]));
        }
        Ok(())
    }

    fn mantissa(&self) -> Option<Mantissa> {
        match *self {
            Scheme::Atlas(s) => Some(Mantissa::Atlas(s.k())),
            Scheme::NearestEven(s) => Some(Mantissa::NearestEven(s.k())),
            Scheme::Cms(s) => Some(Mantissa::Cms(s.k())),
            Scheme::TowardZero(s) => Some(Mantissa::TowardZero(s.k())),
            Scheme::RootFloat16(s) => Some(Mantissa::RootFloat16(s.k())),
            Scheme::RootRange(_) | Scheme::RntupleQuant(_) | Scheme::Half(_) => None,
        }
    }

    /// # Safety
    /// `src` valid for `n` reads, `dst` for `n` writes; they are equal or do not overlap;
    /// `backend` is available; for `RntupleQuant` every input is in range.
    unsafe fn run<F: Float>(&self, backend: Backend, src: *const F, dst: *mut F, n: usize) {
        #[cfg(target_arch = "x86_64")]
        if backend != Backend::Scalar {
            let wide = backend == Backend::Avx512;
            if let Some(m) = self.mantissa() {
                // SAFETY: forwarded caller contract; `F` is `f32` or `f64` (sealed), so the
                // pointer casts to `u32` / `u64` keep size, alignment and validity.
                let done = unsafe {
                    match F::MANTISSA_BITS {
                        23 => x86::mantissa_u32(m, wide, src.cast(), dst.cast(), n),
                        _ => x86::mantissa_u64(m, wide, src.cast(), dst.cast(), n),
                    }
                };
                if done {
                    return;
                }
            }
            // SAFETY: forwarded caller contract.
            unsafe { map_each!(*self, x86::map, wide, src, dst, n) };
            return;
        }
        let _ = backend;
        // SAFETY: forwarded caller contract.
        unsafe { map_each!(*self, map_scalar, src, dst, n) }
    }
}

/// Value of a range-checked `RntupleQuant` compression (the range was checked before).
#[inline(always)]
fn quant_in_range<F: Float>(q: &crate::RntupleQuant, x: F) -> F {
    reference::rntuple_quant_decode(
        reference::rntuple_quant_encode(x, q.min(), q.max(), q.n()).unwrap_or(0),
        q.min(),
        q.max(),
        q.n(),
    )
}

/// # Safety
/// `src` valid for `n` reads, `dst` for `n` writes; equal or non-overlapping.
#[inline(always)]
unsafe fn map_scalar<F: Float>(src: *const F, dst: *mut F, n: usize, f: impl Fn(F) -> F) {
    for i in 0..n {
        // SAFETY: `i < n`; element `i` is read before it is written.
        unsafe { dst.add(i).write(f(src.add(i).read())) };
    }
}
