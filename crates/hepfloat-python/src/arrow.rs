//! Arrow arrays in and out of Python through the Arrow PyCapsule interface
//! (`__arrow_c_array__`): pyarrow arrays, and awkward arrays by way of `ak.to_arrow`, compressed
//! without leaving Arrow (lists keep their offsets and validity, only the float values change).

use std::sync::Mutex;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi, to_ffi};
use arrow_array::{ArrayRef, make_array};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods};

use crate::PyScheme;

/// An Arrow array handed over once through `__arrow_c_array__`: `pyarrow.array(a)` imports it.
#[pyclass(module = "hepfloat", frozen)]
pub struct ArrowArray {
    // Behind a lock, so that the object may be used and dropped on any thread.
    parts: Mutex<Option<(FFI_ArrowSchema, FFI_ArrowArray)>>,
}

impl std::fmt::Debug for ArrowArray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let consumed = self.parts.lock().map_or(true, |p| p.is_none());
        f.debug_struct("ArrowArray").field("consumed", &consumed).finish()
    }
}

#[pymethods]
impl ArrowArray {
    /// The schema and the array as PyCapsules named `arrow_schema` and `arrow_array`.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let _ = requested_schema; // a hint the protocol lets a producer ignore
        let taken = self.parts.lock().ok().and_then(|mut p| p.take());
        let (schema, array) = taken.ok_or_else(|| PyValueError::new_err("this Arrow array was already consumed"))?;
        Ok((
            PyCapsule::new_with_value(py, schema, c"arrow_schema")?,
            PyCapsule::new_with_value(py, array, c"arrow_array")?,
        ))
    }
}

/// The Arrow array behind `obj`'s `__arrow_c_array__` (moved out of its capsule).
fn import(obj: &Bound<'_, PyAny>) -> PyResult<ArrayRef> {
    let (schema, array): (Bound<'_, PyCapsule>, Bound<'_, PyCapsule>) =
        obj.call_method0("__arrow_c_array__")?.extract()?;
    let schema = schema.pointer_checked(Some(c"arrow_schema"))?.cast::<FFI_ArrowSchema>();
    let array = array.pointer_checked(Some(c"arrow_array"))?.cast::<FFI_ArrowArray>();
    // SAFETY: both pointers come from capsules with the protocol's names, which hold a C data
    // interface schema and array; `from_raw` moves the array out (leaving it released, so the
    // capsule's destructor frees nothing twice), and the schema is only borrowed while the
    // schema capsule is alive.
    let data = unsafe {
        let array = FFI_ArrowArray::from_raw(array.as_ptr());
        from_ffi(array, schema.as_ref())
    }
    .map_err(|e| PyValueError::new_err(format!("the Arrow array cannot be imported: {e}")))?;
    Ok(make_array(data))
}

/// The array behind `x` and its float values, or a `TypeError` naming `what` was called.
fn floats(x: &Bound<'_, PyAny>, what: &str) -> PyResult<(ArrayRef, Vec<f32>)> {
    let array = import(x)?;
    let values = models::batch::float_values(array.as_ref()).ok_or_else(|| {
        PyTypeError::new_err(format!(
            "{what}: expected an Arrow array of float32 or (nested) lists of float32, got {}",
            array.data_type()
        ))
    })?;
    Ok((array, values))
}

/// `array` with its float values replaced by `values`, exported.
fn export(array: &ArrayRef, values: &[f32]) -> Result<ArrowArray, String> {
    let out = models::batch::with_float_values(array.as_ref(), values).map_err(|e| e.to_string())?;
    let (array, schema) = to_ffi(&out.to_data()).map_err(|e| e.to_string())?;
    Ok(ArrowArray { parts: Mutex::new(Some((schema, array))) })
}

/// `x` (anything with `__arrow_c_array__`: a pyarrow array of float32, or lists of them, nested
/// or fixed-size) compressed with `scheme`, as a new Arrow array of the same type: offsets and
/// nulls unchanged, every float value compressed.
#[pyfunction]
pub fn compress_arrow(py: Python<'_>, x: &Bound<'_, PyAny>, scheme: &PyScheme) -> PyResult<ArrowArray> {
    let (array, values) = floats(x, "compress")?;
    py.detach(|| {
        let mut values = values;
        scheme.0.compress_in_place(&mut values).map_err(|e| e.to_string())?;
        export(&array, &values)
    })
    .map_err(PyValueError::new_err)
}

/// The preimage bounds `(lo, hi)` of the compressed Arrow array `c`, as two Arrow arrays of its
/// type (offsets and nulls unchanged); a `SchemeMismatchError` (a `ValueError`) where a value
/// is not an output of `scheme`.
#[pyfunction]
pub fn preimage_arrow(py: Python<'_>, c: &Bound<'_, PyAny>, scheme: &PyScheme) -> PyResult<(ArrowArray, ArrowArray)> {
    let (array, values) = floats(c, "preimage")?;
    let (lo, hi) = py
        .detach(|| {
            let (mut lo, mut hi) = (vec![0f32; values.len()], vec![0f32; values.len()]);
            quant_bounds::preimages(&scheme.0, &values, &mut lo, &mut hi).map(|()| (lo, hi))
        })
        .map_err(|e| crate::errors::from_bounds(py, e))?;
    Ok((export(&array, &lo).map_err(PyValueError::new_err)?, export(&array, &hi).map_err(PyValueError::new_err)?))
}

/// The kept mantissa bits of the float values of an Arrow array (as `detect_kept_bits`).
#[pyfunction]
pub fn detect_kept_bits_arrow(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Option<u32>> {
    let (_, values) = floats(x, "detect_kept_bits")?;
    Ok(py.detach(|| float_bits::detect_kept_bits(&values).k()))
}
