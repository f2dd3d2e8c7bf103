//! The guard every section is gathered under: a panic while reading odd
//! input becomes that section's error, and the other sections are still
//! gathered.

use crate::model::Section;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`, turning a panic into an error that says what was being read.
///
/// The default panic hook would also print the panic to stderr, in the
/// middle of the report. One hook, installed once, stays silent while the
/// current thread is inside `catch` and hands every other panic (a renderer,
/// main, another thread) to the hook that was there before, which prints it.
/// Swapping the global hook around each section instead would race with any
/// other thread doing the same.
pub(crate) fn catch<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_hook();
    QUIET.with(|q| q.set(q.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get() - 1));
    outcome.map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        format!("internal error while reading {what}: {msg}")
    })
}

thread_local! {
    /// How many `catch` calls the current thread is inside.
    static QUIET: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) == 0 {
                previous(info);
            }
        }));
    });
}

/// Runs one section's gatherer, turning a panic into that section's error.
pub(crate) fn guarded<T>(what: &str, f: impl FnOnce() -> Section<T>) -> Section<T> {
    catch(what, f).unwrap_or_else(Section::failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_a_section_becomes_its_error_and_quiet_ends_with_it() {
        let s: Section<()> = guarded("a test section", || panic!("odd input"));
        assert_eq!(
            s.error(),
            Some("internal error while reading a test section: odd input")
        );
        // Nested sections, and the thread is back to printing panics after.
        let outer: Section<u32> = guarded("outer", || {
            let inner: Section<()> = guarded("inner", || panic!("deeper"));
            assert!(inner.error().is_some_and(|e| e.contains("deeper")));
            Section::Ok(QUIET.with(|q| q.get()))
        });
        assert_eq!(outer.ok(), Some(&1));
        assert_eq!(QUIET.with(|q| q.get()), 0);
    }
}
