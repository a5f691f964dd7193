//! The exact law of every toy column, and the posterior mean over a preimage interval under it.

/// The law of one toy column's values (per object, given the object's other fields).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Law {
    /// One of these values, equally likely (charges ±1, a fixed mass).
    Set(&'static [f32]),
    /// `lo + i · step` for `i` uniform in `0..n` (pile-up in half-integer steps).
    Lattice {
        /// The first point.
        lo: f64,
        /// The spacing.
        step: f64,
        /// How many points.
        n: u32,
    },
    /// With probability `atom.1` exactly `atom.0` (a sentinel or a zero), else drawn from `density`.
    Continuous {
        /// A value that occurs with positive probability, and that probability.
        atom: Option<(f32, f64)>,
        /// The continuous part.
        density: Density,
    },
    /// Fixed by an exact relation to the object's other fields (a truth particle's energy);
    /// its oracle is the relation group's joint posterior.
    Relation,
}

/// A continuous density.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Density {
    /// Flat on `[lo, hi]`.
    Uniform {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// `start + scale · Exp(1)`.
    Exponential {
        /// Where the density starts.
        start: f64,
        /// Its mean above `start`.
        scale: f64,
    },
    /// `U²` for `U` uniform on [0, 1): density `1 / (2 √x)` on (0, 1].
    Square,
    /// `2 (1 - x)` on [0, 1]: one coordinate of a point uniform on the 3-simplex.
    Linear,
    /// `N(0, sigma²)`.
    Normal {
        /// Standard deviation.
        sigma: f64,
    },
    /// `N(slope · context, sigma²)` where `context` is another variable of the same object.
    Linked {
        /// The variable (e.g. `pt`) the mean follows.
        context: &'static str,
        /// Mean per unit of the context.
        slope: f64,
        /// Standard deviation.
        sigma: f64,
    },
}

