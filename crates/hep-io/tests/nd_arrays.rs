//! Fixed-size arrays of three and four dimensions, in a file ROOT 6.40 wrote
//! (`tests/data/root/nd-arrays.root`, `scripts/make_nd_arrays.py`): TTree leaves `x[2][3][4]/F`
//! and `d[2][2][2][2]/D`, the member `double a[2][3][4]` of a split object, and RNTuple fields
//! `std::array<std::array<std::array<float, 2>, 3>, 4>` and `std::vector<std::array<float, 3>>`.
//! Each keeps its dimensions as nested fixed-size lists, and its values are what ROOT reads from
//! the file (`tests/fixtures/nd_arrays.json`), bit for bit.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use hep_io::{Dims, Layout, RootFile};

fn file() -> RootFile {
    RootFile::open(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/root/nd-arrays.root")).unwrap()
}

/// The sizes of a column's nested fixed-size lists, outermost first, and its values in hex
/// (`f32` or `f64` bit patterns), entry after entry in C order.
fn unnest(column: &ArrayRef) -> (Vec<i32>, Vec<String>) {
    let mut sizes = Vec::new();
    let mut values = column.clone();
    while let DataType::FixedSizeList(_, n) = values.data_type() {
        sizes.push(*n);
        values = values.as_fixed_size_list().values().clone();
    }
    let hex = match values.data_type() {
        DataType::Float32 => {
            values.as_primitive::<Float32Type>().values().iter().map(|v| format!("{:08x}", v.to_bits())).collect()
        }
        DataType::Float64 => {
            values.as_primitive::<Float64Type>().values().iter().map(|v| format!("{:016x}", v.to_bits())).collect()
        }
        t => panic!("{t}"),
    };
    (sizes, hex)
}

/// The fixture's values of `name`, every entry's in turn.
fn root_reads(name: &str) -> Vec<String> {
    let fixture: serde_json::Value = serde_json::from_str(include_str!("fixtures/nd_arrays.json")).unwrap();
    let entries = fixture["branches"][name].as_array().unwrap_or_else(|| panic!("{name}"));
    entries.iter().flat_map(|e| e.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string())).collect()
}

fn check(batch: &RecordBatch, name: &str, sizes: &[i32]) {
    let column = batch.column_by_name(name).unwrap_or_else(|| panic!("{name} is not read"));
    let (got_sizes, values) = unnest(column);
    assert_eq!(got_sizes, sizes, "{name}");
    let want = root_reads(name);
    assert_eq!(values.len(), want.len(), "{name}");
    let first = values.iter().zip(&want).position(|(a, b)| a != b);
    assert!(first.is_none(), "{name}: value {first:?} differs from ROOT's");
}

#[test]
fn tree_arrays_of_three_and_four_dimensions_keep_them() {
    let f = file();
    let tree = f.tree("t").unwrap();
    let types = [
        ("x", "float[2][3][4]", vec![2, 3, 4]),
        ("d", "double[2][2][2][2]", vec![2, 2, 2, 2]),
        ("obj/a[2][3][4]", "double[2][3][4]", vec![2, 3, 4]),
    ];
    for (name, cpp, dims) in &types {
        let ty = tree.branch(name).unwrap().column.clone().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ty.layout, Layout::NdArray(Dims::new(dims).unwrap()), "{name}");
        assert_eq!(ty.cpp_name(), *cpp, "{name}");
    }
    let sel = tree.select(&["x", "d", "obj/a[2][3][4]"]).unwrap();
    let batch = tree.read(&sel, 0..tree.entries()).unwrap();
    assert_eq!(batch.num_rows(), 7);
    for (name, _, dims) in &types {
        let sizes: Vec<i32> = dims.iter().map(|&n| n as i32).collect();
        check(&batch, name, &sizes);
    }
    // Entries in the middle of a basket start at their own array.
    let tail = tree.read(&sel, 3..5).unwrap();
    let (_, values) = unnest(tail.column(0));
    assert_eq!(values, root_reads("x")[3 * 24..5 * 24]);
}

#[test]
fn rntuple_arrays_nested_three_deep_keep_their_dimensions() {
    let f = file();
    let nt = f.rntuple("n").unwrap();
    let field = nt.fields().iter().find(|f| f.name == "cube").unwrap();
    let ty = field.column.clone().unwrap_or_else(|e| panic!("cube: {e}"));
    assert_eq!(ty.layout, Layout::NdArray(Dims::new(&[4, 3, 2]).unwrap()));
    let sel = nt.select_supported(&["cube"]).unwrap();
    let batch = nt.read(&sel, 0..nt.entries()).unwrap();
    check(&batch, "cube", &[4, 3, 2]);
}

#[test]
fn rntuple_vectors_of_arrays_are_lists_of_fixed_size_lists() {
    let f = file();
    let nt = f.rntuple("n").unwrap();
    let field = nt.fields().iter().find(|f| f.name == "tracks").unwrap();
    assert_eq!(field.column.clone().unwrap().layout, Layout::JaggedArray(3));
    let sel = nt.select_supported(&["tracks"]).unwrap();
    for range in [0..nt.entries(), 2..5] {
        let batch = nt.read(&sel, range.clone()).unwrap();
        let lists = batch.column(0).as_list::<i64>();
        let lengths: Vec<i64> = lists.value_offsets().windows(2).map(|w| w[1] - w[0]).collect();
        let want: Vec<i64> = range.clone().map(|i| (i % 4) as i64).collect();
        assert_eq!(lengths, want, "{range:?}");
        let (sizes, values) = unnest(&lists.values().slice(
            lists.value_offsets()[0] as usize,
            (lists.value_offsets()[lengths.len()] - lists.value_offsets()[0]) as usize,
        ));
        assert_eq!(sizes, [3]);
        let fixture: serde_json::Value = serde_json::from_str(include_str!("fixtures/nd_arrays.json")).unwrap();
        let want: Vec<String> = fixture["branches"]["tracks"].as_array().unwrap()
            [range.start as usize..range.end as usize]
            .iter()
            .flat_map(|e| e.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()))
            .collect();
        assert_eq!(values, want, "{range:?}");
    }
}
