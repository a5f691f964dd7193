//! The oracle against the data: inside every preimage, and no estimator does better than it.

use arrow_array::RecordBatch;
use float_bits::Scheme;
use models::batch::{compress_batch, float_values};
use models::{Estimate, FitOptions, Model};

fn col(b: &RecordBatch, name: &str) -> Vec<f32> {
    float_values(b.column_by_name(name).unwrap().as_ref()).unwrap()
}

fn sq(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum()
}

fn midpoints(scheme: &Scheme, c: &[f32]) -> Vec<f32> {
    let mut out = vec![0f32; c.len()];
    models::Prior::Uniform.upsample(scheme, c, Estimate::Mean, Default::default(), &mut out).unwrap();
    out
}

/// Per column: (name, oracle / compressed, oracle / midpoint) of the MSE.
fn ratios(k: u32, events: u64) -> Vec<(String, f64, f64)> {
    let scheme = Scheme::atlas(k).unwrap();
    let original = hep_toy::Toy::new(3).batch(0..events).unwrap();
    let (compressed, _) = compress_batch(&scheme, &original, &hep_toy::KEEP).unwrap();
    let oracle = hep_toy::oracle_mean(&scheme, &compressed, &hep_toy::KEEP).unwrap();
    let mut out = Vec::new();
    for field in original.schema().fields() {
        let name = field.name();
        let (x, c, o) = (col(&original, name), col(&compressed, name), col(&oracle, name));
        let kept = models::batch::is_kept(name, &hep_toy::KEEP);
        for (i, (&c, &o)) in c.iter().zip(&o).enumerate().filter(|_| !kept) {
            let p = quant_bounds::preimage(&scheme, c).unwrap();
            assert!(p.contains(o), "{name}[{i}]: {o} outside [{}, {}]", p.lo(), p.hi());
        }
        let base = sq(&c, &x);
        if base == 0.0 {
            assert_eq!(sq(&o, &x), 0.0, "{name}: the oracle moved exact values");
            continue;
        }
        let r = (name.clone(), sq(&o, &x) / base, sq(&o, &x) / sq(&midpoints(&scheme, &c), &x));
        println!("k={k} {:<72} oracle/compressed {:.4}  oracle/midpoint {:.4}", r.0, r.1, r.2);
        out.push(r);
    }
    out
}

#[test]
fn oracle_is_inside_and_never_worse() {
    for k in [7, 15] {
        let r = ratios(k, 40_000);
        for (name, vs_compressed, vs_mid) in &r {
            // The oracle is the minimum-MSE estimator: with ~10⁴–10⁵ values per column its
            // sample MSE may exceed another's only by noise.
            assert!(*vs_compressed < 1.01, "k={k} {name}: {vs_compressed}");
            assert!(*vs_mid < 1.01, "k={k} {name}: {vs_mid}");
        }
        let get = |n: &str| r.iter().find(|x| x.0 == n).unwrap().1;
        // Where the toy puts information: the energy relation and the isolation's link to pt.
        assert!(get("TruthElectronsAuxDyn.e") < 0.6, "{}", get("TruthElectronsAuxDyn.e"));
        assert!(get("BTagging_AntiKt4EMPFlowAuxDyn.GN2v00_pu") < 0.6);
        if k == 7 {
            assert!(get("AnalysisElectronsAuxDyn.topoetcone20") < 0.8);
        }
    }
}

#[test]
fn fitted_model_does_not_beat_the_oracle() {
    let scheme = Scheme::atlas(7).unwrap();
    let toy = hep_toy::Toy::new(11);
    let (train, valid, test) =
        (toy.batch(0..20_000).unwrap(), toy.batch(20_000..40_000).unwrap(), toy.batch(40_000..60_000).unwrap());
    let names: Vec<String> = hep_toy::schema().fields().iter().map(|f| f.name().clone()).collect();
    let fitted: Vec<String> = names.iter().filter(|n| !models::batch::is_kept(n, &hep_toy::KEEP)).cloned().collect();
    let data: Vec<(Vec<f32>, Vec<f32>)> = fitted.iter().map(|n| (col(&train, n), col(&valid, n))).collect();
    let columns: Vec<(&str, &[f32], &[f32])> =
        fitted.iter().zip(&data).map(|(n, d)| (n.as_str(), d.0.as_slice(), d.1.as_slice())).collect();
    // Kept columns with both splits: the context of the neural corrector.
    let kept_data: Vec<(String, Vec<f32>, Vec<f32>)> = names
        .iter()
        .filter(|n| models::batch::is_kept(n, &hep_toy::KEEP))
        .map(|n| (n.clone(), col(&train, n), col(&valid, n)))
        .collect();
    let kept: Vec<(&str, &[f32], &[f32])> =
        kept_data.iter().map(|(n, t, v)| (n.as_str(), t.as_slice(), v.as_slice())).collect();
    // The MLP families (the inpainting transformer is held to the oracle in models' own
    // tests, at a tenth of the cost of fitting it on every column here).
    let opts = FitOptions { neural: models::Kinds::MLP, ..FitOptions::default() };
    let model = Model::fit_groups(scheme, &columns, &kept, &hep_toy::groups(), opts).unwrap();
    let (compressed, _) = compress_batch(&scheme, &test, &hep_toy::KEEP).unwrap();
    let up = models::batch::Upsampler::new(&model, Estimate::Mean, 0).upsample(&compressed).unwrap();
    let oracle = hep_toy::oracle_mean(&scheme, &compressed, &hep_toy::KEEP).unwrap();
    for n in &fitted {
        let (x, c, u, o) = (col(&test, n), col(&compressed, n), col(&up, n), col(&oracle, n));
        let (base, model_err, oracle_err) = (sq(&c, &x), sq(&u, &x), sq(&o, &x));
        if base == 0.0 {
            continue;
        }
        println!(
            "{n:<72} {:<10} model/compressed {:.4}  oracle/compressed {:.4}",
            model.column(n).unwrap().choice_name(),
            model_err / base,
            oracle_err / base
        );
        assert!(oracle_err <= model_err * 1.01, "{n}: the model beat the oracle ({model_err} < {oracle_err})");
        assert!(model_err <= base * 1.05, "{n}: the gate let a worse prior through");
    }
}

