//! What a hostile user feeds the `hepfloat` binary must not crash it, clobber a file or pass
//! silently wrong: racing and interrupted outputs, outputs that are inputs, files that do not
//! belong together, uncompressed or damaged inputs, and the shape of error messages. Unix only
//! (links, FIFOs, devices and signals).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::builder::{Float32Builder, ListBuilder};
use arrow_array::{ArrayRef, Float32Array, RecordBatch};
use arrow_schema::{Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding};
use parquet::file::properties::WriterProperties;

fn hepfloat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hepfloat")).args(args).output().expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run and require success.
fn ok(args: &[&str]) -> Output {
    let mut all = vec!["--quiet"];
    all.extend_from_slice(args);
    let o = hepfloat(&all);
    assert!(o.status.success(), "hepfloat {args:?} failed: {}", stderr(&o));
    o
}

/// Run and require a clean failure (exit 1, not a panic), returning stderr.
fn fails(args: &[&str]) -> String {
    let o = hepfloat(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "hepfloat {args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// A fresh directory for one test, removed (with what the test left in it) when dropped.
fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("hepfloat-safety-{name}-")).tempdir().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The names in a directory, sorted.
fn listing(d: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Every row of a Parquet file (panics if it is not a complete, readable one).
fn read_all(p: &Path) -> Vec<RecordBatch> {
    let b = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(p).unwrap()).unwrap();
    b.build().unwrap().map(Result::unwrap).collect()
}

/// Write `columns` as a Parquet file (no hepfloat metadata).
fn write_parquet(p: &Path, columns: Vec<(&str, ArrayRef)>, props: Option<WriterProperties>) {
    let fields: Vec<Field> =
        columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), a.null_count() > 0)).collect();
    let batch =
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns.into_iter().map(|c| c.1).collect()).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(p).unwrap(), batch.schema(), props).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Two runs writing the same path at the same time: each succeeds, and the file left is one
/// run's complete output, never a mix; no temporary file stays behind.
#[test]
fn racing_runs_leave_one_complete_output() {
    let tmp = scratch("race");
    let d = tmp.path();
    let inputs = ["toy:20000:1", "toy:20000:2"];
    let reference: Vec<Vec<u8>> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let p = d.join(format!("ref{i}.parquet"));
            ok(&["compress", input, "-o", s(&p)]);
            std::fs::read(&p).unwrap()
        })
        .collect();
    assert_ne!(reference[0], reference[1]);
    let target = d.join("out.parquet");
    for round in 0..4 {
        let children: Vec<_> = inputs
            .iter()
            .map(|input| {
                Command::new(env!("CARGO_BIN_EXE_hepfloat"))
                    .args(["--quiet", "compress", input, "-o", s(&target)])
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "round {round}: {}", stderr(&o));
        }
        let got = std::fs::read(&target).unwrap();
        assert!(got == reference[0] || got == reference[1], "round {round}: a mix of the two runs");
        assert_eq!(read_all(&target).iter().map(RecordBatch::num_rows).sum::<usize>(), 20_000);
        assert_eq!(listing(d), ["out.parquet", "ref0.parquet", "ref1.parquet"], "round {round}");
    }
}

