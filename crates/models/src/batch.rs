//! Apache Arrow record batches in and out: the `float` values of a column (plain, or inside lists
//! of any depth, as ROOT and awkward write them), compression of a batch the way a producer does
//! it, and streaming upsampling that keeps every column's name, rows, list structure and nulls.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, ArrayRef, FixedSizeListArray, Float32Array, LargeListArray, ListArray, RecordBatch};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::DataType;
use float_bits::Scheme;

use crate::{Error, Estimate, Model, Result};

/// Whether `data_type` is `float` or a (nested) list of `float`.
///
/// ```
/// use arrow_schema::{DataType, Field};
/// use std::sync::Arc;
/// assert!(models::batch::is_float(&DataType::Float32));
/// assert!(models::batch::is_float(&DataType::LargeList(Arc::new(Field::new("item", DataType::Float32, false)))));
/// assert!(!models::batch::is_float(&DataType::Float64));
/// ```
pub fn is_float(data_type: &DataType) -> bool {
    match data_type {
        DataType::Float32 => true,
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => is_float(f.data_type()),
        _ => false,
    }
}

/// The non-null `float` values of `array` in order (lists of any depth flattened, only the
/// values its rows refer to), or `None` if it is not a float column (see [`is_float`]).
///
/// ```
/// use arrow_array::{Array, Float32Array};
/// let a = Float32Array::from(vec![Some(1.0), None, Some(3.0)]);
/// assert_eq!(models::batch::float_values(&a), Some(vec![1.0, 3.0]));
/// ```
pub fn float_values(array: &dyn Array) -> Option<Vec<f32>> {
    if !is_float(array.data_type()) {
        return None;
    }
    let mut out = Vec::new();
    visit(array, &mut |a| match a.nulls() {
        None => out.extend_from_slice(a.values()),
        Some(n) => out.extend(a.values().iter().zip(n.iter()).filter_map(|(v, ok)| ok.then_some(*v))),
    });
    Some(out)
}

/// The row of each value [`float_values`] returns (the event of each value, in a batch of
/// events), or `None` if `array` is not a float column. Values of one row are the ones a
/// resampling by event keeps together ([`crate::evidence`]).
///
/// ```
/// use arrow_array::{ListArray, types::Float32Type};
/// let jets = ListArray::from_iter_primitive::<Float32Type, _, _>([Some(vec![Some(1.0), Some(2.0)]), Some(vec![]), Some(vec![Some(3.0)])]);
/// assert_eq!(models::batch::float_values(&jets), Some(vec![1.0, 2.0, 3.0]));
/// assert_eq!(models::batch::float_rows(&jets), Some(vec![0, 0, 2]));
/// ```
pub fn float_rows(array: &dyn Array) -> Option<Vec<u64>> {
    if !is_float(array.data_type()) {
        return None;
    }
    let mut out = Vec::new();
    let rows: Vec<u64> = (0..array.len() as u64).collect();
    visit_rows(array, &rows, &mut out);
    Some(out)
}

/// [`visit`] for rows: `row[i]` is the row of element `i` of `array`; the row of every non-null
/// float is appended to `out`.
fn visit_rows(array: &dyn Array, row: &[u64], out: &mut Vec<u64>) {
    match array.data_type() {
        DataType::Float32 => match array.nulls() {
            None => out.extend_from_slice(row),
            Some(n) => out.extend(row.iter().zip(n.iter()).filter_map(|(r, ok)| ok.then_some(*r))),
        },
        DataType::List(_) => list_rows(array.as_list::<i32>(), row, out),
        DataType::LargeList(_) => list_rows(array.as_list::<i64>(), row, out),
        DataType::FixedSizeList(_, n) => {
            let l = array.as_fixed_size_list();
            let n = *n as usize;
            let child: Vec<u64> = row[..l.len()].iter().flat_map(|&r| std::iter::repeat_n(r, n)).collect();
            visit_rows(l.values().slice(l.offset() * n, l.len() * n).as_ref(), &child, out);
        }
        _ => {}
    }
}

/// [`visit_rows`] of a variable-length list: each child element takes its list's row.
fn list_rows<O: arrow_array::OffsetSizeTrait>(l: &arrow_array::GenericListArray<O>, row: &[u64], out: &mut Vec<u64>) {
    let o = l.value_offsets();
    let (s, e) = (o[0].as_usize(), o[l.len()].as_usize());
    let child: Vec<u64> =
        o.windows(2).zip(row).flat_map(|(w, &r)| std::iter::repeat_n(r, (w[1] - w[0]).as_usize())).collect();
    visit_rows(l.values().slice(s, e - s).as_ref(), &child, out);
}

/// Call `f` on every `float` leaf of `array`, restricted to the values its rows refer to.
fn visit(array: &dyn Array, f: &mut impl FnMut(&Float32Array)) {
    match array.data_type() {
        DataType::Float32 => f(array.as_primitive::<Float32Type>()),
        DataType::List(_) => {
            let l = array.as_list::<i32>();
            let (s, e) = (l.value_offsets()[0] as usize, l.value_offsets()[l.len()] as usize);
            visit(l.values().slice(s, e - s).as_ref(), f);
        }
        DataType::LargeList(_) => {
            let l = array.as_list::<i64>();
            let (s, e) = (l.value_offsets()[0] as usize, l.value_offsets()[l.len()] as usize);
            visit(l.values().slice(s, e - s).as_ref(), f);
        }
        DataType::FixedSizeList(_, n) => {
            let l = array.as_fixed_size_list();
            let n = *n as usize;
            visit(l.values().slice(l.offset() * n, l.len() * n).as_ref(), f);
        }
        _ => {}
    }
}

/// `array` with its non-null `float` values replaced, in the order of [`float_values`]: same
/// type, rows, list structure and nulls.
///
/// ```
/// use arrow_array::{Array, Float32Array};
/// let a = Float32Array::from(vec![Some(1.0), None, Some(3.0)]);
/// let b = models::batch::with_float_values(&a, &[10.0, 30.0])?;
/// assert_eq!(models::batch::float_values(b.as_ref()), Some(vec![10.0, 30.0]));
/// assert!(b.is_null(1));
/// # Ok::<(), models::Error>(())
/// ```
pub fn with_float_values(array: &dyn Array, values: &[f32]) -> Result<ArrayRef> {
    if !is_float(array.data_type()) {
        return Err(Error::NotFloat { data_type: array.data_type().clone() });
    }
    let mut slots = 0;
    visit(array, &mut |a| slots += a.len() - a.null_count());
    if slots != values.len() {
        return Err(Error::LengthMismatch {
            what: "float values vs the column's float slots",
            left: values.len(),
            right: slots,
        });
    }
    let mut rest = values;
    rebuild(array, &mut rest)
}

