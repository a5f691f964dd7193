//! Relation groups: the joint posterior against answers known in closed form, against a
//! synthetic oracle, and the guarantees (inside every preimage, reproducible draws) on random
//! four-momenta and probability triples.

use float_bits::Scheme;
use models::{Estimate, FitOptions, Group, Model, Relation, Seed};
use proptest::prelude::*;

const HOW: [Estimate; 3] = [Estimate::Mean, Estimate::Median, Estimate::Sample];

fn compress(s: &Scheme, v: &[f32]) -> Vec<f32> {
    let mut c = v.to_vec();
    s.compress_in_place(&mut c).unwrap();
    c
}

fn bounds(s: &Scheme, c: f32) -> (f64, f64) {
    let iv = quant_bounds::preimage(s, c).unwrap();
    (f64::from(iv.lo()), f64::from(iv.hi()))
}

/// Run a group on single rows and return its outputs (NaN where it wrote nothing).
fn run(g: &Group, s: &Scheme, cols: &[(Vec<f32>, bool)], how: Estimate, seed: Seed) -> Vec<Vec<f32>> {
    let mut out: Vec<Vec<f32>> = cols.iter().map(|c| vec![f32::NAN; c.0.len()]).collect();
    let inputs: Vec<(&[f32], Option<&Scheme>)> = cols.iter().map(|c| (c.0.as_slice(), c.1.then_some(s))).collect();
    let mut refs: Vec<&mut [f32]> = out.iter_mut().map(|o| o.as_mut_slice()).collect();
    g.upsample(&inputs, how, seed, &mut refs).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Two members summing to one: the posterior is uniform on the segment of the line
    /// `a + b = 1` inside the box, so its mean and median are the segment's midpoint.
    #[test]
    fn a_pair_summing_to_one_lands_on_the_segment_midpoint(a in 0.02f32..0.98, k in 5u32..16) {
        let s = Scheme::atlas(k).unwrap();
        let b = 1.0 - a;
        let g = Group::new(Relation::SumToOne, ["a", "b"]).unwrap().with_tolerance(0.0).unwrap();
        let cols = vec![(compress(&s, &[a]), true), (compress(&s, &[b]), true)];
        let ((alo, ahi), (blo, bhi)) = (bounds(&s, cols[0].0[0]), bounds(&s, cols[1].0[0]));
        let (lo, hi) = (alo.max(1.0 - bhi), ahi.min(1.0 - blo));
        prop_assume!(hi > lo);
        for how in [Estimate::Mean, Estimate::Median] {
            let out = run(&g, &s, &cols, how, Seed::default());
            let want = 0.5 * (lo + hi);
            let tol = 1e-6 * (hi - lo) + f64::from(f32::EPSILON) * want;
            prop_assert!((f64::from(out[0][0]) - want).abs() <= tol, "{how}: a = {} want {want}", out[0][0]);
            prop_assert!((f64::from(out[1][0]) - (1.0 - want)).abs() <= tol + f64::from(f32::EPSILON), "{how}: b = {}", out[1][0]);
        }
    }

    /// Random particles under several schemes, `m` kept or compressed: every value the group
    /// writes is a member of its preimage, draws are reproducible, and a drawn particle obeys
    /// the relation.
    #[test]
    fn four_momenta_stay_inside_and_draws_obey_the_relation(
        p in prop::array::uniform3(-5e5f64..5e5),
        m in prop_oneof![Just(0.0f64), 0.0f64..2e5],
        k in prop::sample::select(vec![5u32, 7, 10, 15]),
        m_kept in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let s = Scheme::atlas(k).unwrap();
        let e = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] + m * m).sqrt();
        let orig = [p[0] as f32, p[1] as f32, p[2] as f32, e as f32, m as f32];
        let cols: Vec<(Vec<f32>, bool)> = orig
            .iter()
            .enumerate()
            .map(|(i, &x)| if i == 4 && m_kept { (vec![x], false) } else { (compress(&s, &[x]), true) })
            .collect();
        let g = Group::new(Relation::FourMomentum, ["px", "py", "pz", "e", "m"]).unwrap();
        for how in HOW {
            let seed = Seed { stream: seed, first_row: 0 };
            let out = run(&g, &s, &cols, how, seed);
            for (i, o) in out.iter().enumerate() {
                if o[0].is_nan() {
                    continue;
                }
                prop_assert!(cols[i].1, "{how}: the kept m was written");
                let iv = quant_bounds::preimage(&s, cols[i].0[0]).unwrap();
                prop_assert!(iv.contains(o[0]), "{how}: member {i}: {} outside {iv:?}", o[0]);
            }
            if how == Estimate::Sample {
                let bits = |o: &[Vec<f32>]| o.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
                prop_assert_eq!(bits(&out), bits(&run(&g, &s, &cols, how, seed)));
                if out.iter().take(4).all(|o| !o[0].is_nan()) {
                    let v: Vec<f64> = (0..5).map(|i| f64::from(if out[i][0].is_nan() { cols[i].0[0] } else { out[i][0] })).collect();
                    let s2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2] + v[4] * v[4];
                    prop_assert!((v[3] * v[3] - s2).abs() <= 1e-6 * v[3] * v[3], "a drawn particle misses the relation: {v:?}");
                }
            }
        }
    }
}

