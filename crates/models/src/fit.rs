//! The gate: fit every candidate on a training split, score each on a validation split
//! against the originals, and keep one only where its gain holds.

use float_bits::Scheme;

use std::collections::HashMap;

use crate::evidence::{self, Gain};
use crate::model::{group_stream, stream};
use crate::prior::{Histogram, Lattice, Training};
use crate::{
    Choice, ColumnModel, ContainerModel, Error, Estimate, Group, Kind, Kinds, MAX_CONTEXT, MAX_FIELDS, Method, Model,
    NeuralColumn, Prior, Progress, Result, SchemeSpec, Score, Seed,
};

/// The scheme each column to fit was compressed with: one for every column (what a `&Scheme`
/// converts to), or one per column name, as in a file that mixes precisions (ATLAS's 7- and
/// 15-bit lists, CMS NanoAOD's per-branch bits).
///
/// ```
/// use float_bits::Scheme;
/// use models::Schemes;
/// let all: Schemes = (&Scheme::atlas(7)?).into();
/// assert_eq!(all.of("anything")?, &Scheme::atlas(7)?);
/// let mixed = Schemes::PerColumn([("a".to_string(), Scheme::atlas(7)?), ("b".to_string(), Scheme::cms(10)?)].into());
/// assert_eq!(mixed.of("b")?, &Scheme::cms(10)?);
/// assert!(mixed.of("c").is_err()); // a column without a scheme
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Schemes {
    /// Every column.
    All(Scheme),
    /// Per column name; a column not listed has no scheme (an error where one is needed).
    PerColumn(HashMap<String, Scheme>),
}

impl Schemes {
    /// The scheme of `column`.
    pub fn of(&self, column: &str) -> Result<&Scheme> {
        match self {
            Schemes::All(s) => Ok(s),
            Schemes::PerColumn(m) => m.get(column).ok_or_else(|| Error::InvalidSetting {
                setting: "schemes",
                detail: format!("no scheme for column {column:?}"),
            }),
        }
    }
}

impl From<Scheme> for Schemes {
    fn from(s: Scheme) -> Self {
        Schemes::All(s)
    }
}

impl From<&Scheme> for Schemes {
    fn from(s: &Scheme) -> Self {
        Schemes::All(*s)
    }
}

/// Settings of [`Model::fit`].
///
/// ```
/// let o = models::FitOptions::default();
/// assert_eq!((o.min_atom_count, o.histogram_bins), (3, 32));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FitOptions<'a> {
    /// The estimate the gate scores candidates with (the MSE of `Mean` by default).
    pub estimate: Estimate,
    /// How often an exact value must occur in training to become an atom of [`Histogram`].
    pub min_atom_count: u32,
    /// Bins of the within-interval position histogram of [`Histogram`].
    pub histogram_bins: usize,
    /// Seed of the draws when scoring `Sample` (and of the neural models' weights).
    pub seed: u64,
    /// Also try these neural models ([`neural::Net`](crate::neural)) on every column that has
    /// context — kept columns of the same container (the name up to its last `.`), aligned —
    /// and at least [`MIN_NEURAL`] training values, in [`Kind::ALL`]'s order. Only bounded kinds
    /// may be candidates. Needs the `neural` feature.
    pub neural: Kinds,
    /// Not a gate: put this candidate on every column where it applies (the neural kind fitted
    /// alone, unbounded ones included; the constraint on every group), the identity elsewhere.
    /// For comparing methods, never for production models.
    pub force: Option<Method>,
    /// Told of every epoch of every neural fit (for a progress display).
    pub progress: Option<Progress<'a>>,
    /// Give the neural models, beside the kept columns of the container, its other compressed
    /// columns as context: their compressed values, as a file holds them (in training, the
    /// training originals compressed with their schemes), up to [`MAX_CONTEXT`] columns in
    /// all, kept ones first. The gate still decides per column on validation evidence.
    pub sibling_context: bool,
    /// Also fit, per container (the name up to its last `.`), one network of each of these kinds
    /// ([`Kind::Hybrid`], [`Kind::Inpainting`]) that reconstructs all its aligned compressed
    /// columns at once from their compressed values and the container's kept columns
    /// ([`neural::ContainerNet`](crate::neural)), where it has at least two such columns with
    /// [`MIN_NEURAL`] training values. Each column's output is one more candidate
    /// (`container-hybrid`, `container-inpainting`), which the gate takes or leaves per column
    /// on validation evidence, as every other. Needs the `neural` feature.
    pub containers: Kinds,
}

/// The fewest training values the gate fits a neural model on.
pub const MIN_NEURAL: usize = 200;

impl Default for FitOptions<'_> {
    fn default() -> Self {
        FitOptions {
            estimate: Estimate::Mean,
            min_atom_count: 3,
            histogram_bins: 32,
            seed: 0,
            neural: Kinds::NONE,
            force: None,
            progress: None,
            sibling_context: false,
            containers: Kinds::NONE,
        }
    }
}

/// The fewest validation values on which the gate moves a column off the identity (see also
/// [`evidence::MIN_EVENTS`]).
pub const MIN_VALIDATION: usize = 20;

