//! Fitted models from Python (`models::Model`): fitted on Arrow streams of original events as
//! `hepfloat fit` fits them, loaded from and saved to the CLI's model files, applied to Arrow
//! streams batch by batch, and streams compressed the way a producer writes them. The Python
//! class `hepfloat.Model` (`python/hepfloat/_model.py`) is built on these.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use arrow_schema::{ArrowError, Field, Schema, SchemaRef};
use models::batch::{Gathered, Part, Upsampler, is_float, is_kept};
use models::{Estimate, FitOptions, FitRequest, Model, Rule, Verdict};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods, PyDict};

use crate::PyScheme;
use crate::errors::{from_arrow, from_model, scheme_mismatch};
use crate::io::ArrowStream;

/// The record batches behind `obj`'s `__arrow_c_stream__` (the Arrow PyCapsule interface: a
/// pyarrow Table or RecordBatchReader, a hepfloat `ArrowStream`, …), moved out of its capsule.
pub(crate) fn import_stream(obj: &Bound<'_, PyAny>) -> PyResult<RecordBatchStreamReader> {
    if !obj.hasattr("__arrow_c_stream__")? {
        let kind = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "expected Arrow record batches (a pyarrow Table or RecordBatchReader, anything with __arrow_c_stream__), got {kind}"
        )));
    }
    let capsule = obj.call_method0("__arrow_c_stream__")?.cast_into::<PyCapsule>()?;
    let stream = capsule.pointer_checked(Some(c"arrow_array_stream"))?.cast::<FFI_ArrowArrayStream>();
    // SAFETY: the capsule is named as the protocol says, so it holds a C stream; `from_raw`
    // moves the stream out and leaves a released one, which the capsule's destructor skips.
    unsafe { RecordBatchStreamReader::from_raw(stream.as_ptr()) }
        .map_err(|e| PyValueError::new_err(format!("the Arrow stream cannot be imported: {e}")))
}

fn estimate(text: &str) -> PyResult<Estimate> {
    text.parse().map_err(|e: models::Error| PyValueError::new_err(format!("estimate: {e}")))
}

/// Batches of one schema with the metadata of their fields replaced (`schema`).
struct Relabelled<R> {
    input: R,
    schema: SchemaRef,
}

impl<R: RecordBatchReader> Iterator for Relabelled<R> {
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.input.next()?;
        Some(batch.and_then(|b| RecordBatch::try_new(self.schema.clone(), b.columns().to_vec())))
    }
}

impl<R: RecordBatchReader> RecordBatchReader for Relabelled<R> {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// `schema` with each field rewritten by `f`.
fn map_fields(schema: &Schema, f: impl Fn(&Field) -> Field) -> SchemaRef {
    let fields: Vec<Field> = schema.fields().iter().map(|x| f(x)).collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `reader` handed to Python: read by the consumer as it pulls (`eager == false`; an error then
/// comes out of the consumer's read), or read here to the end first (so that an error is this
/// call's, with its Python type).
fn hand_over(py: Python<'_>, reader: impl RecordBatchReader + Send + 'static, eager: bool) -> PyResult<ArrowStream> {
    if !eager {
        return Ok(ArrowStream::new(Box::new(reader)));
    }
    let schema = reader.schema();
    let batches = py.detach(|| reader.collect::<Result<Vec<_>, _>>()).map_err(|e| from_arrow(py, e))?;
    Ok(ArrowStream::new(Box::new(RecordBatchIterator::new(batches.into_iter().map(Ok), schema))))
}

/// Which scheme, if any, compresses each float column: `keep` wins (a variable name or a whole
/// column name), then the first `map` glob that matches (`None`: kept), then `default`.
struct Declaration {
    default: Option<float_bits::Scheme>,
    map: Vec<(String, Option<float_bits::Scheme>)>,
    keep: Vec<String>,
}

impl Declaration {
    fn new(default: Option<PyScheme>, map: Vec<(String, Option<PyScheme>)>, keep: Vec<String>) -> Self {
        Declaration {
            default: default.map(|s| s.0),
            map: map.into_iter().map(|(g, s)| (g, s.map(|s| s.0))).collect(),
            keep,
        }
    }

    fn of(&self, column: &str) -> Option<float_bits::Scheme> {
        if is_kept(column, &self.keep) {
            return None;
        }
        match self.map.iter().find(|(glob, _)| hep_io::glob_match(glob, column)) {
            Some((_, s)) => *s,
            None => self.default,
        }
    }
}

/// A fitted upsampling model (`models::Model`), shared with the readers that apply it.
#[pyclass(name = "Model", module = "hepfloat", frozen)]
pub struct PyModel(pub(crate) Arc<Model>);

impl std::fmt::Debug for PyModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("columns", &self.0.columns().len()).finish()
    }
}

#[pymethods]
impl PyModel {
    /// The model in the file at `path` (written by `hepfloat fit` or `save`); every invariant
    /// is checked.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let model = py.detach(|| Model::load(&path)).map_err(|e| from_model(py, None, e))?;
        Ok(PyModel(Arc::new(model)))
    }

