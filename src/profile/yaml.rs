//! The YAML subset Kubernetes objects are written in, into JSON values.
//!
//! SeccompProfile objects come out of kubectl, the Security Profiles
//! Operator's recorder and hand editing as YAML, but they use a small part
//! of it: block mappings and sequences, the compact `- key: value` form,
//! flow sequences and mappings (`[a, b]`, `{}`), plain and quoted scalars,
//! block scalars in annotations, comments and `---` between documents.
//! That part is parsed here, with the line of every error; anchors, aliases,
//! tags and complex keys are refused by name rather than misread. A crate
//! for full YAML would be ten times this module's size in the binary for
//! nothing a profile needs.

use serde_json::{Map, Value};

/// A YAML error: what and on which line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, Error> {
    Err(Error {
        line,
        message: message.into(),
    })
}

/// A parsed document and the line each mapping key was on, by JSON path
/// (`spec.syscalls[2].action`), so later errors can name the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub value: Value,
    pub first_line: usize,
    pub lines: Vec<(String, usize)>,
}

impl Document {
    /// The line of a path, or of its nearest ancestor that has one.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some((_, l)) = self.lines.iter().find(|(q, _)| q == p) {
                return Some(*l);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

/// One meaningful line: its number, indentation and text without the comment.
#[derive(Debug, Clone)]
struct Line<'a> {
    no: usize,
    indent: usize,
    text: &'a str,
}

/// Parses every document of a YAML stream.
pub fn parse(src: &str) -> Result<Vec<Document>, Error> {
    let mut docs = Vec::new();
    let mut current: Vec<Line> = Vec::new();
    let mut raw: Vec<(usize, &str)> = Vec::new();
    for (i, l) in src.lines().enumerate() {
        raw.push((i + 1, l));
    }
    let flush = |lines: &mut Vec<Line>, docs: &mut Vec<Document>| -> Result<(), Error> {
        if lines.iter().any(|l| !l.text.is_empty()) {
            let first_line = lines[0].no;
            let mut p = Parser {
                lines: std::mem::take(lines),
                pos: 0,
                paths: Vec::new(),
            };
            let value = p.node(0, "")?;
            if let Some(l) = p.lines.get(p.pos) {
                return err(l.no, "unexpected content (check the indentation)");
            }
            docs.push(Document {
                value,
                first_line,
                lines: p.paths,
            });
        }
        lines.clear();
        Ok(())
    };
    for (no, l) in raw {
        if l.contains('\t') && l.trim_start_matches(' ').starts_with('\t') {
            return err(no, "tabs cannot indent YAML");
        }
        if l.starts_with("---") || l == "..." {
            flush(&mut current, &mut docs)?;
            let rest = l.trim_start_matches('-').trim();
            if !rest.is_empty() && !rest.starts_with('#') && l.starts_with("---") {
                return err(no, "content after '---' is not supported");
            }
            continue;
        }
        if l.starts_with('%') {
            // %YAML / %TAG directives: nothing a profile needs.
            continue;
        }
        let text = strip_comment(l);
        let indent = text.len() - text.trim_start().len();
        let text = text.trim();
        if text.is_empty() {
            // Kept (empty) for block scalars, which keep blank lines.
            current.push(Line {
                no,
                indent: usize::MAX,
                text: "",
            });
            continue;
        }
        current.push(Line { no, indent, text });
    }
    flush(&mut current, &mut docs)?;
    Ok(docs)
}

/// The line without a trailing comment; `#` inside quotes is text.
fn strip_comment(l: &str) -> &str {
    let b = l.as_bytes();
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if double => i += 1,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && (i == 0 || b[i - 1] == b' ') => return &l[..i],
            _ => {}
        }
        i += 1;
    }
    l
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
    paths: Vec<(String, usize)>,
}

