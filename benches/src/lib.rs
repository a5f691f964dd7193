//! Benchmarks for the hepfloat crates live in `benches/`; this library only holds shared
//! input generators.

/// `n` pseudo-random `f32` values spread over many binades (deterministic xorshift), like a
/// physics column: magnitudes from 1e-3 to 1e6, both signs.
///
/// ```
/// let v = hepfloat_benches::physics_like(4);
/// assert_eq!(v.len(), 4);
/// assert!(v.iter().all(|x| x.is_finite()));
/// ```
pub fn physics_like(n: usize) -> Vec<f32> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let sign = if s & 1 == 0 { 1.0 } else { -1.0 };
            (sign * 10f64.powf(-3.0 + 9.0 * u)) as f32
        })
        .collect()
}
