//! One network per container ([`ContainerNet`]).

use burn::module::{Module, Param};
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Distribution, Tensor, activation};
use float_bits::Scheme;

use super::{CHUNK, Config, Device, FitReport, INPAINT_LAYERS, MAX_HIDDEN, MAX_STOP_ROWS, Mlp, Noise, bounds};
use super::{load_record, sigmoid, tensor, to_vec};
use crate::link::{least_squares, mean_sd};
use crate::posterior::clamp_into;
use crate::prior::{certain, splitmix64};
use crate::{ContainerFile, Epoch, Error, Estimate, FieldNorm, Kind, MAX_CONTEXT, Result, SchemeSpec};

/// Features of each compressed field in a row: the link's position in the interval, `ln width`
/// and the compressed value (both standardised), and 1 where the value is uncertain (0 where it
/// is exact or not finite, with the other three 0).
const FIELD_FEATURES: usize = 4;

/// The most compressed fields one container network reconstructs.
pub use crate::validate::MAX_FIELDS;

/// A container's aligned columns (one row per object): `fields[j][i]` and `context[k][i]` belong
/// to the same object.
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a> {
    /// The compressed fields (originals when fitting, compressed values when upsampling).
    pub fields: &'a [&'a [f32]],
    /// Context columns kept at full precision.
    pub context: &'a [&'a [f32]],
}

impl Fields<'_> {
    /// Rows (objects).
    fn rows(&self) -> usize {
        self.fields.first().map_or(0, |f| f.len())
    }

    fn check(&self, what: &'static str) -> Result<()> {
        let n = self.rows();
        for c in self.fields.iter().chain(self.context) {
            if c.len() != n {
                return Err(Error::LengthMismatch { what, left: n, right: c.len() });
            }
        }
        Ok(())
    }
}

/// The inpainter over a whole object: one token per field, an output per compressed field.
#[derive(Module, Debug)]
struct ObjectInpainter {
    /// Embeds a compressed field's token (its four features).
    field: Linear,
    /// Embeds a context field's token (its standardised value).
    context: Linear,
    /// One learned embedding per token (field), `[fields + context, d]`.
    position: Param<Tensor<2>>,
    encoder: TransformerEncoder,
    /// Each compressed field's output token to its position (a logit).
    head: Linear,
}

impl ObjectInpainter {
    fn new(fields: usize, context: usize, d: usize, device: &Device) -> Self {
        let heads = [4, 2, 1].into_iter().find(|h| d.is_multiple_of(*h)).unwrap_or(1);
        ObjectInpainter {
            field: LinearConfig::new(FIELD_FEATURES, d).init(device),
            context: LinearConfig::new(1, d).init(device),
            position: Param::from_tensor(Tensor::random([fields + context, d], Distribution::Normal(0.0, 0.1), device)),
            encoder: TransformerEncoderConfig::new(d, 2 * d, heads, INPAINT_LAYERS)
                .with_dropout(0.0)
                .with_norm_first(true)
                .init(device),
            head: LinearConfig::new(d, 1).init(device),
        }
    }

    /// Feature rows `[m, 4·fields + context]` to logits `[m, fields]`.
    fn forward(&self, x: Tensor<2>, fields: usize) -> Tensor<2> {
        let [m, f] = x.dims();
        let own = fields * FIELD_FEATURES;
        let context = f - own;
        let d = self.position.val().dims()[1];
        let mut tokens = self.field.forward(x.clone().narrow(1, 0, own).reshape([m, fields, FIELD_FEATURES]));
        if context > 0 {
            let kept = self.context.forward(x.narrow(1, own, context).unsqueeze_dim::<3>(2));
            tokens = Tensor::cat(vec![tokens, kept], 1);
        }
        let tokens = tokens + self.position.val().unsqueeze_dim::<3>(0).expand([m, fields + context, d]);
        let out = self.encoder.forward(TransformerEncoderInput::new(tokens));
        self.head.forward(out.narrow(1, 0, fields)).reshape([m, fields])
    }
}

/// The network of a container model: an MLP or the object inpainter (one of the two non-empty).
#[derive(Module, Debug)]
struct ObjectBody {
    mlp: Vec<Mlp>,
    inpainter: Vec<ObjectInpainter>,
}

