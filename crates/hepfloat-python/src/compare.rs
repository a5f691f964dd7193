//! The comparison table of `metrics` from Python: every metric of the compressed baseline and of
//! a candidate against the original, as rows a DataFrame takes.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::{Floats, contiguous, floats};

/// Every metric of the comparison table (MSE, RMSE, MAE, max |Δ|, relative and log-MSE,
/// effective bits, exact matches, sign flips, KL and Jensen–Shannon on linear and log10|x|
/// histograms of `bins` bins, Wasserstein-1, KS) for the compressed values and the candidate
/// against the original (three numpy arrays of one dtype and length): one dict per metric,
/// `{"metric", "compressed", "candidate", "ratio"}` (`ratio` = candidate / compressed; `None`
/// where a value is undefined).
#[pyfunction]
#[pyo3(signature = (original, compressed, candidate, bins=100, kl_alpha=0.5))]
pub fn compare<'py>(
    py: Python<'py>,
    original: &Bound<'py, PyAny>,
    compressed: &Bound<'py, PyAny>,
    candidate: &Bound<'py, PyAny>,
    bins: usize,
    kl_alpha: f64,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let options = metrics::CompareOptions { bins, kl_alpha };
    let (o, b, c) = (
        floats(original, "compare: original")?,
        floats(compressed, "compare: compressed")?,
        floats(candidate, "compare: candidate")?,
    );
    let table = match (o, b, c) {
        (Floats::F32(o), Floats::F32(b), Floats::F32(c)) => {
            let (o, b, c) = (contiguous(&o, "compare")?, contiguous(&b, "compare")?, contiguous(&c, "compare")?);
            py.detach(|| metrics::Comparison::new(o, b, c, options))
        }
        (Floats::F64(o), Floats::F64(b), Floats::F64(c)) => {
            let (o, b, c) = (contiguous(&o, "compare")?, contiguous(&b, "compare")?, contiguous(&c, "compare")?);
            py.detach(|| metrics::Comparison::new(o, b, c, options))
        }
        _ => return Err(PyTypeError::new_err("compare: the three arrays must have one dtype (float32 or float64)")),
    }
    .map_err(|e| PyValueError::new_err(format!("compare: {e}")))?;
    table
        .rows
        .into_iter()
        .map(|r| {
            let d = PyDict::new(py);
            d.set_item("metric", r.metric)?;
            d.set_item("compressed", r.baseline)?;
            d.set_item("candidate", r.candidate)?;
            d.set_item("ratio", r.ratio)?;
            Ok(d)
        })
        .collect()
}
