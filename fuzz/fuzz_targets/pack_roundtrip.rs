//! Packing round-trips every packable input, and unpacking any bytes never panics.
#![no_main]

use float_bits::{Scheme, pack};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, Vec<u32>, Vec<u8>)| {
    let (k, bits, raw) = input;
    let k = u32::from(k % 25);
    let mut values: Vec<f32> = bits.into_iter().map(f32::from_bits).collect();
    if let Ok(s) = Scheme::toward_zero(k.min(23)) {
        s.compress_in_place(&mut values).expect("TowardZero never fails");
    }
    if let Ok(len) = pack::packed_len(k, values.len()) {
        let mut bytes = vec![0u8; len];
        pack::pack(k, &values, &mut bytes).expect("truncated values are packable");
        let mut back = vec![0f32; values.len()];
        pack::unpack(k, &bytes, &mut back).expect("sized by packed_len");
        assert!(values.iter().zip(&back).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
    let mut out = vec![0f32; raw.len()];
    let _ = pack::unpack(k, &raw, &mut out);
    let _ = pack::pack(k, &out, &mut vec![0u8; raw.len()]);
});