impl ObjectBody {
    fn new(kind: Kind, fields: usize, context: usize, h: usize, device: &Device) -> Self {
        match kind {
            Kind::Inpainting => {
                ObjectBody { mlp: vec![], inpainter: vec![ObjectInpainter::new(fields, context, h, device)] }
            }
            _ => ObjectBody {
                mlp: vec![Mlp::new(&[FIELD_FEATURES * fields + context, h, h, fields], device)],
                inpainter: vec![],
            },
        }
    }

    fn forward(&self, x: Tensor<2>, fields: usize) -> Tensor<2> {
        match self.inpainter.first() {
            Some(p) => p.forward(x, fields),
            None => self.mlp[0].forward(x),
        }
    }
}

/// How one field's inputs are made: its scheme, its link (intercept, one coefficient per kept
/// context column, then one per other field's compressed value, in field order) and the
/// standardisations of its `ln width` and compressed values.
#[derive(Clone, Debug)]
struct Field {
    scheme: Scheme,
    link: Vec<f64>,
    width_norm: (f64, f64),
    value_norm: (f64, f64),
}

/// A fitted container network: a multi-output model that reconstructs every compressed field of
/// an object at once (one model per container).
///
/// A per-column model sees only its own column's training values; with 50 events a container's
/// many columns each have a few hundred. A container network shares its weights across the
/// fields: one row per object, every compressed field's features as inputs (where the field's own
/// least-squares link puts it in its interval, the interval's size, the kept bits, and whether
/// the value is uncertain at all), the kept context, and one output per field, the position of
/// the original inside the field's interval. Each field's link reads the kept context and the
/// other fields' compressed values, so a field whose value another field fixes to a fraction of
/// an interval (a multiple of it, a sum) gets that fraction as a feature, which a network could
/// not resolve from the raw values. So a field learns from what the other fields show, and every
/// output stays inside its preimage by construction.
///
/// Two kinds take this form:
/// - [`Kind::Hybrid`]: an MLP (two hidden layers) from all features to one sigmoid per field;
/// - [`Kind::Inpainting`]: the masked-bit inpainter over the whole object — one token per
///   compressed field (its four features) and per context field (its value), a learned embedding
///   of each field, two pre-norm transformer layers, and each compressed field's output token to
///   its position: every field's dropped bits predicted at once from all the others.
///
/// Both are trained as the hybrid is: the squared error in each field's own units (each value's
/// error weighed by its width² over its field's mean width, so every field counts alike).
#[derive(Debug)]
pub struct ContainerNet {
    kind: Kind,
    fields: Vec<Field>,
    ctx_norm: Vec<(f64, f64)>,
    hidden: usize,
    body: ObjectBody,
    device: Device,
}

/// The feature rows of the objects with at least one uncertain field.
struct Objects {
    x: Vec<f32>,
    /// The object (row) of each feature row.
    rows: Vec<usize>,
    /// Per feature row and field: the preimage bounds, and whether the value is uncertain.
    lo: Vec<f32>,
    hi: Vec<f32>,
    uncertain: Vec<bool>,
}

impl Objects {
    fn len(&self) -> usize {
        self.rows.len()
    }
}

/// Which kinds can be container networks.
fn check_kind(kind: Kind) -> Result<()> {
    match kind {
        Kind::Hybrid | Kind::Inpainting => Ok(()),
        k => Err(Error::InvalidSetting {
            setting: "container network kind",
            detail: format!("{k}: a container network is a hybrid or an inpainter"),
        }),
    }
}