fn take<'a>(rest: &mut &'a [f32], n: usize) -> Result<&'a [f32]> {
    if rest.len() < n {
        // `with_float_values` counted the slots first: not reached.
        return Err(Error::LengthMismatch {
            what: "float values vs the column's float slots",
            left: rest.len(),
            right: n,
        });
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

fn shifted<O: arrow_array::OffsetSizeTrait>(offsets: &OffsetBuffer<O>) -> OffsetBuffer<O> {
    let first = offsets[0];
    OffsetBuffer::new(ScalarBuffer::from(offsets.iter().map(|&o| o - first).collect::<Vec<O>>()))
}

fn rebuild(array: &dyn Array, rest: &mut &[f32]) -> Result<ArrayRef> {
    Ok(match array.data_type() {
        DataType::Float32 => {
            let nulls = array.logical_nulls().filter(|n| n.null_count() > 0);
            let values: Vec<f32> = match &nulls {
                None => take(rest, array.len())?.to_vec(),
                Some(n) => {
                    let mut it = take(rest, array.len() - n.null_count())?.iter();
                    n.iter().map(|ok| if ok { it.next().copied().unwrap_or(0.0) } else { 0.0 }).collect()
                }
            };
            Arc::new(Float32Array::new(values.into(), nulls))
        }
        DataType::List(field) => {
            let l = array.as_list::<i32>();
            let (s, e) = (l.value_offsets()[0] as usize, l.value_offsets()[l.len()] as usize);
            let child = rebuild(l.values().slice(s, e - s).as_ref(), rest)?;
            Arc::new(ListArray::try_new(field.clone(), shifted(l.offsets()), child, l.nulls().cloned())?)
        }
        DataType::LargeList(field) => {
            let l = array.as_list::<i64>();
            let (s, e) = (l.value_offsets()[0] as usize, l.value_offsets()[l.len()] as usize);
            let child = rebuild(l.values().slice(s, e - s).as_ref(), rest)?;
            Arc::new(LargeListArray::try_new(field.clone(), shifted(l.offsets()), child, l.nulls().cloned())?)
        }
        DataType::FixedSizeList(field, n) => {
            let l = array.as_fixed_size_list();
            let size = *n as usize;
            let child = rebuild(l.values().slice(l.offset() * size, l.len() * size).as_ref(), rest)?;
            let nulls: Option<NullBuffer> = l.nulls().cloned();
            Arc::new(FixedSizeListArray::try_new(field.clone(), *n, child, nulls)?)
        }
        other => return Err(Error::NotFloat { data_type: other.clone() }),
    })
}

/// Whether column `name` is exempt from compression by `keep`: an entry matches the whole name or
/// its variable ([`names::variable`](crate::names::variable): after the `.` of a TTree name or
/// the `:` of an RNTuple one; ATLAS keeps `pt`, `eta`, `phi`, `m` of every container).
///
/// ```
/// let keep = ["pt", "eta", "phi", "m"];
/// assert!(models::batch::is_kept("AnalysisJetsAuxDyn.pt", &keep));
/// assert!(models::batch::is_kept("AnalysisJetsAuxDyn:pt", &keep));
/// assert!(!models::batch::is_kept("AnalysisJetsAuxDyn.JetConstitScaleMomentum_pt", &keep));
/// assert!(models::batch::is_kept("x", &["x"]));
/// ```
pub fn is_kept(name: &str, keep: &[impl AsRef<str>]) -> bool {
    let var = crate::names::variable(name);
    keep.iter().any(|k| k.as_ref() == name || k.as_ref() == var)
}

/// What [`compress_batch`] did.
///
/// ```
/// let c = models::batch::Compressed::default();
/// assert_eq!((c.values, c.kept), (0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compressed {
    /// Float values rounded by the scheme.
    pub values: u64,
    /// Float values left at full precision (kept columns).
    pub kept: u64,
}

/// `batch` with every `float` column except the [`is_kept`] ones compressed by `scheme`, as a
/// producer writes it; other columns pass through unchanged.
///
/// ```
/// use arrow_array::{Float32Array, RecordBatch};
/// use std::sync::Arc;
/// let b = RecordBatch::try_from_iter([
///     ("c.pt", Arc::new(Float32Array::from(vec![1.2345678f32])) as _),
///     ("c.x", Arc::new(Float32Array::from(vec![1.2345678f32])) as _),
/// ])?;
/// let (out, n) = models::batch::compress_batch(&float_bits::Scheme::atlas(7)?, &b, &["pt"])?;
/// assert_eq!((n.values, n.kept), (1, 1));
/// assert_eq!(models::batch::float_values(out.column(0).as_ref()), Some(vec![1.2345678]));
/// assert_eq!(models::batch::float_values(out.column(1).as_ref()), Some(vec![1.234375]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compress_batch(
    scheme: &Scheme,
    batch: &RecordBatch,
    keep: &[impl AsRef<str>],
) -> Result<(RecordBatch, Compressed)> {
    compress_columns(batch, |name| (!is_kept(name, keep)).then_some(*scheme))
}