impl<'a> Parser<'a> {
    fn skip_blank(&mut self) {
        while self.lines.get(self.pos).is_some_and(|l| l.text.is_empty()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<Line<'a>> {
        self.skip_blank();
        self.lines.get(self.pos).cloned()
    }

    /// The block node starting at the current line, indented at least `min`.
    fn node(&mut self, min: usize, path: &str) -> Result<Value, Error> {
        let Some(l) = self.peek() else {
            return Ok(Value::Null);
        };
        if l.indent < min {
            return Ok(Value::Null);
        }
        if is_seq_item(l.text) {
            self.sequence(l.indent, path)
        } else if split_key(l.text, l.no)?.is_some() {
            self.mapping(l.indent, path)
        } else {
            // A lone scalar (or flow collection) spanning this line and
            // perhaps more-indented ones.
            self.pos += 1;
            let mut text = l.text.to_string();
            while let Some(n) = self.peek() {
                if n.indent <= l.indent.saturating_sub(1) && !flow_open(&text) {
                    break;
                }
                if n.indent < min {
                    break;
                }
                text.push(' ');
                text.push_str(n.text);
                self.pos += 1;
            }
            scalar_or_flow(&text, l.no)
        }
    }

    fn sequence(&mut self, indent: usize, path: &str) -> Result<Value, Error> {
        let mut out = Vec::new();
        while let Some(l) = self.peek() {
            if l.indent != indent || !is_seq_item(l.text) {
                if l.indent > indent {
                    return err(l.no, "unexpected indentation in a sequence");
                }
                break;
            }
            let item_path = format!("{path}[{}]", out.len());
            self.paths.push((item_path.clone(), l.no));
            let rest = l.text[1..].trim_start();
            let col = indent + (l.text.len() - rest.len());
            if rest.is_empty() {
                self.pos += 1;
                out.push(self.node(indent + 1, &item_path)?);
            } else if is_seq_item(rest) || split_key(rest, l.no)?.is_some() {
                // "- key: value" or "- - x": a block node whose first line
                // starts after the dash; re-read this line at that column.
                self.lines[self.pos] = Line {
                    no: l.no,
                    indent: col,
                    text: rest,
                };
                out.push(self.node(col, &item_path)?);
            } else {
                self.pos += 1;
                out.push(self.inline_value(rest, l.no, indent + 1)?);
            }
        }
        Ok(Value::Array(out))
    }

    fn mapping(&mut self, indent: usize, path: &str) -> Result<Value, Error> {
        let mut out = Map::new();
        while let Some(l) = self.peek() {
            if l.indent != indent {
                if l.indent > indent {
                    return err(l.no, "unexpected indentation in a mapping");
                }
                break;
            }
            let Some((key, rest)) = split_key(l.text, l.no)? else {
                if is_seq_item(l.text) {
                    // A sequence at the key's own indentation belongs to
                    // the previous key (a common style): handled there.
                    break;
                }
                return err(l.no, format!("expected 'key: value', found {:?}", l.text));
            };
            if out.contains_key(&key) {
                return err(l.no, format!("duplicate key {key:?}"));
            }
            let key_path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            self.paths.push((key_path.clone(), l.no));
            self.pos += 1;
            let value = if rest.is_empty() {
                // The value is the block below: more indented, or a
                // sequence at the same indentation.
                match self.peek() {
                    Some(n) if n.indent > indent => self.node(indent + 1, &key_path)?,
                    Some(n) if n.indent == indent && is_seq_item(n.text) => {
                        self.sequence(indent, &key_path)?
                    }
                    _ => Value::Null,
                }
            } else {
                self.inline_value(rest, l.no, indent + 1)?
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    /// The value after `key:` or `- ` on the same line: a scalar, a flow
    /// collection (which may continue on more-indented lines) or a block
    /// scalar.
    fn inline_value(&mut self, rest: &str, no: usize, min: usize) -> Result<Value, Error> {
        if rest.starts_with('|') || rest.starts_with('>') {
            return self.block_scalar(rest, no, min);
        }
        let mut text = rest.to_string();
        while flow_open(&text) {
            match self.peek() {
                Some(n) if n.indent >= min || n.text.starts_with([']', '}']) => {
                    text.push(' ');
                    text.push_str(n.text);
                    self.pos += 1;
                }
                _ => return err(no, "unclosed '[' or '{'"),
            }
        }
        scalar_or_flow(&text, no)
    }

    fn block_scalar(&mut self, head: &str, no: usize, min: usize) -> Result<Value, Error> {
        let folded = head.starts_with('>');
        let mut parts: Vec<&str> = Vec::new();
        let mut block_indent = None;
        while let Some(l) = self.lines.get(self.pos) {
            if l.text.is_empty() {
                parts.push("");
                self.pos += 1;
                continue;
            }
            if l.indent < min {
                break;
            }
            let bi = *block_indent.get_or_insert(l.indent);
            if l.indent < bi {
                break;
            }
            parts.push(l.text);
            self.pos += 1;
        }
        while parts.last() == Some(&"") {
            parts.pop();
        }
        if parts.is_empty() && block_indent.is_none() {
            return err(no, "empty block scalar");
        }
        let sep = if folded { " " } else { "\n" };
        let mut s = parts.join(sep);
        if !head.contains('-') {
            s.push('\n');
        }
        Ok(Value::String(s))
    }
}

fn is_seq_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Whether brackets opened in `text` (outside quotes) are still open.
fn flow_open(text: &str) -> bool {
    let t = text.trim_start();
    if !t.starts_with(['[', '{']) {
        return false;
    }
    let mut depth = 0i32;
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for c in t.chars() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single && prev != '\\' => double = !double,
            '[' | '{' if !single && !double => depth += 1,
            ']' | '}' if !single && !double => depth -= 1,
            _ => {}
        }
        prev = c;
    }
    depth > 0
}

/// Splits `key: rest` (the key plain or quoted); `None` when the line is not
/// a mapping entry.
fn split_key(text: &str, no: usize) -> Result<Option<(String, &str)>, Error> {
    if text.starts_with(['[', '{']) {
        return Ok(None);
    }
    if text.starts_with("? ") {
        return err(no, "complex mapping keys ('? ') are not supported");
    }
    if let Some(q) = text.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let Some((key, used)) = quoted(text, q, no)? else {
            return Ok(None);
        };
        let after = &text[used..];
        return Ok(after
            .strip_prefix(':')
            .filter(|r| r.is_empty() || r.starts_with(' '))
            .map(|r| (key, r.trim())));
    }
    // A plain key ends at the first ": " (or a ':' ending the line).
    let b = text.as_bytes();
    for i in 0..b.len() {
        if b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' ') {
            let key = text[..i].trim_end();
            if key.is_empty() {
                return Ok(None);
            }
            return Ok(Some((key.to_string(), text[i + 1..].trim())));
        }
    }
    Ok(None)
}