/// A column's validation split: originals, their compressed values and the event of each
/// finite original.
struct Validation<'a> {
    original: &'a [f32],
    compressed: Vec<f32>,
    /// The event of each finite original (`None`: each value its own).
    events: Option<Vec<u64>>,
    /// Seeds the resampling of this column's evidence.
    seed: u64,
    /// The quantile of the bound: [`evidence::ALPHA`] divided among the column's candidates.
    alpha: f64,
    /// Whether most originals whose preimage holds more than one value differ from their
    /// compressed value (of at least [`MIN_VALIDATION`]): the column is continuous at this
    /// precision, not a set of exact values.
    continuous: bool,
}

impl<'a> Validation<'a> {
    fn new(scheme: &Scheme, column: &Column<'a>, seed: u64) -> Result<Self> {
        let original = column.valid;
        let Training { compressed, lo, hi, .. } = Training::new(scheme, original)?;
        let events = column
            .valid_events
            .map(|e| e.iter().zip(original).filter(|(_, x)| x.is_finite()).map(|(e, _)| *e).collect());
        let (mut open, mut exact) = (0usize, 0usize);
        for i in 0..original.len() {
            if !crate::prior::certain(compressed[i], lo[i], hi[i]) {
                open += 1;
                exact += usize::from(original[i].to_bits() == compressed[i].to_bits());
            }
        }
        // Too few values to tell keep the identity, as the gate does.
        let continuous = open >= MIN_VALIDATION && 2 * exact < open;
        let seed = stream(seed, column.name);
        Ok(Validation { original, compressed, events, seed, alpha: evidence::ALPHA, continuous })
    }

    /// Squared errors of the pairs whose original is finite (a non-finite estimate of a finite
    /// original counts as infinitely wrong).
    fn errors(&self, estimate: &[f32]) -> Vec<f64> {
        self.original
            .iter()
            .zip(estimate)
            .filter(|(x, _)| x.is_finite())
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .map(|d| if d.is_nan() { f64::INFINITY } else { d })
            .collect()
    }

    /// The gain of errors `new` over `old` (paired, same values), resampled by event; none on
    /// fewer than [`MIN_VALIDATION`] values.
    fn gain(&self, old: &[f64], new: &[f64]) -> Gain {
        if new.len() < MIN_VALIDATION {
            return Gain { total: 0.0, lower: None, events: 0 };
        }
        evidence::gain_at(old, new, self.events.as_deref(), self.seed, self.alpha)
    }

    /// The number of validation events (values, where their events are not given).
    fn event_count(&self) -> u64 {
        match &self.events {
            Some(e) => e.windows(2).filter(|w| w[0] != w[1]).count() as u64 + u64::from(!e.is_empty()),
            None => self.original.iter().filter(|x| x.is_finite()).count() as u64,
        }
    }
}

/// Each group checked, and the group of each member; a column in two groups is an error.
fn membership(groups: &[Group]) -> Result<HashMap<&str, usize>> {
    let mut member_of = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        group.check()?;
        // A declared constant (`=VALUE`) is no column: several groups may share it.
        for m in group.columns() {
            if member_of.insert(m.as_str(), g).is_some() {
                let detail = format!("column {m:?} is in another group too");
                return Err(Error::InvalidGroup { members: group.members.clone(), detail });
            }
        }
    }
    Ok(member_of)
}

