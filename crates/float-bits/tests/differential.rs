//! Every slice back-end is bit-identical to the scalar reference, for every scheme and `k`.

use float_bits::strategies::{f32_vec, f64_vec};
use float_bits::{Backend, Bits, Float, Scheme, reference};
use proptest::prelude::*;

/// All schemes with kept bits, for every `k` their constructors accept (capped to the type).
fn mantissa_schemes(max_k: u32) -> Vec<Scheme> {
    let mut v = Vec::new();
    for k in 0..=max_k + 1 {
        v.extend(Scheme::atlas(k));
        v.extend(Scheme::nearest_even(k));
        v.extend(Scheme::cms(k));
        v.extend(Scheme::toward_zero(k));
        v.extend(Scheme::root_float16(k));
    }
    v
}

/// The scheme's reference answer for one value (`None`: out of range for `RntupleQuant`).
fn oracle<F: Float>(s: &Scheme, x: F) -> Option<F> {
    Some(match *s {
        Scheme::Atlas(a) => reference::atlas(x, a.k()),
        Scheme::NearestEven(a) => reference::nearest_even(x, a.k()),
        Scheme::Cms(a) => reference::cms(x, a.k()),
        Scheme::TowardZero(a) => reference::toward_zero(x, a.k()),
        Scheme::RootFloat16(a) => reference::root_float16(x, a.k()),
        Scheme::RootRange(a) => reference::root_range(x, a.min(), a.max(), a.n()),
        Scheme::RntupleQuant(a) => return reference::rntuple_quant(x, a.min(), a.max(), a.n()),
        // Not our transcription of ROOT's code: the `half` crate's conversions.
        Scheme::Half(_) => half_crate(x),
        _ => unreachable!("new scheme without an oracle"),
    })
}

