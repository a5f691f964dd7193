//! What the model fuzz targets share: a fixed compressed batch, and the check that a model
//! either fails cleanly or upsamples it inside every preimage.

use std::sync::{Arc, OnceLock};

use arrow_array::{Float32Array, RecordBatch};
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
            let row =
                [pt, 0.02 * pt + 5.0 * (u() as f32 - 0.5), (u() * 300.0).floor() as f32, -999.0, 1.0 - a - b, a, b];
            for (c, v) in cols.iter_mut().zip(row) {
                c.push(v);
            }
        }
        let batch =
            RecordBatch::try_from_iter(names.iter().zip(cols).map(|(n, v)| (*n, Arc::new(Float32Array::from(v)) as _)))
                .expect("columns of one length");
        let scheme = float_bits::Scheme::atlas(7).expect("k = 7");
        compress_batch(&scheme, &batch, &["pt"]).expect("compressible").0
    })
}

/// Upsample `input` with `model` (draws seeded by `seed`) with every estimate, and assert that
/// every output of a column the model knows lies inside the preimage of its compressed value
/// (checked value by value with `quant_bounds`; a forced unbounded network, which exists to show
/// what leaving it costs, excepted). Returns the first upsampling error, after trying them all.
pub fn upsample_inside(model: &Model, input: &RecordBatch, seed: u64) -> Result<(), models::Error> {
    let mut first = Ok(());
    for how in [Estimate::Mean, Estimate::Median, Estimate::Sample] {
        let out = match Upsampler::new(model, how, seed).upsample(input) {
            Ok(out) => out,
            Err(e) => {
                first = first.and(Err(e));
                continue;
            }
        };
        for (i, f) in input.schema().fields().iter().enumerate() {
            let Some(col) = model.column(f.name()) else { continue };
            if col.neural().is_some_and(|n| !n.model.kind.bounded()) {
                continue;
            }
            let scheme = model.scheme_of(f.name()).expect("a column of the model");
            let c = float_values(input.column(i).as_ref()).expect("floats");
            let o = float_values(out.column(i).as_ref()).expect("floats");
            for (j, (c, o)) in c.iter().zip(&o).enumerate() {
                let p = quant_bounds::preimage(scheme, *c).expect("an output of the column's scheme");
                assert!(p.contains(*o), "{} ({how}) row {j}: {o} outside the preimage of {c}", f.name());
            }
        }
    }
    first
}

/// Load `text` as a model file; if it loads, upsample the fixed batch with every estimate (see
/// [`upsample_inside`]). Errors are fine; panics and outputs outside are findings.
pub fn check(text: &str) {
    if let Ok(model) = Model::from_json(text) {
        let _ = upsample_inside(&model, input(), 1);
    }
}
