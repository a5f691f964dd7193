//! Benchmarks for the hepfloat crates live in `benches/`; this library only holds shared
//! input generators.

/// `n` pseudo-random `f32` values spread over many binades (deterministic xorshift), like a
/// physics column: magnitudes from 1e-3 to 1e6, both signs.
///
/// ```
/// let v = hepfloat_benches::physics_like(4);
/// assert_eq!(v.len(), 4);
/// assert!(v.iter().all(|x| x.is_finite()));
/// ```
pub fn physics_like(n: usize) -> Vec<f32> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let sign = if s & 1 == 0 { 1.0 } else { -1.0 };
            (sign * 10f64.powf(-3.0 + 9.0 * u)) as f32
        })
        .collect()
}

/// The raw bytes of every value of `batch`'s columns, column after column (lists flattened to
/// their values): what the baskets of those branches decompress to, for inflate and copy limits.
///
/// ```
/// use arrow_array::{Float32Array, RecordBatch};
/// use std::sync::Arc;
/// let b = RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(vec![1.0f32, 2.0])) as _)]).unwrap();
/// assert_eq!(hepfloat_benches::value_bytes(&b), [1.0f32.to_le_bytes(), 2.0f32.to_le_bytes()].concat());
/// ```
pub fn value_bytes(batch: &arrow_array::RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    for column in batch.columns() {
        let mut d = column.to_data();
        while let Some(child) = d.child_data().first() {
            d = child.clone();
        }
        let width = d.data_type().primitive_width().unwrap_or(1);
        let start = d.offset() * width;
        out.extend_from_slice(&d.buffers()[0].as_slice()[start..start + width * d.len()]);
    }
    out
}

/// The paths of a tree's `float` branches that hep-io reads (scalars, arrays, vectors).
///
/// ```no_run
/// let file = hep_io::RootFile::open("PHYSLITE_example.root").unwrap();
/// let tree = file.tree("CollectionTree").unwrap();
/// let sel = tree.select(&hepfloat_benches::float_branches(&tree)).unwrap();
/// ```
pub fn float_branches(tree: &hep_io::Tree) -> Vec<&str> {
    let is_float = |b: &&hep_io::Branch| b.column.as_ref().is_ok_and(|c| c.primitive == hep_io::Primitive::F32);
    tree.branches().iter().filter(is_float).map(|b| b.path.as_str()).collect()
}
