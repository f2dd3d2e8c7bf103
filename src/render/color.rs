//! Color: the one decision whether a stream gets it, and the painter that
//! applies the styles when it does.

use owo_colors::{OwoColorize, Style};
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

    fn style(&self, s: &str, style: Style) -> String {
        if self.on {
            s.style(style).to_string()
        } else {
            s.to_string()
        }
    }

    /// Section titles.
    pub fn heading(&self, s: &str) -> String {
        self.style(s, Style::new().bold())
    }
    /// Field labels.
    pub fn label(&self, s: &str) -> String {
        self.style(s, Style::new().cyan())
    }
    /// A fact that means more isolation (private namespace, blocked call).
    pub fn good(&self, s: &str) -> String {
        self.style(s, Style::new().green())
    }
    /// A fact that means less isolation (host namespace, dangerous capability).
    pub fn bad(&self, s: &str) -> String {
        self.style(s, Style::new().red().bold())
    }
    /// Worth a look, not necessarily wrong.
    pub fn warn(&self, s: &str) -> String {
        self.style(s, Style::new().yellow())
    }
    /// Secondary detail (evidence, raw values).
    pub fn dim(&self, s: &str) -> String {
        self.style(s, Style::new().dimmed())
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
        assert!(Paint::new(true).bad("x").contains("\x1b["));
    }
}
