//! RNTuple reading against the bit-exact reference decode (uproot 5.7.7) of the RNTuple PHYSLITE
//! sample: every float field, list lengths included.

use std::fs::File;

use arrow_array::RecordBatch;
use hep_io::RootFile;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn sample() -> RootFile {
    let path = hepfloat_testdata::data_file("physlite_rntuple.root").unwrap_or_else(|e| panic!("{e}"));
    RootFile::open(path).unwrap()
}

fn reference() -> RecordBatch {
    let path = hepfloat_testdata::data_file(hepfloat_testdata::RNTUPLE_FLOATS).unwrap_or_else(|e| panic!("{e}"));
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
}

#[test]
fn the_sample_lists_its_rntuples() {
    let f = sample();
    let names = f.rntuples().unwrap();
    assert!(names.iter().any(|n| n == "EventData"), "{names:?}");
    assert_eq!(names.len(), 4, "{names:?}");
}

#[test]
fn all_375_float_columns_are_bit_identical_to_the_reference() {
    let f = sample();
    let nt = f.rntuple("EventData").unwrap();
    assert_eq!(nt.entries(), 100);
    let reference = reference();
    assert_eq!(reference.num_columns(), 375);
    let names: Vec<String> = reference.schema().fields().iter().map(|f| f.name().clone()).collect();
    let sel = nt.select_supported(&names).unwrap();
    assert_eq!(sel.columns(), &names[..], "every float field is read");
    let ours = nt.read(&sel, 0..100).unwrap();
    let mut bad = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if let Err(e) = hepfloat_testdata::same_bits(ours.column(i).as_ref(), reference.column(i).as_ref(), name) {
            bad.push(e);
        }
    }
    assert!(bad.is_empty(), "{} of 375 columns differ: {:?}", bad.len(), &bad[..bad.len().min(5)]);
    // Entry ranges agree with the whole.
    let part = nt.read(&sel, 37..81).unwrap();
    assert_eq!(part, ours.slice(37, 44));
}

#[test]
fn every_field_is_read_or_says_why_not() {
    let f = sample();
    let nt = f.rntuple("EventData").unwrap();
    let all = nt.select_supported(&["*"]).unwrap();
    assert_eq!(all.columns().len() + all.skipped().len(), nt.fields().len());
    let batch = nt.read(&all, 0..nt.entries()).unwrap();
    assert_eq!(batch.num_columns(), all.columns().len());
    let shown = nt.show();
    assert!(shown.contains("AnalysisJetsAuxDyn:pt"), "{shown}");
    for f in nt.fields().iter().filter(|f| f.column.is_err()) {
        assert!(shown.contains(&f.name));
    }
}

/// Open the RNTuple of damaged bytes and read every field: `Ok` or a typed error, never a panic.
fn open_and_read(bytes: Vec<u8>) -> Result<RecordBatch, hep_io::Error> {
    let f = RootFile::from_bytes(bytes)?;
    let nt = f.rntuple("EventData")?;
    let sel = nt.select_supported(&["*"])?;
    nt.read(&sel, 0..nt.entries())
}

#[test]
fn damaged_rntuple_files_give_errors_not_panics() {
    let path = hepfloat_testdata::data_file("physlite_rntuple.root").unwrap_or_else(|e| panic!("{e}"));
    let sound = std::fs::read(path).unwrap();
    let whole = open_and_read(sound.clone()).unwrap();
    let (mut ok, mut err, mut changed) = (0, 0, 0);
    let mut count = |r: Result<RecordBatch, hep_io::Error>| match r {
        Ok(b) => {
            assert_eq!(b.schema(), whole.schema(), "a damaged file that reads must read every field");
            // Pages without checksums: a flipped byte the codec does not notice changes values.
            changed += usize::from(b != whole);
            ok += 1
        }
        Err(e) => {
            // Errors name where: a file offset (never the placeholder 0, which no RNTuple
            // structure of this file has), or the key that could not be found.
            let msg = e.to_string();
            assert!(msg.contains("offset ") || msg.contains("no key named"), "{msg}");
            assert!(!msg.contains("offset 0:") && !msg.contains("offset 0)"), "{msg}");
            // A field's error points at the damage its cause found (the page), not the header.
            if let hep_io::Error::InBranch { offset, source, .. } = &e {
                assert!(source.offset().is_none_or(|o| o == *offset), "{msg}");
            }
            err += 1
        }
    };
    // Flipped bytes over the whole file (a deterministic spread), and zeroed runs.
    let n = sound.len();
    for i in 0..400usize {
        let at = (i * 2_654_435_761usize) % n;
        let mut b = sound.clone();
        b[at] ^= 1 << (i % 8);
        count(open_and_read(b));
    }
    for i in 0..60usize {
        let at = (i * 40_503) % n;
        let mut b = sound.clone();
        b[at..(at + 64).min(n)].fill(0);
        count(open_and_read(b));
    }
    // Truncations.
    for i in 1..=50usize {
        count(open_and_read(sound[..n * i / 51].to_vec()));
    }
    // Every byte of the anchor's fields and checksum: the checksum catches each flip.
    let f = RootFile::from_bytes(sound.clone()).unwrap();
    let key = f.get("EventData").unwrap();
    let data = (key.seek_key + u64::from(key.key_len)) as usize;
    for at in data + 6..data + 78 {
        let mut b = sound.clone();
        b[at] ^= 0x10;
        let e = open_and_read(b).unwrap_err();
        assert!(e.to_string().contains("anchor"), "byte {at}: {e}");
        err += 1;
    }
    assert!(ok + err >= 500, "{ok} read, {err} refused");
    eprintln!(
        "{} damaged variants: {ok} read in full ({changed} of them with other values), {err} refused with an error",
        ok + err
    );
}

