//! What a hostile user feeds the `hepfloat` binary must not crash it or clobber a file: racing
//! and interrupted outputs, outputs that are inputs, report directories. Unix only (links,
//! devices and signals).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

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

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hepfloat-safety-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
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

/// Two runs writing the same path at the same time: each succeeds, and the file left is one
/// run's complete output, never a mix; no temporary file stays behind.
#[test]
fn racing_runs_leave_one_complete_output() {
    let d = scratch("race");
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
        assert_eq!(listing(&d), ["out.parquet", "ref0.parquet", "ref1.parquet"], "round {round}");
    }
}

/// `-o` naming an input (directly, through a symbolic or a hard link), a directory or a device
/// is refused before anything is written; the input is untouched.
#[test]
fn outputs_that_are_inputs_directories_or_devices_are_refused() {
    let d = scratch("clobber");
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
    assert_eq!(listing(&d), ["c.parquet", "dir", "hard.parquet", "m.json", "soft.parquet"]);
}

/// Ctrl-C or a kill in the middle of writing leaves no temporary file or directory, and the
/// exit status says which signal ended the run.
#[test]
fn signals_remove_what_was_being_written() {
    let d = scratch("signals");
    let cases: [(&[&str], &str, i32); 3] = [
        (&["compress", "toy:5000000", "-o", "big.parquet"], "-TERM", 143),
        (&["compress", "toy:5000000", "-o", "big.parquet"], "-INT", 130),
        (&["demo", "toy:40000", "--report", "report"], "-INT", 130),
    ];
    for (args, signal, status) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hepfloat"))
            .arg("--quiet")
            .args(args)
            .current_dir(&d)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while !listing(&d).iter().any(|n| n.ends_with(".partial")) {
            assert!(t0.elapsed() < Duration::from_secs(60), "{args:?}: no temporary output appeared");
            assert!(child.try_wait().unwrap().is_none(), "{args:?} ended early");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(100));
        let killed = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(status), "{args:?} {signal}: {}", stderr(&o));
        assert!(listing(&d).is_empty(), "{args:?} {signal}: left {:?}", listing(&d));
    }
}

/// Commands that write a directory build it under a temporary name: a failure leaves nothing,
/// a rerun replaces an earlier report, and a directory that is not a report is not replaced.
#[test]
fn report_directories_appear_complete_or_not_at_all() {
    let d = scratch("reports");
    let err = fails(&["demo", s(&d.join("missing.root")), "--report", s(&d.join("r"))]);
    assert!(err.contains("missing.root"), "{err}");
    assert!(listing(&d).is_empty(), "{:?}", listing(&d));
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
    let err = fails(&["demo", s(&c), "--report", s(&d)]);
    assert!(err.contains("holds the input") || err.contains("does not hold a hepfloat report"), "{err}");
    assert_eq!(listing(&d), ["c.parquet", "m.json", "photos", "report", "u.parquet"]);
}
