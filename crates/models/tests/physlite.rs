//! The gate on the real PHYSLITE sample (380 float branches) split by event as the issue asks:
//! priors are fitted on events 0–24, the gate validates on events 25–49, and everything is
//! scored on events 50–99. `pt, eta, phi, m` stay at full precision (the ATLAS exemptions) and
//! relation groups are found by the default name rules.

use float_bits::Scheme;
use models::{Estimate, FitOptions, Model, Relation, Rule, detect_groups};

fn mse(a: &[f32], b: &[f32]) -> f64 {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| f64::from(*x) - f64::from(*y)).filter(|d| d.is_finite()).collect();
    d.iter().map(|d| d * d).sum::<f64>() / d.len().max(1) as f64
}

fn kept(name: &str) -> bool {
    matches!(name.rsplit('.').next(), Some("pt" | "eta" | "phi" | "m"))
}

#[test]
fn the_gate_on_physlite_stays_inside_and_does_not_lose_to_the_baseline() {
    let columns = hepfloat_testdata::physlite_floats().unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let groups = detect_groups(&names, &Rule::defaults());
    assert_eq!(
        groups.iter().filter(|g| g.relation == Relation::FourMomentum).count(),
        9,
        "truth four-momentum groups: {groups:?}"
    );
    assert_eq!(groups.iter().filter(|g| g.relation == Relation::SumToOne).count(), 4);
    fn split(c: &hepfloat_testdata::FloatColumn) -> (&str, &[f32], &[f32]) {
        (c.name.as_str(), c.events(0..25), c.events(25..50))
    }
    let fit: Vec<_> = columns.iter().filter(|c| !kept(&c.name)).map(split).collect();
    let context: Vec<_> = columns.iter().filter(|c| kept(&c.name)).map(split).collect();
    for k in [7, 15] {
        let scheme = Scheme::atlas(k).unwrap();
        let model = Model::fit_groups(scheme, &fit, &context, &groups, FitOptions::default()).unwrap();
        let eval: Vec<(&str, &[f32])> = columns.iter().map(|c| (c.name.as_str(), c.events(50..100))).collect();
        let compressed: Vec<Vec<f32>> = eval
            .iter()
            .map(|&(name, v)| {
                let mut v = v.to_vec();
                if !kept(name) {
                    scheme.compress_in_place(&mut v).unwrap();
                }
                v
            })
            .collect();
        let mut outs: Vec<Vec<f32>> = compressed.iter().map(|c| vec![0f32; c.len()]).collect();
        let inputs: Vec<(&str, &[f32])> = eval.iter().zip(&compressed).map(|(e, c)| (e.0, c.as_slice())).collect();
        let mut out_refs: Vec<&mut [f32]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
        model.upsample_table(&inputs, Estimate::Mean, 0, 0, &mut out_refs).unwrap();

        // The GN2 default triple (a jet the tagger did not evaluate) repeats in the training
        // events: a joint atom of its group, so every evaluation jet carrying it comes back exact.
        let gn2 = ["pu", "pc", "pb"].map(|p| format!("BTagging_AntiKt4EMPFlowAuxDyn.GN2v00_{p}"));
        let at = gn2.clone().map(|n| eval.iter().position(|e| e.0 == n).unwrap());
        let group = model.groups().iter().find(|g| g.members == gn2).expect("the GN2v00 group is used");
        let default = [0.725_232_36f32, 0.066_087_216, 0.208_680_44];
        assert!(group.atoms.iter().any(|a| a.values == default), "k = {k}: {:?}", group.atoms);
        let rows = (0..eval[at[0]].1.len()).filter(|&i| at.map(|j| eval[j].1[i]) == default);
        let back = rows.clone().filter(|&i| at.map(|j| outs[j][i].to_bits()) == default.map(f32::to_bits)).count();
        eprintln!("k = {k}: GN2v00 default triples {} of 403 jets, {back} back exact", rows.clone().count());
        assert!(rows.clone().count() >= 100 && back == rows.count(), "k = {k}: {back} back exact");

        let (mut ratios, mut worse, mut truth, mut tagger, mut chosen) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), std::collections::BTreeMap::new());
        for ((&(name, original), comp), out) in eval.iter().zip(&compressed).zip(&outs) {
            if kept(name) {
                assert_eq!(out, comp, "{name} is kept at full precision and must pass through");
                continue;
            }
            let mut lo = vec![0f32; comp.len()];
            let mut hi = vec![0f32; comp.len()];
            quant_bounds::preimages(&scheme, comp, &mut lo, &mut hi).unwrap();
            for i in 0..out.len() {
                let iv = quant_bounds::Interval::new(lo[i], hi[i]).unwrap();
                assert!(iv.contains(out[i]), "{name}: {} outside the preimage of {}", out[i], comp[i]);
            }
            let Some(col) = model.column(name) else { continue };
            *chosen.entry(col.choice_name()).or_insert(0) += 1;
            let base = mse(original, comp);
            if base > 0.0 {
                let r = mse(original, out) / base;
                ratios.push(r);
                if r > 1.05 {
                    worse.push((name.to_string(), r));
                }
                let is_truth = groups
                    .iter()
                    .any(|g| g.relation == Relation::FourMomentum && g.members[..4].iter().any(|m| m == name));
                if groups.iter().any(|g| g.relation == Relation::SumToOne && g.members.iter().any(|m| m == name)) {
                    eprintln!("  {name:60} {r:.4} {}", col.choice_name());
                    tagger.push(r);
                }
                if is_truth {
                    truth.push((name.to_string(), r, col.choice_name()));
                }
            }
        }
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        let truth_mean = truth.iter().map(|t| t.1).sum::<f64>() / truth.len() as f64;
        eprintln!(
            "k = {k}: {} columns, chosen {chosen:?}, mean MSE ratio {mean:.4}, truth px/py/pz/e mean {truth_mean:.4}, \
             above 1.05: {worse:?}",
            ratios.len()
        );
        for t in &truth {
            eprintln!("  {:50} {:.4} {}", t.0, t.1, t.2);
        }
        assert!(mean < 1.0, "k = {k}: the mean ratio over columns is {mean}");
        // The relations carry real information: the tagger triples gain most (the widest
        // member is pinned by the sum), the truth four-momenta where validation can show it.
        let tagger_mean = tagger.iter().sum::<f64>() / tagger.len() as f64;
        eprintln!("k = {k}: tagger probabilities mean {tagger_mean:.4}");
        assert!(tagger_mean < 0.8, "k = {k}: tagger mean ratio {tagger_mean}");
        assert!(truth_mean < 1.0, "k = {k}: truth mean ratio {truth_mean}");
        assert!(chosen.get("constraint").copied().unwrap_or(0) >= 10, "k = {k}: {chosen:?}");
        assert!(worse.is_empty(), "k = {k}: columns worse than the baseline by more than 5 %: {worse:?}");
    }
}

