//! Hand-checked answers for each scheme, from the origin code's arithmetic, bit for bit.

use float_bits::{Atlas, Cms, Error, NearestEven, RntupleQuant, RootFloat16, RootRange, Scheme, TowardZero};

fn b32(x: f32) -> u32 {
    x.to_bits()
}

#[test]
fn atlas_rounds_half_away_from_zero_with_carry_and_vmax_guard() {
    let a = Atlas::new(7).unwrap();
    // 1.99999 (0x3fffffac) carries into the exponent: 2.0.
    assert_eq!(b32(a.compress(f32::from_bits(0x3fff_ffac))), 0x4000_0000);
    assert_eq!(b32(a.compress(-f32::from_bits(0x3fff_ffac))), 0xc000_0000);
    // Exact tie at k = 7 (r = 1 << 15) rounds up in magnitude, both signs.
    assert_eq!(b32(a.compress(f32::from_bits(0x3f80_8000))), 0x3f81_0000);
    assert_eq!(b32(a.compress(f32::from_bits(0xbf80_8000))), 0xbf81_0000);
    // Just below the tie rounds down.
    assert_eq!(b32(a.compress(f32::from_bits(0x3f80_7fff))), 0x3f80_0000);
    // The vmax guard: 0x7f7fffff - r and above are truncated, below is rounded.
    let vmax = 0x7f7f_ffffu32 - (1 << 15);
    assert_eq!(b32(a.compress(f32::from_bits(vmax))), 0x7f7f_0000);
    assert_eq!(b32(a.compress(f32::MAX)), 0x7f7f_0000);
    assert_eq!(b32(a.compress(f32::from_bits(vmax - 1))), 0x7f7f_0000);
    assert_eq!(b32(a.compress(f32::from_bits(0x7f7e_8000))), 0x7f7f_0000);
    // Non-finite values pass through with their payload; -0 stays -0.
    assert_eq!(b32(a.compress(f32::from_bits(0x7f80_0001))), 0x7f80_0001);
    assert_eq!(b32(a.compress(f32::from_bits(0xffc0_1234))), 0xffc0_1234);
    assert_eq!(b32(a.compress(f32::NEG_INFINITY)), b32(f32::NEG_INFINITY));
    assert_eq!(b32(a.compress(-0.0f32)), 0x8000_0000);
    // Subnormals follow the same integer arithmetic, up into the normal range.
    assert_eq!(b32(a.compress(f32::from_bits(0x007f_ffff))), 0x0080_0000);
    assert_eq!(b32(a.compress(f32::from_bits(0x0000_8000))), 0x0001_0000);
    // k = 23 is the identity; athena clamps k.
    assert_eq!(b32(Atlas::new(23).unwrap().compress(0.1f32)), b32(0.1));
    assert_eq!(Atlas::clamped(0), Atlas::new(5).unwrap());
    assert_eq!(Atlas::clamped(99), Atlas::new(23).unwrap());
    // f64 at k = 7: same rule on 52-bit mantissas.
    assert_eq!(a.compress(1.0f64 + 1.0 / 256.0), 1.0 + 1.0 / 128.0);
    assert_eq!(a.compress(f64::MAX).to_bits(), 0x7fef_e000_0000_0000);
}