/// Many draws of one particle average to its posterior mean.
#[test]
fn draws_average_to_the_mean() {
    let s = Scheme::atlas(7).unwrap();
    let orig = [31_234.5f32, -40_321.0, 118_765.0, 0.0, 105.7];
    let e = orig[..3].iter().chain(&orig[4..]).map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt() as f32;
    let orig = [orig[0], orig[1], orig[2], e, orig[4]];
    let g = Group::new(Relation::FourMomentum, ["px", "py", "pz", "e", "m"]).unwrap();
    let n = 20_000;
    let cols: Vec<(Vec<f32>, bool)> = orig
        .iter()
        .enumerate()
        .map(|(i, &x)| (vec![if i == 4 { x } else { s.compress(x).unwrap() }; n], i != 4))
        .collect();
    let mean = run(&g, &s, &cols, Estimate::Mean, Seed::default());
    let draws = run(&g, &s, &cols, Estimate::Sample, Seed { stream: 3, first_row: 0 });
    for i in 0..4 {
        let d: Vec<f64> = draws[i].iter().map(|&x| f64::from(x)).collect();
        let avg = d.iter().sum::<f64>() / n as f64;
        let sd = (d.iter().map(|x| (x - avg).powi(2)).sum::<f64>() / n as f64).sqrt();
        let se = sd / (n as f64).sqrt();
        assert!(
            (avg - f64::from(mean[i][0])).abs() < 5.0 * se + 1e-9,
            "member {i}: draws average {avg}, mean {}",
            mean[i][0]
        );
        assert!(mean[i].iter().all(|&x| x == mean[i][0]), "the mean does not depend on the row");
    }
}

/// Synthetic electrons (flat in pt, eta, phi; m = 0.511 MeV kept): the constraint must beat the
/// compressed values where the relation informs (pz and e, close to the direction of p) and
/// never lose on average where it barely does (px, py).
#[test]
fn synthetic_electrons_gain_where_the_relation_informs() {
    let s = Scheme::atlas(7).unwrap();
    let mut state = 12345u64;
    let mut uni = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let n = 4000;
    let mut cols: [Vec<f32>; 5] = Default::default();
    for _ in 0..n {
        let (pt, eta, phi) = (20e3 + 80e3 * uni(), -2.5 + 5.0 * uni(), std::f64::consts::PI * (2.0 * uni() - 1.0));
        let (px, py, pz, m) = (pt * phi.cos(), pt * phi.sin(), pt * eta.sinh(), 0.511);
        let e = (px * px + py * py + pz * pz + m * m).sqrt();
        for (c, v) in cols.iter_mut().zip([px, py, pz, e, m]) {
            c.push(v as f32);
        }
    }
    let g = Group::new(Relation::FourMomentum, ["px", "py", "pz", "e", "m"]).unwrap();
    let inputs: Vec<(Vec<f32>, bool)> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| if i == 4 { (c.clone(), false) } else { (compress(&s, c), true) })
        .collect();
    let out = run(&g, &s, &inputs, Estimate::Mean, Seed::default());
    let mse = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum::<f64>();
    let ratio: Vec<f64> = (0..4).map(|i| mse(&out[i], &cols[i]) / mse(&inputs[i].0, &cols[i])).collect();
    eprintln!(
        "synthetic electrons, k = 7: MSE ratio px {:.3} py {:.3} pz {:.3} e {:.3}",
        ratio[0], ratio[1], ratio[2], ratio[3]
    );
    assert!(out.iter().take(4).all(|o| o.iter().all(|x| !x.is_nan())), "every electron is informed");
    assert!(ratio[0] < 0.97 && ratio[1] < 0.97, "px, py: {ratio:?}");
    assert!(ratio[2] < 0.7 && ratio[3] < 0.6, "pz, e: {ratio:?}");
}