/// Whether a group's full posterior (every member moved) beats moving only the members it
/// narrows (`narrowed`), by the gate's rule on the squared errors of the group's compressed
/// members summed per row: the relation's full posterior rests on the flat prior inside the
/// intervals it only trims, which holds where the spectrum is flat across an interval (the toy)
/// and not where it falls steeply (measured on both PHYSLITE samples, `docs/gate.md`).
fn full_wins(
    group: &Group,
    columns: &[Column<'_>],
    own: &HashMap<&str, (Validation<'_>, Vec<f64>, Best)>,
    narrowed: &[Vec<f32>],
    full: &[Vec<f32>],
) -> bool {
    let members: Vec<(usize, &Validation<'_>)> =
        group.members.iter().enumerate().filter_map(|(m, name)| own.get(name.as_str()).map(|o| (m, &o.0))).collect();
    let Some(&(first, validation)) = members.first() else { return false };
    let rows = narrowed[first].len();
    if rows < MIN_VALIDATION {
        return false;
    }
    let summed = |est: &[Vec<f32>]| -> Vec<f64> {
        (0..rows)
            .map(|r| {
                members
                    .iter()
                    .filter_map(|&(m, v)| Some((*v.original.get(r)?, *est[m].get(r)?)))
                    .filter(|(x, _)| x.is_finite())
                    .map(|(x, y)| (f64::from(x) - f64::from(y)).powi(2))
                    .map(|d| if d.is_nan() { f64::INFINITY } else { d })
                    .sum()
            })
            .collect()
    };
    let events = columns.iter().find(|c| c.name == group.members[first]).and_then(|c| c.valid_events);
    let base = summed(narrowed);
    // Like a network, the flat prior is checked only by evidence spread over enough events.
    evidence::effective_events(&base, events) >= evidence::MIN_EVENTS as f64
        && evidence::gain_at(&base, &summed(full), events, validation.seed, validation.alpha).holds()
}

/// The kept columns that give `name` its context: same container ([`crate::names::container`]),
/// aligned with it in training and validation.
fn context_of<'a>(
    name: &str,
    train: usize,
    valid: usize,
    kept: &[Column<'a>],
    siblings: &[Column<'a>],
) -> Vec<Column<'a>> {
    let Some(container) = crate::names::container(name) else { return vec![] };
    kept.iter()
        .chain(siblings.iter().filter(|c| c.name != name))
        .filter(|k| {
            crate::names::container(k.name) == Some(container) && k.train.len() == train && k.valid.len() == valid
        })
        .copied()
        .take(MAX_CONTEXT)
        .collect()
}

/// The compressed columns' training and validation originals compressed with their schemes,
/// as context for the neural models of their container ([`FitOptions::sibling_context`]).
fn compressed_copies(schemes: &Schemes, columns: &[Column<'_>]) -> Result<Vec<(Vec<f32>, Vec<f32>)>> {
    columns
        .iter()
        .map(|c| {
            let scheme = schemes.of(c.name)?;
            let copy = |v: &[f32]| -> Result<Vec<f32>> {
                let mut v = v.to_vec();
                scheme.compress_in_place(&mut v).map_err(|e| Error::from(e).in_column(c.name))?;
                Ok(v)
            };
            Ok((copy(c.train)?, copy(c.valid)?))
        })
        .collect()
}

/// Fit a neural model on `train` (its last fifth stops the training early, so that the
/// validation split stays unseen for the gate) and estimate the validation values with it.
fn fit_neural(
    kind: Kind,
    scheme: &Scheme,
    train: &[f32],
    validation: &Validation<'_>,
    context: &[Column<'_>],
    opts: &FitOptions<'_>,
    name: &str,
) -> Result<(NeuralColumn, Vec<f32>)> {
    #[cfg(not(feature = "neural"))]
    {
        let _ = (kind, scheme, train, validation, context, opts, name);
        Err(Error::FeatureDisabled { feature: "neural", needed_for: "fitting a neural model" })
    }
    #[cfg(feature = "neural")]
    {
        use crate::neural::{Config, Net, Rows};
        let cut = train.len() * 4 / 5;
        let ctx_fit: Vec<&[f32]> = context.iter().map(|c| &c.train[..cut]).collect();
        let ctx_stop: Vec<&[f32]> = context.iter().map(|c| &c.train[cut..]).collect();
        let ctx_valid: Vec<&[f32]> = context.iter().map(|c| c.valid).collect();
        let tell = |e: &crate::Epoch| {
            if let Some(Progress(f)) = opts.progress {
                f(name, e)
            }
        };
        let (net, _) = Net::fit_with(
            &crate::neural::Device::flex(),
            kind,
            scheme,
            Rows { values: &train[..cut], context: &ctx_fit },
            Rows { values: &train[cut..], context: &ctx_stop },
            Config { seed: opts.seed, ..Config::default() },
            &tell,
        )?;
        let mut est = vec![0f32; validation.compressed.len()];
        let seed = Seed { stream: stream(opts.seed, name), first_row: 0 };
        net.upsample(Rows { values: &validation.compressed, context: &ctx_valid }, opts.estimate, seed, &mut est)?;
        let column =
            NeuralColumn { context: context.iter().map(|c| c.name.to_string()).collect(), model: net.to_file()? };
        Ok((column, est))
    }
}

/// A container network fitted for the gate: its stored form and its estimates of each field's
/// validation values.
struct FittedContainer {
    stored: ContainerModel,
    est: Vec<Vec<f32>>,
}

/// The containers of `columns` with at least two compressed columns aligned with each other (in
/// training and validation) and [`MIN_NEURAL`] training values: each container's columns (at
/// most [`MAX_FIELDS`]) and its aligned kept columns (at most [`MAX_CONTEXT`]).
fn container_fields<'a>(columns: &[Column<'a>], kept: &[Column<'a>]) -> Vec<(Vec<Column<'a>>, Vec<Column<'a>>)> {
    let mut out: Vec<(Vec<Column<'a>>, Vec<Column<'a>>)> = Vec::new();
    let key = |c: &Column<'_>| (crate::names::container(c.name).map(str::to_string), c.train.len(), c.valid.len());
    for c in columns.iter().filter(|c| c.train.len() >= MIN_NEURAL && !c.valid.is_empty()) {
        if key(c).0.is_none() {
            continue;
        }
        match out.iter_mut().find(|(f, _)| key(&f[0]) == key(c)) {
            Some((f, _)) if f.len() < MAX_FIELDS => f.push(*c),
            Some(_) => {}
            None => out.push((vec![*c], vec![])),
        }
    }
    out.retain(|(f, _)| f.len() >= 2);
    for (f, ctx) in &mut out {
        *ctx = kept.iter().filter(|k| key(k) == key(&f[0])).take(MAX_CONTEXT).copied().collect();
    }
    out
}

/// Fit a container network of `kind` on the training originals of `fields` (their last fifth
/// stops the training early) and estimate their validation values from their compressed values.
fn fit_container(
    kind: Kind,
    schemes: &Schemes,
    fields: &[Column<'_>],
    context: &[Column<'_>],
    opts: &FitOptions<'_>,
) -> Result<FittedContainer> {
    #[cfg(not(feature = "neural"))]
    {
        let _ = (kind, schemes, fields, context, opts);
        Err(Error::FeatureDisabled { feature: "neural", needed_for: "fitting a container network" })
    }
    #[cfg(feature = "neural")]
    {
        use crate::neural::{Config, ContainerNet, Device, Fields};
        let s: Vec<Scheme> = fields.iter().map(|c| schemes.of(c.name).copied()).collect::<Result<_>>()?;
        let cut = fields[0].train.len() * 4 / 5;
        /// The training values of `cols` in `range`, borrowed.
        fn part<'a>(cols: &[Column<'a>], range: std::ops::Range<usize>) -> Vec<&'a [f32]> {
            cols.iter().map(|c| &c.train[range.clone()]).collect()
        }
        let n = fields[0].train.len();
        let (fit_f, stop_f, fit_c, stop_c) =
            (part(fields, 0..cut), part(fields, cut..n), part(context, 0..cut), part(context, cut..n));
        fn refs(v: &[Vec<f32>]) -> Vec<&[f32]> {
            v.iter().map(Vec::as_slice).collect()
        }
        let label =
            format!("{} ({} fields)", crate::names::container(fields[0].name).unwrap_or_default(), fields.len());
        let tell = |e: &crate::Epoch| {
            if let Some(Progress(f)) = opts.progress {
                f(&label, e)
            }
        };
        let (net, _) = ContainerNet::fit_with(
            &Device::flex(),
            kind,
            &s,
            Fields { fields: &fit_f, context: &fit_c },
            Fields { fields: &stop_f, context: &stop_c },
            Config { seed: opts.seed, ..Config::default() },
            &tell,
        )?;
        let compressed: Vec<Vec<f32>> = fields
            .iter()
            .zip(&s)
            .map(|(c, s)| {
                let mut v = c.valid.to_vec();
                s.compress_in_place(&mut v).map_err(|e| Error::from(e).in_column(c.name))?;
                Ok(v)
            })
            .collect::<Result<_>>()?;
        let ctx_valid: Vec<&[f32]> = context.iter().map(|c| c.valid).collect();
        let mut est: Vec<Vec<f32>> = compressed.iter().map(|c| vec![0f32; c.len()]).collect();
        let mut views: Vec<&mut [f32]> = est.iter_mut().map(Vec::as_mut_slice).collect();
        net.upsample(Fields { fields: &refs(&compressed), context: &ctx_valid }, Estimate::Mean, &mut views)?;
        let stored = ContainerModel {
            fields: fields.iter().map(|c| c.name.to_string()).collect(),
            context: context.iter().map(|c| c.name.to_string()).collect(),
            model: net.to_file()?,
        };
        Ok(FittedContainer { stored, est })
    }
}

/// A candidate's score: its mean squared error and, where given, its gain over the compressed values.
fn score(name: &str, err: &[f64], gain: Option<&Gain>) -> Score {
    let mse = err.iter().sum::<f64>() / err.len().max(1) as f64;
    Score { prior: name.into(), mse, gain: gain.map(|g| g.total), lower: gain.and_then(|g| g.lower) }
}

/// Every prior fitted on training originals `train` (compressed with `scheme` as the producer
/// would): identity and uniform always, then the lattice if the values lie on one, and the
/// histogram — in the gate's order of preference.
///
/// ```
/// let s = float_bits::Scheme::atlas(7)?;
/// let names: Vec<_> = models::candidates(&s, &[1.0, 2.0, 3.0], &Default::default())?.iter().map(|p| p.name()).collect();
/// assert_eq!(names, ["identity", "uniform", "lattice", "histogram"]);
/// # Ok::<(), models::Error>(())
/// ```
pub fn candidates(scheme: &Scheme, train: &[f32], opts: &FitOptions<'_>) -> Result<Vec<Prior>> {
    let mut out = vec![Prior::Identity, Prior::Uniform];
    if !train.is_empty() {
        let t = Training::new(scheme, train)?;
        out.extend(Lattice::fit(&t).map(Prior::Lattice));
        out.push(Prior::Histogram(Histogram::fit(scheme, &t, opts.min_atom_count, opts.histogram_bins)?));
    }
    Ok(out)
}

/// One column of a fit: its name, training and validation originals, and the event of each
/// validation value (values of one event are resampled together when the gate weighs evidence;
/// see [`crate::evidence`]).
///
/// ```
/// let (train, valid, events) = ([1.5f32, 2.5], [2.5f32, 3.5, 4.5], [0u64, 0, 1]);
/// let c = models::Column::new("Jets.x", &train, &valid).events(&events);
/// assert_eq!(c.valid_events, Some(&events[..]));
/// let plain: models::Column = ("x", &train[..], &valid[..]).into(); // each value its own event
/// assert!(plain.valid_events.is_none());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Column<'a> {
    /// The column (branch) name.
    pub name: &'a str,
    /// Training originals.
    pub train: &'a [f32],
    /// Validation originals.
    pub valid: &'a [f32],
    /// The event (entry) of each validation value, non-decreasing, as long as `valid`; `None`:
    /// every value is its own event (right for a column of one value per event).
    pub valid_events: Option<&'a [u64]>,
}

impl<'a> Column<'a> {
    /// A column whose validation values are each their own event.
    pub fn new(name: &'a str, train: &'a [f32], valid: &'a [f32]) -> Self {
        Column { name, train, valid, valid_events: None }
    }

    /// The same column with the event of each validation value.
    pub fn events(self, valid_events: &'a [u64]) -> Self {
        Column { valid_events: Some(valid_events), ..self }
    }

    fn check(&self) -> Result<()> {
        let Some(e) = self.valid_events else { return Ok(()) };
        let bad = |detail: String| Error::InvalidSetting { setting: "Column::valid_events", detail };
        if e.len() != self.valid.len() {
            return Err(bad(format!(
                "column {:?}: {} events for {} validation values",
                self.name,
                e.len(),
                self.valid.len()
            )));
        }
        if let Some(i) = e.windows(2).position(|w| w[1] < w[0]) {
            return Err(bad(format!(
                "column {:?}: event {} after event {} at value {}",
                self.name,
                e[i + 1],
                e[i],
                i + 1
            )));
        }
        Ok(())
    }
}

impl<'a> From<(&'a str, &'a [f32], &'a [f32])> for Column<'a> {
    fn from((name, train, valid): (&'a str, &'a [f32], &'a [f32])) -> Self {
        Column::new(name, train, valid)
    }
}

/// Everything [`Model::fit_request`] fits: the columns to upsample with their schemes, the
/// columns kept at full precision (group members known exactly, context of neural models), the
/// relation groups and the settings.
///
/// ```
/// use models::{Column, FitRequest, Model};
/// let x: Vec<f32> = (0..400).map(|i| (i % 7) as f32).collect();
/// let events: Vec<u64> = (0..200).map(|i| i / 4).collect();
/// let request = FitRequest {
///     columns: vec![Column::new("c.n", &x[..200], &x[200..]).events(&events)],
///     ..FitRequest::new(&float_bits::Scheme::atlas(7)?)
/// };
/// let model = Model::fit_request(&request)?;
/// assert_eq!(model.column("c.n").unwrap().events, 50);
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FitRequest<'a> {
    /// The scheme of each column to upsample.
    pub schemes: Schemes,
    /// The columns to upsample.
    pub columns: Vec<Column<'a>>,
    /// Columns stored at full precision.
    pub kept: Vec<Column<'a>>,
    /// Relation groups among `columns` and `kept`.
    pub groups: Vec<Group>,
    /// Settings.
    pub options: FitOptions<'a>,
}

