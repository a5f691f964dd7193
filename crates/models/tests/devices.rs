//! The neural models on burn's other devices against the flex CPU backend: the same fitted
//! network gives the same estimates on both, and training there reaches the same accuracy.
//! `wgpu` runs in CI on Mesa's lavapipe (software Vulkan on the CPU); `cuda` needs an NVIDIA GPU:
//! `cargo test -p hepfloat-models --features cuda --test devices`.
#![cfg(any(feature = "wgpu", feature = "cuda"))]

use float_bits::Scheme;
use models::neural::{Config, ContainerNet, Device, Fields, Net, Rows};
use models::{Estimate, Kind, Seed};
use std::time::Instant;

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

#[cfg(feature = "wgpu")]
#[test]
fn wgpu_agrees_with_flex() {
    agrees_with_flex(&Device::wgpu(models::neural::DeviceKind::DefaultDevice), "wgpu");
}

#[cfg(feature = "cuda")]
#[test]
fn cuda_agrees_with_flex() {
    agrees_with_flex(&Device::cuda(0), "cuda");
}

/// Fits on flex, moves the network to `device` and compares; then fits on `device` and compares
/// the accuracy, printing the training and inference throughput on both.
fn agrees_with_flex(device: &Device, name: &str) {
    let s = Scheme::atlas(7).unwrap();
    let (pt, x) = objects(16_000);
    let train = Rows { values: &x[..8_000], context: &[&pt[..8_000]] };
    let valid = Rows { values: &x[8_000..10_000], context: &[&pt[8_000..10_000]] };
    let mut c = x[10_000..].to_vec();
    s.compress_in_place(&mut c).unwrap();
    let ctx: [&[f32]; 1] = [&pt[10_000..]];
    let test = Rows { values: &c, context: &ctx };
    let cfg = Config { epochs: 6, ..Config::default() };
    // For throughput: the test rows repeated to 2^18.
    let big: [Vec<f32>; 2] = [&c[..], ctx[0]].map(|v| v.iter().cycle().take(1 << 18).copied().collect());
    let big_ctx: [&[f32]; 1] = [&big[1]];
    let big = Rows { values: &big[0], context: &big_ctx };
    // The transformer on software Vulkan is slow: its rate is measured on 2^11 values.
    let rate = |net: &Net| {
        let n = if net.kind() == Kind::Inpainting { 1 << 11 } else { big.values.len() };
        let rows = Rows { values: &big.values[..n], context: &[&big.context[0][..n]] };
        let mut out = vec![0f32; n];
        let t = Instant::now();
        net.upsample(rows, Estimate::Mean, Seed::default(), &mut out).unwrap();
        out.len() as f64 / t.elapsed().as_secs_f64() / 1e6
    };
    let small_ctx: [&[f32]; 1] = [&pt[..2_000]];
    for kind in [Kind::Hybrid, Kind::Flow, Kind::Inpainting] {
        // The transformer takes minutes to train on software Vulkan (lavapipe): there it trains
        // on a quarter of the rows for 2 epochs, on both devices alike.
        let light = kind == Kind::Inpainting && name == "wgpu";
        let (train, cfg, tolerance, bound) = if light {
            (Rows { values: &x[..2_000], context: &small_ctx }, Config { epochs: 2, ..cfg }, 0.06, 0.9)
        } else {
            (train, cfg, 0.03, 0.85)
        };
        let t = Instant::now();
        let (cpu, _) = Net::fit(kind, &s, train, valid, cfg).unwrap();
        let cpu_fit = t.elapsed().as_secs_f64();
        let (mut a, mut b) = (vec![0f32; c.len()], vec![0f32; c.len()]);
        cpu.upsample(test, Estimate::Mean, Seed::default(), &mut a).unwrap();
        let moved = Net::from_file(&cpu.to_file().unwrap()).unwrap().to_device(device);
        moved.upsample(test, Estimate::Mean, Seed::default(), &mut b).unwrap();
        // The same network on both devices: estimates agree to a small fraction of an interval.
        let mut worst = 0.0f64;
        for i in 0..c.len() {
            let p = quant_bounds::preimage(&s, c[i]).unwrap();
            assert!(p.contains(b[i]), "{kind}: {name} output outside its preimage");
            let w = f64::from(p.hi()) - f64::from(p.lo());
            if w > 0.0 {
                worst = worst.max((f64::from(a[i]) - f64::from(b[i])).abs() / w);
            }
        }
        assert!(worst < 1e-3, "{kind}: flex and {name} differ by {worst} of an interval");
        // Training on the device reaches what training on flex reaches (float order differs, so
        // the weights do; the accuracy must not).
        let t = Instant::now();
        let (gpu, report) = Net::fit_on(device, kind, &s, train, valid, cfg).unwrap();
        let gpu_fit = t.elapsed().as_secs_f64();
        gpu.upsample(test, Estimate::Mean, Seed::default(), &mut b).unwrap();
        let (rc, rg) = (ratio(&a, &c, &x[10_000..]), ratio(&b, &c, &x[10_000..]));
        println!(
            "{kind}: flex {rc:.4}, {name} {rg:.4} of the compressed MSE; {} epochs; same network differs by {worst:.2e} \
             of an interval; fit {cpu_fit:.2} s on flex, {gpu_fit:.2} s on {name}; mean estimate: flex {:.4}, \
             {name} {:.4} M values/s",
            report.epochs,
            rate(&cpu),
            rate(&moved),
        );
        assert!(rc < bound && rg < bound && (rg - rc).abs() < tolerance, "{kind}: flex {rc}, {name} {rg}");
    }
    container_agrees_with_flex(device, name, &pt, &x);
}

