//! The model file: its format and version history, and the stored form of every choice.

use float_bits::Scheme;
use serde::{Deserialize, Serialize};

use crate::{Error, Estimate, Group, Kind, Model, Prior, Result};

/// The model file's format name and version; a file of a newer version is refused (versions 1,
/// before groups, 2, before samplers, 3, before neural correctors, 4, before neural kinds, 5,
/// before the networks' checksums, and 6, before per-column schemes, are still read; a file of
/// version 4 with a neural corrector must be refitted, as its networks are stored in another
/// layout). Every file is checked field by field on load (see [`Error::InvalidModel`]); from
/// version 6 on, every network carries the SHA-256 of its weights, and a network whose weights do
/// not match it is refused. From version 7 on every column records its own scheme (files before
/// it have one scheme for the whole model, which every column takes on load). From version 8 on a
/// column's choice is one [`Choice`] (before it, two fields that could contradict each other),
/// every score carries the evidence the gate weighed (its gain over the compressed values and
/// the lower bound of that gain across resampled validation events), and every column the
/// number of validation events. From version 9 on a relation group may carry
/// [`JointAtom`](crate::JointAtom)s, whole tuples seen repeatedly in training (a file of
/// version 9 without them is one of version 8). From version 10 on a neural corrector may be of
/// kind [`Kind::Inpainting`] (the transformer), and a column may carry the quick estimate of
/// what can be recovered in it ([`ColumnModel::recoverable`]); a file of version 10 without
/// either is one of version 9. From version 11 on a model may hold container networks
/// ([`ContainerModel`]), each reconstructing several columns of an object at once, and a
/// column's choice may be one of them ([`Choice::Container`]); a file of version 11 without
/// them is one of version 10.
pub const FORMAT: &str = "hepfloat-model";
/// See [`FORMAT`].
pub const FORMAT_VERSION: u32 = 11;

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

/// The most context columns a neural corrector reads (the gate uses the first ones of a
/// container; a model file describing more is refused).
pub const MAX_CONTEXT: usize = 64;

/// One candidate's validation score, and the evidence for it.
///
/// `gain` and `lower` (model files of format 8 on) are against the compressed values: the
/// candidate's total squared error on validation subtracted from theirs, and the lower bound of
/// that gain across resamples of the validation events ([`crate::evidence`]). The gate moves a
/// column off the compressed values only where `lower` is above zero.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The candidate's name (a prior, `constraint`, or a neural kind).
    pub prior: String,
    /// Mean squared error against the validation originals (finite values only).
    pub mse: f64,
    /// Total squared error of the compressed values minus the candidate's, on validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain: Option<f64>,
    /// The lower confidence bound of `gain` across event resamples (`None` where there were too
    /// few validation events to resample, or the errors were not finite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
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

/// One field of a [`ContainerFile`]: its scheme, its link from the kept context and the
/// standardisations of its inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldNorm {
    /// The scheme the field was compressed with (its column's).
    pub scheme: SchemeSpec,
    /// Link coefficients: intercept, one per (standardised) context column, then one per other
    /// field's (standardised) compressed value, in field order.
    pub link: Vec<f64>,
    /// Mean and standard deviation of the field's `ln width`.
    pub width_norm: (f64, f64),
    /// Mean and standard deviation of its compressed training values.
    pub value_norm: (f64, f64),
}

/// A fitted [`neural::ContainerNet`](crate::neural) as stored in a model file (format 11 on):
/// one network that reconstructs several fields of an object at once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContainerFile {
    /// [`Kind::Hybrid`] (an MLP) or [`Kind::Inpainting`] (the transformer).
    pub kind: Kind,
    /// The fields it reconstructs, in its output order.
    pub fields: Vec<FieldNorm>,
    /// Mean and standard deviation of each context column.
    pub ctx_norm: Vec<(f64, f64)>,
    /// Width of the hidden layers.
    pub hidden: usize,
    /// The network's record (burnpack bytes), hex.
    pub weights: String,
    /// SHA-256 of the record's bytes, hex (required in model files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A container network of a model: the columns it reconstructs (its fields, each compressed),
