//! Damaged files: for a fixed seed, hundreds of variants of the real sample and of the codec
//! files (truncations, byte flips in the header, keys, key lists, streamer info and compressed
//! data, zeroed regions). Each must give `Ok` with data of the declared size, or an `Err` —
//! never a panic — and allocations stay under the configured limits. Then targeted damage: a
//! StreamerInfo record that still decompresses but describes classes wrongly (branches are
//! reported damaged, never silently unsupported), and numbers at the edges of their types in
//! the header, keys and basket lists (typed errors naming what and where).

use hep_io::{Limits, RootFile};
use hepfloat_testdata::damage::{replace_all, with_streamer_info};

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
        // Damaged branches are skipped and listed, as a caller reading a damaged file in part
        // would; selecting them by default is an error.
        let sel = match tree.select_readable(&["*"]) {
            Ok(sel) => sel,
            Err(e) => {
                note(Err(e.to_string()));
                continue;
            }
        };
        if !sel.damaged().is_empty() {
            let damaged = tree.select_supported(&["*"]).map(drop).map_err(|e| e.to_string());
            assert!(damaged.as_ref().is_err_and(|e| e.contains("is damaged at offset")), "{damaged:?}");
            note(damaged);
        }
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

/// The case: a damaged StreamerInfo record used to make branches of supported types
/// look unsupported, so `select_supported` dropped them silently. Each variant is a copy of the
/// sample on disk whose streamer-info record still decompresses: (a) a zeroed stretch makes the
/// list unreadable, (b) a garbled class name makes one class description missing, (c) a
/// garbled member list class leaves descriptions without members. Every branch that reads from
/// the clean file must now read, or be reported damaged (never unsupported), naming the branch
/// and the record's offset; the sound file reports no damage.
#[test]
fn damaged_streamer_info_is_reported_not_skipped() {
    let path = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap_or_else(|e| panic!("{e}"));
    let clean = std::fs::read(path).unwrap();
    let dir = std::env::temp_dir().join(format!("hep-io-streamer-info-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sound = dir.join("sound.root");
    std::fs::write(&sound, &clean).unwrap();
    let f = RootFile::open(&sound).unwrap();
    let t = f.tree("CollectionTree").unwrap();
    assert_eq!(t.damaged(), [], "the sound file has no damaged branch");
    let all = t.select_supported(&["*"]).unwrap();
    assert!(all.damaged().is_empty());
    assert_eq!(t.select_readable(&["*"]).unwrap().columns(), all.columns());
    let types: std::collections::HashMap<String, _> =
        t.branches().iter().map(|b| (b.path.clone(), b.column.clone().ok())).collect();

    type Damage = fn(&mut Vec<u8>);
    let variants: [(&str, Damage); 3] = [
        ("zeroed stretch", |p| p[1000..1200].fill(0)),
        ("garbled class name", |p| {
            assert!(replace_all(p, b"xAOD::JetAuxContainer_v1", b"xAOD::JetAuxContainer_v9") > 0);
        }),
        ("garbled member lists", |p| {
            assert!(replace_all(p, b"TObjArray\0", b"TObjArrax\0") > 0);
        }),
    ];
    for (label, damage) in variants {
        let file = dir.join(format!("{}.root", label.replace(' ', "_")));
        std::fs::write(&file, with_streamer_info(&clean, damage)).unwrap();
        let g = RootFile::open(&file).unwrap();
        let seek_info = g.header().seek_info;
        let t = g.tree("CollectionTree").unwrap();
        let damaged = t.damaged();
        let lost = damaged.iter().filter(|d| types[&d.branch].is_some()).count();
        eprintln!("{label}: {} branches damaged ({lost} of them read from the sound file)", damaged.len());
        assert!(lost > 0, "{label}: some branches of supported types lose their types");
        for d in &damaged {
            assert_eq!(d.offset, seek_info, "{label}: {d}");
        }
        // No silent loss: every branch the sound file reads is read alike or reported damaged.
        for b in t.branches() {
            match (&types[&b.path], &b.column) {
                (Some(before), Ok(now)) => assert_eq!(before, now, "{label}: {}", b.path),
                (Some(_), Err(why)) => assert!(why.is_damaged(), "{label}: {} is {why}", b.path),
                (None, _) => {}
            }
        }
        // Selecting fails by default, naming a damaged branch and where the damage is.
        let e = t.select_supported(&["*"]).unwrap_err();
        let hep_io::Error::DamagedBranch(d) = &e else { panic!("{label}: {e}") };
        assert!(damaged.contains(d), "{label}: {e}");
        assert!(e.to_string().contains(&format!("branch {} is damaged at offset {seek_info}", d.branch)), "{e}");
        assert!(matches!(t.select(&[&d.branch]), Err(hep_io::Error::DamagedBranch(_))));
        // On request, damaged branches are skipped and listed; the rest reads completely.
        let sel = t.select_readable(&["*"]).unwrap();
        assert_eq!(sel.damaged(), damaged);
        assert_eq!(sel.columns().len() + lost, all.columns().len(), "{label}");
        let mut rows = 0;
        for batch in t.batches(&sel).entries_per_batch(40) {
            rows += batch.unwrap().num_rows() as u64;
        }
        assert_eq!(rows, t.entries());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The sound test files report no damaged branch.
#[test]
fn sound_test_files_have_no_damaged_branches() {
    for name in ["codec_zlib", "codec_lzma", "codec_lz4", "codec_zstd", "codec_none", "embedded_baskets"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/{name}.root"));
        let f = RootFile::open(path).unwrap();
        for tree in f.trees().unwrap() {
            let t = f.tree(&tree).unwrap();
            assert_eq!(t.damaged(), [], "{name} {tree}");
            assert!(t.select_supported(&["*"]).is_ok(), "{name} {tree}");
        }
    }
}

/// Every occurrence of `needle` in `bytes[range]`, as file offsets.
fn find_all(bytes: &[u8], range: std::ops::Range<usize>, needle: &[u8]) -> Vec<usize> {
    (range.start..range.end.saturating_sub(needle.len()) + 1)
        .filter(|&i| bytes[i..i + needle.len()] == *needle)
        .collect()
}

/// Numbers at the edges of their types, written into the uncompressed test file where the
/// reader takes sizes, offsets and counts from: each is a typed error naming the structure and
/// where (or, for a basket list, a damaged branch), never a wrap or a panic.
#[test]
fn crafted_numbers_at_the_edges_give_typed_errors() {
    use hep_io::Error;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/codec_none.root");
    let clean = std::fs::read(path).unwrap();
    let f = RootFile::from_bytes(clean.clone()).unwrap();
    assert!(f.header().version < 1_000_000, "a file with 32-bit header fields");
    let patched = |at: usize, v: &[u8]| {
        let mut b = clean.clone();
        b[at..at + v.len()].copy_from_slice(v);
        b
    };

    // Header: fSeekInfo (bytes 37..41), fBEGIN (8..12), fNbytesName (28..32).
    let e = RootFile::from_bytes(patched(37, &(-1i32).to_be_bytes())).unwrap_err();
    assert!(matches!(&e, Error::Malformed { offset: 4, .. }) && e.to_string().contains("fSeekInfo"), "{e}");
    let g = RootFile::from_bytes(patched(37, &i32::MAX.to_be_bytes())).unwrap();
    let e = g.streamer_info_key().unwrap_err();
    assert!(matches!(e, Error::Truncated { offset: 0x7fff_ffff, .. }), "{e}");
    let e = RootFile::from_bytes(patched(8, &i32::MAX.to_be_bytes())).unwrap_err();
    assert!(matches!(e, Error::Truncated { what: "top directory", offset: 0x7fff_ffff, .. }), "{e}");
    let e = RootFile::from_bytes(patched(28, &i32::MIN.to_be_bytes())).unwrap_err();
    assert!(matches!(&e, Error::Malformed { .. }) && e.to_string().contains("fNbytesName is -2147483648"), "{e}");

    // A key: fNbytes negative on disk; fObjlen at the i32 maximum in the key and its directory
    // entry (the size limit refuses it), or negative there (read as u32 it would be 4 GiB).
    let tree = f.get("events").unwrap();
    let at = tree.seek_key as usize;
    let e = RootFile::from_bytes(patched(at, &(-1i32).to_be_bytes())).unwrap().read_object(&tree).unwrap_err();
    assert!(matches!(&e, Error::Malformed { what: "key", .. }) && e.to_string().contains("fNbytes is -1"), "{e}");
    let copies = find_all(&clean, 0..clean.len(), &clean[at..at + 18]);
    assert!(copies.len() >= 2, "the key and its entry in the key list: {copies:?}");
    for (obj_len, limit) in [(i32::MAX, true), (-1, false)] {
        let mut b = clean.clone();
        for &c in &copies {
            b[c + 6..c + 10].copy_from_slice(&obj_len.to_be_bytes());
        }
        let g = RootFile::from_bytes(b).unwrap();
        match g.get("events") {
            Ok(k) => {
                assert!(limit, "{k:?}");
                let e = g.read_object(&k).unwrap_err();
                assert!(matches!(e, Error::LimitExceeded { size: 0x7fff_ffff, .. }), "{e}");
            }
            Err(e) => assert!(!limit && e.to_string().contains("fObjlen is -1"), "{e}"),
        }
    }

    // The basket list of branch `f`, inside the uncompressed TTree record.
    let t = f.tree("events").unwrap();
    let b = t.branch("f").unwrap();
    let seeks = b.basket_offsets();
    let record = at + usize::from(tree.key_len)..at + tree.nbytes as usize;
    let [seek0] = find_all(&clean, record.clone(), &(seeks[0] as i64).to_be_bytes())[..] else {
        panic!("fBasketSeek[0] of f is not unique in the tree record")
    };
    // fBasketBytes: the sizes the baskets' own keys start with, in a row.
    let sizes: Vec<u8> = seeks.iter().flat_map(|&s| clean[s as usize..s as usize + 4].to_vec()).collect();
    let [bytes0] = find_all(&clean, record.start..seek0, &sizes)[..] else {
        panic!("fBasketBytes of f is not unique in the tree record")
    };
    let len = clean.len() as i64;
    // fBasketSeek is 64 bits wide, fBasketBytes 32.
    let basket_field = |field: usize, value: i64| {
        if field == seek0 {
            patched(field, &value.to_be_bytes())
        } else {
            patched(field, &(value as i32).to_be_bytes())
        }
    };
    // Negative seeks and sizes: the branch is damaged (the tree and the other branches read).
    for (field, value) in [(seek0, -1i64), (seek0, i64::MIN), (bytes0, -1), (bytes0, i64::from(i32::MIN))] {
        let bytes = basket_field(field, value);
        let g = RootFile::from_bytes(bytes).unwrap();
        let t = g.tree("events").unwrap();
        let damaged = t.damaged();
        assert_eq!(damaged.len(), 1, "{value}: {damaged:?}");
        assert_eq!((damaged[0].branch.as_str(), damaged[0].offset), ("f", b.offset()));
        assert!(damaged[0].detail.contains(&value.to_string()), "{}", damaged[0]);
        assert!(matches!(t.select(&["f"]), Err(Error::DamagedBranch(_))));
        let sel = t.select_readable(&["*"]).unwrap();
        assert_eq!(sel.columns().len() + 1, t.branches().len());
        assert_eq!(t.read(&sel, 0..t.entries()).unwrap().num_rows() as u64, t.entries());
    }
    // Seeks and sizes that are positive but past the end, up to the type's maximum: reading the
    // branch fails naming it, the basket and the file offset.
    for (field, value) in [(seek0, i64::MAX), (seek0, len), (seek0, i64::from(u32::MAX)), (bytes0, i64::from(i32::MAX))]
    {
        let bytes = basket_field(field, value);
        let g = RootFile::from_bytes(bytes).unwrap();
        let t = g.tree("events").unwrap();
        assert!(t.damaged().is_empty());
        let e = t.read(&t.select(&["f"]).unwrap(), 0..t.entries()).unwrap_err();
        let Error::InBranch { branch, basket: Some(0), offset, source } = &e else { panic!("{value}: {e}") };
        assert_eq!(branch, "f");
        assert_eq!(*offset, if field == seek0 { value as u64 } else { seeks[0] });
        assert!(matches!(**source, Error::Truncated { what: "basket", .. }), "{value}: {e}");
        assert!(e.to_string().starts_with(&format!("branch f, basket 0 (offset {offset}): ")), "{e}");
    }
}
