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
