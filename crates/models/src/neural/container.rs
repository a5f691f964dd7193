//! One network per container ([`ContainerNet`]).

use burn::module::{Module, Param};
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Distribution, Tensor, activation};
use float_bits::Scheme;

use super::{
    CHUNK, Config, Device, FitReport, INPAINT_LAYERS, MAX_HIDDEN, MAX_STOP_ROWS, Mlp, Noise, Training, bounds,
};
use super::{load_record, sigmoid, stored_weights, tensor, to_vec};
use crate::link::{least_squares, mean_sd};
use crate::posterior::clamp_into;
use crate::prior::certain;
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

/// The network of a container model: a shared network over every input (the MLP or the object
/// inpainter, one of the two non-empty) giving one logit per field, plus each field's own linear
/// path from its four features to its logit. The shared network learns what the fields have in
/// common; the own path lets each field follow its link with parameters of its own from the
/// start (it begins at a least-squares fit), which its share of the shared network's gradient —
/// one part in as many fields — would take many epochs to learn.
#[derive(Module, Debug)]
struct ObjectBody {
    mlp: Vec<Mlp>,
    inpainter: Vec<ObjectInpainter>,
    /// `[fields, 4]`: each field's weights on its own features.
    own: Param<Tensor<2>>,
}

impl ObjectBody {
    fn new(kind: Kind, fields: usize, context: usize, h: usize, device: &Device) -> Self {
        let own = Param::from_tensor(Tensor::zeros([fields, FIELD_FEATURES], device));
        match kind {
            Kind::Inpainting => {
                ObjectBody { mlp: vec![], inpainter: vec![ObjectInpainter::new(fields, context, h, device)], own }
            }
            _ => ObjectBody {
                mlp: vec![Mlp::new(&[FIELD_FEATURES * fields + context, h, h, fields], device)],
                inpainter: vec![],
                own,
            },
        }
    }

