//! Hand-derived preimages at the special places: powers of two, zero and subnormals, the `vmax`
//! guard, saturation, clamping, impossible outputs, non-finite values.

use float_bits::Scheme;
use quant_bounds::{Error, check_claim, classify, envelope, max_abs_residual, preimage, preimages};

fn bits(i: quant_bounds::Interval<f32>) -> (u32, u32) {
    (i.lo().to_bits(), i.hi().to_bits())
}

#[test]
fn atlas_k7_special_places() {
    let s = Scheme::atlas(7).unwrap();
    // r = 1 << 15 in bit space.
    assert_eq!(bits(preimage(&s, 1.5f32).unwrap()), (0x3fc0_0000 - 0x8000, 0x3fc0_0000 + 0x7fff));
    // Zero and -0: magnitudes [0, r - 1], sign kept.
    assert_eq!(bits(preimage(&s, 0.0f32).unwrap()), (0, 0x7fff));
    assert_eq!(bits(preimage(&s, -0.0f32).unwrap()), (0x8000_7fff, 0x8000_0000));
    // Subnormal output 2^-133 (bits 0x10000).
    assert_eq!(bits(preimage(&s, f32::from_bits(0x0001_0000)).unwrap()), (0x8000, 0x0001_7fff));
    // The vmax guard: the top output takes every larger finite value.
    assert_eq!(bits(preimage(&s, f32::from_bits(0x7f7f_0000)).unwrap()), (0x7f7e_8000, 0x7f7f_ffff));
    assert_eq!(bits(preimage(&s, f32::from_bits(0xff7f_0000)).unwrap()), (0xff7f_ffff, 0xff7e_8000));
    // Non-finite values are their own preimage.
    assert_eq!(bits(preimage(&s, f32::INFINITY).unwrap()), (0x7f80_0000, 0x7f80_0000));
    assert_eq!(bits(preimage(&s, f32::from_bits(0x7fc0_0001)).unwrap()), (0x7fc0_0001, 0x7fc0_0001));
    // Impossible outputs.
    assert!(matches!(preimage(&s, 0.1f32), Err(Error::NotAnOutput { .. })));
    let mut lo = [0f32; 2];
    let mut hi = [0f32; 2];
    assert!(matches!(preimages(&s, &[1.0f32, 0.1], &mut lo, &mut hi), Err(Error::NotAnOutput { index: 1, .. })));
}

#[test]
fn nearest_even_ties_and_overflow() {
    let s = Scheme::nearest_even(7).unwrap();
    // 1.0 is even: both ties belong to it; 1 + 2^-7 is odd: neither.
    assert_eq!(bits(preimage(&s, 1.0f32).unwrap()), (0x3f7f_8000, 0x3f80_8000));
    assert_eq!(bits(preimage(&s, 1.0078125f32).unwrap()), (0x3f80_8001, 0x3f81_7fff));
    // +Inf takes the finite values that overflow.
    assert_eq!(bits(preimage(&s, f32::INFINITY).unwrap()), (0x7f7f_8000, 0x7f80_0000));
}

#[test]
fn toward_zero_and_root_float16() {
    let t = Scheme::toward_zero(7).unwrap();
    assert_eq!(bits(preimage(&t, 1.0f32).unwrap()), (0x3f80_0000, 0x3f80_ffff));
    // +Inf also takes the NaNs whose payload is only in the dropped bits.
    assert_eq!(bits(preimage(&t, f32::INFINITY).unwrap()), (0x7f80_0000, 0x7f80_ffff));
    let f = Scheme::root_float16(7).unwrap();
    // Saturation: the top mantissa of a binade takes the rest of the binade (no carry).
    assert_eq!(bits(preimage(&f, f32::from_bits(0x3fff_0000)).unwrap()), (0x3ffe_8000, 0x3fff_ffff));
    // +0 takes -0 too; -0 only comes from tiny negatives.
    assert_eq!(bits(preimage(&f, 0.0f32).unwrap()), (0x8000_0000, 0x7fff));
    assert_eq!(bits(preimage(&f, -0.0f32).unwrap()), (0x8000_7fff, 0x8000_0001));
    assert!(preimage(&f, f32::from_bits(0xffc0_0000)).is_err()); // negative NaN is no output
}

