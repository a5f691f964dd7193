//! The per-column gate: fit every prior on a training split, score each on a validation split
//! against the originals, keep the best — the identity included, so no column ends up worse
//! than its compressed data on validation — and save the choices to a versioned file.

use float_bits::Scheme;
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::prior::{Histogram, Lattice, Training, splitmix64};
use crate::{Error, Estimate, Group, Kind, Kinds, Method, Prior, Progress, Result, Seed};

/// The model file's format name and version; a file of a newer version is refused (versions 1,
/// before groups, 2, before samplers, 3, before neural correctors, 4, before neural kinds, 5,
/// before the networks' checksums, and 6, before per-column schemes, are still read; a file of
/// version 4 with a neural corrector must be refitted, as its networks are stored in another
/// layout). Every file is checked field by field on load (see [`Error::InvalidModel`]); from
/// version 6 on, every network carries the SHA-256 of its weights, and a network whose weights do
/// not match it is refused. From version 7 on every column records its own scheme (files before
/// it have one scheme for the whole model, which every column takes on load).
pub const FORMAT: &str = "hepfloat-model";
/// See [`FORMAT`].
pub const FORMAT_VERSION: u32 = 7;

/// A compression scheme as stored in a model file.
///
/// ```
/// let s = float_bits::Scheme::atlas(7)?;
/// let spec = models::SchemeSpec::try_from(&s)?;
/// assert_eq!(spec, models::SchemeSpec::Atlas { k: 7 });
/// assert_eq!(float_bits::Scheme::try_from(&spec)?, s);
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
#[allow(missing_docs)] // the fields are the schemes' own parameters
pub enum SchemeSpec {
    Atlas {
        k: u32,
    },
    NearestEven {
        k: u32,
    },
    TowardZero {
        k: u32,
    },
    RootFloat16 {
        k: u32,
    },
    RootRange {
        min: f64,
        max: f64,
        n: u32,
    },
    RntupleQuant {
        min: f64,
        max: f64,
        n: u32,
    },
    /// CMS NanoAOD rounding (model files of format 7 on).
    Cms {
        k: u32,
    },
    /// RNTuple `Real16`, IEEE half precision (model files of format 7 on).
    Half,
}

impl TryFrom<&Scheme> for SchemeSpec {
    type Error = Error;
    fn try_from(s: &Scheme) -> Result<Self> {
        Ok(match s {
            Scheme::Atlas(a) => SchemeSpec::Atlas { k: a.k() },
            Scheme::NearestEven(a) => SchemeSpec::NearestEven { k: a.k() },
            Scheme::TowardZero(a) => SchemeSpec::TowardZero { k: a.k() },
            Scheme::RootFloat16(a) => SchemeSpec::RootFloat16 { k: a.k() },
            Scheme::RootRange(a) => SchemeSpec::RootRange { min: a.min(), max: a.max(), n: a.n() },
            Scheme::RntupleQuant(a) => SchemeSpec::RntupleQuant { min: a.min(), max: a.max(), n: a.n() },
            Scheme::Cms(a) => SchemeSpec::Cms { k: a.k() },
            Scheme::Half(_) => SchemeSpec::Half,
            other => return Err(Error::UnsupportedScheme { scheme: other.to_string() }),
        })
    }
}

impl TryFrom<&SchemeSpec> for Scheme {
    type Error = Error;
    fn try_from(s: &SchemeSpec) -> Result<Self> {
        Ok(match *s {
            SchemeSpec::Atlas { k } => Scheme::atlas(k)?,
            SchemeSpec::NearestEven { k } => Scheme::nearest_even(k)?,
            SchemeSpec::TowardZero { k } => Scheme::toward_zero(k)?,
            SchemeSpec::RootFloat16 { k } => Scheme::root_float16(k)?,
            SchemeSpec::RootRange { min, max, n } => Scheme::root_range(min, max, n)?,
            SchemeSpec::RntupleQuant { min, max, n } => Scheme::rntuple_quant(min, max, n)?,
            SchemeSpec::Cms { k } => Scheme::cms(k)?,
            SchemeSpec::Half => Scheme::half(),
        })
    }
}

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
}

/// The fewest training values the gate fits a neural model on.
pub const MIN_NEURAL: usize = 200;

/// The most context columns a neural corrector reads (the gate uses the first ones of a
/// container; a model file describing more is refused).
pub const MAX_CONTEXT: usize = 64;

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
        }
    }
}

/// One candidate's validation score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The prior's name.
    pub prior: String,
    /// Mean squared error against the validation originals (finite values only).
    pub mse: f64,
}

/// A fitted [`neural::Net`](crate::neural) as stored in a model file: its kind, the link and
/// standardisations as numbers, the networks' weights in burn's record format (burnpack),
/// hex-encoded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetFile {
    /// The model family (files of format 4 hold hybrids only).
    #[serde(default)]
    pub kind: Kind,
    /// The scheme the model was fitted for.
    pub scheme: SchemeSpec,
    /// Link coefficients on the standardised context: intercept, then one per context column.
    pub link: Vec<f64>,
    /// Mean and standard deviation of each context column.
    pub ctx_norm: Vec<(f64, f64)>,
    /// Mean and standard deviation of `ln width`.
    pub width_norm: (f64, f64),
    /// Mean and standard deviation of the compressed training values.
    pub value_norm: (f64, f64),
    /// Width of the hidden layers.
    pub hidden: usize,
    /// The networks' record (burnpack bytes), hex.
    pub weights: String,
    /// SHA-256 of the record's bytes, hex (model files of format 6 on; checked on load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A column's neural model and the columns it reads its context from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeuralColumn {
    /// Context columns (full names), in the model's input order.
    pub context: Vec<String>,
    /// The fitted model.
    pub model: NetFile,
}