/// `batch` with each `float` column compressed by its own scheme, `scheme_of(column name)`
/// (`None`: left at full precision), as a producer that mixes precisions writes it (ATLAS's 7-
/// and 15-bit lists, CMS NanoAOD's per-branch bits); other columns pass through unchanged.
///
/// ```
/// use arrow_array::{Float32Array, RecordBatch};
/// use float_bits::Scheme;
/// use std::sync::Arc;
/// let x = || Arc::new(Float32Array::from(vec![1.2345678f32])) as _;
/// let b = RecordBatch::try_from_iter([("a", x()), ("b", x()), ("c", x())])?;
/// let (out, n) = models::batch::compress_columns(&b, |name| match name {
///     "a" => Some(Scheme::atlas(7).unwrap()),
///     "b" => Some(Scheme::cms(15).unwrap()),
///     _ => None,
/// })?;
/// assert_eq!((n.values, n.kept), (2, 1));
/// let v = |i: usize| models::batch::float_values(out.column(i).as_ref()).unwrap()[0];
/// assert_eq!((v(0), v(1), v(2)), (1.234375, 1.2345581, 1.2345678));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compress_columns(
    batch: &RecordBatch,
    scheme_of: impl Fn(&str) -> Option<Scheme>,
) -> Result<(RecordBatch, Compressed)> {
    let schema = batch.schema();
    let mut work: Vec<(&str, &ArrayRef, Option<Scheme>)> = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| (field.name().as_str(), column, scheme_of(field.name())))
        .collect();
    // Each column on its own, in parallel; the first error in column order.
    let done = in_parallel(&mut work, |&mut (name, column, scheme)| {
        let Some(mut values) = float_values(column.as_ref()) else { return Ok((column.clone(), 0, 0)) };
        let Some(scheme) = scheme else { return Ok((column.clone(), 0, values.len() as u64)) };
        let in_column = |e: Error| e.in_column(name);
        scheme.compress_in_place(&mut values).map_err(|e| in_column(e.into()))?;
        Ok((with_float_values(column.as_ref(), &values).map_err(in_column)?, values.len() as u64, 0))
    })?;
    let mut counts = Compressed::default();
    let mut columns = Vec::with_capacity(done.len());
    for (column, values, kept) in done {
        counts.values += values;
        counts.kept += kept;
        columns.push(column);
    }
    let out = RecordBatch::try_new(schema, columns)?;
    Ok((out, counts))
}

/// `f` of every item on rayon's current thread pool, in item order; the first error in item
/// order, whatever finished first, so that neither results nor errors depend on the thread
/// count.
fn in_parallel<T: Send, R: Send>(items: &mut [T], f: impl Fn(&mut T) -> Result<R> + Sync + Send) -> Result<Vec<R>> {
    use rayon::prelude::*;
    let out: Vec<Result<R>> = items.par_iter_mut().with_max_len(1).map(f).collect();
    out.into_iter().collect()
}

/// Streaming upsampling of record batches with a fitted [`Model`]: every float column the model
/// knows is upsampled (through its group's joint posterior where the gate chose it), all other
/// columns pass through unchanged. Draws of [`Estimate::Sample`] are seeded per value by its
/// position in its column across all batches, so splitting a file into batches differently
/// gives the same output.
///
/// ```
/// use arrow_array::{Float32Array, RecordBatch};
/// use std::sync::Arc;
/// let s = float_bits::Scheme::atlas(7)?;
/// let x: Vec<f32> = (0..400).map(|i| (i % 7) as f32).collect(); // integers: restored exactly
/// let model = models::Model::fit(&s, &[("x", &x[..200], &x[200..])], Default::default())?;
/// let original = RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(x.clone())) as _)])?;
/// let (compressed, _) = models::batch::compress_batch(&s, &original, &["pt"])?;
/// let mut up = models::batch::Upsampler::new(&model, models::Estimate::Mean, 0);
/// let out = up.upsample(&compressed)?;
/// assert_eq!(out, original);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Upsampler<'m> {
    model: Held<'m>,
    how: Estimate,
    seed: u64,
    /// Values of each column seen so far (the global index of the next one).
    rows: HashMap<String, u64>,
    /// Columns that took their own prior because their container network's inputs were not all
    /// in a batch.
    fallbacks: std::collections::BTreeSet<String>,
}

