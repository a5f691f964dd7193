//! The neural models on burn's wgpu device (in CI: Mesa's lavapipe, software Vulkan on the CPU)
//! against the flex CPU backend: the same fitted network gives the same estimates on both, and
//! training on wgpu reaches the same accuracy.
#![cfg(feature = "wgpu")]

use float_bits::Scheme;
use models::neural::{Config, Device, DeviceKind, Net, Rows};
use models::{Estimate, Kind, Seed};

/// pt (kept) and x = 0.02·pt + N(0, 5²): the toy's isolation, with a known oracle of about 0.70
/// of the compressed MSE at k = 7.
fn objects(n: usize) -> (Vec<f32>, Vec<f32>) {
    let mut st = 17u64;
    let mut u = move || {
        st = st.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((st >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let p = 20_000.0 - 30_000.0 * u().ln();
            let g = (-2.0 * u().ln()).sqrt() * (std::f64::consts::TAU * u()).cos();
            (p as f32, (0.02 * p + 5.0 * g) as f32)
        })
        .unzip()
}

fn ratio(out: &[f32], c: &[f32], x: &[f32]) -> f64 {
    let sq = |y: &[f32]| y.iter().zip(x).map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2)).sum::<f64>();
    sq(out) / sq(c)
}

#[test]
fn wgpu_agrees_with_flex() {
    let wgpu = Device::wgpu(DeviceKind::DefaultDevice);
    let s = Scheme::atlas(7).unwrap();
    let (pt, x) = objects(16_000);
    let train = Rows { values: &x[..8_000], context: &[&pt[..8_000]] };
    let valid = Rows { values: &x[8_000..10_000], context: &[&pt[8_000..10_000]] };
    let mut c = x[10_000..].to_vec();
    s.compress_in_place(&mut c).unwrap();
    let ctx: [&[f32]; 1] = [&pt[10_000..]];
    let test = Rows { values: &c, context: &ctx };
    let cfg = Config { epochs: 6, ..Config::default() };
    for kind in [Kind::Hybrid, Kind::Flow] {
        let (cpu, _) = Net::fit(kind, &s, train, valid, cfg).unwrap();
        let (mut a, mut b) = (vec![0f32; c.len()], vec![0f32; c.len()]);
        cpu.upsample(test, Estimate::Mean, Seed::default(), &mut a).unwrap();
        let moved = Net::from_file(&cpu.to_file().unwrap()).unwrap().to_device(&wgpu);
        moved.upsample(test, Estimate::Mean, Seed::default(), &mut b).unwrap();
        // The same network on both devices: estimates agree to a small fraction of an interval.
        let mut worst = 0.0f64;
        for i in 0..c.len() {
            let p = quant_bounds::preimage(&s, c[i]).unwrap();
            assert!(p.contains(b[i]), "{kind}: wgpu output outside its preimage");
            let w = f64::from(p.hi()) - f64::from(p.lo());
            if w > 0.0 {
                worst = worst.max((f64::from(a[i]) - f64::from(b[i])).abs() / w);
            }
        }
        assert!(worst < 1e-3, "{kind}: flex and wgpu differ by {worst} of an interval");
        // Training on wgpu reaches what training on flex reaches (float order differs, so
        // the weights do; the accuracy must not).
        let (gpu, report) = Net::fit_on(&wgpu, kind, &s, train, valid, cfg).unwrap();
        gpu.upsample(test, Estimate::Mean, Seed::default(), &mut b).unwrap();
        let (rc, rg) = (ratio(&a, &c, &x[10_000..]), ratio(&b, &c, &x[10_000..]));
        println!(
            "{kind}: flex {rc:.4}, wgpu {rg:.4} of the compressed MSE; wgpu {} epochs; worst {worst:.2e}",
            report.epochs
        );
        assert!(rc < 0.85 && rg < 0.85 && (rg - rc).abs() < 0.03, "{kind}: flex {rc}, wgpu {rg}");
    }
}
