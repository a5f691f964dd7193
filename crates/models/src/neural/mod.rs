//! Neural upsamplers in `burn` (feature `neural`, on by default; CPU through `Device::flex()`,
//! other devices through [`Net::fit_on`] and [`Net::to_device`]).
//!
//! Every model sees the same features of a compressed value with context (the other fields of
//! its object, typically those kept at full precision):
//! - where a least-squares **link** from the standardised context puts the value, relative to
//!   the interval: `(μ − lo) / width`, with `μ = a + Σ bⱼ·zⱼ`, `zⱼ = (ctxⱼ − meanⱼ) / sdⱼ`;
//! - the interval's size, `ln width`, and the compressed value itself, standardised;
//! - the standardised context.
//!
//! and works on the **position of the original inside the interval**, `u ∈ [0, 1]`, so every
//! output of a bounded model lies in the value's preimage by construction. The [`Kind`]s:
//! - [`Kind::Hybrid`]: an MLP (two hidden layers) with a sigmoid head, trained on the squared
//!   error in the value's own units (each value's error weighed by its width², normalised).
//! - [`Kind::Autoencoder`]: a denoising autoencoder, as in the 2025 study — the compressed row
//!   is the noisy input (plus Gaussian input noise of [`Config::input_noise`] in training), the
//!   original the clean target — through a bottleneck of `AE_LATENT` units, with the bounded head.
//!   [`Kind::AutoencoderUnbounded`] is the same network predicting the standardised value, as
//!   the study did; it shows what the bound is worth and is never a candidate of the gate.
//! - [`Kind::Vae`]: a conditional VAE: an encoder `q(z | u, features)`, a decoder giving
//!   `logit u ~ N(m, s²)` given `z` and the features, a standard normal prior on `z` (2-D). The
//!   mean is computed by Gauss–Hermite quadrature over `z` and `logit u`; samples draw `z`, then `u`.
//! - [`Kind::Flow`]: a conditional monotone rational-quadratic spline (8 bins) as the
//!   distribution function of `u`: exact likelihood (trained by maximum likelihood), exact mean
//!   (the spline's integral in closed form in every bin), exact median and samples by inversion.
//! - [`Kind::FlowMatching`]: a velocity field `v(x, τ, features)` trained to carry uniform noise
//!   `x₀` along straight lines to `u`; the map `x₀ ↦ u` (midpoint rule, 8 steps) is monotone, so
//!   the median is the image of ½, the mean the midpoint rule over 8 strata of `x₀`, and samples
//!   the images of uniform draws.
//! - [`Kind::Inpainting`]: masked-bit inpainting, the 2025 study's idea built on the bounded
//!   interface: a transformer encoder (two pre-norm layers, width `hidden`) over one token per
//!   field of the object. The value's own token holds its kept bits (the compressed value), its
//!   interval (`ln width`) and the link's position; each context field is a token of its value;
//!   every token adds a learned embedding of its field. The value's token's output, through a
//!   sigmoid, is the position of the dropped bits in the interval, trained as the hybrid is. The
//!   study's model took sign and exponent from the original (a leak, and wrong where rounding
//!   carries into the exponent); here everything but the dropped bits comes from the compressed
//!   value, and the output cannot leave its interval.
//!
//! The link matters: a network fed the raw value and context must resolve differences of a
//! fraction of an interval (2⁻⁸ of the value at k = 7) between inputs of order one, and in a
//! probe learned nothing (MSE ratio 0.997 where the oracle reaches 0.707); with the link the
//! hybrid came within half a percent of the oracle.
//!
//! [`ContainerNet`] is the multi-output form: one network per container that reconstructs every
//! compressed field of an object at once (an MLP or the inpainter over the whole object), each
//! field's link reading the kept context and the other fields' compressed values.

mod container;
mod spline;

pub use container::{ContainerNet, Fields, MAX_FIELDS};

/// burn's run-time device, for [`Net::fit_on`] and [`Net::to_device`] (`Device::flex()` always;
/// `Device::wgpu(DeviceKind::DefaultDevice)` with the `wgpu` feature, `Device::cuda(0)` with
/// `cuda`).
pub use burn::tensor::{Device, DeviceKind};

use burn::module::Module;
use burn::module::Param;
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::store::ModuleRecord;
use burn::tensor::{Distribution, Tensor, TensorData, activation};
use float_bits::Scheme;

use crate::link::{least_squares, mean_sd};
use crate::posterior::clamp_into;
use crate::prior::{certain, splitmix64};
use crate::{Epoch, Error, Estimate, Kind, MAX_CONTEXT, NetFile, Result, Seed};
use spline::Spline;

/// The widest hidden layer a model file may describe.
pub use crate::validate::MAX_HIDDEN;
/// Bottleneck of the autoencoders.
const AE_LATENT: usize = 4;
/// Latent dimension of the VAE.
const VAE_LATENT: usize = 2;
/// Gauss–Hermite nodes per latent dimension (VAE mean).
const VAE_Z_NODES: usize = 4;
/// Gauss–Hermite nodes over `logit u` (VAE mean).
const VAE_Y_NODES: usize = 16;
/// Transformer layers of the inpainter.
const INPAINT_LAYERS: usize = 2;
/// Midpoint steps of the flow-matching ODE.
const FM_STEPS: usize = 8;
/// Strata of the starting point in the flow-matching mean.
const FM_STRATA: usize = 8;
/// Most feature rows per network call at inference (bounds memory).
const CHUNK: usize = 1 << 11;
/// Most validation rows evaluated per epoch for early stopping.
const MAX_STOP_ROWS: usize = 8192;
/// Features before the context columns.
const FIXED_FEATURES: usize = 3;