/// The RNTuple sample names its columns `Container:var`: the exemptions, the relation rules and
/// the container of a column read them as they read the TTree's `Container.var`.
#[test]
fn rntuple_names_mean_what_tree_names_mean() {
    let path = hepfloat_testdata::data_file(hepfloat_testdata::RNTUPLE_FLOATS).unwrap_or_else(|e| panic!("{e}"));
    let columns = hepfloat_testdata::read_float_columns(&path).unwrap();
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    assert!(names.iter().all(|n| n.contains(':') && !n.contains('.')), "RNTuple field names");
    let as_tree: Vec<String> = names.iter().map(|n| models::names::with_separator(n, '.')).collect();
    let as_tree: Vec<&str> = as_tree.iter().map(String::as_str).collect();

    let keep = ["pt", "eta", "phi", "m"];
    let kept: Vec<bool> = names.iter().map(|n| models::batch::is_kept(n, &keep)).collect();
    let kept_tree: Vec<bool> = as_tree.iter().map(|n| models::batch::is_kept(n, &keep)).collect();
    assert_eq!(kept, kept_tree);
    assert!(kept.iter().filter(|k| **k).count() >= 20, "every container's pt, eta, phi, m are kept");
    assert!(models::batch::is_kept("AnalysisJetsAuxDyn:pt", &keep));
    assert!(!models::batch::is_kept("AnalysisJetsAuxDyn:JetConstitScaleMomentum_pt", &keep));

    let groups = detect_groups(&names, &Rule::defaults());
    let tree_groups = detect_groups(&as_tree, &Rule::defaults());
    assert_eq!(groups.len(), tree_groups.len());
    for (g, t) in groups.iter().zip(&tree_groups) {
        let mapped: Vec<String> = g.members.iter().map(|m| models::names::with_separator(m, '.')).collect();
        assert_eq!(mapped, t.members);
    }
    assert!(groups.iter().any(|g| g.relation == Relation::FourMomentum), "{groups:?}");
    for n in &names {
        assert_eq!(models::names::container(n), models::names::container(&models::names::with_separator(n, '.')));
    }
}