impl<'a> FitRequest<'a> {
    /// A request with `schemes`, no columns and default settings.
    pub fn new(schemes: impl Into<Schemes>) -> Self {
        FitRequest {
            schemes: schemes.into(),
            columns: vec![],
            kept: vec![],
            groups: vec![],
            options: FitOptions::default(),
        }
    }
}

/// The gate's choice for one column as it goes through the candidates: the index of the best
/// prior, whether the choice has left the compressed values, its errors and estimates.
struct Best {
    prior: usize,
    moved: bool,
    err: Vec<f64>,
    est: Vec<f32>,
}

impl Best {
    /// Whether a candidate with errors `err` and gain `over_identity` over the compressed values
    /// replaces this choice: its gain holds over the compressed values and, where the choice
    /// has already left them, over the choice too.
    fn beaten_by(&self, validation: &Validation<'_>, err: &[f64], over_identity: &Gain) -> bool {
        over_identity.holds() && (!self.moved || validation.gain(&self.err, err).holds())
    }
}

impl Model {
    /// Fit every column `(name, training originals, validation originals)` (each validation
    /// value its own event; [`Model::fit_request`] takes events): compress them with their
    /// scheme (`schemes`: one for all, or one per column) as the producer would, fit each prior
    /// on training, score all on validation and keep the best that holds. Candidates are tried
    /// in the order identity, uniform, lattice, histogram; one replaces the current choice only
    /// where its gain in total squared error, over the current choice and over the compressed
    /// values, holds across resampled validation events ([`crate::evidence`]), so noise on a
    /// small validation split keeps the simpler choice; a column without validation values
    /// keeps the identity. Fitting holds the given slices; cap them to bound memory.
    pub fn fit(schemes: impl Into<Schemes>, columns: &[(&str, &[f32], &[f32])], opts: FitOptions<'_>) -> Result<Model> {
        Self::fit_groups(schemes, columns, &[], &[], opts)
    }

