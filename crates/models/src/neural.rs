//! Neural priors in `burn` (feature `neural`, on by default; CPU through `Device::flex()`).
//!
//! [`Hybrid`] is the bounded corrector: for a value with context (the other fields of its object,
//! typically those kept at full precision), it predicts the position `u ∈ (0, 1)` of the original
//! inside the compressed value's preimage with a sigmoid head, so every output lies in the
//! preimage by construction. It works in two stages:
//! 1. a least-squares **link** predicts the value from its standardised context,
//!    `μ = a + Σ bⱼ·zⱼ` with `zⱼ = (ctxⱼ − meanⱼ) / sdⱼ` (a tiny ridge gives constant columns slope 0);
//! 2. a small MLP sees where `μ` falls relative to the interval, `(μ − lo) / width`, with the
//!    interval's size and the standardised context, and is trained on the squared error in the
//!    value's own units (each value's error weighed by its width², normalised).
//!
//! The first stage matters: a network fed the raw value and context must resolve differences of a
//! fraction of an interval (2⁻⁸ of the value at k = 7) between inputs of order one, and in a probe
//! learned nothing (MSE ratio 0.997 where the oracle reaches 0.707); with the link it came within
//! half a percent of the oracle.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::store::ModuleRecord;
use burn::tensor::{Device, Tensor, TensorData, activation};
use float_bits::Scheme;

use crate::posterior::clamp_into;
use crate::prior::{certain, splitmix64};
use crate::{Error, HybridFile, MAX_CONTEXT, Result};

/// The widest hidden layer a model file may describe.
pub const MAX_HIDDEN: usize = 1024;
/// Settings of [`Hybrid::fit`].
///
/// ```
/// let c = models::neural::HybridConfig::default();
/// assert_eq!((c.hidden, c.batch), (32, 1024));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HybridConfig {
    /// Width of the two hidden layers.
    pub hidden: usize,
    /// Most passes over the training values.
    pub epochs: usize,
    /// Most values per optimisation step (smaller samples use smaller batches, so that an epoch
    /// has at least 32 steps).
    pub batch: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Epochs without a better validation loss before training stops (the best epoch is kept).
    pub patience: usize,
    /// Seed of the initial weights and of the batch order.
    pub seed: u64,
}

impl Default for HybridConfig {
    fn default() -> Self {
        HybridConfig { hidden: 32, epochs: 40, batch: 1024, learning_rate: 1e-3, patience: 4, seed: 0 }
    }
}

/// Originals and their context, aligned (one row per object): `context[j][i]` belongs to
/// `original[i]`.
#[derive(Clone, Copy, Debug)]
pub struct Rows<'a> {
    /// The values to reconstruct (originals when fitting, compressed values when upsampling).
    pub values: &'a [f32],
    /// Context columns, each as long as `values`.
    pub context: &'a [&'a [f32]],
}

impl Rows<'_> {
    fn check(&self, what: &'static str) -> Result<()> {
        for c in self.context {
            if c.len() != self.values.len() {
                return Err(Error::LengthMismatch { what, left: self.values.len(), right: c.len() });
            }
        }
        Ok(())
    }
}

#[derive(Module, Debug)]
struct Mlp {
    a: Linear,
    b: Linear,
    c: Linear,
}

impl Mlp {
    fn new(inputs: usize, hidden: usize, device: &Device) -> Self {
        Mlp {
            a: LinearConfig::new(inputs, hidden).init(device),
            b: LinearConfig::new(hidden, hidden).init(device),
            c: LinearConfig::new(hidden, 1).init(device),
        }
    }

    /// `u ∈ (0, 1)` per row.
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let h = activation::relu(self.a.forward(x));
        let h = activation::relu(self.b.forward(h));
        activation::sigmoid(self.c.forward(h))
    }
}

/// How [`Hybrid::fit`] went.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// Epochs run.
    pub epochs: usize,
    /// The epoch whose weights were kept (lowest validation loss).
    pub best_epoch: usize,
    /// Validation loss (mean squared error in units of the mean interval width²) per epoch.
    pub validation_loss: Vec<f64>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>> {
    let bad = || Error::InvalidArgument("the network's weights are not hex".into());
    if !s.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(bad))
        .collect()
}

