//! [proptest](https://docs.rs/proptest) strategies for property tests of code built on these
//! schemes (feature `proptest`): IEEE-754 bit patterns drawn from every edge class, and every
//! scheme with parameters anywhere in their valid ranges. Each scheme type also implements
//! proptest's [`Arbitrary`], so `any::<Scheme>()` works.
//!
//! Random bit patterns almost never hit the values where lossy float code goes wrong (ties of
//! the rounding, mantissas of all ones that carry into the exponent, subnormals, the largest
//! finite values, NaN payloads): [`f32_bits`] and [`f64_bits`] draw one value in four from those
//! classes. A downstream property test, e.g. that a codec of your own agrees with
//! [`Scheme::compress`](crate::Scheme) on every edge class:
//!
//! ```
//! use float_bits::{Scheme, strategies};
//! use proptest::prelude::*;
//!
//! // "My codec": ATLAS rounding written independently, on the raw bits.
//! fn my_atlas(x: f32, k: u32) -> f32 {
//!     if !x.is_finite() || k >= 23 {
//!         return x;
//!     }
//!     let drop = 23 - k;
//!     let b = x.to_bits();
//!     let rounded = (b + (1 << (drop - 1))) & !((1u32 << drop) - 1);
//!     // ATLAS keeps the original when rounding up would reach infinity or NaN.
//!     if f32::from_bits(rounded).is_finite() { f32::from_bits(rounded) } else { f32::from_bits(b & !((1u32 << drop) - 1)) }
//! }
//!
//! proptest!(|(x in strategies::f32_bits().prop_map(f32::from_bits), k in 5u32..=23)| {
//!     let ours = Scheme::atlas(k).unwrap().compress(x).unwrap();
//!     prop_assert_eq!(my_atlas(x, k).to_bits(), ours.to_bits(), "{} at k = {}", x, k);
//! });
//! ```

use proptest::arbitrary::Arbitrary;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use crate::scheme::{
    Atlas, Cms, Half, MAX_MANTISSA, NearestEven, RntupleQuant, RootFloat16, RootRange, Scheme, TowardZero,
};

/// `f32` bit patterns: three in four uniformly random, one in four from [`edge_f32`].
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// let mut runner = proptest::test_runner::TestRunner::deterministic();
/// let bits = float_bits::strategies::f32_bits().new_tree(&mut runner).unwrap().current();
/// let _x = f32::from_bits(bits);
/// ```
pub fn f32_bits() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => any::<u32>(),
        1 => edge_f32(),
    ]
}

/// The edge classes of `f32`, either sign: ±0; subnormals (the smallest and largest among
/// them); powers of two and their neighbours; the largest finite values; values on and next to
/// the rounding tie of every `k`; mantissas of all ones; NaN payloads and ±Inf.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// let mut runner = proptest::test_runner::TestRunner::deterministic();
/// let tree = float_bits::strategies::edge_f32().new_tree(&mut runner).unwrap();
/// let _edge = f32::from_bits(tree.current());
/// ```
pub fn edge_f32() -> impl Strategy<Value = u32> {
    let sign = prop_oneof![Just(0u32), Just(0x8000_0000u32)];
    let class = prop_oneof![
        Just(0u32),
        1u32..0x0080_0000,
        prop_oneof![Just(1u32), Just(0x007f_ffff), Just(0x0080_0000)],
        // powers of two and their neighbours
        (0u32..255, -3i32..=3).prop_map(|(e, d)| ((e << 23) as i64 + d as i64).clamp(0, 0x7fff_ffff) as u32),
        // the largest finite values: the region where rounding up would overflow, for every k
        (0u32..(1 << 18)).prop_map(|d| 0x7f7f_ffff - d),
        // on and next to the rounding tie of every k: low bits = r - 1, r, r + 1
        (any::<u32>(), 0u32..=23, -1i32..=1).prop_map(|(b, k, d)| {
            let drop = 23 - k;
            if drop == 0 {
                b & 0x7fff_ffff
            } else {
                let r = 1u32 << (drop - 1);
                ((b & 0x7fff_ffff & !((1 << drop) - 1)) as i64 + (r as i64 + d as i64)) as u32 & 0x7fff_ffff
            }
        }),
        // mantissa all ones (rounding up carries into the exponent)
        (0u32..255).prop_map(|e| (e << 23) | 0x007f_ffff),
        // NaN payloads (quiet and signalling, high or low bits) and infinity
        (1u32..0x0080_0000).prop_map(|p| 0x7f80_0000 | p),
        (0u32..23).prop_map(|b| 0x7f80_0000 | (1 << b)),
        Just(0x7f80_0000u32),
    ];
    (sign, class).prop_map(|(s, c)| s | c)
}