/// A fit moves every member of a group only where that beats moving the members the relation
/// narrows, on evidence spread over enough events: synthetic electrons, flat across each
/// interval as the full posterior assumes, take it with each electron its own event, and keep
/// the narrowed relation when one event holds three quarters of the validation electrons.
#[test]
fn a_relation_moves_every_member_only_on_spread_evidence() {
    use models::{Column, FitRequest};
    let s = Scheme::atlas(7).unwrap();
    let mut state = 777u64;
    let mut uni = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let names = ["px", "py", "pz", "e", "m"];
    let mut cols: [Vec<f32>; 5] = Default::default();
    for _ in 0..8000 {
        let (pt, eta, phi) = (20e3 + 80e3 * uni(), -2.5 + 5.0 * uni(), std::f64::consts::PI * (2.0 * uni() - 1.0));
        let (px, py, pz, m) = (pt * phi.cos(), pt * phi.sin(), pt * eta.sinh(), 0.511);
        let e = (px * px + py * py + pz * pz + m * m).sqrt();
        for (c, v) in cols.iter_mut().zip([px, py, pz, e, m]) {
            c.push(v as f32);
        }
    }
    let g = Group::new(Relation::FourMomentum, names).unwrap();
    let fit = |events: &[u64]| {
        let mut req = FitRequest::new(s);
        let column = |i: usize| Column::new(names[i], &cols[i][..4000], &cols[i][4000..]).events(events);
        req.columns = (0..4).map(column).collect();
        req.kept = vec![column(4)];
        req.groups = vec![g.clone()];
        Model::fit_request(&req).unwrap()
    };
    let each: Vec<u64> = (0..4000).collect();
    let model = fit(&each);
    assert_eq!(model.groups(), std::slice::from_ref(&g), "the full posterior wins");
    assert_eq!(model.column("px").unwrap().choice_name(), "constraint");
    let lumped: Vec<u64> = (0..4000u64).map(|i| if i < 3000 { 0 } else { 1 + (i - 3000) / 91 }).collect();
    let model = fit(&lumped);
    assert_eq!(model.groups(), [Group { informative_only: true, ..g.clone() }], "one event cannot show it");
}

