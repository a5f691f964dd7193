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
    log(RootFile::with_limits(bytes, LIMITS)).iter().all(|step| step == "ok")
}

/// Reads everything the file offers and logs each step's outcome: "ok" or the error message.
fn log(file: hep_io::Result<RootFile>) -> Vec<String> {
    let mut log = Vec::new();
    let mut note = |r: Result<(), String>| log.push(r.err().unwrap_or_else(|| "ok".into()));
    let f = match file {
        Ok(f) => f,
        Err(e) => {
            note(Err(e.to_string()));
            return log;
        }
    };
    match f.walk() {
        Ok(keys) => {
            for (_, k) in keys {
                note(f.codec_of(&k).map(drop).map_err(|e| e.to_string()));
                let obj = f.read_object(&k).map_err(|e| e.to_string());
                note(obj.map(|obj| assert_eq!(obj.len(), k.obj_len as usize, "Ok means the declared size")));
            }
        }
        Err(e) => note(Err(e.to_string())),
    }
    note(f.streamer_info_key().and_then(|k| f.read_object(&k)).map(drop).map_err(|e| e.to_string()));
    read_trees(&f, &mut note);
    log
}

/// Opens every tree and reads every supported branch in batches; `Ok` must mean complete data.
fn read_trees(f: &RootFile, note: &mut impl FnMut(Result<(), String>)) {
    let trees = match f.trees() {
        Ok(t) => t,
        Err(e) => return note(Err(e.to_string())),
    };
    for path in trees {
        let tree = match f.tree(&path) {
            Ok(t) => t,
            Err(e) => {
                note(Err(e.to_string()));
                continue;
            }
        };
        let Ok(sel) = tree.select_supported(&["*"]) else { continue };
        let mut rows = 0;
        for batch in tree.batches(&sel).entries_per_batch(40) {
            note(batch.map_err(|e| e.to_string()).map(|b| {
                assert_eq!(b.num_columns(), sel.columns().len());
                rows += b.num_rows() as u64;
            }));
        }
        note(if rows == tree.entries() { Ok(()) } else { Err(format!("{rows} of {} rows", tree.entries())) });
    }
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

/// Makes `variants` damaged copies of `clean` and hands each to `check`, which says whether it
/// read completely; returns the counts of complete reads and errors.
fn damage(clean: &[u8], rng: &mut Rng, variants: usize, mut check: impl FnMut(Vec<u8>) -> bool) -> (usize, usize) {
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
        if check(b) {
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
    let (ok, err) = damage(&clean, &mut Rng(0x5eed_1234_abcd_ef01), 400, exercise);
    eprintln!("PHYSLITE: {ok} variants read completely, {err} gave an error");
    assert_eq!(ok + err, 400);
    assert!(err > 200, "damage must be detected ({err} errors)");
}

#[test]
fn damaged_test_files_never_panic() {
    let mut rng = Rng(0xc0de_c0de_1234_5678);
    let mut total = 0;
    let files = ["codec_zlib", "codec_lzma", "codec_lz4", "codec_zstd", "codec_none", "embedded_baskets"];
    for name in files {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/{name}.root"));
        let clean = std::fs::read(path).unwrap();
        assert!(exercise(clean.clone()), "{name}: the clean file reads completely");
        let (ok, err) = damage(&clean, &mut rng, 40, exercise);
        eprintln!("{name}: {ok} ok, {err} errors");
        assert!(err > 0, "{name}: damage must be detected");
        total += ok + err;
    }
    assert_eq!(total, 240);
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

/// A file opened from disk is read at its records' offsets rather than held in memory: damaged
/// files must give the same outcome, step by step, either way.
#[test]
fn damaged_files_read_from_disk_as_from_memory() {
    let dir = std::env::temp_dir().join(format!("hep-io-corruption-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0xd15c_0000_5eed_0001);
    let mut variants = 0;
    for name in ["codec_zstd", "embedded_baskets"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/{name}.root"));
        let clean = std::fs::read(path).unwrap();
        let (ok, err) = damage(&clean, &mut rng, 30, |b| {
            let on_disk = dir.join(format!("{name}-{variants}.root"));
            variants += 1;
            std::fs::write(&on_disk, &b).unwrap();
            let from_disk = log(RootFile::open_with_limits(&on_disk, LIMITS));
            std::fs::remove_file(&on_disk).unwrap();
            let from_memory = log(RootFile::with_limits(b, LIMITS));
            assert_eq!(from_disk, from_memory, "{name}, variant {variants}");
            from_disk.iter().all(|step| step == "ok")
        });
        assert!(ok > 0 && err > 0, "{name}: {ok} complete reads, {err} errors");
    }
    std::fs::remove_dir(&dir).unwrap();
}
