//! What every human printer writes with: the one word wrap (which measures
//! what a terminal shows, not the bytes of color codes, and never breaks a
//! word), the one place text from the container is made fit for a terminal,
//! and the [`Writer`] whose rows put a label at column 2 and its value in a
//! column of the printer's choosing (the report's sections, `why`'s
//! explanation and `record`'s summary each keep their own), wrapped at the
//! width it was given (width.rs finds the terminal's).

use super::color::Paint;
use std::borrow::Cow;
use std::io::{self, Write};

/// The width lines wrap at when the output is not a terminal.
pub const WIDTH: usize = 100;
/// Column where the report's values start.
pub const VALUE_COL: usize = 18;
/// Where a word too long for the value column starts its line.
const OUTDENT: usize = 4;

/// `word` with each run of 32 or more hex digits (a container's id, a
/// layer's digest) cut to its first 12 and an ellipsis, as `docker ps`
/// shows ids: what lets a path holding one fit a line. The JSON keeps them
/// whole.
fn short_ids(word: &str) -> Cow<'_, str> {
    const LONG: usize = 32;
    const KEEP: usize = 12;
    let bytes = word.as_bytes();
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if run >= LONG {
            out.push_str(&word[copied..i + KEEP]);
            out.push('…');
            copied = i + run;
        }
        i += run.max(1);
    }
    if copied == 0 {
        return Cow::Borrowed(word);
    }
    out.push_str(&word[copied..]);
    Cow::Owned(out)
}

/// Greedy word wrap of `words` into lines that end by column `width`, the
/// words of a line joined by one space; a word too long for any line gets
/// a line of its own. The first line starts at column `first`, the others
/// at `rest`.
fn wrap_from<'a>(
    first: usize,
    rest: usize,
    words: impl IntoIterator<Item = &'a str>,
    width: usize,
) -> Vec<Vec<&'a str>> {
    wrap_pieces(first, rest, words.into_iter().map(|w| (w, false)), width)
        .into_iter()
        .map(|line| line.into_iter().map(|(w, _)| w).collect())
        .collect()
}

/// [`wrap_from`] of pieces, each a word or (`true`) the part of a word
/// that follows the previous piece without a space.
fn wrap_pieces<'a>(
    first: usize,
    rest: usize,
    pieces: impl IntoIterator<Item = (&'a str, bool)>,
    width: usize,
) -> Vec<Vec<(&'a str, bool)>> {
    let mut lines: Vec<Vec<(&str, bool)>> = Vec::new();
    let mut cur: Vec<(&str, bool)> = Vec::new();
    let mut len = first;
    for (word, glued) in pieces {
        let n = visible_len(word);
        let gap = usize::from(!glued && !cur.is_empty());
        // Joined to the current line, a word also takes a space. A word
        // of no width (a color code alone) stays where it is.
        if !cur.is_empty() && n > 0 && len + gap + n > width {
            lines.push(std::mem::take(&mut cur));
            len = rest;
        }
        // Runs of spaces (padding) do not start a line.
        if cur.is_empty() && word.is_empty() && !lines.is_empty() {
            continue;
        }
        len += n + usize::from(!glued && !cur.is_empty());
        cur.push((word, glued && !cur.is_empty()));
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A line of pieces as text: words joined by a space, glued pieces by none.
fn join_pieces(line: &[(&str, bool)]) -> String {
    let mut s = String::new();
    for (i, (w, glued)) in line.iter().enumerate() {
        if i > 0 && !glued {
            s.push(' ');
        }
        s.push_str(w);
    }
    s
}

/// The words of `text`, those longer than `room` with their container ids
/// shortened ([`short_ids`]).
fn words_of(text: &str, room: usize) -> Vec<Cow<'_, str>> {
    text.split(' ')
        .map(|w| {
            if visible_len(w) > room {
                short_ids(w)
            } else {
                Cow::Borrowed(w)
            }
        })
        .collect()
}

/// `words` as pieces to wrap: a flag set still longer than `room`
/// (`A|B|C`) breaks after a `|`, so that each flag stays whole.
fn pieces_of<'a>(words: &'a [Cow<'_, str>], room: usize) -> Vec<(&'a str, bool)> {
    let mut out = Vec::new();
    for w in words {
        if visible_len(w) > room && w.contains('|') {
            out.extend(
                w.split_inclusive('|')
                    .enumerate()
                    .map(|(i, piece)| (piece, i > 0)),
            );
        } else {
            out.push((w.as_ref(), false));
        }
    }
    out
}

/// The columns `s` takes on a terminal: its characters, less the escape
/// sequences (`ESC [ ... final`) that color it.
pub fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            n += 1;
        } else if chars.next() == Some('[') {
            // Parameters, then one final byte in @..~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    n
}

