//! Container networks (one model per container, every field at once) against exact oracles:
//! a field that another compressed field fixes to a fraction of its interval, a field that
//! follows the kept context, and a field that nothing informs; then through the gate, the model
//! file and every way of applying a model.
#![cfg(feature = "neural")]

use std::sync::Arc;

use arrow_array::{Float32Array, RecordBatch};
use float_bits::Scheme;
use models::batch::{Upsampler, float_values};
use models::neural::{Config, ContainerNet, Device, Fields};
use models::{Choice, Column, Error, Estimate, FitOptions, FitRequest, Kind, Kinds, Model, Request};

mod common;
use common::{objects, oracle, sq};

/// Field names, in the networks' order; `o.pt` is kept at full precision.
const FIELDS: [&str; 4] = ["o.a", "o.b", "o.x", "o.n"];
const SIGMA: f64 = 5.0;

/// `n` objects: `a` spread over two decades, `b = 3a` (so `b`'s interval pins `a` to the
/// intersection of two intervals), `x = 0.02·pt + N(0, 5²)` (follows the kept pt), `n` noise
/// that nothing informs, and `pt`.
fn table(n: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<f32>) {
    let (pt, x) = objects(n, seed, 0.02, SIGMA);
    let (_, g) = objects(n, seed ^ 0x5eed, 0.0, 0.0);
    let mut a = Vec::with_capacity(n);
    let mut st = seed.wrapping_add(17);
    for _ in 0..n {
        st = st.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        a.push((10.0 * 100f64.powf(((st >> 11) as f64 + 0.5) / (1u64 << 53) as f64)) as f32);
    }
    let b: Vec<f32> = a.iter().map(|a| 3.0 * a).collect();
    (vec![a, b, x, g], pt)
}

fn compressed(s: &Scheme, v: &[f32]) -> Vec<f32> {
    let mut c = v.to_vec();
    s.compress_in_place(&mut c).unwrap();
    c
}

/// The exact oracles of the test split: `a` at the midpoint of its interval intersected with
/// `b`'s divided by 3, `x` at its Gaussian posterior mean, `n` at its compressed value.
fn oracles(s: &Scheme, fields: &[Vec<f32>], pt: &[f32]) -> Vec<Vec<f32>> {
    let (ca, cb, cx) = (compressed(s, &fields[0]), compressed(s, &fields[1]), compressed(s, &fields[2]));
    let a = ca
        .iter()
        .zip(&cb)
        .map(|(&ca, &cb)| {
            let (pa, pb) = (quant_bounds::preimage(s, ca).unwrap(), quant_bounds::preimage(s, cb).unwrap());
            let lo = f64::from(pa.lo()).max(f64::from(pb.lo()) / 3.0);
            let hi = f64::from(pa.hi()).min(f64::from(pb.hi()) / 3.0);
            if lo <= hi { (0.5 * (lo + hi)) as f32 } else { ca }
        })
        .collect();
    let x = cx
        .iter()
        .zip(pt)
        .map(|(&c, &p)| {
            let q = quant_bounds::preimage(s, c).unwrap();
            oracle(q.lo(), q.hi(), 0.02 * f64::from(p), SIGMA) as f32
        })
        .collect();
    vec![a, vec![], x, compressed(s, &fields[3])]
}

/// Each field's MSE in units of the compressed values' (every output checked to lie in its
/// preimage, by `quant_bounds`, not by the model).
fn ratios(s: &Scheme, originals: &[Vec<f32>], out: &[Vec<f32>]) -> Vec<f64> {
    originals
        .iter()
        .zip(out)
        .map(|(x, y)| {
            let c = compressed(s, x);
            for (c, y) in c.iter().zip(y) {
                assert!(quant_bounds::preimage(s, *c).unwrap().contains(*y), "{y} outside the preimage of {c}");
            }
            sq(y, x) / sq(&c, x)
        })
        .collect()
}

