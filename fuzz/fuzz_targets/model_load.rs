//! Any bytes as a model file: load it, then upsample a fixed batch (the columns the committed
//! fixtures and the test seeds know: `c.pt` kept, `c.x`, `c.n`, `c.iso`, `t.p1..3`) with every
//! estimate. Loading must return an error or a model whose every output lies inside the
//! preimage of its compressed value (checked value by value with `quant_bounds`); never a panic.
//! Seeds: `crates/models/tests/fixtures/model-v*.json` (every prior, a relation group, every
//! neural kind); `cargo test -p hepfloat-models --test model_files` replays `fuzz/replay/model_load`.
//! Byte-level mutations mostly break the JSON; `model_edit` edits valid files field by field.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common/model.rs"]
mod model;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        model::check(text);
    }
});
