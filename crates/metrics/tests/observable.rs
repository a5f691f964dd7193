//! Observables against a plain two-pass computation on the same values: means, widths, paired
//! shifts and their errors, and the flip counts by brute force; pairs built by hand per event.

use metrics::{Cut, Observable, Tally};
use proptest::prelude::*;

/// Mean and sample standard deviation, two passes.
fn moments(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn object_observables_match_a_two_pass_reference(
        rows in proptest::collection::vec((-50f32..50.0, 1f32..100.0, -1f32..1.0, -1f32..1.0), 3..300),
        threshold in -1f64..1.0,
    ) {
        let ratio = Observable::object("x/pt", ["x", "pt"], |v| v[0] / v[1]).with_cut(Cut::below(threshold, "test"));
        let x: Vec<f32> = rows.iter().map(|r| r.0).collect();
        let pt: Vec<f32> = rows.iter().map(|r| r.1).collect();
        let xc: Vec<f32> = rows.iter().map(|r| r.0 + r.2).collect();
        let xu: Vec<f32> = rows.iter().map(|r| r.0 + 0.5 * r.3).collect();
        // Two batches: the tally merges them as one.
        let half = rows.len() / 2;
        let mut t = Tally::new(&ratio, 1 << 20);
        for range in [0..half, half..rows.len()] {
            let p = &pt[range.clone()];
            let (o, c, u) = ([&x[range.clone()], p], [&xc[range.clone()], p], [&xu[range.clone()], p]);
            t.add(&ratio, [&o, &c, &u], None).unwrap();
        }
        let r = t.report();
        let value = |v: &[f32], i: usize| f64::from(v[i]) / f64::from(pt[i]);
        let versions: Vec<Vec<f64>> = [&x, &xc, &xu].iter().map(|v| (0..rows.len()).map(|i| value(v, i)).collect()).collect();
        prop_assert_eq!(r.values, rows.len() as u64);
        for (k, version) in versions.iter().enumerate() {
            let (m, sd) = moments(version);
            prop_assert!(close(r.mean[k], m) && close(r.width[k], sd), "{k}: {r:?}");
        }
        for k in 0..2 {
            let d: Vec<f64> = (0..rows.len()).map(|i| versions[k + 1][i] - versions[0][i]).collect();
            let (m, sd) = moments(&d);
            prop_assert!(close(r.shift[k].mean, m), "{k}: {} vs {m}", r.shift[k].mean);
            prop_assert!((r.shift[k].error - sd / (rows.len() as f64).sqrt()).abs() <= 1e-6 * (1.0 + sd), "{k}");
        }
        let pass = |k: usize, i: usize| versions[k][i] < threshold;
        let flips = r.flips.unwrap();
        prop_assert_eq!(flips.passing, (0..rows.len()).filter(|&i| pass(0, i)).count() as u64);
        prop_assert_eq!(flips.compressed, (0..rows.len()).filter(|&i| pass(1, i) != pass(0, i)).count() as u64);
        prop_assert_eq!(flips.restored, (0..rows.len()).filter(|&i| pass(1, i) != pass(0, i) && pass(2, i) == pass(0, i)).count() as u64);
        prop_assert_eq!(flips.caused, (0..rows.len()).filter(|&i| pass(1, i) == pass(0, i) && pass(2, i) != pass(0, i)).count() as u64);
    }
}

#[test]
fn pair_observables_take_the_first_two_objects_of_each_event() {
    let mass = Observable::pair("m12", ["px", "py", "pz", "e"], |v| {
        let (px, py, pz, e) = (v[0] + v[4], v[1] + v[5], v[2] + v[6], v[3] + v[7]);
        (e * e - px * px - py * py - pz * pz).max(0.0).sqrt()
    });
    // Events of 3, 0, 1 and 2 objects; each object back to back with the next at rest mass 0.
    let events = [0usize, 3, 3, 4, 6];
    let px = [10.0f32, -10.0, 99.0, 5.0, 3.0, -3.0];
    let py = [0.0f32, 0.0, 0.0, 0.0, 4.0, -4.0];
    let pz = [0.0f32; 6];
    let e = [10.0f32, 10.0, 99.0, 5.0, 5.0, 5.0];
    let cols = [&px[..], &py[..], &pz[..], &e[..]];
    let mut t = Tally::new(&mass, 100);
    t.add(&mass, [&cols, &cols, &cols], Some(&events)).unwrap();
    let r = t.report();
    assert_eq!((r.values, r.mean[0], r.width[0]), (2, 15.0, 50f64.sqrt()));
    assert!(t.add(&mass, [&cols, &cols, &cols], None).is_err(), "a pair needs events");
    assert!(t.add(&mass, [&cols, &cols, &cols], Some(&[0, 7])).is_err(), "offsets beyond the objects");
    assert!(t.add(&mass, [&cols[..3], &cols, &cols], Some(&events)).is_err(), "a column missing");
}

#[test]
fn the_held_sample_stays_spread_over_the_input() {
    let x = Observable::object("x", ["x"], |v| v[0]);
    let mut t = Tally::new(&x, 100);
    let v: Vec<f32> = (0..10_000).map(|i| i as f32).collect();
    for chunk in v.chunks(333) {
        t.add(&x, [&[chunk], &[chunk], &[chunk]], None).unwrap();
    }
    let r = t.report();
    assert_eq!((r.values, r.ks, r.kl), (10_000, [0.0, 0.0], [0.0, 0.0]));
    // A shifted copy: the distances see it, on the held sample.
    let mut s = Tally::new(&x, 100);
    let shifted: Vec<f32> = v.iter().map(|x| x + 2000.0).collect();
    s.add(&x, [&[&v[..]], &[&shifted[..]], &[&v[..]]], None).unwrap();
    let r = s.report_with_bins(50);
    assert!((r.ks[0] - 0.2).abs() < 0.02 && r.ks[1] == 0.0, "{:?}", r.ks);
    assert!(r.kl[0] > 0.1 && r.kl[1] == 0.0, "{:?}", r.kl);
    assert_eq!(r.shift[0].mean, 2000.0);
}
