//! Every file and directory the tool writes goes through here: built under a unique temporary
//! name beside its target (`.NAME.<pid>-<random>.partial`, created exclusively), removed on
//! error and on SIGINT / SIGTERM / SIGHUP, and renamed into place only when complete. Targets
//! are checked first: an output that is one of the inputs (also through symbolic or hard links),
//! a directory where a file is expected, or anything that is not a regular file is refused.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use anyhow::{Context, Result, bail};

/// Temporary paths alive in this process, removed by the signal handler.
static LIVE: Mutex<Live> = Mutex::new(Live { paths: Vec::new(), terminating: false });

struct Live {
    paths: Vec<PathBuf>,
    /// Set by the signal handler: no new temporary path may appear.
    terminating: bool,
}

fn live() -> MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Exit status for a signal, as shells report it (130 for SIGINT, 143 for SIGTERM).
pub fn signal_status(signal: i32) -> i32 {
    128 + signal
}

/// Remove every live temporary path (the signal handler's job). Returns with the registry
/// locked and marked terminating, so that nothing new is registered before the process exits.
fn remove_live() -> MutexGuard<'static, Live> {
    let mut l = live();
    l.terminating = true;
    for p in l.paths.iter().rev() {
        remove_path(p);
    }
    l
}

/// Remove a temporary file or directory, retrying a directory another thread is still filling.
fn remove_path(p: &Path) {
    for _ in 0..20 {
        let gone = match std::fs::symlink_metadata(p) {
            Err(_) => true,
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(p).is_ok(),
            Ok(_) => std::fs::remove_file(p).is_ok(),
        };
        if gone {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Remove the live temporary paths and exit with `128 + signal` when SIGINT, SIGTERM or SIGHUP
/// arrives (on unix; elsewhere nothing is installed).
pub fn install_signal_handlers() -> Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            .context("cannot install the signal handlers")?;
        std::thread::Builder::new()
            .name("hepfloat-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    let _held = remove_live();
                    std::process::exit(signal_status(signal));
                }
            })
            .context("cannot start the signal thread")?;
    }
    Ok(())
}

/// Register `p` as live; waits forever if the process is being terminated (it exits shortly).
fn register(p: &Path) {
    let mut l = live();
    while l.terminating {
        drop(l);
        std::thread::sleep(std::time::Duration::from_secs(1));
        l = live();
    }
    l.paths.push(p.to_path_buf());
}

fn unregister(p: &Path) {
    let mut l = live();
    if let Some(i) = l.paths.iter().rposition(|q| q == p) {
        l.paths.remove(i);
    }
}

/// A number no other run (process, thread, call) is likely to draw.
fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

/// The directory `target` is in (`.` for a bare name).
fn parent(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `.NAME.<pid>-<random>.partial` beside `target`.
fn temporary_name(target: &Path) -> Result<PathBuf> {
    let name = target.file_name().with_context(|| format!("{}: not a file name", target.display()))?;
    let mut tmp = OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".{}-{:016x}.partial", std::process::id(), random()));
    Ok(parent(target).join(tmp))
}

/// What kind of output a target receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
}

/// A temporary file or directory beside its target: removed when dropped, renamed onto the
/// target by [`Temporary::commit`].
#[derive(Debug)]
pub struct Temporary {
    path: PathBuf,
    target: PathBuf,
    kind: Kind,
    committed: bool,
}

impl Temporary {
    /// A new, empty temporary file for `target` (checked with [`check_file_target`] first), and
    /// the file open for writing.
    pub fn file(target: &Path) -> Result<(Temporary, File)> {
        check_file_target(target, &[])?;
        loop {
            let path = temporary_name(target)?;
            register(&path);
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(f) => return Ok((Temporary { path, target: target.into(), kind: Kind::File, committed: false }, f)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => unregister(&path),
                Err(e) => {
                    unregister(&path);
                    return Err(e).with_context(|| format!("cannot create a temporary file for {}", target.display()));
                }
            }
        }
    }

