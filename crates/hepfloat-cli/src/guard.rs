//! A panic inside a dependency decoding a damaged file (the `parquet` crate's byte-stream-split
//! decoder indexes past its page on a wrong value count) becomes an error: [`guarded`] catches
//! it, and the panic hook installed once stays silent while a guard is active on the thread, so
//! no backtrace message reaches the terminal for a panic that is handled.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside [`guarded`].
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    /// Where the last caught panic happened (kept by the hook).
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Install the hook (once per process): silent inside a guard, the previous hook elsewhere.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ACTIVE.with(Cell::get) {
                let at = info.location().map(|l| format!("{}:{}", short(l.file()), l.line()));
                LOCATION.with(|l| *l.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
}

/// A source path without the machine's part: `parquet-60.1.0/src/...` for a crate from the
/// registry.
fn short(file: &str) -> &str {
    match file.find("/registry/src/") {
        Some(i) => {
            let rest = &file[i + "/registry/src/".len()..];
            rest.split_once('/').map_or(rest, |(_, crate_path)| crate_path)
        }
        None => file,
    }
}

/// What a caught panic said, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caught {
    /// The panic message.
    pub message: String,
    /// `file:line` of the panic, if known.
    pub location: Option<String>,
}

impl std::fmt::Display for Caught {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(at) = &self.location {
            write!(f, " (at {at})")?;
        }
        Ok(())
    }
}

/// Run `f`, turning a panic into [`Caught`].
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, Caught> {
    install_hook();
    let was = ACTIVE.with(|a| a.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    ACTIVE.with(|a| a.set(was));
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        Caught { message, location: LOCATION.with(|l| l.borrow_mut().take()) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_value_and_the_guard_nests() {
        assert_eq!(guarded(|| 7), Ok(7));
        let v: Vec<u8> = vec![1, 2];
        let i = v.len() + 3;
        let caught = guarded(|| v[i]).unwrap_err();
        assert!(caught.message.contains("index out of bounds"), "{caught}");
        assert!(caught.location.as_deref().is_some_and(|l| l.contains("guard.rs")), "{caught}");
        let outer = guarded(|| {
            let inner = guarded(|| panic!("inner"));
            assert_eq!(inner.unwrap_err().message, "inner");
            ACTIVE.with(Cell::get)
        });
        assert_eq!(outer, Ok(true));
        assert!(!ACTIVE.with(Cell::get));
        assert_eq!(
            short("/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/parquet-60.1.0/src/a.rs"),
            "parquet-60.1.0/src/a.rs"
        );
        assert_eq!(short("src/guard.rs"), "src/guard.rs");
    }
}