/// Every difference between CMS and ATLAS rounding, at k = 7 (unit `1 << 16`, half `1 << 15`).
#[test]
fn cms_rounds_like_atlas_except_at_the_top_of_the_binade() {
    let (c, a) = (Cms::new(7).unwrap(), Atlas::new(7).unwrap());
    // Agreement: ties and above round up in magnitude, below rounds down, both signs.
    for bits in [0x3f80_8000u32, 0xbf80_8000, 0x3f80_7fff, 0x3f81_c000, 0x4120_8001, 0x0000_8000] {
        assert_eq!(b32(c.compress(f32::from_bits(bits))), b32(a.compress(f32::from_bits(bits))), "{bits:#x}");
    }
    assert_eq!(b32(c.compress(f32::from_bits(0x3f80_8000))), 0x3f81_0000);
    // Difference 1: the all-ones kept mantissa (127) never carries into the exponent.
    assert_eq!(b32(a.compress(f32::from_bits(0x3fff_8000))), 0x4000_0000);
    assert_eq!(b32(c.compress(f32::from_bits(0x3fff_8000))), 0x3fff_0000);
    assert_eq!(b32(c.compress(f32::from_bits(0xbfff_ffff))), 0xbfff_0000);
    // Difference 2: a kept mantissa of 126 = 2^k - 2 with the first dropped bit set is
    // truncated too (ATLAS gives 127).
    assert_eq!(b32(a.compress(f32::from_bits(0x3ffe_8000))), 0x3fff_0000);
    assert_eq!(b32(c.compress(f32::from_bits(0x3ffe_8000))), 0x3ffe_0000);
    // 125 still rounds up to 126.
    assert_eq!(b32(c.compress(f32::from_bits(0x3ffd_8000))), 0x3ffe_0000);
    // Subnormals: the same field rules, no carry into the normal range (ATLAS carries).
    assert_eq!(b32(a.compress(f32::from_bits(0x007f_ffff))), 0x0080_0000);
    assert_eq!(b32(c.compress(f32::from_bits(0x007f_ffff))), 0x007f_0000);
    // The largest finite value: truncated by both (ATLAS by its vmax guard).
    assert_eq!(b32(c.compress(f32::MAX)), 0x7f7f_0000);
    // Non-finite values go through the bit operations: Inf stays, a NaN with its payload only
    // below the first dropped bit becomes Inf, other NaNs stay NaN (their low bits cleared or
    // the kept payload incremented). ATLAS passes every NaN through untouched.
    assert_eq!(c.compress(f32::INFINITY), f32::INFINITY);
    assert_eq!(c.compress(f32::NEG_INFINITY), f32::NEG_INFINITY);
    assert_eq!(b32(c.compress(f32::from_bits(0x7f80_0001))), 0x7f80_0000);
    assert_eq!(b32(c.compress(f32::from_bits(0x7fc0_1234))), 0x7fc0_0000);
    assert_eq!(b32(c.compress(f32::from_bits(0x7f80_8000))), 0x7f81_0000);
    assert_eq!(b32(a.compress(f32::from_bits(0x7f80_0001))), 0x7f80_0001);
    // -0 stays -0; zero and tiny subnormals go to zero.
    assert_eq!(b32(c.compress(-0.0f32)), 0x8000_0000);
    assert_eq!(b32(c.compress(f32::from_bits(0x0000_7fff))), 0);
    // k = 1 never rounds up: 2^k - 2 = 0, so it is truncation.
    let one = Cms::new(1).unwrap();
    assert_eq!(b32(one.compress(f32::from_bits(0x3fbf_ffff))), 0x3f80_0000);
    assert_eq!(b32(one.compress(f32::from_bits(0x3fff_ffff))), 0x3fc0_0000);
    // NanoAOD precisions on f32; f64 follows the same rule on 52-bit mantissas.
    assert_eq!(Cms::new(10).unwrap().compress(0.1f32), f32::from_bits(0x3dcc_c000));
    assert_eq!(Cms::new(7).unwrap().compress(1.0f64 + 3.0 / 256.0), 1.0 + 4.0 / 256.0);
    assert_eq!(Cms::new(7).unwrap().compress(f64::from_bits(0x3fff_f800_0000_0000)).to_bits(), 0x3fff_e000_0000_0000);
    // k at or above the mantissa width keeps every bit; 0 and 53 are rejected.
    assert_eq!(b32(Cms::new(23).unwrap().compress(0.1f32)), b32(0.1));
    assert_eq!(Cms::new(0), Err(Error::KeptBitsOutOfRange { scheme: "Cms", k: 0, min: 1, max: 52 }));
    assert!(Cms::new(53).is_err());
    assert_eq!(Scheme::cms(12).unwrap().to_string(), "Cms{k=12}");
}

#[test]
fn nearest_even_matches_bfloat16_and_overflows() {
    let n = NearestEven::new(7).unwrap();
    assert_eq!(b32(n.compress(f32::from_bits(0x3f80_8000))), 0x3f80_0000); // tie → even (down)
    assert_eq!(b32(n.compress(f32::from_bits(0x3f81_8000))), 0x3f82_0000); // tie → even (up)
    assert_eq!(n.compress(f32::MAX), f32::INFINITY);
    assert_eq!(b32(n.compress(f32::from_bits(0x7f80_0001))), 0x7f80_0001);
    assert_eq!(NearestEven::new(0).unwrap().compress(1.5f32), 2.0); // tie to even at k = 0
    assert_eq!(NearestEven::new(0).unwrap().compress(1.4f32), 1.0);
    assert_eq!(n.compress(0.1f64), f64::from(half::bf16::from_f32(0.1).to_f32()));
}