/// Fit a container network of `kind` on `n` training objects and return each field's ratio on
/// 4000 test objects, with the oracles' ratios.
fn against_the_oracles(kind: Kind, n: usize, config: Config) -> (Vec<f64>, Vec<f64>) {
    let s = Scheme::atlas(7).unwrap();
    let (train, pt) = table(n, 3);
    let (test, pt_test) = table(4000, 4);
    let cut = n * 4 / 5;
    let slices = |v: &[Vec<f32>], r: std::ops::Range<usize>| -> Vec<Vec<f32>> {
        v.iter().map(|c| c[r.clone()].to_vec()).collect()
    };
    let (fit, stop) = (slices(&train, 0..cut), slices(&train, cut..n));
    let fit_refs: Vec<&[f32]> = fit.iter().map(Vec::as_slice).collect();
    let stop_refs: Vec<&[f32]> = stop.iter().map(Vec::as_slice).collect();
    let t = std::time::Instant::now();
    let (net, report) = ContainerNet::fit_with(
        &Device::flex(),
        kind,
        &[s; 4],
        Fields { fields: &fit_refs, context: &[&pt[..cut]] },
        Fields { fields: &stop_refs, context: &[&pt[cut..]] },
        config,
        &|_| {},
    )
    .unwrap();
    let fitted = t.elapsed().as_secs_f64();
    let c: Vec<Vec<f32>> = test.iter().map(|v| compressed(&s, v)).collect();
    let c_refs: Vec<&[f32]> = c.iter().map(Vec::as_slice).collect();
    let mut out: Vec<Vec<f32>> = c.iter().map(|v| vec![0f32; v.len()]).collect();
    let mut views: Vec<&mut [f32]> = out.iter_mut().map(Vec::as_mut_slice).collect();
    let t = std::time::Instant::now();
    net.upsample(Fields { fields: &c_refs, context: &[&pt_test] }, Estimate::Mean, &mut views).unwrap();
    let rate = 4.0 * 4000.0 / t.elapsed().as_secs_f64();
    // The median is the same estimate; the network draws nothing.
    let mut again: Vec<Vec<f32>> = c.iter().map(|v| vec![0f32; v.len()]).collect();
    let mut views: Vec<&mut [f32]> = again.iter_mut().map(Vec::as_mut_slice).collect();
    net.upsample(Fields { fields: &c_refs, context: &[&pt_test] }, Estimate::Median, &mut views).unwrap();
    assert_eq!(again, out);
    let mut views: Vec<&mut [f32]> = again.iter_mut().map(Vec::as_mut_slice).collect();
    let sample = net.upsample(Fields { fields: &c_refs, context: &[&pt_test] }, Estimate::Sample, &mut views);
    assert!(matches!(sample, Err(Error::NotGenerative { .. })), "{sample:?}");
    // The file form gives the same outputs, bit for bit.
    let back = ContainerNet::from_file(&net.to_file().unwrap()).unwrap();
    let mut views: Vec<&mut [f32]> = again.iter_mut().map(Vec::as_mut_slice).collect();
    back.upsample(Fields { fields: &c_refs, context: &[&pt_test] }, Estimate::Mean, &mut views).unwrap();
    assert!(again.iter().flatten().zip(out.iter().flatten()).all(|(a, b)| a.to_bits() == b.to_bits()));
    let got = ratios(&s, &test, &out);
    let best = oracles(&s, &test, &pt_test);
    let o = [0, 2, 3].map(|f| sq(&best[f], &test[f]) / sq(&c[f], &test[f]));
    let want = vec![o[0], f64::NAN, o[1], o[2]];
    println!(
        "{kind} container network, {n} training objects ({} epochs, best {}; fit {fitted:.1} s, {:.0} values/s; validation {:.4?}):",
        report.epochs,
        report.best_epoch + 1,
        rate,
        report.validation_loss
    );
    for (f, name) in FIELDS.iter().enumerate() {
        println!("  {name}: {:.4} of the compressed MSE (oracle {:.4})", got[f], want[f]);
    }
    (got, want)
}

