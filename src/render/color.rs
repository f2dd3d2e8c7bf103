//! Color: the one decision whether a stream gets it, and the painter that
//! applies the styles when it does.
//!
//! The six styles are written as their SGR sequences here rather than with
//! a color crate: owo-colors' `Style` can hold any color (256 xterm ones,
//! the CSS names, RGB), so formatting one links all their tables and code,
//! 20,480 bytes of the static x86_64 binary for the six sequences used
//! (1,851,768 to 1,831,288 bytes). The sequences are the ones it wrote:
//! ESC [ color ; 1 (bold) m, the text, ESC [ 0 m.

use std::io::IsTerminal;

/// When to color, as the user said (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Where an output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
    /// A file named on the command line.
    File,
}

/// Decides whether to color an output: an explicit --color wins; in auto
/// mode NO_COLOR (set and non-empty, as no-color.org defines it), TERM=dumb,
/// a file, or a stream that is not a terminal turn color off.
pub fn enabled(choice: ColorChoice, to: Stream) -> bool {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    decide(
        choice,
        env("NO_COLOR").is_some(),
        env("TERM").is_some_and(|t| t == "dumb"),
        match to {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
            Stream::File => false,
        },
    )
}

fn decide(choice: ColorChoice, no_color: bool, dumb: bool, tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && !dumb && tty,
    }
}

/// Applies styles when color is on and passes text through when it is off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint {
    on: bool,
}

impl Paint {
    pub fn new(on: bool) -> Self {
        Paint { on }
    }

    /// `s` between the SGR sequence `sgr` and a reset, when color is on.
    fn style(&self, s: &str, sgr: &str) -> String {
        if self.on {
            let mut out = String::with_capacity(s.len() + sgr.len() + 7);
            out.push_str("\x1b[");
            out.push_str(sgr);
            out.push('m');
            out.push_str(s);
            out.push_str("\x1b[0m");
            out
        } else {
            s.to_string()
        }
    }

    /// Section titles.
    pub fn heading(&self, s: &str) -> String {
        self.style(s, "1")
    }
    /// Field labels.
    pub fn label(&self, s: &str) -> String {
        self.style(s, "36")
    }
    /// A fact that means more isolation (private namespace, blocked call).
    pub fn good(&self, s: &str) -> String {
        self.style(s, "32")
    }
    /// A fact that means less isolation (host namespace, dangerous capability).
    pub fn bad(&self, s: &str) -> String {
        self.style(s, "31;1")
    }
    /// Worth a look, not necessarily wrong.
    pub fn warn(&self, s: &str) -> String {
        self.style(s, "33")
    }
    /// Secondary detail (evidence, raw values).
    pub fn dim(&self, s: &str) -> String {
        self.style(s, "2")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_choice_beats_environment() {
        assert!(decide(ColorChoice::Always, true, true, false));
        assert!(!decide(ColorChoice::Never, false, false, true));
    }

    #[test]
    fn auto_needs_a_terminal_and_no_opt_out() {
        assert!(decide(ColorChoice::Auto, false, false, true));
        assert!(!decide(ColorChoice::Auto, true, false, true));
        assert!(!decide(ColorChoice::Auto, false, true, true));
        assert!(!decide(ColorChoice::Auto, false, false, false));
    }

    #[test]
    fn paint_off_is_plain_text() {
        let p = Paint::new(false);
        assert_eq!(p.bad("x"), "x");
        assert_eq!(p.dim("x"), "x");
    }

    #[test]
    fn paint_on_writes_each_styles_sequence_and_a_reset() {
        let p = Paint::new(true);
        assert_eq!(p.heading("x"), "\x1b[1mx\x1b[0m");
        assert_eq!(p.label("x"), "\x1b[36mx\x1b[0m");
        assert_eq!(p.good("x"), "\x1b[32mx\x1b[0m");
        assert_eq!(p.bad("x"), "\x1b[31;1mx\x1b[0m");
        assert_eq!(p.warn("x"), "\x1b[33mx\x1b[0m");
        assert_eq!(p.dim("x"), "\x1b[2mx\x1b[0m");
        assert_eq!(p.label(""), "\x1b[36m\x1b[0m");
    }
}