/// The gate keeps the constraint where it wins, the model file carries the groups, and a table
/// missing a member is a clear error.
#[test]
fn groups_go_through_the_gate_and_the_model_file() {
    let s = Scheme::atlas(7).unwrap();
    let (mut pu, mut pc, mut pb) = (vec![], vec![], vec![]);
    for i in 0..6000 {
        let (x, y) = ((i as f32 * 0.618_034).fract() * 0.4, (i as f32 * 0.414_213).fract() * 0.2);
        pu.push(1.0 - x - y);
        pc.push(x);
        pb.push(y);
    }
    let cols: Vec<(&str, &[f32], &[f32])> =
        vec![("pu", &pu[..3000], &pu[3000..]), ("pc", &pc[..3000], &pc[3000..]), ("pb", &pb[..3000], &pb[3000..])];
    let g = Group::new(Relation::SumToOne, ["pu", "pc", "pb"]).unwrap();
    let model = Model::fit_groups(s, &cols, &[], std::slice::from_ref(&g), FitOptions::default()).unwrap();
    assert_eq!(model.column("pu").unwrap().choice_name(), "constraint");
    assert_eq!(model.groups()[0].members, g.members);
    let back = Model::from_json(&model.to_json().unwrap()).unwrap();
    assert_eq!(back, model);

    let cu = compress(&s, &pu[3000..]);
    let mut o = vec![0f32; cu.len()];
    let err = model.upsample_table(&[("pu", &cu)], Estimate::Mean, 0, 0, &mut [&mut o]).unwrap_err();
    assert!(matches!(&err, models::Error::MissingColumn { column, .. } if column == "pc"), "{err}");
    assert!(
        err.to_string().starts_with("column \"pc\" is needed by the sum_to_one group [\"pu\", \"pc\", \"pb\"]"),
        "{err}"
    );

    // A file whose constraint column lost its group, or with a malformed group, is refused.
    let json = model.to_json().unwrap();
    let lost = json.replace("\"sum_to_one\"", "\"four_momentum\"");
    assert!(matches!(Model::from_json(&lost), Err(models::Error::InvalidModel { .. })));
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["groups"] = serde_json::json!([]);
    let e = Model::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(e.contains("group the model does not have"), "{e}");

    // Declaring a member twice, or one that is not a column, is an error.
    let twice = [g.clone(), Group::new(Relation::SumToOne, ["pu", "pc"]).unwrap()];
    assert!(Model::fit_groups(s, &cols, &[], &twice, FitOptions::default()).is_err());
    let stranger = [Group::new(Relation::SumToOne, ["pu", "zz"]).unwrap()];
    assert!(Model::fit_groups(s, &cols, &[], &stranger, FitOptions::default()).is_err());
}

#[test]
fn a_declared_mass_stands_in_for_a_missing_mass_column() {
    // Slow muons (|p| of a few hundred MeV), stored without a mass column: E follows from the
    // momenta and the muon's mass, declared as a constant member.
    const MU: f32 = 105.658_37;
    let s = Scheme::atlas(7).unwrap();
    let (mut px, mut py, mut pz, mut e) = (vec![], vec![], vec![], vec![]);
    for i in 0..6000 {
        let (a, b, c) = ((i as f32 * 0.618).fract(), (i as f32 * 0.414).fract(), (i as f32 * 0.732).fract());
        let p = [150.0 * (a - 0.5), 150.0 * (b - 0.5), 300.0 * (c - 0.5)];
        let energy = (p.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() + f64::from(MU).powi(2)).sqrt();
        px.push(p[0]);
        py.push(p[1]);
        pz.push(p[2]);
        e.push(energy as f32);
    }
    let members = ["mu_px", "mu_py", "mu_pz", "mu_e", "=105.65837"];
    let g = Group::new(Relation::FourMomentum, members).unwrap();
    assert_eq!(g.constant(4), Some(MU));
    // The originals obey the relation with the declared mass.
    let cols = [&px, &py, &pz, &e];
    let exact: Vec<(&[f32], Option<&Scheme>)> =
        cols.iter().map(|c| (c.as_slice(), None)).chain([(&[][..], None)]).collect();
    assert!(g.agreement(&exact).unwrap().holds());
    let fit: Vec<(&str, &[f32], &[f32])> =
        members[..4].iter().zip(cols).map(|(n, c)| (*n, &c[..3000], &c[3000..])).collect();
    let model = Model::fit_groups(s, &fit, &[], std::slice::from_ref(&g), FitOptions::default()).unwrap();
    assert_eq!(model.column("mu_e").unwrap().choice_name(), "constraint");
    // Applied without any mass column.
    let compressed: Vec<Vec<f32>> = cols.iter().map(|c| compress(&s, &c[3000..])).collect();
    let inputs: Vec<(&str, &[f32])> = members[..4].iter().zip(&compressed).map(|(n, c)| (*n, c.as_slice())).collect();
    let mut outs: Vec<Vec<f32>> = compressed.iter().map(|c| vec![0f32; c.len()]).collect();
    let mut refs: Vec<&mut [f32]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
    model.upsample_table(&inputs, Estimate::Mean, 0, 3000, &mut refs).unwrap();
    let sq = |y: &[f32]| y.iter().zip(&e[3000..]).map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2)).sum::<f64>();
    assert!(sq(&outs[3]) < 0.5 * sq(&compressed[3]), "{} vs {}", sq(&outs[3]), sq(&compressed[3]));
    // The constant keeps its spelling when names change format, and may serve several groups.
    let renamed = model.with_separator(':');
    assert_eq!(renamed.groups()[0].members[4], "=105.65837");
}