/// Settings of [`Net::fit`].
///
/// ```
/// let c = models::neural::Config::default();
/// assert_eq!((c.hidden, c.batch), (32, 1024));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Width of the hidden layers.
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
    /// Seed of the initial weights, the batch order and the training noise.
    pub seed: u64,
    /// Standard deviation of the Gaussian noise added to the (standardised) inputs of the
    /// autoencoders in training (other kinds ignore it).
    pub input_noise: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { hidden: 32, epochs: 40, batch: 1024, learning_rate: 1e-3, patience: 4, seed: 0, input_noise: 0.05 }
    }
}

/// Originals and their context, aligned (one row per object): `context[j][i]` belongs to
/// `values[i]`.
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
    layers: Vec<Linear>,
}

impl Mlp {
    fn new(sizes: &[usize], device: &Device) -> Self {
        Mlp { layers: sizes.windows(2).map(|w| LinearConfig::new(w[0], w[1]).init(device)).collect() }
    }

    /// ReLU between the layers, the last one linear.
    fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = activation::relu(x);
            }
        }
        x
    }
}

/// The masked-bit inpainter: a transformer encoder over one token per field of the object.
///
/// The first token is the value being reconstructed: its kept bits (the compressed value,
/// standardised), its interval (`ln width`) and where the link puts it inside the interval; each
/// further token is one context field's value. Every token also carries a learned embedding of
/// its field, so attention can tell the fields apart. The first token's output, through a linear
/// head and a sigmoid, is the position of the dropped bits inside the interval.
#[derive(Module, Debug)]
struct Inpainter {
    /// Embeds the value's own token (its three features).
    target: Linear,
    /// Embeds a context field's token (its standardised value).
    field: Linear,
    /// One learned embedding per token position (field), `[1 + context, d]`.
    position: Param<Tensor<2>>,
    encoder: TransformerEncoder,
    /// The first token's output to the position (a logit).
    head: Linear,
}

impl Inpainter {
    fn new(features: usize, d: usize, device: &Device) -> Self {
        let tokens = 1 + features - FIXED_FEATURES;
        let heads = [4, 2, 1].into_iter().find(|h| d.is_multiple_of(*h)).unwrap_or(1);
        let encoder = TransformerEncoderConfig::new(d, 2 * d, heads, INPAINT_LAYERS)
            .with_dropout(0.0)
            .with_norm_first(true)
            .init(device);
        Inpainter {
            target: LinearConfig::new(FIXED_FEATURES, d).init(device),
            field: LinearConfig::new(1, d).init(device),
            position: Param::from_tensor(Tensor::random([tokens, d], Distribution::Normal(0.0, 0.1), device)),
            encoder,
            head: LinearConfig::new(d, 1).init(device),
        }
    }

    /// Feature rows `[m, 3 + context]` to logits `[m, 1]`.
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let [m, f] = x.dims();
        let context = f - FIXED_FEATURES;
        let d = self.position.val().dims()[1];
        let mut tokens = self.target.forward(x.clone().narrow(1, 0, FIXED_FEATURES)).unsqueeze_dim::<3>(1);
        if context > 0 {
            let fields = self.field.forward(x.narrow(1, FIXED_FEATURES, context).unsqueeze_dim::<3>(2));
            tokens = Tensor::cat(vec![tokens, fields], 1);
        }
        let tokens = tokens + self.position.val().unsqueeze_dim::<3>(0).expand([m, context + 1, d]);
        let out = self.encoder.forward(TransformerEncoderInput::new(tokens));
        self.head.forward(out.narrow(1, 0, 1).reshape([m, d]))
    }
}

/// The networks of one model (their meaning depends on its [`Kind`]).
#[derive(Module, Debug)]
struct Body {
    nets: Vec<Mlp>,
    /// The inpainter ([`Kind::Inpainting`] only; empty for the other kinds, whose records have no
    /// entry for it).
    inpainter: Vec<Inpainter>,
}

impl Body {
    fn new(kind: Kind, features: usize, h: usize, device: &Device) -> Self {
        let f = features;
        let sizes: Vec<Vec<usize>> = match kind {
            Kind::Inpainting => return Body { nets: vec![], inpainter: vec![Inpainter::new(f, h, device)] },
            Kind::Hybrid => vec![vec![f, h, h, 1]],
            Kind::Autoencoder | Kind::AutoencoderUnbounded => vec![vec![f, h, AE_LATENT], vec![AE_LATENT, h, 1]],
            Kind::Vae => vec![vec![f + 1, h, 2 * VAE_LATENT], vec![f + VAE_LATENT, h, h, 2]],
            Kind::Flow => vec![vec![f, h, h, spline::PARAMS]],
            Kind::FlowMatching => vec![vec![f + 2, h, h, 1]],
        };
        Body { nets: sizes.iter().map(|s| Mlp::new(s, device)).collect(), inpainter: vec![] }
    }

    fn net(&self, i: usize, x: Tensor<2>) -> Tensor<2> {
        match self.inpainter.first() {
            Some(p) => p.forward(x),
            None => self.nets[i].forward(x),
        }
    }
}

/// How [`Net::fit`] went.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// Epochs run.
    pub epochs: usize,
    /// The epoch whose weights were kept (lowest validation loss).
    pub best_epoch: usize,
    /// Mean training loss per epoch, in the kind's own units (see [`Epoch::train_loss`]).
    pub train_loss: Vec<f64>,
    /// Validation loss per epoch: the mean squared error of the model's mean estimate, in units
    /// of the mean interval width² (at most 8192 validation values).
    pub validation_loss: Vec<f64>,
}