#[test]
fn quantising_schemes_clamp_and_bound() {
    let r = Scheme::root_range(0.0, 1.0, 2).unwrap();
    let i = preimage(&r, 0.0f32).unwrap();
    assert_eq!((i.lo(), i.hi()), (f32::NEG_INFINITY, 0.125f32 - f32::EPSILON / 16.0));
    let i = preimage(&r, 1.0f32).unwrap();
    assert_eq!((i.lo(), i.hi()), (0.875, f32::INFINITY));
    assert!(preimage(&r, 0.3f32).is_err());
    let q = Scheme::rntuple_quant(0.0, 1.0, 2).unwrap();
    let i = preimage(&q, 0.0f32).unwrap();
    assert_eq!(i.lo(), 0.0); // no clamping: below-range inputs are errors, not members
    let i = preimage(&q, 1.0f32).unwrap();
    assert_eq!(i.hi(), 1.0);
}

#[test]
fn envelope_constants_and_staircase() {
    let a = envelope::<f32>(&Scheme::atlas(7).unwrap()).unwrap();
    let t = envelope::<f32>(&Scheme::toward_zero(7).unwrap()).unwrap();
    let f = envelope::<f32>(&Scheme::root_float16(7).unwrap()).unwrap();
    assert_eq!((a.relative, a.step, a.two_sided), (2f64.powi(-8), 0.5, true));
    assert_eq!((t.relative, t.step, t.two_sided), (2f64.powi(-7), 1.0, false));
    assert_eq!((f.relative, f.step), (2f64.powi(-8), 1.0));
    assert_eq!(a.floor, 2f64.powi(-126 - 8));
    // The staircase agrees with the exact per-value maximum away from binade edges.
    let s = Scheme::atlas(7).unwrap();
    for c in [1.5f32, 3.0, 1000.0, 6.0e-3, 5.5e30] {
        let c = s.compress(c).unwrap();
        assert_eq!(max_abs_residual(&s, c).unwrap(), a.binade_max(f64::from(c)));
    }
}

#[test]
fn classification_and_claims() {
    let s = Scheme::atlas(7).unwrap();
    let r = classify(&s, &[1.0f32, 1.0, 0.1], &[1.0f32 + 2f32.powi(-8), 1.0 - 2f32.powi(-9), 1.0]).unwrap();
    assert_eq!((r.inside, r.outside, r.not_an_output), (1, 1, 1));
    // Exactly one float above the preimage: outside by one float spacing / width.
    assert!(r.excess[0] > 0.0 && r.excess[0] < 1e-3);
    let mut v: Vec<f32> = (1..1000).map(|i| (i as f32).sqrt()).collect();
    Scheme::atlas(15).unwrap().compress_in_place(&mut v).unwrap();
    assert_eq!(check_claim(&Scheme::atlas(15).unwrap(), &v).unwrap().inconsistent, 0);
    v[10] += 1e-3; // changed after compression
    let c = check_claim(&Scheme::atlas(15).unwrap(), &v).unwrap();
    assert_eq!((c.inconsistent, c.first_inconsistent), (1, Some(10)));
}

