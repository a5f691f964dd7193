//! The crate's error type.

/// What can go wrong fitting, applying, saving or loading an upsampling model.
///
/// ```
/// let e = "best".parse::<models::Estimate>().unwrap_err();
/// assert!(matches!(e, models::Error::InvalidArgument(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A compression scheme rejected a value or its parameters.
    #[error(transparent)]
    Scheme(#[from] float_bits::Error),
    /// A value has no preimage under the scheme (it is not something the scheme outputs).
    #[error(transparent)]
    Bounds(#[from] quant_bounds::Error),
    /// Two slices that must be equally long are not.
    #[error("{what}: lengths {left} and {right} differ")]
    LengthMismatch {
        /// Which slices.
        what: &'static str,
        /// First length.
        left: usize,
        /// Second length.
        right: usize,
    },
    /// An argument out of its domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A column the model was not fitted on.
    #[error("the model has no column {0:?}")]
    UnknownColumn(String),
    /// A column with too little data to fit or validate on.
    #[error("column {column:?}: {detail}")]
    NotEnoughData {
        /// The column.
        column: String,
        /// What is missing.
        detail: String,
    },
    /// Reading or writing a model file failed.
    #[error("model file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A model file that is not one, is damaged, or has another format version.
    #[error("model file {path}: {detail}")]
    ModelFile {
        /// The file (or `<memory>`).
        path: String,
        /// What is wrong.
        detail: String,
    },
}

/// `Result` with this crate's [`Error`].
///
/// ```
/// fn f() -> models::Result<()> { Ok(()) }
/// assert!(f().is_ok());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