/// The generator draws from the laws the oracle assumes: each column's sample mean matches its
/// law's mean within 5 standard errors.
#[test]
fn generator_follows_the_laws() {
    use hep_toy::{CONTAINERS, Density, Law};
    let batch = hep_toy::Toy::new(5).batch(0..50_000).unwrap();
    for c in &CONTAINERS {
        for &(var, law) in c.variables {
            let x = col(&batch, &c.column(var));
            let (mean, sd) = match law {
                Law::Set(v) => (v.iter().map(|&v| f64::from(v)).sum::<f64>() / v.len() as f64, 1.0),
                Law::Lattice { lo, step, n } => {
                    (lo + step * f64::from(n - 1) / 2.0, step * f64::from(n) / 12f64.sqrt())
                }
                Law::Continuous { atom, density } => {
                    let (m, s) = match density {
                        Density::Uniform { lo, hi } => ((lo + hi) / 2.0, (hi - lo) / 12f64.sqrt()),
                        Density::Exponential { start, scale } => (start + scale, scale),
                        Density::Square => (1.0 / 3.0, (1.0 / 5.0 - 1.0 / 9.0f64).sqrt()),
                        Density::Linear => (1.0 / 3.0, (1.0 / 18.0f64).sqrt()),
                        Density::Normal { sigma } => (0.0, sigma),
                        Density::Linked { context, slope, sigma } => {
                            let ctx = col(&batch, &c.column(context));
                            (
                                slope * ctx.iter().map(|&v| f64::from(v)).sum::<f64>() / ctx.len() as f64,
                                sigma + slope * 3e4,
                            )
                        }
                    };
                    match atom {
                        Some((a, p)) => (p * f64::from(a) + (1.0 - p) * m, s + (f64::from(a) - m).abs()),
                        None => (m, s),
                    }
                }
                Law::Relation => continue,
            };
            let got = x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64;
            let se = sd / (x.len() as f64).sqrt();
            assert!((got - mean).abs() < 5.0 * se, "{}.{var}: mean {got}, law {mean} ± {se}", c.prefix);
        }
    }
}

/// Compressed values the toy never produces (NaN, ±Inf, the largest float, a momentum beyond
/// ±10⁵) in plain and relation-group columns: the oracle neither panics nor leaves a preimage.
#[test]
fn odd_values_stay_inside_without_panicking() {
    let scheme = Scheme::atlas(7).unwrap();
    let (compressed, _) =
        compress_batch(&scheme, &hep_toy::Toy::new(9).batch(0..300).unwrap(), &hep_toy::KEEP).unwrap();
    let odd = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, 3.0e5, -2.5e5];
    let names = [
        "AnalysisJetsAuxDyn.Timing",
        "TruthElectronsAuxDyn.px",
        "TruthElectronsAuxDyn.e",
        "TruthMuonsAuxDyn.pz",
        "BTagging_AntiKt4EMPFlowAuxDyn.GN2v00_pu",
        "BTagging_AntiKt4EMPFlowAuxDyn.GN2v00_pb",
    ];
    let mut columns = compressed.columns().to_vec();
    for (n, name) in names.iter().enumerate() {
        let i = compressed.schema().index_of(name).unwrap();
        let mut v = col(&compressed, name);
        assert!(v.len() > odd.len() + n);
        // Shifted per column, so that a row holds several odd members at once and alone.
        let mut values = odd;
        scheme.compress_in_place(&mut values).unwrap();
        v[n..n + odd.len()].copy_from_slice(&values);
        columns[i] = models::batch::with_float_values(columns[i].as_ref(), &v).unwrap();
    }
    let damaged = RecordBatch::try_new(compressed.schema(), columns).unwrap();
    let oracle = hep_toy::oracle_mean(&scheme, &damaged, &hep_toy::KEEP).unwrap();
    for name in names {
        let (c, o) = (col(&damaged, name), col(&oracle, name));
        for (i, (&c, &o)) in c.iter().zip(&o).enumerate() {
            let p = quant_bounds::preimage(&scheme, c).unwrap();
            if c.is_nan() {
                assert!(o.is_nan(), "{name}[{i}]: {o} for NaN");
            } else {
                assert!(p.contains(o), "{name}[{i}]: {o} outside [{}, {}]", p.lo(), p.hi());
            }
        }
    }
}
