//! The per-column gate: fit every prior on a training split, score each on a validation split
//! against the originals, keep the best — the identity included, so no column ends up worse
//! than its compressed data on validation — and save the choices to a versioned file.

use float_bits::Scheme;
use serde::{Deserialize, Serialize};

use crate::prior::{Histogram, Lattice, Training, splitmix64};
use crate::{Error, Estimate, Prior, Result, Seed};

/// The model file's format name and version; a file with another version is refused.
pub const FORMAT: &str = "hepfloat-model";
/// See [`FORMAT`].
pub const FORMAT_VERSION: u32 = 1;

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
    Atlas { k: u32 },
    NearestEven { k: u32 },
    TowardZero { k: u32 },
    RootFloat16 { k: u32 },
    RootRange { min: f64, max: f64, n: u32 },
    RntupleQuant { min: f64, max: f64, n: u32 },
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
            other => return Err(Error::InvalidArgument(format!("scheme {other} cannot be stored in a model file"))),
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
        })
    }
}

/// Settings of [`Model::fit`].
///
/// ```
/// let o = models::FitOptions::default();
/// assert_eq!((o.min_atom_count, o.histogram_bins), (3, 32));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitOptions {
    /// The estimate the gate scores candidates with (the MSE of `Mean` by default).
    pub estimate: Estimate,
    /// How often an exact value must occur in training to become an atom of [`Histogram`].
    pub min_atom_count: u32,
    /// Bins of the within-interval position histogram of [`Histogram`].
    pub histogram_bins: usize,
    /// Seed of the draws when scoring `Sample`.
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { estimate: Estimate::Mean, min_atom_count: 3, histogram_bins: 32, seed: 0 }
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

/// What the gate chose for one column, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnModel {
    /// The column (branch) name.
    pub name: String,
    /// The chosen prior.
    pub prior: Prior,
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
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    scheme: Scheme,
    columns: Vec<ColumnModel>,
}

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    version: u32,
    scheme: SchemeSpec,
    columns: Vec<ColumnModel>,
}

/// Squared errors of the pairs whose original is finite (a non-finite estimate of a finite
/// original counts as infinitely wrong).
fn squared_errors(original: &[f32], estimate: &[f32]) -> Vec<f64> {
    original
        .iter()
        .zip(estimate)
        .filter(|(x, _)| x.is_finite())
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .map(|d| if d.is_nan() { f64::INFINITY } else { d })
        .collect()
}

/// Whether errors `new` beat `old` (paired, same values) by more than two standard errors of the
/// mean difference: a candidate must earn its place against noise, so a small validation split
/// does not pick a prior that only got lucky.
fn significantly_better(new: &[f64], old: &[f64]) -> bool {
    let n = new.len() as f64;
    if new.is_empty() || new.len() != old.len() {
        return false;
    }
    let d: Vec<f64> = old.iter().zip(new).map(|(o, n)| o - n).collect();
    if d.iter().any(|x| !x.is_finite()) {
        return new.iter().sum::<f64>() < old.iter().sum::<f64>();
    }
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    mean > 0.0 && mean > 2.0 * (var / n).sqrt()
}