    /// The model of a model file's text (`to_json`).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        let model = py.detach(|| Model::from_json(text)).map_err(|e| from_model(py, None, e))?;
        Ok(PyModel(Arc::new(model)))
    }

    /// The model file's text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        self.0.to_json().map_err(|e| from_model(py, None, e))
    }

    /// Write the model file to `path` (a temporary name first, then renamed: never a
    /// half-written file under `path`).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.0.save(&path)).map_err(|e| from_model(py, None, e))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyModel>().is_ok_and(|o| *o.get().0 == *self.0)
    }

    /// Each column: `(name, scheme, choice)`, the choice being the gate's (`identity`,
    /// `uniform`, `lattice`, `histogram`, `constraint`, a neural family).
    fn columns(&self) -> Vec<(String, PyScheme, &'static str)> {
        self.0
            .columns()
            .iter()
            .zip(self.0.schemes())
            .map(|(c, (_, s))| (c.name.clone(), PyScheme(*s), c.choice_name()))
            .collect()
    }

    /// The relation groups: `(relation, members)`.
    fn groups(&self) -> Vec<(String, Vec<String>)> {
        self.0.groups().iter().map(|g| (g.relation.to_string(), g.members.clone())).collect()
    }

    /// The scheme the model expects column `name` to be compressed with (`None`: a column it
    /// does not know).
    fn scheme_of(&self, name: &str) -> Option<PyScheme> {
        self.0.scheme_of(name).map(|s| PyScheme(*s))
    }

    /// Fit a model as `hepfloat fit` does: the float columns of the `train` events and of the
    /// `valid` events after them (Arrow streams) are gathered, at most `max_values` per column
    /// and part (fewer where `sample_mib` MiB for all columns is the tighter bound), spread over
    /// the input; each column's scheme is declared by `default`, `map` and `keep`; relation
    /// groups are found by `rules` (`None`: the default rules; `groups=False`: none), tested
    /// on the originals; the gate picks each column's estimator on the validation events.
    /// Returns the model and the tested groups (`relation`, `members`, `kept`, `why`).
    #[staticmethod]
    #[pyo3(signature = (train, valid, default, map, keep, groups=true, rules=None, max_values=4_000_000, sample_mib=1024, estimate="mean"))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn fit<'py>(
        py: Python<'py>,
        train: &Bound<'py, PyAny>,
        valid: &Bound<'py, PyAny>,
        default: Option<PyScheme>,
        map: Vec<(String, Option<PyScheme>)>,
        keep: Vec<String>,
        groups: bool,
        rules: Option<Vec<String>>,
        max_values: usize,
        sample_mib: usize,
        estimate: &str,
    ) -> PyResult<(PyModel, Vec<Bound<'py, PyDict>>)> {
        if max_values == 0 || sample_mib == 0 {
            return Err(PyValueError::new_err("max_values and sample_mib must be at least 1: fitting needs values"));
        }
        let how = self::estimate(estimate)?;
        let rules = match rules {
            None => Rule::defaults(),
            Some(r) => r
                .iter()
                .map(|r| r.parse::<Rule>())
                .collect::<Result<_, _>>()
                .map_err(|e| from_model(py, Some("rules"), e))?,
        };
        let (train, valid) = (import_stream(train)?, import_stream(valid)?);
        let schema = train.schema();
        let names: Vec<String> =
            schema.fields().iter().filter(|f| is_float(f.data_type())).map(|f| f.name().clone()).collect();
        if let Some(f) = schema.fields().iter().find(|f| f.metadata().contains_key(hep_io::SCHEME_KEY)) {
            return Err(scheme_mismatch(
                py,
                format!(
                    "column {:?} records the lossy scheme {}: fit needs the original values",
                    f.name(),
                    f.metadata()[hep_io::SCHEME_KEY]
                ),
            ));
        }
        let declaration = Declaration::new(default, map, keep);
        let schemes: HashMap<String, float_bits::Scheme> =
            names.iter().filter_map(|n| declaration.of(n).map(|s| (n.clone(), s))).collect();
        // 20 bytes a validation value (value and event), as `hepfloat fit` counts them.
        let per_column = max_values.min(sample_mib.saturating_mul(1 << 20) / 20 / names.len().max(1)).max(1);
        let (model, tested) = py
            .detach(|| {
                let mut gathered = Gathered::new(per_column);
                let events = gathered.add_all(train, Part::Training, 0)?;
                gathered.add_all(valid, Part::Validation, events)?;
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let mut found = if groups { models::detect_groups(&refs, &rules) } else { vec![] };
                let tested = gathered.test_groups(&mut found);
                let request = gathered.request(models::Schemes::PerColumn(schemes));
                let options = FitOptions { estimate: how, ..FitOptions::default() };
                let request = FitRequest { groups: found, options, ..request };
                Model::fit_request(&request).map(|m| (m, tested))
            })
            .map_err(|e| from_model(py, Some("fit"), e))?;
        let tested = tested
            .into_iter()
            .map(|(g, verdict)| {
                let d = PyDict::new(py);
                d.set_item("relation", g.relation.to_string())?;
                d.set_item("members", g.members)?;
                d.set_item("kept", verdict.kept())?;
                d.set_item(
                    "why",
                    match verdict {
                        Verdict::Holds => None,
                        Verdict::Widened(w) | Verdict::Dropped(w) => Some(w),
                    },
                )?;
                Ok(d)
            })
            .collect::<PyResult<_>>()?;
        Ok((PyModel(Arc::new(model)), tested))
    }

    /// The batches of `stream` (an Arrow stream of compressed events) upsampled: every float
    /// column the model knows, the others unchanged; an upsampled column's `hepfloat.scheme`
    /// metadata moves to `hepfloat.upsampled_from`. A column whose metadata records another
    /// scheme than the model's is a `SchemeMismatchError` now, as is (when read) a value that
    /// is not an output of the model's scheme. Draws of `estimate="sample"` are seeded by
    /// `seed` and each value's position in its column from the first batch.
    #[pyo3(signature = (stream, estimate="mean", seed=0, eager=true))]
    fn upsample(
        &self,
        py: Python<'_>,
        stream: &Bound<'_, PyAny>,
        estimate: &str,
        seed: u64,
        eager: bool,
    ) -> PyResult<ArrowStream> {
        let how = self::estimate(estimate)?;
        let input = import_stream(stream)?;
        let schema = input.schema();
        let mut differ = Vec::new();
        for f in schema.fields() {
            let Some(expected) = self.0.scheme_of(f.name()) else { continue };
            match hep_io::scheme_of(f) {
                Ok(Some(s)) if s != *expected => {
                    differ.push(format!("{}: the data records {s}, the model expects {expected}", f.name()))
                }
                Ok(_) => {}
                Err(e) => return Err(crate::errors::from_io("input", e)),
            }
        }
        if !differ.is_empty() {
            let shown = differ[..differ.len().min(5)].join("; ");
            let more = if differ.len() > 5 { "; …" } else { "" };
            return Err(scheme_mismatch(
                py,
                format!("the model does not fit the data: {} columns differ in scheme ({shown}{more})", differ.len()),
            ));
        }
        let model = &self.0;
        let out_schema = map_fields(&schema, |f| {
            if model.column(f.name()).is_some() && is_float(f.data_type()) {
                hep_io::upsampled_from(f.clone())
            } else {
                f.clone()
            }
        });
        let upsampled = Upsampler::shared(self.0.clone(), how, seed).reader(input);
        hand_over(py, Relabelled { input: upsampled, schema: out_schema }, eager)
    }

    /// The values `x` (a contiguous 1-D numpy array of float32) of column `name`, compressed
    /// with the model's scheme, upsampled by the column's own model; `first_row` is the
    /// position of `x[0]` in its column (it seeds `estimate="sample"` draws with `seed`).
    #[pyo3(signature = (name, x, estimate="mean", seed=0, first_row=0))]
    fn upsample_values<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        x: PyReadonlyArray1<'py, f32>,
        estimate: &str,
        seed: u64,
        first_row: u64,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let how = self::estimate(estimate)?;
        let values = x.as_slice().map_err(|_| {
            PyValueError::new_err("upsample: the array is not contiguous; pass numpy.ascontiguousarray(x)")
        })?;
        let out = py
            .detach(|| {
                let mut out = vec![0f32; values.len()];
                let request = models::Request { seed, first_row, ..models::Request::new(how) };
                self.0.upsample_with(name, values, &request, &mut out).map(|()| out)
            })
            .map_err(|e| from_model(py, Some(&format!("column {name:?}")), e))?;
        Ok(out.into_pyarray(py))
    }
}