/// A tagger's default triple (the one that 117 of 403 jets of the PHYSLITE sample's evaluation
/// half carry) among continuous triples that sum to one.
const DEFAULT: [f32; 3] = [0.725_232_36, 0.066_087_216, 0.208_680_44];

/// `n` triples, every fifth the default, the others spread over the simplex.
fn tagger(n: usize, seed: u64) -> [Vec<f32>; 3] {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut cols = [vec![], vec![], vec![]];
    for i in 0..n {
        let t = if i % 5 == 0 {
            DEFAULT
        } else {
            let (a, b) = (0.6 * next(), 0.3 * next());
            [(1.0 - a - b) as f32, a as f32, b as f32]
        };
        cols.iter_mut().zip(t).for_each(|(c, v)| c.push(v));
    }
    cols
}

/// Only tuples seen `min_count` times become atoms; each carries the training rows behind its
/// compressed tuple that are not it, counted here by brute force.
#[test]
fn joint_atoms_are_the_repeated_tuples_with_their_neighbours_counted() {
    let s = Scheme::atlas(7).unwrap();
    let [mut pu, mut pc, mut pb] = tagger(1000, 1);
    // Three rows inside the default's compressed box that are not the default (the 1-D
    // neighbours of each member, one ulp away), and a tuple seen twice only.
    for (i, d) in [(1, [1i32, 0, 0]), (2, [0, -1, 0]), (3, [0, 0, 1])] {
        let shift = |v: f32, by: i32| f32::from_bits((v.to_bits() as i32 + by) as u32);
        (pu[i], pc[i], pb[i]) = (shift(DEFAULT[0], d[0]), shift(DEFAULT[1], d[1]), shift(DEFAULT[2], d[2]));
    }
    (pu[4], pc[4], pb[4]) = (0.5, 0.25, 0.25);
    (pu[6], pc[6], pb[6]) = (0.5, 0.25, 0.25);
    let mut g = Group::new(Relation::SumToOne, ["pu", "pc", "pb"]).unwrap();
    g.learn_atoms(&[(&pu, Some(&s)), (&pc, Some(&s)), (&pb, Some(&s))], 3).unwrap();
    assert_eq!(g.atoms.len(), 1, "{:?}", g.atoms);
    let a = &g.atoms[0];
    let seen = (0..pu.len()).filter(|&i| [pu[i], pc[i], pb[i]] == DEFAULT).count();
    let boxed = |i: usize| {
        [(pu[i], DEFAULT[0]), (pc[i], DEFAULT[1]), (pb[i], DEFAULT[2])]
            .iter()
            .all(|&(v, d)| s.compress(v).unwrap().to_bits() == s.compress(d).unwrap().to_bits())
    };
    let behind = (0..pu.len()).filter(|&i| boxed(i) && [pu[i], pc[i], pb[i]] != DEFAULT).count();
    assert_eq!((a.values.as_slice(), a.count, a.rest), (&DEFAULT[..], seen as f64, behind as f64));
    assert!(behind >= 3);
    assert!(g.learn_atoms(&[(&pu, Some(&s)), (&pc, Some(&s)), (&pb, Some(&s))], 2).is_ok());
    assert_eq!(g.atoms.len(), 2, "with min_count 2 the pair seen twice is one too");
}

