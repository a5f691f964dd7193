//! Bit packing, byte-stream split, storage conversions and kept-bit detection.

use float_bits::strategies as common;
use float_bits::{Error, Scheme, detect_kept_bits, pack, storage};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// Every value compressed at `k` packs into `9 + k` bits and unpacks bit for bit.
    #[test]
    fn pack_round_trips_every_mantissa_scheme(v in common::f32_vec(), k in 0u32..=23, which in 0usize..3) {
        let s = [Scheme::nearest_even(k), Scheme::toward_zero(k), Scheme::atlas(k.max(5))][which].clone().unwrap();
        let k = s.kept_bits().unwrap();
        let mut c = v.clone();
        s.compress_in_place(&mut c).unwrap();
        // Atlas and NearestEven leave NaN payloads alone: those cannot be packed.
        let packable = c.iter().all(|x| x.to_bits() & ((1u32 << (23 - k)) - 1) == 0);
        let mut bytes = vec![0xa5u8; pack::packed_len(k, c.len()).unwrap()];
        match pack::pack(k, &c, &mut bytes) {
            Ok(n) => {
                prop_assert!(packable);
                prop_assert_eq!(n, (c.len() * (9 + k as usize)).div_ceil(8));
                let mut back = vec![0f32; c.len()];
                pack::unpack(k, &bytes, &mut back).unwrap();
                for (a, b) in c.iter().zip(&back) {
                    prop_assert_eq!(a.to_bits(), b.to_bits());
                }
            }
            Err(Error::NotPackable { index, .. }) => {
                prop_assert!(!packable);
                prop_assert!(c[..index].iter().all(|x| x.to_bits() & ((1u32 << (23 - k)) - 1) == 0));
                prop_assert!(c[index].to_bits() & ((1u32 << (23 - k)) - 1) != 0);
            }
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    /// The packed stream matches a naive bit-by-bit writer.
    #[test]
    fn pack_layout_is_little_endian_bit_stream(codes in prop::collection::vec(any::<u32>(), 0..40), k in 0u32..=23) {
        let w = 9 + k as usize;
        let values: Vec<f32> = codes.iter().map(|c| f32::from_bits((c & ((1u64 << w) - 1) as u32) << (23 - k))).collect();
        let mut naive = vec![0u8; (values.len() * w).div_ceil(8)];
        for (i, v) in values.iter().enumerate() {
            let code = v.to_bits() >> (23 - k);
            for bit in 0..w {
                if code >> bit & 1 == 1 {
                    naive[(i * w + bit) / 8] |= 1 << ((i * w + bit) % 8);
                }
            }
        }
        let mut bytes = vec![0xffu8; naive.len()];
        pack::pack(k, &values, &mut bytes).unwrap();
        prop_assert_eq!(bytes, naive);
    }

    #[test]
    fn byte_stream_split_round_trips(v in common::f32_vec(), w in common::f64_vec()) {
        let mut s = vec![0u8; v.len() * 4];
        pack::byte_stream_split(&v, &mut s).unwrap();
        for (i, x) in v.iter().enumerate() {
            for j in 0..4 {
                prop_assert_eq!(s[j * v.len() + i], x.to_bits().to_le_bytes()[j]);
            }
        }
        let mut back = vec![0f32; v.len()];
        pack::byte_stream_join(&s, &mut back).unwrap();
        prop_assert!(back.iter().zip(&v).all(|(a, b)| a.to_bits() == b.to_bits()));
        let mut s = vec![0u8; w.len() * 8];
        pack::byte_stream_split(&w, &mut s).unwrap();
        let mut back = vec![0f64; w.len()];
        pack::byte_stream_join(&s, &mut back).unwrap();
        prop_assert!(back.iter().zip(&w).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    /// Detection never over-reports `k`, and finds it when a value uses the last kept bit.
    #[test]
    fn detection_is_consistent(v in common::f32_vec(), k in 5u32..=23) {
        let mut c = v;
        Scheme::atlas(k).unwrap().compress_in_place(&mut c).unwrap();
        let d = detect_kept_bits(&c);
        prop_assert!(d.smallest_consistent() <= k);
        let uses_last_bit = c.iter().any(|x| x.is_finite() && float_bits::needed_bits(*x) == k);
        if uses_last_bit && k > 5 {
            prop_assert_eq!(d.k(), Some(k));
        }
        prop_assert_eq!(d.histogram().iter().sum::<u64>() + d.non_finite(), c.len() as u64);
    }

    /// Any finite value compressed at k <= 7, by any mantissa scheme, is exactly a bf16; a NaN
    /// maps to the NaN `half` makes of it (sign and top payload kept, quiet bit set).
    #[test]
    fn compressed_at_7_is_exact_bf16(bits in float_bits::strategies::f32_bits(), k in 0u32..=7, which in 0usize..4) {
        let s = [Scheme::nearest_even(k), Scheme::toward_zero(k), Scheme::atlas(k.max(5)), Scheme::root_float16(k.max(2))][which].clone().unwrap();
        let x = s.compress(f32::from_bits(bits)).unwrap();
        let h = storage::to_bf16_exact(x).unwrap();
        if x.is_nan() {
            prop_assert_eq!(h.to_bits(), ((x.to_bits() >> 16) as u16) | 0x0040);
        } else {
            prop_assert_eq!(h.to_f32().to_bits(), x.to_bits());
        }
    }
}

#[test]
fn pack_leaves_spare_bytes_and_ignores_padding() {
    let v: Vec<f32> = (1..=13).map(|i| i as f32 * 0.75).collect();
    let mut bytes = vec![0xeeu8; 40];
    let n = pack::pack(7, &v, &mut bytes).unwrap();
    assert_eq!(n, 26);
    assert!(bytes[n..].iter().all(|&b| b == 0xee), "bytes beyond the packed length are untouched");
    // Padding bits of the last byte (none here at 16 bits) and spare bytes do not matter.
    let mut back = vec![0f32; v.len()];
    pack::unpack(7, &bytes, &mut back).unwrap();
    assert_eq!(back, v);
    // k = 0: 9 bits per value, 13 values = 117 bits: 3 padding bits set to one are ignored.
    let w: Vec<f32> = (0..13).map(|i| f32::from_bits((i as u32 % 2) << 31 | ((i as u32 + 100) << 23))).collect();
    let mut bytes = vec![0u8; pack::packed_len(0, w.len()).unwrap()];
    pack::pack(0, &w, &mut bytes).unwrap();
    *bytes.last_mut().unwrap() |= 0b1110_0000;
    let mut back = vec![0f32; w.len()];
    pack::unpack(0, &bytes, &mut back).unwrap();
    assert_eq!(back, w);
    // A bad value inside a full block is reported by index.
    let mut z = vec![1.0f32; 20];
    z[11] = 0.1;
    let mut bytes = vec![0u8; 40];
    assert!(matches!(pack::pack(7, &z, &mut bytes), Err(Error::NotPackable { index: 11, .. })));
}

#[test]
fn pack_errors_are_typed() {
    let mut small = [0u8; 1];
    assert_eq!(pack::pack(7, &[1.0f32], &mut small), Err(Error::BufferTooSmall { needed: 2, have: 1 }));
    let mut buf = [0u8; 8];
    assert!(matches!(pack::pack(24, &[1.0f32], &mut buf), Err(Error::KeptBitsOutOfRange { k: 24, .. })));
    assert_eq!(
        pack::pack(7, &[1.0f32, 0.1], &mut buf),
        Err(Error::NotPackable { index: 1, bits: u64::from(0.1f32.to_bits()), k: 7 })
    );
    let mut out = [0f32; 4];
    assert_eq!(pack::unpack(7, &buf[..7], &mut out), Err(Error::BufferTooSmall { needed: 8, have: 7 }));
    assert!(pack::byte_stream_split(&[1.0f32], &mut buf).is_err());
    let mut h = [half::f16::ZERO; 1];
    assert!(matches!(
        storage::to_f16_slice(&[1.0e6], &mut h),
        Err(Error::NotRepresentable { index: 0, target: "f16", .. })
    ));
}

#[test]
fn detection_ignores_uninformative_values() {
    let d = detect_kept_bits(&[0.0f32, -0.0, 1.0, -1.0, 3.0, 63.0, 0.5, f32::NAN, f32::INFINITY]);
    assert_eq!(d.k(), None);
    assert_eq!(d.smallest_consistent(), 5);
    assert_eq!(d.non_finite(), 2);
    assert_eq!(d.informative(), 0);
    assert_eq!(detect_kept_bits(&[1.0 + f64::EPSILON]).k(), Some(52));
    assert_eq!(detect_kept_bits(&[0.1f64]).k(), Some(51)); // 0x3fb999999999999a ends in a zero bit
}