#[test]
fn toward_zero_is_a_mask_like_rntuple() {
    let t = TowardZero::from_rntuple_bits(16).unwrap();
    assert_eq!(b32(t.compress(f32::from_bits(0x3fff_ffac))), 0x3fff_0000);
    assert_eq!(b32(t.compress(f32::from_bits(0xbfff_ffac))), 0xbfff_0000);
    // NaN with payload only in the dropped bits becomes Inf, as RNTuple stores it.
    assert_eq!(t.compress(f32::from_bits(0x7f80_0001)), f32::INFINITY);
    assert_eq!(b32(t.compress(f32::from_bits(0x7fc0_0001))), 0x7fc0_0000);
    assert!(TowardZero::from_rntuple_bits(9).is_err());
    assert!(TowardZero::from_rntuple_bits(32).is_err());
    assert_eq!(TowardZero::new(52).unwrap().compress(0.1f64), 0.1);
}

#[test]
fn root_float16_saturates_and_loses_negative_zero() {
    let f = RootFloat16::new(7).unwrap();
    assert_eq!(b32(f.compress(f32::from_bits(0x3fff_ffac))), 0x3fff_0000); // saturates
    assert_eq!(b32(f.compress(f32::from_bits(0xbfff_ffac))), 0xbfff_0000);
    assert_eq!(b32(f.compress(f32::from_bits(0x3f80_8000))), 0x3f81_0000); // half-up
    assert_eq!(b32(f.compress(-0.0f32)), 0);
    assert_eq!(b32(f.compress(f32::INFINITY)), 0x7f80_0000);
    assert_eq!(b32(f.compress(f32::NEG_INFINITY)), 0xff80_0000);
    assert_eq!(b32(f.compress(f32::from_bits(0x7fc0_0000))), 0x7fc0_0000);
    assert_eq!(b32(f.compress(f32::from_bits(0xffc0_0000))), 0x7fc0_0000); // NaN loses sign
    assert_eq!(f.compress(f32::from_bits(0x7f80_0001)), f32::INFINITY); // low payload → Inf
    // Signalling NaNs go in bit for bit on every back-end (no conversion may quiet them).
    for backend in float_bits::Backend::available() {
        let mut v = [f32::from_bits(0x7f80_0001), f32::from_bits(0x7fa0_0000), f32::from_bits(0xff81_8000)];
        Scheme::from(f).compress_in_place_with(backend, &mut v).unwrap();
        assert_eq!(v.map(f32::to_bits), [0x7f80_0000, 0x7fa0_0000, 0x7f82_0000], "{backend:?}");
    }
    assert_eq!(b32(f.compress(f32::MAX)), 0x7f7f_0000); // no overflow
    // Double32_t goes through float first.
    assert_eq!(f.compress(1.0e300f64), f64::INFINITY);
    assert_eq!(RootFloat16::new(14).unwrap().compress(1.0f32 + 3.0 / 65536.0), 1.0 + 4.0 / 65536.0);
    assert!(RootFloat16::new(1).is_err() && RootFloat16::new(15).is_err());
}

#[test]
fn root_range_clamps_and_uses_two_to_the_n() {
    let r = RootRange::new(0.0, 1.0, 10).unwrap();
    assert_eq!(r.encode(1.0f32), 1024); // x = max encodes as 2^n
    assert_eq!(r.encode(-5.0f32), 0);
    assert_eq!(r.encode(f32::INFINITY), 1024);
    assert_eq!(r.encode(f32::NAN), 0);
    assert_eq!(r.encode(0.5f32 / 1024.0), 1); // half-up
    assert_eq!(r.encode(0.49f32 / 1024.0), 0);
    assert_eq!(r.compress(0.3f32), 307.0 / 1024.0);
    let r32 = RootRange::new(-1.0, 1.0, 32).unwrap();
    assert_eq!(r32.encode(1.0f64), u32::MAX);
    assert_eq!(r32.encode(-1.0f64), 0);
    assert!(RootRange::new(0.0, 1.0, 1).is_err());
    assert!(RootRange::new(0.0, 0.0, 8).is_err());
    assert!(RootRange::new(f64::NAN, 1.0, 8).is_err());
    assert!(RootRange::new(-f64::MAX, f64::MAX, 8).is_err()); // width overflows
}

