//! Model files are input: every field a fitted model is made of is checked here before it is
//! used, so that a damaged or edited file is a typed error naming the column and the field,
//! never a panic or an output outside its preimage. The checks are plain functions over the
//! public, deserialisable types; [`Model`](crate::Model) runs them on load and on fit, and
//! [`Prior::upsample`](crate::Prior::upsample) on the prior it is given.

use float_bits::Scheme;
use quant_bounds::interval::key;
use sha2::{Digest, Sha256};

use crate::stored::{MAX_CONTEXT, NetFile};
use crate::{
    Choice, ColumnModel, ContainerFile, ContainerModel, Error, Group, Histogram, Kind, Lattice, Prior, Result,
};

/// The most hidden units a stored neural network may describe (bounds the allocation of a
/// network read from a file).
pub const MAX_HIDDEN: usize = 1024;

/// The most fields (compressed columns) one container network may reconstruct.
pub const MAX_FIELDS: usize = 64;

/// The most points a [`Lattice`] keeps with their counts.
pub(crate) const MAX_LATTICE_COUNTS: usize = 1 << 16;

/// The most bins of a [`Histogram`]'s position distribution.
pub const MAX_HISTOGRAM_BINS: usize = 1 << 16;

/// One broken invariant: the field (a path such as `prior.cdf[3]`) and what is wrong with it.
#[derive(Debug)]
pub(crate) struct Bad {
    pub column: Option<String>,
    pub field: String,
    pub detail: String,
}

type Check = std::result::Result<(), Bad>;

fn bad(field: impl Into<String>, detail: impl Into<String>) -> Bad {
    Bad { column: None, field: field.into(), detail: detail.into() }
}

impl Bad {
    fn in_column(mut self, name: &str) -> Bad {
        self.column.get_or_insert_with(|| name.to_string());
        self
    }

    /// The error of a model file at `path` (`None`: a model in memory).
    pub fn into_error(self, path: Option<&str>) -> Error {
        Error::InvalidModel {
            path: path.map(str::to_string),
            column: self.column,
            field: self.field,
            detail: self.detail,
        }
    }
}

impl From<Bad> for Error {
    fn from(b: Bad) -> Error {
        b.into_error(None)
    }
}

/// A weight: finite and not negative.
fn weight(field: &str, w: f64) -> Check {
    if w.is_finite() && w >= 0.0 { Ok(()) } else { Err(bad(field, format!("weight {w} is not finite and >= 0"))) }
}

/// `(value, weight)` pairs: finite values strictly rising in `totalOrder`, weights finite and >= 0.
fn points(field: &str, points: &[(f32, f64)]) -> Check {
    for (i, &(x, w)) in points.iter().enumerate() {
        if !x.is_finite() {
            return Err(bad(format!("{field}[{i}]"), format!("value {x} is not finite")));
        }
        weight(&format!("{field}[{i}]"), w)?;
        if i > 0 && key(points[i - 1].0) >= key(x) {
            return Err(bad(format!("{field}[{i}]"), format!("{x} does not follow {} (not sorted)", points[i - 1].0)));
        }
    }
    Ok(())
}

/// A finite number.
fn finite(field: &str, x: f64) -> Check {
    if x.is_finite() { Ok(()) } else { Err(bad(field, format!("{x} is not finite"))) }
}

/// A `(mean, standard deviation)` pair: both finite, the deviation positive.
fn norm(field: &str, (m, s): (f64, f64)) -> Check {
    if m.is_finite() && s.is_finite() && s > 0.0 {
        Ok(())
    } else {
        Err(bad(field, format!("mean {m}, standard deviation {s}: expected finite numbers, a positive deviation")))
    }
}

fn lattice(field: &str, l: &Lattice) -> Check {
    let e = l.step.log2().round();
    if !(l.step.is_finite() && l.step > 0.0 && (-149.0..=127.0).contains(&e) && l.step == 2f64.powi(e as i32)) {
        return Err(bad(format!("{field}.step"), format!("{} is not a power of two in the range of f32", l.step)));
    }
    weight(&format!("{field}.alpha"), l.alpha)?;
    if l.counts.len() > MAX_LATTICE_COUNTS {
        return Err(bad(format!("{field}.counts"), format!("{} points, at most {MAX_LATTICE_COUNTS}", l.counts.len())));
    }
    points(&format!("{field}.counts"), &l.counts)
}