/// The groups the default rules find must hold on the data before they are used: on both
/// samples every one does within float rounding, but for two that miss by a little more (a
/// tagger whose three outputs sum to 0.9997–0.9999, muons whose `m` is the PDG mass while `e`
/// was computed with another: numpy on the reference decodes shows the same); GN2v01's four
/// outputs form one group, and its first three alone — what a three-output rule would build —
/// miss by far more than any tolerance allows.
#[test]
fn rule_groups_hold_on_both_samples_and_three_of_four_outputs_do_not() {
    use models::{Agreement, Group};
    let tree = hepfloat_testdata::physlite_floats().unwrap_or_else(|e| panic!("{e}"));
    let path = hepfloat_testdata::data_file(hepfloat_testdata::RNTUPLE_FLOATS).unwrap_or_else(|e| panic!("{e}"));
    let rntuple = hepfloat_testdata::read_float_columns(&path).unwrap();
    let agreement = |columns: &[hepfloat_testdata::FloatColumn], g: &Group, scheme: Option<&Scheme>| -> Agreement {
        let cols: Vec<(&[f32], Option<&Scheme>)> =
            g.members.iter().map(|m| (columns.iter().find(|c| &c.name == m).unwrap().events(0..100), scheme)).collect();
        g.agreement(&cols).unwrap()
    };
    let wider = [vec!["BTagging_AntiKtVR30Rmax4Rmin02TrackAuxDyn.DL1dv01_pu"], vec!["TruthMuonsAuxDyn:px"]];
    for (columns, expected_wider) in [&tree, &rntuple].into_iter().zip(wider) {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let mut found_wider = Vec::new();
        for mut g in detect_groups(&names, &Rule::defaults()) {
            let a = agreement(columns, &g, None);
            if a.rows == 0 {
                // An empty container (no forward protons in these events): nothing to test the
                // relation on, so it is not used.
                assert!(!a.holds());
                continue;
            }
            if !a.holds() {
                assert!(a.miss <= Agreement::MAX_MISS && a.miss > g.tolerance, "{g:?}: {a:?}");
                found_wider.push(g.members[0].clone());
                g = g.with_tolerance(a.miss).unwrap();
                assert!(agreement(columns, &g, None).holds());
            }
            // Compressed values keep the relation inside their preimages.
            let compressed: Vec<hepfloat_testdata::FloatColumn> = columns
                .iter()
                .filter(|c| g.members.contains(&c.name))
                .map(|c| {
                    let mut c = c.clone();
                    Scheme::atlas(7).unwrap().compress_in_place(&mut c.values).unwrap();
                    c
                })
                .collect();
            let a = agreement(&compressed, &g, Some(&Scheme::atlas(7).unwrap()));
            assert!(a.holds(), "{g:?} compressed: {a:?}");
        }
        assert_eq!(found_wider, expected_wider);
    }
    let names: Vec<&str> = rntuple.iter().map(|c| c.name.as_str()).collect();
    let groups = detect_groups(&names, &Rule::defaults());
    let gn2v01: Vec<&Group> = groups.iter().filter(|g| g.members[0].contains("GN2v01")).collect();
    assert!(!gn2v01.is_empty(), "{groups:?}");
    for g in gn2v01 {
        assert_eq!(g.members.len(), 4, "{g:?}");
        assert!(g.members[3].ends_with("_ptau"));
        let three = Group::new(Relation::SumToOne, g.members[..3].to_vec()).unwrap();
        let a = agreement(&rntuple, &three, None);
        assert!(!a.holds() && a.miss > Agreement::MAX_MISS, "{three:?}: {a:?}");
    }
}

