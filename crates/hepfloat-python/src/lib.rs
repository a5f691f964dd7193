//! The `hepfloat` Python package's native module (`hepfloat._native`): the SDK's lossy float
//! schemes, exact preimages and kept-bit detection on numpy arrays, and ROOT files read into
//! Arrow streams (the `io` module). The Python package
//! (`python/hepfloat/__init__.py`) re-exports it with its docstrings; the typed stubs are in
//! `python/hepfloat/_native.pyi`.
//!
//! Every function takes a numpy array of `float32` or `float64` of any shape, C-contiguous, and
//! releases the GIL while it works. Anything else is a `TypeError` (another type or dtype) or a
//! `ValueError` (a non-contiguous array, a value that is not an output of the scheme), never a
//! crash.

mod arrow;
mod compare;
mod errors;
mod io;
mod model;

use numpy::ndarray::ArrayD;
use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyReadwriteArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// One of the SDK's lossy float schemes (`float_bits::Scheme`), as a Python object.
#[pyclass(name = "Scheme", module = "hepfloat", frozen, eq, hash, from_py_object)]
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PyScheme(pub(crate) float_bits::Scheme);

impl std::hash::Hash for PyScheme {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_string().hash(state);
    }
}

fn invalid(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

#[pymethods]
impl PyScheme {
    /// Parse a scheme as `str(scheme)` writes it: `"Atlas{k=7}"`, `"Cms{k=10}"`,
    /// `"RootRange{min=-2.5, max=2.5, n=16}"`, `"Half"`, … (the text a Parquet column's
    /// `hepfloat.scheme` metadata holds).
    #[new]
    fn new(text: &str) -> PyResult<Self> {
        text.parse().map(PyScheme).map_err(invalid)
    }

    /// ATLAS DAOD rounding (`CxxUtils::FloatCompressor`): `k` mantissa bits kept, half away from
    /// zero, carrying into the exponent.
    #[staticmethod]
    fn atlas(k: u32) -> PyResult<Self> {
        float_bits::Scheme::atlas(k).map(PyScheme).map_err(invalid)
    }

    /// CMS NanoAOD rounding (`MiniFloatConverter::reduceMantissaToNbitsRounding`).
    #[staticmethod]
    fn cms(k: u32) -> PyResult<Self> {
        float_bits::Scheme::cms(k).map(PyScheme).map_err(invalid)
    }

    /// Round to nearest, ties to even, `k` mantissa bits kept.
    #[staticmethod]
    fn nearest_even(k: u32) -> PyResult<Self> {
        float_bits::Scheme::nearest_even(k).map(PyScheme).map_err(invalid)
    }

    /// Truncation toward zero, `k` mantissa bits kept (ROOT's `Double32_t` / `Float16_t`
    /// without range, RNTuple `Real32Trunc`).
    #[staticmethod]
    fn toward_zero(k: u32) -> PyResult<Self> {
        float_bits::Scheme::toward_zero(k).map(PyScheme).map_err(invalid)
    }

    /// ROOT's `Float16_t` without a range: `k` mantissa bits, rounded as ROOT rounds.
    #[staticmethod]
    fn root_float16(k: u32) -> PyResult<Self> {
        float_bits::Scheme::root_float16(k).map(PyScheme).map_err(invalid)
    }

    /// IEEE half precision (RNTuple `Real16`, ROOT's `FloatToHalf`).
    #[staticmethod]
    fn half() -> Self {
        PyScheme(float_bits::Scheme::half())
    }

    /// ROOT's range-packed `Double32_t` / `Float16_t` (`//[min,max,n]`).
    #[staticmethod]
    fn root_range(min: f64, max: f64, n: u32) -> PyResult<Self> {
        float_bits::Scheme::root_range(min, max, n).map(PyScheme).map_err(invalid)
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        format!("hepfloat.Scheme({:?})", self.0.to_string())
    }

    /// Pickled as its text (`Scheme(str(s))` rebuilds it bit for bit), so that schemes travel
    /// to other processes (Dask workers).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, pyo3::types::PyType>, (String,)) {
        (slf.get_type(), (slf.get().0.to_string(),))
    }
}