impl ContainerNet {
    /// Fit a container network of `kind` ([`Kind::Hybrid`] or [`Kind::Inpainting`]) on training
    /// originals, one scheme per field, on `device`, stopping early on `valid`; both splits are
    /// compressed internally with the fields' schemes, as the producer would. `progress` is told
    /// of every finished epoch.
    ///
    /// ```
    /// use models::{Estimate, Kind, neural::{Config, ContainerNet, Device, Fields}};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// // Two fields that follow the kept pt closely.
    /// let pt: Vec<f32> = (0..3000).map(|i| 20_000.0 + 97.0 * i as f32).collect();
    /// let a: Vec<f32> = pt.iter().enumerate().map(|(i, p)| 0.02 * p + 3.0 * ((i as f32 * 0.618).fract() - 0.5)).collect();
    /// let b: Vec<f32> = pt.iter().map(|p| 0.5 * p).collect();
    /// let (fit, stop) = (2000, 3000);
    /// let split = |v: &'static [f32]| (&v[..fit], &v[fit..stop]);
    /// let (a, b, pt): (&'static [f32], &'static [f32], &'static [f32]) = (a.leak(), b.leak(), pt.leak());
    /// let (net, report) = ContainerNet::fit_with(
    ///     &Device::flex(), Kind::Hybrid, &[s, s],
    ///     Fields { fields: &[split(a).0, split(b).0], context: &[split(pt).0] },
    ///     Fields { fields: &[split(a).1, split(b).1], context: &[split(pt).1] },
    ///     Config { epochs: 3, ..Config::default() }, &|_| {},
    /// )?;
    /// assert!(report.epochs >= 1);
    /// let (mut ca, mut cb) = (a[fit..].to_vec(), b[fit..].to_vec());
    /// s.compress_in_place(&mut ca)?;
    /// s.compress_in_place(&mut cb)?;
    /// let (mut oa, mut ob) = (vec![0f32; ca.len()], vec![0f32; cb.len()]);
    /// net.upsample(Fields { fields: &[&ca, &cb], context: &[&pt[fit..]] }, Estimate::Mean, &mut [&mut oa, &mut ob])?;
    /// for (c, y) in ca.iter().zip(&oa).chain(cb.iter().zip(&ob)) {
    ///     assert!(quant_bounds::preimage(&s, *c)?.contains(*y)); // bounded by construction
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit_with(
        device: &Device,
        kind: Kind,
        schemes: &[Scheme],
        train: Fields<'_>,
        valid: Fields<'_>,
        config: Config,
        progress: &dyn Fn(&Epoch),
    ) -> Result<(ContainerNet, FitReport)> {
        check_kind(kind)?;
        train.check("container training columns")?;
        valid.check("container validation columns")?;
        let invalid = |setting, detail: String| Err(Error::InvalidSetting { setting, detail });
        let j = schemes.len();
        if j == 0 || j > MAX_FIELDS {
            return invalid("container fields", format!("{j}: expected 1 to {MAX_FIELDS}"));
        }
        for (what, n) in
            [("schemes vs training fields", train.fields.len()), ("schemes vs validation fields", valid.fields.len())]
        {
            if n != j {
                return Err(Error::LengthMismatch { what, left: j, right: n });
            }
        }
        if train.context.len() != valid.context.len() {
            return Err(Error::LengthMismatch {
                what: "training vs validation context columns",
                left: train.context.len(),
                right: valid.context.len(),
            });
        }
        if train.context.len() > MAX_CONTEXT {
            return invalid("context columns", format!("{}: at most {MAX_CONTEXT}", train.context.len()));
        }
        if config.batch == 0 {
            return invalid("neural::Config::batch", "0: a batch needs at least one row".into());
        }
        if config.hidden == 0 || config.hidden > MAX_HIDDEN {
            return invalid("neural::Config::hidden", format!("{}: expected 1 to {MAX_HIDDEN}", config.hidden));
        }
        if config.learning_rate.is_nan() || config.learning_rate <= 0.0 {
            return invalid("neural::Config::learning_rate", format!("{}: expected > 0", config.learning_rate));
        }
        let compress = |split: &Fields<'_>| -> Result<Vec<Vec<f32>>> {
            split
                .fields
                .iter()
                .zip(schemes)
                .map(|(v, s)| {
                    let mut c = v.to_vec();
                    s.compress_in_place(&mut c)?;
                    Ok(c)
                })
                .collect()
        };
        let (ct, cv) = (compress(&train)?, compress(&valid)?);
        let bounds_of = |c: &[Vec<f32>]| -> Result<Vec<(Vec<f32>, Vec<f32>)>> {
            c.iter().zip(schemes).map(|(c, s)| bounds(s, c)).collect()
        };
        let (bt, bv) = (bounds_of(&ct)?, bounds_of(&cv)?);
        let ctx_norm: Vec<(f64, f64)> =
            train.context.iter().map(|c| mean_sd(c.iter().map(|&v| f64::from(v)))).collect();
        let mut fields: Vec<Field> = schemes
            .iter()
            .zip(ct.iter().zip(&bt))
            .map(|(scheme, (c, (lo, hi)))| {
                let widths = lo.iter().zip(hi).map(|(l, h)| h - l).filter(|w| *w > 0.0 && w.is_finite());
                Field {
                    scheme: *scheme,
                    link: vec![],
                    width_norm: mean_sd(widths.map(|w| f64::from(w).ln())),
                    value_norm: mean_sd(c.iter().map(|&v| f64::from(v))),
                }
            })
            .collect();
        for f in 0..j {
            let others = (0..j).filter(|&g| g != f);
            let x: Vec<&[f32]> =
                train.context.iter().copied().chain(others.clone().map(|g| ct[g].as_slice())).collect();
            let norms: Vec<(f64, f64)> = ctx_norm.iter().copied().chain(others.map(|g| fields[g].value_norm)).collect();
            fields[f].link = least_squares(train.fields[f], &x, &norms);
        }
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let context = train.context.len();
        let mut model = ContainerNet {
            kind,
            fields,
            ctx_norm,
            hidden: config.hidden,
            body: ObjectBody::new(kind, j, context, config.hidden, &device),
            device: device.clone(),
        };
        let ot = model.objects(&ct, train.context, &bt);
        let ov = model.objects(&cv, valid.context, &bv);
        // Each field's mean width, so that every field's errors count alike.
        let scales = |o: &Objects| -> Vec<f64> {
            (0..j)
                .map(|f| {
                    let (mut s, mut n) = (0.0, 0usize);
                    for k in 0..o.len() {
                        let e = k * j + f;
                        if o.uncertain[e] {
                            s += f64::from(o.hi[e]) - f64::from(o.lo[e]);
                            n += 1;
                        }
                    }
                    (s / n.max(1) as f64).max(f64::MIN_POSITIVE)
                })
                .collect()
        };
        let (st, sv) = (scales(&ot), scales(&ov));
        let (mut tt, mut wt) = (vec![0f32; ot.len() * j], vec![0f32; ot.len() * j]);
        for (k, &row) in ot.rows.iter().enumerate() {
            for (f, (original, scale)) in train.fields.iter().zip(&st).enumerate() {
                let e = k * j + f;
                let original = f64::from(original[row]);
                if ot.uncertain[e] && original.is_finite() {
                    let (l, w) = (f64::from(ot.lo[e]), f64::from(ot.hi[e]) - f64::from(ot.lo[e]));
                    tt[e] = ((original - l) / w).clamp(0.0, 1.0) as f32;
                    wt[e] = (w / scale).powi(2) as f32;
                }
            }
        }
        let stop = ov.len().min(MAX_STOP_ROWS);
        let inputs = model.features_per_row();
        let mut optim = AdamConfig::new().init();
        let mut report = FitReport { epochs: 0, best_epoch: 0, train_loss: vec![], validation_loss: vec![] };
        let mut best = (f64::INFINITY, model.body.clone());
        let mut order: Vec<usize> = (0..ot.len()).collect();
        let batch = config.batch.min(ot.len() / 32).max(32);
        let mut noise = Noise(splitmix64(config.seed ^ 0x636f_6e74_6169_6e65));
        for epoch in 0..config.epochs {
            for i in (1..order.len()).rev() {
                order.swap(i, (noise.uniform() * (i + 1) as f64) as usize);
            }
            let mut train_loss = Tensor::<1>::zeros([1], &device);
            for chunk in order.chunks(batch) {
                let gather = |v: &[f32], width: usize| -> Vec<f32> {
                    chunk.iter().flat_map(|&i| v[i * width..(i + 1) * width].iter().copied()).collect()
                };
                let m = chunk.len();
                let x = tensor(gather(&ot.x, inputs), m, inputs, &device);
                let t = tensor(gather(&tt, j), m, j, &device);
                let w = tensor(gather(&wt, j), m, j, &device);
                let loss = ((activation::sigmoid(model.body.forward(x, j)) - t).powi_scalar(2) * w).mean();
                train_loss = train_loss + loss.clone().detach().mul_scalar(m as f64);
                let grads = GradientsParams::from_grads(loss.backward(), &model.body);
                model.body = optim.step(config.learning_rate, model.body, grads);
            }
            let est = model.estimate(&ov, stop)?;
            let loss = (0..j)
                .map(|f| {
                    let (mut s, mut n) = (0.0, 0usize);
                    for k in 0..stop {
                        let e = k * j + f;
                        if ov.uncertain[e] {
                            let d = ((est[e] - f64::from(valid.fields[f][ov.rows[k]])) / sv[f]).powi(2);
                            s += if d.is_finite() { d } else { 1e300 };
                            n += 1;
                        }
                    }
                    s / n.max(1) as f64
                })
                .sum::<f64>()
                / j as f64;
            let train_loss = f64::from(train_loss.into_scalar::<f32>()) / ot.len().max(1) as f64;
            report.train_loss.push(train_loss);
            report.validation_loss.push(loss);
            report.epochs = epoch + 1;
            let improved = loss < best.0;
            if improved {
                best = (loss, model.body.clone());
                report.best_epoch = epoch;
            }
            progress(&Epoch {
                kind,
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
        model.body = best.1;
        Ok((model, report))
    }

    /// The network's kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// How many fields it reconstructs.
    pub fn fields(&self) -> usize {
        self.fields.len()
    }

    /// How many context columns it reads.
    pub fn context(&self) -> usize {
        self.ctx_norm.len()
    }

    fn features_per_row(&self) -> usize {
        FIELD_FEATURES * self.fields.len() + self.ctx_norm.len()
    }

    /// Feature rows of the objects with an uncertain field.
    fn objects(&self, c: &[Vec<f32>], context: &[&[f32]], b: &[(Vec<f32>, Vec<f32>)]) -> Objects {
        let j = self.fields.len();
        let n = c.first().map_or(0, Vec::len);
        let mut o = Objects { x: vec![], rows: vec![], lo: vec![], hi: vec![], uncertain: vec![] };
        // Standardised (unclamped, 0 where not finite): kept context, then every field's value.
        let std = |v: f32, (m, s): (f64, f64)| {
            let z = (f64::from(v) - m) / s;
            if z.is_finite() { z } else { 0.0 }
        };
        let k = self.ctx_norm.len();
        let mut z = vec![0f64; k + j];
        for i in 0..n {
            let open = |f: usize| !certain(c[f][i], b[f].0[i], b[f].1[i]);
            if !(0..j).any(open) {
                continue;
            }
            for (z, (ctx, norm)) in z.iter_mut().zip(context.iter().zip(&self.ctx_norm)) {
                *z = std(ctx[i], *norm);
            }
            for (z, (c, field)) in z[k..].iter_mut().zip(c.iter().zip(&self.fields)) {
                *z = std(c[i], field.value_norm);
            }
            for (f, field) in self.fields.iter().enumerate() {
                let (l, h) = (f64::from(b[f].0[i]), f64::from(b[f].1[i]));
                let value = z[k + f].clamp(-8.0, 8.0) as f32;
                if open(f) {
                    let w = h - l;
                    let others = z[..k].iter().chain(z[k..].iter().enumerate().filter(|(g, _)| *g != f).map(|p| p.1));
                    let mu = field.link[0] + field.link[1..].iter().zip(others).map(|(b, z)| b * z).sum::<f64>();
                    let lnw = ((w.ln() - field.width_norm.0) / field.width_norm.1).clamp(-8.0, 8.0) as f32;
                    o.x.extend([((mu - l) / w).clamp(-8.0, 8.0) as f32, lnw, value, 1.0]);
                } else {
                    o.x.extend([0.0, 0.0, value, 0.0]);
                }
                o.lo.push(b[f].0[i]);
                o.hi.push(b[f].1[i]);
                o.uncertain.push(open(f));
            }
            o.x.extend(z[..k].iter().map(|&z| z.clamp(-8.0, 8.0) as f32));
            o.rows.push(i);
        }
        o
    }

    /// Estimates (inside each interval, unrounded) of the first `n` objects of `o`, field by
    /// field per object.
    fn estimate(&self, o: &Objects, n: usize) -> Result<Vec<f64>> {
        let (cols, j) = (self.features_per_row(), self.fields.len());
        let device = self.device.clone().without_autodiff();
        let body = self.body.valid();
        let mut u = Vec::with_capacity(n * j);
        for part in o.x[..n * cols].chunks(CHUNK * cols) {
            let m = part.len() / cols;
            u.extend(to_vec(body.forward(tensor(part.to_vec(), m, cols, &device), j))?);
        }
        Ok(u.iter()
            .enumerate()
            .map(|(e, &v)| {
                let (l, h) = (f64::from(o.lo[e]), f64::from(o.hi[e]));
                l + sigmoid(f64::from(v)).clamp(0.0, 1.0) * (h - l)
            })
            .collect())
    }

    /// Upsample a container's compressed fields (each compressed with its field's scheme,
    /// context aligned) into `out`, one output per field: each uncertain value at the network's
    /// estimate inside its preimage, certain values unchanged. The network gives one estimate,
    /// used for the mean and the median; [`Estimate::Sample`] is an error (it draws nothing).
    pub fn upsample(&self, rows: Fields<'_>, how: Estimate, out: &mut [&mut [f32]]) -> Result<()> {
        rows.check("container columns")?;
        let j = self.fields.len();
        for (what, given) in
            [("container fields: given vs fitted", rows.fields.len()), ("outputs vs fields", out.len())]
        {
            if given != j {
                return Err(Error::LengthMismatch { what, left: given, right: j });
            }
        }
        if rows.context.len() != self.ctx_norm.len() {
            return Err(Error::LengthMismatch {
                what: "context columns: given vs fitted with",
                left: rows.context.len(),
                right: self.ctx_norm.len(),
            });
        }
        if how == Estimate::Sample {
            return Err(Error::NotGenerative { kind: self.kind });
        }
        let n = rows.rows();
        let mut b = Vec::with_capacity(j);
        for ((o, c), field) in out.iter_mut().zip(rows.fields).zip(&self.fields) {
            if o.len() != n {
                return Err(Error::LengthMismatch { what: "compressed vs out", left: n, right: o.len() });
            }
            o.copy_from_slice(c);
            b.push(bounds(&field.scheme, c)?);
        }
        let c: Vec<Vec<f32>> = rows.fields.iter().map(|c| c.to_vec()).collect();
        let o = self.objects(&c, rows.context, &b);
        let est = self.estimate(&o, o.len())?;
        for (k, &row) in o.rows.iter().enumerate() {
            for (f, out) in out.iter_mut().enumerate() {
                let e = k * j + f;
                if o.uncertain[e] {
                    out[row] = clamp_into(est[e] as f32, o.lo[e], o.hi[e]);
                }
            }
        }
        Ok(())
    }

    /// The network as stored in a model file.
    pub fn to_file(&self) -> Result<ContainerFile> {
        let bytes = self
            .body
            .valid()
            .into_record()
            .into_bytes()
            .map_err(|e| Error::Network { operation: "serialising weights", source: Box::new(e) })?;
        Ok(ContainerFile {
            kind: self.kind,
            fields: self
                .fields
                .iter()
                .map(|f| {
                    Ok(FieldNorm {
                        scheme: SchemeSpec::try_from(&f.scheme)?,
                        link: f.link.clone(),
                        width_norm: f.width_norm,
                        value_norm: f.value_norm,
                    })
                })
                .collect::<Result<_>>()?,
            ctx_norm: self.ctx_norm.clone(),
            hidden: self.hidden,
            weights: crate::validate::hex(&bytes),
            sha256: Some(crate::validate::sha256(&bytes)),
        })
    }

    /// A network back from its file form: sizes beyond [`MAX_FIELDS`], [`MAX_HIDDEN`] or
    /// [`MAX_CONTEXT`], numbers that are not finite, weights that do not match their checksum or
    /// do not fit the described network are errors.
    ///
    /// ```
    /// let bad = models::ContainerFile {
    ///     kind: models::Kind::Hybrid,
    ///     fields: vec![],  // a container network reconstructs at least one field
    ///     ctx_norm: vec![],
    ///     hidden: 8,
    ///     weights: String::new(),
    ///     sha256: None,
    /// };
    /// assert!(models::neural::ContainerNet::from_file(&bad).is_err());
    /// ```
    pub fn from_file(file: &ContainerFile) -> Result<ContainerNet> {
        let bytes = crate::validate::container_file("container", file, false)?;
        Self::from_record(file, bytes)
    }

    /// [`ContainerNet::from_file`] with the weights already checked and decoded.
    pub(crate) fn from_record(file: &ContainerFile, bytes: Vec<u8>) -> Result<ContainerNet> {
        check_kind(file.kind)?;
        let device = Device::flex();
        let (j, context) = (file.fields.len(), file.ctx_norm.len());
        let body = load_record(ObjectBody::new(file.kind, j, context, file.hidden, &device), bytes).map_err(|e| {
            Error::InvalidModel {
                path: None,
                column: None,
                field: "model.weights".into(),
                detail: format!(
                    "the record does not fit a {} container network of {j} fields and {} hidden units: {e}",
                    file.kind, file.hidden
                ),
            }
        })?;
        let fields = file
            .fields
            .iter()
            .map(|f| {
                Ok(Field {
                    scheme: Scheme::try_from(&f.scheme)?,
                    link: f.link.clone(),
                    width_norm: f.width_norm,
                    value_norm: f.value_norm,
                })
            })
            .collect::<Result<_>>()?;
        Ok(ContainerNet { kind: file.kind, fields, ctx_norm: file.ctx_norm.clone(), hidden: file.hidden, body, device })
    }
}
