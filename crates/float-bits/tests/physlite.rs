//! The real ATLAS PHYSLITE sample: every float column compressed the way ATLAS does, at
//! k = 7 and 15, is detected as such, and values already representable stay unchanged.

use float_bits::{Atlas, Scheme, detect_kept_bits, needed_bits};

#[test]
fn every_physlite_float_column_round_trips_through_atlas_compression() {
    let columns = hepfloat_testdata::physlite_floats().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(columns.len(), 380, "the reference file has 380 float columns");
    let total: usize = columns.iter().map(|c| c.values.len()).sum();
    assert!(total > 100_000, "only {total} values read");

    let mut pooled = [float_bits::KeptBits::<f32>::default(), float_bits::KeptBits::default()];
    for (slot, k) in [7u32, 15].into_iter().enumerate() {
        let scheme = Scheme::from(Atlas::new(k).unwrap());
        for col in &columns {
            let mut c = vec![0f32; col.values.len()];
            scheme.compress_into(&col.values, &mut c).unwrap();
            // Bit-identical to the scalar reference.
            for (x, y) in col.values.iter().zip(&c) {
                assert_eq!(float_bits::reference::atlas(*x, k).to_bits(), y.to_bits(), "{}", col.name);
            }
            // Values already representable at k are unchanged; the others did change.
            for (x, y) in col.values.iter().zip(&c) {
                let representable = !x.is_finite() || needed_bits(*x) <= k;
                assert_eq!(representable, x.to_bits() == y.to_bits(), "{}: {x} -> {y}", col.name);
            }
            let d = detect_kept_bits(&c);
            // Never more than k; exactly k when the column has real evidence.
            assert!(d.smallest_consistent() <= k, "{}: {:?}", col.name, d.k());
            if d.informative() >= 64 {
                assert_eq!(d.k(), Some(k), "{} ({} informative values)", col.name, d.informative());
            }
            pooled[slot].merge(&d);
        }
        assert_eq!(pooled[slot].k(), Some(k), "all columns together at k = {k}");
    }
    // The uncompressed sample is full precision.
    let mut raw = float_bits::KeptBits::<f32>::default();
    for col in &columns {
        raw.add(&col.values);
    }
    assert_eq!(raw.k(), Some(23));
}
