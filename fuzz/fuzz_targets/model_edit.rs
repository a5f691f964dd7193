//! Valid model files edited field by field (see `common/edit.rs`), so that the validators and
//! the estimators behind them are reached, not just the JSON parser. The same check as
//! `model_load`: a clean error or every output inside its preimage.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common/edit.rs"]
mod edit;
#[path = "common/model.rs"]
mod model;

fuzz_target!(|data: &[u8]| {
    if let Some(text) = edit::edited(data) {
        model::check(&text);
    }
});