#[test]
fn a_container_hybrid_reads_every_field_and_the_context_near_the_oracles() {
    let (got, want) = against_the_oracles(Kind::Hybrid, 10_000, Config::default());
    // a: pinned by b's interval, which no per-column model sees (its context is pt alone).
    assert!(want[0] < 0.6, "oracle of a: {}", want[0]);
    assert!(got[0] < want[0] + 0.1, "a: {} vs oracle {}", got[0], want[0]);
    // b is pinned by a just as much.
    assert!(got[1] < want[0] + 0.1, "b: {}", got[1]);
    // x: the Gaussian posterior from the kept pt.
    assert!(got[2] < want[2] + 0.1, "x: {} vs oracle {}", got[2], want[2]);
    // n: nothing to learn; the network must not do much worse than the compressed values.
    assert!(got[3] < 1.05, "n: {}", got[3]);
}

#[test]
fn a_container_inpainter_predicts_every_field_at_once() {
    let config = Config { epochs: 12, ..Config::default() };
    let (got, want) = against_the_oracles(Kind::Inpainting, 5000, config);
    assert!(got[0] < want[0] + 0.15, "a: {} vs oracle {}", got[0], want[0]);
    assert!(got[2] < want[2] + 0.15, "x: {} vs oracle {}", got[2], want[2]);
    assert!(got[3] < 1.08, "n: {}", got[3]);
}