/// `-o` naming an input (directly, through a symbolic or a hard link), a directory or a device
/// is refused before anything is written; the input is untouched.
#[test]
fn outputs_that_are_inputs_directories_or_devices_are_refused() {
    let tmp = scratch("clobber");
    let d = tmp.path();
    let (c, m) = (d.join("c.parquet"), d.join("m.json"));
    ok(&["compress", "toy:300", "--keep", "none", "-o", s(&c)]);
    ok(&["fit", "toy:2000", "--keep", "none", "-o", s(&m)]);
    let (c0, m0) = (std::fs::read(&c).unwrap(), std::fs::read(&m).unwrap());
    let (soft, hard) = (d.join("soft.parquet"), d.join("hard.parquet"));
    std::os::unix::fs::symlink(&c, &soft).unwrap();
    std::fs::hard_link(&c, &hard).unwrap();
    for out in [&c, &soft, &hard] {
        let err = fails(&["compress", s(&c), "-o", s(out)]);
        assert!(err.contains("it is the input"), "{err}");
        let err = fails(&["fit", s(&c), "-o", s(out)]);
        assert!(err.contains("it is the input"), "{err}");
        let err = fails(&["upsample", s(out), "--model", s(&m), "-o", s(&c)]);
        assert!(err.contains("it is the input"), "{err}");
    }
    let err = fails(&["upsample", s(&c), "--model", s(&m), "-o", s(&m)]);
    assert!(err.contains("it is the input"), "{err}");
    assert_eq!(std::fs::read(&c).unwrap(), c0);
    assert_eq!(std::fs::read(&m).unwrap(), m0);
    // A directory or a device where a file is expected.
    let dir = d.join("dir");
    std::fs::create_dir(&dir).unwrap();
    let err = fails(&["compress", "toy:10", "-o", s(&dir)]);
    assert!(err.contains("is a directory"), "{err}");
    let err = fails(&["fit", "toy:2000", "-o", s(&dir)]);
    assert!(err.contains("is a directory"), "{err}");
    let err = fails(&["compress", "toy:10", "-o", "/dev/full"]);
    assert!(err.contains("not a regular file"), "{err}");
    let err = fails(&["compress", "toy:10", "-o", s(&d.join("no/such/dir/c.parquet"))]);
    assert!(err.contains("does not exist"), "{err}");
    assert!(listing(&dir).is_empty());
    assert_eq!(listing(d), ["c.parquet", "dir", "hard.parquet", "m.json", "soft.parquet"]);
}

/// Ctrl-C or a kill in the middle of writing leaves no temporary file or directory, and the
/// exit status says which signal ended the run.
#[test]
fn signals_remove_what_was_being_written() {
    let tmp = scratch("signals");
    let d = tmp.path();
    let cases: [(&[&str], &str, i32); 3] = [
        (&["compress", "toy:5000000", "-o", "big.parquet"], "-TERM", 143),
        (&["compress", "toy:5000000", "-o", "big.parquet"], "-INT", 130),
        (&["demo", "toy:40000", "--report", "report"], "-INT", 130),
    ];
    for (args, signal, status) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hepfloat"))
            .arg("--quiet")
            .args(args)
            .current_dir(d)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while !listing(d).iter().any(|n| n.ends_with(".partial")) {
            assert!(t0.elapsed() < Duration::from_secs(60), "{args:?}: no temporary output appeared");
            assert!(child.try_wait().unwrap().is_none(), "{args:?} ended early");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(100));
        let killed = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(status), "{args:?} {signal}: {}", stderr(&o));
        assert!(listing(d).is_empty(), "{args:?} {signal}: left {:?}", listing(d));
    }
}

/// Commands that write a directory build it under a temporary name: a failure leaves nothing,
/// a rerun replaces an earlier report, and a directory that is not a report is not replaced.
#[test]
fn report_directories_appear_complete_or_not_at_all() {
    let tmp = scratch("reports");
    let d = tmp.path();
    let err = fails(&["demo", s(&d.join("missing.root")), "--report", s(&d.join("r"))]);
    assert!(err.contains("missing.root"), "{err}");
    assert!(listing(d).is_empty(), "{:?}", listing(d));
    let (c, m, u) = (d.join("c.parquet"), d.join("m.json"), d.join("u.parquet"));
    ok(&["compress", "toy:400", "-o", s(&c)]);
    ok(&["fit", "toy:2000", "-o", s(&m)]);
    ok(&["upsample", s(&c), "--model", s(&m), "-o", s(&u)]);
    let report = d.join("report");
    let eval = |report: &Path, original: &str| {
        vec![
            "evaluate".to_string(),
            "--original".into(),
            original.into(),
            "--compressed".into(),
            s(&c).into(),
            "--upsampled".into(),
            s(&u).into(),
            "--report".into(),
            s(report).into(),
        ]
    };
    let args = eval(&report, "toy:400");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&args);
    ok(&args);
    assert!(report.join("report.json").is_file());
    // Failing after the inputs are open (they do not belong together): no report appears.
    let other = d.join("other");
    let bad = eval(&other, "toy:500");
    fails(&bad.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!other.exists());
    // A foreign directory is not replaced; a report holding an input neither.
    let foreign = d.join("photos");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("cat.jpg"), "meow").unwrap();
    let args = eval(&foreign, "toy:400");
    let err = fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("does not hold a hepfloat report"), "{err}");
    assert_eq!(listing(&foreign), ["cat.jpg"]);
    let err = fails(&["demo", s(&c), "--report", s(d)]);
    assert!(err.contains("holds the input") || err.contains("does not hold a hepfloat report"), "{err}");
    assert_eq!(listing(d), ["c.parquet", "m.json", "photos", "report", "u.parquet"]);
}