/// A numpy array of `float32` or `float64`, read-only.
enum Floats<'py> {
    F32(PyReadonlyArrayDyn<'py, f32>),
    F64(PyReadonlyArrayDyn<'py, f64>),
}

/// What a function accepts, for its error messages.
const EXPECTED: &str = "a numpy array of float32 or float64";

fn describe(x: &Bound<'_, PyAny>) -> String {
    match x.getattr("dtype") {
        Ok(dtype) => format!("an array of {dtype}"),
        Err(_) => x.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into()),
    }
}

fn floats<'py>(x: &Bound<'py, PyAny>, what: &str) -> PyResult<Floats<'py>> {
    if let Ok(a) = x.cast::<PyArrayDyn<f32>>() {
        return Ok(Floats::F32(a.try_readonly().map_err(invalid)?));
    }
    if let Ok(a) = x.cast::<PyArrayDyn<f64>>() {
        return Ok(Floats::F64(a.try_readonly().map_err(invalid)?));
    }
    Err(PyTypeError::new_err(format!("{what}: expected {EXPECTED}, got {}", describe(x))))
}

/// The contiguous values of an array, or a `ValueError` saying what to do.
fn contiguous<'a, T: numpy::Element>(a: &'a PyReadonlyArrayDyn<'_, T>, what: &str) -> PyResult<&'a [T]> {
    a.as_slice().map_err(|_| {
        PyValueError::new_err(format!(
            "{what}: the array is not contiguous (a strided view); pass numpy.ascontiguousarray(x)"
        ))
    })
}

/// A new array of `x`'s shape holding `f(values of x)`, computed without the GIL.
fn map_new<'py, T, E>(
    py: Python<'py>,
    a: &PyReadonlyArrayDyn<'py, T>,
    what: &str,
    f: impl FnOnce(&[T], &mut [T]) -> Result<(), E> + Send,
) -> PyResult<Bound<'py, PyArrayDyn<T>>>
where
    T: numpy::Element + Copy + Default + Send + Sync,
    E: std::fmt::Display + Send,
{
    let src = contiguous(a, what)?;
    let shape = a.shape().to_vec();
    let out = py
        .detach(|| {
            let mut out = vec![T::default(); src.len()];
            f(src, &mut out).map(|()| out)
        })
        .map_err(invalid)?;
    let out = ArrayD::from_shape_vec(shape, out).map_err(invalid)?;
    Ok(out.into_pyarray(py))
}

/// `x` compressed with `scheme`, as a new array of the same shape and dtype: bit for bit what
/// the experiment's writer stores.
#[pyfunction]
fn compress<'py>(py: Python<'py>, x: &Bound<'py, PyAny>, scheme: &PyScheme) -> PyResult<Bound<'py, PyAny>> {
    let s = &scheme.0;
    Ok(match floats(x, "compress")? {
        Floats::F32(a) => map_new(py, &a, "compress", |src, dst| s.compress_into(src, dst))?.into_any(),
        Floats::F64(a) => map_new(py, &a, "compress", |src, dst| s.compress_into(src, dst))?.into_any(),
    })
}

/// Compress the writeable, contiguous array `x` with `scheme` in place.
#[pyfunction]
fn compress_in_place(py: Python<'_>, x: &Bound<'_, PyAny>, scheme: &PyScheme) -> PyResult<()> {
    fn run<T: numpy::Element + float_bits::Float + Send>(
        py: Python<'_>,
        a: &Bound<'_, PyArrayDyn<T>>,
        s: &float_bits::Scheme,
    ) -> PyResult<()> {
        let mut w: PyReadwriteArrayDyn<'_, T> = a.try_readwrite().map_err(|e| {
            PyValueError::new_err(format!(
                "compress_in_place: the array cannot be written ({e}); use compress(x, scheme)"
            ))
        })?;
        let values = w.as_slice_mut().map_err(|_| {
            PyValueError::new_err("compress_in_place: the array is not contiguous; use compress(x, scheme)")
        })?;
        py.detach(|| s.compress_in_place(values)).map_err(invalid)
    }
    if let Ok(a) = x.cast::<PyArrayDyn<f32>>() {
        return run(py, a, &scheme.0);
    }
    if let Ok(a) = x.cast::<PyArrayDyn<f64>>() {
        return run(py, a, &scheme.0);
    }
    Err(PyTypeError::new_err(format!("compress_in_place: expected {EXPECTED}, got {}", describe(x))))
}

