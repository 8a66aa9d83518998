//! A JSON tree that borrows its strings from the text it was read from. The extractor reads
//! every EVTX record's JSON once; building a `serde_json::Value` for it (an owned string per
//! key and value) cost twice as much as rendering the JSON. Objects behave like `Value`'s
//! with `preserve_order`: keys keep their order, and a repeated key keeps its first place
//! and its last value. They are plain lists, not hash maps: most have a handful of keys, and
//! a hash table per object cost more than it saved.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
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

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        Node::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Num(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Num(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        // As `Value` does: a non-finite number is null.
        Ok(Number::from_f64(n).map_or(Node::Null, Node::Num))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut entries: Vec<(Cow<'de, str>, Node<'de>)> = Vec::new();
        let mut index: HashMap<Cow<'de, str>, usize, foldhash::fast::RandomState> =
            HashMap::default();
        while let Some(Key(k)) = map.next_key()? {
            let value = map.next_value()?;
            let seen = if entries.len() < INDEXED_KEYS {
                entries.iter().position(|(key, _)| *key == k)
            } else {
                if index.is_empty() {
                    index.extend(entries.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)));
                }
                let next = entries.len();
                Some(*index.entry(k.clone()).or_insert(next)).filter(|&i| i != next)
            };
            match seen.and_then(|i| entries.get_mut(i)) {
                Some(entry) => entry.1 = value,
                None => entries.push((k, value)),
            }
        }
        Ok(Node::Obj(Object(entries)))
    }
}

/// An object key, borrowed when it has no escapes (serde's `Cow<str>` always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text` both ways and writes each back: equal text means an equal tree.
    fn same_as_value(text: &str) {
        let node: Node = serde_json::from_str(text).expect("valid JSON");
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
}