/// `evaluate` refuses files that do not belong together, and nonsense numbers.
#[test]
fn evaluate_refuses_files_that_do_not_belong_together() {
    let tmp = scratch("together");
    let d = tmp.path();
    let p = |n: &str| d.join(n);
    let m7 = p("m7.json");
    ok(&["fit", "toy:2000", "-o", s(&m7)]);
    ok(&["compress", "toy:300", "-o", s(&p("c7.parquet"))]);
    ok(&["compress", "toy:300", "--bits", "15", "-o", s(&p("c15.parquet"))]);
    ok(&["compress", "toy:300", "--keep", "pt,eta", "-o", s(&p("ckeep.parquet"))]);
    ok(&["compress", "toy:300", "--branches", "AnalysisJets*", "-o", s(&p("cjets.parquet"))]);
    ok(&["compress", "toy:400", "-o", s(&p("c400.parquet"))]);
    for c in ["c7", "ckeep", "cjets", "c400"] {
        let (c, u) = (p(&format!("{c}.parquet")), p(&format!("u-{c}.parquet")));
        ok(&["upsample", s(&c), "--model", s(&m7), "-o", s(&u)]);
    }
    let eval = |original: &str, c: &str, u: &str, extra: &[&str]| {
        let (c, u, r) = (p(c), p(u), p("report"));
        let mut args = vec!["evaluate", "--original", original, "--compressed", s(&c), "--upsampled", s(&u)];
        args.extend_from_slice(&["--report", s(&r)]);
        args.extend_from_slice(extra);
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        let o = hepfloat(&args.iter().map(String::as_str).collect::<Vec<_>>());
        (o.status.code(), stderr(&o))
    };
    assert_eq!(eval("toy:300", "c7.parquet", "u-c7.parquet", &[]).0, Some(0));
    std::fs::remove_dir_all(p("report")).unwrap();
    let c7 = p("c7.parquet");
    let cases = [
        ("toy:300", "c15.parquet", "u-c7.parquet", "compressed with Atlas{k=15}"),
        ("toy:300", "c7.parquet", "u-ckeep.parquet", "kept pt,eta,phi,m at full precision"),
        ("toy:300", "c7.parquet", "u-cjets.parquet", "is in"),
        ("toy:300", "cjets.parquet", "u-c7.parquet", "is in"),
        ("toy:400", "c7.parquet", "u-c7.parquet", "holds 400 events"),
        ("toy:300", "c7.parquet", "u-c400.parquet", "u-c400.parquet 400"),
        (s(&c7), "c7.parquet", "u-c7.parquet", "is itself compressed"),
    ];
    for (original, c, u, expected) in cases {
        let (code, err) = eval(original, c, u, &[]);
        assert_eq!(code, Some(1), "{original} {c} {u}: {err}");
        assert!(err.contains("do not belong together") && err.contains(expected), "{c} {u}: {err}");
    }
    for (extra, expected) in [
        (["--bins", "0"], "--bins 0"),
        (["--bins", "99999999999"], "between 1 and"),
        (["--max-values", "0"], "--max-values 0"),
        (["--sample-mib", "0"], "--sample-mib 0"),
        (["--entries", "5..5"], "selects no events"),
        (["--entries", "300.."], "selects no events"),
    ] {
        let (code, err) = eval("toy:300", "c7.parquet", "u-c7.parquet", &extra);
        assert_eq!(code, Some(1), "{extra:?}: {err}");
        assert!(err.contains(expected), "{extra:?}: {err}");
    }
    assert!(!p("report").exists());
}