/// A fitted neural upsampler of one column (see the [module documentation](self)).
#[derive(Debug)]
pub struct Net {
    kind: Kind,
    scheme: Scheme,
    /// Link `μ = link[0] + Σ link[j+1]·zⱼ` on the standardised context.
    link: Vec<f64>,
    /// Mean and standard deviation of each context column (standardisation).
    ctx_norm: Vec<(f64, f64)>,
    /// Mean and standard deviation of `ln width`.
    width_norm: (f64, f64),
    /// Mean and standard deviation of the compressed values.
    value_norm: (f64, f64),
    hidden: usize,
    body: Body,
    device: Device,
}

/// Features of the rows whose compressed value is uncertain, and the rows they belong to.
struct Features {
    x: Vec<f32>,
    rows: Vec<usize>,
    lo: Vec<f32>,
    hi: Vec<f32>,
}

impl Features {
    fn len(&self) -> usize {
        self.rows.len()
    }
}

/// The preimage bounds of each compressed value.
fn bounds(scheme: &Scheme, c: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
    let (mut lo, mut hi) = (vec![0f32; c.len()], vec![0f32; c.len()]);
    quant_bounds::preimages(scheme, c, &mut lo, &mut hi)?;
    Ok((lo, hi))
}

/// A seeded stream of uniform and standard normal numbers.
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 = splitmix64(self.0);
        ((self.0 >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    fn normal(&mut self) -> f64 {
        let (a, b) = (self.uniform(), self.uniform());
        (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
    }
}

fn logit(u: f64) -> f64 {
    let u = u.clamp(1e-4, 1.0 - 1e-4);
    (u / (1.0 - u)).ln()
}

fn sigmoid(y: f64) -> f64 {
    1.0 / (1.0 + (-y).exp())
}

/// What a model estimates for each feature row.
#[derive(Clone, Copy)]
enum Want {
    Mean,
    Median,
    /// A draw, seeded per row (the row's global position).
    Sample(Seed),
}

fn tensor(v: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v, [rows, cols]), device)
}

fn to_vec(t: Tensor<2>) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Network { operation: "reading a tensor back", source: Box::new(e) })
}

/// The training loop both network forms share ([`Net`], [`ContainerNet`]): `rows` training rows
/// shuffled every epoch (Fisher–Yates on a stream seeded by the config's seed and `salt`), steps
/// of Adam on batches of at most `config.batch` rows (at least 32 steps an epoch: small samples
/// get smaller batches, not fewer updates), the validation loss after every epoch, and early
/// stopping after `config.patience` epochs without a better one, keeping the best epoch's weights.
struct Training<'a> {
    rows: usize,
    config: &'a Config,
    salt: u64,
    kind: Kind,
    /// The autodiff device the training tensors live on.
    device: &'a Device,
}

impl Training<'_> {
    /// Train `body`: `step` gives the loss of a batch of row indices (drawing any training noise
    /// from the stream it is given), `validate` the validation loss of a body; `progress` is
    /// told of every epoch. Returns the best epoch's body.
    fn train<M: Module>(
        &self,
        mut body: M,
        step: &dyn Fn(&M, &[usize], &mut Noise) -> Tensor<1>,
        validate: &dyn Fn(&M) -> Result<f64>,
        progress: &dyn Fn(&Epoch),
    ) -> Result<(M, FitReport)> {
        let config = self.config;
        let mut optim = AdamConfig::new().init();
        let mut report = FitReport { epochs: 0, best_epoch: 0, train_loss: vec![], validation_loss: vec![] };
        let mut best = (f64::INFINITY, body.clone());
        let mut order: Vec<usize> = (0..self.rows).collect();
        let batch = config.batch.min(self.rows / 32).max(32);
        let mut noise = Noise(splitmix64(config.seed ^ self.salt));
        for epoch in 0..config.epochs {
            for i in (1..order.len()).rev() {
                order.swap(i, (noise.uniform() * (i + 1) as f64) as usize);
            }
            let mut train_loss = Tensor::<1>::zeros([1], self.device);
            for chunk in order.chunks(batch) {
                let loss = step(&body, chunk, &mut noise);
                train_loss = train_loss + loss.clone().detach().mul_scalar(chunk.len() as f64);
                let grads = GradientsParams::from_grads(loss.backward(), &body);
                body = optim.step(config.learning_rate, body, grads);
            }
            let loss = validate(&body)?;
            let train_loss = f64::from(train_loss.into_scalar::<f32>()) / self.rows.max(1) as f64;
            report.train_loss.push(train_loss);
            report.validation_loss.push(loss);
            report.epochs = epoch + 1;
            let improved = loss < best.0;
            if improved {
                best = (loss, body.clone());
                report.best_epoch = epoch;
            }
            progress(&Epoch {
                kind: self.kind,
                epoch: epoch + 1,
                epochs: config.epochs,
                train_loss,
                validation_loss: loss,
                best: best.0,
            });
            if !improved && epoch - report.best_epoch >= config.patience {
                break;
            }
        }
        Ok((best.1, report))
    }
}

/// One training batch, gathered on the CPU.
struct Batch {
    m: usize,
    x: Vec<f32>,
    /// Position of the original in its interval.
    t: Vec<f32>,
    /// Loss weight (width² over its mean).
    w: Vec<f32>,
    /// The original, standardised (the unbounded autoencoder's target).
    z: Vec<f32>,
}