impl<'m> Upsampler<'m> {
    /// An upsampler with `model`, estimator `how` and draw seed `seed`, starting at row 0.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[], Default::default())?;
    /// let up = models::batch::Upsampler::new(&m, models::Estimate::Sample, 42);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn new(model: &'m Model, how: Estimate, seed: u64) -> Self {
        Upsampler { model: Held::Borrowed(model), how, seed, rows: HashMap::new(), fallbacks: Default::default() }
    }

    /// An upsampler that shares `model` (so that it can outlive the caller's borrow: in a
    /// reader handed to another thread or language); otherwise as [`Upsampler::new`].
    ///
    /// ```
    /// let m = std::sync::Arc::new(models::Model::fit(&float_bits::Scheme::atlas(7)?, &[], Default::default())?);
    /// let up: models::batch::Upsampler<'static> = models::batch::Upsampler::shared(m, models::Estimate::Mean, 0);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn shared(model: Arc<Model>, how: Estimate, seed: u64) -> Upsampler<'static> {
        Upsampler { model: Held::Shared(model), how, seed, rows: HashMap::new(), fallbacks: Default::default() }
    }

    /// The batches of `input` upsampled one by one as they are read, as a
    /// [`RecordBatchReader`](arrow_array::RecordBatchReader) of the same schema: the one call
    /// that upsamples a stream. An error of the upsampler comes out as
    /// [`ArrowError::ExternalError`](arrow_schema::ArrowError::ExternalError) holding the
    /// [`Error`].
    ///
    /// ```
    /// use arrow_array::{Float32Array, RecordBatch, RecordBatchIterator};
    /// use std::sync::Arc;
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let x: Vec<f32> = (0..400).map(|i| (i % 7) as f32).collect();
    /// let model = models::Model::fit(&s, &[("x", &x[..200], &x[200..])], Default::default())?;
    /// let original = RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(x)) as _)])?;
    /// let (compressed, _) = models::batch::compress_batch(&s, &original, &["pt"])?;
    /// let input = RecordBatchIterator::new([Ok(compressed.slice(0, 150)), Ok(compressed.slice(150, 250))], compressed.schema());
    /// let up = models::batch::Upsampler::new(&model, models::Estimate::Mean, 0).reader(input);
    /// let batches = up.collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(batches, [original.slice(0, 150), original.slice(150, 250)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reader<R: arrow_array::RecordBatchReader>(self, input: R) -> Upsampled<'m, R> {
        Upsampled { up: self, input }
    }

    /// Values upsampled so far, over all columns and batches.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[], Default::default())?;
    /// assert_eq!(models::batch::Upsampler::new(&m, models::Estimate::Mean, 0).values(), 0);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn values(&self) -> u64 {
        self.rows.values().sum()
    }

    /// The columns that took their own prior (their gated choice among the priors) instead of
    /// their container network ([`Choice::Container`](crate::Choice::Container)), in some
    /// batch, because a column the network reads was not in it — a model applied to a sample
    /// that lacks some of the fields it was fitted on. [`Model::upsample_table`] and
    /// [`Model::upsample_with`] refuse such input instead ([`Error::MissingColumn`]).
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[], Default::default())?;
    /// assert!(models::batch::Upsampler::new(&m, models::Estimate::Mean, 0).fallbacks().next().is_none());
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn fallbacks(&self) -> impl Iterator<Item = &str> {
        self.fallbacks.iter().map(String::as_str)
    }

    /// Upsample the next batch (same schema as the previous ones). Columns the model does not
    /// know pass through; a column it knows must hold floats.
    ///
    /// ```
    /// use arrow_array::{Float32Array, RecordBatch};
    /// use std::sync::Arc;
    /// let s = float_bits::Scheme::atlas(7)?;
    /// // Values around 1: the preimage of 1.0 is asymmetric, its midpoint helps.
    /// let x: Vec<f32> = (0..400).map(|i| 0.998 + 0.0098 * (i as f32 * 0.618).fract()).collect();
    /// let m = models::Model::fit(&s, &[("x", &x[..200], &x[200..])], Default::default())?;
    /// assert_eq!(m.column("x").unwrap().choice_name(), "uniform");
    /// let batch = |v: &[f32]| RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(v.to_vec())) as _)]);
    /// let c = vec![1.0f32; 8];
    /// let mut up = models::batch::Upsampler::new(&m, models::Estimate::Sample, 1);
    /// let (first, second) = (up.upsample(&batch(&c[..5])?)?, up.upsample(&batch(&c[5..])?)?);
    /// let whole = models::batch::Upsampler::new(&m, models::Estimate::Sample, 1).upsample(&batch(&c)?)?;
    /// assert_eq!(whole.slice(5, 3), second); // the second batch continues the draws of the first
    /// assert_ne!(first.slice(0, 3), second);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn upsample(&mut self, batch: &RecordBatch) -> Result<RecordBatch> {
        let schema = batch.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let position = |m: &str| names.iter().position(|n| *n == m);
        // The columns the model upsamples, and those it reads besides (group members and neural
        // context kept at full precision): each extracted once.
        let known: Vec<bool> = names.iter().map(|n| self.model.column(n).is_some()).collect();
        let mut read = known.clone();
        let contexts = self.model.columns().iter().flat_map(|c| self.model.reads(&c.name));
        for m in self.model.groups().iter().flat_map(|g| &g.members).chain(contexts) {
            if let Some(i) = position(m) {
                read[i] = true;
            }
        }
        // The values of each column read, extracted in parallel.
        let mut values: Vec<(usize, Option<Vec<f32>>)> = (0..names.len()).map(|i| (i, None)).collect();
        in_parallel(&mut values, |(i, v)| {
            if read[*i] {
                *v = float_values(batch.column(*i).as_ref());
                if v.is_none() && known[*i] {
                    let data_type = batch.column(*i).data_type().clone();
                    return Err(Error::NotFloat { data_type }.in_column(names[*i]));
                }
            }
            Ok(())
        })?;
        let values: Vec<Option<Vec<f32>>> = values.into_iter().map(|(_, v)| v).collect();
        let slice = |i: usize| values[i].as_deref().unwrap_or_default();
        let mut outputs: Vec<Option<Vec<f32>>> =
            (0..names.len()).map(|i| known[i].then(|| vec![0f32; slice(i).len()])).collect();
        let mut done = vec![false; names.len()];
        // Each used group with its members, aligned (one row per object): the columns it reads
        // (`at`, its members first), how many are members, and its first row.
        let mut tasks: Vec<(Vec<usize>, usize, u64)> = Vec::new();
        for group in self.model.groups() {
            let joint =
                |m: &String| names.contains(&m.as_str()) && self.model.column(m).is_some_and(|c| c.constraint());
            if !group.members.iter().any(joint) {
                continue; // none of the batch's columns takes its values from this group
            }
            let mut at: Vec<usize> = group
                .columns()
                .map(|m| {
                    position(m).ok_or_else(|| Error::MissingColumn { column: m.clone(), needed_by: group.describe() })
                })
                .collect::<Result<_>>()?;
            // Members whose own model reads context bring those columns into the table (kept
            // columns: they pass through it unchanged).
            let members = at.len();
            for m in &group.members {
                for c in self.model.reads(m) {
                    if let Some(i) = position(c).filter(|i| !at.contains(i)) {
                        at.push(i);
                    }
                }
            }
            // Members are aligned: any compressed one counts the group's rows.
            let first = at.iter().find(|&&i| known[i]).map_or(names[at[0]], |&i| names[i]);
            let first_row = self.rows.get(first).copied().unwrap_or(0);
            tasks.push((at, members, first_row));
        }
        // Each container network some column of the batch takes its values from, run once for
        // all its fields (its fields first, then its context); a column in a group's task above
        // takes its values from there.
        let in_group: Vec<usize> = tasks.iter().flat_map(|(at, members, _)| at[..*members].to_vec()).collect();
        let mut nets = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if let Some(crate::Choice::Container { net, .. }) = self.model.column(name).map(|c| &c.choice)
                && self.how != crate::Estimate::Sample
                && !in_group.contains(&i)
                && !nets.contains(net)
            {
                nets.push(*net);
            }
        }
        // A network that reads a column the batch lacks is not run: its columns take their own
        // prior (and are reported by `fallbacks`).
        let mut unusable = Vec::new();
        for &net in &nets {
            let c = &self.model.containers()[net];
            match c.fields.iter().chain(&c.context).map(|m| position(m)).collect::<Option<Vec<usize>>>() {
                Some(at) => {
                    let first_row = self.rows.get(names[at[0]]).copied().unwrap_or(0);
                    tasks.push((at, c.fields.len(), first_row));
                }
                None => unusable.push(net),
            }
        }
        let fallback: Vec<bool> = names
            .iter()
            .map(|n| {
                matches!(self.model.column(n).map(|c| &c.choice),
                    Some(crate::Choice::Container { net, .. }) if unusable.contains(net))
            })
            .collect();
        for (n, _) in names.iter().zip(&fallback).filter(|p| *p.1) {
            self.fallbacks.insert((*n).to_string());
        }
        // The groups in parallel (each reads its own rows only; the first error in group order).
        let (model, how, seed) = (&*self.model, self.how, self.seed);
        let grouped = in_parallel(&mut tasks, |(at, members, first_row)| {
            let table: Vec<(&str, &[f32])> = at.iter().map(|&i| (names[i], slice(i))).collect();
            let mut outs: Vec<Vec<f32>> = at.iter().map(|&i| vec![0f32; slice(i).len()]).collect();
            let mut refs: Vec<&mut [f32]> = outs.iter_mut().map(|v| v.as_mut_slice()).collect();
            let mut fallbacks = model.table(&table, how, seed, *first_row, &mut refs, true)?;
            // Only the members' outputs are taken from this table.
            fallbacks.retain(|n| at[..*members].iter().any(|&i| names[i] == n));
            Ok((outs, fallbacks))
        })?;
        let grouped: Vec<Vec<Vec<f32>>> = grouped
            .into_iter()
            .map(|(outs, fallbacks)| {
                self.fallbacks.extend(fallbacks);
                outs
            })
            .collect();
        for ((at, members, _), outs) in tasks.iter().zip(grouped) {
            for (&i, out) in at.iter().zip(outs).take(*members) {
                if known[i] && !done[i] {
                    outputs[i] = Some(out);
                    done[i] = true;
                }
            }
        }
        // The other columns, each on its own (in parallel: draws are seeded by position, so
        // the output does not depend on the thread count; the first error in column order).
        let rows = &self.rows;
        let mut rest: Vec<(usize, &mut Vec<f32>)> = outputs
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| !done[*i])
            .filter_map(|(i, out)| Some((i, out.as_mut()?)))
            .collect();
        in_parallel(&mut rest, |(i, out)| {
            let name = names[*i];
            let first_row = rows.get(name).copied().unwrap_or(0);
            if fallback[*i] {
                return model.upsample_prior(name, slice(*i), how, seed, first_row, out).map_err(|e| e.in_column(name));
            }
            let context: Vec<(&str, &[f32])> =
                model.reads(name).filter_map(|c| position(c).map(|j| (names[j], slice(j)))).collect();
            let request = crate::Request { how, seed, first_row, context: &context };
            model.upsample_with(name, slice(*i), &request, out).map_err(|e| e.in_column(name))
        })?;
        for (name, out) in names.iter().zip(&outputs) {
            if let Some(out) = out {
                *self.rows.entry((*name).to_string()).or_insert(0) += out.len() as u64;
            }
        }
        // The columns rebuilt around their new values, in parallel.
        let mut rebuilt: Vec<(usize, &Option<Vec<f32>>)> = outputs.iter().enumerate().collect();
        let columns = in_parallel(&mut rebuilt, |(i, out)| match out {
            Some(out) => with_float_values(batch.column(*i).as_ref(), out).map_err(|e| e.in_column(names[*i])),
            None => Ok(batch.column(*i).clone()),
        })?;
        Ok(RecordBatch::try_new(schema, columns)?)
    }
}

