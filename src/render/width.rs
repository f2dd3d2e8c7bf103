//! How wide the human output is laid out: as wide as the terminal it goes
//! to, `COLUMNS` when set, never narrower than [`MIN_WIDTH`], and
//! 100 columns (the writer's `WIDTH`) when it goes to a pipe or a file.

use super::color::Stream;
use super::writer::WIDTH;

/// Narrower than this, the value column (18) leaves too little room for
/// the values; a narrower terminal wraps lines itself.
pub const MIN_WIDTH: usize = 60;
/// A terminal that does not say its width (0 columns) is taken to have the
/// width terminals open with.
pub const UNSIZED: usize = 80;

/// The width to lay out for when writing to `to`.
pub fn width(to: Stream) -> usize {
    let tty = match to {
        Stream::Stdout => crate::linux::tty::columns(&std::io::stdout()),
        Stream::Stderr => crate::linux::tty::columns(&std::io::stderr()),
        Stream::File => None,
    };
    choose(std::env::var("COLUMNS").ok().as_deref(), tty)
}

/// `COLUMNS` (a positive number) first, as the user set it, then the
/// terminal's columns ([`UNSIZED`] when it says 0), else `WIDTH`; at least
/// [`MIN_WIDTH`].
fn choose(columns: Option<&str>, tty: Option<u16>) -> usize {
    let set = columns
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&c| c > 0);
    match set.or(tty) {
        Some(0) => UNSIZED,
        Some(c) => usize::from(c).max(MIN_WIDTH),
        None => WIDTH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_then_the_terminal_then_the_default() {
        assert_eq!(choose(Some("132"), Some(80)), 132);
        assert_eq!(choose(None, Some(80)), 80);
        assert_eq!(choose(None, None), WIDTH);
        // Not a width: ignored.
        assert_eq!(choose(Some("wide"), Some(90)), 90);
        assert_eq!(choose(Some("0"), None), WIDTH);
        assert_eq!(choose(Some(""), None), WIDTH);
        // Too narrow: the minimum.
        assert_eq!(choose(Some("20"), None), MIN_WIDTH);
        assert_eq!(choose(None, Some(40)), MIN_WIDTH);
        // A terminal that does not say.
        assert_eq!(choose(None, Some(0)), UNSIZED);
        assert_eq!(choose(Some("120"), Some(0)), 120);
    }
}
