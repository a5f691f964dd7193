//! The crate's error type.

/// What can go wrong generating toy events or computing their oracle.
///
/// ```
/// let e = hep_toy::Error::MissingColumn("x".into());
/// assert_eq!(e.to_string(), "the batch has no column \"x\"");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A toy column is missing from a batch given to the oracle.
    #[error("the batch has no column {0:?}")]
    MissingColumn(String),
    /// An argument out of its domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A column's values are not outputs of the scheme.
    #[error("column {0:?}: {1}")]
    Column(String, #[source] models::Error),
    /// An error from `models` (reading or writing a column's values).
    #[error(transparent)]
    Model(#[from] models::Error),
}

/// `Result` with this crate's [`Error`].
///
/// ```
/// fn f() -> hep_toy::Result<()> { Ok(()) }
/// assert!(f().is_ok());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