impl NeuralColumn {
    /// Whether estimate `how` comes from the network (and so reads the context): always but for
    /// `Sample` from a kind that gives no samples (the column's own prior draws then).
    ///
    /// ```
    /// # let file = models::NetFile { kind: models::Kind::Hybrid, scheme: models::SchemeSpec::Atlas { k: 7 }, link: vec![0.0],
    /// #     ctx_norm: vec![], width_norm: (0.0, 1.0), value_norm: (0.0, 1.0), hidden: 1, weights: String::new(), sha256: None };
    /// let n = models::NeuralColumn { context: vec![], model: file };
    /// assert!(n.reads_context(models::Estimate::Mean) && !n.reads_context(models::Estimate::Sample));
    /// ```
    pub fn reads_context(&self, how: Estimate) -> bool {
        how != Estimate::Sample || self.model.kind.generative()
    }
}

/// What the gate chose for one column, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnModel {
    /// The column (branch) name.
    pub name: String,
    /// The scheme the column's values were compressed with (model files before format 7 hold
    /// one for the whole model; each column takes it on load).
    pub scheme: SchemeSpec,
    /// The column's own chosen prior (also the fallback of a group's rows that its relation
    /// cannot inform).
    pub prior: Prior,
    /// Whether the column's values come from its [`Group`]'s joint posterior (see
    /// [`Model::upsample_table`]) rather than from `prior` alone.
    #[serde(default)]
    pub constraint: bool,
    /// The prior [`Estimate::Sample`] draws from where it is not `prior`: where the gate kept the
    /// identity (a point mass, not a distribution of originals) for a column whose validation
    /// originals mostly differ from their compressed values (continuous at this precision), the
    /// fitted [`Histogram`] — atoms at the exact values seen in training, a density elsewhere —
    /// so that draws spread over the preimage as the originals do, and exact values stay exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampler: Option<Prior>,
    /// The neural corrector, where the gate chose it over `prior` (it then gives the mean and
    /// median; `Sample` draws from `sampler` or `prior`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neural: Option<NeuralColumn>,
    /// Every candidate's validation score, the chosen one included.
    pub scores: Vec<Score>,
    /// Training values used.
    pub train: u64,
    /// Validation values used.
    pub valid: u64,
}

/// A fitted upsampling model: the scheme the data was compressed with and one gated prior per
/// column.
///
/// ```
/// use models::{Estimate, FitOptions, Model};
/// let scheme = float_bits::Scheme::atlas(7)?;
/// // A column of integer counts stored as floats, and -1 marking "missing".
/// let values: Vec<f32> = (0..4000).map(|i| if i % 5 == 0 { -1.0 } else { (i % 700) as f32 }).collect();
/// let (train, valid) = values.split_at(2000);
/// let model = Model::fit(&scheme, &[("n", train, valid)], FitOptions::default())?;
/// assert_ne!(model.column("n").unwrap().prior.name(), "identity");
///
/// let mut compressed = valid.to_vec();
/// scheme.compress_in_place(&mut compressed)?;
/// let mut out = vec![0f32; compressed.len()];
/// model.upsample("n", &compressed, Estimate::Mean, 0, &mut out)?;
/// let sq = |y: &[f32]| y.iter().zip(valid).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>();
/// assert!(sq(&out) < 0.8 * sq(&compressed)); // integers lie on a lattice the grid cannot show
/// assert!(out.iter().zip(valid).all(|(a, b)| *b != -1.0 || *a == -1.0)); // sentinels stay
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Model {
    /// Each column's scheme (its [`ColumnModel::scheme`], checked), in column order.
    schemes: Vec<Scheme>,
    columns: Vec<ColumnModel>,
    groups: Vec<Group>,
    /// Each column's neural network, built once from its file form (and so checked) when the
    /// model is made.
    #[cfg(feature = "neural")]
    nets: Vec<Option<std::sync::Arc<crate::neural::Net>>>,
}

/// Models are equal when their files are: the same columns (schemes included) and groups.
impl PartialEq for Model {
    fn eq(&self, other: &Model) -> bool {
        self.columns == other.columns && self.groups == other.groups
    }
}

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    version: u32,
    columns: Vec<ColumnModel>,
    #[serde(default)]
    groups: Vec<Group>,
}

impl ColumnModel {
    /// What the column's values come from: `constraint`, or its prior's name.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert_eq!(m.columns()[0].choice(), "identity");
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn choice(&self) -> &'static str {
        if self.constraint {
            "constraint"
        } else if let Some(n) = &self.neural {
            n.model.kind.name()
        } else {
            self.prior.name()
        }
    }
}

/// The fewest validation values on which the gate moves a column off the identity: below it a
/// paired test has too few points to estimate its own noise.
pub const MIN_VALIDATION: usize = 20;

/// A column's validation split: originals, their compressed values, and for each finite
/// original `1 / width²` of its preimage (the weight that puts every value's error on the same
/// footing in the significance test).
struct Validation<'a> {
    original: &'a [f32],
    compressed: Vec<f32>,
    norm: Vec<f64>,
    /// Whether most originals whose preimage holds more than one value differ from their
    /// compressed value (of at least [`MIN_VALIDATION`]): the column is continuous at this
    /// precision, not a set of exact values.
    continuous: bool,
}