    /// [`Model::fit`] with relation groups: after each column's own prior is chosen, every group's
    /// joint posterior is scored on validation as one more candidate of its compressed members
    /// (`constraint`), kept under the same rule. The relation moves only the members it
    /// narrows unless moving every member wins over that on evidence spread over enough events
    /// ([`Group::informative_only`], decided per group). `kept` are columns stored at full
    /// precision (e.g. `m` under the ATLAS exemptions): members of groups that are known
    /// exactly. Every member of a group must be among `columns` or `kept`, with equally long
    /// validation slices (one row per object), and a column may be in one group only; members
    /// may have different schemes.
    ///
    /// ```
    /// use models::{Group, Model, Relation};
    /// let scheme = float_bits::Scheme::atlas(7)?;
    /// // Probability triples that sum to one.
    /// let (mut pu, mut pc, mut pb) = (vec![], vec![], vec![]);
    /// for i in 0..4000 {
    ///     let (x, y) = ((i as f32 * 0.618).fract() * 0.5, (i as f32 * 0.414).fract() * 0.3);
    ///     pu.push(1.0 - x - y);
    ///     pc.push(x);
    ///     pb.push(y);
    /// }
    /// let cols: Vec<(&str, &[f32], &[f32])> =
    ///     vec![("pu", &pu[..2000], &pu[2000..]), ("pc", &pc[..2000], &pc[2000..]), ("pb", &pb[..2000], &pb[2000..])];
    /// let group = Group::new(Relation::SumToOne, ["pu", "pc", "pb"])?;
    /// let model = Model::fit_groups(&scheme, &cols, &[], &[group], Default::default())?;
    /// assert_eq!(model.column("pu").unwrap().choice_name(), "constraint");
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn fit_groups(
        schemes: impl Into<Schemes>,
        columns: &[(&str, &[f32], &[f32])],
        kept: &[(&str, &[f32], &[f32])],
        groups: &[Group],
        opts: FitOptions<'_>,
    ) -> Result<Model> {
        Self::fit_request(&FitRequest {
            schemes: schemes.into(),
            columns: columns.iter().map(|&c| c.into()).collect(),
            kept: kept.iter().map(|&c| c.into()).collect(),
            groups: groups.to_vec(),
            options: opts,
        })
    }

