//! What every human printer writes with: the line width, the one word wrap,
//! the one place text from the container is made fit for a terminal, and
//! the [`Writer`] whose rows put a label at column 2 and its value in a
//! column of the printer's choosing (the report's sections, `why`'s
//! explanation and `record`'s summary each keep their own).

use super::color::Paint;
use std::borrow::Cow;
use std::io::{self, Write};

/// Lines wrap before this column.
pub const WIDTH: usize = 100;
/// Column where the report's values start.
pub const VALUE_COL: usize = 18;

/// Greedy word wrap of `words` into lines of at most `width` characters,
/// the words of a line joined by one space; a word longer than `width` gets
/// a line of its own. `indent` characters already stand at the start of the
/// first line.
fn wrap_from<'a>(
    indent: usize,
    words: impl IntoIterator<Item = &'a str>,
    width: usize,
) -> Vec<Vec<&'a str>> {
    let mut lines: Vec<Vec<&str>> = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut len = indent;
    for word in words {
        let n = word.chars().count();
        // Joined to the current line, a word also takes a space.
        if !cur.is_empty() && len + 1 + n > width {
            lines.push(std::mem::take(&mut cur));
            len = 0;
        }
        len = if cur.is_empty() { len + n } else { len + 1 + n };
        cur.push(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Greedy word wrap of list items into lines no wider than `width`
/// characters (items joined by one space).
pub fn wrap<S: AsRef<str>>(items: &[S], width: usize) -> Vec<Vec<&str>> {
    wrap_from(0, items.iter().map(AsRef::as_ref), width)
}

/// The words of `text` in lines of at most `width` characters. Leading
/// spaces (a bullet's continuation) stay at the start of the first line.
pub fn wrap_text(text: &str, width: usize) -> Vec<String> {
    let body = text.trim_start_matches(' ');
    if body.is_empty() {
        return Vec::new();
    }
    let indent = &text[..text.len() - body.len()];
    wrap_from(indent.len(), body.split(' '), width)
        .into_iter()
        .enumerate()
        .map(|(i, words)| {
            let line = words.join(" ");
            if i == 0 {
                format!("{indent}{line}")
            } else {
                line
            }
        })
        .collect()
}

/// Text read from the container (a mount point, a sysctl, a reason built
/// from them), made fit for a terminal: a control character (an escape
/// sequence planted in a file name) is shown as its code, never sent.
///
/// This is the one place such text is made safe. The report's environment
/// sections and verdict pass their text through it; the other sections,
/// `why` and `record` do not yet.
pub fn untrusted(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    format!("\\x{:02x}", u32::from(c))
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// The command as a shell would take it back: words with blanks or quotes
/// in single quotes, control characters escaped.
pub fn command_line(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            let w = w.replace('\n', "\\n").replace('\t', "\\t");
            if w.is_empty()
                || w.contains(|c: char| c.is_whitespace() || "'\"$`\\;&|<>()*?".contains(c))
            {
                format!("'{}'", w.replace('\'', "'\\''"))
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The plain painter: text as it is.
pub fn plain(_: &Paint, s: &str) -> String {
    s.to_string()
}

/// The output stream, the painter and the column values start at.
pub struct Writer<'a, W: Write> {
    pub out: &'a mut W,
    pub p: Paint,
    col: usize,
}

impl<'a, W: Write> Writer<'a, W> {
    /// A writer whose values start at column `col`.
    pub fn new(out: &'a mut W, p: Paint, col: usize) -> Self {
        Writer { out, p, col }
    }

    /// A title line at column 0.
    pub fn title(&mut self, s: &str) -> io::Result<()> {
        writeln!(self.out, "{}", self.p.heading(s))
    }

    /// A section heading, preceded by a blank line.
    pub fn section(&mut self, s: &str) -> io::Result<()> {
        writeln!(self.out)?;
        writeln!(self.out, "{}", self.p.heading(s))
    }

    /// `  label    value` with the value at the writer's column. `value` may
    /// hold color codes, so padding is computed from the plain label only.
    pub fn row(&mut self, label: &str, value: &str) -> io::Result<()> {
        let pad = self.col.saturating_sub(2 + label.len()).max(1);
        writeln!(
            self.out,
            "  {}{}{}",
            self.p.label(label),
            " ".repeat(pad),
            value
        )
    }

    /// A continuation line aligned under the values.
    pub fn cont(&mut self, value: &str) -> io::Result<()> {
        writeln!(self.out, "{}{}", " ".repeat(self.col), value)
    }

    /// Several lines under one label: the first as a [`row`](Self::row), the
    /// others as [`cont`](Self::cont) lines under it. No lines, no output.
    pub fn rows<S: AsRef<str>>(
        &mut self,
        label: &str,
        lines: impl IntoIterator<Item = S>,
    ) -> io::Result<()> {
        let mut lines = lines.into_iter();
        if let Some(first) = lines.next() {
            self.row(label, first.as_ref())?;
        }
        lines.try_for_each(|l| self.cont(l.as_ref()))
    }

    /// A row whose value is a list, wrapped at WIDTH. `paint` styles each item.
    pub fn list_row(
        &mut self,
        label: &str,
        items: &[String],
        paint: impl Fn(&Paint, &str) -> String,
    ) -> io::Result<()> {
        if items.is_empty() {
            return self.row(label, &self.p.dim("none"));
        }
        let lines: Vec<String> = wrap(items, WIDTH - self.col)
            .iter()
            .map(|line| {
                line.iter()
                    .map(|s| paint(&self.p, s))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        self.rows(label, lines)
    }

    /// Prints a failed section's error as its only row.
    pub fn failed(&mut self, error: &str) -> io::Result<()> {
        let msg = format!("could not be read: {error}");
        self.row("error", &self.p.warn(&msg))
    }

    /// A row of running text (which may hold color codes already) wrapped
    /// at WIDTH; continuation lines are indented two more columns so each
    /// block reads as one. Under an empty label the first line is a
    /// continuation line too.
    pub fn text_rows(&mut self, label: &str, text: &str) -> io::Result<()> {
        let words: Vec<&str> = text.split(' ').collect();
        for (i, line) in wrap(&words, WIDTH - self.col - 2).iter().enumerate() {
            let line = line.join(" ");
            match (i, label.is_empty()) {
                (0, false) => self.row(label, &line)?,
                (0, true) => self.cont(&line)?,
                _ => self.cont(&format!("  {line}"))?,
            }
        }
        Ok(())
    }

    /// Text from the container under `label`, made safe ([`untrusted`]),
    /// wrapped like [`text_rows`](Self::text_rows) and each line painted.
    pub fn wrapped(
        &mut self,
        label: &str,
        text: &str,
        paint: fn(&Paint, &str) -> String,
    ) -> io::Result<()> {
        let safe = untrusted(text);
        let words: Vec<&str> = safe.split(' ').collect();
        for (i, line) in wrap(&words, WIDTH - self.col - 2).iter().enumerate() {
            let line = paint(&self.p, &line.join(" "));
            if i == 0 {
                self.row(label, &line)?;
            } else {
                self.cont(&format!("  {line}"))?;
            }
        }
        Ok(())
    }

    /// `text` under `label`, wrapped under itself at WIDTH (no further
    /// indent), each line painted: how `why` and `record` write.
    pub fn paragraph(
        &mut self,
        label: &str,
        text: &str,
        paint: impl Fn(&Paint, &str) -> String,
    ) -> io::Result<()> {
        for (i, line) in wrap_text(text, WIDTH - self.col).iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            let line = paint(&self.p, line);
            self.row(label, &line)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_respects_width_and_keeps_order() {
        let items: Vec<String> = ["aaa", "bbb", "cc", "dddd"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            wrap(&items, 7),
            vec![vec!["aaa", "bbb"], vec!["cc", "dddd"]]
        );
        assert_eq!(wrap(&items, 100), vec![vec!["aaa", "bbb", "cc", "dddd"]]);
        // An item longer than the width still gets a line of its own.
        assert_eq!(wrap(&items, 2).len(), 4);
        // Exactly the width fits; one more does not.
        assert_eq!(
            wrap(&items, 11),
            vec![vec!["aaa", "bbb", "cc"], vec!["dddd"]]
        );
        assert_eq!(wrap(&items, 10).len(), 2);
        assert_eq!(wrap::<String>(&[], 10), Vec::<Vec<&str>>::new());
        // Characters count, not bytes.
        assert_eq!(wrap(&["ééé", "b"], 5), vec![vec!["ééé", "b"]]);
    }

    #[test]
    fn text_wraps_at_word_boundaries_and_keeps_a_continuation_indented() {
        assert_eq!(
            wrap_text("  expects, this call included", 12),
            ["  expects,", "this call", "included"]
        );
        assert_eq!(wrap_text("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap_text("unbreakableword x", 5), ["unbreakableword", "x"]);
        assert_eq!(wrap_text("a bb ccc", 4), vec!["a bb", "ccc"]);
        assert!(wrap_text("", 10).is_empty());
        assert!(wrap_text("   ", 10).is_empty());
        assert_eq!(
            wrap_text("averyveryverylongword x", 5),
            vec!["averyveryverylongword", "x"]
        );
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(untrusted("/mnt/data"), "/mnt/data");
        assert_eq!(untrusted("/mnt/\x1b[31mred"), "/mnt/\\x1b[31mred");
        assert_eq!(untrusted("a\nb\u{7f}"), "a\\x0ab\\x7f");
    }

    #[test]
    fn command_lines_read_back_as_a_shell_would() {
        let r =
            |words: &[&str]| command_line(&words.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            r(&["date", "-s", "2022-04-19 18:19:09"]),
            "date -s '2022-04-19 18:19:09'"
        );
        assert_eq!(r(&["sh", "-c", "a\nb"]), "sh -c 'a\\nb'");
        assert_eq!(r(&["echo", "it's"]), "echo 'it'\\''s'");
        assert_eq!(r(&["x", ""]), "x ''");
    }

    fn render(f: impl FnOnce(&mut Writer<'_, Vec<u8>>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, Paint::new(false), VALUE_COL);
        f(&mut w).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rows_label_the_first_line_only() {
        assert_eq!(
            render(|w| w.rows("label", ["one", "two"])),
            "  label           one\n                  two\n"
        );
        assert_eq!(render(|w| w.rows("label", Vec::<String>::new())), "");
    }

    #[test]
    fn paragraphs_wrap_under_their_label() {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, Paint::new(false), 12);
        w.paragraph("cause", &"word ".repeat(30), plain).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("  cause     word"));
        assert!(lines[1].starts_with("            word"));
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
    }
}