impl<'a> Validation<'a> {
    fn new(scheme: &Scheme, original: &'a [f32]) -> Result<Self> {
        let Training { compressed, lo, hi, .. } = Training::new(scheme, original)?;
        let norm = (0..original.len())
            .filter(|&i| original[i].is_finite())
            .map(|i| {
                let w = f64::from(hi[i]) - f64::from(lo[i]);
                if w.is_finite() && w > 0.0 { 1.0 / (w * w) } else { 0.0 }
            })
            .collect();
        let (mut open, mut exact) = (0usize, 0usize);
        for i in 0..original.len() {
            if !crate::prior::certain(compressed[i], lo[i], hi[i]) {
                open += 1;
                exact += usize::from(original[i].to_bits() == compressed[i].to_bits());
            }
        }
        // Too few values to tell keep the identity, as the gate does.
        Ok(Validation { original, compressed, norm, continuous: open >= MIN_VALIDATION && 2 * exact < open })
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

    /// Whether errors `new` beat `old` (paired, same values): a lower total squared error (the
    /// objective) *and* a mean improvement, each value's measured in units of its own interval
    /// width², above two standard errors. The width normalisation keeps a few large values
    /// from drowning the test in their variance; the two-SE bar makes a candidate earn its
    /// place against noise, so a small validation split does not pick a prior that only got
    /// lucky.
    fn better(&self, new: &[f64], old: &[f64]) -> bool {
        if new.len() < MIN_VALIDATION || new.len() != old.len() || new.len() != self.norm.len() {
            return false;
        }
        if new.iter().chain(old).any(|x| !x.is_finite()) {
            return new.iter().sum::<f64>() < old.iter().sum::<f64>();
        }
        if new.iter().sum::<f64>() >= old.iter().sum::<f64>() {
            return false;
        }
        let d: Vec<f64> = old.iter().zip(new).zip(&self.norm).map(|((o, n), w)| (o - n) * w).collect();
        let n = d.len() as f64;
        let mean = d.iter().sum::<f64>() / n;
        let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        mean > 0.0 && mean > 2.0 * (var / n).sqrt()
    }
}

/// A stream identifier for a column's draws.
fn stream(seed: u64, column: &str) -> u64 {
    column.bytes().fold(splitmix64(seed), |h, b| splitmix64(h ^ u64::from(b)))
}

/// A stream identifier for a group's joint draws.
fn group_stream(seed: u64, group: &Group) -> u64 {
    group.members.iter().fold(splitmix64(seed ^ 0x0067_726f_7570), |h, m| stream(h, m))
}

/// Each group checked, and the group of each member; a column in two groups is an error.
fn membership(groups: &[Group]) -> Result<HashMap<&str, usize>> {
    let mut member_of = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        group.check()?;
        for m in &group.members {
            if member_of.insert(m.as_str(), g).is_some() {
                let detail = format!("column {m:?} is in another group too");
                return Err(Error::InvalidGroup { members: group.members.clone(), detail });
            }
        }
    }
    Ok(member_of)
}