/// A quoted scalar at the start of `text`: its value and the bytes used.
fn quoted(text: &str, q: char, no: usize) -> Result<Option<(String, usize)>, Error> {
    let mut out = String::new();
    let mut it = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = it.next() {
        if c == q {
            if q == '\'' && it.peek().is_some_and(|(_, n)| *n == '\'') {
                it.next();
                out.push('\'');
                continue;
            }
            return Ok(Some((out, i + 1)));
        }
        if c == '\\' && q == '"' {
            let Some((_, e)) = it.next() else { break };
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                '"' | '\\' | '/' | ' ' => out.push(e),
                'x' | 'u' | 'U' => {
                    let n = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = (0..n).filter_map(|_| it.next().map(|(_, c)| c)).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(c) => out.push(c),
                        None => return err(no, format!("bad escape \\{e}{hex}")),
                    }
                }
                _ => return err(no, format!("unknown escape \\{e}")),
            }
            continue;
        }
        out.push(c);
    }
    err(no, format!("unterminated {q}quoted{q} string"))
}

fn scalar_or_flow(text: &str, no: usize) -> Result<Value, Error> {
    let t = text.trim();
    if t.starts_with(['[', '{']) {
        let mut f = Flow {
            s: t.as_bytes(),
            src: t,
            i: 0,
            no,
        };
        let v = f.value()?;
        f.ws();
        if f.i != f.s.len() {
            return err(
                no,
                format!("unexpected {:?} after a flow collection", &t[f.i..]),
            );
        }
        return Ok(v);
    }
    scalar(t, no)
}

fn scalar(t: &str, no: usize) -> Result<Value, Error> {
    if let Some(q) = t.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let Some((s, used)) = quoted(t, q, no)? else {
            return err(no, "bad quoted string");
        };
        if !t[used..].trim().is_empty() {
            return err(
                no,
                format!("unexpected {:?} after a quoted string", &t[used..]),
            );
        }
        return Ok(Value::String(s));
    }
    match t.chars().next() {
        Some('&') => return err(no, "anchors ('&') are not supported"),
        Some('*') => return err(no, "aliases ('*') are not supported"),
        Some('!') => return err(no, "tags ('!') are not supported"),
        Some('@' | '`') => return err(no, format!("a plain scalar cannot start with {t:?}")),
        _ => {}
    }
    Ok(plain(t))
}

/// A plain scalar, typed as YAML 1.2's core schema types it.
fn plain(t: &str) -> Value {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let parsed = if let Some(h) = digits.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(o) = digits.strip_prefix("0o") {
        u64::from_str_radix(o, 8).ok()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<u64>().ok()
    } else {
        None
    };
    // Profiles hold no fractions: anything else, floats included, stays a
    // string (and a field that needs a number says so).
    match (parsed, neg) {
        (Some(n), false) => Value::Number(n.into()),
        (Some(n), true) if n <= i64::MAX as u64 => Value::Number((-(n as i64)).into()),
        _ => Value::String(t.to_string()),
    }
}

/// Flow collections: `[a, "b", {c: 1}]`.
struct Flow<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    no: usize,
}

