//! The comparison table of `metrics` from Python: every metric of the compressed baseline and of
//! a candidate against the original, as rows a DataFrame takes.

use numpy::PyReadonlyArrayDyn;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// One argument's values: a numpy array of float32 or float64, contiguous.
enum Values<'py> {
    F32(PyReadonlyArrayDyn<'py, f32>),
    F64(PyReadonlyArrayDyn<'py, f64>),
}

fn values<'py>(x: &Bound<'py, PyAny>, what: &str) -> PyResult<Values<'py>> {
    if let Ok(a) = x.extract::<PyReadonlyArrayDyn<'py, f32>>() {
        return Ok(Values::F32(a));
    }
    if let Ok(a) = x.extract::<PyReadonlyArrayDyn<'py, f64>>() {
        return Ok(Values::F64(a));
    }
    Err(PyTypeError::new_err(format!("compare: {what}: expected a numpy array of float32 or float64")))
}

fn slice<'a, T: numpy::Element>(a: &'a PyReadonlyArrayDyn<'_, T>, what: &str) -> PyResult<&'a [T]> {
    a.as_slice().map_err(|_| PyValueError::new_err(format!("compare: {what}: the array is not contiguous")))
}

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
    let table =
        match (values(original, "original")?, values(compressed, "compressed")?, values(candidate, "candidate")?) {
            (Values::F32(o), Values::F32(b), Values::F32(c)) => {
                let (o, b, c) = (slice(&o, "original")?, slice(&b, "compressed")?, slice(&c, "candidate")?);
                py.detach(|| metrics::Comparison::new(o, b, c, options))
            }
            (Values::F64(o), Values::F64(b), Values::F64(c)) => {
                let (o, b, c) = (slice(&o, "original")?, slice(&b, "compressed")?, slice(&c, "candidate")?);
                py.detach(|| metrics::Comparison::new(o, b, c, options))
            }
            _ => {
                return Err(PyTypeError::new_err("compare: the three arrays must have one dtype (float32 or float64)"));
            }
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