impl Net {
    /// Fit a model of `kind` on training originals with their context, on the CPU, and stop
    /// early on the validation split. Both splits are compressed with `scheme` internally, as
    /// the producer would.
    ///
    /// ```
    /// use models::{Kind, neural::{Config, Net, Rows}};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// // x follows its context closely: 0.02·pt plus noise of a fraction of an interval.
    /// let pt: Vec<f32> = (0..6000).map(|i| 20_000.0 + 97.0 * i as f32).collect();
    /// let x: Vec<f32> = pt.iter().enumerate().map(|(i, p)| 0.02 * p + 3.0 * ((i as f32 * 0.618).fract() - 0.5)).collect();
    /// let cfg = Config { epochs: 5, ..Config::default() };
    /// let (net, report) = Net::fit(Kind::Flow, &s, Rows { values: &x[..4000], context: &[&pt[..4000]] },
    ///     Rows { values: &x[4000..], context: &[&pt[4000..]] }, cfg)?;
    /// assert!(report.best_epoch < 5);
    /// let mut c = x[4000..].to_vec();
    /// s.compress_in_place(&mut c)?;
    /// let mut out = vec![0f32; c.len()];
    /// net.upsample(Rows { values: &c, context: &[&pt[4000..]] }, models::Estimate::Mean, Default::default(), &mut out)?;
    /// for (c, y) in c.iter().zip(&out) {
    ///     assert!(quant_bounds::preimage(&s, *c)?.contains(*y)); // bounded by construction
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(
        kind: Kind,
        scheme: &Scheme,
        train: Rows<'_>,
        valid: Rows<'_>,
        config: Config,
    ) -> Result<(Net, FitReport)> {
        Self::fit_with(&Device::flex(), kind, scheme, train, valid, config, &|_| {})
    }

    /// [`Net::fit`] on a given device (`Device::flex()`, or `Device::wgpu(..)` / `Device::cuda(..)`
    /// with burn's features for them); training uses its autodiff form.
    pub fn fit_on(
        device: &Device,
        kind: Kind,
        scheme: &Scheme,
        train: Rows<'_>,
        valid: Rows<'_>,
        config: Config,
    ) -> Result<(Net, FitReport)> {
        Self::fit_with(device, kind, scheme, train, valid, config, &|_| {})
    }