#[test]
fn rntuple_quant_uses_two_to_the_n_minus_one_and_rejects_out_of_range() {
    let q = RntupleQuant::new(-1.0, 1.0, 8).unwrap();
    assert_eq!(q.encode(1.0f32), Ok(255));
    assert_eq!(q.encode(-1.0f32), Ok(0));
    assert_eq!(q.decode::<f32>(255), Ok(1.0));
    assert!(matches!(q.encode(1.0001f32), Err(Error::OutOfRange { .. })));
    assert!(matches!(q.encode(f32::NAN), Err(Error::OutOfRange { .. })));
    assert!(matches!(q.decode::<f32>(256), Err(Error::CodeOutOfRange { code: 256, max: 255, n: 8 })));
    let q32 = RntupleQuant::new(0.0, 1.0, 32).unwrap();
    assert_eq!(q32.encode(1.0f64), Ok(u32::MAX));
    assert_eq!(q32.decode::<f64>(u32::MAX), Ok(1.0));
    // Slices: the error names the first offending index and leaves the data untouched.
    let s = Scheme::from(q);
    let mut v = [0.5f32, 2.0, 0.25, -3.0];
    assert_eq!(s.compress_in_place(&mut v), Err(Error::OutOfRange { index: 1, value: 2.0, min: -1.0, max: 1.0 }));
    assert_eq!(v, [0.5, 2.0, 0.25, -3.0]);
}

#[test]
fn constructors_reject_bad_parameters_with_typed_errors() {
    assert_eq!(Atlas::new(4), Err(Error::KeptBitsOutOfRange { scheme: "Atlas", k: 4, min: 5, max: 52 }));
    assert!(NearestEven::new(53).is_err());
    assert!(TowardZero::new(53).is_err());
    assert!(matches!(RntupleQuant::new(0.0, 1.0, 33), Err(Error::BitCountOutOfRange { n: 33, .. })));
    assert!(matches!(RntupleQuant::new(2.0, 1.0, 8), Err(Error::InvalidRange { .. })));
    // Messages say what and where.
    let msg = Atlas::new(4).unwrap_err().to_string();
    assert!(msg.contains("Atlas") && msg.contains("k = 4"), "{msg}");
}

#[test]
fn display_names_the_scheme() {
    assert_eq!(Scheme::atlas(15).unwrap().to_string(), "Atlas{k=15}");
    assert_eq!(Scheme::root_range(0.0, 2.0, 12).unwrap().to_string(), "RootRange{min=0, max=2, n=12}");
}

/// `Display` and `FromStr` are inverses: every mantissa scheme at every `k`, `Half`, and the
/// range schemes at awkward bounds (the round trip compares the bounds' bits).
#[test]
fn scheme_text_reads_back_exactly() {
    let mut all = vec![Scheme::half()];
    for k in 0..=53 {
        all.extend(Scheme::atlas(k));
        all.extend(Scheme::cms(k));
        all.extend(Scheme::nearest_even(k));
        all.extend(Scheme::toward_zero(k));
        all.extend(Scheme::root_float16(k));
    }
    let bounds = [
        (-std::f64::consts::PI, std::f64::consts::PI),
        (-0.0, 5e-324),
        (-1.7976931348623157e308, 1e308),
        (0.1, 0.30000000000000004),
    ];
    for (lo, hi) in bounds {
        for n in [1, 2, 16, 31, 32] {
            all.extend(Scheme::root_range(lo, hi, n));
            all.extend(Scheme::rntuple_quant(lo, hi, n));
        }
    }
    assert!(all.len() > 200, "{}", all.len());
    for s in all {
        let text = s.to_string();
        let back: Scheme = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back, s, "{text}");
        if let (Scheme::RootRange(a), Scheme::RootRange(b)) = (&s, &back) {
            assert_eq!((a.min().to_bits(), a.max().to_bits()), (b.min().to_bits(), b.max().to_bits()), "{text}");
        }
        if let (Scheme::RntupleQuant(a), Scheme::RntupleQuant(b)) = (&s, &back) {
            assert_eq!((a.min().to_bits(), a.max().to_bits()), (b.min().to_bits(), b.max().to_bits()), "{text}");
        }
    }
}