/// The kept columns that give `name` its context: same container ([`crate::names::container`]),
/// aligned with it in training and validation.
fn context_of<'a>(
    name: &str,
    train: usize,
    valid: usize,
    kept: &[(&'a str, &'a [f32], &'a [f32])],
) -> Vec<(&'a str, &'a [f32], &'a [f32])> {
    let Some(container) = crate::names::container(name) else { return vec![] };
    kept.iter()
        .filter(|k| crate::names::container(k.0) == Some(container) && k.1.len() == train && k.2.len() == valid)
        .copied()
        .take(MAX_CONTEXT)
        .collect()
}

/// Fit a neural model on `train` (its last fifth stops the training early, so that the
/// validation split stays unseen for the gate) and estimate the validation values with it.
fn fit_neural(
    kind: Kind,
    scheme: &Scheme,
    train: &[f32],
    validation: &Validation<'_>,
    context: &[(&str, &[f32], &[f32])],
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
        let ctx_fit: Vec<&[f32]> = context.iter().map(|c| &c.1[..cut]).collect();
        let ctx_stop: Vec<&[f32]> = context.iter().map(|c| &c.1[cut..]).collect();
        let ctx_valid: Vec<&[f32]> = context.iter().map(|c| c.2).collect();
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
        let column = NeuralColumn { context: context.iter().map(|c| c.0.to_string()).collect(), model: net.to_file()? };
        Ok((column, est))
    }
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

impl Model {
    /// Fit every column `(name, training originals, validation originals)`: compress them with
    /// their scheme (`schemes`: one for all, or one per column) as the producer would, fit each prior on training, score all on validation and
    /// keep the best. Candidates are tried in the order identity, uniform, lattice, histogram;
    /// one replaces the current choice only if its squared errors are lower by more than two
    /// standard errors of the paired mean difference, so noise on a small validation split
    /// keeps the simpler choice; a column without validation values keeps the identity.
    /// Fitting holds the given slices; cap them to bound memory.
    pub fn fit(schemes: impl Into<Schemes>, columns: &[(&str, &[f32], &[f32])], opts: FitOptions<'_>) -> Result<Model> {
        Self::fit_groups(schemes, columns, &[], &[], opts)
    }

    /// [`Model::fit`] with relation groups: after each column's own prior is chosen, every group's
    /// joint posterior is scored on validation as one more candidate of its compressed members
    /// (`constraint`), kept under the same significance rule. `kept` are columns stored at full
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
    /// assert_eq!(model.column("pu").unwrap().choice(), "constraint");
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn fit_groups(
        schemes: impl Into<Schemes>,
        columns: &[(&str, &[f32], &[f32])],
        kept: &[(&str, &[f32], &[f32])],
        groups: &[Group],
        opts: FitOptions<'_>,
    ) -> Result<Model> {
        let schemes = schemes.into();
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
        let listed = |m: &String| columns.iter().chain(kept).any(|c| c.0 == m);
        for group in groups {
            if let Some(m) = group.members.iter().find(|m| !listed(m)) {
                let detail = format!("member {m:?} is not among the columns");
                return Err(Error::InvalidGroup { members: group.members.clone(), detail });
            }
        }
        let mut out = Vec::with_capacity(columns.len());
        // For group members: the compressed validation values, and the own prior's estimates and errors.
        let mut own: HashMap<&str, (Validation<'_>, Vec<f32>, Vec<f64>)> = HashMap::new();
        for &(name, train, valid) in columns {
            let scheme = schemes.of(name)?;
            let spec = SchemeSpec::try_from(scheme)?;
            if valid.is_empty() {
                // Nothing to score a prior on: the column stays as it was.
                let (train, valid) = (train.len() as u64, 0);
                let prior = Prior::Identity;
                let sampler = None;
                out.push(ColumnModel {
                    name: name.into(),
                    scheme: spec,
                    prior,
                    constraint: false,
                    sampler,
                    neural: None,
                    scores: vec![],
                    train,
                    valid,
                });
                continue;
            }
            let mut candidates = candidates(scheme, train, &opts)?;
            let validation = Validation::new(scheme, valid)?;
            let compressed = &validation.compressed;
            let mut est = vec![0f32; valid.len()];
            let seed = Seed { stream: stream(opts.seed, name), first_row: 0 };
            let mut scores = Vec::with_capacity(candidates.len() + 1);
            let (mut best, mut best_err, mut best_est) = (0, Vec::new(), Vec::new());
            for (i, prior) in candidates.iter().enumerate() {
                prior.upsample(scheme, compressed, opts.estimate, seed, &mut est)?;
                let err = validation.errors(&est);
                let mse = err.iter().sum::<f64>() / err.len().max(1) as f64;
                if i == 0 || (gate && validation.better(&err, &best_err)) || forced(prior.name()) {
                    (best, best_err) = (i, err);
                    best_est.clone_from(&est);
                }
                scores.push(Score { prior: prior.name().into(), mse });
            }
            let mut neural = None;
            let context = context_of(name, train.len(), valid.len(), kept);
            if train.len() >= MIN_NEURAL && !context.is_empty() {
                for kind in neural_kinds.iter() {
                    if opts.estimate == Estimate::Sample && !kind.generative() {
                        continue; // scored on draws, which it cannot give
                    }
                    let (fitted, est) = fit_neural(kind, scheme, train, &validation, &context, &opts, name)?;
                    let err = validation.errors(&est);
                    let mse = err.iter().sum::<f64>() / err.len().max(1) as f64;
                    scores.push(Score { prior: kind.name().into(), mse });
                    if (gate && validation.better(&err, &best_err)) || forced(kind.name()) {
                        (best_err, best_est) = (err, est);
                        neural = Some(fitted);
                    }
                }
            }
            let continuous = validation.continuous;
            if member_of.contains_key(name) {
                own.insert(name, (validation, best_est, best_err));
            }
            let prior = candidates.swap_remove(best);
            let sampler = match prior {
                Prior::Identity if continuous => candidates.into_iter().find(|p| matches!(p, Prior::Histogram(_))),
                _ => None,
            };
            out.push(ColumnModel {
                name: name.into(),
                scheme: spec,
                prior,
                constraint: false,
                sampler,
                neural,
                scores,
                train: train.len() as u64,
                valid: valid.len() as u64,
            });
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
                    None => Ok((kept.iter().find(|c| c.0 == m).map_or(&[][..], |c| c.2), None)),
                })
                .collect::<Result<_>>()?;
            let mut est: Vec<Vec<f32>> =
                group.members.iter().map(|m| own.get(m.as_str()).map_or_else(Vec::new, |o| o.1.clone())).collect();
            let seed = Seed { stream: group_stream(opts.seed, group), first_row: 0 };
            group.estimate(&inputs, opts.estimate, seed, |m, row, v| {
                if let Some(e) = est[m].get_mut(row) {
                    *e = v;
                }
            })?;
            let mut chosen = false;
            for (m, name) in group.members.iter().enumerate() {
                let (Some((validation, _, own_err)), Some(col)) =
                    (own.get(name.as_str()), out.iter_mut().find(|c| &c.name == name))
                else {
                    continue;
                };
                let err = validation.errors(&est[m]);
                let mse = err.iter().sum::<f64>() / err.len().max(1) as f64;
                col.scores.push(Score { prior: "constraint".into(), mse });
                if (gate && validation.better(&err, own_err)) || forced("constraint") {
                    col.constraint = true;
                    chosen = true;
                }
            }
            if chosen {
                used.push(group.clone());
            }
        }
        Model::assemble(out, used, None, true)
    }

    /// A model from compressed data alone, when no originals are available: each column gets
    /// [`Histogram::deconvolve`] (spikes kept exact, the midpoint elsewhere) and every group
    /// whose members are all among `columns` or `kept` takes its members' values from the
    /// relation. Nothing can be validated without originals — there is no gate, and the scores
    /// are empty — so prefer [`Model::fit_groups`] wherever originals exist; `docs/results.md`
    /// measures what this gives up.
    ///
    /// ```
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let mut x: Vec<f32> = (0..2000).map(|i| if i % 4 == 0 { -1.0 } else { (i as f32 * 0.618).fract() }).collect();
    /// s.compress_in_place(&mut x)?;
    /// let m = models::Model::fit_compressed(&s, &[("x", &x)], &[], &[], 3)?;
    /// assert_eq!(m.column("x").unwrap().choice(), "histogram");
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
        let used: Vec<Group> = groups.iter().filter(|g| g.members.iter().all(|m| present(m))).cloned().collect();
        let member_of = membership(&used)?;
        let mut out = Vec::with_capacity(columns.len());
        for &(name, values) in columns {
            let scheme = schemes.of(name)?;
            let prior =
                Prior::Histogram(Histogram::deconvolve(scheme, values, min_atom_count).map_err(|e| e.in_column(name))?);
            let constraint = member_of.contains_key(name);
            let (train, valid, sampler, scores) = (values.len() as u64, 0, None, vec![]);
            let scheme = SchemeSpec::try_from(scheme)?;
            out.push(ColumnModel {
                name: name.into(),
                scheme,
                prior,
                constraint,
                sampler,
                neural: None,
                scores,
                train,
                valid,
            });
        }
        Model::assemble(out, used, None, true)
    }

    /// The relation groups some column of the model takes its values from.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[], Default::default())?;
    /// assert!(m.groups().is_empty());
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The scheme the model expects column `name` to be compressed with (`None`: a column the
    /// model does not know).
    ///
    /// ```
    /// let s = float_bits::Scheme::atlas(15)?;
    /// let m = models::Model::fit(&s, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert_eq!(m.scheme_of("x"), Some(&s));
    /// assert_eq!(m.scheme_of("y"), None);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn scheme_of(&self, name: &str) -> Option<&Scheme> {
        self.find(name).ok().map(|(i, _)| &self.schemes[i])
    }

    /// Each column's name and scheme, in column order.
    ///
    /// ```
    /// let s = float_bits::Scheme::cms(10)?;
    /// let m = models::Model::fit(&s, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert_eq!(m.schemes().collect::<Vec<_>>(), [("x", &s)]);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn schemes(&self) -> impl Iterator<Item = (&str, &Scheme)> {
        self.columns.iter().map(|c| c.name.as_str()).zip(&self.schemes)
    }

    /// The fitted columns, in fitting order.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert_eq!(m.columns()[0].name, "x");
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn columns(&self) -> &[ColumnModel] {
        &self.columns
    }

    /// The same model with every column name in the other format's spelling: `Container.var`
    /// (TTree) for `sep = '.'`, `Container:var` (RNTuple) for `sep = ':'`, by
    /// [`names::with_separator`](crate::names::with_separator) — the columns, the neural
    /// contexts and the relation groups' members. This is the explicit mapping that applies a
    /// model fitted on a TTree to an RNTuple of the same variables (or back); nothing else
    /// changes (draws of [`Estimate::Sample`] are seeded by column name, so they differ).
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("Jets.x", &[1.5], &[2.5])], Default::default())?;
    /// let r = m.with_separator(':');
    /// assert!(r.column("Jets:x").is_some() && r.column("Jets.x").is_none());
    /// assert_eq!(r.with_separator('.'), m);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn with_separator(&self, sep: char) -> Model {
        let rename = |n: &String| crate::names::with_separator(n, sep);
        let mut m = self.clone();
        for c in &mut m.columns {
            c.name = rename(&c.name);
            if let Some(n) = &mut c.neural {
                n.context = n.context.iter().map(rename).collect();
            }
        }
        for g in &mut m.groups {
            g.members = g.members.iter().map(rename).collect();
        }
        m
    }

    /// The fitted column `name`, if any.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert!(m.column("x").is_some() && m.column("y").is_none());
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn column(&self, name: &str) -> Option<&ColumnModel> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Upsample values of column `name`, compressed with its scheme ([`Model::scheme_of`]); `first_row` is the
    /// global index of `compressed[0]` (it seeds [`Estimate::Sample`] per value, together with
    /// `seed` and the column name, so batches give the same draws as one call).
    pub fn upsample(
        &self,
        name: &str,
        compressed: &[f32],
        how: Estimate,
        first_row: u64,
        out: &mut [f32],
    ) -> Result<()> {
        self.upsample_seeded(name, compressed, how, 0, first_row, out)
    }

    /// [`Model::upsample`] with an explicit `seed` for the draws.
    ///
    /// ```
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let m = models::Model::fit(&s, &[("x", &[1.5, 2.5], &[2.5, 3.5])], Default::default())?;
    /// let (mut a, mut b) = ([0f32; 1], [0f32; 1]);
    /// m.upsample_seeded("x", &[3.0], models::Estimate::Sample, 1, 0, &mut a)?;
    /// m.upsample_seeded("x", &[3.0], models::Estimate::Sample, 1, 0, &mut b)?;
    /// assert_eq!(a, b); // reproducible
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn upsample_seeded(
        &self,
        name: &str,
        compressed: &[f32],
        how: Estimate,
        seed: u64,
        first_row: u64,
        out: &mut [f32],
    ) -> Result<()> {
        let (i, col) = self.find(name)?;
        if col.neural.as_ref().is_some_and(|n| n.reads_context(how)) {
            return Err(Error::ContextNeeded { column: name.into() });
        }
        self.upsample_own(i, compressed, how, seed, first_row, out)?;
        self.verify(i, compressed, out)
    }

    /// The index and model of column `name`.
    fn find(&self, name: &str) -> Result<(usize, &ColumnModel)> {
        self.columns.iter().enumerate().find(|c| c.1.name == name).ok_or_else(|| Error::UnknownColumn(name.into()))
    }

    /// That every output of column `col` lies inside the preimage of its compressed value,
    /// checked against `quant_bounds` (a debug build stops at a violation; a release build
    /// returns [`Error::OutsidePreimage`]). A forced unbounded kind, which exists to show what
    /// leaving the preimage costs, is the one model not held to it.
    fn verify(&self, i: usize, compressed: &[f32], out: &[f32]) -> Result<()> {
        let col = &self.columns[i];
        if col.neural.as_ref().is_some_and(|n| !n.model.kind.bounded()) {
            return Ok(());
        }
        match crate::validate::outside(&self.schemes[i], compressed, out).map_err(|e| e.in_column(&col.name))? {
            None => Ok(()),
            Some((index, count, lo, hi)) => {
                debug_assert!(count == 0, "column {:?}: {count} outputs outside their preimage", col.name);
                let (column, total, value) = (col.name.clone(), out.len(), out[index]);
                Err(Error::OutsidePreimage { column, count, total, index, value, lo, hi })
            }
        }
    }

    /// Column `i` through its own prior (its sampler for `Sample`).
    fn upsample_own(
        &self,
        i: usize,
        compressed: &[f32],
        how: Estimate,
        seed: u64,
        first_row: u64,
        out: &mut [f32],
    ) -> Result<()> {
        let col = &self.columns[i];
        let prior = match (how, &col.sampler) {
            (Estimate::Sample, Some(sampler)) => sampler,
            _ => &col.prior,
        };
        prior
            .upsample(&self.schemes[i], compressed, how, Seed { stream: stream(seed, &col.name), first_row }, out)
            .map_err(|e| e.in_column(&col.name))
    }

    /// [`Model::upsample_seeded`] for a column whose model may read other columns of its object
    /// (a neural corrector): `context` holds aligned columns by name, among which those the
    /// column needs; a column without a neural corrector ignores it.
    ///
    /// ```
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let m = models::Model::fit(&s, &[("c.x", &[1.5, 2.5], &[2.5, 3.5])], Default::default())?;
    /// let mut out = [0f32; 1];
    /// m.upsample_with_context("c.x", &[3.0], &[], models::Estimate::Mean, 0, 0, &mut out)?;
    /// assert_eq!(out, [3.0]);
    /// # Ok::<(), models::Error>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn upsample_with_context(
        &self,
        name: &str,
        compressed: &[f32],
        context: &[(&str, &[f32])],
        how: Estimate,
        seed: u64,
        first_row: u64,
        out: &mut [f32],
    ) -> Result<()> {
        let (i, _) = self.find(name)?;
        self.column_with_context(i, compressed, context, how, seed, first_row, out)?;
        self.verify(i, compressed, out)
    }

    /// [`Model::upsample_with_context`] of column `i`, unverified.
    #[allow(clippy::too_many_arguments)]
    fn column_with_context(
        &self,
        i: usize,
        compressed: &[f32],
        context: &[(&str, &[f32])],
        how: Estimate,
        seed: u64,
        first_row: u64,
        out: &mut [f32],
    ) -> Result<()> {
        let col = &self.columns[i];
        let name = col.name.as_str();
        match &col.neural {
            Some(neural) if neural.reads_context(how) => {
                let ctx: Vec<&[f32]> = neural
                    .context
                    .iter()
                    .map(|c| {
                        context.iter().find(|x| x.0 == c).map(|x| x.1).ok_or_else(|| Error::MissingColumn {
                            column: c.clone(),
                            needed_by: format!("the model of {name:?}"),
                        })
                    })
                    .collect::<Result<_>>()?;
                self.upsample_neural(i, compressed, &ctx, how, Seed { stream: stream(seed, name), first_row }, out)
            }
            _ => self.upsample_own(i, compressed, how, seed, first_row, out),
        }
    }

    /// Upsample a table of aligned columns at once: `outputs[i]` receives column `inputs[i]`
    /// upsampled — through its group's joint posterior where the gate chose the constraint, its
    /// own prior otherwise — or copied unchanged if the model does not know it (a column kept
    /// at full precision). A group whose joint posterior is used needs all its members among
    /// `inputs`, equally long. `first_row` and `seed` are as in [`Model::upsample_seeded`].
    ///
    /// ```
    /// use models::{Estimate, Group, Model, Relation};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let a: Vec<f32> = (0..3000).map(|i| 0.2 + 0.6 * (i as f32 * 0.618).fract()).collect();
    /// let b: Vec<f32> = a.iter().map(|x| 1.0 - x).collect();
    /// let g = Group::new(Relation::SumToOne, ["a", "b"])?;
    /// let m = Model::fit_groups(&s, &[("a", &a[..1500], &a[1500..]), ("b", &b[..1500], &b[1500..])], &[], &[g], Default::default())?;
    /// let (mut ca, mut cb) = (a[1500..].to_vec(), b[1500..].to_vec());
    /// s.compress_in_place(&mut ca)?;
    /// s.compress_in_place(&mut cb)?;
    /// let (mut oa, mut ob) = (vec![0f32; ca.len()], vec![0f32; cb.len()]);
    /// m.upsample_table(&[("a", &ca), ("b", &cb)], Estimate::Mean, 0, 1500, &mut [&mut oa, &mut ob])?;
    /// let sq = |y: &[f32], x: &[f32]| y.iter().zip(x).map(|(p, q)| ((p - q) as f64).powi(2)).sum::<f64>();
    /// assert!(sq(&oa, &a[1500..]) < 0.5 * sq(&ca, &a[1500..]));
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn upsample_table(
        &self,
        inputs: &[(&str, &[f32])],
        how: Estimate,
        seed: u64,
        first_row: u64,
        outputs: &mut [&mut [f32]],
    ) -> Result<()> {
        if inputs.len() != outputs.len() {
            return Err(Error::LengthMismatch {
                what: "input vs output columns",
                left: inputs.len(),
                right: outputs.len(),
            });
        }
        let known: Vec<Option<usize>> = inputs.iter().map(|c| self.find(c.0).ok().map(|f| f.0)).collect();
        for ((&(_, values), out), &i) in inputs.iter().zip(outputs.iter_mut()).zip(&known) {
            if let Some(i) = i {
                self.column_with_context(i, values, inputs, how, seed, first_row, out)?;
            } else if values.len() != out.len() {
                return Err(Error::LengthMismatch { what: "compressed vs out", left: values.len(), right: out.len() });
            } else {
                out.copy_from_slice(values);
            }
        }
        for group in &self.groups {
            // Where each member is among the inputs, and whether its output is the joint one.
            let mut at = Vec::with_capacity(group.members.len());
            for m in &group.members {
                let i = inputs.iter().position(|c| c.0 == m);
                let joint = self.column(m).is_some_and(|c| c.constraint);
                at.push((i, joint));
            }
            if !at.iter().any(|&(i, joint)| i.is_some() && joint) {
                continue;
            }
            if let Some(m) = at.iter().position(|a| a.0.is_none()) {
                return Err(Error::MissingColumn { column: group.members[m].clone(), needed_by: group.describe() });
            }
            let columns: Vec<(&[f32], Option<&Scheme>)> =
                group.members.iter().zip(&at).map(|(m, a)| (inputs[a.0.unwrap_or(0)].1, self.scheme_of(m))).collect();
            let seed = Seed { stream: group_stream(seed, group), first_row };
            group.estimate(&columns, how, seed, |m, row, v| {
                if let (Some(i), true) = at[m] {
                    outputs[i][row] = v;
                }
            })?;
        }
        for ((&(_, values), out), i) in inputs.iter().zip(outputs.iter()).zip(known) {
            if let Some(i) = i {
                self.verify(i, values, out)?;
            }
        }
        Ok(())
    }

    /// Apply column `i`'s neural network (an error in a build without the `neural` feature).
    fn upsample_neural(
        &self,
        i: usize,
        compressed: &[f32],
        context: &[&[f32]],
        how: Estimate,
        seed: Seed,
        out: &mut [f32],
    ) -> Result<()> {
        #[cfg(not(feature = "neural"))]
        {
            let _ = (i, compressed, context, how, seed, out);
            Err(Error::FeatureDisabled { feature: "neural", needed_for: "a model with a neural corrector" })
        }
        #[cfg(feature = "neural")]
        match self.nets.get(i).and_then(Option::as_ref) {
            Some(net) => net.upsample(crate::neural::Rows { values: compressed, context }, how, seed, out),
            None => Err(Error::UnknownColumn(self.columns.get(i).map_or_else(String::new, |c| c.name.clone()))),
        }
    }

    /// The model as versioned JSON.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert_eq!(models::Model::from_json(&m.to_json()?)?, m);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn to_json(&self) -> Result<String> {
        let file = ModelFile {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            columns: self.columns.clone(),
            groups: self.groups.clone(),
        };
        serde_json::to_string(&file).map_err(|e| Error::ModelFile { path: "<memory>".into(), detail: e.to_string() })
    }

    /// Parse a model from JSON; another format, another version or a damaged file is an error.
    ///
    /// ```
    /// assert!(models::Model::from_json("{}").is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Model> {
        Self::parse(json, None)
    }

    fn parse(json: &str, path: Option<&str>) -> Result<Model> {
        let bad = |detail: String| Error::ModelFile { path: path.unwrap_or("<memory>").into(), detail };
        let mut head: serde_json::Value = serde_json::from_str(json).map_err(|e| bad(format!("not JSON: {e}")))?;
        let format = head.get("format").and_then(|f| f.as_str());
        if format != Some(FORMAT) {
            return Err(bad(format!("format is {format:?}, expected {FORMAT:?}")));
        }
        let version = head.get("version").and_then(|v| v.as_u64());
        if !version.is_some_and(|v| (1..=u64::from(FORMAT_VERSION)).contains(&v)) {
            return Err(bad(format!("format version {version:?}; this build reads versions 1 to {FORMAT_VERSION}")));
        }
        if version == Some(1) {
            upgrade_v1_atoms(&mut head);
        }
        if version.is_some_and(|v| v < 7) {
            upgrade_v6_scheme(&mut head).map_err(bad)?;
        }
        let neural_v4 = version == Some(4)
            && head
                .get("columns")
                .and_then(|c| c.as_array())
                .is_some_and(|c| c.iter().any(|c| c.get("neural").is_some()));
        if neural_v4 {
            return Err(bad("its neural correctors are stored in format 4's layout; refit the model".into()));
        }
        let file: ModelFile = serde_json::from_value(head).map_err(|e| bad(format!("damaged: {e}")))?;
        Model::assemble(file.columns, file.groups, path, file.version >= 6)
    }

    /// A model from its parts, every invariant checked (see [`crate::validate`]) and every
    /// network built once; errors name `path` (a file) and the column and field.
    fn assemble(columns: Vec<ColumnModel>, groups: Vec<Group>, path: Option<&str>, checksum: bool) -> Result<Model> {
        let (schemes, weights) = crate::validate::model(&columns, &groups, checksum).map_err(|b| b.into_error(path))?;
        #[cfg(not(feature = "neural"))]
        drop(weights);
        #[cfg(feature = "neural")]
        let nets = columns
            .iter()
            .zip(weights)
            .map(|(c, w)| {
                c.neural
                    .as_ref()
                    .zip(w)
                    .map(|(n, w)| {
                        crate::neural::Net::from_record(&n.model, w).map(std::sync::Arc::new).map_err(|e| match e {
                            Error::InvalidModel { field, detail, .. } => Error::InvalidModel {
                                path: path.map(str::to_string),
                                column: Some(c.name.clone()),
                                field: format!("neural.{field}"),
                                detail,
                            },
                            e => e,
                        })
                    })
                    .transpose()
            })
            .collect::<Result<_>>()?;
        Ok(Model {
            schemes,
            columns,
            groups,
            #[cfg(feature = "neural")]
            nets,
        })
    }

    /// Write the model to `path` through a temporary file of its own beside it (a name unique
    /// to this process and call), renamed into place when complete: an interrupted save never
    /// leaves a half-written model, and two saves racing on one path leave one of them whole.
    /// A `path` that exists and is not a regular file (a directory, a device) is refused.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// let path = std::env::temp_dir().join("doc-model.json");
    /// m.save(&path)?;
    /// assert_eq!(models::Model::load(&path)?, m);
    /// assert!(m.save(std::env::temp_dir()).is_err()); // a directory
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        use std::io::Write;
        static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.display().to_string(), source };
        if let Some(m) = std::fs::metadata(path).ok().filter(|m| !m.is_file()) {
            let what = if m.is_dir() { "a directory" } else { "not a regular file" };
            return Err(io(std::io::Error::other(format!("{what}: refusing to replace it with a model file"))));
        }
        let json = self.to_json()?;
        let name = path.file_name().ok_or_else(|| io(std::io::Error::other("no file name")))?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp =
            path.with_file_name(format!(".{}.{}-{nanos:x}-{call}.partial", name.to_string_lossy(), std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| f.write_all(json.as_bytes()).and_then(|()| f.sync_all()))
            .and_then(|()| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map_err(io)
    }

    /// Read a model written by [`Model::save`].
    ///
    /// ```
    /// assert!(matches!(models::Model::load("/no/such/model.json"), Err(models::Error::Io { .. })));
    /// ```
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Model> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
        Self::parse(&text, Some(&path.display().to_string()))
    }
}

