//! The Python exceptions of the package, and the mapping from the Rust crates' typed errors to
//! them: a damaged file (`DamagedFileError`), a damaged or invalid model file
//! (`ModelFileError`), values that are not outputs of the scheme they are said to be compressed
//! with (`SchemeMismatchError`, also a `ValueError`), an invalid argument (`ValueError`), a file
//! that is not there (`FileNotFoundError`). Every message is the Rust error's, which names the
//! file, the column and the offset or index where known.

use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyType;

pyo3::create_exception!(
    hepfloat,
    HepfloatError,
    PyException,
    "An error of the hepfloat SDK; its message names the file and, where known, the column and the byte offset."
);
pyo3::create_exception!(
    hepfloat,
    DamagedFileError,
    HepfloatError,
    "A file that is not what it claims to be (truncated, damaged, or not a ROOT file): the message names the file and the byte offset."
);
pyo3::create_exception!(
    hepfloat,
    ModelFileError,
    HepfloatError,
    "A model file that is not one, is damaged, has another format version, or breaks an invariant: the message names the file, the column and the field."
);

/// `SchemeMismatchError(HepfloatError, ValueError)`: defined in Python (`hepfloat/_errors.py`),
/// since it has two bases; raised with `message`.
pub(crate) fn scheme_mismatch(py: Python<'_>, message: String) -> PyErr {
    match py.import("hepfloat._errors").and_then(|m| m.getattr("SchemeMismatchError")) {
        Ok(class) => match class.cast_into::<PyType>() {
            Ok(class) => PyErr::from_type(class, message),
            Err(e) => e.into(),
        },
        Err(e) => e,
    }
}

/// Whether `e` says that a value is not an output of its scheme.
fn mismatch_in_bounds(e: &quant_bounds::Error) -> bool {
    matches!(e, quant_bounds::Error::NotAnOutput { .. })
}

/// Whether `e` (or the error it wraps) says that a value is not an output of its scheme.
fn mismatch_in_model(e: &models::Error) -> bool {
    match e {
        models::Error::Bounds(b) => mismatch_in_bounds(b),
        models::Error::Column { source, .. } => mismatch_in_model(source),
        _ => false,
    }
}

/// A Python exception for a `quant_bounds` error.
pub(crate) fn from_bounds(py: Python<'_>, e: quant_bounds::Error) -> PyErr {
    if mismatch_in_bounds(&e) { scheme_mismatch(py, e.to_string()) } else { PyValueError::new_err(e.to_string()) }
}

/// A Python exception for a `models` error, its message prefixed by `context` (a file, a
/// call) where one is given.
pub(crate) fn from_model(py: Python<'_>, context: Option<&str>, e: models::Error) -> PyErr {
    let message = match context {
        Some(c) => format!("{c}: {e}"),
        None => e.to_string(),
    };
    use models::Error as E;
    match &e {
        _ if mismatch_in_model(&e) => scheme_mismatch(py, message),
        E::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
        E::Io { .. } => PyOSError::new_err(message),
        E::ModelFile { .. } | E::InvalidModel { .. } => ModelFileError::new_err(message),
        E::Scheme(_)
        | E::Bounds(_)
        | E::LengthMismatch { .. }
        | E::Parse { .. }
        | E::InvalidSetting { .. }
        | E::InvalidGroup { .. }
        | E::MissingColumn { .. }
        | E::ContextNeeded { .. }
        | E::NotFloat { .. }
        | E::UnknownColumn(_)
        | E::NotEnoughData { .. }
        | E::NotGenerative { .. }
        | E::UnsupportedScheme { .. } => PyValueError::new_err(message),
        _ => HepfloatError::new_err(message),
    }
}

/// A Python exception for a hep-io error about `path`.
pub(crate) fn from_io(path: &str, e: hep_io::Error) -> PyErr {
    match &e {
        hep_io::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(format!("{path}: {e}"))
        }
        hep_io::Error::Io { .. } => PyOSError::new_err(format!("{path}: {e}")),
        hep_io::Error::NoSuchKey(_)
        | hep_io::Error::NoSuchBranch(_)
        | hep_io::Error::NoEventData { .. }
        | hep_io::Error::SeveralEventData { .. }
        | hep_io::Error::BadRange { .. } => PyValueError::new_err(format!("{path}: {e}")),
        _ => DamagedFileError::new_err(format!("{path}: {e}")),
    }
}

/// A Python exception for an Arrow error met while reading a stream: the upsampler's or
/// compressor's own error where it carries one, a `ValueError` otherwise.
pub(crate) fn from_arrow(py: Python<'_>, e: arrow_schema::ArrowError) -> PyErr {
    match e {
        arrow_schema::ArrowError::ExternalError(inner) => match inner.downcast::<models::Error>() {
            Ok(m) => from_model(py, None, *m),
            Err(other) => PyValueError::new_err(other.to_string()),
        },
        e => PyValueError::new_err(e.to_string()),
    }
}