/// Lines cut from one painted text, each made to stand alone: a style
/// still open at the end of a line is reset there and opened again at the
/// start of the next, so that the indent between them is not painted and
/// a line shown alone (a pager, a diff) keeps its color.
fn carry_styles(lines: Vec<String>) -> Vec<String> {
    let mut open = String::new();
    lines
        .into_iter()
        .map(|line| {
            let mut out = open.clone();
            out.push_str(&line);
            let mut rest = line.as_str();
            // The state after the line: the sequences since the last reset.
            while let Some(i) = rest.find("\x1b[") {
                let seq_end = rest[i + 2..]
                    .find(|c: char| ('@'..='~').contains(&c))
                    .map_or(rest.len(), |j| i + 2 + j + 1);
                let seq = &rest[i..seq_end];
                if seq == "\x1b[0m" {
                    open.clear();
                } else if seq.ends_with('m') {
                    open.push_str(seq);
                }
                rest = &rest[seq_end..];
            }
            if !open.is_empty() {
                out.push_str("\x1b[0m");
            }
            out
        })
        .collect()
}

/// Greedy word wrap of list items into lines no wider than `width`
/// characters (items joined by one space).
pub fn wrap<S: AsRef<str>>(items: &[S], width: usize) -> Vec<Vec<&str>> {
    wrap_from(0, 0, items.iter().map(AsRef::as_ref), width)
}

/// The words of `text` in lines of at most `width` characters. Leading
/// spaces (a bullet's continuation) stay at the start of the first line.
pub fn wrap_text(text: &str, width: usize) -> Vec<String> {
    let body = text.trim_start_matches(' ');
    if body.is_empty() {
        return Vec::new();
    }
    let indent = &text[..text.len() - body.len()];
    wrap_from(indent.len(), 0, body.split(' '), width)
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

/// Longest text from the container shown in a row, in characters: a
/// hostname or kernel release is at most 64, a mount path seldom more than a
/// few hundred; a 4 MiB "kernel release" must not become a 4 MiB line.
pub const MAX_UNTRUSTED: usize = 1024;

/// Text read from the container (a hostname, a kernel release, a user name,
/// an LSM label, a mount path, a tracee's string), made fit for a terminal:
/// a control character (an escape sequence planted in a file name) is shown
/// as its code (`\x1b`, as strace and `cat -v` show it), never sent, and text
/// beyond [`MAX_UNTRUSTED`] characters is cut with a note of how much was.
///
/// This is the one place such text is made safe; [`Clean`] applies the same
/// rule to whatever a printer writes, so that text which did not come
/// through here cannot reach the terminal raw either. JSON is not written
/// through either: it escapes by itself, and must stay exact.
pub fn untrusted(s: &str) -> Cow<'_, str> {
    let long = s.len() > MAX_UNTRUSTED && s.chars().nth(MAX_UNTRUSTED).is_some();
    if !long && !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(MAX_UNTRUSTED * 4) + 32);
    let mut chars = s.char_indices();
    for (_, c) in chars.by_ref().take(MAX_UNTRUSTED) {
        push_safe(&mut out, c);
    }
    if let Some((at, _)) = chars.next() {
        out.push_str(&format!("... ({} more bytes)", s.len() - at));
    }
    Cow::Owned(out)
}

/// `c`, or its code when it is a control character.
fn push_safe(out: &mut String, c: char) {
    if c.is_control() {
        out.push_str(&format!("\\x{:02x}", u32::from(c)));
    } else {
        out.push(c);
    }
}

/// The sink of every human output (the report, `why`, `record`): what
/// reaches the terminal holds no control character but the newline, and,
/// when color is on, none but the SGR color sequences (`ESC [ digits ; m`)
/// the painter writes. Anything else (a container's string that did not go
/// through `untrusted`) is shown as its code instead. A sequence counts as
/// the painter's only whole within one write, which is how the painter's
/// strings reach here; one split across writes is escaped.
pub struct Clean<W: Write> {
    inner: W,
    color: bool,
}

impl<W: Write> Clean<W> {
    pub fn new(inner: W, color: bool) -> Self {
        Clean { inner, color }
    }

