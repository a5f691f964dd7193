#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod damage;
mod parquet_floats;
pub mod strategies;

use std::path::PathBuf;

pub use parquet_floats::{FloatColumn, read_float_columns};

/// The reference decode of `PHYSLITE_example.root`, relative to the data folder.
pub const PHYSLITE_FLOATS: &str = "reference/PHYSLITE_example.floats.parquet";

/// The repository's vendored test-data folder (`test-data/` at the project root).
///
/// ```
/// assert!(hepfloat_testdata::vendored_dir().join("SHA256SUMS").is_file());
/// ```
pub fn vendored_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-data")
}

/// The test data folder: `$HEP_TESTDATA` when set (a folder laid out as `test-data/`), else the
/// repository's vendored copy, [`vendored_dir`].
///
/// ```
/// assert!(hepfloat_testdata::data_dir().join("PHYSLITE_example.root").is_file());
/// ```
pub fn data_dir() -> PathBuf {
    match std::env::var_os("HEP_TESTDATA") {
        Some(p) if !p.is_empty() => p.into(),
        _ => vendored_dir(),
    }
}

/// A file of the data folder, or an error message that says how to provide it.
///
/// ```
/// assert!(hepfloat_testdata::data_file("no-such-file").is_err());
/// ```
pub fn data_file(name: &str) -> Result<PathBuf, String> {
    let p = data_dir().join(name);
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!(
            "test data file {} is missing: set HEP_TESTDATA to a folder holding the PHYSLITE samples \
             (default: the repository's test-data folder)",
            p.display()
        ))
    }
}

/// Every float column of the PHYSLITE reference Parquet file, lists flattened.
///
/// ```no_run
/// let jets: Vec<_> = hepfloat_testdata::physlite_floats()
///     .unwrap()
///     .into_iter()
///     .filter(|c| c.name.starts_with("AnalysisJetsAuxDyn."))
///     .collect();
/// ```
pub fn physlite_floats() -> Result<Vec<FloatColumn>, String> {
    read_float_columns(&data_file(PHYSLITE_FLOATS)?)
}