/// The exact interval `[lo, hi]` of originals that `scheme` maps to each value of `c`, as two
/// new arrays of `c`'s shape and dtype. A value that is not an output of the scheme is a
/// `SchemeMismatchError` (a `ValueError`) naming its index.
#[pyfunction]
fn preimage<'py>(py: Python<'py>, c: &Bound<'py, PyAny>, scheme: &PyScheme) -> PyResult<Bound<'py, PyTuple>> {
    fn run<'py, T>(
        py: Python<'py>,
        a: &PyReadonlyArrayDyn<'py, T>,
        s: &float_bits::Scheme,
    ) -> PyResult<Bound<'py, PyTuple>>
    where
        T: numpy::Element + float_bits::Float + Default + Send + Sync,
    {
        let src = contiguous(a, "preimage")?;
        let shape = a.shape().to_vec();
        let (lo, hi) = py
            .detach(|| {
                let (mut lo, mut hi) = (vec![T::default(); src.len()], vec![T::default(); src.len()]);
                quant_bounds::preimages(s, src, &mut lo, &mut hi).map(|()| (lo, hi))
            })
            .map_err(|e| errors::from_bounds(py, e))?;
        let lo = ArrayD::from_shape_vec(shape.clone(), lo).map_err(invalid)?.into_pyarray(py);
        let hi = ArrayD::from_shape_vec(shape, hi).map_err(invalid)?.into_pyarray(py);
        PyTuple::new(py, [lo, hi])
    }
    match floats(c, "preimage")? {
        Floats::F32(a) => run(py, &a, &scheme.0),
        Floats::F64(a) => run(py, &a, &scheme.0),
    }
}

/// The mantissa bits the values of `x` keep: the smallest `k` every value is consistent with,
/// counting values that carry evidence (more than a few bits); `None` when none does. Full
/// precision data gives 23 (`float32`) or 52 (`float64`).
#[pyfunction]
fn detect_kept_bits(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Option<u32>> {
    Ok(match floats(x, "detect_kept_bits")? {
        Floats::F32(a) => {
            let v = contiguous(&a, "detect_kept_bits")?;
            py.detach(|| float_bits::detect_kept_bits(v).k())
        }
        Floats::F64(a) => {
            let v = contiguous(&a, "detect_kept_bits")?;
            py.detach(|| float_bits::detect_kept_bits(v).k())
        }
    })
}

/// The largest `|x − c|` over the originals `x` that `scheme` maps to `c` (for `float32`
/// originals): the residual envelope at one compressed value.
#[pyfunction]
fn max_abs_residual(py: Python<'_>, c: f32, scheme: &PyScheme) -> PyResult<f64> {
    quant_bounds::max_abs_residual(&scheme.0, c).map_err(|e| errors::from_bounds(py, e))
}

/// The native module; the `hepfloat` package re-exports it.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyScheme>()?;
    m.add_function(wrap_pyfunction!(compress, m)?)?;
    m.add_function(wrap_pyfunction!(compress_in_place, m)?)?;
    m.add_function(wrap_pyfunction!(preimage, m)?)?;
    m.add_function(wrap_pyfunction!(detect_kept_bits, m)?)?;
    m.add_function(wrap_pyfunction!(max_abs_residual, m)?)?;
    m.add_class::<io::ArrowStream>()?;
    m.add_class::<arrow::ArrowArray>()?;
    m.add_function(wrap_pyfunction!(arrow::compress_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::preimage_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::detect_kept_bits_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(io::contents, m)?)?;
    m.add_function(wrap_pyfunction!(io::columns, m)?)?;
    m.add_function(wrap_pyfunction!(io::read, m)?)?;
    m.add_class::<model::PyModel>()?;
    m.add_function(wrap_pyfunction!(compare::compare, m)?)?;
    m.add_function(wrap_pyfunction!(model::compress_stream, m)?)?;
    m.add("HepfloatError", m.py().get_type::<errors::HepfloatError>())?;
    m.add("DamagedFileError", m.py().get_type::<errors::DamagedFileError>())?;
    m.add("ModelFileError", m.py().get_type::<errors::ModelFileError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
