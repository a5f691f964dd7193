//! Pointwise metrics: an independent numpy reference, merge properties, invariances, and
//! agreement with a naive two-pass computation.

use float_bits::Backend;
use metrics::{Coverage, Pointwise};
use proptest::prelude::*;

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    a == b || (a - b).abs() <= tol * a.abs().max(b.abs())
}

#[test]
fn agrees_with_the_numpy_fixture_to_1e12() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pointwise.json");
    let text = std::fs::read_to_string(path).expect("fixture present");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let bits = |k: &str| -> Vec<f32> {
        v[k].as_array().expect("array").iter().map(|b| f32::from_bits(b.as_u64().expect("u32") as u32)).collect()
    };
    let (x, y) = (bits("x_bits"), bits("y_bits"));
    let e = &v["expected"];
    let f = |k: &str| e[k].as_f64().expect("number");
    let u = |k: &str| e[k].as_u64().expect("count");
    // Two chunks merged, to exercise the streaming path too.
    let (mut p, mut q) = (Pointwise::new(), Pointwise::new());
    p.add(&x[..1234], &y[..1234]).unwrap();
    q.add(&x[1234..], &y[1234..]).unwrap();
    p.merge(&q);
    assert_eq!(p.used(), u("used"));
    assert_eq!(p.non_finite(), u("non_finite"));
    assert_eq!(p.log_excluded(), u("log_excluded"));
    assert_eq!(p.sign_flips(), u("sign_flips"));
    assert_eq!(p.exact(), u("exact"));
    for (name, ours) in [
        ("mse", p.mse()),
        ("rmse", p.rmse()),
        ("mae", p.mae()),
        ("max_abs", p.max_abs()),
        ("relative_mse", p.relative_mse()),
        ("log_mse", p.log_mse()),
        ("effective_bits_mean", p.effective_bits_mean()),
    ] {
        let ours = ours.expect("defined");
        assert!(rel_close(ours, f(name), 1e-12), "{name}: ours {ours:e}, numpy {:e}", f(name));
    }
    // The median comes from a 1/64-bit histogram.
    let m = p.effective_bits_median().unwrap();
    assert!((m - f("effective_bits_median")).abs() <= 1.0 / 64.0, "median {m} vs {}", f("effective_bits_median"));
}

/// The plain two-pass reference: collect the used pairs, then average.
fn naive(x: &[f64], y: &[f64]) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    let pairs: Vec<(f64, f64)> =
        x.iter().zip(y).map(|(&a, &b)| (a, b)).filter(|(a, b)| a.is_finite() && b.is_finite()).collect();
    let mean = |v: Vec<f64>| if v.is_empty() { None } else { Some(v.iter().sum::<f64>() / v.len() as f64) };
    let mse = mean(pairs.iter().map(|(a, b)| (b - a) * (b - a)).collect());
    let mae = mean(pairs.iter().map(|(a, b)| (b - a).abs()).collect());
    let rel = mean(pairs.iter().filter(|(a, _)| *a != 0.0).map(|(a, b)| ((b - a) / a).powi(2)).collect());
    let log = mean(
        pairs
            .iter()
            .filter(|(a, b)| *a != 0.0 && *b != 0.0)
            .map(|(a, b)| (b.abs().log10() - a.abs().log10()).powi(2))
            .collect(),
    );
    (mse, mae, rel, log)
}

fn values() -> impl Strategy<Value = Vec<(f64, f64)>> {
    let v = prop_oneof![
        6 => -1.0e6f64..1.0e6,
        1 => Just(0.0f64),
        1 => (-5i32..5).prop_map(f64::from),
        1 => prop_oneof![Just(f64::NAN), Just(f64::INFINITY)],
    ];
    prop::collection::vec((v.clone(), v), 0..200)
}

