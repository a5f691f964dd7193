//! The gate on the real PHYSLITE sample (380 float branches, lists flattened in file order):
//! fit on the first quarter of each column, validate on the second, evaluate on the second half.

use float_bits::Scheme;
use models::{Estimate, FitOptions, Model};

fn mse(a: &[f32], b: &[f32]) -> f64 {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| f64::from(*x) - f64::from(*y)).filter(|d| d.is_finite()).collect();
    d.iter().map(|d| d * d).sum::<f64>() / d.len().max(1) as f64
}

#[test]
fn the_gate_on_physlite_stays_inside_and_does_not_lose_to_the_baseline() {
    let columns = hepfloat_testdata::physlite_floats().unwrap_or_else(|e| panic!("{e}"));
    for k in [7, 15] {
        let scheme = Scheme::atlas(k).unwrap();
        let usable: Vec<_> = columns.iter().filter(|c| c.values.len() >= 8).collect();
        let splits: Vec<_> = usable
            .iter()
            .map(|c| {
                let n = c.values.len();
                (c.name.as_str(), &c.values[..n / 4], &c.values[n / 4..n / 2])
            })
            .collect();
        let model = Model::fit(&scheme, &splits, FitOptions::default()).unwrap();
        let (mut ratios, mut worse, mut chosen) = (Vec::new(), Vec::new(), std::collections::BTreeMap::new());
        for c in &usable {
            let eval = &c.values[c.values.len() / 2..];
            let mut comp = eval.to_vec();
            scheme.compress_in_place(&mut comp).unwrap();
            let mut out = vec![0f32; comp.len()];
            model.upsample(&c.name, &comp, Estimate::Mean, 0, &mut out).unwrap();
            let mut lo = vec![0f32; comp.len()];
            let mut hi = vec![0f32; comp.len()];
            quant_bounds::preimages(&scheme, &comp, &mut lo, &mut hi).unwrap();
            for i in 0..out.len() {
                let iv = quant_bounds::Interval::new(lo[i], hi[i]).unwrap();
                assert!(iv.contains(out[i]), "{}: {} outside the preimage of {}", c.name, out[i], comp[i]);
            }
            *chosen.entry(model.column(&c.name).unwrap().prior.name()).or_insert(0) += 1;
            let base = mse(eval, &comp);
            if base > 0.0 {
                let r = mse(eval, &out) / base;
                ratios.push(r);
                if r > 1.05 {
                    worse.push((c.name.clone(), r));
                }
            }
        }
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        eprintln!(
            "k = {k}: {} columns, chosen {chosen:?}, mean MSE ratio {mean:.4}, above 1.05: {worse:?}",
            ratios.len()
        );
        assert!(mean < 1.0, "k = {k}: the mean ratio over columns is {mean}");
        assert!(worse.is_empty(), "k = {k}: columns worse than the baseline by more than 5 %: {worse:?}");
    }
}