/// The same events with the same number of values but laid out differently across the rows:
/// the lists do not line up, so the comparison would pair values of different objects.
#[test]
fn evaluate_refuses_list_lengths_that_differ_per_row() {
    let tmp = scratch("lists");
    let d = tmp.path();
    let list = |rows: &[&[f32]]| -> ArrayRef {
        let mut b = ListBuilder::new(Float32Builder::new());
        for r in rows {
            b.values().append_slice(r);
            b.append(true);
        }
        Arc::new(b.finish())
    };
    let (o, c, u) = (d.join("o.parquet"), d.join("c.parquet"), d.join("u.parquet"));
    write_parquet(&o, vec![("Jets.x", list(&[&[1.1, 2.2], &[3.3]]))], None);
    ok(&["compress", s(&o), "-o", s(&c)]);
    write_parquet(&u, vec![("Jets.x", list(&[&[1.1], &[2.2, 3.3]]))], None);
    let err = fails(&[
        "evaluate",
        "--original",
        s(&o),
        "--compressed",
        s(&c),
        "--upsampled",
        s(&u),
        "--report",
        s(&d.join("r")),
    ]);
    assert!(err.contains("column Jets.x: event 0 holds 2 and 1 values"), "{err}");
    assert!(!d.join("r").exists());
}

/// Upsampling values that are not outputs of the model's scheme names the column and the file
/// and says what to do.
#[test]
fn upsampling_uncompressed_data_says_to_compress_first() {
    let tmp = scratch("uncompressed");
    let d = tmp.path();
    let (raw, m) = (d.join("raw.parquet"), d.join("m.json"));
    ok(&["fit", "toy:2000", "-o", s(&m)]);
    let toy = hep_toy::Toy::new(4);
    let batch = toy.batches(0..50, 50).next().unwrap().unwrap();
    let schema = batch.schema();
    let columns: Vec<(&str, ArrayRef)> =
        schema.fields().iter().map(|f| f.name().as_str()).zip(batch.columns().iter().cloned()).collect();
    write_parquet(&raw, columns, None);
    let err = fails(&["upsample", s(&raw), "--model", s(&m), "-o", s(&d.join("u.parquet"))]);
    let first = err.lines().next().unwrap();
    assert!(first.contains(&format!(" in {} (events 0..50): value ", s(&raw))), "{err}");
    assert!(first.contains("is not a possible output of Atlas{k=7}"), "{err}");
    assert!(
        first.ends_with("this file does not look compressed with Atlas{k=7}; run `hepfloat compress` first"),
        "{err}"
    );
    assert!(first.starts_with("error: Analysis") || first.starts_with("error: Truth"), "{err}");
    assert_eq!(listing(d), ["m.json", "raw.parquet"]);
}