#[test]
fn unreachable_decoded_values_and_unbounded_intervals() {
    // A code step finer than the float spacing near 1.0: 1.0 is decoded from a code that no
    // input encodes to, so it is no possible output.
    let r = Scheme::root_range(0.9999749332666397, 1.0000603824853898, 10).unwrap();
    let c = 1.0f32;
    match preimage(&r, c) {
        Err(Error::NotAnOutput { .. }) => {}
        Ok(i) => assert!(r.compress(i.lo()).unwrap() == c && r.compress(i.hi()).unwrap() == c, "{i:?}"),
        Err(e) => panic!("{e}"),
    }
    // Half-infinite preimages: excess is finite (float spacing at the finite end) or infinite.
    let q = Scheme::root_range(0.0, 1.0, 2).unwrap();
    let top = preimage(&q, 1.0f32).unwrap();
    assert_eq!(top.hi(), f32::INFINITY);
    let e = top.excess(0.5);
    assert!(e.is_finite() && e > 0.0, "{e}");
    let inf = preimage(&Scheme::toward_zero(0).unwrap(), f64::INFINITY).unwrap();
    assert_eq!(inf.excess(1.0), f64::INFINITY); // the violated bound is +Inf
    let all = quant_bounds::Interval::new(f64::from_bits(u64::MAX), f64::from_bits(0x7fff_ffff_ffff_ffff)).unwrap();
    assert_eq!(all.count(), 1u128 << 64);
}

#[test]
fn envelope_top_binade_and_f64() {
    let a = envelope::<f32>(&Scheme::atlas(7).unwrap()).unwrap();
    let s = Scheme::atlas(7).unwrap();
    let top = f32::from_bits(0x7f7f_0000); // Atlas's largest output: the vmax guard adds a full step
    assert_eq!(a.binade_max(f64::from(top)), max_abs_residual(&s, top).unwrap() + 2f64.powi(104));
    let n = envelope::<f32>(&Scheme::nearest_even(7).unwrap()).unwrap();
    assert_eq!(n.binade_max(3.0e38), f64::INFINITY);
    assert!(envelope::<f64>(&Scheme::root_float16(12).unwrap()).is_err());
    let d = envelope::<f64>(&Scheme::atlas(40).unwrap()).unwrap();
    assert_eq!((d.relative, d.max_exponent), (2f64.powi(-41), 1023));
    for c in [1.5f64, 3.0, 1.0e300, 1.0e-300] {
        let c = Scheme::atlas(40).unwrap().compress(c).unwrap();
        assert_eq!(max_abs_residual(&Scheme::atlas(40).unwrap(), c).unwrap(), d.binade_max(c));
    }
}

#[test]
fn cms_cells_are_one_sided_at_the_binade_edges() {
    // k = 3: outputs 1 + j/8 in [1, 2); CMS rounds j up only while j < 2^3 - 2 = 6.
    let s = Scheme::cms(3).unwrap();
    let ulp = 2f32.powi(-23);
    let cell = |c: f32| {
        let i = preimage(&s, c).unwrap();
        (i.lo(), i.hi())
    };
    // Nothing below 1.0 reaches it: the top cell of [0.5, 1) truncates.
    assert_eq!(cell(1.0), (1.0, 1.0625 - ulp));
    assert_eq!(cell(1.125), (1.0625, 1.1875 - ulp));
    // j = 6 also keeps its own upper half (rounding up stops there): a step and a half.
    assert_eq!(cell(1.75), (1.6875, 1.875 - ulp));
    assert_eq!(cell(1.875), (1.875, 2.0 - ulp));
    assert_eq!(cell(-1.875), (-(2.0 - ulp), -1.875));
    // Zero takes half a step of the smallest subnormals, and -0 the negative side.
    let tiny = f32::from_bits(1 << 19); // the dropped half of the lowest kept bit
    assert_eq!(cell(0.0), (0.0, f32::from_bits(tiny.to_bits() - 1)));
    assert_eq!(preimage(&s, -0.0f32).unwrap().lo(), -f32::from_bits(tiny.to_bits() - 1));
    // +Inf also takes the NaNs whose dropped payload truncates away.
    let inf = preimage(&s, f32::INFINITY).unwrap();
    assert_eq!(inf.hi().to_bits(), 0x7f80_0000 + (1 << 19) - 1);
    assert!(preimage(&s, 1.0f32 + ulp).is_err());

    let e = envelope::<f32>(&s).unwrap();
    assert_eq!((e.relative, e.step, e.top_step, e.two_sided), (1.0 / 14.0, 1.0, 1.0, true));
    assert_eq!(e.binade_max(1.5), 0.125);
    assert_eq!(max_abs_residual(&s, 1.875f32).unwrap(), 0.125 - f64::from(ulp));
    // The relative bound is the supremum: the 2^k - 2 cell approaches |Δ| / |x| = r / (1 + r).
    let x = 1.875f64 - f64::from(ulp);
    assert!((x - 1.75) / x < e.relative / (1.0 + e.relative));
    assert!((x - 1.75) / x > e.relative / (1.0 + e.relative) - 1e-6);
    // k = 1 is plain truncation.
    let t = envelope::<f32>(&Scheme::toward_zero(1).unwrap()).unwrap();
    assert_eq!(envelope::<f32>(&Scheme::cms(1).unwrap()).unwrap().relative, t.relative);
}

