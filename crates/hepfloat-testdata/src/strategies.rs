//! proptest strategies: IEEE-754 bit patterns from every edge class.

use proptest::prelude::*;

/// `f32` bit patterns: uniformly random, or from one of the edge classes.
pub fn f32_bits() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => any::<u32>(),
        1 => edge_f32(),
    ]
}

/// The edge classes of `f32`, each with its own generator.
pub fn edge_f32() -> impl Strategy<Value = u32> {
    let sign = prop_oneof![Just(0u32), Just(0x8000_0000u32)];
    let class = prop_oneof![
        // ±0
        Just(0u32),
        // subnormals, incl. the smallest and largest
        1u32..0x0080_0000,
        prop_oneof![Just(1u32), Just(0x007f_ffff), Just(0x0080_0000)],
        // powers of two and their neighbours
        (0u32..255, -3i32..=3).prop_map(|(e, d)| ((e << 23) as i64 + d as i64).clamp(0, 0x7fff_ffff) as u32),
        // the largest finite values and the vmax region of every k (1 << 17 below the max)
        (0u32..(1 << 18)).prop_map(|d| 0x7f7f_ffff - d),
        // values on and next to rounding ties for every k: low bits = r, r - 1, r + 1
        (any::<u32>(), 0u32..=23, -1i32..=1).prop_map(|(b, k, d)| {
            let drop = 23 - k;
            if drop == 0 {
                b & 0x7fff_ffff
            } else {
                let r = 1u32 << (drop - 1);
                ((b & 0x7fff_ffff & !((1 << drop) - 1)) as i64 + (r as i64 + d as i64)) as u32 & 0x7fff_ffff
            }
        }),
        // mantissa all ones (carry into the exponent)
        (0u32..255).prop_map(|e| (e << 23) | 0x007f_ffff),
        // NaN payloads (quiet and signalling, payload in high or low bits only) and ±Inf
        (1u32..0x0080_0000).prop_map(|p| 0x7f80_0000 | p),
        (0u32..23).prop_map(|b| 0x7f80_0000 | (1 << b)),
        Just(0x7f80_0000u32),
    ];
    (sign, class).prop_map(|(s, c)| s | c)
}

/// `f64` bit patterns: uniformly random, or from one of the edge classes.
pub fn f64_bits() -> impl Strategy<Value = u64> {
    let sign = prop_oneof![Just(0u64), Just(0x8000_0000_0000_0000u64)];
    let class = prop_oneof![
        Just(0u64),
        1u64..(1 << 52),
        (0u64..2047, -3i64..=3).prop_map(|(e, d)| ((e << 52) as i128 + d as i128).clamp(0, i64::MAX as i128) as u64),
        (0u64..(1 << 47)).prop_map(|d| 0x7fef_ffff_ffff_ffff - d),
        (any::<u64>(), 0u32..=52, -1i64..=1).prop_map(|(b, k, d)| {
            let drop = 52 - k;
            if drop == 0 {
                b & i64::MAX as u64
            } else {
                let r = 1u64 << (drop - 1);
                ((b & i64::MAX as u64 & !((1 << drop) - 1)) as i128 + (r as i128 + d as i128)) as u64 & i64::MAX as u64
            }
        }),
        (0u64..2047).prop_map(|e| (e << 52) | ((1 << 52) - 1)),
        (1u64..(1 << 52)).prop_map(|p| 0x7ff0_0000_0000_0000 | p),
        (0u64..52).prop_map(|b| 0x7ff0_0000_0000_0000 | (1 << b)),
        Just(0x7ff0_0000_0000_0000u64),
    ];
    prop_oneof![3 => any::<u64>(), 1 => (sign, class).prop_map(|(s, c)| s | c)]
}

/// A vector of `f32` whose length exercises full vectors and every tail length.
pub fn f32_vec() -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(f32_bits().prop_map(f32::from_bits), 0..100)
}

/// A vector of `f64` whose length exercises full vectors and every tail length.
pub fn f64_vec() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(f64_bits().prop_map(f64::from_bits), 0..60)
}