impl Density {
    /// Support `[lo, hi]`.
    fn support(&self) -> (f64, f64) {
        match *self {
            Density::Uniform { lo, hi } => (lo, hi),
            Density::Exponential { start, .. } => (start, f64::INFINITY),
            Density::Square | Density::Linear => (0.0, 1.0),
            Density::Normal { .. } | Density::Linked { .. } => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// Log density at `x` inside the support; `context` is the value of the linked variable.
    fn ln_pdf(&self, x: f64, context: f64) -> f64 {
        const LN_SQRT_TAU: f64 = 0.918_938_533_204_672_8;
        match *self {
            Density::Uniform { lo, hi } => -(hi - lo).ln(),
            Density::Exponential { start, scale } => -(x - start) / scale - scale.ln(),
            Density::Square => -(2.0 * x.sqrt()).ln(),
            Density::Linear => (2.0 * (1.0 - x)).ln(),
            Density::Normal { sigma } => -0.5 * (x / sigma).powi(2) - sigma.ln() - LN_SQRT_TAU,
            Density::Linked { slope, sigma, .. } => {
                -0.5 * ((x - slope * context) / sigma).powi(2) - sigma.ln() - LN_SQRT_TAU
            }
        }
    }

    /// `(ln ∫ p, ∫ x p / ∫ p)` over `[lo, hi]` ∩ support, or `None` if that is empty. Gauss–Legendre
    /// with 8 nodes: the densities are smooth on the support and preimage intervals are narrow
    /// next to their scales, so this is exact to rounding.
    fn moments(&self, lo: f64, hi: f64, context: f64) -> Option<(f64, f64)> {
        const NODES: [f64; 4] =
            [0.183_434_642_495_649_8, 0.525_532_409_916_329, 0.796_666_477_413_626_7, 0.960_289_856_497_536_3];
        const WEIGHTS: [f64; 4] =
            [0.362_683_783_378_362, 0.313_706_645_877_887_3, 0.222_381_034_453_374_5, 0.101_228_536_290_376_3];
        let (s0, s1) = self.support();
        let (a, b) = (lo.max(s0), hi.min(s1));
        if a > b {
            return None;
        }
        let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
        if half == 0.0 {
            return Some((f64::NEG_INFINITY, mid));
        }
        let mut pts = [(0.0, 0.0, 0.0); 8];
        for (i, (t, w)) in NODES.iter().zip(WEIGHTS).enumerate() {
            pts[2 * i] = (-t * half, w, 0.0);
            pts[2 * i + 1] = (t * half, w, 0.0);
        }
        for p in &mut pts {
            p.2 = self.ln_pdf(mid + p.0, context);
        }
        let top = pts.iter().map(|p| p.2).fold(f64::NEG_INFINITY, f64::max);
        if !top.is_finite() {
            return Some((f64::NEG_INFINITY, mid));
        }
        let (mut mass, mut first) = (0.0, 0.0);
        for &(dx, w, l) in &pts {
            let p = w * (l - top).exp();
            mass += p;
            first += p * dx;
        }
        Some(((mass * half).ln() + top, mid + first / mass))
    }
}

impl Law {
    /// Where the law's continuous part lives (everywhere for the other laws).
    pub(crate) fn support(&self) -> (f64, f64) {
        match self {
            Law::Continuous { density, .. } => density.support(),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// The posterior mean of an original under this law, given that it lies in `[lo, hi]` (its
    /// preimage) and that the linked variable is `context`; the midpoint where the law puts no
    /// mass there (not reached by values the law produced).
    pub fn posterior_mean(&self, lo: f32, hi: f32, context: f64) -> f64 {
        let (l, h) = (f64::from(lo), f64::from(hi));
        let mid = 0.5 * (l + h);
        match *self {
            Law::Set(values) => {
                let (n, s) = values
                    .iter()
                    .filter(|v| (lo..=hi).contains(*v))
                    .fold((0u32, 0.0), |(n, s), v| (n + 1, s + f64::from(*v)));
                if n == 0 { mid } else { s / f64::from(n) }
            }
            Law::Lattice { lo: l0, step, n } => {
                let first = ((l - l0) / step).ceil().max(0.0);
                let last = ((h - l0) / step).floor().min(f64::from(n) - 1.0);
                if first > last { mid } else { l0 + step * 0.5 * (first + last) }
            }
            Law::Continuous { atom, density } => {
                let cont = density.moments(l, h, context);
                match (atom.filter(|a| (lo..=hi).contains(&a.0)), cont) {
                    (None, Some((_, mean))) => mean,
                    (None, None) => mid,
                    (Some((a, _)), None) => f64::from(a),
                    (Some((a, pa)), Some((ln_mass, mean))) => {
                        let w = (1.0 - pa) * ln_mass.exp();
                        (pa * f64::from(a) + w * mean) / (pa + w)
                    }
                }
            }
            Law::Relation => mid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms() {
        // Exponential: E[x | a < x < b] = a + s - (b - a) / (exp((b - a) / s) - 1).
        let d = Density::Exponential { start: 0.0, scale: 2.0 };
        let (a, b) = (1.0f64, 3.0f64);
        let exact = a + 2.0 - (b - a) / (((b - a) / 2.0).exp() - 1.0);
        let (ln_mass, mean) = d.moments(a, b, 0.0).unwrap();
        assert!((mean - exact).abs() < 1e-9, "{mean} {exact}");
        assert!((ln_mass.exp() - ((-a / 2.0).exp() - (-b / 2.0).exp())).abs() < 1e-9);
        // Linear on [0, 1]: mean 1/3.
        assert!((Density::Linear.moments(-1.0, 2.0, 0.0).unwrap().1 - 1.0 / 3.0).abs() < 1e-12);
        // A Gaussian far in the tail still has a finite mean inside the interval.
        let g = Density::Linked { context: "pt", slope: 1.0, sigma: 1.0 };
        let m = g.moments(100.0, 100.5, 0.0).unwrap().1;
        assert!((100.0..100.02).contains(&m), "{m}");
    }

    #[test]
    fn discrete_and_atoms() {
        assert_eq!(Law::Set(&[-1.0, 1.0]).posterior_mean(0.99, 1.01, 0.0), 1.0);
        let mu = Law::Lattice { lo: 10.0, step: 0.5, n: 121 };
        assert_eq!(mu.posterior_mean(40.3, 40.6, 0.0), 40.5);
        assert_eq!(mu.posterior_mean(69.0, 80.0, 0.0), 69.5); // 69, 69.5, 70
        // A sentinel atom beats the continuum over a narrow interval.
        let jvf = Law::Continuous { atom: Some((-1.0, 0.1)), density: Density::Uniform { lo: -1.0, hi: 1.0 } };
        let m = jvf.posterior_mean(-1.004, -0.998, 0.0);
        assert!((m + 1.0).abs() < 1e-4, "{m}");
    }
}
