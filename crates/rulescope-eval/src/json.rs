//! A JSON tree that borrows its strings from the text it was read from. The extractor reads
//! every EVTX record's JSON once; building a `serde_json::Value` for it (an owned string per
//! key and value) cost twice as much as rendering the JSON, and reading it through serde's
//! visitor cost more than the hand-written reader here, which accepts exactly what serde_json
//! accepts. Objects behave like `Value`'s with `preserve_order`: keys keep their order, and a
//! repeated key keeps its first place and its last value. They are plain lists, not hash
//! maps: most have a handful of keys, and a hash table per object cost more than it saved.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Serialize, Serializer};
use serde_json::{Number, Value as Json};

/// Keys are unique.
#[derive(Default)]
pub(crate) struct Object<'a>(Vec<(Cow<'a, str>, Node<'a>)>);

impl<'a> Object<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Cow<'a, str>, &Node<'a>)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Serialize for Object<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// Linear search finds a repeated key in small objects; past this many keys, an index.
const INDEXED_KEYS: usize = 16;

pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Num(Number),
    Str(Cow<'a, str>),
    Arr(Vec<Node<'a>>),
    Obj(Object<'a>),
}

impl<'a> From<&'a Json> for Node<'a> {
    fn from(json: &'a Json) -> Self {
        match json {
            Json::Null => Node::Null,
            Json::Bool(b) => Node::Bool(*b),
            Json::Number(n) => Node::Num(n.clone()),
            Json::String(s) => Node::Str(Cow::Borrowed(s)),
            Json::Array(items) => Node::Arr(items.iter().map(Node::from).collect()),
            // A `Value`'s keys are unique already.
            Json::Object(obj) => Node::Obj(Object(
                obj.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::from(v)))
                    .collect(),
            )),
        }
    }
}

/// Written as `serde_json` writes the equal `Value`.
impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Num(n) => n.serialize(s),
            Node::Str(t) => s.serialize_str(t),
            Node::Arr(items) => s.collect_seq(items),
            Node::Obj(obj) => obj.serialize(s),
        }
    }
}

impl<'a> Node<'a> {
    /// Reads JSON text, accepting exactly what `serde_json::from_slice` accepts (the same
    /// nesting limit; escaped strings and numbers other than plain integers are read by
    /// serde_json itself). `None` on any error. Written by hand: serde's visitor calls per
    /// token cost more than the scan.
    pub(crate) fn parse(text: &'a [u8]) -> Option<Node<'a>> {
        // Text that is not UTF-8 is an error for serde_json too: in a string it is invalid
        // Unicode, elsewhere a syntax error. Checked once here, strings are then slices.
        let text = std::str::from_utf8(text).ok()?;
        let mut reader = Reader {
            text,
            bytes: text.as_bytes(),
            at: 0,
            depth: RECURSION_LIMIT,
        };
        let node = reader.value()?;
        reader.skip_whitespace();
        (reader.at == text.len()).then_some(node)
    }
}

/// serde_json's nesting limit: the 128th nested array or object is an error.
const RECURSION_LIMIT: u8 = 128;

/// The bytes that end a run of plain string content: a quote, a backslash, and the control
/// characters JSON does not allow in strings. A table walk beat memchr on strings this short.
const STRING_STOP: [bool; 256] = {
    let mut stop = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        stop[b] = true;
        b += 1;
    }
    stop[b'"' as usize] = true;
    stop[b'\\' as usize] = true;
    stop
};

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    /// Containers that may still open, as serde_json counts them.
    depth: u8,
}

impl<'a> Reader<'a> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, not taken.
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.at).copied()
    }

    fn value(&mut self) -> Option<Node<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Node::Str),
            b'{' => self.nested(Self::object),
            b'[' => self.nested(Self::array),
            b't' => self.literal(b"true", Node::Bool(true)),
            b'f' => self.literal(b"false", Node::Bool(false)),
            b'n' => self.literal(b"null", Node::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Option<Node<'a>>) -> Option<Node<'a>> {
        self.depth -= 1;
        if self.depth == 0 {
            return None;
        }
        self.at += 1;
        let node = read(self);
        self.depth += 1;
        node
    }

    fn literal(&mut self, word: &[u8], node: Node<'a>) -> Option<Node<'a>> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word).then(|| {
            self.at = end;
            node
        })
    }

    fn number(&mut self) -> Option<Node<'a>> {
        let start = self.at;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
        }
        let token = self.text.get(start..self.at)?;
        // Plain integers, most of an event's numbers, read as serde_json reads them: u64.
        let plain = token.len() <= 19
            && token.bytes().all(|b| b.is_ascii_digit())
            && (token.len() == 1 || !token.starts_with('0'));
        if plain {
            return token.parse::<u64>().ok().map(|n| Node::Num(n.into()));
        }
        let number: Number = serde_json::from_str(token).ok()?;
        // As `Value` does: a number that is not finite is null.
        Some(match number.as_f64() {
            Some(f) if !f.is_finite() => Node::Null,
            _ => Node::Num(number),
        })
    }

    /// A string at the opening quote: borrowed unless it has escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.at;
        let mut at = start + 1;
        let mut escaped = false;
        loop {
            while !STRING_STOP[usize::from(*self.bytes.get(at)?)] {
                at += 1;
            }
            match self.bytes[at] {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    // The escaped byte is skipped, so `\"` does not end the string.
                    at += 2;
                }
                // JSON strings hold no raw control characters.
                _ => return None,
            }
        }
        self.at = at + 1;
        let body = self.text.get(start + 1..at)?;
        if escaped {
            return unescape(body, self.text.get(start..self.at)?).map(Cow::Owned);
        }
        Some(Cow::Borrowed(body))
    }

    fn array(&mut self) -> Option<Node<'a>> {
        let mut items = Vec::new();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(Node::Arr(items));
        }
        loop {
            items.push(self.value()?);
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(Node::Arr(items));
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self) -> Option<Node<'a>> {
        let mut object = ObjectBuilder::default();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(Node::Obj(object.finish()));
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            if self.peek()? != b':' {
                return None;
            }
            self.at += 1;
            let value = self.value()?;
            object.insert(key, value);
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(Node::Obj(object.finish()));
                }
                _ => return None,
            }
        }
    }
}

