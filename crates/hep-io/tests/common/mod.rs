//! Helpers shared by the integration tests.

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_schema::DataType;

/// Per-level length checksums and the wrapping sum of value bit patterns, as the fixture script
/// computes them with uproot.
fn checksums(array: &dyn Array, lengths: &mut Vec<u64>, bits: &mut u64, values: &mut u64) {
    use arrow_array::types::*;
    let add = |bits: &mut u64, x: u64| *bits = bits.wrapping_add(x);
    match array.data_type() {
        DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            let (lens, child): (Vec<u64>, _) = if let DataType::LargeList(_) = array.data_type() {
                let l = array.as_list::<i64>();
                let o = l.value_offsets();
                let child = l.values().slice(o[0] as usize, (o[l.len()] - o[0]) as usize);
                ((0..l.len()).map(|i| (o[i + 1] - o[i]) as u64).collect(), child)
            } else {
                let l = array.as_fixed_size_list();
                ((0..l.len()).map(|_| l.value_length() as u64).collect(), l.values().clone())
            };
            lengths
                .push(lens.iter().enumerate().fold(0u64, |s, (i, &n)| s.wrapping_add((i as u64 + 1).wrapping_mul(n))));
            checksums(child.as_ref(), lengths, bits, values);
        }
        dt => {
            *values += array.len() as u64;
            macro_rules! ints {
                ($t:ty) => {
                    array.as_primitive::<$t>().values().iter().for_each(|&v| add(bits, v as i64 as u64))
                };
            }
            match dt {
                DataType::Boolean => array.as_boolean().iter().for_each(|v| add(bits, u64::from(v.unwrap()))),
                DataType::Int8 => ints!(Int8Type),
                DataType::Int16 => ints!(Int16Type),
                DataType::Int32 => ints!(Int32Type),
                DataType::Int64 => ints!(Int64Type),
                DataType::UInt8 => ints!(UInt8Type),
                DataType::UInt16 => ints!(UInt16Type),
                DataType::UInt32 => ints!(UInt32Type),
                DataType::UInt64 => ints!(UInt64Type),
                DataType::Float64 => {
                    array.as_primitive::<Float64Type>().values().iter().for_each(|&v| add(bits, v.to_bits()))
                }
                DataType::Float32 => {
                    array.as_primitive::<Float32Type>().values().iter().for_each(|&v| add(bits, u64::from(v.to_bits())))
                }
                other => panic!("unexpected type {other}"),
            }
        }
    }
}

/// A column's checksums as the fixtures hold them: per-level list-length checksums, the value
/// count, and the wrapping sum of the values' bit patterns.
pub fn column_checksums(column: &dyn Array) -> (Vec<u64>, u64, u64) {
    let (mut lengths, mut bits, mut values) = (Vec::new(), 0u64, 0u64);
    checksums(column, &mut lengths, &mut bits, &mut values);
    (lengths, values, bits)
}

/// A fixture entry's `(lengths, values, bits_sum)`, as [`column_checksums`] returns them.
pub fn fixture_checksums(want: &serde_json::Value) -> (Vec<u64>, u64, u64) {
    let lengths = want["lengths"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    (lengths, want["values"].as_u64().unwrap(), want["bits_sum"].as_u64().unwrap())
}
