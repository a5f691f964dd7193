//! The quick estimate of what can be recovered, against the exact oracle (numerical posterior
//! means of a known law) and against cases whose answer is known by construction.

use float_bits::Scheme;
use models::recover::{MIN_RECOVERABLE, estimate};
use models::{Column, FitRequest, Model};

mod common;
use common::{objects, oracle, sq};

/// The oracle's MSE ratio (to the compressed values) on `x` = slope·pt + N(0, sigma²).
fn oracle_ratio(s: &Scheme, pt: &[f32], x: &[f32], slope: f64, sigma: f64) -> f64 {
    let mut c = x.to_vec();
    s.compress_in_place(&mut c).unwrap();
    let best: Vec<f32> = c
        .iter()
        .zip(pt)
        .map(|(c, p)| {
            let pre = quant_bounds::preimage(s, *c).unwrap();
            oracle(pre.lo(), pre.hi(), slope * f64::from(*p), sigma) as f32
        })
        .collect();
    sq(&best, x) / sq(&c, x)
}

/// Where the context carries information, the estimate lands near what the Bayes-optimal
/// posterior mean reaches (a binned fit on 30 000 values: within 0.06), and the compressed value
/// alone recovers nothing (the law is smooth over each interval).
#[test]
fn the_estimate_is_near_the_oracle_where_the_context_informs() {
    let s = Scheme::atlas(7).unwrap();
    for (slope, sigma) in [(0.02, 5.0), (0.02, 2.0), (0.02, 20.0)] {
        let (pt, x) = objects(30_000, 5, slope, sigma);
        let r = estimate(&s, &x, &[&pt]).unwrap().unwrap();
        let limit = oracle_ratio(&s, &pt, &x, slope, sigma);
        let with = r.with_context.unwrap();
        println!("sigma {sigma}: estimate alone {:.4}, with context {with:.4}; oracle {limit:.4}", r.alone);
        assert!((with - limit).abs() < 0.06, "sigma {sigma}: estimate {with} vs oracle {limit}");
        assert!(r.alone > 0.95, "sigma {sigma}: alone {}", r.alone);
        assert_eq!(r.values, 30_000);
    }
}

/// Without information, nothing is promised: both ratios stay near 1.
#[test]
fn nothing_to_recover_is_estimated_as_nothing() {
    let s = Scheme::atlas(7).unwrap();
    let (pt, x) = objects(30_000, 9, 0.0, 0.0);
    let r = estimate(&s, &x, &[&pt]).unwrap().unwrap();
    println!("{r:?}");
    assert!(r.alone > 0.97 && r.with_context.unwrap() > 0.97, "{r:?}");
}

/// Originals that all sit in the lowest tenth of their interval: the compressed value alone
/// tells where (by construction the best constant position is about 0.05, the compressed value
/// sits near 0.5), and the estimate says so.
#[test]
fn a_position_fixed_by_the_values_alone_is_found_without_context() {
    let s = Scheme::atlas(7).unwrap();
    let x: Vec<f32> = (0..20_000)
        .map(|i| {
            let c = 100.0 + 0.75 * i as f32;
            let p = quant_bounds::preimage(&s, s.compress(c).unwrap()).unwrap();
            let u = 0.1 * (i as f32 * 0.618_034).fract();
            p.lo() + u * (p.hi() - p.lo())
        })
        .collect();
    let r = estimate(&s, &x, &[]).unwrap().unwrap();
    println!("{r:?}");
    assert_eq!(r.with_context, None);
    assert!(r.alone < 0.05, "{r:?}");
}

#[test]
fn too_few_or_only_exact_values_give_no_estimate_and_misaligned_context_is_an_error() {
    let s = Scheme::atlas(7).unwrap();
    let (pt, x) = objects(MIN_RECOVERABLE - 1, 3, 0.02, 5.0);
    assert_eq!(estimate(&s, &x, &[&pt]).unwrap(), None);
    let exact: Vec<f32> = (0..5000).map(|i| (i % 50) as f32).collect(); // small integers: exact at k = 7
    assert_eq!(estimate(&s, &exact, &[]).unwrap(), None);
    assert!(matches!(estimate(&s, &x, &[&pt[1..]]), Err(models::Error::LengthMismatch { .. })));
}

/// The gate records the estimate of every column with training originals, with the context its
/// networks would see, and the model file keeps it.
#[test]
fn the_gate_records_the_estimate_and_the_file_keeps_it() {
    let s = Scheme::atlas(7).unwrap();
    let (pt, x) = objects(20_000, 13, 0.02, 5.0);
    let request = FitRequest {
        columns: vec![Column::new("el.iso", &x[..10_000], &x[10_000..])],
        kept: vec![Column::new("el.pt", &pt[..10_000], &pt[10_000..])],
        ..FitRequest::new(s)
    };
    let model = Model::fit_request(&request).unwrap();
    let r = model.column("el.iso").unwrap().recoverable.unwrap();
    assert_eq!(Some(r), estimate(&s, &x[..10_000], &[&pt[..10_000]]).unwrap());
    assert!(r.with_context.unwrap() < 0.8, "{r:?}");
    let back = Model::from_json(&model.to_json().unwrap()).unwrap();
    assert_eq!(back.column("el.iso").unwrap().recoverable, Some(r));
    // A damaged estimate is refused, naming the field.
    let json = model
        .to_json()
        .unwrap()
        .replace(&format!("\"alone\":{}", serde_json::to_string(&r.alone).unwrap()), "\"alone\":-1.0");
    let err = Model::from_json(&json).unwrap_err().to_string();
    assert!(err.contains("recoverable.alone"), "{err}");
}

/// On a sample as small as the PHYSLITE one (400 values), a field that a kept twin fixes to a
/// small fraction of its interval (a jet's constituent-scale phi beside its phi) is found, and
/// the compressed value alone promises nothing.
#[test]
fn a_near_exact_relation_is_found_in_a_small_sample() {
    let s = Scheme::atlas(7).unwrap();
    let phi: Vec<f32> = (0..400).map(|i| -3.1 + 6.2 * (i as f32 * 0.618_034).fract()).collect();
    let x: Vec<f32> =
        phi.iter().enumerate().map(|(i, p)| p * (1.0 + 1e-4 * ((i as f32 * 0.754_877).fract() - 0.5))).collect();
    let r = estimate(&s, &x, &[&phi]).unwrap().unwrap();
    println!("{r:?}");
    assert!(r.with_context.unwrap() < 0.2 && r.alone > 0.8, "{r:?}");
    // The same at a millionth of the scale (weights of width², tiny here) and a million times it.
    for scale in [1e-6f32, 1e6] {
        let (x, phi): (Vec<f32>, Vec<f32>) = x.iter().zip(&phi).map(|(x, p)| (x * scale, p * scale)).unzip();
        let scaled = estimate(&s, &x, &[&phi]).unwrap().unwrap();
        assert!(scaled.with_context.unwrap() < 0.2, "scale {scale}: {scaled:?}");
    }
}