/// The bounded two-stage corrector (see the [module documentation](self)).
#[derive(Debug)]
pub struct Hybrid {
    scheme: Scheme,
    /// Link `μ = link[0] + Σ link[j+1]·zⱼ` on the standardised context.
    link: Vec<f64>,
    /// Mean and standard deviation of each context column (standardisation).
    ctx_norm: Vec<(f64, f64)>,
    /// Mean and standard deviation of `ln width`.
    width_norm: (f64, f64),
    hidden: usize,
    mlp: Mlp,
    device: Device,
}

/// Features of the rows whose compressed value is uncertain, and the rows they belong to.
struct Features {
    x: Vec<f32>,
    rows: Vec<usize>,
    lo: Vec<f32>,
    hi: Vec<f32>,
}

/// Least squares `y ≈ a + Σ bⱼ zⱼ` on the standardised context `zⱼ = (xⱼ − mⱼ) / sⱼ`, by the
/// normal equations with a tiny ridge on the slopes (a constant column, such as a fixed mass,
/// gets slope 0 instead of making the system singular), solved by Gaussian elimination with
/// partial pivoting; a system still singular falls back to the mean.
fn least_squares(y: &[f32], x: &[&[f32]], norm: &[(f64, f64)]) -> Vec<f64> {
    let p = x.len() + 1;
    let mut a = vec![vec![0.0f64; p + 1]; p];
    for (j, row) in a.iter_mut().enumerate().skip(1) {
        row[j] = 1e-9 * y.len().max(1) as f64;
    }
    for i in 0..y.len() {
        let row: Vec<f64> =
            std::iter::once(1.0).chain(x.iter().zip(norm).map(|(c, (m, s))| (f64::from(c[i]) - m) / s)).collect();
        if !f64::from(y[i]).is_finite() || row.iter().any(|v| !v.is_finite()) {
            continue;
        }
        for r in 0..p {
            for c in 0..p {
                a[r][c] += row[r] * row[c];
            }
            a[r][p] += row[r] * f64::from(y[i]);
        }
    }
    for col in 0..p {
        let pivot = (col..p).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs())).unwrap_or(col);
        a.swap(col, pivot);
        if a[col][col].abs() < 1e-12 * (1.0 + a[0][0]) {
            let mean = if a[0][0] > 0.0 { a[0][p] / a[0][0] } else { 0.0 };
            return std::iter::once(mean).chain(std::iter::repeat_n(0.0, p - 1)).collect();
        }
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, y) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * y;
                }
            }
        }
    }
    (0..p).map(|r| a[r][p] / a[r][r]).collect()
}

/// The preimage bounds of each compressed value.
fn bounds(scheme: &Scheme, c: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
    let (mut lo, mut hi) = (vec![0f32; c.len()], vec![0f32; c.len()]);
    quant_bounds::preimages(scheme, c, &mut lo, &mut hi)?;
    Ok((lo, hi))
}

fn mean_sd(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (n, s) = v.clone().filter(|x| x.is_finite()).fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    let mean = if n > 0 { s / n as f64 } else { 0.0 };
    let var = v.filter(|x| x.is_finite()).map(|x| (x - mean).powi(2)).sum::<f64>() / n.max(1) as f64;
    (mean, var.sqrt().max(1e-12))
}