/// Inputs that are not regular files are refused at once (a FIFO would block forever), a
/// compressed file is not compressed again, and every error is one line per distinct cause.
#[test]
fn odd_inputs_are_refused_at_once_with_short_distinct_lines() {
    let tmp = scratch("odd");
    let d = tmp.path();
    let fifo = d.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let m = d.join("m.json");
    ok(&["fit", "toy:2000", "-o", s(&m)]);
    let runs: [(Vec<&str>, &str); 5] = [
        (vec!["inspect", s(&fifo)], "not a regular file"),
        (vec!["inspect", "/dev/zero"], "not a regular file"),
        (vec!["inspect", s(d)], "is a directory"),
        (vec!["upsample", "toy:10", "--model", s(&fifo), "-o", "x.parquet"], "not a regular file"),
        (vec!["upsample", "toy:10", "--model", "/dev/zero", "-o", "x.parquet"], "not a regular file"),
    ];
    for (args, expected) in runs {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hepfloat"))
            .args(&args)
            .current_dir(d)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if t0.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("hepfloat {args:?} blocks");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
    // Fitting with no room for values is refused before reading.
    for flag in ["--max-values", "--sample-mib"] {
        let err = fails(&["fit", "toy:2000", flag, "0", "-o", s(&d.join("m0.json"))]);
        assert!(err.contains("--max-values and --sample-mib must be at least 1"), "{err}");
    }
    // Compressing a compressed file is refused in one short line.
    let c = d.join("c.parquet");
    ok(&["compress", "toy:100", "-o", s(&c)]);
    let err = fails(&["compress", s(&c), "-o", s(&d.join("cc.parquet"))]);
    assert!(err.contains("is already compressed (AnalysisElectronsAuxDyn.charge: Atlas{k=7}"), "{err}");
    assert!(err.len() < 400, "{err}");
    // A truncated Parquet file: named, and no cause repeats the line before it.
    let bytes = std::fs::read(&c).unwrap();
    let cut = d.join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    for args in [vec!["inspect", s(&cut)], vec!["upsample", s(&cut), "--model", s(&m), "-o", s(&d.join("u.parquet"))]] {
        let err = fails(&args);
        assert!(err.lines().next().unwrap().contains(s(&cut)), "{err}");
        let lines: Vec<&str> =
            err.lines().map(|l| l.trim_start_matches("error: ").trim_start_matches("  caused by: ")).collect();
        for w in lines.windows(2) {
            assert!(!w[0].contains(w[1]), "repeated cause: {err}");
        }
    }
}

/// A small Parquet file with one BYTE_STREAM_SPLIT float column (4 values, uncompressed, no
/// dictionary) whose data page header says the page holds 12 bytes instead of 16: the `parquet`
/// crate's byte-stream-split decoder (60.1.0, `join_streams_const`) takes the stride as
/// 12 / 4 = 3 without checking it against the 4 values and indexes byte 12 of 12: a panic.
/// `hepfloat` must report a damaged file instead.
fn bss_short_page(path: &Path) {
    let props = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .set_encoding(Encoding::BYTE_STREAM_SPLIT)
        .build();
    let values = Arc::new(Float32Array::from(vec![1.0f32, 2.0, 3.0, 4.0])) as ArrayRef;
    write_parquet(path, vec![("Jets.x", values)], Some(props));
    let mut bytes = std::fs::read(path).unwrap();
    // The page header follows the magic (thrift compact): type DATA_PAGE (15 00), then the
    // uncompressed and compressed sizes (i32, zigzag varint: 16 = 0x20); make both 12 = 0x18.
    assert_eq!(bytes[4..10], [0x15, 0x00, 0x15, 0x20, 0x15, 0x20], "the page header");
    bytes[7] = 0x18;
    bytes[9] = 0x18;
    std::fs::write(path, &bytes).unwrap();
}

#[test]
fn a_parquet_decoder_panic_is_a_damaged_file_error() {
    let tmp = scratch("bss");
    let d = tmp.path();
    let bad = d.join("bss.parquet");
    bss_short_page(&bad);
    // The upstream panic, outside hepfloat's guard.
    let upstream = std::panic::catch_unwind(|| read_all(&bad));
    assert!(upstream.is_err(), "the parquet crate no longer panics on this file: drop the guard's test case?");
    for args in [
        vec!["inspect", s(&bad)],
        vec!["compress", s(&bad), "-o", s(&d.join("c.parquet"))],
        vec!["fit", s(&bad), "--compressed-input", "-o", s(&d.join("m.json"))],
    ] {
        let err = fails(&args);
        assert!(err.contains(&format!("{} is damaged (column Jets.x)", s(&bad))), "{err}");
        assert!(
            err.contains("the Parquet decoder failed on it (a panic in the parquet crate: index out of bounds"),
            "{err}"
        );
        assert!(err.contains("at parquet-60.1.0/src/encodings/decoding/byte_stream_split_decoder.rs:"), "{err}");
        assert!(!err.contains("RUST_BACKTRACE"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert_eq!(listing(d), ["bss.parquet"]);
}

/// A reader that goes away (`hepfloat inspect FILE | head -1`) ends nothing in a panic: the
/// command finishes, its status is that of the work.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    for args in [&["inspect", "toy:200"][..], &["--json", "inspect", "toy:200"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = Command::new(env!("CARGO_BIN_EXE_hepfloat")).args(args).stdout(writer).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(o.stderr.is_empty(), "{args:?}: {}", stderr(&o));
    }
}

/// Frozen formats: the Parquet files `hepfloat compress` wrote in each version that set their
/// metadata (`hepfloat.scheme`, `hepfloat.keep`), committed in `tests/fixtures/`, keep working
/// with today's binary: fit from them, upsample them, and evaluate them against their originals
/// (which checks that the files belong together through that metadata). Each fixture is
/// `compress toy:300:5 --bits 7`, written by the version in its name.
#[test]
fn compressed_files_of_every_version_still_upsample_and_evaluate() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    let current = format!("compressed-hepfloat-{}.parquet", env!("CARGO_PKG_VERSION"));
    let versions: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(versions.contains(&"compressed-hepfloat-0.1.0.parquet".to_string()), "{versions:?}");
    // A version that changes what compress writes adds its fixture (copy the one of the last
    // version that changed it otherwise: the newest must be at most this version).
    // Compared as version numbers (0.10.0 is after 0.8.1), not as text.
    let number = |name: &str| -> Vec<u32> {
        let v = name.trim_start_matches("compressed-hepfloat-").trim_end_matches(".parquet");
        v.split('.').map(|n| n.parse().unwrap_or_else(|_| panic!("{name}: not a version"))).collect()
    };
    assert!(versions.iter().all(|v| number(v) <= number(&current)), "{versions:?} vs {current}");
    let tmp = scratch("frozen-parquet");
    let d = tmp.path();
    for (i, f) in files.iter().enumerate() {
        let (m, u, r) = (d.join(format!("m{i}.json")), d.join(format!("u{i}.parquet")), d.join(format!("r{i}")));
        ok(&["fit", s(f), "--compressed-input", "--bits", "7", "-o", s(&m)]);
        // Another scheme than the one recorded is refused: the metadata is read, not ignored.
        assert!(fails(&["fit", s(f), "--compressed-input", "--bits", "15", "-o", s(&m)]).contains("Atlas{k=7}"));
        ok(&["upsample", s(f), "--model", s(&m), "-o", s(&u)]);
        ok(&["evaluate", "--original", "toy:300:5", "--compressed", s(f), "--upsampled", s(&u), "--report", s(&r)]);
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(r.join("report.json")).unwrap()).unwrap();
        assert_eq!(report["summary"]["inside"], 1.0, "{}: {}", f.display(), report["summary"]);
        // Files from before 0.8.1 carry no checksums, and are said to be unprotected.
        let o = hepfloat(&["--json", "inspect", s(f)]);
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let protected = j["protection"][0]["protected"].as_bool().unwrap();
        let name = f.file_name().unwrap().to_string_lossy();
        assert_eq!(protected, name.as_ref() >= "compressed-hepfloat-0.8.1.parquet", "{name}: {j}");
    }
    std::fs::remove_dir_all(d).unwrap();
}

