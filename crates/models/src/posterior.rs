//! The posterior inside one preimage interval, and the three estimators over it.
//!
//! Every prior here describes the posterior of one compressed value the same way: a set of
//! *atoms* (exact values with weights, e.g. a sentinel or the integers of a lattice) plus a
//! *continuous* part of some weight whose density over the interval is piecewise constant in the
//! relative position `u = (x − lo) / (hi − lo)` ∈ [0, 1]. Mean, median and sample are computed
//! exactly on that mixture, and every answer is clamped into `[lo, hi]` (in IEEE `totalOrder`),
//! so it is a member of the preimage by construction.

use quant_bounds::interval::key;
use serde::{Deserialize, Serialize};

/// What to output for each value: a summary of its posterior.
///
/// ```
/// use models::Estimate;
/// assert_eq!("median".parse::<Estimate>()?, Estimate::Median);
/// assert_eq!(Estimate::Sample.to_string(), "sample");
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Estimate {
    /// The posterior mean: the minimum-MSE estimate.
    #[default]
    Mean,
    /// The posterior median: the minimum mean-absolute-error estimate, and always a value the
    /// posterior gives mass to (an atom, or a point of the continuous part).
    Median,
    /// A draw from the posterior, seeded per value: distribution fidelity (fine-binned
    /// histograms without the comb the compressed grid leaves).
    Sample,
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Estimate::Mean => "mean",
            Estimate::Median => "median",
            Estimate::Sample => "sample",
        })
    }
}

impl std::str::FromStr for Estimate {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "mean" => Ok(Estimate::Mean),
            "median" => Ok(Estimate::Median),
            "sample" => Ok(Estimate::Sample),
            _ => Err(crate::Error::Parse {
                what: "estimate",
                input: s.into(),
                expected: "mean, median or sample".into(),
            }),
        }
    }
}

/// The continuous part's shape over `u ∈ [0, 1]`: uniform, or a cumulative table of `B` equal
/// bins (`cdf[0] = 0`, `cdf[B] = 1`, rising).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shape<'a> {
    Uniform,
    Binned { cdf: &'a [f64], mean_u: f64 },
}

impl Shape<'_> {
    fn mean_u(&self) -> f64 {
        match self {
            Shape::Uniform => 0.5,
            Shape::Binned { mean_u, .. } => *mean_u,
        }
    }

    /// F(u): the continuous mass below `u`.
    fn cdf(&self, u: f64) -> f64 {
        match self {
            Shape::Uniform => u.clamp(0.0, 1.0),
            Shape::Binned { cdf, .. } => {
                let b = cdf.len() - 1;
                let x = u.clamp(0.0, 1.0) * b as f64;
                let j = (x as usize).min(b - 1);
                cdf[j] + (cdf[j + 1] - cdf[j]) * (x - j as f64)
            }
        }
    }

    /// F⁻¹(p) for `p ∈ [0, 1]`.
    fn inverse(&self, p: f64) -> f64 {
        match self {
            Shape::Uniform => p.clamp(0.0, 1.0),
            Shape::Binned { cdf, .. } => {
                let b = cdf.len() - 1;
                let j = cdf.partition_point(|&c| c <= p).clamp(1, b) - 1;
                let mass = cdf[j + 1] - cdf[j];
                let within = if mass > 0.0 { ((p - cdf[j]) / mass).clamp(0.0, 1.0) } else { 0.5 };
                (j as f64 + within) / b as f64
            }
        }
    }
}

/// One value's posterior: `atoms` (value, weight) sorted ascending, all inside `[lo, hi]`, and a
/// continuous part of weight `cont` shaped by `shape`. Weights need not be normalised.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Posterior<'a> {
    pub lo: f32,
    pub hi: f32,
    pub atoms: &'a [(f32, f64)],
    pub cont: f64,
    pub shape: Shape<'a>,
}

/// `x` moved into `[lo, hi]` in `totalOrder` (a no-op for members).
#[inline]
pub(crate) fn clamp_into(x: f32, lo: f32, hi: f32) -> f32 {
    if x.is_nan() || key(x) < key(lo) {
        lo
    } else if key(x) > key(hi) {
        hi
    } else {
        x
    }
}

impl Posterior<'_> {
    /// The value at relative position `u` of the interval.
    fn at(&self, u: f64) -> f32 {
        let (lo, hi) = (f64::from(self.lo), f64::from(self.hi));
        clamp_into((lo + u * (hi - lo)) as f32, self.lo, self.hi)
    }

    fn atom_weight(&self) -> f64 {
        self.atoms.iter().map(|a| a.1).sum()
    }

    /// The estimate `how`; `draw` is a uniform number in [0, 1) (used by `Sample` only).
    pub fn estimate(&self, how: crate::Estimate, draw: f64) -> f32 {
        let out = match how {
            crate::Estimate::Mean => self.mean(),
            crate::Estimate::Median => self.quantile(0.5),
            crate::Estimate::Sample => self.quantile(draw),
        };
        debug_assert!(key(self.lo) <= key(out) && key(out) <= key(self.hi), "{out} outside [{}, {}]", self.lo, self.hi);
        out
    }

    /// The posterior mean (the continuous part at its mean position, the atoms at their values).
    fn mean(&self) -> f32 {
        let wa = self.atom_weight();
        let total = wa + self.cont;
        if total.is_nan() || total <= 0.0 {
            return self.at(0.5);
        }
        let (lo, hi) = (f64::from(self.lo), f64::from(self.hi));
        let cont_mean = lo + self.shape.mean_u() * (hi - lo);
        let atoms: f64 = self.atoms.iter().map(|&(a, w)| f64::from(a) * w).sum();
        clamp_into(((atoms + self.cont * cont_mean) / total) as f32, self.lo, self.hi)
    }

    /// The smallest member `x` whose posterior mass at or below it reaches `p` of the total.
    fn quantile(&self, p: f64) -> f32 {
        let total = self.atom_weight() + self.cont;
        if total.is_nan() || total <= 0.0 {
            return self.at(0.5);
        }
        let target = p.clamp(0.0, 1.0) * total;
        let (lo, hi) = (f64::from(self.lo), f64::from(self.hi));
        let width = hi - lo;
        let u_of = |a: f32| if width > 0.0 { (f64::from(a) - lo) / width } else { 0.0 };
        let mut below = 0.0; // atom mass strictly before the current atom
        for &(a, w) in self.atoms {
            let cont_before = self.cont * self.shape.cdf(u_of(a));
            if self.cont > 0.0 && below + cont_before >= target {
                return self.at(self.shape.inverse((target - below) / self.cont));
            }
            if below + cont_before + w >= target {
                return a;
            }
            below += w;
        }
        if self.cont > 0.0 {
            self.at(self.shape.inverse((target - below) / self.cont))
        } else {
            self.atoms.last().map_or(self.lo, |a| a.0)
        }
    }
}