#[test]
fn half_cells_follow_half_precision_not_f32() {
    let s = Scheme::half();
    let cell = |c: f32| {
        let i = preimage(&s, c).unwrap();
        (i.lo(), i.hi())
    };
    let up = |x: f32| f32::from_bits(x.to_bits() + 1);
    let down = |x: f32| f32::from_bits(x.to_bits() - 1);
    // 1.0 (even mantissa) takes both ties; the spacing is 2^-10 above and 2^-11 below.
    assert_eq!(cell(1.0), (1.0 - 2f32.powi(-12), 1.0 + 2f32.powi(-11)));
    // 1 + 2^-10 (odd mantissa) takes neither tie.
    let odd = 1.0 + 2f32.powi(-10);
    assert_eq!(cell(odd), (up(1.0 + 2f32.powi(-11)), down(odd + 2f32.powi(-11))));
    // Subnormal halves: steps of 2^-24 whatever the f32 exponent.
    let t = 2f32.powi(-24);
    assert_eq!(cell(t), (up(t / 2.0), down(1.5 * t)));
    assert_eq!(cell(2.0 * t), (1.5 * t, 2.5 * t));
    // Zero takes up to the tie at 2^-25; -0 the mirror.
    assert_eq!(cell(0.0), (0.0, t / 2.0));
    assert_eq!(cell(-0.0), (-t / 2.0, -0.0));
    // The largest half (odd) stops short of 65520, which overflows to Inf.
    assert_eq!(cell(65504.0), (up(65488.0), down(65520.0)));
    assert_eq!(cell(f32::INFINITY), (65520.0, f32::INFINITY));
    assert_eq!(cell(f32::NEG_INFINITY), (f32::NEG_INFINITY, -65520.0));
    // A quiet NaN takes the quiet NaNs with its top 10 payload bits.
    let nan = preimage(&s, f32::from_bits(0x7fc0_2000)).unwrap();
    assert_eq!((nan.lo().to_bits(), nan.hi().to_bits()), (0x7fc0_2000, 0x7fc0_3fff));
    // Not outputs: more than 10 mantissa bits, a normal f32 between the subnormal halves.
    assert!(preimage(&s, 1.0f32 + 2f32.powi(-11)).is_err());
    assert!(preimage(&s, 1.5 * t).is_err());
    assert!(preimage(&s, 1e5f32).is_err());
    // f64 goes through f32: the cell of 1.0 widens by half an f32 ulp (2^-25 below 1; the tie
    // rounds to the even f32 1 - 2^-12, which belongs to the cell).
    let i = preimage(&s, 1.0f64).unwrap();
    assert_eq!(i.lo(), 1.0 - 2f64.powi(-12) - 2f64.powi(-25));
    // The envelope: 10 bits in half's own range.
    let e = envelope::<f32>(&s).unwrap();
    assert_eq!(
        (e.k, e.relative, e.min_normal, e.floor, e.max_exponent),
        (10, 2f64.powi(-11), 2f64.powi(-14), 2f64.powi(-25), 15)
    );
    assert_eq!(e.binade_max(1.5), 2f64.powi(-11));
    assert_eq!(e.binade_max(1e-6), 2f64.powi(-25));
    assert_eq!(max_abs_residual(&s, 1.5f32).unwrap(), 2f64.powi(-11));
    assert!(envelope::<f64>(&s).is_err());
}