/// Damage to the data of a Parquet file hepfloat wrote is refused by every command before any
/// value is read, naming the file, the columns, the row group and the page: 24 variants (one to
/// four changed bytes anywhere in the data) through `inspect`, `upsample` and `evaluate`, none
/// of which exits 0 or leaves an output. The undamaged file reads, and says it is protected.
#[test]
fn damaged_checksummed_parquet_is_refused_by_every_command() {
    let tmp = scratch("digest");
    let d = tmp.path();
    let (good, m) = (d.join("c.parquet"), d.join("m.json"));
    ok(&["compress", "toy:300:5", "--bits", "7", "-o", s(&good)]);
    ok(&["fit", s(&good), "--compressed-input", "--bits", "7", "-o", s(&m)]);
    let said = String::from_utf8_lossy(&hepfloat(&["inspect", s(&good)]).stdout).into_owned();
    assert!(said.contains("hepfloat digest (hepfloat.crc32"), "{said}");
    let bytes = std::fs::read(&good).unwrap();
    let covered = bytes.len() * 2 / 3;
    let damaged = d.join("damaged.parquet");
    for i in 0..24usize {
        let mut v = bytes.clone();
        for k in 0..1 + i % 4 {
            let at = 4 + (i * 7919 + k * 104_729) % (covered - 4);
            v[at] ^= 1 << (i % 8);
        }
        std::fs::write(&damaged, &v).unwrap();
        let (u, r) = (d.join("u.parquet"), d.join("r"));
        for args in [
            vec!["inspect", s(&damaged)],
            vec!["upsample", s(&damaged), "--model", s(&m), "-o", s(&u)],
            vec![
                "evaluate",
                "--original",
                "toy:300:5",
                "--compressed",
                s(&damaged),
                "--upsampled",
                s(&good),
                "--report",
                s(&r),
            ],
        ] {
            let err = fails(&args);
            assert!(
                err.contains(s(&damaged)) && err.contains("fail their checksum") && err.contains("row group"),
                "{i}: {err}"
            );
            assert!(!u.exists() && !r.exists(), "{i}: an output was left");
        }
    }
}

