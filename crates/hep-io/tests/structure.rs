//! File structure and codecs on the real PHYSLITE samples and on generated files (one per codec,
//! with an object split into several compressed blocks).

use hep_io::{Codec, RootFile};

fn data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

#[test]
fn physlite_ttree_file_lists_and_decompresses_every_key() {
    let path = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap_or_else(|e| panic!("{e}"));
    let f = RootFile::open(path).unwrap();
    assert_eq!(f.header().version, 63202);
    let tree = f.get("CollectionTree").unwrap();
    assert_eq!(tree.class_name, "TTree");
    assert_eq!(f.codec_of(&tree).unwrap(), Some(Codec::Zlib));
    for (path, key) in f.walk().unwrap() {
        let obj = f.read_object(&key).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(obj.len(), key.obj_len as usize, "{path}");
    }
    let info = f.streamer_info_key().unwrap();
    assert_eq!(info.class_name, "TList");
    assert_eq!(f.read_object(&info).unwrap().len(), info.obj_len as usize);
}

#[test]
fn physlite_rntuple_file_is_zstd() {
    let path = hepfloat_testdata::data_file("physlite_rntuple.root").unwrap_or_else(|e| panic!("{e}"));
    let f = RootFile::open(path).unwrap();
    assert_eq!(f.header().compress, 505);
    let keys = f.walk().unwrap();
    assert!(keys.iter().any(|(_, k)| k.name == "EventData"), "the RNTuple anchor");
    let mut zstd = 0;
    for (path, key) in &keys {
        assert_eq!(f.read_object(key).unwrap_or_else(|e| panic!("{path}: {e}")).len(), key.obj_len as usize);
        zstd += usize::from(f.codec_of(key).unwrap() == Some(Codec::Zstd));
    }
    assert!(zstd > 0);
}

#[test]
fn every_codec_with_multi_block_objects() {
    for (name, codec) in [("zlib", Codec::Zlib), ("lzma", Codec::Lzma), ("lz4", Codec::Lz4), ("zstd", Codec::Zstd)] {
        let f = RootFile::open(data(&format!("codec_{name}.root"))).unwrap();
        let paths: Vec<String> = f.walk().unwrap().into_iter().map(|(p, _)| p).collect();
        for p in ["big", "small", "dir", "dir/note"] {
            assert!(paths.iter().any(|q| q == p), "{name}: {p} missing from {paths:?}");
        }
        let big = f.get("big").unwrap();
        assert_eq!(big.class_name, "TH1D");
        assert!(big.obj_len > 0xff_ffff, "{name}: the object must exceed one block");
        assert_eq!(f.codec_of(&big).unwrap(), Some(codec), "{name}");
        let obj = f.read_object(&big).unwrap();
        assert_eq!(obj.len(), big.obj_len as usize);
        // The bin contents close the streamed TH1D, big-endian: empty under- and overflow bins
        // around bin i = (i / 4096) % 251.
        let n = 3_000_002usize;
        let tail = &obj[obj.len() - 8 * n..];
        for (i, v) in tail.chunks_exact(8).enumerate() {
            let v = f64::from_be_bytes(v.try_into().unwrap());
            let expected = if i == 0 || i == n - 1 { 0.0 } else { ((i / 4096) % 251) as f64 };
            assert_eq!(v, expected, "{name}: bin {i}");
        }
        let dir = f.get("dir").unwrap();
        let note = f.keys_in(&dir).unwrap().into_iter().find(|k| k.name == "note").unwrap();
        let text = f.read_object(&note).unwrap();
        assert!(String::from_utf8_lossy(&text).contains("hep-io codec test"), "{name}");
    }
}

#[test]
fn uncompressed_objects() {
    let f = RootFile::open(data("codec_none.root")).unwrap();
    let small = f.get("small").unwrap();
    assert_eq!(f.codec_of(&small).unwrap(), None);
    assert_eq!(f.read_object(&small).unwrap().len(), small.obj_len as usize);
    assert!(matches!(f.get("nope"), Err(hep_io::Error::NoSuchKey(_))));
}