/// The batches of `stream` with each float column compressed as `default`, `map` and `keep`
/// declare (as `Model.fit` takes them), bit for bit what the producer writes; each compressed
/// column's field records its scheme (`hepfloat.scheme` metadata), as `hepfloat compress`
/// writes it.
#[pyfunction]
#[pyo3(signature = (stream, default, map, keep, eager=true))]
pub fn compress_stream(
    py: Python<'_>,
    stream: &Bound<'_, PyAny>,
    default: Option<PyScheme>,
    map: Vec<(String, Option<PyScheme>)>,
    keep: Vec<String>,
    eager: bool,
) -> PyResult<ArrowStream> {
    let input = import_stream(stream)?;
    let declaration = Declaration::new(default, map, keep);
    let schema = input.schema();
    let out_schema = map_fields(&schema, |f| match declaration.of(f.name()) {
        Some(s) if is_float(f.data_type()) => hep_io::with_scheme(f.clone(), &s),
        _ => f.clone(),
    });
    let compressed = input.map(move |b| {
        b.and_then(|b| {
            models::batch::compress_columns(&b, |n| declaration.of(n))
                .map(|(c, _)| c)
                .map_err(|e| ArrowError::ExternalError(Box::new(e)))
        })
    });
    let reader = RecordBatchIterator::new(compressed, schema);
    hand_over(py, Relabelled { input: reader, schema: out_schema }, eager)
}