fn histogram(field: &str, h: &Histogram) -> Check {
    points(&format!("{field}.atoms"), &h.atoms)?;
    if h.rest.len() != h.atoms.len() {
        return Err(bad(format!("{field}.rest"), format!("{} weights for {} atoms", h.rest.len(), h.atoms.len())));
    }
    for (i, &w) in h.rest.iter().enumerate() {
        weight(&format!("{field}.rest[{i}]"), w)?;
    }
    let cdf = &h.cdf;
    if cdf.len() < 2 || cdf.len() > MAX_HISTOGRAM_BINS + 1 {
        return Err(bad(
            format!("{field}.cdf"),
            format!("{} entries: expected 2 to {}", cdf.len(), MAX_HISTOGRAM_BINS + 1),
        ));
    }
    if cdf[0] != 0.0 || cdf[cdf.len() - 1] != 1.0 {
        return Err(bad(
            format!("{field}.cdf"),
            format!("runs from {} to {}, not from 0 to 1", cdf[0], cdf[cdf.len() - 1]),
        ));
    }
    for (j, p) in cdf.windows(2).enumerate() {
        if !(p[1].is_finite() && p[1] >= p[0]) {
            return Err(bad(format!("{field}.cdf[{}]", j + 1), format!("{} after {}: not rising", p[1], p[0])));
        }
    }
    let bins = (cdf.len() - 1) as f64;
    let mean: f64 = cdf.windows(2).enumerate().map(|(j, p)| (p[1] - p[0]) * (j as f64 + 0.5) / bins).sum();
    if !(h.mean_u.is_finite() && (h.mean_u - mean).abs() <= 1e-9) {
        return Err(bad(format!("{field}.mean_u"), format!("{} is not the mean of the cdf ({mean})", h.mean_u)));
    }
    Ok(())
}

