//! The defining properties of the preimage, for every scheme, on f32 and f64:
//! `compress(lo) == c`, `compress(hi) == c`, the floats just outside map elsewhere, and
//! `x ∈ preimage(compress(x))` for every input.

use float_bits::strategies::{f32_bits, f64_bits};
use float_bits::{Backend, Float, Scheme};
use proptest::prelude::*;
use quant_bounds::interval::{from_key, key};
use quant_bounds::{Error, preimage, preimages_with};

fn mantissa_schemes(k: u32) -> Vec<Scheme> {
    [Scheme::atlas(k), Scheme::cms(k), Scheme::nearest_even(k), Scheme::toward_zero(k), Scheme::root_float16(k)]
        .into_iter()
        .filter_map(Result::ok)
        .collect()
}

fn range_schemes(min: f64, width: f64, n: u32) -> Vec<Scheme> {
    [Scheme::root_range(min, min + width, n), Scheme::rntuple_quant(min, min + width, n)]
        .into_iter()
        .filter_map(Result::ok)
        .collect()
}

/// Whether NaN inputs may share this output although the interval cannot list them.
fn nan_aliases(s: &Scheme) -> bool {
    matches!(s, Scheme::RootRange(_) | Scheme::RootFloat16(_) | Scheme::Half(_))
}

