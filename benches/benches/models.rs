//! `models` upsampling throughput (one core) against the copy of the same bytes, in the same run.
//!
//! ```text
//! cargo bench -p hepfloat-benches --bench models
//! ```
//! Throughput is compressed values per second (one `f32` in, one `f32` out), for the uniform
//! prior and for a fitted histogram prior (atoms plus a within-interval shape), mean and sample,
//! and for the joint posterior of relation groups (values = the group's compressed members):
//! truth four-momenta (`px, py, pz, e` compressed, `m` kept) and tagger triples; and a whole
//! toy table (`hep-toy`, 20 000 events, every column the gate fitted) through
//! `models::batch::Upsampler`, the path of `hepfloat upsample`, against an Arrow copy of the batch.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use float_bits::Scheme;
use hepfloat_benches::physics_like;
use models::{Estimate, FitOptions, Group, Prior, Relation, Seed};

fn config() -> Criterion {
    Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

fn upsample(c: &mut Criterion) {
    let n = 1 << 20;
    let atlas = Scheme::atlas(7).expect("valid");
    let original = physics_like(n);
    let mut comp = original.clone();
    atlas.compress_in_place(&mut comp).expect("valid");
    let mut out = vec![0f32; n];
    let fitted = models::candidates(&atlas, &original[..n / 4], &FitOptions::default()).expect("fits");
    let histogram = fitted.into_iter().find(|p| p.name() == "histogram").expect("always fitted");
    let mut g = c.benchmark_group("upsample_atlas_k7_1Mi");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("copy_from_slice", |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&comp));
            black_box(&out);
        })
    });
    for (name, prior) in [("uniform", Prior::Uniform), ("histogram", histogram)] {
        for how in [Estimate::Mean, Estimate::Sample] {
            g.bench_function(format!("{name}_{how}"), |b| {
                b.iter(|| {
                    prior.upsample(&atlas, black_box(&comp), how, Seed::default(), &mut out).expect("outputs");
                    black_box(&out);
                })
            });
        }
    }
    g.finish();
}