    fn forward(&self, x: Tensor<2>, fields: usize) -> Tensor<2> {
        let [m, _] = x.dims();
        let features = x.clone().narrow(1, 0, fields * FIELD_FEATURES).reshape([m, fields, FIELD_FEATURES]);
        let own = self.own.val().unsqueeze_dim::<3>(0).expand([m, fields, FIELD_FEATURES]);
        let direct = (features * own).sum_dim(2).reshape([m, fields]);
        match (self.inpainter.first(), self.mlp.first()) {
            (Some(p), _) => p.forward(x, fields) + direct,
            (None, Some(mlp)) => mlp.forward(x) + direct,
            (None, None) => direct,
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
/// other fields' compressed values (or the kept context alone, where that predicts the
/// validation originals better), so a field whose value another field fixes to a fraction of an
/// interval (a multiple of it, a sum) gets that fraction as a feature, which a network could not
/// resolve from the raw values. So a field learns from what the other fields show, and every
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
/// error weighed by its width² over its field's mean squared width, so every field counts alike
/// however heavy the tail of its magnitudes), and stop early on validation: per field the
/// squared error against the compressed values', capped at 1 (a field the network cannot help
/// weighs as one left compressed, as the gate would leave it), averaged over the fields.
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

/// The squared error of a link's predictions of `y` from inputs `x` standardised with `norms`
/// (a non-finite standardised input counts as 0, as in the features), over the finite `y`.
fn link_error(link: &[f64], y: &[f32], x: &[&[f32]], norms: &[(f64, f64)]) -> f64 {
    (0..y.len())
        .filter(|&i| y[i].is_finite())
        .map(|i| {
            let z = x.iter().zip(norms).map(|(x, (m, s))| (f64::from(x[i]) - m) / s);
            let mu =
                link[0] + link[1..].iter().zip(z).map(|(b, z)| if z.is_finite() { b * z } else { 0.0 }).sum::<f64>();
            (mu - f64::from(y[i])).powi(2)
        })
        .sum()
}

/// Weighted least squares `y ≈ Σ bᵢ xᵢ` over rows `(x, y, weight)` of four features (the
/// fourth, 1 on every weighted row, is the intercept), with a tiny ridge; zeros where the
/// system is singular (no weighted rows).
fn weighted_fit<'a>(rows: impl Iterator<Item = (&'a [f32], f64, f64)>) -> [f64; FIELD_FEATURES] {
    const P: usize = FIELD_FEATURES;
    let mut a = [[0.0f64; P + 1]; P];
    for (x, y, w) in rows {
        if w <= 0.0 || !y.is_finite() || !w.is_finite() {
            continue;
        }
        for r in 0..P {
            for c in 0..P {
                a[r][c] += w * f64::from(x[r]) * f64::from(x[c]);
            }
            a[r][P] += w * f64::from(x[r]) * y;
        }
    }
    let ridge = 1e-6 * (a[P - 1][P - 1] + 1e-300);
    for (r, row) in a.iter_mut().enumerate() {
        row[r] += ridge;
    }
    for col in 0..P {
        let pivot = (col..P).max_by(|&i, &k| a[i][col].abs().total_cmp(&a[k][col].abs())).unwrap_or(col);
        a.swap(col, pivot);
        if a[col][col].abs() < 1e-300 {
            return [0.0; P];
        }
        let pivot_row = a[col];
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, y) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * y;
                }
            }
        }
    }
    std::array::from_fn(|r| {
        let b = a[r][P] / a[r][r];
        if b.is_finite() { b } else { 0.0 }
    })
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
        // Each field's link: from the kept context and the other fields' compressed values, or
        // from the kept context alone (the others' coefficients 0), whichever predicts the
        // validation originals better — a link on many fields fitted on a few hundred objects
        // can lose a near-exact relation to a kept variable that the small one keeps.
        for f in 0..j {
            let others: Vec<usize> = (0..j).filter(|&g| g != f).collect();
            let x_train: Vec<&[f32]> =
                train.context.iter().copied().chain(others.iter().map(|&g| ct[g].as_slice())).collect();
            let x_valid: Vec<&[f32]> =
                valid.context.iter().copied().chain(others.iter().map(|&g| cv[g].as_slice())).collect();
            let norms: Vec<(f64, f64)> =
                ctx_norm.iter().copied().chain(others.iter().map(|&g| fields[g].value_norm)).collect();
            let full = least_squares(train.fields[f], &x_train, &norms);
            let mut kept = least_squares(train.fields[f], train.context, &ctx_norm);
            kept.resize(full.len(), 0.0);
            let error = |link: &[f64]| link_error(link, valid.fields[f], &x_valid, &norms);
            fields[f].link = if error(&full) < error(&kept) { full } else { kept };
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
        // Each field's root-mean-square width in training: its values' errors over it squared
        // weigh 1 on average, so that every field counts alike however heavy the tail of its
        // magnitudes (over a mean width, a few huge values would outweigh the rest of the field).
        let st: Vec<f64> = (0..j)
            .map(|f| {
                let (mut s, mut count) = (0.0, 0usize);
                for k in (0..ot.len()).filter(|k| ot.uncertain[k * j + f]) {
                    s += (f64::from(ot.hi[k * j + f]) - f64::from(ot.lo[k * j + f])).powi(2);
                    count += 1;
                }
                (s / count.max(1) as f64).sqrt().max(f64::MIN_POSITIVE)
            })
            .collect();
        let stop = ov.len().min(MAX_STOP_ROWS);
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
        let inputs = model.features_per_row();
        let placeholder =
            ObjectBody { mlp: vec![], inpainter: vec![], own: Param::from_tensor(Tensor::zeros([1, 1], &device)) };
        let mut body = std::mem::replace(&mut model.body, placeholder);
        // Each field's own path starts at a weighted least-squares fit of its positions on its
        // four features, in the logit's units about ½ (a slope of 4): a field tied to its link
        // starts near it, a field its features say little about near the middle.
        {
            let own: Vec<f32> = (0..j)
                .flat_map(|f| {
                    let rows = (0..ot.len()).map(|k| {
                        let e = k * j + f;
                        let x = &ot.x[k * inputs + f * FIELD_FEATURES..k * inputs + (f + 1) * FIELD_FEATURES];
                        (x, 4.0 * (f64::from(tt[e]) - 0.5), f64::from(wt[e]))
                    });
                    weighted_fit(rows).map(|b| b as f32)
                })
                .collect();
            body.own = Param::from_tensor(tensor(own, j, FIELD_FEATURES, &device));
        }
        let step = |body: &ObjectBody, chunk: &[usize], _: &mut Noise| {
            let gather = |v: &[f32], width: usize| -> Vec<f32> {
                chunk.iter().flat_map(|&i| v[i * width..(i + 1) * width].iter().copied()).collect()
            };
            let m = chunk.len();
            let x = tensor(gather(&ot.x, inputs), m, inputs, &device);
            let t = tensor(gather(&tt, j), m, j, &device);
            let w = tensor(gather(&wt, j), m, j, &device);
            ((activation::sigmoid(body.forward(x, j)) - t).powi_scalar(2) * w).mean()
        };
        // The validation loss: per field, the squared error against that of the compressed
        // values, capped at 1, averaged over the fields. A field the network cannot help (noise,
        // or one it overfits) then weighs no more than one left compressed — the gate keeps the
        // compressed values there anyway — and cannot stop the training of those it helps.
        let squared = |f: usize, est: &dyn Fn(usize, usize) -> f64| -> f64 {
            (0..stop)
                .filter(|&k| ov.uncertain[k * j + f])
                .map(|k| {
                    let d = (est(k, f) - f64::from(valid.fields[f][ov.rows[k]])).powi(2);
                    if d.is_finite() { d } else { f64::INFINITY }
                })
                .sum()
        };
        let base: Vec<f64> = (0..j).map(|f| squared(f, &|k, f| f64::from(cv[f][ov.rows[k]]))).collect();
        let validate = |body: &ObjectBody| -> Result<f64> {
            let est = model.estimate(body, &ov, stop)?;
            let ratio = |f: usize| {
                let r = squared(f, &|k, f| est[k * j + f]) / base[f];
                if base[f] > 0.0 && r.is_finite() { r.min(1.0) } else { 1.0 }
            };
            Ok((0..j).map(ratio).sum::<f64>() / j as f64)
        };
        let run = Training { rows: ot.len(), config: &config, salt: 0x636f_6e74_6169_6e65, kind, device: &device };
        let (body, report) = run.train(body, &step, &validate, progress)?;
        model.body = body;
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

    /// Estimates of `body` (inside each interval, unrounded) for the first `n` objects of `o`,
    /// field by field per object.
    fn estimate(&self, body: &ObjectBody, o: &Objects, n: usize) -> Result<Vec<f64>> {
        let (cols, j) = (self.features_per_row(), self.fields.len());
        let device = self.device.clone().without_autodiff();
        let body = body.valid();
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
        let est = self.estimate(&self.body, &o, o.len())?;
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

    /// The same network on another device (e.g. a GPU for inference).
    pub fn to_device(self, device: &Device) -> ContainerNet {
        ContainerNet { body: self.body.valid().to_device(device), device: device.clone(), ..self }
    }

    /// The network as stored in a model file.
    pub fn to_file(&self) -> Result<ContainerFile> {
        let (weights, sha256) = stored_weights(&self.body)?;
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
            weights,
            sha256: Some(sha256),
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
