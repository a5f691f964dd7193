//! The crate's error type.

use crate::kernel::Backend;

/// Everything that can go wrong in `float-bits`: bad scheme parameters, values a scheme cannot
/// encode, mismatched buffers, unavailable SIMD back-ends and unpackable values.
///
/// ```
/// use float_bits::{Atlas, Error};
/// assert!(matches!(Atlas::new(3), Err(Error::KeptBitsOutOfRange { k: 3, .. })));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The number of kept mantissa bits is outside what the scheme supports.
    #[error("{scheme}: k = {k} kept mantissa bits is outside the supported range {min}..={max}")]
    KeptBitsOutOfRange {
        /// The scheme being built.
        scheme: &'static str,
        /// The rejected value.
        k: u32,
        /// Smallest accepted value.
        min: u32,
        /// Largest accepted value.
        max: u32,
    },
    /// The bit count of a quantising scheme is outside what the scheme supports.
    #[error("{scheme}: n = {n} bits is outside the supported range {min}..={max}")]
    BitCountOutOfRange {
        /// The scheme being built.
        scheme: &'static str,
        /// The rejected value.
        n: u32,
        /// Smallest accepted value.
        min: u32,
        /// Largest accepted value.
        max: u32,
    },
    /// A quantisation range that is not a finite interval with `min < max`.
    #[error("{scheme}: range [{min}, {max}] is invalid (need finite min < max)")]
    InvalidRange {
        /// The scheme being built.
        scheme: &'static str,
        /// The given lower end.
        min: f64,
        /// The given upper end.
        max: f64,
    },
    /// A value outside the range of a scheme that cannot clamp (RNTuple `Real32Quant`).
    #[error("value {value} at index {index} is outside the quantisation range [{min}, {max}]")]
    OutOfRange {
        /// Position of the first offending value in the input.
        index: usize,
        /// The offending value (widened to `f64`).
        value: f64,
        /// Lower end of the range.
        min: f64,
        /// Upper end of the range.
        max: f64,
    },
    /// A quantisation code larger than the scheme's largest code.
    #[error("code {code} is larger than the largest code {max} of {n}-bit quantisation")]
    CodeOutOfRange {
        /// The offending code.
        code: u32,
        /// The largest valid code.
        max: u32,
        /// The scheme's bit count.
        n: u32,
    },
    /// Input and output slices of different lengths.
    #[error("length mismatch: the input has {input} values but the output has room for {output}")]
    LengthMismatch {
        /// Length of the input.
        input: usize,
        /// Length of the output.
        output: usize,
    },
    /// A SIMD back-end was requested on a CPU (or build) that does not support it.
    #[error("back-end {0:?} is not available on this CPU")]
    BackendUnavailable(Backend),
    /// A value has non-zero mantissa bits below the kept ones, so it cannot be packed at `k`.
    #[error(
        "value at index {index} (bits {bits:#x}) has non-zero mantissa bits below the {k} kept bits; compress it at k = {k} before packing"
    )]
    NotPackable {
        /// Position of the first offending value.
        index: usize,
        /// Its raw bits.
        bits: u64,
        /// The requested number of kept bits.
        k: u32,
    },
    /// A value that a narrower storage type cannot hold exactly.
    #[error("value at index {index} (bits {bits:#x}) is not exactly representable as {target}")]
    NotRepresentable {
        /// Position of the first offending value.
        index: usize,
        /// Its raw bits.
        bits: u64,
        /// The storage type (`"bf16"`, `"f16"`).
        target: &'static str,
    },
    /// A length whose byte size does not fit in `usize`.
    #[error("{values} values need more than usize::MAX bytes")]
    LengthOverflow {
        /// The number of values asked for.
        values: usize,
    },
    /// Text that is not a scheme as [`Scheme`](crate::Scheme)'s `Display` writes it.
    #[error(
        "{text:?} is not a scheme ({detail}); schemes read like Atlas{{k=7}}, Cms{{k=10}}, RootRange{{min=0, max=1, n=16}} or Half"
    )]
    NotAScheme {
        /// The text given.
        text: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A buffer too small for the requested operation.
    #[error("buffer too small: {needed} bytes are needed but {have} were given")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        have: usize,
    },
}

/// `Result` with this crate's [`Error`].
///
/// ```
/// fn f() -> float_bits::Result<float_bits::Atlas> { float_bits::Atlas::new(7) }
/// assert!(f().is_ok());
/// ```
pub type Result<T, E = Error> = core::result::Result<T, E>;