    /// [`Net::fit_on`], telling `progress` of every finished [`Epoch`].
    ///
    /// ```
    /// use models::neural::{Config, Device, Net, Rows};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let x: Vec<f32> = (0..1000).map(|i| 100.0 + (i as f32 * 0.37).sin()).collect();
    /// let losses = std::sync::Mutex::new(vec![]);
    /// let (_, report) = Net::fit_with(
    ///     &Device::flex(),
    ///     models::Kind::Hybrid,
    ///     &s,
    ///     Rows { values: &x[..800], context: &[] },
    ///     Rows { values: &x[800..], context: &[] },
    ///     Config { epochs: 3, ..Config::default() },
    ///     &|e| losses.lock().unwrap().push(e.validation_loss),
    /// )?;
    /// assert_eq!(*losses.lock().unwrap(), report.validation_loss);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn fit_with(
        device: &Device,
        kind: Kind,
        scheme: &Scheme,
        train: Rows<'_>,
        valid: Rows<'_>,
        config: Config,
        progress: &dyn Fn(&Epoch),
    ) -> Result<(Net, FitReport)> {
        train.check("training context vs values")?;
        valid.check("validation context vs values")?;
        if train.context.len() != valid.context.len() {
            return Err(Error::LengthMismatch {
                what: "training vs validation context columns",
                left: train.context.len(),
                right: valid.context.len(),
            });
        }
        let invalid = |setting, detail: String| Err(Error::InvalidSetting { setting, detail });
        if config.batch == 0 {
            return invalid("neural::Config::batch", "0: a batch needs at least one row".into());
        }
        if config.hidden == 0 || config.hidden > MAX_HIDDEN {
            return invalid("neural::Config::hidden", format!("{}: expected 1 to {MAX_HIDDEN}", config.hidden));
        }
        if train.context.len() > MAX_CONTEXT {
            return invalid("context columns", format!("{}: at most {MAX_CONTEXT}", train.context.len()));
        }
        if config.learning_rate.is_nan() || config.learning_rate <= 0.0 {
            return invalid("neural::Config::learning_rate", format!("{}: expected > 0", config.learning_rate));
        }
        if config.input_noise.is_nan() || config.input_noise < 0.0 {
            return invalid("neural::Config::input_noise", format!("{}: expected ≥ 0", config.input_noise));
        }
        let compress = |v: &[f32]| -> Result<Vec<f32>> {
            let mut c = v.to_vec();
            scheme.compress_in_place(&mut c)?;
            Ok(c)
        };
        let (ct, cv) = (compress(train.values)?, compress(valid.values)?);
        let (bt, bv) = (bounds(scheme, &ct)?, bounds(scheme, &cv)?);
        let ctx_norm: Vec<(f64, f64)> =
            train.context.iter().map(|c| mean_sd(c.iter().map(|&v| f64::from(v)))).collect();
        let widths = bt.0.iter().zip(&bt.1).map(|(l, h)| h - l).filter(|w| *w > 0.0);
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let mut model = Net {
            kind,
            scheme: *scheme,
            link: least_squares(train.values, train.context, &ctx_norm),
            ctx_norm,
            width_norm: mean_sd(widths.map(|w| f64::from(w).ln())),
            value_norm: mean_sd(ct.iter().map(|&v| f64::from(v))),
            hidden: config.hidden,
            body: Body::new(kind, FIXED_FEATURES + train.context.len(), config.hidden, &device),
            device: device.clone(),
        };
        let ft = model.features(&Rows { values: &ct, context: train.context }, &bt)?;
        let fv = model.features(&Rows { values: &cv, context: valid.context }, &bv)?;
        let mean_width = |f: &Features| {
            f.lo.iter().zip(&f.hi).map(|(l, h)| f64::from(*h) - f64::from(*l)).sum::<f64>() / f.len().max(1) as f64
        };
        let scale = mean_width(&ft).max(f64::MIN_POSITIVE);
        let (tt, wt): (Vec<f32>, Vec<f32>) = (0..ft.len())
            .map(|k| {
                let (l, w) = (f64::from(ft.lo[k]), f64::from(ft.hi[k]) - f64::from(ft.lo[k]));
                let t = ((f64::from(train.values[ft.rows[k]]) - l) / w).clamp(0.0, 1.0);
                (t as f32, (w / scale).powi(2) as f32)
            })
            .unzip();
        let zt: Vec<f32> = ft.rows.iter().map(|&i| model.standardise(train.values[i])).collect();
        let stop = fv.len().min(MAX_STOP_ROWS);
        let stop_scale = mean_width(&fv).max(f64::MIN_POSITIVE);
        let inputs = model.features_per_row();
        let body = std::mem::replace(&mut model.body, Body { nets: vec![], inpainter: vec![] });
        let step = |body: &Body, chunk: &[usize], noise: &mut Noise| {
            let gather = |v: &[f32], width: usize| -> Vec<f32> {
                chunk.iter().flat_map(|&i| v[i * width..(i + 1) * width].iter().copied()).collect()
            };
            let b = Batch {
                m: chunk.len(),
                x: gather(&ft.x, inputs),
                t: gather(&tt, 1),
                w: gather(&wt, 1),
                z: gather(&zt, 1),
            };
            model.loss(body, &b, &config, noise)
        };
        let validate = |body: &Body| -> Result<f64> {
            let est = model.estimate(body, &fv, stop, Want::Mean)?;
            Ok((0..stop)
                .map(|k| ((est[k] - f64::from(valid.values[fv.rows[k]])) / stop_scale).powi(2))
                .map(|e| if e.is_finite() { e } else { 1e300 })
                .sum::<f64>()
                / stop.max(1) as f64)
        };
        let run = Training { rows: tt.len(), config: &config, salt: 0x6879_6272_6964, kind, device: &device };
        let (body, report) = run.train(body, &step, &validate, progress)?;
        model.body = body;
        Ok((model, report))
    }

    /// The model's kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    fn features_per_row(&self) -> usize {
        FIXED_FEATURES + self.ctx_norm.len()
    }

    fn standardise(&self, v: f32) -> f32 {
        ((f64::from(v) - self.value_norm.0) / self.value_norm.1) as f32
    }

    /// The training loss of one batch (on the autodiff device).
    fn loss(&self, body: &Body, b: &Batch, config: &Config, noise: &mut Noise) -> Tensor<1> {
        let (m, f, d) = (b.m, self.features_per_row(), &self.device);
        let x = tensor(b.x.clone(), m, f, d);
        let t = tensor(b.t.clone(), m, 1, d);
        let w = tensor(b.w.clone(), m, 1, d);
        let normals = |noise: &mut Noise, n: usize| -> Vec<f32> { (0..n).map(|_| noise.normal() as f32).collect() };
        match self.kind {
            Kind::Hybrid | Kind::Inpainting => ((activation::sigmoid(body.net(0, x)) - t).powi_scalar(2) * w).mean(),
            Kind::Autoencoder | Kind::AutoencoderUnbounded => {
                let eps = tensor(normals(noise, m * f), m, f, d).mul_scalar(config.input_noise);
                let out = body.net(1, body.net(0, x + eps));
                if self.kind == Kind::Autoencoder {
                    ((activation::sigmoid(out) - t).powi_scalar(2) * w).mean()
                } else {
                    (out - tensor(b.z.clone(), m, 1, d)).powi_scalar(2).mean()
                }
            }
            Kind::Vae => {
                let y = tensor(b.t.iter().map(|&u| logit(f64::from(u)) as f32).collect(), m, 1, d);
                let enc = body.net(0, Tensor::cat(vec![x.clone(), y.clone()], 1));
                let mu = enc.clone().narrow(1, 0, VAE_LATENT);
                let logvar = enc.narrow(1, VAE_LATENT, VAE_LATENT).clamp(-10.0, 10.0);
                let eps = tensor(normals(noise, m * VAE_LATENT), m, VAE_LATENT, d);
                let z = mu.clone() + logvar.clone().mul_scalar(0.5).exp() * eps;
                let dec = body.net(1, Tensor::cat(vec![x, z], 1));
                let my = dec.clone().narrow(1, 0, 1);
                let ls = dec.narrow(1, 1, 1).clamp(-7.0, 5.0);
                let nll = ((y - my) * ls.clone().neg().exp()).powi_scalar(2).mul_scalar(0.5) + ls;
                let kl =
                    (mu.powi_scalar(2) + logvar.clone().exp() - logvar).add_scalar(-1.0).sum_dim(1).mul_scalar(0.5);
                ((nll + kl) * w).mean()
            }
            Kind::Flow => (spline::log_density(body.net(0, x), t).neg() * w).mean(),
            Kind::FlowMatching => {
                let (x0, tau): (Vec<f32>, Vec<f32>) =
                    (0..m).map(|_| (noise.uniform() as f32, noise.uniform() as f32)).unzip();
                let x0 = tensor(x0, m, 1, d);
                let tau = tensor(tau, m, 1, d);
                let xt = x0.clone() * tau.clone().neg().add_scalar(1.0) + t.clone() * tau.clone();
                let v = body.net(0, Tensor::cat(vec![x, xt, tau], 1));
                ((v - (t - x0)).powi_scalar(2) * w).mean()
            }
        }
    }

    /// Run network `i` of `body` on feature rows (`cols` per row) without autodiff, in chunks.
    fn run(&self, body: &Body, i: usize, x: &[f32], cols: usize) -> Result<Vec<f32>> {
        let device = self.device.clone().without_autodiff();
        let body = body.valid();
        let mut out = Vec::new();
        for part in x.chunks(CHUNK * cols) {
            let n = part.len() / cols;
            out.extend(to_vec(body.net(i, tensor(part.to_vec(), n, cols, &device)))?);
        }
        Ok(out)
    }

    /// Integrate the flow-matching ODE from starting points `x0` (one per replicated row:
    /// `x` holds each feature row `reps` times in a row).
    fn transport(&self, body: &Body, x: &[f32], mut y: Vec<f32>) -> Result<Vec<f32>> {
        let f = self.features_per_row();
        let dt = 1.0 / FM_STEPS as f32;
        let velocity = |y: &[f32], tau: f32| -> Result<Vec<f32>> {
            let mut input = Vec::with_capacity(y.len() * (f + 2));
            for (row, &yk) in x.chunks(f).zip(y) {
                input.extend_from_slice(row);
                input.push(yk);
                input.push(tau);
            }
            self.run(body, 0, &input, f + 2)
        };
        for step in 0..FM_STEPS {
            let tau = step as f32 * dt;
            let k1 = velocity(&y, tau)?;
            let mid: Vec<f32> = y.iter().zip(&k1).map(|(y, k)| y + 0.5 * dt * k).collect();
            let k2 = velocity(&mid, tau + 0.5 * dt)?;
            for (y, k) in y.iter_mut().zip(&k2) {
                *y += dt * k;
            }
        }
        Ok(y.into_iter().map(|v| v.clamp(0.0, 1.0)).collect())
    }

    /// Estimates (values, before clamping into the preimage) for the first `n` rows of `f`.
    fn estimate(&self, body: &Body, f: &Features, n: usize, want: Want) -> Result<Vec<f64>> {
        let cols = self.features_per_row();
        let x = &f.x[..n * cols];
        let noise = |k: usize| match want {
            Want::Sample(seed) => Noise(seed.state(f.rows[k])),
            _ => Noise(0),
        };
        let u: Vec<f64> = match self.kind {
            Kind::Hybrid | Kind::Inpainting => {
                self.run(body, 0, x, cols)?.into_iter().map(|v| sigmoid(f64::from(v))).collect()
            }
            Kind::Autoencoder | Kind::AutoencoderUnbounded => {
                let latent = self.run(body, 0, x, cols)?;
                let out = self.run(body, 1, &latent, AE_LATENT)?;
                if self.kind == Kind::AutoencoderUnbounded {
                    let (m, s) = self.value_norm;
                    return Ok(out.into_iter().map(|z| m + s * f64::from(z)).collect());
                }
                out.into_iter().map(|v| sigmoid(f64::from(v))).collect()
            }
            Kind::Flow => {
                let p = self.run(body, 0, x, cols)?;
                (0..n)
                    .map(|k| {
                        let s = Spline::new(&p[k * spline::PARAMS..(k + 1) * spline::PARAMS]);
                        match want {
                            Want::Mean => s.mean(),
                            Want::Median => s.quantile(0.5),
                            Want::Sample(_) => s.quantile(noise(k).uniform()),
                        }
                    })
                    .collect()
            }
            Kind::Vae => {
                // Decoder inputs: each row with its latent points (quadrature nodes, or one draw).
                let nodes: Vec<([f64; VAE_LATENT], f64)> = match want {
                    Want::Sample(_) => vec![([0.0; VAE_LATENT], 1.0)],
                    _ => {
                        let gh = spline::gauss_hermite(VAE_Z_NODES);
                        let pi = std::f64::consts::PI;
                        gh.iter()
                            .flat_map(|a| {
                                gh.iter().map(move |b| ([a.0 * 2f64.sqrt(), b.0 * 2f64.sqrt()], a.1 * b.1 / pi))
                            })
                            .collect()
                    }
                };
                let mut draws: Vec<Noise> = (0..n).map(noise).collect();
                let mut input = Vec::with_capacity(n * nodes.len() * (cols + VAE_LATENT));
                for (k, row) in x.chunks(cols).enumerate() {
                    for (z, _) in &nodes {
                        input.extend_from_slice(row);
                        for z in z {
                            let z = if matches!(want, Want::Sample(_)) { draws[k].normal() } else { *z };
                            input.push(z as f32);
                        }
                    }
                }
                let dec = self.run(body, 1, &input, cols + VAE_LATENT)?;
                let gh = spline::gauss_hermite(VAE_Y_NODES);
                let sqrt_pi = std::f64::consts::PI.sqrt();
                (0..n)
                    .map(|k| {
                        let mut acc = 0.0;
                        for (j, (_, wz)) in nodes.iter().enumerate() {
                            let o = 2 * (k * nodes.len() + j);
                            let (my, s) = (f64::from(dec[o]), f64::from(dec[o + 1]).clamp(-7.0, 5.0).exp());
                            acc += wz
                                * match want {
                                    Want::Sample(_) => sigmoid(my + s * draws[k].normal()),
                                    _ => {
                                        gh.iter().map(|(h, w)| w * sigmoid(my + 2f64.sqrt() * s * h)).sum::<f64>()
                                            / sqrt_pi
                                    }
                                };
                        }
                        acc
                    })
                    .collect()
            }
            Kind::FlowMatching => {
                let starts: Vec<f64> = match want {
                    Want::Mean => (0..FM_STRATA).map(|j| (j as f64 + 0.5) / FM_STRATA as f64).collect(),
                    _ => vec![0.5],
                };
                let mut rep = Vec::with_capacity(n * starts.len() * cols);
                let mut y0 = Vec::with_capacity(n * starts.len());
                for (k, row) in x.chunks(cols).enumerate() {
                    for &s in &starts {
                        rep.extend_from_slice(row);
                        y0.push(if let Want::Sample(_) = want { noise(k).uniform() } else { s } as f32);
                    }
                }
                let y = self.transport(body, &rep, y0)?;
                y.chunks(starts.len()).map(|c| c.iter().map(|&v| f64::from(v)).sum::<f64>() / c.len() as f64).collect()
            }
        };
        Ok(u.iter()
            .enumerate()
            .map(|(k, u)| {
                let (l, h) = (f64::from(f.lo[k]), f64::from(f.hi[k]));
                l + u.clamp(0.0, 1.0) * (h - l)
            })
            .collect())
    }

    /// Features of the uncertain rows of compressed `rows`.
    fn features(&self, rows: &Rows<'_>, (lo, hi): &(Vec<f32>, Vec<f32>)) -> Result<Features> {
        let c = rows.values;
        let inputs = self.features_per_row();
        let mut f = Features { x: Vec::with_capacity(c.len() * inputs), rows: vec![], lo: vec![], hi: vec![] };
        // The standardised context of one row, for the link and as features.
        let mut z = vec![0f64; self.ctx_norm.len()];
        for i in 0..c.len() {
            if certain(c[i], lo[i], hi[i]) {
                continue;
            }
            let (l, h) = (f64::from(lo[i]), f64::from(hi[i]));
            let w = h - l;
            for ((z, ctx), (m, sd)) in z.iter_mut().zip(rows.context).zip(&self.ctx_norm) {
                *z = (f64::from(ctx[i]) - m) / sd;
            }
            let mu = self.link[0] + self.link[1..].iter().zip(&z).map(|(b, z)| b * z).sum::<f64>();
            f.x.push(((mu - l) / w).clamp(-8.0, 8.0) as f32);
            f.x.push(((w.ln() - self.width_norm.0) / self.width_norm.1).clamp(-8.0, 8.0) as f32);
            f.x.push(self.standardise(c[i]).clamp(-8.0, 8.0));
            f.x.extend(z.iter().map(|z| z.clamp(-8.0, 8.0) as f32));
            f.rows.push(i);
            f.lo.push(lo[i]);
            f.hi.push(hi[i]);
        }
        Ok(f)
    }

    /// Upsample compressed `rows` (compressed with the fitted scheme, context aligned) into
    /// `out`: each value at the model's estimate inside its preimage (a bounded kind never leaves
    /// it); certain values unchanged. `Estimate::Sample` needs a generative kind
    /// ([`Kind::generative`]) and draws value `i` from the stream `seed` at row
    /// `seed.first_row + i`, so any batching gives the same draws.
    ///
    /// ```
    /// use models::{Estimate, Kind, neural::{Config, Net, Rows}};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let x: Vec<f32> = (0..3000).map(|i| 100.0 + (i as f32 * 0.618).fract() * 50.0).collect();
    /// let cfg = Config { epochs: 2, ..Config::default() };
    /// let rows = |v: &'static [f32]| Rows { values: v, context: &[] };
    /// let x: &'static [f32] = Vec::leak(x);
    /// let (net, _) = Net::fit(Kind::FlowMatching, &s, rows(&x[..2000]), rows(&x[2000..]), cfg)?;
    /// let mut c = x[2000..].to_vec();
    /// s.compress_in_place(&mut c)?;
    /// let seed = models::Seed { stream: 1, first_row: 2000 };
    /// let (mut all, mut half) = (vec![0f32; 1000], vec![0f32; 500]);
    /// net.upsample(Rows { values: &c, context: &[] }, Estimate::Sample, seed, &mut all)?;
    /// net.upsample(Rows { values: &c[500..], context: &[] }, Estimate::Sample, models::Seed { first_row: 2500, ..seed }, &mut half)?;
    /// assert_eq!(all[500..], half[..]); // draws depend on the row, not the call
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn upsample(&self, rows: Rows<'_>, how: Estimate, seed: Seed, out: &mut [f32]) -> Result<()> {
        rows.check("context vs compressed")?;
        if rows.context.len() != self.ctx_norm.len() {
            return Err(Error::LengthMismatch {
                what: "context columns: given vs fitted with",
                left: rows.context.len(),
                right: self.ctx_norm.len(),
            });
        }
        if out.len() != rows.values.len() {
            return Err(Error::LengthMismatch { what: "compressed vs out", left: rows.values.len(), right: out.len() });
        }
        let want = match how {
            Estimate::Mean => Want::Mean,
            Estimate::Median => Want::Median,
            Estimate::Sample if self.kind.generative() => Want::Sample(seed),
            Estimate::Sample => {
                return Err(Error::NotGenerative { kind: self.kind });
            }
        };
        out.copy_from_slice(rows.values);
        let f = self.features(&rows, &bounds(&self.scheme, rows.values)?)?;
        let est = self.estimate(&self.body, &f, f.len(), want)?;
        for (k, &i) in f.rows.iter().enumerate() {
            out[i] = if self.kind.bounded() { clamp_into(est[k] as f32, f.lo[k], f.hi[k]) } else { est[k] as f32 };
        }
        Ok(())
    }

    /// The same model on another device (e.g. a GPU for inference).
    pub fn to_device(self, device: &Device) -> Net {
        Net { body: self.body.valid().to_device(device), device: device.clone(), ..self }
    }

    /// The model as stored in a model file.
    ///
    /// ```
    /// use models::{Kind, neural::{Config, Net, Rows}};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let x: Vec<f32> = (0..600).map(|i| 100.0 + i as f32 * 0.37).collect();
    /// let cfg = Config { epochs: 2, ..Config::default() };
    /// let (h, _) = Net::fit(Kind::Vae, &s, Rows { values: &x[..400], context: &[&x[..400]] }, Rows { values: &x[400..], context: &[&x[400..]] }, cfg)?;
    /// let back = Net::from_file(&h.to_file()?)?;
    /// let mut c = x[400..].to_vec();
    /// s.compress_in_place(&mut c)?;
    /// let (mut a, mut b) = (vec![0f32; 200], vec![0f32; 200]);
    /// h.upsample(Rows { values: &c, context: &[&x[400..]] }, models::Estimate::Mean, Default::default(), &mut a)?;
    /// back.upsample(Rows { values: &c, context: &[&x[400..]] }, models::Estimate::Mean, Default::default(), &mut b)?;
    /// assert_eq!(a, b);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn to_file(&self) -> Result<NetFile> {
        let (weights, sha256) = stored_weights(&self.body)?;
        Ok(NetFile {
            kind: self.kind,
            scheme: crate::SchemeSpec::try_from(&self.scheme)?,
            link: self.link.clone(),
            ctx_norm: self.ctx_norm.clone(),
            width_norm: self.width_norm,
            value_norm: self.value_norm,
            hidden: self.hidden,
            weights,
            sha256: Some(sha256),
        })
    }

    /// A model back from its file form; a record that does not fit the described network, or
    /// sizes beyond [`MAX_HIDDEN`] / [`MAX_CONTEXT`], numbers that are not finite, and weights
    /// that do not match their checksum are errors.
    ///
    /// ```
    /// let bad = models::NetFile {
    ///     kind: models::Kind::Flow,
    ///     scheme: models::SchemeSpec::Atlas { k: 7 },
    ///     link: vec![0.0],
    ///     ctx_norm: vec![],
    ///     width_norm: (0.0, 1.0),
    ///     value_norm: (0.0, 1.0),
    ///     hidden: usize::MAX, // a damaged or hostile file
    ///     weights: String::new(),
    ///     sha256: None,
    /// };
    /// assert!(models::neural::Net::from_file(&bad).is_err());
    /// ```
    pub fn from_file(file: &NetFile) -> Result<Net> {
        // Sizes come from a file: bound them (and check the weights' checksum, where the file
        // has one) before allocating the network.
        let bytes = crate::validate::net_file("model", file, None, false)?;
        Self::from_record(file, bytes)
    }

    /// [`Net::from_file`] with the weights already checked and decoded (`bytes`).
    pub(crate) fn from_record(file: &NetFile, bytes: Vec<u8>) -> Result<Net> {
        let device = Device::flex();
        let body = load_record(Body::new(file.kind, FIXED_FEATURES + file.ctx_norm.len(), file.hidden, &device), bytes)
            .map_err(|e| Error::InvalidModel {
                path: None,
                column: None,
                field: "model.weights".into(),
                detail: format!(
                    "the network's record does not fit a {} network of {} hidden units: {e}",
                    file.kind, file.hidden
                ),
            })?;
        Ok(Net {
            kind: file.kind,
            scheme: Scheme::try_from(&file.scheme)?,
            link: file.link.clone(),
            ctx_norm: file.ctx_norm.clone(),
            width_norm: file.width_norm,
            value_norm: file.value_norm,
            hidden: file.hidden,
            body,
            device,
        })
    }
}