fn check_all_backends<F: Float>(s: &Scheme, input: &[F]) -> Result<(), TestCaseError> {
    let expected: Option<Vec<F>> = input.iter().map(|&x| oracle(s, x)).collect();
    for backend in Backend::available() {
        let mut out = vec![F::zero(); input.len()];
        let into = s.compress_into_with(backend, input, &mut out);
        let mut inplace = input.to_vec();
        let inpl = s.compress_in_place_with(backend, &mut inplace);
        match &expected {
            Some(exp) => {
                prop_assert!(into.is_ok() && inpl.is_ok(), "{s} {backend:?}: unexpected error");
                for (i, ((e, o), p)) in exp.iter().zip(&out).zip(&inplace).enumerate() {
                    prop_assert_eq!(
                        e.to_bits(),
                        o.to_bits(),
                        "{} {:?} into: input {:?} (bits {:?}) at {}",
                        s,
                        backend,
                        input[i],
                        input[i].to_bits(),
                        i
                    );
                    prop_assert_eq!(e.to_bits(), p.to_bits(), "{} {:?} in place at {}", s, backend, i);
                }
            }
            None => {
                prop_assert!(into.is_err() && inpl.is_err(), "{s} {backend:?}: out-of-range accepted");
                // In-place failure leaves the data untouched.
                prop_assert!(inplace.iter().zip(input).all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
    }
    Ok(())
}

/// Ranges of ordinary size, plus very narrow and very wide ones (extreme `factor`s).
fn range_scheme() -> impl Strategy<Value = (f64, f64, u32)> {
    let min = prop_oneof![4 => -1.0e4f64..1.0e4, 1 => -1.0e300f64..1.0e300, 1 => -1.0e-300f64..1.0e-300];
    let width = prop_oneof![4 => 1.0e-3f64..1.0e5, 1 => 1.0e-12f64..1.0e-6, 1 => 1.0e100f64..1.0e300];
    (min, width, 0u32..34).prop_map(|(min, w, n)| (min, min + w, n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn mantissa_schemes_f32(v in f32_vec()) {
        for s in mantissa_schemes(23) {
            check_all_backends(&s, &v)?;
        }
    }

    #[test]
    fn mantissa_schemes_f64(v in f64_vec()) {
        for s in mantissa_schemes(52) {
            check_all_backends(&s, &v)?;
        }
    }

    #[test]
    fn root_range_f32((min, max, n) in range_scheme(), v in f32_vec(), inside in prop::collection::vec(0.0f64..=1.0, 0..40)) {
        if let Ok(s) = Scheme::root_range(min, max, n) {
            let mut v = v;
            v.extend(inside.iter().map(|u| (min + u * (max - min)) as f32));
            check_all_backends(&s, &v)?;
        }
    }

    #[test]
    fn root_range_f64((min, max, n) in range_scheme(), v in f64_vec(), inside in prop::collection::vec(0.0f64..=1.0, 0..40)) {
        if let Ok(s) = Scheme::root_range(min, max, n) {
            let mut v = v;
            v.extend(inside.iter().map(|u| min + u * (max - min)));
            check_all_backends(&s, &v)?;
        }
    }

    #[test]
    fn rntuple_quant_f32((min, max, n) in range_scheme(), inside in prop::collection::vec(0.0f64..=1.0, 0..80), outlier in any::<Option<u32>>()) {
        if let Ok(s) = Scheme::rntuple_quant(min, max, n) {
            let mut v: Vec<f32> = inside.iter().map(|u| ((min + u * (max - min)) as f32).clamp(min as f32, max as f32)).collect();
            v.retain(|&x| f64::from(x) >= min && f64::from(x) <= max);
            if let Some(o) = outlier {
                v.push(f32::from_bits(o));
            }
            check_all_backends(&s, &v)?;
        }
    }

    #[test]
    fn rntuple_quant_f64((min, max, n) in range_scheme(), inside in prop::collection::vec(0.0f64..=1.0, 0..80), outlier in any::<Option<u64>>()) {
        if let Ok(s) = Scheme::rntuple_quant(min, max, n) {
            let mut v: Vec<f64> = inside.iter().map(|u| (min + u * (max - min)).clamp(min, max)).collect();
            if let Some(o) = outlier {
                v.push(f64::from_bits(o));
            }
            check_all_backends(&s, &v)?;
        }
    }

    /// CMS rounding, by a second route that shares no code with its transcription: ATLAS's
    /// rounding where the first dropped bit is set and the kept mantissa is below `2^k - 2`
    /// (there it cannot carry; a NaN rounds like its finite twin), truncation everywhere else.
    #[test]
    fn cms_is_atlas_below_the_binade_top_and_truncation_elsewhere(bits in float_bits::strategies::f32_bits(), wide in any::<u64>()) {
        for k in 1..=22u32 {
            let x = f32::from_bits(bits);
            prop_assert_eq!(reference::cms(x, k).to_bits(), cms_by_atlas(x, k).to_bits(), "k = {} x bits {:#010x}", k, bits);
        }
        for k in [1, 7, 10, 23, 40, 51] {
            let x = f64::from_bits(wide);
            prop_assert_eq!(reference::cms(x, k).to_bits(), cms_by_atlas(x, k).to_bits(), "k = {} x bits {:#018x}", k, wide);
        }
    }

    /// `Half` on every back-end against the `half` crate, on random values and on values
    /// spread over half precision's own range (subnormals, the zero cut, the overflow).
    #[test]
    fn half_matches_the_half_crate(v in f32_vec(), w in f64_vec(), near in prop::collection::vec((-27i32..=17, 1.0f32..2.0), 0..40)) {
        let s = Scheme::half();
        let mut v = v;
        v.extend(near.iter().map(|&(e, u)| u * 2f32.powi(e)));
        check_all_backends(&s, &v)?;
        check_all_backends(&s, &w)?;
    }

    /// `NearestEven{k:7}` is exactly `half::bf16::from_f32` on finite values.
    #[test]
    fn nearest_even_7_is_bfloat16(bits in float_bits::strategies::f32_bits()) {
        let x = f32::from_bits(bits);
        prop_assume!(x.is_finite());
        let ours = float_bits::NearestEven::BF16.compress(x);
        prop_assert_eq!(ours.to_bits(), half::bf16::from_f32(x).to_f32().to_bits());
    }
}

/// RNTuple `Real16` by the `half` crate: `f16::from_f32`, then back (an `f64` through `f32`).
fn half_crate<F: Float>(x: F) -> F {
    if F::MANTISSA_BITS == 23 {
        let y = half::f16::from_f32(f32::from_bits(x.to_bits().widen() as u32)).to_f32();
        F::from_bits(F::Bits::truncate(u64::from(y.to_bits())))
    } else {
        F::from_f32(half::f16::from_f32(x.to_f64() as f32).to_f32())
    }
}

/// `Half` against the `half` crate on every `f32` of the binades where half precision has its
/// edges: below and across the subnormal halves and the zero cut (2^-27 .. 2^-12), around 1,
/// and the top (2^14 .. 2^17, the overflow at 65520), both signs; NaN and Inf binades too.
#[test]
fn half_matches_the_half_crate_on_whole_binades() {
    for exponent in (100u32..=115).chain([126, 127]).chain(141..=144).chain([255]) {
        for mantissa in 0..1u32 << 23 {
            for sign in [0, 0x8000_0000] {
                let x = f32::from_bits(sign | exponent << 23 | mantissa);
                let ours = reference::half(x).to_bits();
                assert_eq!(ours, half_crate(x).to_bits(), "x bits {:#010x}", x.to_bits());
            }
        }
    }
}

/// CMS rounding as ATLAS rounding or truncation (see the property above).
fn cms_by_atlas<F: Float>(x: F, k: u32) -> F {
    let m = F::MANTISSA_BITS;
    let b = x.to_bits().widen();
    let first_dropped = b >> (m - k - 1) & 1 == 1;
    let kept = (b & ((1u64 << m) - 1)) >> (m - k);
    if !(first_dropped && kept < (1u64 << k) - 2) {
        return reference::toward_zero(x, k);
    }
    if x.is_finite() {
        return reference::atlas(x, k);
    }
    // A NaN rounds like its finite twin one binade down (ATLAS passes NaN through untouched).
    let unit = 1u64 << m;
    let twin = reference::atlas(F::from_bits(F::Bits::truncate(b - unit)), k).to_bits().widen();
    F::from_bits(F::Bits::truncate(twin + unit))
}

/// The same two routes over every `f32` of a few whole binades (normal, subnormal, the top).
#[test]
fn cms_matches_the_second_route_on_whole_binades() {
    for exponent in [0u32, 127, 254] {
        for k in [1, 2, 7, 12, 22] {
            for mantissa in 0..1u32 << 23 {
                for sign in [0, 0x8000_0000] {
                    let x = f32::from_bits(sign | exponent << 23 | mantissa);
                    assert_eq!(reference::cms(x, k).to_bits(), cms_by_atlas(x, k).to_bits(), "k = {k} x = {x:e}");
                }
            }
        }
    }
}

#[test]
fn length_mismatch_and_unavailable_backends_are_errors() {
    let s = Scheme::atlas(7).unwrap();
    let mut out = [0f32; 2];
    assert_eq!(s.compress_into(&[1.0f32; 3], &mut out), Err(float_bits::Error::LengthMismatch { input: 3, output: 2 }));
    for b in Backend::ALL {
        let r = s.compress_in_place_with(b, &mut out);
        assert_eq!(r.is_ok(), b.is_available(), "{b:?}");
    }
}

fn check_large<F: Float>(v: &[F], max_k: u32) {
    for s in mantissa_schemes(max_k) {
        let expected: Vec<F::Bits> = v.iter().map(|&x| oracle(&s, x).unwrap().to_bits()).collect();
        for b in Backend::available() {
            let mut out = vec![F::zero(); v.len()];
            s.compress_into_with(b, v, &mut out).unwrap();
            assert!(out.iter().map(|x| x.to_bits()).eq(expected.iter().copied()), "{s} {b:?}");
        }
    }
}

#[test]
fn large_slices_cover_the_unrolled_loops() {
    let v: Vec<f32> = (0..10_007u32).map(|i| f32::from_bits(i.wrapping_mul(2_654_435_761))).collect();
    check_large(&v, 23);
    let w: Vec<f64> = (0..5_003u64).map(|i| f64::from_bits(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))).collect();
    check_large(&w, 52);
}

/// Outputs beyond 4 MiB use non-temporal stores after an alignment prologue: check them with
/// every destination misalignment a lane allows.
#[test]
fn streaming_stores_match_the_reference_at_every_alignment() {
    fn run<F: Float>(v: &[F], k: u32) {
        let schemes = [
            Scheme::atlas(k),
            Scheme::nearest_even(k),
            Scheme::cms(k),
            Scheme::toward_zero(k),
            Scheme::root_float16(k),
        ];
        let lanes_per_line = 64 / core::mem::size_of::<F>();
        for s in schemes.into_iter().map(Result::unwrap) {
            let expected: Vec<F::Bits> = v.iter().map(|&x| oracle(&s, x).unwrap().to_bits()).collect();
            for b in Backend::available() {
                for offset in [0, 1, lanes_per_line - 1] {
                    let mut buf = vec![F::zero(); v.len() + offset];
                    let dst = &mut buf[offset..];
                    s.compress_into_with(b, v, dst).unwrap();
                    assert!(dst.iter().map(|x| x.to_bits()).eq(expected.iter().copied()), "{s} {b:?} offset {offset}");
                }
            }
        }
    }
    let v: Vec<f32> = (0..(1u32 << 20) + 37).map(|i| f32::from_bits(i.wrapping_mul(2_654_435_761))).collect();
    run(&v, 7);
    let w: Vec<f64> = (0..(1u64 << 19) + 13).map(|i| f64::from_bits(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))).collect();
    run(&w, 12);
}

/// Every back-end this CPU has is forced by the properties above; the others are named (run with
/// `--nocapture` to see them; CI does).
#[test]
fn backends_run_and_skipped() {
    let ran: Vec<Backend> = Backend::available().collect();
    let skipped: Vec<Backend> = Backend::unavailable().collect();
    eprintln!("float-bits kernels: back-ends run {ran:?}, not on this CPU {skipped:?}");
    assert_eq!(ran.first(), Some(&Backend::Scalar));
    assert_eq!(ran.len() + skipped.len(), Backend::ALL.len());
}
