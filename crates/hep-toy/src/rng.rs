//! The toy's random numbers: SplitMix64, one independent stream per event.

/// A SplitMix64 stream (passes BigCrush; fast, and seekable by construction: event `i` of seed
/// `s` starts from a hash of both, so any range of events is generated independently).
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// The stream of event `event` under `seed`.
    pub(crate) fn event(seed: u64, event: u64) -> Rng {
        Rng(mix(seed.wrapping_add(GOLDEN)) ^ mix(event.wrapping_mul(GOLDEN).wrapping_add(0x6a09_e667_f3bc_c909)))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform(); // (0, 1]
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Standard exponential.
    pub(crate) fn exponential(&mut self) -> f64 {
        -(1.0 - self.uniform()).ln()
    }

    /// An integer in `0..weights.len()` drawn with the given weights (summing to 1).
    pub(crate) fn pick(&mut self, weights: &[f64]) -> usize {
        let mut u = self.uniform();
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments() {
        let mut r = Rng::event(1, 2);
        let n = 200_000;
        let (mut s, mut s2, mut e) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let z = r.normal();
            s += z;
            s2 += z * z;
            e += r.exponential();
        }
        let n = n as f64;
        assert!((s / n).abs() < 0.01 && (s2 / n - 1.0).abs() < 0.01 && (e / n - 1.0).abs() < 0.01);
        assert_ne!(Rng::event(1, 2).next_u64(), Rng::event(1, 3).next_u64());
        assert_ne!(Rng::event(1, 2).next_u64(), Rng::event(2, 2).next_u64());
    }
}