/// The RNTuple sample (other events, a newer tagger): GN2v01's four outputs repeat two whole
/// tuples (63 and 52 of 881 jets). Fitted on the first half, the group's joint atoms bring every
/// jet of the second half that carries one of them back bit for bit, at every precision.
#[test]
fn repeated_gn2v01_tuples_come_back_exact_on_the_rntuple_sample() {
    use models::Group;
    let path = hepfloat_testdata::data_file(hepfloat_testdata::RNTUPLE_FLOATS).unwrap_or_else(|e| panic!("{e}"));
    let columns = hepfloat_testdata::read_float_columns(&path).unwrap();
    let names = ["pu", "pc", "pb", "ptau"].map(|p| format!("BTagging_AntiKt4EMPFlowAuxDyn:GN2v01_{p}"));
    let col = |n: &str| columns.iter().find(|c| c.name == n).unwrap();
    let fit: Vec<(&str, &[f32], &[f32])> =
        names.iter().map(|n| (n.as_str(), col(n).events(0..25), col(n).events(25..50))).collect();
    let group = Group::new(Relation::SumToOne, names.clone()).unwrap().with_tolerance(1e-6).unwrap();
    for k in [7, 10, 15] {
        let scheme = Scheme::atlas(k).unwrap();
        let opts = FitOptions { force: Some(models::Method::Constraint), ..FitOptions::default() };
        let model = Model::fit_groups(scheme, &fit, &[], std::slice::from_ref(&group), opts).unwrap();
        let atoms = &model.groups()[0].atoms;
        assert!(atoms.len() >= 2 && atoms.iter().all(|a| a.rest == 0.0), "k = {k}: {atoms:?}");
        let eval: Vec<&[f32]> = names.iter().map(|n| col(n).events(50..100)).collect();
        let compressed: Vec<Vec<f32>> = eval
            .iter()
            .map(|c| {
                let mut v = c.to_vec();
                scheme.compress_in_place(&mut v).unwrap();
                v
            })
            .collect();
        let inputs: Vec<(&str, &[f32])> =
            names.iter().map(String::as_str).zip(compressed.iter().map(Vec::as_slice)).collect();
        let mut outs = vec![vec![0f32; eval[0].len()]; 4];
        let mut refs: Vec<&mut [f32]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
        model.upsample_table(&inputs, Estimate::Mean, 0, 0, &mut refs).unwrap();
        let tuple = |c: &[&[f32]], i: usize| c.iter().map(|c| c[i].to_bits()).collect::<Vec<u32>>();
        let is_atom = |i: usize| {
            atoms.iter().any(|a| a.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>() == tuple(&eval, i))
        };
        let rows: Vec<usize> = (0..eval[0].len()).filter(|&i| is_atom(i)).collect();
        let outs: Vec<&[f32]> = outs.iter().map(Vec::as_slice).collect();
        let back = rows.iter().filter(|&&i| tuple(&outs, i) == tuple(&eval, i)).count();
        // The relation alone, without the atoms.
        let mut plain = model.groups()[0].clone();
        plain.atoms.clear();
        let mut alone = compressed.clone();
        let mut refs: Vec<&mut [f32]> = alone.iter_mut().map(|o| o.as_mut_slice()).collect();
        let cols: Vec<(&[f32], Option<&Scheme>)> = compressed.iter().map(|c| (c.as_slice(), Some(&scheme))).collect();
        plain.upsample(&cols, Estimate::Mean, models::Seed::default(), &mut refs).unwrap();
        let alone: Vec<&[f32]> = alone.iter().map(Vec::as_slice).collect();
        let without = rows.iter().filter(|&&i| tuple(&alone, i) == tuple(&eval, i)).count();
        eprintln!(
            "k = {k}: {} atoms; {} of {} jets carry one, {back} back exact ({without} without the atoms)",
            atoms.len(),
            rows.len(),
            eval[0].len()
        );
        assert!(rows.len() >= 40 && back == rows.len(), "k = {k}: {back} of {}", rows.len());
        assert!(without < rows.len() / 2, "k = {k}: the relation alone brought {without} back");
    }
}