/// `f64` bit patterns: three in four uniformly random, one in four from [`edge_f64`].
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// let mut runner = proptest::test_runner::TestRunner::deterministic();
/// let _x = f64::from_bits(float_bits::strategies::f64_bits().new_tree(&mut runner).unwrap().current());
/// ```
pub fn f64_bits() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => any::<u64>(),
        1 => edge_f64(),
    ]
}

/// The edge classes of `f64`, as [`edge_f32`] lists them for `f32`.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// let mut runner = proptest::test_runner::TestRunner::deterministic();
/// let _x = f64::from_bits(float_bits::strategies::edge_f64().new_tree(&mut runner).unwrap().current());
/// ```
pub fn edge_f64() -> impl Strategy<Value = u64> {
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
    (sign, class).prop_map(|(s, c)| s | c)
}

/// Vectors of `f32` from [`f32_bits`], 0 to 99 long: full SIMD vectors and every tail length.
///
/// ```
/// use proptest::prelude::*;
/// proptest!(|(v in float_bits::strategies::f32_vec())| prop_assert!(v.len() < 100));
/// ```
pub fn f32_vec() -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(f32_bits().prop_map(f32::from_bits), 0..100)
}

/// Vectors of `f64` from [`f64_bits`], 0 to 59 long.
///
/// ```
/// use proptest::prelude::*;
/// proptest!(|(v in float_bits::strategies::f64_vec())| prop_assert!(v.len() < 60));
/// ```
pub fn f64_vec() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(f64_bits().prop_map(f64::from_bits), 0..60)
}

/// A `[min, max]` range as the range schemes take it: ordinary (`|min| < 10⁴`, width
/// 10⁻³…10⁵), very narrow (width down to 10⁻¹², or one ulp of `min`) and very wide (up to
/// 10³⁰⁰); always finite with `min < max`.
///
/// ```
/// use proptest::prelude::*;
/// proptest!(|((min, max) in float_bits::strategies::range())| prop_assert!(min < max && (max - min).is_finite()));
/// ```
pub fn range() -> impl Strategy<Value = (f64, f64)> {
    let min = prop_oneof![4 => -1.0e4f64..1.0e4, 1 => -1.0e300f64..1.0e300, 1 => -1.0e-300f64..1.0e-300];
    let width = prop_oneof![4 => 1.0e-3f64..1.0e5, 1 => 1.0e-12f64..1.0e-6, 1 => 1.0e100f64..1.0e300];
    (min, width).prop_map(|(min, w)| {
        let max = min + w;
        // A width below one ulp of `min` is the narrowest range there is: one ulp.
        (min, if max > min { max } else { min.next_up() })
    })
}

/// The schemes that keep `k` mantissa bits (`Atlas`, `NearestEven`, `Cms`, `TowardZero`,
/// `RootFloat16`), with `k` anywhere in each constructor's range up to `max_k` (23 for schemes
/// meant for `f32`, 52 for `f64`).
///
/// ```
/// use proptest::prelude::*;
/// proptest!(|(s in float_bits::strategies::mantissa_scheme(23))| {
///     prop_assert!(s.kept_bits().is_some_and(|k| k <= 23));
/// });
/// ```
pub fn mantissa_scheme(max_k: u32) -> impl Strategy<Value = Scheme> {
    let k = |min: u32, max: u32| min..=max.min(max_k).max(min);
    prop_oneof![
        k(Atlas::MIN_K, Atlas::MAX_K).prop_map(|k| Scheme::atlas(k).expect("k in range")),
        k(0, MAX_MANTISSA).prop_map(|k| Scheme::nearest_even(k).expect("k in range")),
        k(Cms::MIN_K, Cms::MAX_K).prop_map(|k| Scheme::cms(k).expect("k in range")),
        k(0, MAX_MANTISSA).prop_map(|k| Scheme::toward_zero(k).expect("k in range")),
        k(RootFloat16::MIN_K, RootFloat16::MAX_K).prop_map(|k| Scheme::root_float16(k).expect("k in range")),
    ]
}

