//! Distributional metrics: the numpy fixture, invariances and merge.

use metrics::{Edges, Histogram, Scale, js_divergence, kl_divergence, ks_two_sample, wasserstein1};
use proptest::prelude::*;

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    a == b || (a - b).abs() <= tol * a.abs().max(b.abs())
}

#[test]
fn agrees_with_the_numpy_fixture_to_1e12() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pointwise.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    let bits = |k: &str| -> Vec<f32> {
        v[k].as_array().expect("array").iter().map(|b| f32::from_bits(b.as_u64().expect("u32") as u32)).collect()
    };
    let (x, y) = (bits("x_bits"), bits("y_bits"));
    let e = &v["expected"]["distribution"];
    let f = |k: &str| e[k].as_f64().expect("number");
    for (scale, name) in [(Scale::Linear, "linear"), (Scale::Log10Abs, "log10")] {
        let edges = Edges::from_original(scale, &x, 100).unwrap();
        let (mut hx, mut hy) = (Histogram::new(edges.clone()), Histogram::new(edges));
        hx.add(&x);
        hy.add(&y);
        let kl = kl_divergence(&hx, &hy, 0.5).unwrap();
        let js = js_divergence(&hx, &hy).unwrap();
        assert!(rel_close(kl, f(&format!("kl_{name}")), 1e-12), "KL {name}: {kl:e} vs {:e}", f(&format!("kl_{name}")));
        assert!(rel_close(js, f(&format!("js_{name}")), 1e-12), "JS {name}: {js:e} vs {:e}", f(&format!("js_{name}")));
    }
    let w = wasserstein1(&x, &y).unwrap();
    assert!(rel_close(w, f("wasserstein1"), 1e-12), "W1 {w:e} vs {:e}", f("wasserstein1"));
    let ks = ks_two_sample(&x, &y).unwrap();
    assert!(rel_close(ks.statistic, f("ks_statistic"), 1e-12), "KS D {}", ks.statistic);
    assert!(rel_close(ks.p_value, f("ks_p_value"), 1e-12), "KS p {} vs {}", ks.p_value, f("ks_p_value"));
}

fn sample() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![4 => -100.0f64..100.0, 1 => (-5i32..5).prop_map(f64::from)], 1..120)
}

/// A naive KS statistic: the largest CDF gap over every value of either sample.
fn naive_ks(a: &[f64], b: &[f64]) -> f64 {
    let cdf = |s: &[f64], t: f64| s.iter().filter(|&&v| v <= t).count() as f64 / s.len() as f64;
    a.iter().chain(b).map(|&t| (cdf(a, t) - cdf(b, t)).abs()).fold(0.0, f64::max)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn invariances(a in sample(), b in sample(), alpha in 0.0f64..2.0) {
        let edges = Edges::uniform(Scale::Linear, -100.0, 100.0, 37).unwrap();
        let (mut ha, mut hb) = (Histogram::new(edges.clone()), Histogram::new(edges));
        ha.add(&a);
        hb.add(&b);
        prop_assert_eq!(kl_divergence(&ha, &ha, alpha).unwrap(), 0.0);
        prop_assert!(kl_divergence(&ha, &hb, alpha.max(1e-3)).unwrap() >= 0.0);
        let (jab, jba) = (js_divergence(&ha, &hb).unwrap(), js_divergence(&hb, &ha).unwrap());
        prop_assert!(rel_close(jab, jba, 1e-12) && jab <= 2f64.ln() + 1e-12);
        prop_assert_eq!(js_divergence(&ha, &ha).unwrap(), 0.0);
        let (wab, wba) = (wasserstein1(&a, &b).unwrap(), wasserstein1(&b, &a).unwrap());
        prop_assert!(rel_close(wab, wba, 1e-12), "{} {}", wab, wba);
        prop_assert_eq!(wasserstein1(&a, &a).unwrap(), 0.0);
        let ks = ks_two_sample(&a, &b).unwrap();
        prop_assert!(rel_close(ks.statistic, naive_ks(&a, &b), 1e-12));
        prop_assert!((0.0..=1.0).contains(&ks.p_value));
        prop_assert_eq!(ks_two_sample(&a, &a).unwrap().statistic, 0.0);
    }

    /// W1 of a shifted copy is the shift; the histogram of the parts merges to the whole.
    #[test]
    fn shift_and_merge(a in sample(), shift in -10.0f64..10.0, cut in 0usize..120) {
        let b: Vec<f64> = a.iter().map(|v| v + shift).collect();
        prop_assert!((wasserstein1(&a, &b).unwrap() - shift.abs()).abs() <= 1e-9 * (1.0 + shift.abs() + 100.0));
        let edges = Edges::uniform(Scale::Log10Abs, -2.0, 2.0, 16).unwrap();
        let cut = cut.min(a.len());
        let (mut whole, mut p, mut q) = (Histogram::new(edges.clone()), Histogram::new(edges.clone()), Histogram::new(edges));
        whole.add(&a);
        p.add(&a[..cut]);
        q.add(&a[cut..]);
        p.merge(&q).unwrap();
        prop_assert_eq!(p, whole);
    }
}

#[test]
fn bad_arguments_are_errors() {
    assert!(Edges::new(Scale::Linear, vec![0.0, f64::NAN]).is_err());
    assert!(Edges::from_original(Scale::Linear, &[1.0f32, 1.0], 10).is_err());
    assert!(wasserstein1::<f32>(&[], &[1.0]).is_err());
    assert!(ks_two_sample(&[f64::NAN], &[1.0]).is_err());
    let e1 = Edges::uniform(Scale::Linear, 0.0, 1.0, 2).unwrap();
    let e2 = Edges::uniform(Scale::Linear, 0.0, 1.0, 3).unwrap();
    let mut a = Histogram::new(e1);
    let b = Histogram::new(e2);
    assert!(a.merge(&b).is_err());
    assert!(kl_divergence(&a, &b, 0.5).is_err());
    assert!(kl_divergence(&a, &a, 0.5).is_err()); // empty
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// Edges chosen from the original hold every finite original value (on both scales).
    #[test]
    fn edges_from_the_original_hold_all_of_it(v in prop::collection::vec(prop_oneof![-1.0e30f64..1.0e30, -1.0f64..1.0, Just(0.0)], 2..60), n in 1usize..300) {
        for scale in [Scale::Linear, Scale::Log10Abs] {
            if let Ok(e) = Edges::from_original(scale, &v, n) {
                let mut h = Histogram::new(e);
                h.add(&v);
                prop_assert_eq!((h.underflow(), h.overflow()), (0, 0));
            }
        }
    }
}

#[test]
fn extreme_values_stay_finite_where_defined() {
    let a = [-f64::MAX, f64::MAX];
    assert_eq!(wasserstein1(&a, &a).unwrap(), 0.0);
    let mut s = metrics::Sum::default();
    s.add(1.0);
    s.add(f64::INFINITY);
    s.add(1.0);
    assert_eq!(s.value(), f64::INFINITY);
    let mut p = metrics::Pointwise::new();
    p.add(&[-1e308f64, 0.0], &[1e308, 1.0]).unwrap();
    assert_eq!(p.mse(), Some(f64::INFINITY));
    assert_eq!(p.mae(), Some(f64::INFINITY));
    assert!(Edges::uniform(Scale::Linear, -f64::MAX, f64::MAX, 4).is_ok());
    assert!(Edges::uniform(Scale::Linear, 0.0, 1.0, metrics::MAX_BINS + 1).is_err());
}
