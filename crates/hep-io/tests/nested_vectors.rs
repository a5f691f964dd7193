//! Vectors nested three deep and vectors of bitsets, in a file ROOT 6.40 wrote
//! (`tests/data/root/nested-vectors.root`, `scripts/make_nested_vectors.py`):
//! `std::vector<std::vector<std::vector<int>>>`, the same of `float`, and
//! `std::vector<std::bitset<9>>`, with empty lists at every level. Each reads as nested lists
//! equal to ROOT's own reading of the file (`tests/fixtures/nested_vectors.json`), also when
//! the read starts and ends inside a basket.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int32Type};
use arrow_array::{Array, LargeListArray};
use arrow_schema::DataType;
use hep_io::{Layout, Primitive, RootFile};
use serde_json::{Value, json};

/// A column as the fixture spells it: nested lists, `i32` as numbers, `f32` as hex bit
/// patterns, booleans as booleans.
fn entries(a: &dyn Array) -> Vec<Value> {
    if let Some(list) = a.as_any().downcast_ref::<LargeListArray>() {
        let inner = entries(list.values().as_ref());
        return list
            .value_offsets()
            .windows(2)
            .map(|w| Value::Array(inner[w[0] as usize..w[1] as usize].to_vec()))
            .collect();
    }
    match a.data_type() {
        DataType::Int32 => a.as_primitive::<Int32Type>().values().iter().map(|&v| json!(v)).collect(),
        DataType::Float32 => {
            a.as_primitive::<Float32Type>().values().iter().map(|v| json!(format!("{:08x}", v.to_bits()))).collect()
        }
        DataType::Boolean => a.as_boolean().values().iter().map(|v| json!(v)).collect(),
        t => panic!("{t}"),
    }
}

#[test]
fn nested_vectors_and_vectors_of_bitsets_read_as_root_reads_them() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/root/nested-vectors.root");
    let f = RootFile::open(&path).unwrap();
    let t = f.tree("t").unwrap();
    let fixture: Value = serde_json::from_str(include_str!("fixtures/nested_vectors.json")).unwrap();
    let types = [
        ("vvv", Primitive::I32, Layout::VectorVectorVector, "std::vector<std::vector<std::vector<int32_t>>>"),
        ("fff", Primitive::F32, Layout::VectorVectorVector, "std::vector<std::vector<std::vector<float>>>"),
        ("bits", Primitive::Bool, Layout::VectorVector, "std::vector<std::vector<bool>>"),
    ];
    for (name, primitive, layout, cpp) in types {
        let ty = t.branch(name).unwrap().column.clone().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((ty.primitive, ty.layout), (primitive, layout), "{name}");
        assert_eq!(ty.cpp_name(), cpp, "{name}");
        let want = fixture["branches"][name].as_array().unwrap();
        let sel = t.select(&[name]).unwrap();
        for range in [0..t.entries(), 7..23] {
            let batch = t.read(&sel, range.clone()).unwrap();
            let got = entries(batch.column(0).as_ref());
            let want = &want[range.start as usize..range.end as usize];
            let first = (0..want.len()).find(|&e| got[e] != want[e]);
            assert!(first.is_none(), "{name}, entries {range:?}: entry {first:?} differs from ROOT's reading");
        }
    }
    assert!(fixture["branches"]["vvv"].as_array().unwrap().iter().any(|e| e.as_array().is_some_and(|l| l.len() > 2)));
}
