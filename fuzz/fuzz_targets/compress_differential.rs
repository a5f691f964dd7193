//! Any parameters and any bit patterns: constructors never panic, and every back-end agrees
//! with the scalar reference bit for bit.
#![no_main]

use float_bits::{Backend, Scheme};
use libfuzzer_sys::fuzz_target;

fn scheme(sel: u8, k: u8, a: f64, b: f64) -> Option<Scheme> {
    let k = u32::from(k);
    match sel % 6 {
        0 => Scheme::atlas(k),
        1 => Scheme::nearest_even(k),
        2 => Scheme::toward_zero(k),
        3 => Scheme::root_float16(k),
        4 => Scheme::root_range(a, b, k),
        _ => Scheme::rntuple_quant(a, b, k),
    }
    .ok()
}

fuzz_target!(|input: (u8, u8, f64, f64, Vec<u32>, Vec<u64>)| {
    let (sel, k, a, b, bits32, bits64) = input;
    let Some(s) = scheme(sel, k, a, b) else { return };
    let v32: Vec<f32> = bits32.into_iter().map(f32::from_bits).collect();
    let v64: Vec<f64> = bits64.into_iter().map(f64::from_bits).collect();
    let ref32: Result<Vec<f32>, _> = v32.iter().map(|&x| s.compress(x)).collect();
    let ref64: Result<Vec<f64>, _> = v64.iter().map(|&x| s.compress(x)).collect();
    for backend in Backend::available() {
        let mut o32 = v32.clone();
        let r = s.compress_in_place_with(backend, &mut o32);
        match &ref32 {
            Ok(e) => {
                assert!(r.is_ok());
                assert!(e.iter().zip(&o32).all(|(x, y)| x.to_bits() == y.to_bits()), "{s} {backend:?}");
            }
            Err(_) => assert!(r.is_err()),
        }
        let mut o64 = vec![0f64; v64.len()];
        let r = s.compress_into_with(backend, &v64, &mut o64);
        match &ref64 {
            Ok(e) => {
                assert!(r.is_ok());
                assert!(e.iter().zip(&o64).all(|(x, y)| x.to_bits() == y.to_bits()), "{s} {backend:?}");
            }
            Err(_) => assert!(r.is_err()),
        }
    }
});