impl Flow<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| *b == b' ') {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Value, Error> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'[') => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(Value::Array(out));
                    }
                    out.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {}
                        _ => return err(self.no, "expected ',' or ']' in a flow sequence"),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut out = Map::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(Value::Object(out));
                    }
                    let key = match self.value()? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return err(self.no, "expected ':' in a flow mapping");
                    }
                    self.i += 1;
                    let v = self.value()?;
                    out.insert(key, v);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {}
                        _ => return err(self.no, "expected ',' or '}' in a flow mapping"),
                    }
                }
            }
            Some(b'"') | Some(b'\'') => {
                let q = self.s[self.i] as char;
                let Some((s, used)) = quoted(&self.src[self.i..], q, self.no)? else {
                    return err(self.no, "bad quoted string");
                };
                self.i += used;
                Ok(Value::String(s))
            }
            Some(_) => {
                let start = self.i;
                while let Some(b) = self.s.get(self.i) {
                    if matches!(b, b',' | b']' | b'}')
                        || (*b == b':' && self.s.get(self.i + 1).is_none_or(|n| *n == b' '))
                    {
                        break;
                    }
                    self.i += 1;
                }
                scalar(self.src[start..self.i].trim(), self.no)
            }
            None => err(self.no, "unexpected end of a flow collection"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(src: &str) -> Value {
        let docs = parse(src).unwrap();
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.into_iter().next().unwrap().value
    }

    #[test]
    fn block_mappings_sequences_and_compact_items() {
        let v = one("# a comment\n\
             apiVersion: security-profiles-operator.x-k8s.io/v1beta1\n\
             kind: SeccompProfile\n\
             metadata:\n  name: demo   # trailing comment\n  namespace: \"my-ns\"\n\
             spec:\n  defaultAction: SCMP_ACT_ERRNO\n  architectures:\n  - SCMP_ARCH_X86_64\n\
             \x20 syscalls:\n  - action: SCMP_ACT_ALLOW\n    names:\n    - exit_group\n    - 'read'\n\
             \x20 - action: SCMP_ACT_ERRNO\n    errnoRet: 38\n    names: [mkdir, \"mkdirat\"]\n\
             \x20   args:\n      - index: 0\n        value: 0x10\n        op: SCMP_CMP_EQ\n");
        assert_eq!(
            v,
            json!({
                "apiVersion": "security-profiles-operator.x-k8s.io/v1beta1",
                "kind": "SeccompProfile",
                "metadata": {"name": "demo", "namespace": "my-ns"},
                "spec": {
                    "defaultAction": "SCMP_ACT_ERRNO",
                    "architectures": ["SCMP_ARCH_X86_64"],
                    "syscalls": [
                        {"action": "SCMP_ACT_ALLOW", "names": ["exit_group", "read"]},
                        {"action": "SCMP_ACT_ERRNO", "errnoRet": 38, "names": ["mkdir", "mkdirat"],
                         "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}]}
                    ]
                }
            })
        );
    }

    #[test]
    fn indented_sequences_flow_maps_and_block_scalars() {
        let v = one(
            "a:\n    - x\n    - y\nb: {}\nc: []\nd: |\n  line one\n  line two\ne: >-\n  folded\n  text\nf: ~\ng: -3\n",
        );
        assert_eq!(
            v,
            json!({"a": ["x", "y"], "b": {}, "c": [], "d": "line one\nline two\n",
                   "e": "folded text", "f": null, "g": -3})
        );
    }

    #[test]
    fn multi_line_flow_sequences() {
        let v = one("names: [\n  read,\n  write\n]\nnext: 1\n");
        assert_eq!(v, json!({"names": ["read", "write"], "next": 1}));
    }

    #[test]
    fn several_documents() {
        let docs = parse("---\nkind: A\n---\nkind: B\n...\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].value, json!({"kind": "B"}));
        assert_eq!(docs[1].first_line, 4);
    }

    #[test]
    fn lines_of_keys_are_kept() {
        let d = &parse("spec:\n  syscalls:\n  - action: X\n    names: [a]\n").unwrap()[0];
        assert_eq!(d.line_of("spec.syscalls[0].action"), Some(3));
        assert_eq!(d.line_of("spec.syscalls[0].names[0]"), Some(4));
        assert_eq!(d.line_of("spec.syscalls[0].args[0].op"), Some(3));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("a: 1\nb: [x, y\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("a: 1\n  b: 2\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("a: &anchor 1\n").unwrap_err();
        assert!(e.message.contains("anchors"), "{e}");
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert!(e.message.contains("duplicate"), "{e}");
        let e = parse("a: \"open\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse("\ta: 1\n").unwrap_err();
        assert!(e.message.contains("tabs"), "{e}");
    }

    #[test]
    fn odd_input_never_panics() {
        for s in [
            "-",
            "- -",
            ":",
            "a:",
            "[",
            "{",
            "]",
            "'",
            "\"\\",
            "- a: [",
            "a: |",
            "? x",
            "- - - a",
            "a:\n-\n-",
            "a: b: c",
            "\u{feff}a: 1",
            "a: '''",
            "x: {a: [1, {b: }]}",
        ] {
            let _ = parse(s);
        }
    }
}
