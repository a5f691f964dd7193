//! The crate's error type.

/// What can go wrong when measuring.
///
/// ```
/// let e = metrics::Pointwise::new().add(&[1.0f32], &[]).unwrap_err();
/// assert_eq!(e, metrics::Error::LengthMismatch { left: 1, right: 0 });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Paired slices of different lengths.
    #[error("length mismatch: {left} values vs {right}")]
    LengthMismatch {
        /// Length of the first slice.
        left: usize,
        /// Length of the other.
        right: usize,
    },
    /// A back-end was forced that this CPU lacks.
    #[error("the {0:?} back-end is not available on this CPU")]
    BackendUnavailable(float_bits::Backend),
    /// An argument outside what the metric accepts (bad edges, an empty sample, …).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// `Result` with this crate's [`Error`].
///
/// ```
/// fn f() -> metrics::Result<()> { Ok(()) }
/// assert!(f().is_ok());
/// ```
pub type Result<T, E = Error> = core::result::Result<T, E>;