    /// The stream written to, e.g. to flush it.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}

/// The length of the SGR sequence `ESC [ [0-9;]* m` at the start of `b`.
fn sgr_len(b: &[u8]) -> Option<usize> {
    let rest = b.strip_prefix(b"\x1b[")?;
    let params = rest
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b';')
        .count();
    (rest.get(params) == Some(&b'm')).then_some(params + 3)
}

impl<W: Write> Write for Clean<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // C0 controls and DEL as bytes; C1 controls (U+0080..U+009F, which
        // some terminals obey as 8-bit CSI and OSC) as their UTF-8 form.
        let control = |i: usize| match buf[i] {
            b'\n' => None,
            b if b < 0x20 || b == 0x7f => Some((u32::from(b), 1)),
            0xc2 if buf.get(i + 1).is_some_and(|n| (0x80..0xa0).contains(n)) => {
                Some((u32::from(buf[i + 1]), 2))
            }
            _ => None,
        };
        if !(0..buf.len()).any(|i| control(i).is_some()) {
            self.inner.write_all(buf)?;
            return Ok(buf.len());
        }
        let mut out = Vec::with_capacity(buf.len() + 16);
        let mut i = 0;
        while i < buf.len() {
            if self.color
                && let Some(n) = sgr_len(&buf[i..])
            {
                out.extend_from_slice(&buf[i..i + n]);
                i += n;
            } else if let Some((code, n)) = control(i) {
                out.extend_from_slice(format!("\\x{code:02x}").as_bytes());
                i += n;
            } else {
                out.push(buf[i]);
                i += 1;
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
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

/// The output stream, the painter, the column values start at and the
/// width lines wrap at.
pub struct Writer<'a, W: Write> {
    pub out: &'a mut W,
    pub p: Paint,
    col: usize,
    width: usize,
}

impl<'a, W: Write> Writer<'a, W> {
    /// A writer whose values start at column `col`, its lines wrapped at
    /// `width` columns.
    pub fn new(out: &'a mut W, p: Paint, col: usize, width: usize) -> Self {
        Writer { out, p, col, width }
    }

    /// The width lines wrap at.
    pub fn width(&self) -> usize {
        self.width
    }

    /// `label` at column 2 and `text` (which may hold color codes) from
    /// the value column on, wrapped at the writer's width between words;
    /// the lines after the first start `indent` columns right of the value
    /// column. A label too long for its column pushes the first line right.
    /// A word longer than a line gets a line of its own, from column
    /// [`OUTDENT`] when it does not fit under the others, with the container
    /// ids in it shortened ([`short_ids`]).
    fn lay(&mut self, label: &str, text: &str, indent: usize) -> io::Result<()> {
        let first_col = if label.is_empty() {
            self.col
        } else {
            self.col.max(2 + label.len() + 1)
        };
        let rest = self.col + indent;
        let room = self.width.saturating_sub(rest);
        let words = words_of(text, room);
        let pieces = pieces_of(&words, room);
        // A first word that does not fit after the label goes under it.
        let under = !label.is_empty()
            && pieces
                .first()
                .is_some_and(|(w, _)| first_col + visible_len(w) > self.width);
        if under {
            writeln!(self.out, "  {}", self.p.label(label))?;
        }
        let first = if under { rest } else { first_col };
        let lines = wrap_pieces(first, rest, pieces.iter().copied(), self.width);
        let lines = carry_styles(lines.iter().map(|l| join_pieces(l)).collect());
        for (i, line) in lines.iter().enumerate() {
            if i == 0 && !under && !label.is_empty() {
                let pad = first_col - 2 - label.len();
                write!(self.out, "  {}{}", self.p.label(label), " ".repeat(pad))?;
            } else {
                let at = if i == 0 && !under { self.col } else { rest };
                // Only a word too long for any line overflows: it starts
                // further left.
                let at = if at + visible_len(line) > self.width {
                    OUTDENT.min(at)
                } else {
                    at
                };
                write!(self.out, "{}", " ".repeat(at))?;
            }
            writeln!(self.out, "{line}")?;
        }
        if lines.is_empty() && !under {
            writeln!(self.out, "  {}", self.p.label(label))?;
        }
        Ok(())
    }

    /// A line of running text from column 0 (a heading of `why` or
    /// `record`, a closing line), wrapped at the width, the lines after the
    /// first indented by 4.
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        let room = self.width - 4;
        let words = words_of(text, room);
        let pieces = pieces_of(&words, room);
        let lines = wrap_pieces(0, 4, pieces.iter().copied(), self.width);
        let lines = carry_styles(lines.iter().map(|l| join_pieces(l)).collect());
        for (i, line) in lines.iter().enumerate() {
            let indent = if i == 0 { "" } else { "    " };
            writeln!(self.out, "{indent}{line}")?;
        }
        Ok(())
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

    /// `  label    value` with the value at the writer's column, wrapped
    /// under itself two columns in. `value` may hold color codes, so
    /// padding is computed from the plain label only.
    pub fn row(&mut self, label: &str, value: &str) -> io::Result<()> {
        self.lay(label, value, 2)
    }

    /// A line aligned under the values (wrapped like a [`row`](Self::row)).
    pub fn cont(&mut self, value: &str) -> io::Result<()> {
        self.lay("", value, 2)
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

    /// A row whose value is a list, wrapped under its first item. `paint`
    /// styles each item.
    pub fn list_row(
        &mut self,
        label: &str,
        items: &[String],
        paint: impl Fn(&Paint, &str) -> String,
    ) -> io::Result<()> {
        if items.is_empty() {
            return self.row(label, &self.p.dim("none"));
        }
        let painted: Vec<String> = items.iter().map(|s| paint(&self.p, s)).collect();
        self.lay(label, &painted.join(" "), 0)
    }

    /// Prints a failed section's error as its only row.
    pub fn failed(&mut self, error: &str) -> io::Result<()> {
        let msg = format!("could not be read: {}", untrusted(error));
        self.row("error", &self.p.warn(&msg))
    }

    /// A row of running text (which may hold color codes already);
    /// continuation lines are indented two more columns so each block
    /// reads as one. Under an empty label the first line is a continuation
    /// line too.
    pub fn text_rows(&mut self, label: &str, text: &str) -> io::Result<()> {
        self.lay(label, text, 2)
    }

    /// Text from the container under `label`, made safe ([`untrusted`]),
    /// painted and wrapped like [`text_rows`](Self::text_rows).
    pub fn wrapped(
        &mut self,
        label: &str,
        text: &str,
        paint: fn(&Paint, &str) -> String,
    ) -> io::Result<()> {
        let painted = paint(&self.p, &untrusted(text));
        self.lay(label, &painted, 2)
    }

    /// `text` under `label`, painted and wrapped under itself (no further
    /// indent): how `why` and `record` write. The text names what the traced
    /// command touched (its paths, its arguments), so it is made safe first
    /// ([`untrusted`]); it must not be painted yet.
    pub fn paragraph(
        &mut self,
        label: &str,
        text: &str,
        paint: impl Fn(&Paint, &str) -> String,
    ) -> io::Result<()> {
        let painted = paint(&self.p, &untrusted(text));
        self.lay(label, &painted, 0)
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
        assert_eq!(untrusted("h\u{9b}2J"), "h\\x9b2J");
    }

    #[test]
    fn long_text_is_cut_with_a_note() {
        let exact = "é".repeat(MAX_UNTRUSTED);
        assert_eq!(untrusted(&exact), exact);
        let long = format!("{exact}abc\x1b");
        assert_eq!(untrusted(&long), format!("{exact}... (4 more bytes)"));
        let huge = "x".repeat(4 << 20);
        assert!(untrusted(&huge).len() < MAX_UNTRUSTED + 32);
    }

    fn cleaned(color: bool, pieces: &[&[u8]]) -> Vec<u8> {
        let mut c = Clean::new(Vec::new(), color);
        for p in pieces {
            c.write_all(p).unwrap();
        }
        c.inner
    }

    #[test]
    fn the_sink_lets_only_newlines_and_the_painters_colors_through() {
        let hostile: &[u8] = b"h\x1b]0;PWNED\x07\x1b[2J\tx\r\n";
        let safe = b"h\\x1b]0;PWNED\\x07\\x1b[2J\\x09x\\x0d\n";
        assert_eq!(cleaned(false, &[hostile]), safe);
        // With color on, [2J is not a color: still escaped.
        assert_eq!(cleaned(true, &[hostile]), safe);
        let painted = Paint::new(true).bad("risk");
        assert_eq!(cleaned(true, &[painted.as_bytes()]), painted.as_bytes());
        // Without color, even a color sequence is escaped.
        assert_eq!(cleaned(false, &[b"\x1b[31mx"]), b"\\x1b[31mx");
        // A sequence split across writes is not the painter's.
        assert_eq!(cleaned(true, &[b"a\x1b", b"[31mx"]), b"a\\x1b[31mx");
        // C1 controls in their UTF-8 form; other characters pass.
        assert_eq!(
            cleaned(false, &["\u{9b}2J é".as_bytes()]),
            b"\\x9b2J \xc3\xa9"
        );
        assert_eq!(cleaned(false, &[b"plain\n"]), b"plain\n");
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
        let mut w = Writer::new(&mut out, Paint::new(false), VALUE_COL, WIDTH);
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
        let mut w = Writer::new(&mut out, Paint::new(false), 12, WIDTH);
        w.paragraph("cause", &"word ".repeat(30), plain).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("  cause     word"));
        assert!(lines[1].starts_with("            word"));
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
    }

    fn render_at(
        width: usize,
        color: bool,
        f: impl FnOnce(&mut Writer<'_, Vec<u8>>) -> io::Result<()>,
    ) -> String {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, Paint::new(color), VALUE_COL, width);
        f(&mut w).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_visible_width_leaves_color_codes_out() {
        assert_eq!(visible_len("plain"), 5);
        assert_eq!(visible_len("\x1b[31;1mred\x1b[0m"), 3);
        assert_eq!(visible_len(&Paint::new(true).dim("a b")), 3);
        assert_eq!(visible_len("é…"), 2);
    }

    #[test]
    fn rows_wrap_at_the_width_between_words() {
        let text = "one two three four five six seven eight nine ten";
        let got = render_at(40, false, |w| w.row("label", text));
        assert_eq!(
            got,
            "  label           one two three four\n                    five six seven eight\n                    nine ten\n"
        );
        // Wider, one line.
        assert_eq!(
            render_at(80, false, |w| w.row("label", text))
                .lines()
                .count(),
            1
        );
    }

    #[test]
    fn colored_rows_wrap_where_plain_ones_do_and_each_line_stands_alone() {
        let text = "one two three four five six seven eight nine ten";
        let plain_text = render_at(40, false, |w| w.row("label", text));
        let colored = render_at(40, true, |w| w.row("label", &w.p.dim(text)));
        let lines: Vec<&str> = colored.lines().collect();
        assert_eq!(lines.len(), plain_text.lines().count());
        for (c, p) in lines.iter().zip(plain_text.lines()) {
            assert_eq!(visible_len(c), p.chars().count(), "{c:?}");
            // A style opened on a line is closed on it.
            assert!(c.ends_with("\x1b[0m"), "{c:?}");
        }
        assert!(
            lines[1].trim_start().starts_with("\x1b[2m"),
            "{:?}",
            lines[1]
        );
    }

    #[test]
    fn a_word_longer_than_the_line_is_never_broken() {
        // Cut to a short id, it fits.
        let long = format!("/var/lib/x/{}/diff", "ab".repeat(20));
        let got = render_at(60, false, |w| {
            w.row("evidence", &format!("from {long} end"))
        });
        assert_eq!(
            got,
            "  evidence        from /var/lib/x/abababababab…/diff end\n"
        );
        // Where it fits whole, it stays whole.
        let got = render_at(120, false, |w| {
            w.row("evidence", &format!("from {long} end"))
        });
        assert_eq!(got, format!("  evidence        from {long} end\n"));
        // Too long even so: a line of its own, further left, unbroken.
        let path = format!("/{}", "x".repeat(70));
        let got = render_at(60, false, |w| w.row("label", &format!("a {path} b")));
        assert_eq!(
            got,
            format!("  label           a\n    {path}\n                    b\n")
        );
        // First, it goes under the label.
        let got = render_at(60, false, |w| w.row("label", &format!("{path} b")));
        assert_eq!(got, format!("  label\n    {path}\n                    b\n"));
    }

    #[test]
    fn only_long_hex_runs_are_shortened() {
        let id = "0123456789abcdef".repeat(4);
        assert_eq!(short_ids(&format!("/docker/{id}")), "/docker/0123456789ab…");
        assert_eq!(
            short_ids(&format!("{id}/{id}")),
            "0123456789ab…/0123456789ab…"
        );
        assert_eq!(short_ids("/proc/0xeffffffb"), "/proc/0xeffffffb");
        assert!(matches!(short_ids("deadbeef"), Cow::Borrowed(_)));
    }

    #[test]
    fn lists_wrap_under_their_first_item() {
        let items: Vec<String> = (0..12).map(|i| format!("CAP_NUMBER_{i}")).collect();
        let got = render_at(60, false, |w| w.list_row("effective", &items, plain));
        for l in got.lines().skip(1) {
            assert!(
                l.starts_with(&" ".repeat(VALUE_COL)) && !l.starts_with(&" ".repeat(VALUE_COL + 1))
            );
        }
        assert!(got.lines().all(|l| l.chars().count() <= 60), "{got}");
    }
}