/// The model of an [`Upsampler`]: borrowed, or shared.
#[derive(Debug)]
enum Held<'m> {
    Borrowed(&'m Model),
    Shared(Arc<Model>),
}

impl std::ops::Deref for Held<'_> {
    type Target = Model;
    fn deref(&self) -> &Model {
        match self {
            Held::Borrowed(m) => m,
            Held::Shared(m) => m,
        }
    }
}

/// The batches of a [`RecordBatchReader`](arrow_array::RecordBatchReader) upsampled as they are
/// read ([`Upsampler::reader`]); itself a reader of the same schema.
#[derive(Debug)]
pub struct Upsampled<'m, R> {
    up: Upsampler<'m>,
    input: R,
}

impl<R: arrow_array::RecordBatchReader> Iterator for Upsampled<'_, R> {
    type Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.input.next()?;
        Some(batch.and_then(|b| self.up.upsample(&b).map_err(|e| arrow_schema::ArrowError::ExternalError(Box::new(e)))))
    }
}

impl<R: arrow_array::RecordBatchReader> arrow_array::RecordBatchReader for Upsampled<'_, R> {
    fn schema(&self) -> arrow_schema::SchemaRef {
        self.input.schema()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::Field;

    /// The positions `Thinning` keeps of a stream of `n` values cut into batches of `size`.
    fn thinned(k: usize, n: u64, size: u64) -> Vec<u64> {
        let (mut t, mut kept) = (Thinning::new(k), Vec::new());
        let mut p = 0;
        while p < n {
            for q in p..(p + size).min(n) {
                if t.admit() {
                    kept.push(q);
                }
            }
            if let Some(mask) = t.settle() {
                Thinning::retain(&mut kept, &mask);
            }
            p += size;
        }
        kept
    }

    /// Against a plain reference over the whole stream at once: sort every position by its hash
    /// and take the `k` lowest — whatever the batches.
    #[test]
    fn thinning_keeps_the_positions_that_hash_lowest() {
        for (k, n) in [(10, 5), (10, 10), (10, 11), (100, 10_000), (1000, 100_000), (1, 50)] {
            let mut expected: Vec<u64> = (0..n).collect();
            expected.sort_by_key(|&p| position_hash(p));
            expected.truncate(k);
            expected.sort_unstable();
            for size in [1, 7, 1000, n] {
                assert_eq!(thinned(k, n, size), expected, "k {k}, n {n}, batches of {size}");
            }
        }
    }

    /// Spread: each tenth of a long stream holds about a tenth of the 2000 kept positions (a
    /// tenth's count is close to binomial, sd 13.4; the bounds are 5 sd).
    #[test]
    fn thinning_spreads_over_the_whole_stream() {
        let kept = thinned(2000, 1_000_000, 4096);
        let mut tenths = [0usize; 10];
        for p in &kept {
            tenths[(*p / 100_000) as usize] += 1;
        }
        assert_eq!(kept.len(), 2000);
        assert!(tenths.iter().all(|&c| c.abs_diff(200) < 67), "{tenths:?}");
    }

    /// Two columns of one container (the same offsets) keep the same rows, in both parts, and
    /// the validation events follow their values.
    #[test]
    fn gathered_columns_of_one_container_stay_aligned() {
        let rows: Vec<Vec<f32>> = (0..3000).map(|e| (0..(e % 5)).map(|j| (e * 10 + j) as f32).collect()).collect();
        let list = |scale: f32| {
            let it = rows.iter().map(|r| Some(r.iter().map(|&x| Some(x * scale)).collect::<Vec<_>>()));
            Arc::new(ListArray::from_iter_primitive::<Float32Type, _, _>(it)) as ArrayRef
        };
        let batch = RecordBatch::try_from_iter([("J.a", list(1.0)), ("J.b", list(2.0))]).unwrap();
        let mut g = Gathered::new(500);
        for (i, part) in [(0, Part::Training), (1, Part::Validation)] {
            for at in (0..3000).step_by(700) {
                let n = 700.min(3000 - at);
                g.add(&batch.slice(at, n), part, (i * 3000 + at) as u64).unwrap();
            }
        }
        let c: Vec<_> = g.columns().collect();
        assert_eq!((c[0].train.len(), c[0].valid.len()), (500, 500));
        for (a, b) in [(c[0].train, c[1].train), (c[0].valid, c[1].valid)] {
            assert_eq!(a.len(), b.len());
            assert!(a.iter().zip(b).all(|(x, y)| 2.0 * x == *y), "aligned rows");
        }
        // A value x of event e is e * 10 + j: its recorded event is 3000 + e.
        let events = c[0].valid_events.unwrap();
        assert!(c[0].valid.iter().zip(events).all(|(x, e)| (*x as u64) / 10 + 3000 == *e));
    }

    fn nested() -> ArrayRef {
        // [[[1, 2], []], null, [[3]]] sliced to its last two rows, with a null float.
        let inner = Arc::new(Field::new("item", DataType::Float32, true));
        let leaf = Float32Array::from(vec![Some(1.0), Some(2.0), None, Some(3.0)]);
        let mid = LargeListArray::new(inner, OffsetBuffer::new(vec![0i64, 2, 2, 3, 4].into()), Arc::new(leaf), None);
        let outer = Arc::new(Field::new("item", mid.data_type().clone(), false));
        let top = ListArray::new(
            outer,
            OffsetBuffer::new(vec![0i32, 2, 3, 4].into()),
            Arc::new(mid),
            Some(NullBuffer::from(vec![true, false, true])),
        );
        Arc::new(top.slice(1, 2))
    }

    #[test]
    fn nested_lists_round_trip() {
        let a = nested();
        assert_eq!(float_values(a.as_ref()), Some(vec![3.0]));
        let b = with_float_values(a.as_ref(), &[30.0]).unwrap();
        assert_eq!(b.len(), 2);
        assert!(b.is_null(0));
        assert_eq!(float_values(b.as_ref()), Some(vec![30.0]));
        assert!(with_float_values(a.as_ref(), &[]).is_err());
        assert!(with_float_values(a.as_ref(), &[1.0, 2.0]).is_err());
    }
}