/// Checks every property for input `x` under `s`.
fn check<F: Float>(s: &Scheme, x: F) -> Result<(), TestCaseError> {
    let Ok(c) = s.compress(x) else {
        // Out of range for RntupleQuant: x must not be in any preimage; nothing to check here.
        return Ok(());
    };
    let i = match preimage(s, c) {
        Ok(i) => i,
        Err(e) => return Err(TestCaseError::fail(format!("{s}: preimage of output {c} ({:?}): {e}", c.to_bits()))),
    };
    let same = |y: F| s.compress(y).map(|z| z.to_bits() == c.to_bits()).unwrap_or(false);
    let nan_ok = !(x.is_nan() && nan_aliases(s));
    prop_assert!(
        !nan_ok || i.contains(x),
        "{s}: x {x:?} ({:?}) not in preimage [{:?}, {:?}] of {c:?}",
        x.to_bits(),
        i.lo(),
        i.hi()
    );
    prop_assert!(same(i.lo()), "{s}: compress(lo = {:?}) != {c:?}", i.lo());
    prop_assert!(same(i.hi()), "{s}: compress(hi = {:?}) != {c:?}", i.hi());
    let max_key = key(F::from_bits(F::ABS_MASK)); // +NaN with every bit set
    if key(i.lo()) > 0 {
        let below = from_key::<F>(key(i.lo()) - 1);
        if !(below.is_nan() && nan_aliases(s)) {
            prop_assert!(!same(below), "{s}: the float below lo ({below:?}) also maps to {c:?}");
        }
    }
    if key(i.hi()) < max_key {
        let above = from_key::<F>(key(i.hi()) + 1);
        if !(above.is_nan() && nan_aliases(s)) {
            prop_assert!(!same(above), "{s}: the float above hi ({above:?}) also maps to {c:?}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn mantissa_schemes_f32(bits in f32_bits(), k in 0u32..=24) {
        for s in mantissa_schemes(k) {
            check(&s, f32::from_bits(bits))?;
        }
    }

    #[test]
    fn mantissa_schemes_f64(bits in f64_bits(), k in 0u32..=53) {
        for s in mantissa_schemes(k) {
            check(&s, f64::from_bits(bits))?;
        }
    }

    #[test]
    fn root_float16_f64_through_f32(bits in f32_bits(), k in 2u32..=14, wiggle in -3i64..=3) {
        // Doubles near floats exercise the rounding of the conversion.
        let x = f64::from(f32::from_bits(bits));
        let x = if x.is_finite() { f64::from_bits(x.to_bits().wrapping_add_signed(wiggle)) } else { x };
        check(&Scheme::root_float16(k).unwrap(), x)?;
    }

    /// `Half` on f32 (random bits, and values near its own range: subnormal halves, the
    /// zero cut at 2^-25, the overflow at 65520) and on f64 through f32.
    #[test]
    fn half_f32_and_f64(bits in f32_bits(), e in -27i32..=17, u in 1.0f32..2.0, neg in any::<bool>(), wiggle in -3i64..=3) {
        let s = Scheme::half();
        check(&s, f32::from_bits(bits))?;
        let near = u * 2f32.powi(e) * if neg { -1.0 } else { 1.0 };
        check(&s, near)?;
        let x = f64::from(near);
        check(&s, f64::from_bits(x.to_bits().wrapping_add_signed(wiggle)))?;
        check(&s, f64::from(f32::from_bits(bits)))?;
    }

    /// `Half`: a value is an output exactly when it is a fixed point.
    #[test]
    fn half_outputs_are_its_fixed_points(bits in f32_bits()) {
        let (s, c) = (Scheme::half(), f32::from_bits(bits));
        let fixed = s.compress(c).unwrap().to_bits() == bits;
        prop_assert_eq!(preimage(&s, c).is_ok(), fixed, "{:#x}", bits);
    }

    #[test]
    fn quantising_schemes_f32(min in -1.0e4f64..1.0e4, width in prop_oneof![1.0e-3f64..1.0e4, 1.0e-9f64..1.0e-6], n in 1u32..=32,
                              u in -0.1f64..1.1, bits in f32_bits(), pick in any::<bool>()) {
        let x = if pick { (min + u * width) as f32 } else { f32::from_bits(bits) };
        for s in range_schemes(min, width, n) {
            check(&s, x)?;
        }
    }

    #[test]
    fn quantising_schemes_f64(min in -1.0e4f64..1.0e4, width in 1.0e-3f64..1.0e4, n in 1u32..=32,
                              u in -0.1f64..1.1, bits in f64_bits(), pick in any::<bool>()) {
        let x = if pick { min + u * width } else { f64::from_bits(bits) };
        for s in range_schemes(min, width, n) {
            check(&s, x)?;
        }
    }

    /// Mantissa schemes: a value is an output exactly when it is a fixed point.
    #[test]
    fn not_an_output_iff_not_a_fixed_point(bits in f32_bits(), k in 0u32..=23) {
        for s in mantissa_schemes(k).into_iter().filter(|s| !matches!(s, Scheme::RootFloat16(_))) {
            let c = f32::from_bits(bits);
            let fixed = s.compress(c).unwrap().to_bits() == bits;
            match preimage(&s, c) {
                Ok(_) => prop_assert!(fixed, "{s}: {bits:#x}"),
                Err(Error::NotAnOutput { .. }) => prop_assert!(!fixed, "{s}: {bits:#x}"),
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }

    /// The slice form equals the scalar form.
    #[test]
    fn slice_form_matches_scalar(xs in prop::collection::vec(f32_bits(), 0..64), k in 5u32..=23) {
        for s in mantissa_schemes(k) {
            let c: Vec<f32> = xs.iter().map(|&b| s.compress(f32::from_bits(b)).unwrap()).collect();
            for backend in Backend::available() {
                let (mut lo, mut hi) = (vec![0f32; c.len()], vec![0f32; c.len()]);
                preimages_with(backend, &s, &c, &mut lo, &mut hi).unwrap();
                for (i, &v) in c.iter().enumerate() {
                    let iv = preimage(&s, v).unwrap();
                    prop_assert_eq!((iv.lo().to_bits(), iv.hi().to_bits()), (lo[i].to_bits(), hi[i].to_bits()), "{:?}", backend);
                }
            }
        }
    }
}

fn quant_codes(s: &Scheme) -> u32 {
    match s {
        Scheme::RootRange(r) => r.encode(f64::INFINITY),
        Scheme::RntupleQuant(q) => q.max_code(),
        _ => 0,
    }
}

fn decode<F: Float>(s: &Scheme, a: u32) -> F {
    match s {
        Scheme::RootRange(r) => r.decode(a),
        Scheme::RntupleQuant(q) => q.decode(a).unwrap(),
        _ => unreachable!(),
    }
}

/// Every decoded code is either a genuine output with a consistent preimage, or reported as no
/// output (no input reaches that code when the code step is finer than the float spacing).
fn check_code<F: Float>(s: &Scheme, u: f64) -> Result<(), TestCaseError> {
    check_code_at::<F>(s, (u * f64::from(quant_codes(s))) as u32)
}

fn check_code_at<F: Float>(s: &Scheme, a: u32) -> Result<(), TestCaseError> {
    let c: F = decode(s, a.min(quant_codes(s)));
    match preimage(s, c) {
        Ok(i) => {
            prop_assert!(key(i.lo()) <= key(i.hi()));
            for end in [i.lo(), i.hi()] {
                prop_assert_eq!(s.compress(end).map(|z| z.to_bits()).ok(), Some(c.to_bits()), "{} end {:?}", s, end);
            }
        }
        Err(Error::NotAnOutput { .. }) => {
            // Then no input near the code's value maps to c.
            let near = F::from_f64(c.to_f64());
            for d in -4i64..=4 {
                let y = from_key::<F>(key(near).wrapping_add_signed(d));
                prop_assert!(s.compress(y).map(|z| z.to_bits() != c.to_bits()).unwrap_or(true), "{} {:?}", s, y);
            }
        }
        Err(e) => prop_assert!(false, "{e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// Decoded codes, including ranges so narrow that codes are finer than floats.
    #[test]
    fn quantising_schemes_every_decoded_code(min in -1.0e4f64..1.0e4, width in prop_oneof![1.0e-3f64..1.0e4, 1.0e-9f64..1.0e-3],
                                             n in prop_oneof![1u32..=32, 10u32..=32], u in 0.0f64..=1.0) {
        for s in range_schemes(min, width, n) {
            check_code::<f32>(&s, u)?;
            check_code::<f64>(&s, u)?;
        }
    }

    /// Code steps comparable to the f32 spacing at a power of two, where a decoded value can
    /// come from a code that no input reaches.
    #[test]
    fn quantising_schemes_codes_near_powers_of_two(p in -10i32..10, n in 4u32..=20, f in 0.3f64..1.2, v in 0.1f64..0.9) {
        let ulp = 2f64.powi(p - 23);
        let width = 2f64.powi(n as i32) * ulp * f;
        let min = 2f64.powi(p) - width * v;
        for s in range_schemes(min, width, n) {
            let centre = ((2f64.powi(p) - min) / width * 2f64.powi(n as i32)) as i64;
            for a in (centre - 3).max(0)..=centre + 3 {
                check_code_at::<f32>(&s, a as u32)?;
            }
        }
    }

    /// The slice form equals the scalar form for f64, every small k, and invalid inputs too.
    #[test]
    fn slice_form_matches_scalar_everywhere(xs in prop::collection::vec(f64_bits(), 0..40), k in 0u32..=53, raw in any::<bool>()) {
        for s in mantissa_schemes(k).into_iter().filter(|s| !matches!(s, Scheme::RootFloat16(_))) {
            let c: Vec<f64> = xs.iter().map(|&b| if raw { f64::from_bits(b) } else { s.compress(f64::from_bits(b)).unwrap() }).collect();
            let first_bad = c.iter().position(|&v| preimage(&s, v).is_err());
            for backend in Backend::available() {
                let (mut lo, mut hi) = (vec![0f64; c.len()], vec![0f64; c.len()]);
                match (preimages_with(backend, &s, &c, &mut lo, &mut hi), first_bad) {
                    (Ok(()), None) => {
                        for (i, &v) in c.iter().enumerate() {
                            let iv = preimage(&s, v).unwrap();
                            prop_assert_eq!((iv.lo().to_bits(), iv.hi().to_bits()), (lo[i].to_bits(), hi[i].to_bits()), "{:?}", backend);
                        }
                    }
                    (Err(Error::NotAnOutput { index, .. }), Some(b)) => prop_assert_eq!(index, b),
                    (r, b) => prop_assert!(false, "{s} {backend:?}: slice {r:?}, scalar first bad {b:?}"),
                }
            }
        }
    }
}

/// Every back-end this CPU has was forced above; the others are named (run with `--nocapture`
/// to see them; CI does), and forcing one is an error, not undefined behaviour.
#[test]
fn backends_run_and_skipped() {
    let ran: Vec<Backend> = Backend::available().collect();
    let skipped: Vec<Backend> = Backend::unavailable().collect();
    eprintln!("quant-bounds slice preimages: back-ends run {ran:?}, not on this CPU {skipped:?}");
    let s = Scheme::atlas(7).unwrap();
    let (mut lo, mut hi) = ([0f32; 1], [0f32; 1]);
    for b in Backend::ALL {
        let r = preimages_with(b, &s, &[1.0f32], &mut lo, &mut hi);
        assert_eq!(r.is_ok(), b.is_available(), "{b:?}: {r:?}");
        if !b.is_available() {
            assert!(matches!(r, Err(Error::BackendUnavailable(x)) if x == b));
        }
    }
}