/// That a prior's fields describe one (see the module documentation).
pub(crate) fn prior(field: &str, p: &Prior) -> Check {
    match p {
        Prior::Identity | Prior::Uniform => Ok(()),
        Prior::Lattice(l) => lattice(field, l),
        Prior::Histogram(h) => histogram(field, h),
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Bytes back from [`hex`]; `None` unless every character pair is a hex byte.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

/// The SHA-256 of `bytes`, as lowercase hex (the checksum of a network's weights).
pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The largest hex weight string a stored network of the largest size takes.
const MAX_WEIGHTS_HEX: usize = 8 * (2 * MAX_HIDDEN * (MAX_HIDDEN + MAX_CONTEXT + 64) + 4096);

/// A stored network's numbers and sizes (before any is used to allocate), and its weights
/// against their checksum; returns the weight bytes. A checksum is required where `checksum`
/// (files of format 6 on).
pub(crate) fn net_file(
    field: &str,
    f: &NetFile,
    scheme: Option<&Scheme>,
    checksum: bool,
) -> std::result::Result<Vec<u8>, Bad> {
    let field = |s: &str| format!("{field}.{s}");
    let own = Scheme::try_from(&f.scheme).map_err(|e| bad(field("scheme"), e.to_string()))?;
    if let Some(scheme) = scheme.filter(|s| **s != own) {
        return Err(bad(field("scheme"), format!("{own}, but the column's scheme is {scheme}")));
    }
    if f.ctx_norm.len() > MAX_CONTEXT {
        return Err(bad(field("ctx_norm"), format!("{} context columns, at most {MAX_CONTEXT}", f.ctx_norm.len())));
    }
    if f.link.len() != f.ctx_norm.len() + 1 {
        let detail =
            format!("{} coefficients for {} context columns (expected one more)", f.link.len(), f.ctx_norm.len());
        return Err(bad(field("link"), detail));
    }
    for (i, &b) in f.link.iter().enumerate() {
        finite(&field(&format!("link[{i}]")), b)?;
    }
    for (i, &n) in f.ctx_norm.iter().enumerate() {
        norm(&field(&format!("ctx_norm[{i}]")), n)?;
    }
    norm(&field("width_norm"), f.width_norm)?;
    norm(&field("value_norm"), f.value_norm)?;
    if f.hidden == 0 || f.hidden > MAX_HIDDEN {
        return Err(bad(field("hidden"), format!("{} hidden units: expected 1 to {MAX_HIDDEN}", f.hidden)));
    }
    weights(&field(""), &f.weights, f.sha256.as_deref(), MAX_WEIGHTS_HEX, checksum)
}

/// A network's hex weights (at most `max` characters) decoded, checked against their checksum
/// `sum` (required where `checksum`); `prefix` names the network's fields (ends in `.`).
fn weights(
    prefix: &str,
    hex: &str,
    sum: Option<&str>,
    max: usize,
    checksum: bool,
) -> std::result::Result<Vec<u8>, Bad> {
    let field = |s: &str| format!("{prefix}{s}");
    if hex.len() > max {
        return Err(bad(field("weights"), format!("{} characters, more than a network of this size takes", hex.len())));
    }
    let bytes = unhex(hex).ok_or_else(|| bad(field("weights"), "not hex"))?;
    match sum {
        Some(sum) if sum != sha256(&bytes) => Err(bad(
            field("sha256"),
            format!(
                "the weights' checksum is {}, the file says {sum}: the weights were changed or damaged",
                sha256(&bytes)
            ),
        )),
        None if checksum => {
            Err(bad(field("sha256"), "missing: every network of this format version carries its weights' checksum"))
        }
        _ => Ok(bytes),
    }
}

/// The numbers and weights of a stored container network (see [`net_file`]); returns the
/// weights' bytes.
pub(crate) fn container_file(field: &str, f: &ContainerFile, checksum: bool) -> std::result::Result<Vec<u8>, Bad> {
    let field = |s: &str| format!("{field}.{s}");
    if !matches!(f.kind, Kind::Hybrid | Kind::Inpainting) {
        return Err(bad(field("kind"), format!("{}: a container network is a hybrid or an inpainter", f.kind)));
    }
    if f.fields.is_empty() || f.fields.len() > MAX_FIELDS {
        return Err(bad(field("fields"), format!("{} fields: expected 1 to {MAX_FIELDS}", f.fields.len())));
    }
    if f.ctx_norm.len() > MAX_CONTEXT {
        return Err(bad(field("ctx_norm"), format!("{} context columns, at most {MAX_CONTEXT}", f.ctx_norm.len())));
    }
    for (i, &n) in f.ctx_norm.iter().enumerate() {
        norm(&field(&format!("ctx_norm[{i}]")), n)?;
    }
    for (j, x) in f.fields.iter().enumerate() {
        let field = |s: &str| field(&format!("fields[{j}].{s}"));
        Scheme::try_from(&x.scheme).map_err(|e| bad(field("scheme"), e.to_string()))?;
        // An intercept, a coefficient per context column and one per other field.
        if x.link.len() != f.ctx_norm.len() + f.fields.len() {
            let detail = format!(
                "{} coefficients for {} context columns and {} other fields (expected one more)",
                x.link.len(),
                f.ctx_norm.len(),
                f.fields.len() - 1
            );
            return Err(bad(field("link"), detail));
        }
        for (i, &b) in x.link.iter().enumerate() {
            finite(&field(&format!("link[{i}]")), b)?;
        }
        norm(&field("width_norm"), x.width_norm)?;
        norm(&field("value_norm"), x.value_norm)?;
    }
    if f.hidden == 0 || f.hidden > MAX_HIDDEN {
        return Err(bad(field("hidden"), format!("{} hidden units: expected 1 to {MAX_HIDDEN}", f.hidden)));
    }
    weights(&field(""), &f.weights, f.sha256.as_deref(), MAX_WEIGHTS_HEX + 8 * 4 * MAX_FIELDS * MAX_HIDDEN, checksum)
}

/// Each column's scheme and network weights, and each container network's weights, as
/// [`model`] checked them.
type Checked = (Vec<Scheme>, Vec<Option<Vec<u8>>>, Vec<Vec<u8>>);

/// Every container network of a model: fields that are columns of the model, with their
/// schemes, named once; context named once, as many as the network reads; the network's numbers
/// and weights. Returns each network's weights.
fn containers(
    containers: &[ContainerModel],
    columns: &[ColumnModel],
    checksum: bool,
) -> std::result::Result<Vec<Vec<u8>>, Bad> {
    let mut weights = Vec::with_capacity(containers.len());
    for (n, c) in containers.iter().enumerate() {
        let field = |s: &str| format!("containers[{n}].{s}");
        if c.fields.len() != c.model.fields.len() {
            let detail = format!("{} columns for a network of {} fields", c.fields.len(), c.model.fields.len());
            return Err(bad(field("fields"), detail));
        }
        if c.context.len() != c.model.ctx_norm.len() {
            let detail =
                format!("{} columns for a network of {} context inputs", c.context.len(), c.model.ctx_norm.len());
            return Err(bad(field("context"), detail));
        }
        for (what, names) in [("fields", &c.fields), ("context", &c.context)] {
            let mut seen = std::collections::HashSet::new();
            if let Some(x) = names.iter().find(|x| x.is_empty() || !seen.insert(x.as_str())) {
                return Err(bad(field(what), format!("{x:?} is empty or named twice")));
            }
        }
        for (j, (name, norm)) in c.fields.iter().zip(&c.model.fields).enumerate() {
            let Some(column) = columns.iter().find(|x| &x.name == name) else {
                return Err(bad(field(&format!("fields[{j}]")), format!("{name:?} is not a column of the model")));
            };
            if column.scheme != norm.scheme {
                let detail = format!("{:?}, but column {name:?} was compressed with {:?}", norm.scheme, column.scheme);
                return Err(bad(field(&format!("model.fields[{j}].scheme")), detail));
            }
        }
        weights.push(container_file(&field("model"), &c.model, checksum)?);
    }
    Ok(weights)
}

/// Every invariant of a model's parts: columns named once with a valid scheme, priors and
/// samplers valid, columns taking their values from a group that exists, each neural
/// corrector's context and network (same scheme as its column; weights matching their checksum
/// where `checksum`), scores, and the groups (valid, disjoint). Returns each column's scheme and
/// network weights (checked), to build the networks from.
pub(crate) fn model(
    columns: &[ColumnModel],
    groups: &[Group],
    nets: &[ContainerModel],
    checksum: bool,
) -> std::result::Result<Checked, Bad> {
    let mut member_of = std::collections::HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        let field = format!("groups[{g}]");
        group.check().map_err(|e| bad(&field, e.to_string()))?;
        for m in group.columns() {
            if member_of.insert(m.as_str(), g).is_some() {
                return Err(bad(field, format!("column {m:?} is in more than one group")));
            }
        }
    }
    // The container networks first: a column's choice is checked against them.
    let container_weights = containers(nets, columns, checksum)?;
    let mut names = std::collections::HashSet::new();
    let mut weights = Vec::with_capacity(columns.len());
    let mut schemes = Vec::with_capacity(columns.len());
    for (i, c) in columns.iter().enumerate() {
        if c.name.is_empty() || !names.insert(c.name.as_str()) {
            return Err(bad(format!("columns[{i}].name"), format!("{:?} is empty or named twice", c.name)));
        }
        let scheme = Scheme::try_from(&c.scheme).map_err(|e| bad("scheme", e.to_string()).in_column(&c.name))?;
        schemes.push(scheme);
        let scheme = &scheme;
        let check = || -> std::result::Result<Option<Vec<u8>>, Bad> {
            prior("prior", &c.prior)?;
            if let Some(s) = &c.sampler {
                prior("sampler", s)?;
            }
            if let Some(m) = c.validated.filter(|m| !(m.is_finite() && *m >= 0.0)) {
                return Err(bad("validated", format!("{m} is not a magnitude")));
            }
            if let Some(n) = c.effective_events.filter(|n| !(n.is_finite() && *n >= 0.0)) {
                return Err(bad("effective_events", format!("{n} is not a number of events")));
            }
            if let Some(r) = &c.recoverable {
                let ratio = |x: f64| x.is_finite() && x >= 0.0;
                if let Some((field, x)) = [("alone", Some(r.alone)), ("with_context", r.with_context)]
                    .into_iter()
                    .find_map(|(f, x)| Some((f, x?)).filter(|p| !ratio(p.1)))
                {
                    return Err(bad(format!("recoverable.{field}"), format!("{x} is not a ratio of squared errors")));
                }
            }
            if let Choice::Container { net, family } = c.choice {
                let Some(n) = nets.get(net) else {
                    return Err(bad("choice.net", format!("{net}: the model has {} container networks", nets.len())));
                };
                if !n.fields.contains(&c.name) {
                    return Err(bad("choice.net", format!("container network {net} does not reconstruct this column")));
                }
                if family != n.model.kind {
                    let detail = format!("{family}, but container network {net} is of kind {}", n.model.kind);
                    return Err(bad("choice.family", detail));
                }
            }
            if c.constraint() && !member_of.contains_key(c.name.as_str()) {
                return Err(bad("choice", "the column takes its values from a group the model does not have"));
            }
            for (j, s) in c.scores.iter().enumerate() {
                if s.mse.is_nan() || s.mse < 0.0 {
                    return Err(bad(format!("scores[{j}].mse"), format!("{} is not a mean squared error", s.mse)));
                }
                if let Some((field, x)) = [("gain", s.gain), ("lower", s.lower)]
                    .into_iter()
                    .find_map(|(f, x)| Some((f, x?)).filter(|p| p.1.is_nan()))
                {
                    return Err(bad(format!("scores[{j}].{field}"), format!("{x} is not a gain")));
                }
            }
            if let Some(n) = c.neural() {
                if n.context.len() != n.model.ctx_norm.len() {
                    let detail = format!(
                        "{} columns for a network of {} context inputs",
                        n.context.len(),
                        n.model.ctx_norm.len()
                    );
                    return Err(bad("choice.context", detail));
                }
                let mut seen = std::collections::HashSet::new();
                if let Some(x) = n.context.iter().find(|x| x.is_empty() || !seen.insert(x.as_str())) {
                    return Err(bad("choice.context", format!("{x:?} is empty or named twice")));
                }
                return net_file("choice.model", &n.model, Some(scheme), checksum).map(Some);
            }
            Ok(None)
        };
        weights.push(check().map_err(|b| b.in_column(&c.name))?);
    }
    Ok((schemes, weights, container_weights))
}

/// The first output of `out` that lies outside the preimage of its compressed value: `(index,
/// count of such outputs, lo, hi)`. The preimages come from `quant_bounds` directly, not from
/// the estimator that produced `out`.
pub(crate) fn outside(scheme: &Scheme, compressed: &[f32], out: &[f32]) -> Result<Option<(usize, usize, f32, f32)>> {
    const CHUNK: usize = 1024;
    if compressed.len() != out.len() {
        return Err(Error::LengthMismatch { what: "compressed vs out", left: compressed.len(), right: out.len() });
    }
    let (mut lo, mut hi) = ([0f32; CHUNK], [0f32; CHUNK]);
    let mut first = None;
    let mut count = 0;
    for (n, (c, o)) in compressed.chunks(CHUNK).zip(out.chunks(CHUNK)).enumerate() {
        let (lo, hi) = (&mut lo[..c.len()], &mut hi[..c.len()]);
        quant_bounds::preimages(scheme, c, lo, hi).map_err(|e| match e {
            quant_bounds::Error::NotAnOutput { index, value, bits, scheme } => {
                quant_bounds::Error::NotAnOutput { index: index + n * CHUNK, value, bits, scheme }
            }
            e => e,
        })?;
        for i in 0..c.len() {
            let k = key(o[i]);
            if k < key(lo[i]) || k > key(hi[i]) {
                count += 1;
                first.get_or_insert((n * CHUNK + i, lo[i], hi[i]));
            }
        }
    }
    Ok(first.map(|(i, lo, hi)| (i, count, lo, hi)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_outside_their_preimage_are_counted_and_the_first_named() {
        let s = Scheme::atlas(7).unwrap();
        let c: Vec<f32> = (0..3000).map(|i| 1.0 + (i % 100) as f32 / 128.0).collect();
        let mut out = c.clone();
        assert_eq!(outside(&s, &c, &out).unwrap(), None);
        // The next float above the top of a preimage, in the second chunk, and two more.
        let p = quant_bounds::preimage(&s, c[1500]).unwrap();
        out[1500] = f32::from_bits(p.hi().to_bits() + 1);
        out[2000] = -out[2000];
        out[2999] = f32::NAN;
        assert_eq!(outside(&s, &c, &out).unwrap(), Some((1500, 3, p.lo(), p.hi())));
        // A compressed value the scheme cannot produce is an error naming its index.
        let mut bad = c.clone();
        bad[1030] = 1.0 + 1.0 / 1024.0;
        match outside(&s, &bad, &out) {
            Err(Error::Bounds(quant_bounds::Error::NotAnOutput { index, .. })) => assert_eq!(index, 1030),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hex_round_trips_and_rejects_what_is_not_hex() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&bytes)).unwrap(), bytes);
        assert!(unhex("abc").is_none() && unhex("zz").is_none() && unhex("é0").is_none());
        assert_eq!(sha256(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