/// Which events a batch given to [`Gathered::add`] belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The events priors and networks learn from.
    Training,
    /// The events the gate scores every candidate on.
    Validation,
}

/// Which values of a stream to keep so that at most `k` are held, spread over the whole stream
/// and the same however it is cut into batches: the `k` values whose positions `p` (0, 1, … in
/// the stream) hash lowest (bottom-k sampling; the hash is a bijection, so there are no ties). A
/// stream of at most `k` values is kept whole. The caller holds the values (in stream order, in
/// its own vectors): it appends each value that [`Thinning::admit`] admits, and after each batch
/// drops those [`Thinning::settle`] says to ([`Thinning::retain`]). Columns with the same number
/// of values (the members of one container) keep the same positions, so kept rows stay aligned
/// across them. Each held value costs 8 bytes here besides the caller's.
///
/// ```
/// use models::batch::Thinning;
/// let mut t = Thinning::new(100);
/// let mut kept = Vec::new();
/// for batch in (0..10_000u32).collect::<Vec<_>>().chunks(333) {
///     for &x in batch {
///         if t.admit() {
///             kept.push(x);
///         }
///     }
///     if let Some(mask) = t.settle() {
///         Thinning::retain(&mut kept, &mask);
///     }
/// }
/// assert_eq!(kept.len(), 100);
/// assert!(kept[0] < 1000 && *kept.last().unwrap() > 9000, "spread over the stream");
/// ```
#[derive(Clone, Debug)]
pub struct Thinning {
    k: usize,
    seen: u64,
    /// Once `k` were held: the largest hash among the `k` lowest so far; only lower ones enter.
    bound: Option<u64>,
    /// The hash of each held value, in stream order.
    hashes: Vec<u64>,
}

/// SplitMix64's finaliser: a bijection of `u64` whose outputs look uniform, so the positions
/// with the lowest hashes are a uniform sample of the positions.
fn position_hash(position: u64) -> u64 {
    let mut z = position.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Thinning {
    /// Keep at most `k` values (at least 1).
    ///
    /// ```
    /// assert_eq!(models::batch::Thinning::new(0).held(), 0);
    /// ```
    pub fn new(k: usize) -> Self {
        Thinning { k: k.max(1), seen: 0, bound: None, hashes: Vec::new() }
    }

    /// Whether the stream's next value is held (the caller then appends it).
    ///
    /// ```
    /// let mut t = models::batch::Thinning::new(5);
    /// assert!((0..5).all(|_| t.admit())); // the first k are always held, for now
    /// ```
    pub fn admit(&mut self) -> bool {
        let h = position_hash(self.seen);
        self.seen += 1;
        let held = self.bound.is_none_or(|b| h < b);
        if held {
            self.hashes.push(h);
        }
        held
    }

    /// After a batch: where more than `k` values are held, keep the `k` whose positions hash
    /// lowest, and return which of the held values stay (in stream order; the caller drops the
    /// others, [`Thinning::retain`]); `None` where all stay.
    ///
    /// ```
    /// let mut t = models::batch::Thinning::new(2);
    /// for _ in 0..4 {
    ///     t.admit();
    /// }
    /// let mask = t.settle().expect("4 held, 2 at most");
    /// assert_eq!((mask.len(), mask.iter().filter(|&&m| m).count(), t.held()), (4, 2, 2));
    /// ```
    pub fn settle(&mut self) -> Option<Vec<bool>> {
        if self.hashes.len() <= self.k {
            return None;
        }
        let mut lowest = self.hashes.clone();
        let (_, &mut bound, _) = lowest.select_nth_unstable(self.k - 1);
        let mask: Vec<bool> = self.hashes.iter().map(|&h| h <= bound).collect();
        self.hashes.retain(|&h| h <= bound);
        self.bound = Some(bound);
        Some(mask)
    }

    /// Values held now.
    ///
    /// ```
    /// let mut t = models::batch::Thinning::new(9);
    /// t.admit();
    /// assert_eq!(t.held(), 1);
    /// ```
    pub fn held(&self) -> usize {
        self.hashes.len()
    }

    /// Drop the items of `held` (one per held value, in stream order) that `mask` from
    /// [`Thinning::settle`] does not keep.
    ///
    /// ```
    /// let mut v = vec![1, 2, 3];
    /// models::batch::Thinning::retain(&mut v, &[true, false, true]);
    /// assert_eq!(v, [1, 3]);
    /// ```
    pub fn retain<T>(held: &mut Vec<T>, mask: &[bool]) {
        let mut m = mask.iter();
        held.retain(|_| m.next().copied().unwrap_or(false));
    }

    /// Values offered so far (held or not).
    ///
    /// ```
    /// let mut t = models::batch::Thinning::new(9);
    /// t.admit();
    /// assert_eq!(t.seen(), 1);
    /// ```
    pub fn seen(&self) -> u64 {
        self.seen
    }
}

/// The float columns of record batches gathered for fitting: each column's training and
/// validation originals and the event of each validation value (the gate resamples evidence by
/// event), at most `max_values` values per column and part — where a column holds more, a
/// sample spread over all of them ([`Thinning`]: the same however the data are cut into
/// batches, and the same rows in the columns of one container). [`Gathered::request`] turns them
/// into a [`FitRequest`](crate::FitRequest); [`Model::fit_batches`] does all of it in one call.
///
/// ```
/// use arrow_array::{ListArray, RecordBatch, types::Float32Type};
/// use models::batch::{Gathered, Part};
/// use std::sync::Arc;
/// let jets = |rows: Vec<Vec<f32>>| {
///     let pt = ListArray::from_iter_primitive::<Float32Type, _, _>(rows.into_iter().map(|r| Some(r.into_iter().map(Some))));
///     RecordBatch::try_from_iter([("Jets.pt", Arc::new(pt) as _)])
/// };
/// let mut g = Gathered::new(1_000_000);
/// g.add(&jets(vec![vec![10.0, 20.0], vec![30.0]])?, Part::Training, 0)?;
/// g.add(&jets(vec![vec![], vec![40.0, 50.0]])?, Part::Validation, 2)?; // events 2 and 3
/// let c = g.columns().next().unwrap();
/// assert_eq!((c.name, c.train, c.valid, c.valid_events), ("Jets.pt", &[10.0, 20.0, 30.0][..], &[40.0, 50.0][..], Some(&[3u64, 3][..])));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Gathered {
    names: Vec<String>,
    train: Vec<Vec<f32>>,
    valid: Vec<Vec<f32>>,
    events: Vec<Vec<u64>>,
    /// Which values of each column's training and validation parts are held.
    thinning: Vec<[Thinning; 2]>,
    max_values: usize,
}

