//! The crate's error type.

/// What can go wrong fitting, applying, saving or loading an upsampling model.
///
/// Every variant is typed: it names the column, field, setting or file it concerns and keeps the
/// error it comes from as its [`source`](std::error::Error::source). An error met while working on
/// one column of a batch is wrapped in [`Error::Column`]; [`Error::column`] finds the column of
/// any error.
///
/// ```
/// let e = "best".parse::<models::Estimate>().unwrap_err();
/// assert!(matches!(e, models::Error::Parse { what: "estimate", .. }));
/// assert_eq!(e.to_string(), r#"estimate "best": expected mean, median or sample"#);
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
    /// A name that is none of the values it may be (an estimate, a relation, a model kind, a
    /// fitting method, a relation rule).
    #[error("{what} {input:?}: expected {expected}")]
    Parse {
        /// What was being parsed.
        what: &'static str,
        /// The text given.
        input: String,
        /// What it may be.
        expected: String,
    },
    /// A setting out of its domain (a fitting option, a network's settings, a prior's parameters).
    #[error("{setting}: {detail}")]
    InvalidSetting {
        /// The setting (e.g. `neural::Config::hidden`).
        setting: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A relation group that cannot be: the wrong number of members, a member twice, a member in
    /// two groups or missing from the columns, a tolerance that is no number ≥ 0.
    #[error("relation group {members:?}: {detail}")]
    InvalidGroup {
        /// The group's members.
        members: Vec<String>,
        /// What is wrong with it.
        detail: String,
    },
    /// A column the call needs is absent from its input (a relation group's member, a neural
    /// model's context column).
    #[error("column {column:?} is needed by {needed_by}")]
    MissingColumn {
        /// The absent column.
        column: String,
        /// What needs it (e.g. `the model of "c.pt"`, `the four_momentum group ["c.m", …]`).
        needed_by: String,
    },
    /// A column upsampled from its context, asked to upsample without it.
    #[error("column {column:?} is upsampled from its context columns: use Model::upsample_with")]
    ContextNeeded {
        /// The column.
        column: String,
    },
    /// An Arrow array of a type that holds no `float32` values, where floats are expected.
    #[error("an array of type {data_type} holds no float32 values")]
    NotFloat {
        /// Its type.
        data_type: arrow_schema::DataType,
    },
    /// An Arrow operation (building an array or a record batch) failed.
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// A compression scheme that no model file can record.
    #[error("scheme {scheme} cannot be stored in a model file")]
    UnsupportedScheme {
        /// The scheme, as it prints.
        scheme: String,
    },
    /// Samples asked of a neural model that is not generative.
    #[error("a {kind} model gives no samples: ask for the mean or the median")]
    NotGenerative {
        /// The model's kind.
        kind: crate::Kind,
    },
    /// Something that needs a cargo feature this build of `models` lacks.
    #[error("{needed_for} needs the `{feature}` feature of models")]
    FeatureDisabled {
        /// The feature.
        feature: &'static str,
        /// What needs it.
        needed_for: &'static str,
    },
    /// The neural back-end (`burn`) failed: reading a tensor back, serialising weights.
    #[error("neural back-end, {operation}: {source}")]
    Network {
        /// What was being done.
        operation: &'static str,
        /// burn's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An error met while working on one column of a record batch.
    #[error("column {column:?}: {source}")]
    Column {
        /// The column.
        column: String,
        /// What went wrong there.
        #[source]
        source: Box<Error>,
    },
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

impl Error {
    /// `self` as met in column `name` (an error that names its column already is left as it is).
    ///
    /// ```
    /// let e = models::Error::NotFloat { data_type: arrow_schema::DataType::Int32 }.in_column("c.n");
    /// assert_eq!(e.column(), Some("c.n"));
    /// assert_eq!(e.to_string(), r#"column "c.n": an array of type Int32 holds no float32 values"#);
    /// ```
    pub fn in_column(self, name: &str) -> Error {
        if self.column().is_some() {
            return self;
        }
        Error::Column { column: name.to_owned(), source: Box::new(self) }
    }

    /// The column this error concerns, if it concerns one.
    ///
    /// ```
    /// let e = models::Error::UnknownColumn("c.pt".into());
    /// assert_eq!(e.column(), Some("c.pt"));
    /// ```
    pub fn column(&self) -> Option<&str> {
        match self {
            Error::Column { column, .. }
            | Error::UnknownColumn(column)
            | Error::NotEnoughData { column, .. }
            | Error::MissingColumn { column, .. }
            | Error::ContextNeeded { column }
            | Error::OutsidePreimage { column, .. } => Some(column),
            Error::InvalidModel { column, .. } => column.as_deref(),
            _ => None,
        }
    }
}

/// `Result` with this crate's [`Error`].
///
/// ```
/// fn f() -> models::Result<()> { Ok(()) }
/// assert!(f().is_ok());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
