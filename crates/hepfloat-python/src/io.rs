//! ROOT files from Python: the TTrees and RNTuples of a file, their readable columns, and their
//! events as an Arrow stream (the Arrow PyCapsule interface, `__arrow_c_stream__`), which
//! pyarrow and other Arrow libraries import without a copy. The Python classes `File` and
//! `Events` (`python/hepfloat/_io.py`) are built on these functions.

use std::sync::Mutex;

use arrow_array::RecordBatchReader;
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::from_io as error;

/// A TTree or an RNTuple of an open file.
enum Source {
    Tree(hep_io::Tree),
    RNTuple(hep_io::RNTuple),
}

fn source(path: &str, name: Option<&str>) -> PyResult<(String, Source)> {
    let file = hep_io::RootFile::open(path).map_err(|e| error(path, e))?;
    let name = match name {
        Some(n) => n.to_string(),
        None => file.event_data().map_err(|e| error(path, e))?,
    };
    let rntuples = file.rntuples().map_err(|e| error(path, e))?;
    let source = if rntuples.contains(&name) {
        Source::RNTuple(file.rntuple(&name).map_err(|e| error(path, e))?)
    } else {
        Source::Tree(file.tree(&name).map_err(|e| error(path, e))?)
    };
    Ok((name, source))
}

/// The TTrees and RNTuples of the ROOT file at `path`: `(name, "TTree" or "RNTuple", entries)`,
/// the event data first (`CollectionTree` or `EventData`, or the only one that is not
/// bookkeeping).
#[pyfunction]
pub fn contents(py: Python<'_>, path: &str) -> PyResult<Vec<(String, &'static str, u64)>> {
    py.detach(|| {
        let file = hep_io::RootFile::open(path).map_err(|e| error(path, e))?;
        let mut out = Vec::new();
        for name in file.trees().map_err(|e| error(path, e))? {
            let entries = file.tree(&name).map_err(|e| error(path, e))?.entries();
            out.push((name, "TTree", entries));
        }
        for name in file.rntuples().map_err(|e| error(path, e))? {
            let entries = file.rntuple(&name).map_err(|e| error(path, e))?.entries();
            out.push((name, "RNTuple", entries));
        }
        if let Ok(first) = file.event_data() {
            out.sort_by_key(|(n, _, _)| *n != first);
        }
        Ok(out)
    })
}

/// The columns of `name` (the event data if `None`) matching any of `patterns` (globs) that
/// hepfloat reads: `(column, Arrow type)`, in file order.
#[pyfunction]
#[pyo3(signature = (path, name=None, patterns=None))]
pub fn columns(
    py: Python<'_>,
    path: &str,
    name: Option<&str>,
    patterns: Option<Vec<String>>,
) -> PyResult<Vec<(String, String)>> {
    let patterns = patterns.unwrap_or_else(|| vec!["*".into()]);
    py.detach(|| {
        let (_, source) = source(path, name)?;
        let schema = match &source {
            Source::Tree(t) => t.schema(&t.select_supported(&patterns).map_err(|e| error(path, e))?),
            Source::RNTuple(n) => n.schema(&n.select_supported(&patterns).map_err(|e| error(path, e))?),
        };
        Ok(schema.fields().iter().map(|f| (f.name().clone(), f.data_type().to_string())).collect())
    })
}

/// An Arrow C stream of record batches, handed over once through `__arrow_c_stream__` (the
/// Arrow PyCapsule interface): `pyarrow.RecordBatchReader.from_stream(s)` or `pyarrow.table(s)`.
#[pyclass(module = "hepfloat", frozen)]
pub struct ArrowStream {
    // Behind a lock, so that the object may be used and dropped on any thread (Dask's workers
    // drop objects on their event-loop thread).
    stream: Mutex<Option<FFI_ArrowArrayStream>>,
}

impl std::fmt::Debug for ArrowStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let consumed = self.stream.lock().map_or(true, |s| s.is_none());
        f.debug_struct("ArrowStream").field("consumed", &consumed).finish()
    }
}

impl ArrowStream {
    /// The stream of `reader`'s batches.
    pub(crate) fn new(reader: Box<dyn RecordBatchReader + Send>) -> Self {
        ArrowStream { stream: Mutex::new(Some(FFI_ArrowArrayStream::new(reader))) }
    }
}

#[pymethods]
impl ArrowStream {
    /// The stream as a PyCapsule named `arrow_array_stream`; a stream is consumed once.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // The schema is the file's; a requested one is a hint the protocol lets us ignore.
        let _ = requested_schema;
        let taken = self.stream.lock().ok().and_then(|mut s| s.take());
        let stream = taken.ok_or_else(|| PyValueError::new_err("this Arrow stream was already consumed"))?;
        // The consumer moves the stream out of the capsule (its `release` then null); dropping
        // the capsule releases a stream nobody took.
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }
}

/// The events `entry_start..entry_stop` of `name` (the event data if `None`) in the ROOT file
/// at `path`, the columns matching any of `patterns` that hepfloat reads, as an Arrow stream of
/// batches of about `step_bytes` decoded bytes (or `step_entries` entries). Reading happens
/// as the consumer pulls batches; a damaged basket or page is an error naming its offset then.
#[pyfunction]
#[pyo3(signature = (path, name=None, patterns=None, entry_start=None, entry_stop=None, step_entries=None, step_bytes=None))]
#[allow(clippy::too_many_arguments)] // Python keyword arguments, each optional
pub fn read(
    py: Python<'_>,
    path: &str,
    name: Option<&str>,
    patterns: Option<Vec<String>>,
    entry_start: Option<u64>,
    entry_stop: Option<u64>,
    step_entries: Option<u64>,
    step_bytes: Option<u64>,
) -> PyResult<ArrowStream> {
    let patterns = patterns.unwrap_or_else(|| vec!["*".into()]);
    let reader = py.detach(|| {
        let (_, source) = source(path, name)?;
        let batches = match &source {
            Source::Tree(t) => t.batches(&t.select_supported(&patterns).map_err(|e| error(path, e))?),
            Source::RNTuple(n) => n.batches(&n.select_supported(&patterns).map_err(|e| error(path, e))?),
        };
        let mut batches = batches.entries(entry_start.unwrap_or(0)..entry_stop.unwrap_or(u64::MAX));
        if let Some(n) = step_entries {
            batches = batches.entries_per_batch(n);
        }
        if let Some(b) = step_bytes {
            batches = batches.target_bytes(b);
        }
        PyResult::Ok(batches.into_reader())
    })?;
    Ok(ArrowStream::new(Box::new(reader)))
}