impl Gathered {
    /// Nothing gathered yet; each column keeps at most `max_values` values of each part (where it
    /// holds more, `max_values` spread over the part), which bounds the memory of fitting.
    pub fn new(max_values: usize) -> Self {
        Gathered { max_values, ..Gathered::default() }
    }

    /// The float columns seen so far, in the order they first appeared.
    ///
    /// ```
    /// assert!(models::batch::Gathered::new(10).names().is_empty());
    /// ```
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Gather the float columns of `batch` (one row per event, its first row being event
    /// `first_event`) into `part`; other columns are ignored. A float column first seen here is
    /// added (empty in the batches before).
    ///
    /// ```
    /// use arrow_array::{Float32Array, Int32Array, RecordBatch};
    /// use std::sync::Arc;
    /// let b = RecordBatch::try_from_iter([
    ///     ("x", Arc::new(Float32Array::from(vec![1.0f32, 2.0, 3.0])) as _),
    ///     ("n", Arc::new(Int32Array::from(vec![1, 2, 3])) as _),
    /// ])?;
    /// let mut g = models::batch::Gathered::new(2); // at most 2 values per column and part
    /// g.add(&b, models::batch::Part::Training, 0)?;
    /// assert_eq!(g.names(), ["x"]);
    /// let train = g.columns().next().unwrap().train;
    /// assert!(train.len() == 2 && train.iter().all(|x| [1.0, 2.0, 3.0].contains(x)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&mut self, batch: &RecordBatch, part: Part, first_event: u64) -> Result<()> {
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            if !is_float(field.data_type()) {
                continue;
            }
            let i = match self.names.iter().position(|n| n == field.name()) {
                Some(i) => i,
                None => {
                    self.names.push(field.name().clone());
                    self.train.push(Vec::new());
                    self.valid.push(Vec::new());
                    self.events.push(Vec::new());
                    self.thinning.push([Thinning::new(self.max_values), Thinning::new(self.max_values)]);
                    self.names.len() - 1
                }
            };
            let not_float = || Error::NotFloat { data_type: field.data_type().clone() }.in_column(field.name());
            let values = float_values(column.as_ref()).ok_or_else(not_float)?;
            let thinning = &mut self.thinning[i][usize::from(part == Part::Validation)];
            if part == Part::Training {
                let into = &mut self.train[i];
                into.extend(values.iter().filter(|_| thinning.admit()));
                if let Some(mask) = thinning.settle() {
                    Thinning::retain(into, &mask);
                }
            } else {
                let rows = float_rows(column.as_ref()).ok_or_else(not_float)?;
                let (into, events) = (&mut self.valid[i], &mut self.events[i]);
                for (&x, &r) in values.iter().zip(&rows) {
                    if thinning.admit() {
                        into.push(x);
                        events.push(first_event + r);
                    }
                }
                if let Some(mask) = thinning.settle() {
                    Thinning::retain(into, &mask);
                    Thinning::retain(events, &mask);
                }
            }
        }
        Ok(())
    }

    /// Gather every batch of `batches` into `part`, the first one starting at event
    /// `first_event`; returns the number of events (rows) read.
    ///
    /// ```
    /// use arrow_array::{Float32Array, RecordBatch, RecordBatchIterator};
    /// use std::sync::Arc;
    /// let b = RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(vec![1.0f32, 2.0])) as _)])?;
    /// let reader = RecordBatchIterator::new([Ok(b.clone()), Ok(b.clone())], b.schema());
    /// let mut g = models::batch::Gathered::new(100);
    /// assert_eq!(g.add_all(reader, models::batch::Part::Validation, 10)?, 4);
    /// assert_eq!(g.columns().next().unwrap().valid_events, Some(&[10u64, 11, 12, 13][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_all(
        &mut self,
        batches: impl IntoIterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>>,
        part: Part,
        first_event: u64,
    ) -> Result<u64> {
        let mut at = first_event;
        for batch in batches {
            let batch = batch?;
            self.add(&batch, part, at)?;
            at += batch.num_rows() as u64;
        }
        Ok(at - first_event)
    }

    /// Every gathered column, validation events included, in the order of [`Gathered::names`].
    pub fn columns(&self) -> impl Iterator<Item = crate::Column<'_>> {
        (0..self.names.len())
            .map(|i| crate::Column::new(&self.names[i], &self.train[i], &self.valid[i]).events(&self.events[i]))
    }

    /// A [`FitRequest`](crate::FitRequest) of the gathered columns: those `schemes` name are
    /// upsampled, the others kept at full precision (context for relation groups and networks);
    /// no groups and default options, to be set on the request.
    ///
    /// ```
    /// use arrow_array::{Float32Array, RecordBatch};
    /// use std::collections::HashMap;
    /// use std::sync::Arc;
    /// let x: Vec<f32> = (0..100).map(|i| i as f32 * 0.37).collect();
    /// let b = RecordBatch::try_from_iter([("a", Arc::new(Float32Array::from(x.clone())) as _), ("b", Arc::new(Float32Array::from(x)) as _)])?;
    /// let mut g = models::batch::Gathered::new(1000);
    /// g.add(&b, models::batch::Part::Training, 0)?;
    /// g.add(&b, models::batch::Part::Validation, 100)?;
    /// let schemes = models::Schemes::PerColumn(HashMap::from([("a".to_string(), float_bits::Scheme::atlas(7)?)]));
    /// let request = g.request(schemes);
    /// assert_eq!((request.columns[0].name, request.kept[0].name), ("a", "b"));
    /// let model = models::Model::fit_request(&request)?;
    /// assert!(model.column("a").is_some() && model.column("b").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request(&self, schemes: impl Into<crate::Schemes>) -> crate::FitRequest<'_> {
        let mut request = crate::FitRequest::new(schemes);
        for column in self.columns() {
            if request.schemes.of(column.name).is_ok() {
                request.columns.push(column);
            } else {
                request.kept.push(column);
            }
        }
        request
    }
}

