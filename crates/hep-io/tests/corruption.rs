//! Damaged files: for a fixed seed, hundreds of variants of the real sample and of the codec
//! files (truncations, byte flips in the header, keys, key lists, streamer info and compressed
//! data, zeroed regions). Each must give `Ok` with data of the declared size, or an `Err` —
//! never a panic — and allocations stay under the configured limits.

use hep_io::{Limits, RootFile};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const LIMITS: Limits = Limits { max_object_bytes: 64 << 20, max_ratio: 10_000, max_keys: 1 << 16, max_depth: 16 };

/// Opens and reads everything; returns whether every step succeeded.
fn exercise(bytes: Vec<u8>) -> bool {
    let Ok(f) = RootFile::with_limits(bytes, LIMITS) else { return false };
    let mut all_ok = true;
    match f.walk() {
        Ok(keys) => {
            for (_, k) in keys {
                let _ = f.codec_of(&k);
                match f.read_object(&k) {
                    Ok(obj) => assert_eq!(obj.len(), k.obj_len as usize, "Ok must mean the declared size"),
                    Err(_) => all_ok = false,
                }
            }
        }
        Err(_) => all_ok = false,
    }
    match f.streamer_info_key().and_then(|k| f.read_object(&k)) {
        Ok(_) => {}
        Err(_) => all_ok = false,
    }
    all_ok &= read_trees(&f);
    all_ok
}

/// Opens every tree and reads every supported branch in batches; `Ok` must mean complete data.
fn read_trees(f: &RootFile) -> bool {
    let Ok(trees) = f.trees() else { return false };
    let mut all_ok = true;
    for path in trees {
        let Ok(tree) = f.tree(&path) else {
            all_ok = false;
            continue;
        };
        let Ok(sel) = tree.select_supported(&["*"]) else { continue };
        let mut rows = 0;
        for batch in tree.batches(&sel).entries_per_batch(40) {
            match batch {
                Ok(b) => {
                    assert_eq!(b.num_columns(), sel.columns().len());
                    rows += b.num_rows() as u64;
                }
                Err(_) => all_ok = false,
            }
        }
        all_ok &= rows == tree.entries();
    }
    all_ok
}

/// Byte ranges worth damaging: the header, every key header, the streamer info, the tail (key
/// lists and free segments), and the start of every object's compressed data.
fn hot_spots(clean: &[u8]) -> Vec<(u64, u64)> {
    let f = RootFile::with_limits(clean.to_vec(), LIMITS).expect("the clean file opens");
    let h = f.header().clone();
    let mut spots = vec![(0, 120), (h.begin, u64::from(h.nbytes_name) + 80), (h.seek_info, 200)];
    for (_, k) in f.walk().expect("the clean file walks") {
        spots.push((k.seek_key, u64::from(k.key_len) + 64));
    }
    // Basket headers and the start of their data.
    for path in f.trees().expect("the clean file lists its trees") {
        let tree = f.tree(&path).expect("the clean tree opens");
        for b in tree.branches().iter().step_by(7) {
            spots.extend(b.basket_offsets().into_iter().map(|at| (at, 120)));
        }
    }
    let n = clean.len() as u64;
    spots.push((n.saturating_sub(4096), 4096));
    spots.into_iter().filter(|&(at, _)| at < n).collect()
}

fn damage(clean: &[u8], rng: &mut Rng, variants: usize) -> (usize, usize) {
    let spots = hot_spots(clean);
    let n = clean.len() as u64;
    let (mut ok, mut err) = (0, 0);
    for v in 0..variants {
        let mut b = clean.to_vec();
        match v % 4 {
            // Truncation at a hot spot or anywhere.
            0 => {
                let cut = if v % 8 == 0 {
                    rng.below(n)
                } else {
                    let (at, len) = spots[rng.below(spots.len() as u64) as usize];
                    (at + rng.below(len)).min(n - 1)
                };
                b.truncate(cut as usize);
            }
            // One to four byte flips in a hot spot.
            1 | 2 => {
                let (at, len) = spots[rng.below(spots.len() as u64) as usize];
                for _ in 0..1 + rng.below(4) {
                    let i = (at + rng.below(len)).min(n - 1) as usize;
                    b[i] ^= 1 + rng.below(255) as u8;
                }
            }
            // A zeroed region anywhere.
            _ => {
                let at = rng.below(n) as usize;
                let len = 1 + rng.below(4096) as usize;
                let end = (at + len).min(b.len());
                b[at..end].fill(0);
            }
        }
        if exercise(b) {
            ok += 1;
        } else {
            err += 1;
        }
    }
    (ok, err)
}

