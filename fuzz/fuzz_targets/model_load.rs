//! Any bytes as a model file: load it, then upsample a fixed batch (the columns the committed
//! fixtures and the test seeds know: `c.pt` kept, `c.x`, `c.n`, `c.iso`, `t.p1..3`) with every
//! estimate. Loading must return an error or a model whose every output lies inside the
//! preimage of its compressed value (checked value by value with `quant_bounds`); never a panic.
//! Seeds: `crates/models/tests/fixtures/model-v*.json` (every prior, a relation group, every
//! neural kind); `cargo test -p models --test model_files` replays `fuzz/corpus/model_load`.
#![no_main]

use std::sync::{Arc, OnceLock};

use arrow_array::{Float32Array, RecordBatch};
use libfuzzer_sys::fuzz_target;
use models::batch::{Upsampler, compress_batch, float_values};
use models::{Estimate, Model};

/// 256 rows of every column, compressed with ATLAS k = 7 (pt kept).
fn input() -> &'static RecordBatch {
    static INPUT: OnceLock<RecordBatch> = OnceLock::new();
    INPUT.get_or_init(|| {
        let mut state = 7u64;
        let mut u = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let names = ["c.pt", "c.x", "c.n", "c.iso", "t.p1", "t.p2", "t.p3"];
        let mut cols: Vec<Vec<f32>> = vec![Vec::new(); names.len()];
        for _ in 0..256 {
            let pt = (20_000.0 - 30_000.0 * u().ln()) as f32;
            let (a, b) = (u() as f32 * 0.5, u() as f32 * 0.3);
            let row = [pt, 0.02 * pt + 5.0 * (u() as f32 - 0.5), (u() * 300.0).floor() as f32, -999.0, 1.0 - a - b, a, b];
            for (c, v) in cols.iter_mut().zip(row) {
                c.push(v);
            }
        }
        let batch = RecordBatch::try_from_iter(
            names.iter().zip(cols).map(|(n, v)| (*n, Arc::new(Float32Array::from(v)) as _)),
        )
        .expect("columns of one length");
        let scheme = float_bits::Scheme::atlas(7).expect("k = 7");
        compress_batch(&scheme, &batch, &["pt"]).expect("compressible").0
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(model) = Model::from_json(text) else { return };
    let input = input();
    for how in [Estimate::Mean, Estimate::Median, Estimate::Sample] {
        let Ok(out) = Upsampler::new(&model, how, 1).upsample(input) else { continue };
        for (i, f) in input.schema().fields().iter().enumerate() {
            let Some(col) = model.column(f.name()) else { continue };
            if col.neural.as_ref().is_some_and(|n| !n.model.kind.bounded()) {
                continue;
            }
            let c = float_values(input.column(i).as_ref()).expect("floats");
            let o = float_values(out.column(i).as_ref()).expect("floats");
            for (c, o) in c.iter().zip(&o) {
                let p = quant_bounds::preimage(model.scheme(), *c).expect("an output of the model's scheme");
                assert!(p.contains(*o), "{}: {o} outside the preimage of {c}", f.name());
            }
        }
    }
});