#[test]
fn text_that_is_not_a_scheme_is_an_error_naming_it() {
    for bad in [
        "",
        "Atlas",
        "Atlas{k=7",
        "Atlas{k=}",
        "Atlas{k=-1}",
        "Atlas{k=7, n=3}",
        "Atlas{n=7}",
        "atlas{k=7}",
        "Half{}",
        "RootRange{min=1, max=0, n=8}",
        "RootRange{min=0, max=inf, n=8}",
        "RootRange{max=1, min=0, n=8}",
        "RntupleQuant{min=0, max=1, n=0}",
        "Cms{k=53}",
        "Bogus{k=7}",
        "RootRange{min=x, max=1, n=8}",
    ] {
        let e = bad.parse::<Scheme>().expect_err(bad);
        assert!(e.to_string().contains(&format!("{bad:?}")) || !matches!(e, Error::NotAScheme { .. }), "{bad}: {e}");
    }
    // Surrounding and inner spaces are accepted, as `Display` writes them after commas.
    assert_eq!(" RootRange{ min=0,max=1 , n=8 } ".parse::<Scheme>().unwrap(), Scheme::root_range(0.0, 1.0, 8).unwrap());
}

/// RNTuple `Real16`: IEEE half precision, worked out by hand from the binary16 layout.
#[test]
fn half_rounds_to_nearest_even_in_half_precision_range() {
    use float_bits::Half;
    use float_bits::reference::{float_to_half, half_to_float};
    // 1 + 2^-11 is the tie between 1 and 1 + 2^-10: even wins; just above it rounds up.
    assert_eq!(float_to_half(1.0 + 2f32.powi(-11)), 0x3c00);
    assert_eq!(float_to_half(f32::from_bits((1.0f32 + 2f32.powi(-11)).to_bits() + 1)), 0x3c01);
    assert_eq!(float_to_half(1.0 + 3.0 * 2f32.powi(-11)), 0x3c02); // tie above an odd mantissa
    // The carry out of the mantissa moves the exponent: 2 - 2^-12 rounds to 2.0.
    assert_eq!(float_to_half(2.0 - 2f32.powi(-12)), 0x4000);
    // The top: 65504 = 0x7bff; 65519.996 stays, the tie 65520 overflows to Inf.
    assert_eq!(float_to_half(65504.0), 0x7bff);
    assert_eq!(float_to_half(f32::from_bits(65520f32.to_bits() - 1)), 0x7bff);
    assert_eq!(float_to_half(65520.0), 0x7c00);
    assert_eq!(float_to_half(-1e9), 0xfc00);
    // Subnormal halves: 2^-14 is the smallest normal, 2^-24 the smallest subnormal.
    assert_eq!(float_to_half(2f32.powi(-14)), 0x0400);
    assert_eq!(float_to_half(2f32.powi(-14) - 2f32.powi(-24)), 0x03ff);
    assert_eq!(float_to_half(2f32.powi(-24)), 0x0001);
    assert_eq!(float_to_half(1.5 * 2f32.powi(-24)), 0x0002); // tie: to even
    assert_eq!(float_to_half(2.5 * 2f32.powi(-24)), 0x0002);
    assert_eq!(float_to_half(2f32.powi(-25)), 0x0000); // tie with zero: zero
    assert_eq!(float_to_half(f32::from_bits(2f32.powi(-25).to_bits() + 1)), 0x0001);
    assert_eq!(float_to_half(-1e-30), 0x8000);
    // NaN: quiet, the top payload bits kept, the sign kept.
    assert_eq!(float_to_half(f32::from_bits(0x7f80_0001)), 0x7e00);
    assert_eq!(float_to_half(f32::from_bits(0xffa0_0000)), 0xff00);
    assert_eq!(half_to_float(0x7e01).to_bits(), 0x7fc0_2000);
    assert_eq!(half_to_float(0x03ff), 1023.0 * 2f32.powi(-24));
    assert_eq!(half_to_float(0xc000), -2.0);
    // The round trip through the scheme type; f64 goes through f32 (rounded twice: straight to
    // half, 1 + 2^-11 + 2^-40 would round up).
    assert_eq!(b32(Half.compress(0.1f32)), 0x3dcc_c000);
    assert_eq!(Half.compress(65519.0f64), 65504.0);
    assert_eq!(Scheme::half().compress(1.0f64 + 2f64.powi(-11) + 2f64.powi(-40)).unwrap(), 1.0);
    assert_eq!(Scheme::half().to_string(), "Half");
    assert_eq!(Scheme::half().kept_bits(), Some(10));
}
