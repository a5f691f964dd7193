//! The crate's error type.

/// What can go wrong when asking what a compressed value says about its original.
///
/// ```
/// use quant_bounds::{preimage, Error};
/// use float_bits::Scheme;
/// // 0.1 has mantissa bits below the 7 kept ones: no input compresses to it.
/// let e = preimage(&Scheme::atlas(7)?, 0.1f32).unwrap_err();
/// assert!(matches!(e, Error::NotAnOutput { .. }));
/// # Ok::<(), float_bits::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No input compresses to this value under the scheme.
    #[error("value {value} (bits {bits:#x}) at index {index} is not a possible output of {scheme}")]
    NotAnOutput {
        /// Position in the input (0 for single values).
        index: usize,
        /// The value, widened to `f64`.
        value: f64,
        /// Its raw bits.
        bits: u64,
        /// The scheme, as displayed.
        scheme: String,
    },
    /// Slices of different lengths.
    #[error("length mismatch: {what}: {left} vs {right} values")]
    LengthMismatch {
        /// Which slices.
        what: &'static str,
        /// Length of the first.
        left: usize,
        /// Length of the second.
        right: usize,
    },
    /// A back-end was forced that this CPU lacks.
    #[error("the {0:?} back-end is not available on this CPU")]
    BackendUnavailable(float_bits::Backend),
    /// A scheme this version of the crate does not know (a newer `float-bits`).
    #[error("scheme {0} is not supported by this version of quant-bounds")]
    Unsupported(String),
    /// An invalid argument, e.g. histogram edges that are not increasing.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// `Result` with this crate's [`Error`].
///
/// ```
/// fn f() -> quant_bounds::Result<()> { Ok(()) }
/// assert!(f().is_ok());
/// ```
pub type Result<T, E = Error> = core::result::Result<T, E>;