/// the kept columns it reads, and the network. Columns whose [`Choice`] is
/// [`Choice::Container`] take their values from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContainerModel {
    /// The compressed columns it reconstructs (full names), in its output order.
    pub fields: Vec<String>,
    /// The kept context columns (full names), in its input order.
    pub context: Vec<String>,
    /// The fitted network.
    pub model: ContainerFile,
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

/// Where a column's upsampled values come from: one of three, so that a model cannot say two.
///
/// ```
/// let c = models::Choice::Constraint;
/// assert_eq!(c.name(), Some("constraint"));
/// assert_eq!(models::Choice::Prior.name(), None); // the prior's own name
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Choice {
    /// The column's own [`ColumnModel::prior`].
    #[default]
    Prior,
    /// Its [`Group`]'s joint posterior (see [`Model::upsample_table`]); the column's prior
    /// gives the rows its relation cannot inform.
    Constraint,
    /// A neural corrector reading other columns of the same object (it gives the mean and
    /// median; [`Estimate::Sample`] draws from the column's sampler or prior).
    Neural(NeuralColumn),
    /// The column's output of a container network of the model ([`Model::containers`]), which
    /// reconstructs the container's fields at once (model files of format 11 on). It gives the
    /// mean and median; [`Estimate::Sample`] draws from the column's sampler or prior.
    Container {
        /// The network's index in [`Model::containers`].
        net: usize,
        /// Its kind (checked against the network's on load).
        family: Kind,
    },
}

impl Choice {
    /// The name of a choice that is not the prior (whose name is the prior's).
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Choice::Prior => None,
            Choice::Constraint => Some("constraint"),
            Choice::Neural(n) => Some(n.model.kind.name()),
            Choice::Container { family, .. } => Some(family.container_name()),
        }
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
    /// Where the column's values come from (model files before format 8 say it with two fields,
    /// `constraint` and `neural`; on load, `constraint` wins, as it did when applying them).
    #[serde(default)]
    pub choice: Choice,
    /// The prior [`Estimate::Sample`] draws from where it is not `prior`: where the gate kept the
    /// identity (a point mass, not a distribution of originals) for a column whose validation
    /// originals mostly differ from their compressed values (continuous at this precision), the
    /// fitted [`Histogram`](crate::Histogram) — atoms at the exact values seen in training, a
    /// density elsewhere — so that draws spread over the preimage as the originals do, and exact
    /// values stay exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampler: Option<Prior>,
    /// Every candidate's validation score, the chosen one included.
    pub scores: Vec<Score>,
    /// Training values used.
    pub train: u64,
    /// Validation values used.
    pub valid: u64,
    /// Validation events that held them (model files of format 8 on; 0 in older files and where
    /// nothing was validated).
    #[serde(default)]
    pub events: u64,
    /// The largest magnitude among the compressed validation values (model files of format 8
    /// on): the range the choice was validated on. Where the choice is not the identity, a
    /// value beyond it keeps its compressed value (and a group's row with a member beyond it
    /// keeps its members' own estimates): evidence from smaller values says nothing about how
    /// a candidate does on larger ones, whose squared errors weigh most. `None`: no limit (older
    /// files, and models fitted without originals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validated: Option<f32>,
    /// How many validation events the column's squared error (at its compressed values) rests
    /// on: Kish's effective number, [`crate::evidence::effective_events`]. A neural candidate
    /// wins only where it is at least [`crate::evidence::MIN_EVENTS`]. `None`: not recorded
    /// (older files, nothing validated, models fitted without originals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_events: Option<f64>,
    /// The quick estimate of what an upsampler can recover in this column
    /// ([`crate::recover::estimate`] on the training originals with the column's context), made
    /// before any candidate is fitted (model files of format 10 on; `None` in older files, for
    /// models fitted without originals, and for columns with too few uncertain values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recoverable: Option<crate::recover::Recoverable>,
}

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    version: u32,
    columns: Vec<ColumnModel>,
    #[serde(default)]
    groups: Vec<Group>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    containers: Vec<ContainerModel>,
}

