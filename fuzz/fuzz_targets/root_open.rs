//! Any bytes as a ROOT file: open, walk every directory, read every object and the streamer
//! info, open every TTree and RNTuple and read every readable branch or field in batches. Must
//! return errors, never panic, and stay within the configured limits.
#![no_main]

use hep_io::{Limits, RootFile};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits { max_object_bytes: 16 << 20, max_ratio: 10_000, max_keys: 1 << 12, max_depth: 8 };
/// Entries read per tree or RNTuple: a few kB can declare 10^8 entries (scikit-hep-testdata's
/// `test_int_multicluster`), which batches of 64 take minutes to walk (each batch decodes its
/// pages again) — a speed matter, not a crash.
const ENTRIES: u64 = 1 << 16;

fuzz_target!(|data: &[u8]| {
    let Ok(f) = RootFile::with_limits(data.to_vec(), LIMITS) else { return };
    if let Ok(keys) = f.walk() {
        for (_, k) in keys {
            let _ = f.codec_of(&k);
            if let Ok(obj) = f.read_object(&k) {
                assert_eq!(obj.len(), k.obj_len as usize);
            }
        }
    }
    let _ = f.streamer_info_key().and_then(|k| f.read_object(&k));
    for path in f.trees().unwrap_or_default() {
        let Ok(tree) = f.tree(&path) else { continue };
        let _ = tree.show();
        // Damaged branches are skipped and listed; by default selecting them is an error.
        let Ok(sel) = tree.select_readable(&["*"]) else { continue };
        assert_eq!(tree.select_supported(&["*"]).is_err(), !sel.damaged().is_empty());
        for batch in tree.batches(&sel).entries(0..tree.entries().min(ENTRIES)).entries_per_batch(64) {
            if let Ok(b) = batch {
                assert_eq!(b.num_columns(), sel.columns().len());
            }
        }
    }
    for path in f.rntuples().unwrap_or_default() {
        let Ok(nt) = f.rntuple(&path) else { continue };
        let _ = nt.show();
        let Ok(sel) = nt.select_supported(&["*"]) else { continue };
        for batch in nt.batches(&sel).entries(0..nt.entries().min(ENTRIES)).entries_per_batch(64) {
            if let Ok(b) = batch {
                assert_eq!(b.num_columns(), sel.columns().len());
            }
        }
    }
});
