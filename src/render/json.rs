//! The JSON printers: the report's own writer ([`write_report`], which
//! `diff` and `fleet` print with too), and one pretty-printed object for
//! `why`'s explanation and what `record` saw ([`write()`]).
//!
//! The report is written by a serializer of its own, into one buffer, laid
//! out as objects on lines of their own down to the first array, and every
//! element of an array on one line: a syscall's verdict is one line, which
//! greps and diffs as a unit. serde_json's pretty printer spent ten times
//! what the text report's printer does (9.4 M instructions against 0.9 M
//! under callgrind; a run's CPU time 15.8 ms against 10.5 ms, perf stat):
//! 280 KB of indentation and keys, each piece copied into the output
//! through its own `memcpy` call, whose `rep movsq` start dominates copies
//! that small. Here every byte is stored into a fixed chunk (no call per
//! piece), the chunk goes to the buffer when full, and the output is 164 KB
//! (11.3 ms against 10.5 ms). The layout is the same whether stdout is a
//! terminal or a pipe: a report saved to a file reads as the one shown, and
//! a fully compact object would be 151 KB, 8% less.

use serde::Serialize;
use serde::ser::{self, Impossible};
use std::io::{self, Write};

/// `why`'s and `record`'s JSON: one pretty-printed object and a newline.
pub fn write(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)
}

/// The report's JSON (docs/json.md), laid out as the module says, and a
/// newline.
pub fn write_report(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    out.write_all(&to_bytes(value)?)
}

/// The report's JSON text, as [`write_report`] prints it.
pub fn to_bytes(value: &impl Serialize) -> io::Result<Vec<u8>> {
    let mut json = Json {
        out: Vec::with_capacity(256 * 1024),
        chunk: [0; CHUNK],
        used: 0,
        depth: 0,
        inline: 0,
    };
    value.serialize(&mut json).map_err(io::Error::other)?;
    json.byte(b'\n');
    json.flush();
    Ok(json.out)
}

const CHUNK: usize = 4096;

/// The output and where the writer stands: `depth` objects on lines of
/// their own, and inside `inline` arrays (whose content is on one line).
/// Bytes gather in `chunk`, a fixed array whose store inlines (a
/// `Vec::push` per byte is a call at opt-level "z"), and go to `out` a
/// chunk at a time.
struct Json {
    out: Vec<u8>,
    chunk: [u8; CHUNK],
    used: usize,
    depth: usize,
    inline: usize,
}

/// A value the model cannot produce (a map with keys that are not strings).
#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

type Result<T = ()> = std::result::Result<T, Error>;

impl Json {
    #[inline(always)]
    fn byte(&mut self, b: u8) {
        if self.used == CHUNK {
            self.flush();
        }
        self.chunk[self.used] = b;
        self.used += 1;
    }

    #[cold]
    #[inline(never)]
    fn flush(&mut self) {
        self.out.extend_from_slice(&self.chunk[..self.used]);
        self.used = 0;
    }

    /// Byte by byte: short pieces, where a memcpy call costs more than the
    /// copy.
    fn push(&mut self, s: &str) {
        for &b in s.as_bytes() {
            self.byte(b);
        }
    }

    fn string(&mut self, s: &str) {
        self.byte(b'"');
        for &b in s.as_bytes() {
            if b >= 0x20 && b != b'"' && b != b'\\' {
                self.byte(b);
            } else {
                self.escape(b);
            }
        }
        self.byte(b'"');
    }

    /// A byte JSON does not take as is in a string, escaped as serde_json
    /// escapes it.
    #[cold]
    fn escape(&mut self, b: u8) {
        match b {
            b'"' => self.push("\\\""),
            b'\\' => self.push("\\\\"),
            b'\n' => self.push("\\n"),
            b'\r' => self.push("\\r"),
            b'\t' => self.push("\\t"),
            0x08 => self.push("\\b"),
            0x0c => self.push("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.push("\\u00");
                self.byte(HEX[usize::from(b >> 4)]);
                self.byte(HEX[usize::from(b & 15)]);
            }
        }
    }

    fn unsigned(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            self.byte(d);
        }
    }

    fn signed(&mut self, n: i64) {
        if n < 0 {
            self.byte(b'-');
        }
        self.unsigned(n.unsigned_abs());
    }

    /// Opens an object or array: on lines of its own while no array
    /// encloses it. An array puts what it holds on one line.
    fn open(&mut self, bracket: u8) -> Compound<'_> {
        self.byte(bracket);
        let lines = self.inline == 0;
        if lines {
            self.depth += 1;
        }
        let array = bracket == b'[';
        if array {
            self.inline += 1;
        }
        Compound {
            json: self,
            lines,
            array,
            first: true,
        }
    }

    fn newline(&mut self) {
        self.byte(b'\n');
        for _ in 0..self.depth {
            self.push("  ");
        }
    }
}

/// An object or array being written.
pub struct Compound<'a> {
    json: &'a mut Json,
    /// Its members on lines of their own.
    lines: bool,
    array: bool,
    first: bool,
}