/// A stream identifier for a column's draws.
fn stream(seed: u64, column: &str) -> u64 {
    column.bytes().fold(splitmix64(seed), |h, b| splitmix64(h ^ u64::from(b)))
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
pub fn candidates(scheme: &Scheme, train: &[f32], opts: &FitOptions) -> Result<Vec<Prior>> {
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
    /// `scheme` as the producer would, fit each prior on training, score all on validation and
    /// keep the best. Candidates are tried in the order identity, uniform, lattice, histogram;
    /// one replaces the current choice only if its squared errors are lower by more than two
    /// standard errors of the paired mean difference, so noise on a small validation split
    /// keeps the simpler choice. Fitting holds the given slices; cap them to bound memory.
    pub fn fit(scheme: &Scheme, columns: &[(&str, &[f32], &[f32])], opts: FitOptions) -> Result<Model> {
        let mut out = Vec::with_capacity(columns.len());
        for &(name, train, valid) in columns {
            if valid.is_empty() {
                return Err(Error::NotEnoughData { column: name.into(), detail: "no validation values".into() });
            }
            let mut candidates = candidates(scheme, train, &opts)?;
            let mut compressed = valid.to_vec();
            scheme.compress_in_place(&mut compressed)?;
            let mut est = vec![0f32; valid.len()];
            let seed = Seed { stream: stream(opts.seed, name), first_row: 0 };
            let mut scores = Vec::with_capacity(candidates.len());
            let (mut best, mut best_err) = (0, Vec::new());
            for (i, prior) in candidates.iter().enumerate() {
                prior.upsample(scheme, &compressed, opts.estimate, seed, &mut est)?;
                let err = squared_errors(valid, &est);
                let mse = err.iter().sum::<f64>() / err.len().max(1) as f64;
                if i == 0 || significantly_better(&err, &best_err) {
                    (best, best_err) = (i, err);
                }
                scores.push(Score { prior: prior.name().into(), mse });
            }
            out.push(ColumnModel {
                name: name.into(),
                prior: candidates.swap_remove(best),
                scores,
                train: train.len() as u64,
                valid: valid.len() as u64,
            });
        }
        Ok(Model { scheme: *scheme, columns: out })
    }

    /// The scheme the model expects its input to be compressed with.
    ///
    /// ```
    /// let s = float_bits::Scheme::atlas(15)?;
    /// let m = models::Model::fit(&s, &[], Default::default())?;
    /// assert_eq!(m.scheme(), &s);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
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

    /// Upsample values of column `name`, compressed with [`Model::scheme`]; `first_row` is the
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
        let col = self.column(name).ok_or_else(|| Error::UnknownColumn(name.into()))?;
        col.prior.upsample(&self.scheme, compressed, how, Seed { stream: stream(seed, name), first_row }, out)
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
            scheme: SchemeSpec::try_from(&self.scheme)?,
            columns: self.columns.clone(),
        };
        serde_json::to_string(&file).map_err(|e| Error::ModelFile { path: "<memory>".into(), detail: e.to_string() })
    }

    /// Parse a model from JSON; another format, another version or a damaged file is an error.
    ///
    /// ```
    /// assert!(models::Model::from_json("{}").is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Model> {
        Self::parse(json, "<memory>")
    }

    fn parse(json: &str, path: &str) -> Result<Model> {
        let bad = |detail: String| Error::ModelFile { path: path.into(), detail };
        let head: serde_json::Value = serde_json::from_str(json).map_err(|e| bad(format!("not JSON: {e}")))?;
        let format = head.get("format").and_then(|f| f.as_str());
        if format != Some(FORMAT) {
            return Err(bad(format!("format is {format:?}, expected {FORMAT:?}")));
        }
        let version = head.get("version").and_then(|v| v.as_u64());
        if version != Some(u64::from(FORMAT_VERSION)) {
            return Err(bad(format!("format version {version:?}; this build reads version {FORMAT_VERSION}")));
        }
        let file: ModelFile = serde_json::from_value(head).map_err(|e| bad(format!("damaged: {e}")))?;
        let scheme = Scheme::try_from(&file.scheme).map_err(|e| bad(format!("scheme: {e}")))?;
        Ok(Model { scheme, columns: file.columns })
    }

    /// Write the model to `path` (through a temporary file renamed into place, so an
    /// interrupted save never leaves a half-written model).
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// let path = std::env::temp_dir().join("doc-model.json");
    /// m.save(&path)?;
    /// assert_eq!(models::Model::load(&path)?, m);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".partial");
        std::fs::write(&tmp, self.to_json()?).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
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
        Self::parse(&text, &path.display().to_string())
    }
}