#[test]
fn damaged_physlite_sample_never_panics() {
    let path = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap_or_else(|e| panic!("{e}"));
    let clean = std::fs::read(path).unwrap();
    assert!(exercise(clean.clone()), "the clean file reads completely");
    let (ok, err) = damage(&clean, &mut Rng(0x5eed_1234_abcd_ef01), 400);
    eprintln!("PHYSLITE: {ok} variants read completely, {err} gave an error");
    assert_eq!(ok + err, 400);
    assert!(err > 200, "damage must be detected ({err} errors)");
}

#[test]
fn damaged_codec_files_never_panic() {
    let mut rng = Rng(0xc0de_c0de_1234_5678);
    let mut total = 0;
    for name in ["zlib", "lzma", "lz4", "zstd", "none"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/codec_{name}.root"));
        let clean = std::fs::read(path).unwrap();
        assert!(exercise(clean.clone()), "{name}: the clean file reads completely");
        let (ok, err) = damage(&clean, &mut rng, 40);
        eprintln!("{name}: {ok} ok, {err} errors");
        assert!(err > 0, "{name}: damage must be detected");
        total += ok + err;
    }
    assert_eq!(total, 200);
}

#[test]
fn specific_damage_gives_specific_errors() {
    assert!(matches!(RootFile::from_bytes(b"ROOT....".to_vec()), Err(hep_io::Error::BadMagic { offset: 0, .. })));
    let path = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap_or_else(|e| panic!("{e}"));
    let clean = std::fs::read(path).unwrap();
    // Truncated inside the header.
    assert!(matches!(RootFile::from_bytes(clean[..20].to_vec()), Err(hep_io::Error::Truncated { .. })));
    // An object whose compressed bytes are cut off.
    let f = RootFile::from_bytes(clean.clone()).unwrap();
    let tree = f.get("CollectionTree").unwrap();
    let cut = (tree.seek_key + u64::from(tree.key_len) + 100) as usize;
    let g = RootFile::from_bytes(clean[..cut].to_vec()).unwrap();
    let e = g.read_object(&tree).unwrap_err();
    assert!(matches!(e, hep_io::Error::Truncated { .. }), "{e}");
    // A flipped byte inside the zlib stream.
    let mut b = clean.clone();
    b[(tree.seek_key + u64::from(tree.key_len) + 50) as usize] ^= 0x55;
    let e = RootFile::from_bytes(b).unwrap().read_object(&tree).unwrap_err();
    assert!(matches!(e, hep_io::Error::Decompression { .. }), "{e}");
    // A flipped byte inside a compressed basket: the error names the branch and the basket.
    let jets = f.tree("CollectionTree").unwrap().branch("AnalysisJetsAuxDyn.pt").unwrap().basket_offsets()[0];
    let mut b = clean.clone();
    b[jets as usize + 120] ^= 0x55;
    let g = RootFile::from_bytes(b).unwrap();
    let t = g.tree("CollectionTree").unwrap();
    let e = t.read(&t.select(&["AnalysisJetsAuxDyn.pt"]).unwrap(), 0..100).unwrap_err();
    assert!(matches!(&e, hep_io::Error::InBranch { basket: Some(0), .. }), "{e}");
    assert!(e.to_string().contains("AnalysisJetsAuxDyn.pt, basket 0"), "{e}");
    // An unknown codec tag.
    let mut b = clean;
    let at = (tree.seek_key + u64::from(tree.key_len)) as usize;
    b[at..at + 2].copy_from_slice(b"QQ");
    let e = RootFile::from_bytes(b).unwrap().read_object(&tree).unwrap_err();
    assert!(matches!(e, hep_io::Error::UnknownCodec { tag: [b'Q', b'Q'], .. }), "{e}");
}