    /// A new, empty temporary directory for `target` (checked with [`check_dir_target`] first).
    pub fn dir(target: &Path) -> Result<Temporary> {
        check_dir_target(target, &[])?;
        loop {
            let path = temporary_name(target)?;
            register(&path);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Temporary { path, target: target.into(), kind: Kind::Dir, committed: false }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => unregister(&path),
                Err(e) => {
                    unregister(&path);
                    return Err(e)
                        .with_context(|| format!("cannot create a temporary directory for {}", target.display()));
                }
            }
        }
    }

    /// Where to write meanwhile.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Give the complete output its name. A file replaces the target; a directory replaces an
    /// earlier report at the target (see [`check_dir_target`]), which is removed.
    pub fn commit(mut self) -> Result<()> {
        let rename = |from: &Path, to: &Path| {
            std::fs::rename(from, to).with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))
        };
        match self.kind {
            Kind::File => {
                check_file_target(&self.target, &[])?;
                rename(&self.path, &self.target)?;
            }
            Kind::Dir => {
                check_dir_target(&self.target, &[])?;
                match std::fs::symlink_metadata(&self.target) {
                    Err(_) => rename(&self.path, &self.target)?,
                    Ok(_) => {
                        // Move the earlier report aside, put the new one in place, remove the old.
                        let aside = temporary_name(&self.target)?;
                        rename(&self.target, &aside)?;
                        if let Err(e) = rename(&self.path, &self.target) {
                            let _ = std::fs::rename(&aside, &self.target);
                            return Err(e);
                        }
                        remove_path(&aside);
                    }
                }
            }
        }
        self.committed = true;
        unregister(&self.path);
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.committed {
            remove_path(&self.path);
            unregister(&self.path);
        }
    }
}

/// Write `bytes` to `target` through a temporary file (synced, then renamed into place).
pub fn write_file(target: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let (tmp, mut file) = Temporary::file(target)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", target.display()))?;
    drop(file);
    tmp.commit()
}

/// The identity of an existing file: device and inode on unix, the canonical path elsewhere.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

fn identity(p: &Path) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).ok().map(|m| Identity::Inode(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(p).ok().map(Identity::Path)
    }
}

/// The parent directory of `target` must exist.
fn check_parent(target: &Path) -> Result<()> {
    let dir = parent(target);
    match std::fs::metadata(&dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => bail!("cannot write {}: {} is not a directory", target.display(), dir.display()),
        Err(_) => bail!("cannot write {}: the directory {} does not exist", target.display(), dir.display()),
    }
}

/// Refuse `target` as an output file if it is one of `inputs` (the same file, also through
/// links), a directory, or an existing thing other than a regular file (a device, a FIFO).
/// `inputs` that are not paths of existing files (e.g. `toy:100`) are ignored.
pub fn check_file_target(target: &Path, inputs: &[&Path]) -> Result<()> {
    if target.as_os_str().is_empty() {
        bail!("the output path is empty");
    }
    check_parent(target)?;
    if let Ok(m) = std::fs::metadata(target) {
        if m.is_dir() {
            bail!("cannot write {}: it is a directory (give a file name)", target.display());
        }
        if !m.is_file() {
            bail!("cannot write {}: it exists and is not a regular file (a device, FIFO or socket)", target.display());
        }
        let out = identity(target);
        for input in inputs {
            if out.is_some() && identity(input) == out {
                bail!(
                    "cannot write {}: it is the input {} (choose another output name)",
                    target.display(),
                    input.display()
                );
            }
        }
    }
    Ok(())
}

/// Files whose presence marks a directory as an earlier report that a new one may replace.
const REPORT_MARKERS: [&str; 4] = ["report.json", "summary.md", "compare.json", "folds.md"];