impl Compound<'_> {
    fn separate(&mut self) {
        if !self.first {
            self.json.byte(b',');
        }
        self.first = false;
        if self.lines {
            self.json.newline();
        }
    }

    fn key(&mut self, key: &str) {
        self.separate();
        self.json.string(key);
        self.json.byte(b':');
        if self.lines {
            self.json.byte(b' ');
        }
    }

    fn close(self) -> Result {
        let j = self.json;
        if self.array {
            j.inline -= 1;
        }
        if self.lines {
            j.depth -= 1;
            if !self.first {
                j.newline();
            }
        }
        j.byte(if self.array { b']' } else { b'}' });
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Json {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result {
        self.push(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.signed(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.unsigned(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result {
        if !v.is_finite() {
            // As serde_json: JSON has no NaN or infinity.
            self.push("null");
            return Ok(());
        }
        // The shortest digits that read back as `v`, and ".0" on a whole
        // number, so that it still reads as a float.
        let text = v.to_string();
        self.push(&text);
        if !text.contains('.') {
            self.push(".0");
        }
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        let mut seq = self.open(b'[');
        for b in v {
            seq.separate();
            seq.json.unsigned((*b).into());
        }
        seq.close()
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.push("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Result {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result {
        let mut map = self.open(b'{');
        map.key(variant);
        v.serialize(&mut *map.json)?;
        map.close()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>> {
        Ok(self.open(b'['))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>> {
        Ok(self.open(b'['))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>> {
        Ok(self.open(b'['))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(ser::Error::custom(format!(
            "{name}: tuple variants are not written"
        )))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>> {
        Ok(self.open(b'{'))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>> {
        Ok(self.open(b'{'))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(ser::Error::custom(format!(
            "{name}: struct variants are not written"
        )))
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result {
        self.separate();
        v.serialize(&mut *self.json)
    }
    fn end(self) -> Result {
        self.close()
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result {
        self.close()
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result {
        self.close()
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        self.separate();
        key.serialize(KeyWriter(&mut *self.json))?;
        self.json.byte(b':');
        if self.lines {
            self.json.byte(b' ');
        }
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result {
        v.serialize(&mut *self.json)
    }
    fn end(self) -> Result {
        self.close()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, v: &T) -> Result {
        self.key(key);
        v.serialize(&mut *self.json)
    }
    fn end(self) -> Result {
        self.close()
    }
}

/// A map's key, which JSON wants a string.
struct KeyWriter<'a>(&'a mut Json);

/// Every kind of key but a string is refused.
macro_rules! not_a_string {
    ($($f:ident($($t:ty),*)),* $(,)?) => {$(
        fn $f(self, $(_: $t),*) -> Result {
            Err(ser::Error::custom("a map key that is not a string"))
        }
    )*};
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result {
        self.0.string(v);
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    not_a_string!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
    );
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result {
        Err(ser::Error::custom("a map key that is not a string"))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Result {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(ser::Error::custom("a map key that is not a string"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(ser::Error::custom("a map key that is not a string"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(ser::Error::custom("a map key that is not a string"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(ser::Error::custom("a map key that is not a string"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(ser::Error::custom("a map key that is not a string"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(ser::Error::custom("a map key that is not a string"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(ser::Error::custom("a map key that is not a string"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(ser::Error::custom("a map key that is not a string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Rec {
        name: &'static str,
        n: i32,
        f: f64,
        list: Vec<u8>,
        none: Option<u32>,
    }

    #[derive(Serialize)]
    struct Top {
        title: String,
        inner: BTreeMap<String, bool>,
        recs: Vec<Rec>,
        empty: Vec<u8>,
        nothing: BTreeMap<String, u8>,
    }

    fn text(v: &impl Serialize) -> String {
        String::from_utf8(to_bytes(v).unwrap()).unwrap()
    }

    #[test]
    fn objects_take_lines_and_an_array_s_elements_one_line_each() {
        let top = Top {
            title: "a \"b\"\n\u{1b}[31m\\".into(),
            inner: [("k".to_string(), true)].into(),
            recs: vec![
                Rec {
                    name: "x",
                    n: -3,
                    f: 1.0,
                    list: vec![1, 2],
                    none: None,
                },
                Rec {
                    name: "y",
                    n: 0,
                    f: 0.25,
                    list: vec![],
                    none: Some(7),
                },
            ],
            empty: vec![],
            nothing: BTreeMap::new(),
        };
        let want = r#"{
  "title": "a \"b\"\n\u001b[31m\\",
  "inner": {
    "k": true
  },
  "recs": [
    {"name":"x","n":-3,"f":1.0,"list":[1,2],"none":null},
    {"name":"y","n":0,"f":0.25,"list":[],"none":7}
  ],
  "empty": [],
  "nothing": {}
}
"#;
        assert_eq!(text(&top), want);
    }

    #[test]
    fn it_reads_back_as_serde_json_writes_it() {
        let v = serde_json::json!({
            "u": u64::MAX, "i": i64::MIN, "f": 0.1, "big": 1e300, "tiny": 5e-324,
            "s": "tab\tcr\r\u{7f}é\u{8}\u{c}", "nested": [[{"a": [null, false]}]],
        });
        let back: serde_json::Value = serde_json::from_slice(&to_bytes(&v).unwrap()).unwrap();
        assert_eq!(back, v);
        // Not finite: null, as serde_json writes it.
        assert_eq!(text(&f64::NAN), "null\n");
    }

    #[test]
    fn a_map_key_that_is_not_a_string_is_an_error_not_bad_json() {
        let m: BTreeMap<u8, u8> = [(1, 2)].into();
        assert!(to_bytes(&m).is_err());
    }
}