/// A network's weights as a model file stores them: its record (burnpack bytes) in hex, and
/// the SHA-256 of those bytes.
fn stored_weights<M: Module>(body: &M) -> Result<(String, String)> {
    let bytes = body
        .valid()
        .into_record()
        .into_bytes()
        .map_err(|e| Error::Network { operation: "serialising weights", source: Box::new(e) })?;
    Ok((crate::validate::hex(&bytes), crate::validate::sha256(&bytes)))
}

/// `module` with the weights of a record (burnpack `bytes`), or why they do not fit it.
fn load_record<M: Module>(module: M, bytes: Vec<u8>) -> std::result::Result<M, String> {
    // burn 0.22's `try_load_record` panics on a float parameter stored with another element
    // type (found by fuzzing: an I32 tensor under the right shape): read the record's tensor
    // table first and require f32 throughout.
    let table = burn_pack::Reader::from_bytes(burn_pack::Bytes::from_bytes_vec(bytes.clone()))
        .and_then(burn_pack::Reader::into_tensors)
        .map_err(|e| e.to_string())?;
    if let Some(t) = table.iter().find(|t| t.dtype != burn_pack::DType::F32) {
        return Err(format!("tensor {:?} holds {:?} values, not f32", t.name, t.dtype));
    }
    let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes)).map_err(|e| e.to_string())?;
    module.try_load_record(record).map_err(|e| e.to_string())
}