/// Refuse `target` as an output directory if it exists and is not a directory, is a directory
/// holding something other than an earlier hepfloat report, or holds one of `inputs` (replacing
/// it would delete them).
pub fn check_dir_target(target: &Path, inputs: &[&Path]) -> Result<()> {
    if target.as_os_str().is_empty() {
        bail!("the report path is empty");
    }
    check_parent(target)?;
    if let Ok(m) = std::fs::metadata(target) {
        if !m.is_dir() {
            bail!("cannot write the report {}: it exists and is not a directory", target.display());
        }
        let mut entries = std::fs::read_dir(target).with_context(|| format!("cannot read {}", target.display()))?;
        let empty = entries.next().is_none();
        if !empty && !REPORT_MARKERS.iter().any(|f| target.join(f).is_file()) {
            bail!(
                "cannot write the report {}: the directory exists and does not hold a hepfloat report (remove it or choose another name)",
                target.display()
            );
        }
        let dir = std::fs::canonicalize(target).with_context(|| format!("cannot resolve {}", target.display()))?;
        for input in inputs {
            if let Ok(p) = std::fs::canonicalize(input)
                && p.starts_with(&dir)
            {
                bail!(
                    "cannot write the report {}: it holds the input {}, which replacing it would delete",
                    target.display(),
                    input.display()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory for one test, removed (with what the test left in it) when dropped.
    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new().prefix(&format!("hepfloat-output-{name}-")).tempdir().unwrap()
    }

    fn listing(d: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn temporary_names_are_unique_hidden_and_beside_the_target() {
        let t = Path::new("some/dir/out.parquet");
        let (a, b) = (temporary_name(t).unwrap(), temporary_name(t).unwrap());
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(Path::new("some/dir")));
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".out.parquet.") && name.ends_with(".partial"), "{name}");
        assert!(name.contains(&std::process::id().to_string()), "{name}");
        assert_eq!(temporary_name(Path::new("x")).unwrap().parent(), Some(Path::new(".")));
    }

    #[test]
    fn a_dropped_temporary_leaves_nothing_and_a_committed_one_replaces_the_target() {
        let tmp = scratch("commit");
        let d = tmp.path();
        let target = d.join("out.bin");
        {
            let (tmp, _f) = Temporary::file(&target).unwrap();
            assert!(tmp.path().is_file());
            assert!(live().paths.contains(&tmp.path().to_path_buf()));
        }
        assert!(listing(d).is_empty(), "{:?}", listing(d));
        std::fs::write(&target, "old").unwrap();
        write_file(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(listing(d), ["out.bin"]);
        // Directories: an earlier report is replaced, a foreign directory refused.
        let report = d.join("report");
        for round in 0..2 {
            let tmp = Temporary::dir(&report).unwrap();
            std::fs::write(tmp.path().join("report.json"), format!("{round}")).unwrap();
            tmp.commit().unwrap();
            assert_eq!(std::fs::read_to_string(report.join("report.json")).unwrap(), round.to_string());
        }
        assert_eq!(listing(d), ["out.bin", "report"]);
        let foreign = d.join("photos");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("cat.jpg"), "").unwrap();
        let e = Temporary::dir(&foreign).unwrap_err().to_string();
        assert!(e.contains("does not hold a hepfloat report"), "{e}");
        {
            let tmp = Temporary::dir(&d.join("never")).unwrap();
            std::fs::write(tmp.path().join("a"), "").unwrap();
        }
        assert_eq!(listing(d), ["out.bin", "photos", "report"]);
    }

    #[test]
    fn outputs_that_are_inputs_directories_or_devices_are_refused() {
        let tmp = scratch("refuse");
        let d = tmp.path();
        let input = d.join("in.parquet");
        std::fs::write(&input, "x").unwrap();
        let e = check_file_target(&input, &[&input]).unwrap_err().to_string();
        assert!(e.contains("it is the input"), "{e}");
        #[cfg(unix)]
        {
            let (soft, hard) = (d.join("soft"), d.join("hard"));
            std::os::unix::fs::symlink(&input, &soft).unwrap();
            std::fs::hard_link(&input, &hard).unwrap();
            for alias in [&soft, &hard] {
                assert!(check_file_target(alias, &[&input]).is_err(), "{}", alias.display());
                assert!(check_file_target(&input, &[alias]).is_err(), "{}", alias.display());
            }
            let e = check_file_target(Path::new("/dev/null"), &[]).unwrap_err().to_string();
            assert!(e.contains("not a regular file"), "{e}");
        }
        assert!(check_file_target(&d.join("other"), &[&input, Path::new("toy:10")]).is_ok());
        let e = check_file_target(d, &[]).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
        let e = check_file_target(&d.join("no/such/out"), &[]).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
        let e = check_dir_target(&input, &[]).unwrap_err().to_string();
        assert!(e.contains("not a directory"), "{e}");
        let report = d.join("report");
        std::fs::create_dir(&report).unwrap();
        std::fs::write(report.join("report.json"), "{}").unwrap();
        std::fs::write(report.join("c.parquet"), "").unwrap();
        let e = check_dir_target(&report, &[&report.join("c.parquet")]).unwrap_err().to_string();
        assert!(e.contains("holds the input"), "{e}");
    }
}