impl Gathered {
    /// Test relation `groups` on the gathered originals (training and validation values
    /// together) before fitting with them: groups with a member (not a declared constant) that
    /// was not gathered are removed silently, the others are tested ([`Group::settle`](crate::Group::settle): a
    /// relation that misses slightly has its tolerance widened) and removed where they do not
    /// hold. Returns every tested group, as tested, with its verdict, in order.
    ///
    /// ```
    /// use arrow_array::{Float32Array, RecordBatch};
    /// use models::{Group, Relation};
    /// use std::sync::Arc;
    /// let a: Vec<f32> = (0..200).map(|i| i as f32 / 200.0).collect();
    /// let col = |v: Vec<f32>| Arc::new(Float32Array::from(v)) as _;
    /// let b = RecordBatch::try_from_iter([("a", col(a.clone())), ("b", col(a.iter().map(|x| 1.0 - x).collect())), ("c", col(a.clone()))])?;
    /// let mut g = models::batch::Gathered::new(1000);
    /// g.add(&b, models::batch::Part::Training, 0)?;
    /// let mut groups = vec![
    ///     Group::new(Relation::SumToOne, ["a", "b"])?, // holds
    ///     Group::new(Relation::SumToOne, ["a", "c"])?, // does not
    ///     Group::new(Relation::SumToOne, ["a", "z"])?, // no column z: not tested
    /// ];
    /// let tested = g.test_groups(&mut groups);
    /// assert_eq!((groups.len(), tested.len()), (1, 2));
    /// assert!(tested[0].1.kept() && !tested[1].1.kept());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn test_groups(&self, groups: &mut Vec<crate::Group>) -> Vec<(crate::Group, crate::Verdict)> {
        groups.retain(|g| g.columns().all(|m| self.names.contains(m)));
        let originals = |m: &str| {
            let i = self.names.iter().position(|n| n == m);
            i.map_or_else(Vec::new, |i| [&self.train[i][..], &self.valid[i][..]].concat())
        };
        let mut tested = Vec::with_capacity(groups.len());
        groups.retain_mut(|g| {
            let values: Vec<Vec<f32>> = g.members.iter().map(|m| originals(m)).collect();
            let columns: Vec<(&[f32], Option<&Scheme>)> = values.iter().map(|v| (v.as_slice(), None)).collect();
            let verdict = g.settle(&columns);
            let kept = verdict.kept();
            tested.push((g.clone(), verdict));
            kept
        });
        tested
    }
}

impl Model {
    /// Fit a model on two sources of record batches, one call: the float columns of `train`
    /// (events 0, 1, …) and of `valid` (the events after them) are gathered ([`Gathered`], at
    /// most [`MAX_GATHERED`] values per column and part), the columns `schemes` names are
    /// upsampled and the others kept as context, and the gate decides per column. For relation
    /// groups, build the request with [`Gathered::request`] and set its `groups`.
    ///
    /// ```
    /// use arrow_array::{Float32Array, RecordBatch, RecordBatchIterator};
    /// use std::sync::Arc;
    /// // A column of integers, compressed at k = 7: the lattice prior puts them back.
    /// let n: Vec<f32> = (0..4000).map(|i| (i % 997) as f32).collect();
    /// let batch = |v: &[f32]| RecordBatch::try_from_iter([("Tracks.nHits", Arc::new(Float32Array::from(v.to_vec())) as _)]);
    /// let (train, valid) = (batch(&n[..2000])?, batch(&n[2000..])?);
    /// let model = models::Model::fit_batches(
    ///     &float_bits::Scheme::atlas(7)?,
    ///     RecordBatchIterator::new([Ok(train.clone())], train.schema()),
    ///     RecordBatchIterator::new([Ok(valid.clone())], valid.schema()),
    ///     models::FitOptions::default(),
    /// )?;
    /// assert_eq!(model.column("Tracks.nHits").unwrap().choice_name(), "lattice");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit_batches(
        schemes: impl Into<crate::Schemes>,
        train: impl arrow_array::RecordBatchReader,
        valid: impl arrow_array::RecordBatchReader,
        options: crate::FitOptions<'_>,
    ) -> Result<Model> {
        let mut gathered = Gathered::new(MAX_GATHERED);
        let events = gathered.add_all(train, Part::Training, 0)?;
        gathered.add_all(valid, Part::Validation, events)?;
        let request = crate::FitRequest { options, ..gathered.request(schemes) };
        Model::fit_request(&request)
    }
}

/// The values per column and part [`Model::fit_batches`] gathers: 4 Mi (16 MiB of `f32`).
pub const MAX_GATHERED: usize = 1 << 22;