/// An RNTuple streams through the same `Batches` as a tree: batches of any size concatenate to
/// the whole, and its Arrow reader writes Parquet that reads back bit for bit.
#[test]
fn rntuple_batches_stream_and_write_like_a_tree() {
    let f = sample();
    let nt = f.rntuple("EventData").unwrap();
    let sel = nt.select_supported(&["AnalysisJetsAuxDyn:*", "TruthElectronsAuxDyn:*"]).unwrap();
    let whole = nt.read(&sel, 0..100).unwrap();
    for per in [1, 7, 100] {
        let parts: Vec<RecordBatch> = nt.batches(&sel).entries_per_batch(per).map(|b| b.unwrap()).collect();
        assert_eq!(parts.len() as u64, 100u64.div_ceil(per));
        assert_eq!(arrow_select::concat::concat_batches(&whole.schema(), &parts).unwrap(), whole);
    }
    let default: Vec<RecordBatch> = nt.batches(&sel).entries(10..90).map(|b| b.unwrap()).collect();
    assert_eq!(default.len(), 1, "one cluster, one batch");
    assert_eq!(default[0], whole.slice(10, 80));

    let path = std::env::temp_dir().join(format!("hep_io_rntuple_{}.parquet", std::process::id()));
    let written = hep_io::write_parquet(&path, nt.batches(&sel).into_reader(), &Default::default()).unwrap();
    assert_eq!(written.rows, 100);
    let back = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap().build().unwrap();
    let back: Vec<RecordBatch> = back.map(|b| b.unwrap()).collect();
    assert_eq!(arrow_select::concat::concat_batches(&whole.schema(), &back).unwrap(), whole);
    std::fs::remove_file(path).unwrap();
}

mod common;

/// Every other primitive field (integers, bool, double; scalars, vectors, vectors of vectors)
/// against the checksums of uproot's decode (`scripts/make_rntuple_fixture.py`).
#[test]
fn every_other_numeric_field_matches_uproot_checksums() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/physlite_rntuple_other_types.json")).unwrap();
    let fixture = fixture.as_object().unwrap();
    assert_eq!(fixture.len(), 299);
    let f = sample();
    let nt = f.rntuple("EventData").unwrap();
    let mut bad = Vec::new();
    for (name, want) in fixture {
        let batch = nt.read(&nt.select_supported(&[name]).unwrap(), 0..100).unwrap();
        assert_eq!(batch.num_columns(), 1, "{name} is read");
        if common::column_checksums(batch.column(0).as_ref()) != common::fixture_checksums(want) {
            bad.push(format!("{name} ({})", want["type"]));
        }
    }
    assert!(bad.is_empty(), "{} fields differ: {bad:?}", bad.len());
}

/// Every numeric member of the sample's record fields (flattened to `Record.member`, also inside
/// vectors: the ATLAS `ElementLink`s' keys and indices, the static aux stores' truth-jet and MET
/// variables) against the checksums of uproot's decode (`scripts/make_rntuple_records_fixture.py`;
/// float32 by bit pattern).
#[test]
fn every_record_member_matches_uproot_checksums() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/physlite_rntuple_record_members.json")).unwrap();
    let fixture = fixture.as_object().unwrap();
    assert_eq!(fixture.len(), 217);
    let f = sample();
    let nt = f.rntuple("EventData").unwrap();
    let mut bad = Vec::new();
    for (name, want) in fixture {
        let sel = nt.select_supported(&[name]).unwrap();
        assert_eq!(sel.columns().len(), 1, "{name} is read");
        let batch = nt.read(&sel, 0..100).unwrap();
        if common::column_checksums(batch.column(0).as_ref()) != common::fixture_checksums(want) {
            bad.push(format!("{name} ({})", want["type"]));
        }
    }
    assert!(bad.is_empty(), "{} members differ: {bad:?}", bad.len());
    // Three list levels (`vector<vector<vector<T>>>`): the MET association map's overlaps.
    for name in ["METAssoc_AnalysisMETAux:.overlapIndices", "METAssoc_AnalysisMETAux:.overlapTypes"] {
        let ty = nt.field(name).unwrap().column.clone().unwrap();
        assert_eq!(ty.layout, hep_io::Layout::VectorVectorVector, "{name}");
    }
}