/// The text of a string body with escapes; `\\u` escapes (surrogate pairs and their
/// errors) are left to serde_json, given the whole `quoted` string.
fn unescape(body: &str, quoted: &str) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut parts = body.split('\\');
    out.push_str(parts.next()?);
    let mut after_backslash = false;
    for part in parts {
        if after_backslash {
            // `\\\\` split into an empty part: the backslash itself is escaped.
            out.push('\\');
            out.push_str(part);
            after_backslash = false;
            continue;
        }
        let mut chars = part.chars();
        let escaped = match chars.next() {
            None => {
                after_backslash = true;
                continue;
            }
            Some('"') => '"',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => return serde_json::from_str(quoted).ok(),
            Some(_) => return None,
        };
        out.push(escaped);
        out.push_str(chars.as_str());
    }
    (!after_backslash).then_some(out)
}

/// Builds an [`Object`] as `Value` with `preserve_order` would: a repeated key keeps its
/// first place and takes the last value.
#[derive(Default)]
struct ObjectBuilder<'a> {
    entries: Vec<(Cow<'a, str>, Node<'a>)>,
    index: HashMap<Cow<'a, str>, usize, foldhash::fast::RandomState>,
}

impl<'a> ObjectBuilder<'a> {
    fn insert(&mut self, key: Cow<'a, str>, value: Node<'a>) {
        let entries = &mut self.entries;
        let seen = if entries.len() < INDEXED_KEYS {
            entries.iter().position(|(k, _)| *k == key)
        } else {
            if self.index.is_empty() {
                let keys = entries.iter().enumerate().map(|(i, (k, _))| (k.clone(), i));
                self.index.extend(keys);
            }
            let next = entries.len();
            Some(*self.index.entry(key.clone()).or_insert(next)).filter(|&i| i != next)
        };
        match seen.and_then(|i| entries.get_mut(i)) {
            Some(entry) => entry.1 = value,
            None => entries.push((key, value)),
        }
    }

    fn finish(self) -> Object<'a> {
        Object(self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text` both ways and writes each back: equal text means an equal tree.
    fn same_as_value(text: &str) {
        let node = Node::parse(text.as_bytes()).expect("valid JSON");
        let value: Json = serde_json::from_str(text).expect("valid JSON");
        assert_eq!(
            serde_json::to_string(&node).ok(),
            serde_json::to_string(&value).ok(),
            "{text}"
        );
    }

    #[test]
    fn repeated_keys_keep_their_first_place_and_last_value() {
        same_as_value(r#"{"a": 1, "b": 2, "a": {"c": [3, "x\"y"]}, "d": null}"#);
        // Past the linear-search size, with repeats before and after the index is built.
        let keys: Vec<String> = (0..40).map(|i| format!("\"k{}\": {i}", i % 23)).collect();
        same_as_value(&format!("{{{}}}", keys.join(",")));
    }

    #[test]
    fn numbers_and_escapes_read_as_value_reads_them() {
        same_as_value(r#"[1.5, -0, 1e300, 18446744073709551615, -9, true, "\u00e9\\n\t", {}]"#);
    }

    /// Accepts and refuses what serde_json does, and reads the same tree when it accepts.
    fn as_serde_json(text: &[u8]) {
        let node = Node::parse(text);
        let value = serde_json::from_slice::<Json>(text);
        assert_eq!(
            node.is_some(),
            value.is_ok(),
            "{:?}",
            String::from_utf8_lossy(text)
        );
        if let (Some(node), Ok(value)) = (node, value) {
            assert_eq!(
                serde_json::to_string(&node).ok(),
                serde_json::to_string(&value).ok()
            );
        }
    }

    #[test]
    fn accepts_and_refuses_what_serde_json_does() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let cases: Vec<Vec<u8>> = [
            "",
            " ",
            "{}",
            " {\"a\" : [ ] }\r\n",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\"}",
            "{1:2}",
            "01",
            "-",
            "-0",
            "1.",
            "1e",
            "1e400",
            "-1e400",
            "1.5e-3",
            "18446744073709551616",
            "+1",
            "[1x]",
            "[1-2]",
            "nul",
            "truex",
            "[true,false,null]",
            "\"a\tb\"",
            "\"a\\tb\"",
            "\"\\ud800\"",
            "\"\\ud83d\\ude00\"",
            "\"\\x\"",
            "\"abc",
            "\"a\\\"",
            "\u{feff}{}",
            "{} x",
            "[\"\\\\\"]",
            "\"a\\\\b\\\"c\\/d\\b\\f\\n\\r\\t\"",
            "\"\\\\\\\\\"",
            "\"\\\\u0041\\u0041\"",
            "\"\\",
            "\"\\\"",
        ]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .chain([nested(127), nested(128), nested(200)].map(String::into_bytes))
        .chain([
            b"\"\xff\"".to_vec(),
            b"[\"a\xc3\"]".to_vec(),
            b"\"\xc3\xa9\"".to_vec(),
        ])
        .collect();
        for case in &cases {
            as_serde_json(case);
        }
    }
}