    /// The gate on a [`FitRequest`]: [`Model::fit_groups`], with the events of the validation
    /// values, so that evidence is resampled by event.
    pub fn fit_request(request: &FitRequest<'_>) -> Result<Model> {
        let FitRequest { schemes, columns, kept, groups, options: opts } = request;
        let member_of = membership(groups)?;
        let gate = opts.force.is_none();
        let forced = |name: &str| opts.force.is_some_and(|m| m.name() == name);
        let neural_kinds = match opts.force {
            Some(Method::Neural(k)) => Kinds::of(&[k]),
            Some(_) => Kinds::NONE,
            None => opts.neural,
        };
        if let Some(k) = opts.neural.iter().find(|k| !k.bounded()) {
            return Err(Error::InvalidSetting {
                setting: "FitOptions::neural",
                detail: format!("the gate takes bounded models only, not {k}"),
            });
        }
        for c in columns.iter().chain(kept) {
            c.check()?;
        }
        let listed = |m: &String| columns.iter().chain(kept).any(|c| c.name == m);
        for group in groups {
            if let Some(m) = group.columns().find(|m| !listed(m)) {
                let detail = format!("member {m:?} is not among the columns");
                return Err(Error::InvalidGroup { members: group.members.clone(), detail });
            }
        }
        let mut out = Vec::with_capacity(columns.len());
        let copies = if opts.sibling_context && !neural_kinds.is_empty() {
            compressed_copies(schemes, columns)?
        } else {
            vec![]
        };
        let siblings: Vec<Column<'_>> =
            copies.iter().zip(columns.iter()).map(|((t, v), c)| Column::new(c.name, t, v)).collect();
        // Container networks, scored per column below (they estimate the mean: never scored on
        // draws).
        let mut nets: Vec<FittedContainer> = Vec::new();
        let container_kinds = match opts.force {
            Some(Method::Container(k)) => Kinds::of(&[k]),
            Some(_) => Kinds::NONE,
            None => opts.containers,
        };
        if opts.estimate != Estimate::Sample && !container_kinds.is_empty() {
            if let Some(k) = container_kinds.iter().find(|k| !matches!(k, Kind::Hybrid | Kind::Inpainting)) {
                return Err(Error::InvalidSetting {
                    setting: "FitOptions::containers",
                    detail: format!("{k}: a container network is a hybrid or an inpainter"),
                });
            }
            for (fields, context) in container_fields(columns, kept) {
                for kind in container_kinds.iter() {
                    nets.push(fit_container(kind, schemes, &fields, &context, opts)?);
                }
            }
        }
        // For group members: the validation, the identity's errors and the column's own best.
        let mut own: HashMap<&str, (Validation<'_>, Vec<f64>, Best)> = HashMap::new();
        for column in columns {
            let &Column { name, train, valid, .. } = column;
            let scheme = schemes.of(name)?;
            let spec = SchemeSpec::try_from(scheme)?;
            let mut model = ColumnModel {
                name: name.into(),
                scheme: spec,
                prior: Prior::Identity,
                choice: Choice::Prior,
                sampler: None,
                scores: vec![],
                train: train.len() as u64,
                valid: valid.len() as u64,
                events: 0,
                validated: None,
                effective_events: None,
                recoverable: None,
            };
            if valid.is_empty() {
                // Nothing to score a prior on: the column stays as it was.
                out.push(model);
                continue;
            }
            let mut candidates = candidates(scheme, train, opts)?;
            let mut validation = Validation::new(scheme, column, opts.seed)?;
            let context = context_of(name, train.len(), valid.len(), kept, &siblings);
            let context_train: Vec<&[f32]> = context.iter().map(|c| c.train).collect();
            model.recoverable =
                crate::recover::estimate(scheme, train, &context_train).map_err(|e| e.in_column(name))?;
            let neural: Vec<Kind> = if train.len() >= MIN_NEURAL && !context.is_empty() {
                // Scored on draws, which a kind that gives none cannot be.
                neural_kinds.iter().filter(|k| opts.estimate != Estimate::Sample || k.generative()).collect()
            } else {
                vec![]
            };
            // Every candidate but the identity is one more chance of a lucky pass: the bound's
            // quantile is shared among them (Bonferroni).
            let mine: Vec<(usize, usize)> = nets
                .iter()
                .enumerate()
                .filter_map(|(n, c)| Some((n, c.stored.fields.iter().position(|f| f == name)?)))
                .collect();
            let tries = candidates.len() - 1 + neural.len() + mine.len() + usize::from(member_of.contains_key(name));
            validation.alpha = evidence::ALPHA / tries.max(1) as f64;
            model.events = validation.event_count();
            model.validated = validation.compressed.iter().filter(|c| c.is_finite()).map(|c| c.abs()).reduce(f32::max);
            let compressed = &validation.compressed;
            let mut est = vec![0f32; valid.len()];
            let seed = Seed { stream: stream(opts.seed, name), first_row: 0 };
            let mut identity = Vec::new();
            let mut best = Best { prior: 0, moved: false, err: vec![], est: vec![] };
            for (i, prior) in candidates.iter().enumerate() {
                prior.upsample(scheme, compressed, opts.estimate, seed, &mut est)?;
                let err = validation.errors(&est);
                if i == 0 {
                    // The identity: the compressed values every gain is measured against.
                    model.scores.push(score(prior.name(), &err, None));
                    identity.clone_from(&err);
                    best = Best { prior: 0, moved: false, err, est: est.clone() };
                    continue;
                }
                let g = validation.gain(&identity, &err);
                model.scores.push(score(prior.name(), &err, Some(&g)));
                if (gate && best.beaten_by(&validation, &err, &g)) || forced(prior.name()) {
                    best = Best { prior: i, moved: true, err, est: est.clone() };
                }
            }
            // A network learns whatever the few largest values of its training split say: it
            // may win only where the column's error rests on enough validation events to tell
            // (`evidence::effective_events`), not on two or three large values.
            let spread = evidence::effective_events(&identity, validation.events.as_deref());
            let learnable = spread >= evidence::MIN_EVENTS as f64;
            model.effective_events = Some(spread);
            for &kind in &neural {
                let (fitted, est) = fit_neural(kind, scheme, train, &validation, &context, opts, name)?;
                let err = validation.errors(&est);
                let g = validation.gain(&identity, &err);
                model.scores.push(score(kind.name(), &err, Some(&g)));
                if (gate && learnable && best.beaten_by(&validation, &err, &g)) || forced(kind.name()) {
                    best = Best { moved: true, err, est, ..best };
                    model.choice = Choice::Neural(fitted);
                }
            }
            for &(n, j) in &mine {
                let est = &nets[n].est[j];
                let err = validation.errors(est);
                let g = validation.gain(&identity, &err);
                let family = nets[n].stored.model.kind;
                model.scores.push(score(family.container_name(), &err, Some(&g)));
                if (gate && learnable && best.beaten_by(&validation, &err, &g)) || forced(family.container_name()) {
                    best = Best { moved: true, err, est: est.clone(), ..best };
                    model.choice = Choice::Container { net: n, family };
                }
            }
            let continuous = validation.continuous;
            model.prior = candidates.swap_remove(best.prior);
            model.sampler = match model.prior {
                Prior::Identity if continuous => candidates.into_iter().find(|p| matches!(p, Prior::Histogram(_))),
                _ => None,
            };
            if member_of.contains_key(name) {
                own.insert(name, (validation, identity, best));
            }
            out.push(model);
        }
        let mut used = Vec::new();
        for group in groups {
            if !group.members.iter().any(|m| own.contains_key(m.as_str())) {
                continue; // every member kept at full precision: nothing to upsample
            }
            let inputs: Vec<(&[f32], Option<&Scheme>)> = group
                .members
                .iter()
                .map(|m| match own.get(m.as_str()) {
                    Some(o) => Ok((o.0.compressed.as_slice(), Some(schemes.of(m)?))),
                    None => Ok((kept.iter().find(|c| c.name == m).map_or(&[][..], |c| c.valid), None)),
                })
                .collect::<Result<_>>()?;
            // Whole tuples the training originals repeat (a tagger's default output) become
            // exact values of the group's posterior.
            let train: Vec<(&[f32], Option<&Scheme>)> = group
                .members
                .iter()
                .map(|m| match columns.iter().find(|c| c.name == m) {
                    Some(c) => Ok((c.train, Some(schemes.of(m)?))),
                    None => Ok((kept.iter().find(|c| c.name == m).map_or(&[][..], |c| c.train), None)),
                })
                .collect::<Result<_>>()?;
            let mut group = group.clone();
            group.learn_atoms(&train, opts.min_atom_count)?;
            let group = &group;
            let seed = Seed { stream: group_stream(opts.seed, group), first_row: 0 };
            let estimate = |informative_only: bool| -> Result<Vec<Vec<f32>>> {
                let mut est: Vec<Vec<f32>> = group
                    .members
                    .iter()
                    .map(|m| own.get(m.as_str()).map_or_else(Vec::new, |o| o.2.est.clone()))
                    .collect();
                group.estimate(&inputs, opts.estimate, seed, informative_only, |m, row, v| {
                    if let Some(e) = est[m].get_mut(row) {
                        *e = v;
                    }
                })?;
                Ok(est)
            };
            // The relation moves only the members it narrows, unless moving every member gains
            // over that by the gate's rule (the group's members summed per row).
            let narrowed = estimate(true)?;
            let full = estimate(false)?;
            let group =
                &Group { informative_only: !full_wins(group, columns, &own, &narrowed, &full), ..group.clone() };
            let est = if group.informative_only { narrowed } else { full };
            let mut chosen = false;
            for (m, name) in group.members.iter().enumerate() {
                let (Some((validation, identity, best)), Some(col)) =
                    (own.get(name.as_str()), out.iter_mut().find(|c| &c.name == name))
                else {
                    continue;
                };
                let err = validation.errors(&est[m]);
                let g = validation.gain(identity, &err);
                col.scores.push(score("constraint", &err, Some(&g)));
                if (gate && best.beaten_by(validation, &err, &g)) || forced("constraint") {
                    col.choice = Choice::Constraint;
                    chosen = true;
                }
            }
            if chosen {
                used.push(group.clone());
            }
        }
        // Only the container networks some column takes its values from are kept (a relation may
        // have taken a column from its network since), renumbered.
        let chosen: Vec<bool> = (0..nets.len())
            .map(|n| out.iter().any(|c| matches!(c.choice, Choice::Container { net, .. } if net == n)))
            .collect();
        let mut renumber = vec![0; nets.len()];
        let mut containers = Vec::new();
        for (n, (c, chosen)) in nets.into_iter().zip(chosen).enumerate() {
            if chosen {
                renumber[n] = containers.len();
                containers.push(c.stored);
            }
        }
        for col in &mut out {
            if let Choice::Container { net, .. } = &mut col.choice {
                *net = renumber[*net];
            }
        }
        Model::assemble(out, used, containers, None, true)
    }

    /// A model from compressed data alone, when no originals are available: each column gets
    /// [`Histogram::deconvolve`] (spikes kept exact, the midpoint elsewhere) and every group
    /// whose members are all among `columns` or `kept` takes its members' values from the
    /// relation where it narrows them ([`Group::informative_only`]: a member the relation
    /// leaves with more than [`crate::INFORMATIVE`] of its interval's variance keeps its own
    /// estimate, since nothing here can show that the flat prior inside the interval is right).
    /// Nothing can be validated without originals — there is no gate, and the scores
    /// are empty — so prefer [`Model::fit_groups`] wherever originals exist; `docs/results.md`
    /// measures what this gives up.
    ///
    /// ```
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let mut x: Vec<f32> = (0..2000).map(|i| if i % 4 == 0 { -1.0 } else { (i as f32 * 0.618).fract() }).collect();
    /// s.compress_in_place(&mut x)?;
    /// let m = models::Model::fit_compressed(&s, &[("x", &x)], &[], &[], 3)?;
    /// assert_eq!(m.column("x").unwrap().choice_name(), "histogram");
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn fit_compressed(
        schemes: impl Into<Schemes>,
        columns: &[(&str, &[f32])],
        kept: &[&str],
        groups: &[Group],
        min_atom_count: u32,
    ) -> Result<Model> {
        let schemes = schemes.into();
        let present = |m: &str| columns.iter().any(|c| c.0 == m) || kept.contains(&m);
        // Nothing validates a relation here: each applies only where it narrows a member.
        let used: Vec<Group> = groups
            .iter()
            .filter(|g| g.columns().all(|m| present(m)))
            .map(|g| Group { informative_only: true, ..g.clone() })
            .collect();
        let member_of = membership(&used)?;
        let mut out = Vec::with_capacity(columns.len());
        for &(name, values) in columns {
            let scheme = schemes.of(name)?;
            let prior =
                Prior::Histogram(Histogram::deconvolve(scheme, values, min_atom_count).map_err(|e| e.in_column(name))?);
            let choice = if member_of.contains_key(name) { Choice::Constraint } else { Choice::Prior };
            out.push(ColumnModel {
                name: name.into(),
                scheme: SchemeSpec::try_from(scheme)?,
                prior,
                choice,
                sampler: None,
                scores: vec![],
                train: values.len() as u64,
                valid: 0,
                events: 0,
                validated: None,
                effective_events: None,
                recoverable: None,
            });
        }
        Model::assemble(out, used, vec![], None, true)
    }
}