/// A container network (the MLP; fields x and 3x, context pt) the same way: fitted on flex and
/// moved, then fitted on the device.
fn container_agrees_with_flex(device: &Device, name: &str, pt: &[f32], x: &[f32]) {
    let s = Scheme::atlas(7).unwrap();
    let b: Vec<f32> = x.iter().map(|x| 3.0 * x).collect();
    let split = |r: std::ops::Range<usize>| -> [&[f32]; 2] { [&x[r.clone()], &b[r]] };
    let (fit, stop, test) = (split(0..4_000), split(8_000..10_000), split(10_000..16_000));
    let train = Fields { fields: &fit, context: &[&pt[..4_000]] };
    let valid = Fields { fields: &stop, context: &[&pt[8_000..10_000]] };
    let c: Vec<Vec<f32>> = test
        .iter()
        .map(|v| {
            let mut c = v.to_vec();
            s.compress_in_place(&mut c).unwrap();
            c
        })
        .collect();
    let c_refs = [c[0].as_slice(), c[1].as_slice()];
    let rows = Fields { fields: &c_refs, context: &[&pt[10_000..]] };
    let cfg = Config { epochs: 4, ..Config::default() };
    let fit_on = |d: &Device| ContainerNet::fit_with(d, Kind::Hybrid, &[s, s], train, valid, cfg, &|_| {}).unwrap();
    let estimate = |net: &ContainerNet| -> Vec<Vec<f32>> {
        let mut out = vec![vec![0f32; c[0].len()]; 2];
        let mut views: Vec<&mut [f32]> = out.iter_mut().map(Vec::as_mut_slice).collect();
        net.upsample(rows, Estimate::Mean, &mut views).unwrap();
        out
    };
    let t = Instant::now();
    let (cpu, _) = fit_on(&Device::flex());
    let cpu_fit = t.elapsed().as_secs_f64();
    let a = estimate(&cpu);
    let moved = ContainerNet::from_file(&cpu.to_file().unwrap()).unwrap().to_device(device);
    let m = estimate(&moved);
    let mut worst = 0.0f64;
    for f in 0..2 {
        for i in 0..c[f].len() {
            let p = quant_bounds::preimage(&s, c[f][i]).unwrap();
            assert!(p.contains(m[f][i]), "container: {name} output outside its preimage");
            let w = f64::from(p.hi()) - f64::from(p.lo());
            if w > 0.0 {
                worst = worst.max((f64::from(a[f][i]) - f64::from(m[f][i])).abs() / w);
            }
        }
    }
    assert!(worst < 1e-3, "container: flex and {name} differ by {worst} of an interval");
    let t = Instant::now();
    let (gpu, report) = fit_on(device);
    let gpu_fit = t.elapsed().as_secs_f64();
    let g = estimate(&gpu);
    let (rc, rg) = (ratio(&a[0], &c[0], test[0]), ratio(&g[0], &c[0], test[0]));
    println!(
        "container hybrid (x with 3x): flex {rc:.4}, {name} {rg:.4} of x's compressed MSE; {} epochs; same network \
         differs by {worst:.2e} of an interval; fit {cpu_fit:.2} s on flex, {gpu_fit:.2} s on {name}",
        report.epochs
    );
    assert!(rc < 0.8 && rg < 0.8 && (rg - rc).abs() < 0.06, "container: flex {rc}, {name} {rg}");
}