/// No silent loss: a ROOT file whose StreamerInfo is damaged (some branches of types hepfloat
/// reads lose their descriptions) used to be compressed without those branches, exit 0. It now
/// fails, naming a damaged branch and the hint; with `--skip-damaged` it is compressed without
/// them, and they are listed in the summary and the JSON.
#[test]
fn damaged_branches_fail_unless_skipped_and_listed() {
    let sample = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap_or_else(|e| panic!("{e}"));
    let clean = std::fs::read(sample).unwrap();
    let tmp = scratch("damaged-branches");
    let d = tmp.path();
    let file = d.join("damaged.root");
    std::fs::write(&file, hepfloat_testdata::damage::with_streamer_info(&clean, |p| p[1000..1200].fill(0))).unwrap();
    let out = d.join("c.parquet");
    let err = fails(&["compress", s(&file), "-o", s(&out)]);
    assert!(err.contains("is damaged at offset") && err.contains("--skip-damaged"), "{err}");
    assert!(!out.exists());
    let o = hepfloat(&["--json", "compress", s(&file), "--skip-damaged", "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let damaged = j["damaged"].as_array().unwrap();
    assert!(!damaged.is_empty(), "{j}");
    // None of them is in the output; the sound file's compress writes them.
    let names: Vec<String> = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap())
        .unwrap()
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    for b in damaged {
        assert!(!names.contains(&b["branch"].as_str().unwrap().to_string()), "{b}");
        assert!(b["offset"].as_u64().unwrap() > 0 && !b["detail"].as_str().unwrap().is_empty(), "{b}");
    }
    let text = hepfloat(&["compress", s(&file), "--skip-damaged", "-o", s(&d.join("c2.parquet"))]);
    let said = String::from_utf8_lossy(&text.stdout);
    assert!(said.contains(&format!("skipped {} damaged branches of", damaged.len())), "{said}");
    std::fs::remove_dir_all(d).unwrap();
}

/// Pages that carry a checksum (the Parquet page header's CRC-32, from any writer: here pyarrow's
/// `write_page_checksum`, `tests/fixtures/checksums/make_page_checksums.py`) are verified when read: one
/// changed byte in a page is a damaged-file error, never other values.
#[test]
fn parquet_page_checksums_are_verified() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checksums/page-checksums-pyarrow.parquet");
    ok(&["inspect", s(&fixture)]);
    let tmp = scratch("crc");
    let damaged = tmp.path().join("damaged.parquet");
    let mut bytes = std::fs::read(&fixture).unwrap();
    // Inside the values of column `x` (its chunk spans bytes 4 to 4067; the page header is first).
    bytes[2000] ^= 0x04;
    std::fs::write(&damaged, &bytes).unwrap();
    for args in [vec!["inspect", s(&damaged)], vec!["compress", s(&damaged), "-o", s(&tmp.path().join("c.parquet"))]] {
        let err = fails(&args);
        assert!(err.contains(s(&damaged)) && err.to_lowercase().contains("checksum"), "{err}");
    }
    assert_eq!(listing(tmp.path()), ["damaged.parquet"]);
}

/// `inspect` says what checks each ROOT input against damage: the RNTuple sample's pages all
/// carry XXH3 checksums; the TTree sample's baskets are zlib (Adler-32) but for a few stored raw,
/// so it is not wholly protected, and a command reading it says so once.
#[test]
fn inspect_says_what_protects_root_inputs() {
    let protection = |file: &str| {
        let path = hepfloat_testdata::data_file(file).unwrap();
        let o = hepfloat(&["--json", "inspect", s(&path)]);
        assert!(o.status.success(), "{}", stderr(&o));
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (j["protection"][0]["protected"].as_bool().unwrap(), j["protection"][0]["how"].as_str().unwrap().to_string())
    };
    let (ok_rntuple, how) = protection("physlite_rntuple.root");
    assert!(ok_rntuple && how.contains("XXH3") && how.contains("of"), "{how}");
    let (ok_tree, how) = protection("PHYSLITE_example.root");
    assert!(!ok_tree && how.contains("zlib") && how.contains("raw"), "{how}");
    let sample = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap();
    let tmp = scratch("protection");
    let o = hepfloat(&["compress", s(&sample), "-o", s(&tmp.path().join("c.parquet"))]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("not every byte read is checked against damage") && said.contains("raw"), "{said}");
}