impl ColumnModel {
    /// The name of what the column's values come from: `constraint`, a neural kind, or its
    /// prior's name.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert_eq!(m.columns()[0].choice_name(), "identity");
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn choice_name(&self) -> &'static str {
        self.choice.name().unwrap_or_else(|| self.prior.name())
    }

    /// The neural corrector, where it is the choice.
    pub fn neural(&self) -> Option<&NeuralColumn> {
        match &self.choice {
            Choice::Neural(n) => Some(n),
            _ => None,
        }
    }

    /// Whether estimate `how` of the column comes from a network that reads other columns (a
    /// neural corrector or a container network): always but for `Sample` from a network that
    /// gives no samples.
    ///
    /// ```
    /// let m = models::Model::fit(&float_bits::Scheme::atlas(7)?, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert!(!m.columns()[0].reads_context(models::Estimate::Mean));
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn reads_context(&self, how: Estimate) -> bool {
        match &self.choice {
            Choice::Neural(n) => n.reads_context(how),
            Choice::Container { .. } => how != Estimate::Sample,
            _ => false,
        }
    }

    /// Whether the column's values come from its group's joint posterior.
    pub fn constraint(&self) -> bool {
        self.choice == Choice::Constraint
    }

    /// Whether the column leaves the compressed values on assumption rather than evidence: it
    /// was fitted without validation originals ([`Model::fit_compressed`]) and its choice is
    /// not the identity.
    ///
    /// ```
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let m = models::Model::fit(&s, &[("x", &[1.5], &[2.5])], Default::default())?;
    /// assert!(!m.columns()[0].assumed());
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn assumed(&self) -> bool {
        self.valid == 0 && self.choice_name() != "identity"
    }

    /// Whether compressed value `c` lies in the range the column's choice was validated on
    /// ([`ColumnModel::validated`]).
    ///
    /// ```
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let m = models::Model::fit(&s, &[("x", &[1.5], &[2.5, -3.0])], Default::default())?;
    /// let c = m.column("x").unwrap();
    /// assert_eq!(c.validated, Some(3.0));
    /// assert!(c.within_validated(-3.0) && !c.within_validated(4.0));
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn within_validated(&self, c: f32) -> bool {
        self.validated.is_none_or(|m| c.abs() <= m)
    }
}

impl Model {
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
            containers: self.containers.clone(),
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
        if version.is_some_and(|v| v < 8) {
            upgrade_v7_choice(&mut head);
        }
        let file: ModelFile = serde_json::from_value(head).map_err(|e| bad(format!("damaged: {e}")))?;
        Model::assemble(file.columns, file.groups, file.containers, path, file.version >= 6)
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

/// Files before version 8 say a column's choice with two fields, `constraint` (a bool) and
/// `neural` (a network): one `choice`, the constraint winning as it did when such files were
/// applied (the group's joint values overwrote the network's).
fn upgrade_v7_choice(head: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let Some(columns) = head.get_mut("columns").and_then(Value::as_array_mut) else { return };
    for c in columns.iter_mut().filter_map(Value::as_object_mut) {
        let constraint = c.remove("constraint").and_then(|v| v.as_bool()).unwrap_or(false);
        let neural = c.remove("neural");
        let choice = match neural {
            _ if constraint => json!({"kind": "constraint"}),
            Some(Value::Object(mut n)) => {
                n.insert("kind".into(), json!("neural"));
                Value::Object(n)
            }
            Some(Value::Null) | None => json!({"kind": "prior"}),
            Some(other) => other, // refused below, as damaged
        };
        c.insert("choice".into(), choice);
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
