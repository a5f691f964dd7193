//! Any bytes as a ROOT file: open, walk every directory, read every object and the streamer
//! info. Must return errors, never panic, and stay within the configured limits.
#![no_main]

use hep_io::{Limits, RootFile};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits { max_object_bytes: 16 << 20, max_ratio: 10_000, max_keys: 1 << 12, max_depth: 8 };

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
});