/// Deterministic uniform numbers for the synthetic objects.
fn lcg(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn groups(c: &mut Criterion) {
    let rows = 1 << 14;
    let atlas = Scheme::atlas(7).expect("valid");
    let mut uni = lcg(7);
    // Electrons flat in pt (20–100 GeV), eta (±2.5) and phi, m = 0.511 MeV kept.
    let mut particle: [Vec<f32>; 5] = Default::default();
    // Tagger triples (pu, pc, pb).
    let mut tagger: [Vec<f32>; 3] = Default::default();
    for _ in 0..rows {
        let (pt, eta, phi) = (20e3 + 80e3 * uni(), 5.0 * uni() - 2.5, std::f64::consts::PI * (2.0 * uni() - 1.0));
        let (px, py, pz, m) = (pt * phi.cos(), pt * phi.sin(), pt * eta.sinh(), 0.511);
        let e = (px * px + py * py + pz * pz + m * m).sqrt();
        for (col, v) in particle.iter_mut().zip([px, py, pz, e, m]) {
            col.push(v as f32);
        }
        let (x, y) = (0.5 * uni(), 0.2 * uni());
        for (col, v) in tagger.iter_mut().zip([1.0 - x - y, x, y]) {
            col.push(v as f32);
        }
    }
    let compress = |v: &[f32]| {
        let mut c = v.to_vec();
        atlas.compress_in_place(&mut c).expect("valid");
        c
    };
    let particle: Vec<(Vec<f32>, bool)> = particle
        .iter()
        .enumerate()
        .map(|(i, c)| if i == 4 { (c.clone(), false) } else { (compress(c), true) })
        .collect();
    let tagger: Vec<(Vec<f32>, bool)> = tagger.iter().map(|c| (compress(c), true)).collect();
    let four = Group::new(Relation::FourMomentum, ["px", "py", "pz", "e", "m"]).expect("valid");
    let sum = Group::new(Relation::SumToOne, ["pu", "pc", "pb"]).expect("valid");
    let mut g = c.benchmark_group("group_atlas_k7_16Ki_rows");
    for (name, group, cols, values) in [("four_momentum", &four, &particle, 4), ("sum_to_one", &sum, &tagger, 3)] {
        let inputs: Vec<(&[f32], Option<&Scheme>)> =
            cols.iter().map(|c| (c.0.as_slice(), c.1.then_some(&atlas))).collect();
        let mut out: Vec<Vec<f32>> = cols.iter().map(|c| c.0.clone()).collect();
        g.throughput(Throughput::Elements((rows * values) as u64));
        for how in [Estimate::Mean, Estimate::Sample] {
            g.bench_function(format!("{name}_{how}"), |b| {
                b.iter(|| {
                    let mut refs: Vec<&mut [f32]> = out.iter_mut().map(|o| o.as_mut_slice()).collect();
                    group.upsample(black_box(&inputs), how, Seed::default(), &mut refs).expect("outputs");
                    black_box(&out);
                })
            });
        }
    }
    g.finish();
}

/// The whole-table path on toy data: a model fitted by the gate (relation groups included),
/// then `Upsampler::upsample` on a compressed batch of 20 000 events.
fn table(c: &mut Criterion) {
    use models::batch::{Upsampler, compress_batch, float_values, is_float, is_kept};
    let atlas = Scheme::atlas(7).expect("valid");
    let toy = hep_toy::Toy::new(1);
    let (train, valid) = (toy.batch(0..20_000).expect("toy"), toy.batch(20_000..40_000).expect("toy"));
    let schema = hep_toy::schema();
    let names: Vec<&str> =
        schema.fields().iter().filter(|f| is_float(f.data_type())).map(|f| f.name().as_str()).collect();
    let col = |b: &arrow_array::RecordBatch, n: &str| {
        float_values(b.column_by_name(n).expect("column").as_ref()).expect("floats")
    };
    let data: Vec<(&str, Vec<f32>, Vec<f32>)> = names.iter().map(|n| (*n, col(&train, n), col(&valid, n))).collect();
    let (mut columns, mut kept) = (Vec::new(), Vec::new());
    for (n, t, v) in &data {
        let entry = (*n, t.as_slice(), v.as_slice());
        if is_kept(n, &hep_toy::KEEP) { kept.push(entry) } else { columns.push(entry) }
    }
    let model =
        models::Model::fit_groups(atlas, &columns, &kept, &hep_toy::groups(), FitOptions::default()).expect("fits");
    let batch = toy.batch(40_000..60_000).expect("toy");
    let (compressed, counts) = compress_batch(&atlas, &batch, &hep_toy::KEEP).expect("compresses");
    let mut g = c.benchmark_group("upsample_toy_table_20k_events");
    g.throughput(Throughput::Elements(counts.values));
    g.bench_function("arrow_copy_of_the_floats", |b| {
        b.iter(|| {
            let copies: Vec<Vec<f32>> = names.iter().map(|n| col(black_box(&compressed), n)).collect();
            black_box(copies);
        })
    });
    for how in [Estimate::Mean, Estimate::Sample] {
        g.bench_function(format!("upsampler_{how}"), |b| {
            b.iter(|| black_box(Upsampler::new(&model, how, 0).upsample(black_box(&compressed)).expect("upsamples")))
        });
    }
    g.finish();
}

/// Inference of the neural models (`models::neural::Net`, flex CPU backend): 64 Ki values with
/// one context column, each model's mean (and the flow's draws), against a copy of the same floats.
fn neural(c: &mut Criterion) {
    use models::neural::{Config, Net, Rows};
    use models::{Estimate, Kind, Seed};
    let atlas = Scheme::atlas(7).expect("valid");
    let n = 1 << 16;
    let mut next = lcg(3);
    let pt: Vec<f32> = (0..3 * n).map(|_| (20_000.0 - 30_000.0 * (1.0 - next()).ln()) as f32).collect();
    let x: Vec<f32> = pt.iter().map(|p| 0.02 * p + 10.0 * (next() as f32 - 0.5)).collect();
    let mut comp = x[2 * n..].to_vec();
    atlas.compress_in_place(&mut comp).expect("valid");
    let mut out = vec![0f32; n];
    let mut g = c.benchmark_group("neural_64Ki");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("copy_from_slice", |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&comp));
            black_box(&out);
        })
    });
    for kind in [Kind::Hybrid, Kind::Autoencoder, Kind::Vae, Kind::Flow, Kind::FlowMatching, Kind::Inpainting] {
        let (net, _) = Net::fit(
            kind,
            &atlas,
            Rows { values: &x[..n], context: &[&pt[..n]] },
            Rows { values: &x[n..2 * n], context: &[&pt[n..2 * n]] },
            Config { epochs: 3, ..Config::default() },
        )
        .expect("fits");
        let hows: &[Estimate] =
            if kind == Kind::Flow { &[Estimate::Mean, Estimate::Sample] } else { &[Estimate::Mean] };
        for &how in hows {
            g.bench_function(format!("{kind}_{how:?}").to_lowercase(), |b| {
                b.iter(|| {
                    let rows = Rows { values: black_box(&comp), context: &[&pt[2 * n..]] };
                    net.upsample(rows, how, Seed::default(), &mut out).expect("upsamples");
                    black_box(&out);
                })
            });
        }
    }
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = upsample, groups, table, neural }
criterion_main!(benches);