/// A field that follows a kept variable to a fraction of its interval (a jet's constituent-scale
/// phi and its phi), among many fields of a few hundred objects — heavy-tailed, and two of them
/// equal (a detector eta and a constituent eta): its link must keep the relation.
#[test]
fn a_field_tied_to_a_kept_variable_keeps_its_link_among_many_fields() {
    let s = Scheme::atlas(7).unwrap();
    let n = 600;
    let mut st = 11u64;
    let mut u = move || {
        st = st.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((st >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut phi = Vec::new();
    let mut fields: Vec<Vec<f32>> = vec![Vec::new(); 14];
    for _ in 0..n {
        let p = std::f64::consts::PI * (2.0 * u() - 1.0);
        phi.push(p as f32);
        fields[0].push((p + 1e-4 * (u() - 0.5)) as f32);
        let eta = 2.5 * (2.0 * u() - 1.0);
        fields[1].push(eta as f32);
        fields[2].push(eta as f32);
        for f in fields.iter_mut().skip(3) {
            let x = if u() < 0.1 { 1e5 * u() } else { u() };
            f.push(x as f32);
        }
    }
    let (fit, stop, test) = (0..300, 300..400, 400..n);
    let nf = fields.len();
    let part = |r: std::ops::Range<usize>| -> Vec<&[f32]> { fields.iter().map(|f| &f[r.clone()]).collect() };
    let fit_and_score = |kind: Kind| -> f64 {
        let (net, report) = ContainerNet::fit_with(
            &Device::flex(),
            kind,
            &vec![s; nf],
            Fields { fields: &part(fit.clone()), context: &[&phi[fit.clone()]] },
            Fields { fields: &part(stop.clone()), context: &[&phi[stop.clone()]] },
            Config::default(),
            &|_| {},
        )
        .unwrap();
        let originals: Vec<Vec<f32>> = fields.iter().map(|f| f[test.clone()].to_vec()).collect();
        let c: Vec<Vec<f32>> = originals.iter().map(|v| compressed(&s, v)).collect();
        let c_refs: Vec<&[f32]> = c.iter().map(Vec::as_slice).collect();
        let mut out: Vec<Vec<f32>> = c.iter().map(|v| vec![0f32; v.len()]).collect();
        let mut views: Vec<&mut [f32]> = out.iter_mut().map(Vec::as_mut_slice).collect();
        net.upsample(Fields { fields: &c_refs, context: &[&phi[test.clone()]] }, Estimate::Mean, &mut views).unwrap();
        let r = ratios(&s, &originals, &out);
        println!(
            "{kind}: phi tied to the kept phi among 14 fields of 300 objects: {:.4} ({} epochs)",
            r[0], report.epochs
        );
        r[0]
    };
    for kind in [Kind::Hybrid, Kind::Inpainting] {
        let r = fit_and_score(kind);
        assert!(r < 0.2, "{kind}: {r}");
    }
}

#[test]
fn other_kinds_and_bad_settings_are_refused() {
    let s = Scheme::atlas(7).unwrap();
    let x: Vec<f32> = (0..400).map(|i| 100.0 + i as f32 * 0.37).collect();
    let f = Fields { fields: &[&x, &x], context: &[] };
    let fit = |kind, schemes: &[Scheme], config| {
        ContainerNet::fit_with(&Device::flex(), kind, schemes, f, f, config, &|_| {}).map(|_| ())
    };
    assert!(matches!(fit(Kind::Flow, &[s, s], Config::default()), Err(Error::InvalidSetting { .. })));
    assert!(matches!(fit(Kind::Hybrid, &[s], Config::default()), Err(Error::LengthMismatch { .. })));
    assert!(matches!(fit(Kind::Hybrid, &[], Config::default()), Err(Error::InvalidSetting { .. })));
    let bad = Config { hidden: 0, ..Config::default() };
    assert!(matches!(fit(Kind::Hybrid, &[s, s], bad), Err(Error::InvalidSetting { .. })));
    let short = Fields { fields: &[&x, &x[..10]], context: &[] };
    let r = ContainerNet::fit_with(&Device::flex(), Kind::Hybrid, &[s, s], short, f, Config::default(), &|_| {});
    assert!(matches!(r, Err(Error::LengthMismatch { .. })));
}

/// The gate on a request with container networks, its model, and the test objects compressed.
struct Gated {
    model: Model,
    test: Vec<Vec<f32>>,
    pt: Vec<f32>,
    c: Vec<Vec<f32>>,
}

fn gated() -> &'static Gated {
    static G: std::sync::OnceLock<Gated> = std::sync::OnceLock::new();
    G.get_or_init(|| {
        let s = Scheme::atlas(7).unwrap();
        let (train, pt) = table(6000, 5);
        let (valid, pt_v) = table(3000, 6);
        let request = FitRequest {
            columns: FIELDS.iter().enumerate().map(|(f, n)| Column::new(n, &train[f], &valid[f])).collect(),
            kept: vec![Column::new("o.pt", &pt, &pt_v)],
            options: FitOptions { containers: Kinds::of(&[Kind::Hybrid]), ..FitOptions::default() },
            ..FitRequest::new(s)
        };
        let model = Model::fit_request(&request).unwrap();
        let (test, pt) = table(3000, 7);
        let c = test.iter().map(|v| compressed(&s, v)).collect();
        Gated { model, test, pt, c }
    })
}

fn batch(g: &Gated, names: &[&str]) -> RecordBatch {
    let cols = g.c.iter().chain(std::iter::once(&g.pt));
    RecordBatch::try_from_iter(names.iter().zip(cols).map(|(n, v)| (*n, Arc::new(Float32Array::from(v.clone())) as _)))
        .unwrap()
}

#[test]
fn the_gate_takes_the_container_network_where_it_gains_and_the_model_file_keeps_it() {
    let g = gated();
    let m = &g.model;
    for name in FIELDS {
        let col = m.column(name).unwrap();
        let scores: Vec<String> = col.scores.iter().map(|s| format!("{} {:.3e}", s.prior, s.mse)).collect();
        println!("{name}: {} ({})", col.choice_name(), scores.join(", "));
        assert!(col.scores.iter().any(|s| s.prior == "container-hybrid"), "{name}: {scores:?}");
    }
    assert_eq!(m.column("o.a").unwrap().choice_name(), "container-hybrid");
    assert_eq!(m.containers().len(), 1, "one network, kept once for every column that takes it");
    assert_eq!(m.containers()[0].fields, FIELDS);
    assert_eq!(m.containers()[0].context, ["o.pt"]);
    // The file keeps it, bit for bit.
    let back = Model::from_json(&m.to_json().unwrap()).unwrap();
    assert_eq!(&back, m);
    // Applied as a table, as a batch, and column by column: the same values, each in its
    // preimage, and the informed fields far closer than the compressed values.
    let s = Scheme::atlas(7).unwrap();
    let names: Vec<&str> = FIELDS.iter().copied().chain(["o.pt"]).collect();
    let inputs: Vec<(&str, &[f32])> = names.iter().zip(g.c.iter().chain([&g.pt])).map(|(n, v)| (*n, &v[..])).collect();
    let mut table_out: Vec<Vec<f32>> = inputs.iter().map(|c| vec![0f32; c.1.len()]).collect();
    let mut views: Vec<&mut [f32]> = table_out.iter_mut().map(Vec::as_mut_slice).collect();
    back.upsample_table(&inputs, Estimate::Mean, 0, 0, &mut views).unwrap();
    let r = ratios(&s, &g.test, &table_out[..4]);
    println!("test split through the gate: {r:.4?}");
    assert!(r[0] < 0.7 && r[1] < 0.7, "{r:?}");
    assert!(r.iter().all(|r| *r < 1.03), "no field worse than its compressed values: {r:?}");
    let out = Upsampler::new(&back, Estimate::Mean, 0).upsample(&batch(g, &names)).unwrap();
    for (f, values) in table_out.iter().enumerate() {
        let batch_values = float_values(out.column(f).as_ref()).unwrap();
        assert!(values.iter().zip(&batch_values).all(|(a, b)| a.to_bits() == b.to_bits()), "{}", names[f]);
        if f < FIELDS.len() {
            let mut one = vec![0f32; values.len()];
            let request = Request { context: &inputs, ..Request::new(Estimate::Mean) };
            back.upsample_with(names[f], inputs[f].1, &request, &mut one).unwrap();
            assert!(values.iter().zip(&one).all(|(a, b)| a.to_bits() == b.to_bits()), "{}", names[f]);
        }
    }
    // Draws come from the column's own sampler or prior, inside every preimage.
    let drawn = Upsampler::new(&back, Estimate::Sample, 3).upsample(&batch(g, &names)).unwrap();
    let drawn: Vec<Vec<f32>> = (0..4).map(|f| float_values(drawn.column(f).as_ref()).unwrap()).collect();
    ratios(&s, &g.test, &drawn);
}

#[test]
fn a_container_column_needs_its_fields_and_context() {
    let g = gated();
    let m = &g.model;
    let mut out = vec![0f32; g.c[0].len()];
    let e = m.upsample("o.a", &g.c[0], Estimate::Mean, 0, &mut out).unwrap_err();
    assert!(matches!(e, Error::ContextNeeded { .. }), "{e}");
    // Without o.b in the request: the missing field is named.
    let inputs: Vec<(&str, &[f32])> = vec![("o.x", &g.c[2]), ("o.n", &g.c[3]), ("o.pt", &g.pt)];
    let request = Request { context: &inputs, ..Request::new(Estimate::Mean) };
    match m.upsample_with("o.a", &g.c[0], &request, &mut out) {
        Err(Error::MissingColumn { column, .. }) => assert_eq!(column, "o.b"),
        other => panic!("{other:?}"),
    }
    // RNTuple spelling: the network's fields and context are renamed with the columns.
    let r = m.with_separator(':');
    assert_eq!(r.containers()[0].fields[0], "o:a");
    assert_eq!(r.containers()[0].context, ["o:pt"]);
    let names = ["o:a", "o:b", "o:x", "o:n", "o:pt"];
    let a = Upsampler::new(&r, Estimate::Mean, 0).upsample(&batch(g, &names)).unwrap();
    let b = Upsampler::new(m, Estimate::Mean, 0).upsample(&batch(g, &["o.a", "o.b", "o.x", "o.n", "o.pt"])).unwrap();
    assert_eq!(a.columns(), b.columns());
}

#[test]
fn a_stream_without_some_of_a_network_s_fields_falls_back_to_the_columns_priors() {
    let g = gated();
    let m = &g.model;
    // A sample without o.n: the network cannot run; its columns take their own (gated) priors,
    // inside every preimage, and the upsampler says which.
    let names = ["o.a", "o.b", "o.x", "o.pt"];
    let cols = [&g.c[0], &g.c[1], &g.c[2], &g.pt];
    let b = RecordBatch::try_from_iter(
        names.iter().zip(cols).map(|(n, v)| (*n, Arc::new(Float32Array::from(v.clone())) as _)),
    )
    .unwrap();
    let mut up = Upsampler::new(m, Estimate::Mean, 0);
    let out = up.upsample(&b).unwrap();
    let taking: Vec<&str> =
        names[..3].iter().copied().filter(|n| m.column(n).unwrap().choice_name() == "container-hybrid").collect();
    assert!(!taking.is_empty());
    assert_eq!(up.fallbacks().collect::<Vec<_>>(), taking);
    let s = Scheme::atlas(7).unwrap();
    for (f, name) in names[..3].iter().enumerate() {
        let y = float_values(out.column(f).as_ref()).unwrap();
        for (c, y) in g.c[f].iter().zip(&y) {
            assert!(quant_bounds::preimage(&s, *c).unwrap().contains(*y), "{name}");
        }
        // The column's own prior, as a model without the network would apply it.
        let col = m.column(name).unwrap();
        let mut own = vec![0f32; y.len()];
        col.prior.upsample(&s, &g.c[f], Estimate::Mean, models::Seed::default(), &mut own).unwrap();
        // (values beyond the magnitudes its choice was validated on keep their compressed value).
        let own = own.iter().zip(&g.c[f]).map(|(o, c)| if col.within_validated(*c) { *o } else { *c });
        assert!(own.zip(&y).all(|(a, b)| a.to_bits() == b.to_bits()), "{name}");
    }
    // The explicit table call refuses the same input, naming the missing column.
    let inputs: Vec<(&str, &[f32])> = names.iter().zip(cols).map(|(n, v)| (*n, &v[..])).collect();
    let mut outs: Vec<Vec<f32>> = inputs.iter().map(|c| vec![0f32; c.1.len()]).collect();
    let mut views: Vec<&mut [f32]> = outs.iter_mut().map(Vec::as_mut_slice).collect();
    match m.upsample_table(&inputs, Estimate::Mean, 0, 0, &mut views) {
        Err(Error::MissingColumn { column, .. }) => assert_eq!(column, "o.n"),
        other => panic!("{other:?}"),
    }
}

/// A relation group whose joint member and a member taking its values from a container network
/// meet a stream that lacks one of the network's fields (the TTree sample's GN2v00 beside DL1dv01
/// in a jet's b-tagging container, applied to the RNTuple sample): the group's task gives that
/// member its own prior, the joint member the relation, and the upsampler names the first.
#[test]
fn a_group_member_whose_network_lacks_a_field_takes_its_own_prior() {
    use models::{Group, Method, Relation};
    let s = Scheme::atlas(7).unwrap();
    let mut st = 5u64;
    let mut u = move || {
        st = st.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((st >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let n = 3000;
    let mut cols: Vec<Vec<f32>> = vec![Vec::new(); 4];
    for _ in 0..n {
        let (a, b) = (0.5 * u(), 0.3 * u());
        for (c, v) in cols.iter_mut().zip([1.0 - a - b, a, b, 3.0 * a]) {
            c.push(v as f32);
        }
    }
    let names = ["t.p1", "t.p2", "t.p3", "t.q"];
    let group = Group::new(Relation::SumToOne, ["t.p1", "t.p2", "t.p3"]).unwrap();
    let fit = |force| {
        let request = FitRequest {
            columns: names.iter().zip(&cols).map(|(n, c)| Column::new(n, &c[..2000], &c[2000..])).collect(),
            groups: vec![group.clone()],
            options: FitOptions { force: Some(force), ..FitOptions::default() },
            ..FitRequest::new(s)
        };
        serde_json::to_value(
            serde_json::from_str::<serde_json::Value>(&Model::fit_request(&request).unwrap().to_json().unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    // Every column from the container network, but t.p1 from the relation (spliced in from the
    // constraint's model, with its group).
    let mut v = fit(Method::Container(Kind::Hybrid));
    let joint = fit(Method::Constraint);
    v["groups"] = joint["groups"].clone();
    v["columns"][0]["choice"] = serde_json::json!({"kind": "constraint"});
    let model = Model::from_json(&v.to_string()).unwrap();
    assert_eq!(model.column("t.p2").unwrap().choice_name(), "container-hybrid");
    // Through the gate, with the relation as a candidate too: every network the model keeps is
    // one some column still takes its values from after the relations had their turn.
    let request = FitRequest {
        columns: names.iter().zip(&cols).map(|(n, c)| Column::new(n, &c[..2000], &c[2000..])).collect(),
        groups: vec![group.clone()],
        options: FitOptions { containers: Kinds::of(&[Kind::Hybrid]), ..FitOptions::default() },
        ..FitRequest::new(s)
    };
    let gated = Model::fit_request(&request).unwrap();
    let choices: Vec<&str> = names.iter().map(|n| gated.column(n).unwrap().choice_name()).collect();
    println!("gate with the relation and a container network: {choices:?}");
    for n in 0..gated.containers().len() {
        let used = gated.columns().iter().any(|c| matches!(c.choice, Choice::Container { net, .. } if net == n));
        assert!(used, "container network {n} kept though no column takes it: {choices:?}");
    }
    // A stream without t.q.
    let c: Vec<Vec<f32>> = cols.iter().map(|v| compressed(&s, &v[2000..])).collect();
    let b = RecordBatch::try_from_iter(
        names[..3].iter().zip(&c).map(|(n, v)| (*n, Arc::new(Float32Array::from(v.clone())) as _)),
    )
    .unwrap();
    let mut up = Upsampler::new(&model, Estimate::Mean, 0);
    let out = up.upsample(&b).unwrap();
    assert_eq!(up.fallbacks().collect::<Vec<_>>(), ["t.p2", "t.p3"]);
    for f in 0..3 {
        let y = float_values(out.column(f).as_ref()).unwrap();
        assert!(c[f].iter().zip(&y).all(|(c, y)| quant_bounds::preimage(&s, *c).unwrap().contains(*y)), "{}", names[f]);
    }
}

#[test]
fn damaged_container_networks_are_errors_naming_the_field() {
    let g = gated();
    let text = g.model.to_json().unwrap();
    let root: serde_json::Value = serde_json::from_str(&text).unwrap();
    let a = FIELDS.iter().position(|n| g.model.column(n).unwrap().choice_name() == "container-hybrid").unwrap();
    let field_of = |edit: &dyn Fn(&mut serde_json::Value)| -> String {
        let mut v = root.clone();
        edit(&mut v);
        match Model::from_json(&v.to_string()) {
            Err(Error::InvalidModel { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(field_of(&|v| v["columns"][a]["choice"]["net"] = 7.into()), "choice.net");
    assert_eq!(field_of(&|v| v["columns"][a]["choice"]["family"] = "inpainting".into()), "choice.family");
    assert_eq!(field_of(&|v| v["containers"][0]["fields"][1] = "o.zz".into()), "containers[0].fields[1]");
    assert_eq!(field_of(&|v| v["containers"][0]["fields"][1] = "o.a".into()), "containers[0].fields");
    assert_eq!(field_of(&|v| v["containers"][0]["context"] = serde_json::json!([])), "containers[0].context");
    let link = |v: &mut serde_json::Value| {
        v["containers"][0]["model"]["fields"][2]["link"].as_array_mut().unwrap().pop();
    };
    assert_eq!(field_of(&link), "containers[0].model.fields[2].link");
    assert_eq!(
        field_of(&|v| v["containers"][0]["model"]["fields"][0]["scheme"] = serde_json::json!({"name": "cms", "k": 10})),
        "containers[0].model.fields[0].scheme"
    );
    assert_eq!(field_of(&|v| v["containers"][0]["model"]["hidden"] = 0.into()), "containers[0].model.hidden");
    assert_eq!(field_of(&|v| v["containers"][0]["model"]["kind"] = "flow".into()), "containers[0].model.kind");
    let flip = |v: &mut serde_json::Value| {
        let w = v["containers"][0]["model"]["weights"].as_str().unwrap().to_string();
        let last = if w.ends_with('0') { '1' } else { '0' };
        v["containers"][0]["model"]["weights"] = format!("{}{last}", &w[..w.len() - 1]).into();
    };
    assert_eq!(field_of(&flip), "containers[0].model.sha256");
    // A network no column takes is harmless; a version-10 reader never sees one (the version
    // is 11 from the first container network on).
    assert_eq!(root["version"], 11);
    assert!(matches!(m_choice(&g.model, "o.a"), Choice::Container { net: 0, family: Kind::Hybrid }));
}

fn m_choice<'m>(m: &'m Model, name: &str) -> &'m Choice {
    &m.column(name).unwrap().choice
}
