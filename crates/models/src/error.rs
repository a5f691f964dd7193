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
    /// A model (read from a file, or built from its public parts) that breaks one of its
    /// invariants: a field out of its domain, a network that does not match its checksum or its
    /// model's scheme, a column taking values from a group the model lacks.
    #[error("{}{}{field}: {detail}", path.as_ref().map_or(String::new(), |p| format!("model file {p}: ")),
        column.as_ref().map_or(String::new(), |c| format!("column {c:?}: ")))]
    InvalidModel {
        /// The file (`None` for a model in memory).
        path: Option<String>,
        /// The column whose part is broken, if it is one column's.
        column: Option<String>,
        /// The field, as a path into the model file (e.g. `prior.cdf[3]`).
        field: String,
        /// What is wrong with it.
        detail: String,
    },
    /// Outputs of an upsampler that lie outside the preimage of their compressed value. The
    /// estimators cannot produce them; this reports a bug (or a damaged model that passed every
    /// check), so that no such output is ever written.
    #[error(
        "column {column:?}: {count} of {total} outputs lie outside their preimage (the first at index {index}: {value} \
         not in [{lo}, {hi}]); nothing was written for this column: please report this as a bug"
    )]
    OutsidePreimage {
        /// The column.
        column: String,
        /// How many outputs are outside.
        count: usize,
        /// Outputs checked.
        total: usize,
        /// Index of the first one (in the call).
        index: usize,
        /// Its value.
        value: f32,
        /// Its preimage's lower end.
        lo: f32,
        /// Its preimage's upper end.
        hi: f32,
    },
}

/// `Result` with this crate's [`Error`].
///
/// ```
/// fn f() -> models::Result<()> { Ok(()) }
/// assert!(f().is_ok());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