/// Every scheme, each variant equally likely, with parameters anywhere in their valid ranges
/// (`k` up to 52, so values of `f32` meet `k ≥ 23` too: they pass unchanged).
///
/// ```
/// use proptest::prelude::*;
/// use float_bits::strategies::{f32_vec, scheme};
/// // The slice kernel agrees with the scalar `compress`, errors included.
/// proptest!(|(s in scheme(), v in f32_vec())| {
///     let scalar: Result<Vec<f32>, _> = v.iter().map(|&x| s.compress(x)).collect();
///     let mut slice = v.clone();
///     match (scalar, s.compress_in_place(&mut slice)) {
///         (Ok(a), Ok(())) => prop_assert!(a.iter().zip(&slice).all(|(x, y)| x.to_bits() == y.to_bits())),
///         (Err(_), Err(_)) => {}
///         (a, b) => prop_assert!(false, "{}: {:?} vs {:?}", s, a, b),
///     }
/// });
/// ```
pub fn scheme() -> impl Strategy<Value = Scheme> {
    prop_oneof![
        mantissa_scheme(52),
        (range(), 2u32..=32)
            .prop_map(|((min, max), n)| Scheme::RootRange(RootRange::new(min, max, n).expect("range and bits valid"))),
        (range(), 1u32..=32).prop_map(|((min, max), n)| Scheme::RntupleQuant(
            RntupleQuant::new(min, max, n).expect("range and bits valid")
        )),
        Just(Scheme::Half(Half)),
    ]
}

/// Each scheme parameter type is [`Arbitrary`] over its valid range.
macro_rules! arbitrary_k {
    ($($ty:ident: $min:expr, $max:expr;)*) => {$(
        impl Arbitrary for $ty {
            type Parameters = ();
            type Strategy = BoxedStrategy<$ty>;
            fn arbitrary_with((): ()) -> Self::Strategy {
                ($min..=$max).prop_map(|k| $ty::new(k).expect("k in range")).boxed()
            }
        }
    )*};
}

arbitrary_k! {
    Atlas: Atlas::MIN_K, Atlas::MAX_K;
    NearestEven: 0, MAX_MANTISSA;
    Cms: Cms::MIN_K, Cms::MAX_K;
    TowardZero: 0, MAX_MANTISSA;
    RootFloat16: RootFloat16::MIN_K, RootFloat16::MAX_K;
}

impl Arbitrary for RootRange {
    type Parameters = ();
    type Strategy = BoxedStrategy<RootRange>;
    fn arbitrary_with((): ()) -> Self::Strategy {
        (range(), 2u32..=32).prop_map(|((min, max), n)| RootRange::new(min, max, n).expect("valid")).boxed()
    }
}

impl Arbitrary for RntupleQuant {
    type Parameters = ();
    type Strategy = BoxedStrategy<RntupleQuant>;
    fn arbitrary_with((): ()) -> Self::Strategy {
        (range(), 1u32..=32).prop_map(|((min, max), n)| RntupleQuant::new(min, max, n).expect("valid")).boxed()
    }
}

impl Arbitrary for Half {
    type Parameters = ();
    type Strategy = Just<Half>;
    fn arbitrary_with((): ()) -> Self::Strategy {
        Just(Half)
    }
}

impl Arbitrary for Scheme {
    type Parameters = ();
    type Strategy = BoxedStrategy<Scheme>;
    fn arbitrary_with((): ()) -> Self::Strategy {
        scheme().boxed()
    }
}
