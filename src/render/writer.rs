//! What every human printer writes with: the one word wrap (which measures
//! what a terminal shows, not the bytes of color codes, and never breaks a
//! word, not even a path or a flag set longer than a line), the one place
//! text from the container is made fit for a terminal, and the [`Writer`] whose rows put a label at column 2 and its value in a
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
fn wrap_words<'a>(
    first: usize,
    rest: usize,
    words: impl IntoIterator<Item = &'a str>,
    width: usize,
) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut len = first;
    for word in words {
        let n = visible_len(word);
        // Joined to the current line, a word also takes a space. A word
        // of no width (a color code alone) stays where it is.
        if !cur.is_empty() && n > 0 && len + 1 + n > width {
            lines.push(std::mem::take(&mut cur).join(" "));
            len = rest;
        }
        // Runs of spaces (padding) do not start a line.
        if cur.is_empty() && word.is_empty() && !lines.is_empty() {
            continue;
        }
        len = if cur.is_empty() { len + n } else { len + 1 + n };
        cur.push(word);
    }
    if !cur.is_empty() {
        lines.push(cur.join(" "));
    }
    lines
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

/// `label` at column 2 and `text` (which may hold color codes) from column
/// `col` on, wrapped at `width` between words; the lines after the first
/// start `indent` columns right of `col`. A label too long for its column
/// pushes the first line right. A word longer than a line gets a line of its
/// own, from column [`OUTDENT`] when it does not fit under the others, with
/// the container ids in it shortened ([`short_ids`]). One function for every
/// writer, whatever it writes to (the binary's size).
pub(crate) fn layout(
    p: &Paint,
    col: usize,
    width: usize,
    label: &str,
    text: &str,
    indent: usize,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let first_col = if label.is_empty() {
        col
    } else {
        col.max(2 + label.len() + 1)
    };
    let rest = col + indent;
    let room = width.saturating_sub(rest);
    let words = words_of(text, room);
    // A first word that does not fit after the label goes under it.
    let under = !label.is_empty()
        && words
            .first()
            .is_some_and(|w| first_col + visible_len(w) > width);
    if under {
        let _ = writeln!(out, "  {}", p.label(label));
    }
    let first = if under { rest } else { first_col };
    let lines = wrap_words(first, rest, words.iter().map(AsRef::as_ref), width);
    let lines = carry_styles(lines);
    for (i, line) in lines.iter().enumerate() {
        let at = if i == 0 && !under && !label.is_empty() {
            let _ = write!(out, "  {}", p.label(label));
            first_col - 2 - label.len()
        } else {
            let at = if i == 0 && !under { col } else { rest };
            // Only a word too long for any line overflows: it starts
            // further left.
            if at + visible_len(line) > width {
                OUTDENT.min(at)
            } else {
                at
            }
        };
        let _ = writeln!(out, "{:at$}{line}", "");
    }
    if lines.is_empty() && !under {
        let _ = writeln!(out, "  {}", p.label(label));
    }
    out
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

    /// `label` and `text` as [`layout`] lays them out from the writer's
    /// value column, the lines after the first `indent` columns further in.
    fn lay(&mut self, label: &str, text: &str, indent: usize) -> io::Result<()> {
        let laid = layout(&self.p, self.col, self.width, label, text, indent);
        self.out.write_all(laid.as_bytes())
    }

    /// A line of running text from column 0 (a heading of `why` or
    /// `record`, a closing line), wrapped at the width, the lines after the
    /// first indented by 4.
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        let laid = layout(&self.p, 0, self.width, "", text, 4);
        self.out.write_all(laid.as_bytes())
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

    /// Words wrapped from column 0 to `width`, as text lines.
    fn wrap(words: &[&str], width: usize) -> Vec<String> {
        wrap_words(0, 0, words.iter().copied(), width)
    }

    #[test]
    fn wrap_respects_width_and_keeps_order() {
        let items = ["aaa", "bbb", "cc", "dddd"];
        assert_eq!(wrap(&items, 7), ["aaa bbb", "cc dddd"]);
        assert_eq!(wrap(&items, 100), ["aaa bbb cc dddd"]);
        // An item longer than the width still gets a line of its own.
        assert_eq!(wrap(&items, 2).len(), 4);
        // Exactly the width fits; one more does not.
        assert_eq!(wrap(&items, 11), ["aaa bbb cc", "dddd"]);
        assert_eq!(wrap(&items, 10).len(), 2);
        assert!(wrap(&[], 10).is_empty());
        // Characters count, not bytes.
        assert_eq!(wrap(&["ééé", "b"], 5), ["ééé b"]);
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