impl Hybrid {
    /// Fit on training originals with their context and stop early on the validation split.
    /// Both splits are compressed with `scheme` internally, as the producer would.
    ///
    /// ```
    /// use models::neural::{Hybrid, HybridConfig, Rows};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// // x follows its context closely: 0.02·pt plus noise of a fraction of an interval.
    /// let pt: Vec<f32> = (0..6000).map(|i| 20_000.0 + 97.0 * i as f32).collect();
    /// let x: Vec<f32> = pt.iter().enumerate().map(|(i, p)| 0.02 * p + 3.0 * ((i as f32 * 0.618).fract() - 0.5)).collect();
    /// let cfg = HybridConfig { epochs: 5, ..HybridConfig::default() };
    /// let (h, report) = Hybrid::fit(&s, Rows { values: &x[..4000], context: &[&pt[..4000]] },
    ///     Rows { values: &x[4000..], context: &[&pt[4000..]] }, cfg)?;
    /// assert!(report.best_epoch < 5);
    /// let mut c = x[4000..].to_vec();
    /// s.compress_in_place(&mut c)?;
    /// let mut out = vec![0f32; c.len()];
    /// h.upsample(Rows { values: &c, context: &[&pt[4000..]] }, &mut out)?;
    /// for (c, y) in c.iter().zip(&out) {
    ///     assert!(quant_bounds::preimage(&s, *c)?.contains(*y)); // bounded by construction
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(scheme: &Scheme, train: Rows<'_>, valid: Rows<'_>, config: HybridConfig) -> Result<(Hybrid, FitReport)> {
        train.check("training context vs values")?;
        valid.check("validation context vs values")?;
        if train.context.len() != valid.context.len() {
            return Err(Error::InvalidArgument(format!(
                "{} training and {} validation context columns",
                train.context.len(),
                valid.context.len()
            )));
        }
        if config.batch == 0
            || config.hidden == 0
            || config.hidden > MAX_HIDDEN
            || train.context.len() > MAX_CONTEXT
            || config.learning_rate.is_nan()
            || config.learning_rate <= 0.0
        {
            return Err(Error::InvalidArgument(format!("invalid settings {config:?}")));
        }
        let ctx_norm: Vec<(f64, f64)> =
            train.context.iter().map(|c| mean_sd(c.iter().map(|&v| f64::from(v)))).collect();
        let link = least_squares(train.values, train.context, &ctx_norm);
        let device = Device::flex().autodiff();
        device.seed(config.seed);
        let mut model = Hybrid {
            scheme: *scheme,
            link,
            ctx_norm,
            width_norm: (0.0, 1.0),
            hidden: config.hidden,
            mlp: Mlp::new(2 + train.context.len(), config.hidden, &device),
            device: device.clone(),
        };
        let compress = |v: &[f32]| -> Result<Vec<f32>> {
            let mut c = v.to_vec();
            scheme.compress_in_place(&mut c)?;
            Ok(c)
        };
        let (ct, cv) = (compress(train.values)?, compress(valid.values)?);
        // The width scale from training, then the features of both splits.
        let (bt, bv) = (bounds(scheme, &ct)?, bounds(scheme, &cv)?);
        let widths = bt.0.iter().zip(&bt.1).map(|(l, h)| h - l).filter(|w| *w > 0.0);
        model.width_norm = mean_sd(widths.map(|w| f64::from(w).ln()));
        let ft = model.features(&Rows { values: &ct, context: train.context }, &bt)?;
        let fv = model.features(&Rows { values: &cv, context: valid.context }, &bv)?;
        let targets = |f: &Features, original: &[f32]| -> (Vec<f32>, Vec<f32>) {
            let mean_w = f.lo.iter().zip(&f.hi).map(|(l, h)| f64::from(*h) - f64::from(*l)).sum::<f64>()
                / f.rows.len().max(1) as f64;
            f.rows
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    let w = f64::from(f.hi[k]) - f64::from(f.lo[k]);
                    let t = ((f64::from(original[i]) - f64::from(f.lo[k])) / w).clamp(0.0, 1.0);
                    (t as f32, ((w / mean_w.max(f64::MIN_POSITIVE)).powi(2)) as f32)
                })
                .unzip()
        };
        let (tt, wt) = targets(&ft, train.values);
        let (tv, wv) = targets(&fv, valid.values);
        let inputs = model.ctx_norm.len() + 2;
        let mut optim = AdamConfig::new().init();
        let mut report = FitReport { epochs: 0, best_epoch: 0, validation_loss: vec![] };
        let mut best = (f64::INFINITY, model.mlp.clone());
        let mut order: Vec<usize> = (0..tt.len()).collect();
        // At least 32 steps per epoch: small samples get smaller batches, not fewer updates.
        let batch = config.batch.min(tt.len() / 32).max(32);
        let mut state = splitmix64(config.seed ^ 0x6879_6272_6964);
        for epoch in 0..config.epochs {
            // Fisher–Yates with the seeded stream.
            for i in (1..order.len()).rev() {
                state = splitmix64(state);
                order.swap(i, (state % (i as u64 + 1)) as usize);
            }
            for chunk in order.chunks(batch) {
                let m = chunk.len();
                let gather = |v: &[f32], width: usize| -> Vec<f32> {
                    chunk.iter().flat_map(|&i| v[i * width..(i + 1) * width].iter().copied()).collect()
                };
                let x = Tensor::<2>::from_data(TensorData::new(gather(&ft.x, inputs), [m, inputs]), &device);
                let t = Tensor::<2>::from_data(TensorData::new(gather(&tt, 1), [m, 1]), &device);
                let w = Tensor::<2>::from_data(TensorData::new(gather(&wt, 1), [m, 1]), &device);
                let loss = ((model.mlp.forward(x) - t).powi_scalar(2) * w).mean();
                let grads = GradientsParams::from_grads(loss.backward(), &model.mlp);
                model.mlp = optim.step(config.learning_rate, model.mlp, grads);
            }
            let u = model.predict(&fv.x, inputs)?;
            let loss =
                u.iter().zip(&tv).zip(&wv).map(|((u, t), w)| f64::from(*w) * f64::from(u - t).powi(2)).sum::<f64>()
                    / tv.len().max(1) as f64;
            report.validation_loss.push(loss);
            report.epochs = epoch + 1;
            if loss < best.0 {
                best = (loss, model.mlp.clone());
                report.best_epoch = epoch;
            } else if epoch - report.best_epoch >= config.patience {
                break;
            }
        }
        model.mlp = best.1;
        Ok((model, report))
    }

    /// The model as stored in a model file.
    ///
    /// ```
    /// use models::neural::{Hybrid, HybridConfig, Rows};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let x: Vec<f32> = (0..600).map(|i| 100.0 + i as f32 * 0.37).collect();
    /// let cfg = HybridConfig { epochs: 2, ..HybridConfig::default() };
    /// let (h, _) = Hybrid::fit(&s, Rows { values: &x[..400], context: &[&x[..400]] }, Rows { values: &x[400..], context: &[&x[400..]] }, cfg)?;
    /// let back = Hybrid::from_file(&h.to_file()?)?;
    /// let mut c = x[400..].to_vec();
    /// s.compress_in_place(&mut c)?;
    /// let (mut a, mut b) = (vec![0f32; 200], vec![0f32; 200]);
    /// h.upsample(Rows { values: &c, context: &[&x[400..]] }, &mut a)?;
    /// back.upsample(Rows { values: &c, context: &[&x[400..]] }, &mut b)?;
    /// assert_eq!(a, b);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn to_file(&self) -> Result<HybridFile> {
        let bytes = self.mlp.clone().into_record().into_bytes().map_err(|e| Error::InvalidArgument(e.to_string()))?;
        Ok(HybridFile {
            scheme: crate::SchemeSpec::try_from(&self.scheme)?,
            link: self.link.clone(),
            ctx_norm: self.ctx_norm.clone(),
            width_norm: self.width_norm,
            hidden: self.hidden,
            weights: hex(&bytes),
        })
    }

    /// A model back from its file form; a record that does not fit the described network, or
    /// sizes beyond [`MAX_HIDDEN`] / [`MAX_CONTEXT`], are errors.
    ///
    /// ```
    /// let bad = models::HybridFile {
    ///     scheme: models::SchemeSpec::Atlas { k: 7 },
    ///     link: vec![0.0],
    ///     ctx_norm: vec![],
    ///     width_norm: (0.0, 1.0),
    ///     hidden: usize::MAX, // a damaged or hostile file
    ///     weights: String::new(),
    /// };
    /// assert!(models::neural::Hybrid::from_file(&bad).is_err());
    /// ```
    pub fn from_file(file: &HybridFile) -> Result<Hybrid> {
        // Sizes come from a file: bound them before allocating the network.
        if file.link.len() != file.ctx_norm.len() + 1
            || file.hidden == 0
            || file.hidden > MAX_HIDDEN
            || file.ctx_norm.len() > MAX_CONTEXT
            || file.weights.len() > 8 * (MAX_HIDDEN * (MAX_HIDDEN + MAX_CONTEXT + 4) + 4096)
        {
            return Err(Error::InvalidArgument(format!(
                "{} link coefficients for {} context columns, {} hidden units",
                file.link.len(),
                file.ctx_norm.len(),
                file.hidden
            )));
        }
        let device = Device::flex();
        let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(unhex(&file.weights)?))
            .map_err(|e| Error::InvalidArgument(format!("the network's record: {e}")))?;
        let mlp = Mlp::new(file.ctx_norm.len() + 2, file.hidden, &device)
            .try_load_record(record)
            .map_err(|e| Error::InvalidArgument(format!("the network's record: {e}")))?;
        Ok(Hybrid {
            scheme: Scheme::try_from(&file.scheme)?,
            link: file.link.clone(),
            ctx_norm: file.ctx_norm.clone(),
            width_norm: file.width_norm,
            hidden: file.hidden,
            mlp,
            device,
        })
    }

    /// `u` for feature rows `x` (`inputs` per row), without autodiff.
    fn predict(&self, x: &[f32], inputs: usize) -> Result<Vec<f32>> {
        let n = x.len() / inputs.max(1);
        if n == 0 {
            return Ok(vec![]);
        }
        let device = self.device.clone().without_autodiff();
        let mlp = self.mlp.valid();
        let t = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [n, inputs]), &device);
        let data = mlp.forward(t).into_data();
        data.as_slice::<f32>().map(<[f32]>::to_vec).map_err(|e| Error::InvalidArgument(format!("{e:?}")))
    }

    /// Features of the uncertain rows of compressed `rows`.
    fn features(&self, rows: &Rows<'_>, (lo, hi): &(Vec<f32>, Vec<f32>)) -> Result<Features> {
        let c = rows.values;
        let inputs = self.ctx_norm.len() + 2;
        let mut f = Features { x: Vec::with_capacity(c.len() * inputs), rows: vec![], lo: vec![], hi: vec![] };
        for i in 0..c.len() {
            if certain(c[i], lo[i], hi[i]) {
                continue;
            }
            let (l, h) = (f64::from(lo[i]), f64::from(hi[i]));
            let w = h - l;
            let z = |j: usize| (f64::from(rows.context[j][i]) - self.ctx_norm[j].0) / self.ctx_norm[j].1;
            let mu = self.link[0] + self.link[1..].iter().enumerate().map(|(j, b)| b * z(j)).sum::<f64>();
            f.x.push(((mu - l) / w).clamp(-8.0, 8.0) as f32);
            f.x.push(((w.ln() - self.width_norm.0) / self.width_norm.1).clamp(-8.0, 8.0) as f32);
            for (ctx, (m, sd)) in rows.context.iter().zip(&self.ctx_norm) {
                f.x.push(((f64::from(ctx[i]) - m) / sd).clamp(-8.0, 8.0) as f32);
            }
            f.rows.push(i);
            f.lo.push(lo[i]);
            f.hi.push(hi[i]);
        }
        Ok(f)
    }

    /// Upsample compressed `rows` (compressed with the fitted scheme, context aligned) into `out`:
    /// each value at its predicted position inside its preimage; certain values unchanged.
    pub fn upsample(&self, rows: Rows<'_>, out: &mut [f32]) -> Result<()> {
        rows.check("context vs compressed")?;
        if rows.context.len() != self.ctx_norm.len() {
            return Err(Error::InvalidArgument(format!(
                "the model was fitted with {} context columns, {} given",
                self.ctx_norm.len(),
                rows.context.len()
            )));
        }
        if out.len() != rows.values.len() {
            return Err(Error::LengthMismatch { what: "compressed vs out", left: rows.values.len(), right: out.len() });
        }
        out.copy_from_slice(rows.values);
        let f = self.features(&rows, &bounds(&self.scheme, rows.values)?)?;
        let u = self.predict(&f.x, self.ctx_norm.len() + 2)?;
        for (k, &i) in f.rows.iter().enumerate() {
            let (l, h) = (f64::from(f.lo[k]), f64::from(f.hi[k]));
            out[i] = clamp_into((l + f64::from(u[k]) * (h - l)) as f32, f.lo[k], f.hi[k]);
        }
        Ok(())
    }
}