/// The case: the sum-to-one posterior alone moves the default off its exact value; with
/// its joint atom (no other training row behind its compressed tuple) it comes back bit for bit
/// with every estimate, through the gate and the model file.
#[test]
fn a_default_triple_comes_back_exact() {
    let s = Scheme::atlas(7).unwrap();
    let (train, valid, test) = (tagger(1500, 2), tagger(1500, 3), tagger(600, 4));
    let names = ["t.pu", "t.pc", "t.pb"];
    let group = Group::new(Relation::SumToOne, names).unwrap();
    let columns: Vec<(&str, &[f32], &[f32])> =
        (0..3).map(|m| (names[m], train[m].as_slice(), valid[m].as_slice())).collect();
    let opts = FitOptions { force: Some(models::Method::Constraint), ..FitOptions::default() };
    let model = Model::fit_groups(s, &columns, &[], std::slice::from_ref(&group), opts).unwrap();
    assert_eq!(model.groups()[0].atoms.len(), 1);
    assert_eq!(model.groups()[0].atoms[0].rest, 0.0);
    let model = Model::from_json(&model.to_json().unwrap()).unwrap();
    let compressed: Vec<Vec<f32>> = test.iter().map(|c| compress(&s, c)).collect();
    let inputs: Vec<(&str, &[f32])> = (0..3).map(|m| (names[m], compressed[m].as_slice())).collect();
    // Without the atom: the relation's posterior over the whole box.
    let plain = run(&group, &s, &[0, 1, 2].map(|m| (compressed[m].clone(), true)), Estimate::Mean, Seed::default());
    for how in HOW {
        let mut outs = vec![vec![0f32; 600]; 3];
        let mut refs: Vec<&mut [f32]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
        model.upsample_table(&inputs, how, 7, 0, &mut refs).unwrap();
        let mut defaults = 0;
        for i in 0..600 {
            for m in 0..3 {
                let (lo, hi) = bounds(&s, compressed[m][i]);
                assert!((lo..=hi).contains(&f64::from(outs[m][i])), "{how:?} row {i}: outside");
            }
            if [test[0][i], test[1][i], test[2][i]] == DEFAULT {
                defaults += 1;
                let got = [outs[0][i], outs[1][i], outs[2][i]];
                assert_eq!(got.map(f32::to_bits), DEFAULT.map(f32::to_bits), "{how:?} row {i}");
            }
        }
        assert_eq!(defaults, 120);
    }
    let moved = (0..600).filter(|&i| i % 5 == 0 && plain[0][i] != DEFAULT[0]).count();
    assert!(moved > 100, "without the atom the relation moves the default ({moved} of 120)");
}

/// With other training rows behind the atom's compressed tuple, the atom is one part of the
/// posterior: the mean is the weighted mean of the atom and the relation's own mean, a draw
/// gives the atom about as often as its weight says, and an atom holding most of the weight is
/// the median.
#[test]
fn an_atom_with_neighbours_is_weighed_against_them() {
    let s = Scheme::atlas(7).unwrap();
    let mut g = Group::new(Relation::SumToOne, ["pu", "pc", "pb"]).unwrap();
    let plain = g.clone();
    g.atoms = vec![models::JointAtom { values: DEFAULT.to_vec(), count: 30.0, rest: 10.0 }];
    let rows = 4000;
    let cols: Vec<(Vec<f32>, bool)> = DEFAULT.iter().map(|&d| (vec![s.compress(d).unwrap(); rows], true)).collect();
    let seed = Seed { stream: 5, first_row: 0 };
    let cont = run(&plain, &s, &cols, Estimate::Mean, seed);
    let mean = run(&g, &s, &cols, Estimate::Mean, seed);
    for m in 0..3 {
        let expect = ((30.0 * f64::from(DEFAULT[m]) + 10.0 * f64::from(cont[m][0])) / 40.0) as f32;
        assert_eq!(mean[m][0].to_bits(), expect.to_bits(), "member {m}");
        assert_ne!(mean[m][0], DEFAULT[m]);
    }
    let median = run(&g, &s, &cols, Estimate::Median, seed);
    assert_eq!([median[0][0], median[1][0], median[2][0]], DEFAULT);
    let draws = run(&g, &s, &cols, Estimate::Sample, seed);
    let exact = (0..rows).filter(|&i| (0..3).all(|m| draws[m][i] == DEFAULT[m])).count();
    // Binomial(4000, 0.75): sd 27.
    assert!((exact as f64 - 3000.0).abs() < 150.0, "{exact} of {rows} draws are the atom");
    let again = run(&g, &s, &cols, Estimate::Sample, seed);
    assert_eq!(draws, again, "draws are seeded by position");
    for (col, drawn) in cols.iter().zip(&draws) {
        for (&c, &d) in col.0.iter().zip(drawn) {
            let (lo, hi) = bounds(&s, c);
            assert!((lo..=hi).contains(&f64::from(d)));
        }
    }
}