fn close_opt(a: Option<f64>, b: Option<f64>, tol: f64) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => rel_close(a, b, tol) || (a - b).abs() < 1e-300,
        (None, None) => true,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn matches_the_naive_two_pass_reference(pairs in values()) {
        let (x, y): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        let mut p = Pointwise::new();
        p.add(&x, &y).unwrap();
        let (mse, mae, rel, log) = naive(&x, &y);
        prop_assert!(close_opt(p.mse(), mse, 1e-9), "{:?} {:?}", p.mse(), mse);
        prop_assert!(close_opt(p.mae(), mae, 1e-9));
        prop_assert!(close_opt(p.relative_mse(), rel, 1e-9));
        // The naive log difference loses digits when the values are close: compare absolutely.
        let log_ok = match (p.log_mse(), log) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.max(1e-12),
            (None, None) => true,
            _ => false,
        };
        prop_assert!(log_ok, "{:?} {:?}", p.log_mse(), log);
    }

    /// Splitting at any two points and merging in either grouping gives the same accumulator.
    #[test]
    fn merge_is_associative_and_matches_the_whole(pairs in values(), i in 0usize..200, j in 0usize..200) {
        let (x, y): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        let n = x.len();
        let (i, j) = (i.min(n).min(j.min(n)), i.min(n).max(j.min(n)));
        let part = |a: usize, b: usize| { let mut p = Pointwise::new(); p.add(&x[a..b], &y[a..b]).unwrap(); p };
        let mut whole = Pointwise::new();
        whole.add(&x, &y).unwrap();
        let (a, b, c) = (part(0, i), part(i, j), part(j, n));
        let mut left = a.clone();
        left.merge(&b);
        left.merge(&c);
        let mut bc = b.clone();
        bc.merge(&c);
        let mut right = a.clone();
        right.merge(&bc);
        for acc in [&left, &right] {
            prop_assert_eq!((acc.used(), acc.non_finite(), acc.exact(), acc.sign_flips(), acc.log_excluded()),
                            (whole.used(), whole.non_finite(), whole.exact(), whole.sign_flips(), whole.log_excluded()));
            prop_assert!(close_opt(acc.mse(), whole.mse(), 1e-14));
            prop_assert!(close_opt(acc.mae(), whole.mae(), 1e-14));
            prop_assert!(close_opt(acc.log_mse(), whole.log_mse(), 1e-14));
            prop_assert!(close_opt(acc.effective_bits_mean(), whole.effective_bits_mean(), 1e-14));
            prop_assert_eq!(acc.max_abs(), whole.max_abs());
            prop_assert_eq!(acc.effective_bits_median(), whole.effective_bits_median());
        }
    }

    /// Identical inputs: every error is zero, every pair exact.
    #[test]
    fn identical_inputs_have_zero_error(pairs in values()) {
        let x: Vec<f32> = pairs.iter().map(|p| p.0 as f32).collect();
        let mut p = Pointwise::new();
        p.add(&x, &x).unwrap();
        if p.used() > 0 {
            prop_assert_eq!((p.mse(), p.mae(), p.max_abs()), (Some(0.0), Some(0.0), Some(0.0)));
            prop_assert_eq!(p.exact(), p.used());
            prop_assert_eq!(p.effective_bits_mean(), None);
            prop_assert_eq!(p.sign_flips(), 0);
        }
    }
}

#[test]
fn coverage_uses_total_order() {
    let mut c = Coverage::default();
    c.add(&[-0.0f32, 0.0, f32::NAN], &[0.0, -0.0, 0.0], &[1.0, 0.0, 1.0]).unwrap();
    assert_eq!((c.inside(), c.total()), (1, 3));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The vectorised block kernel (blocks of 1024 pairs) agrees with the pair-at-a-time path.
    #[test]
    fn block_kernel_matches_the_scalar_path(pairs in prop::collection::vec((values_one(), values_one()), 1024..3100)) {
        let (x, y): (Vec<f32>, Vec<f32>) = pairs.into_iter().unzip();
        let mut scalar = Pointwise::new();
        for (cx, cy) in x.chunks(100).zip(y.chunks(100)) {
            scalar.add(cx, cy).unwrap();
        }
        // Every back-end's block kernel gives the same bits as the portable one.
        let mut portable = Pointwise::with_backend(Backend::Scalar).unwrap();
        portable.add(&x, &y).unwrap();
        for backend in Backend::available() {
            let mut forced = Pointwise::with_backend(backend).unwrap();
            forced.add(&x, &y).unwrap();
            let bits = |p: &Pointwise| [p.mse(), p.mae(), p.relative_mse(), p.log_mse(), p.effective_bits_mean(), p.max_abs()]
                .map(|v| v.map(f64::to_bits));
            prop_assert_eq!(bits(&forced), bits(&portable), "{:?}", backend);
            prop_assert_eq!(forced.effective_bits_median(), portable.effective_bits_median());
        }
        let blocked = portable;
        prop_assert_eq!((blocked.used(), blocked.non_finite(), blocked.exact(), blocked.sign_flips(), blocked.log_excluded()),
                        (scalar.used(), scalar.non_finite(), scalar.exact(), scalar.sign_flips(), scalar.log_excluded()));
        prop_assert_eq!(blocked.max_abs(), scalar.max_abs());
        prop_assert_eq!(blocked.effective_bits_median(), scalar.effective_bits_median());
        for (a, b) in [(blocked.mse(), scalar.mse()), (blocked.mae(), scalar.mae()), (blocked.relative_mse(), scalar.relative_mse()),
                       (blocked.log_mse(), scalar.log_mse()), (blocked.effective_bits_mean(), scalar.effective_bits_mean())] {
            prop_assert!(close_opt(a, b, 1e-12), "{:?} vs {:?}", a, b);
        }
    }
}

fn values_one() -> impl Strategy<Value = f32> {
    prop_oneof![
        6 => -1.0e6f32..1.0e6,
        1 => Just(0.0f32),
        1 => (-5i32..5).prop_map(|v| v as f32),
        1 => prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::MIN_POSITIVE / 8.0)],
    ]
}

/// Every back-end this CPU has was forced above; the others are named (run with `--nocapture`
/// to see them; CI does), and forcing one is an error.
#[test]
fn backends_run_and_skipped() {
    let ran: Vec<Backend> = Backend::available().collect();
    let skipped: Vec<Backend> = Backend::unavailable().collect();
    eprintln!("metrics block kernel: back-ends run {ran:?}, not on this CPU {skipped:?}");
    for b in Backend::ALL {
        assert_eq!(Pointwise::with_backend(b).is_ok(), b.is_available(), "{b:?}");
        if !b.is_available() {
            assert_eq!(Pointwise::with_backend(b).unwrap_err(), metrics::Error::BackendUnavailable(b));
        }
    }
}
