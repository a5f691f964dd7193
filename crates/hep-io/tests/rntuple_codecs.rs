//! RNTuple pages under every ROOT codec (`tests/data/rntuple/codec_*.root`, written by uproot
//! with `scripts/make_rntuple_codec_files.py`): scalars, booleans, vectors and vectors of vectors
//! over four clusters, and a 20 MB page that the compressing codecs split into blocks, against
//! the formulas the script wrote.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int16Type, Int32Type};
use arrow_array::{Array, RecordBatch};
use hep_io::RootFile;

fn read(file: &RootFile, name: &str) -> RecordBatch {
    let nt = file.rntuple(name).unwrap();
    let sel = nt.select_supported(&["*"]).unwrap();
    assert!(sel.skipped().is_empty(), "{name}: {:?}", sel.skipped());
    nt.read(&sel, 0..nt.entries()).unwrap()
}

#[test]
fn every_codec_reads_every_shape_across_clusters() {
    for codec in ["zlib", "lz4", "lzma", "zstd", "none"] {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/rntuple/codec_{codec}.root"));
        let f = RootFile::open(&path).unwrap_or_else(|e| panic!("{codec}: {e}"));
        let b = read(&f, "events");
        assert_eq!(b.num_rows(), 1000, "{codec}");
        let x = b.column_by_name("x").unwrap().as_primitive::<Float32Type>().values().to_vec();
        assert_eq!(x, (0..1000).map(|i| i as f32 / 4.0).collect::<Vec<_>>(), "{codec}");
        let n = b.column_by_name("n").unwrap().as_primitive::<Int32Type>().values().to_vec();
        assert_eq!(n, (0..1000).map(|i| 3 * i - 1000).collect::<Vec<i32>>(), "{codec}");
        let bits: Vec<bool> = b.column_by_name("b").unwrap().as_boolean().iter().map(Option::unwrap).collect();
        assert_eq!(bits, (0..1000).map(|i| i % 3 == 0).collect::<Vec<_>>(), "{codec}");
        let v = b.column_by_name("v").unwrap().as_list::<i64>();
        let w = b.column_by_name("w").unwrap().as_list::<i64>();
        for i in 0..1000usize {
            let got = v.value(i).as_primitive::<Float32Type>().values().to_vec();
            let want: Vec<f32> = (0..i % 4).map(|j| i as f32 + 0.5 * j as f32).collect();
            assert_eq!(got, want, "{codec} v[{i}]");
            let outer = w.value(i);
            let outer = outer.as_list::<i64>();
            assert_eq!(outer.len(), i % 3, "{codec} w[{i}]");
            for j in 0..i % 3 {
                let inner = outer.value(j).as_primitive::<Int16Type>().values().to_vec();
                let want: Vec<i16> = (j..=j + i % 2).map(|k| k as i16).collect();
                assert_eq!(inner, want, "{codec} w[{i}][{j}]");
            }
        }
        if codec != "none" {
            let long = read(&f, "long");
            let y = long.column(0).as_primitive::<Float32Type>();
            assert_eq!(y.len(), 5_000_000, "{codec}");
            let bad = y.values().iter().enumerate().find(|&(i, &v)| v != ((i / 4096) % 251) as f32);
            assert_eq!(bad, None, "{codec}: the 20 MB page");
        }
    }
}