/// Files before version 7 hold one `scheme` for the whole model: give it to every column (a
/// column that names its own is left as it is).
fn upgrade_v6_scheme(head: &mut serde_json::Value) -> std::result::Result<(), String> {
    use serde_json::Value;
    let scheme = head.get("scheme").cloned().ok_or("no scheme")?;
    let Some(columns) = head.get_mut("columns").and_then(Value::as_array_mut) else { return Ok(()) };
    for c in columns.iter_mut().filter_map(Value::as_object_mut) {
        c.entry("scheme").or_insert_with(|| scheme.clone());
    }
    Ok(())
}

/// Version-1 files written by models 0.1.0 store a histogram's atoms as `[value, count, rest]`
/// triples, without the separate `rest` list that later files of version 1 have: split them.
fn upgrade_v1_atoms(head: &mut serde_json::Value) {
    use serde_json::Value;
    let Some(columns) = head.get_mut("columns").and_then(Value::as_array_mut) else { return };
    for prior in columns.iter_mut().filter_map(|c| c.get_mut("prior")) {
        if prior.get("kind").and_then(Value::as_str) != Some("histogram") || prior.get("rest").is_some() {
            continue;
        }
        let Some(atoms) = prior.get("atoms").and_then(Value::as_array) else { continue };
        let triples: Option<Vec<(Value, Value, Value)>> = atoms
            .iter()
            .map(|a| match a.as_array().map(Vec::as_slice) {
                Some([x, n, r]) => Some((x.clone(), n.clone(), r.clone())),
                _ => None,
            })
            .collect();
        if let Some(triples) = triples {
            let (atoms, rest): (Vec<Value>, Vec<Value>) =
                triples.into_iter().map(|(x, n, r)| (Value::Array(vec![x, n]), r)).unzip();
            prior["atoms"] = Value::Array(atoms);
            prior["rest"] = Value::Array(rest);
        }
    }
}
