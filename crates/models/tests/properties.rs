//! Every output of every prior and estimator is a member of its preimage, bit for bit; certain
//! values come back unchanged; the uniform mean is the exact interval midpoint; draws are
//! reproducible and uniform; the gate never keeps a prior worse than the identity.

use float_bits::Scheme;
use float_bits::strategies::{edge_f32, f32_bits};
use models::{Estimate, FitOptions, Model, Prior, Seed, candidates};
use proptest::prelude::*;

/// A training set with structure every prior can fit: integers, a sentinel, zeros, a
/// continuous part, across several binades.
fn training() -> Vec<f32> {
    (0..3000)
        .map(|i| match i % 6 {
            0 => -1.0,
            1 => 0.0,
            2 => (i % 900) as f32,
            _ => 1.0e3 * ((i as f32) * 0.618).sin() + 0.37 * i as f32,
        })
        .collect()
}

fn priors(scheme: &Scheme) -> Vec<Prior> {
    let opts = FitOptions::default();
    let mixed = candidates(scheme, &training(), &opts).unwrap();
    let halves: Vec<f32> = (0..3000).map(|i| (i % 1500) as f32 * 0.5 - 200.0).collect();
    let lattice = candidates(scheme, &halves, &opts).unwrap();
    let names = |v: &[Prior]| v.iter().map(|p| p.name()).collect::<Vec<_>>();
    assert_eq!(names(&mixed), ["identity", "uniform", "histogram"], "{scheme}");
    assert_eq!(names(&lattice), ["identity", "uniform", "lattice", "histogram"], "{scheme}");
    mixed.into_iter().chain(lattice.into_iter().skip(2)).collect()
}

fn check(scheme: &Scheme, priors: &[Prior], originals: &[f32]) -> Result<(), TestCaseError> {
    let mut c = originals.to_vec();
    scheme.compress_in_place(&mut c).unwrap();
    let mut out = vec![0f32; c.len()];
    for p in priors {
        for how in [Estimate::Mean, Estimate::Median, Estimate::Sample] {
            p.upsample(scheme, &c, how, Seed { stream: 3, first_row: 0 }, &mut out).unwrap();
            for (&ci, &y) in c.iter().zip(&out) {
                let iv = quant_bounds::preimage(scheme, ci).unwrap();
                prop_assert!(iv.contains(y), "{} {how}: {y} outside [{}, {}] of {ci}", p.name(), iv.lo(), iv.hi());
                if ci == 0.0 || !ci.is_finite() || iv.count() == 1 {
                    prop_assert_eq!(y.to_bits(), ci.to_bits(), "{} {}: certain value changed", p.name(), how);
                }
            }
        }
    }
    Ok(())
}

fn schemes() -> Vec<Scheme> {
    vec![
        Scheme::atlas(7).unwrap(),
        Scheme::atlas(15).unwrap(),
        Scheme::nearest_even(3).unwrap(),
        Scheme::toward_zero(10).unwrap(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn outputs_stay_inside_the_preimage(bits in proptest::collection::vec(prop_oneof![f32_bits(), edge_f32()], 1..64)) {
        let originals: Vec<f32> = bits.into_iter().map(f32::from_bits).collect();
        for scheme in schemes() {
            check(&scheme, &priors(&scheme)[1..], &originals)?;
        }
    }

    #[test]
    fn the_uniform_mean_is_the_interval_midpoint(bits in f32_bits()) {
        let s = Scheme::atlas(7).unwrap();
        let c = s.compress(f32::from_bits(bits)).unwrap();
        let iv = quant_bounds::preimage(&s, c).unwrap();
        let mut out = [0f32];
        Prior::Uniform.upsample(&s, &[c], Estimate::Mean, Seed::default(), &mut out).unwrap();
        if !(c == 0.0 || !c.is_finite() || !iv.lo().is_finite() || !iv.hi().is_finite() || iv.count() == 1) {
            prop_assert_eq!(out[0].to_bits(), iv.midpoint().to_bits());
        }
    }
}

#[test]
fn priors_hold_on_the_training_values_themselves() {
    for scheme in schemes() {
        check(&scheme, &priors(&scheme), &training()).unwrap();
    }
}

#[test]
fn draws_are_reproducible_batch_independent_and_uniform() {
    let s = Scheme::atlas(7).unwrap();
    let c = vec![3.0f32; 20_000];
    let (mut whole, mut parts) = (vec![0f32; c.len()], vec![0f32; c.len()]);
    let seed = Seed { stream: 11, first_row: 500 };
    Prior::Uniform.upsample(&s, &c, Estimate::Sample, seed, &mut whole).unwrap();
    let (a, b) = parts.split_at_mut(7_000);
    Prior::Uniform.upsample(&s, &c[..7_000], Estimate::Sample, seed, a).unwrap();
    Prior::Uniform.upsample(&s, &c[7_000..], Estimate::Sample, Seed { stream: 11, first_row: 7_500 }, b).unwrap();
    assert_eq!(whole, parts);
    let iv = quant_bounds::preimage(&s, 3.0f32).unwrap();
    let u: Vec<f64> = whole.iter().map(|&y| (f64::from(y) - f64::from(iv.lo())) / iv.width()).collect();
    let mean = u.iter().sum::<f64>() / u.len() as f64;
    let low = u.iter().filter(|&&x| x < 0.25).count() as f64 / u.len() as f64;
    assert!((mean - 0.5).abs() < 0.01 && (low - 0.25).abs() < 0.01, "mean u {mean}, below 1/4: {low}");
}

#[test]
fn sentinels_on_powers_of_two_stay_exact() {
    // -1 and -2 mark missing values; the midpoint of their asymmetric intervals would move them.
    let s = Scheme::atlas(7).unwrap();
    let values: Vec<f32> = (0..4000)
        .map(|i| {
            if i % 3 == 0 {
                -1.0
            } else if i % 7 == 0 {
                -2.0
            } else {
                5.0 + (i as f32 * 0.37).sin()
            }
        })
        .collect();
    let (train, valid) = values.split_at(2000);
    let m = Model::fit(s, &[("d0", train, valid)], FitOptions::default()).unwrap();
    let col = m.column("d0").unwrap();
    assert_eq!(col.prior.name(), "histogram", "{:?}", col.scores);
    let score = |name: &str| col.scores.iter().find(|x| x.prior == name).unwrap().mse;
    assert!(score("histogram") < score("identity").min(score("uniform")), "{:?}", col.scores);
    let mut c = valid.to_vec();
    s.compress_in_place(&mut c).unwrap();
    let mut out = vec![0f32; c.len()];
    Prior::Uniform.upsample(&s, &c, Estimate::Mean, Seed::default(), &mut out).unwrap();
    assert!(out.iter().zip(valid).all(|(o, v)| *v >= 0.0 || o != v), "the midpoint moves every sentinel");
    for how in [Estimate::Mean, Estimate::Median, Estimate::Sample] {
        m.upsample("d0", &c, how, 2000, &mut out).unwrap();
        for (o, v) in out.iter().zip(valid) {
            if *v < 0.0 {
                assert_eq!(o, v, "{how}");
            }
        }
    }
}

#[test]
fn the_gate_never_keeps_a_prior_worse_than_the_identity() {
    let s = Scheme::atlas(7).unwrap();
    let t = training();
    let noise: Vec<f32> = (0..3000).map(|i| ((i * 7919) % 10007) as f32 * 1.37e-3).collect();
    let m =
        Model::fit(s, &[("t", &t[..1500], &t[1500..]), ("n", &noise[..1500], &noise[1500..])], FitOptions::default())
            .unwrap();
    for col in m.columns() {
        let identity = col.scores[0].mse;
        let chosen = col.scores.iter().find(|x| x.prior == col.prior.name()).unwrap().mse;
        assert!(chosen <= identity, "{}: {:?}", col.name, col.scores);
    }
}

#[test]
fn model_files_round_trip_and_reject_other_versions() {
    let s = Scheme::atlas(7).unwrap();
    let t = training();
    let m = Model::fit(s, &[("x", &t[..2000], &t[2000..])], FitOptions::default()).unwrap();
    let json = m.to_json().unwrap();
    assert_eq!(Model::from_json(&json).unwrap(), m);
    let newer = json.replace(&format!("\"version\":{}", models::FORMAT_VERSION), "\"version\":99");
    let e = Model::from_json(&newer).unwrap_err();
    assert!(e.to_string().contains("version"), "{e}");
    // A version-1 file (before groups, one scheme for the whole model) still reads.
    let spec = "\"scheme\":{\"name\":\"atlas\",\"k\":7}";
    let v1 = json
        .replace(&format!("{spec},"), "")
        .replace(&format!("\"version\":{}", models::FORMAT_VERSION), &format!("\"version\":1,{spec}"))
        .replace(",\"groups\":[]", "")
        .replace(",\"constraint\":false", "");
    assert_eq!(v1.matches(spec).count(), 1, "{v1}");
    assert_ne!(v1, json);
    assert_eq!(Model::from_json(&v1).unwrap(), m);
    let e = Model::from_json(&json[..json.len() / 2]).unwrap_err();
    assert!(matches!(e, models::Error::ModelFile { .. }), "{e}");
    let e = Model::from_json(&json.replace("\"atlas\"", "\"zip\"")).unwrap_err();
    assert!(e.to_string().contains("damaged"), "{e}");
    assert!(matches!(m.upsample("y", &[1.0], Estimate::Mean, 0, &mut [0.0]), Err(models::Error::UnknownColumn(_))));
}

/// `Estimate::Sample` draws a continuous column from its histogram even where the gate keeps the
/// identity for the mean, and leaves a column of exact values exact.
#[test]
fn sampler_dithers_continuous_identity_columns_only() {
    let s = Scheme::atlas(7).unwrap();
    // Continuous, symmetric within its preimages: the midpoint gains nothing, the gate keeps the
    // identity for the mean.
    let cont: Vec<f32> = (0..4000).map(|i| 1.1 + 0.7 * ((i as f32) * 0.618_034).fract()).collect();
    // Exact values on a grid the scheme keeps (multiples of 1/8 below 16): compress(x) == x.
    let grid: Vec<f32> = (0..4000).map(|i| ((i * 37) % 120) as f32 / 8.0).collect();
    let cols: Vec<(&str, &[f32], &[f32])> =
        vec![("cont", &cont[..2000], &cont[2000..]), ("grid", &grid[..2000], &grid[2000..])];
    let model = models::Model::fit(s, &cols, Default::default()).unwrap();
    let (c, g) = (model.column("cont").unwrap(), model.column("grid").unwrap());
    assert_eq!(c.prior.name(), "identity");
    assert_eq!(c.sampler.as_ref().map(|p| p.name()), Some("histogram"));
    assert!(g.sampler.is_none(), "{:?}", g.sampler);
    let mut comp = cont[2000..].to_vec();
    s.compress_in_place(&mut comp).unwrap();
    let (mut mean, mut draw) = (vec![0f32; comp.len()], vec![0f32; comp.len()]);
    model.upsample("cont", &comp, Estimate::Mean, 0, &mut mean).unwrap();
    model.upsample("cont", &comp, Estimate::Sample, 0, &mut draw).unwrap();
    assert_eq!(mean, comp);
    let moved = comp.iter().zip(&draw).filter(|(a, b)| a != b).count();
    assert!(moved > comp.len() * 9 / 10, "{moved} of {} drawn away from the grid", comp.len());
    for (c, d) in comp.iter().zip(&draw) {
        assert!(quant_bounds::preimage(&s, *c).unwrap().contains(*d));
    }
    // The sampler survives the model file.
    assert_eq!(models::Model::from_json(&model.to_json().unwrap()).unwrap(), model);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Fitted from compressed values alone: every output inside its preimage, sentinels and short
    /// values exact, and under ATLAS rounding (whose compressed values are their intervals'
    /// midpoints away from powers of two) nothing else moves by more than one f32 ulp.
    #[test]
    fn deconvolved_prior_keeps_what_it_cannot_know(
        seed in any::<u64>(),
        k in prop::sample::select(vec![7u32, 10, 15]),
        truncate in any::<bool>(),
    ) {
        let s = if truncate { Scheme::toward_zero(k).unwrap() } else { Scheme::atlas(k).unwrap() };
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut x: Vec<f32> = (0..3000)
            .map(|i| match i % 10 {
                0 => -1.0,
                1 => -999.9,
                2 => (next() * 40.0).floor() as f32,
                _ => ((next() - 0.5) * 200.0) as f32,
            })
            .collect();
        s.compress_in_place(&mut x).unwrap();
        let model = Model::fit_compressed(s, &[("x", &x)], &[], &[], 3).unwrap();
        let mut out = vec![0f32; x.len()];
        model.upsample("x", &x, Estimate::Mean, 0, &mut out).unwrap();
        let spike = s.compress(-999.9f32).unwrap();
        for (&c, &y) in x.iter().zip(&out) {
            prop_assert!(quant_bounds::preimage(&s, c).unwrap().contains(y));
            if float_bits::needed_bits(c) <= 5 || c == spike {
                prop_assert_eq!(y.to_bits(), c.to_bits(), "{} moved to {}", c, y);
            } else if !truncate {
                prop_assert!((y.to_bits() as i64 - c.to_bits() as i64).abs() <= 1, "{} moved to {}", c, y);
            }
        }
    }
}
