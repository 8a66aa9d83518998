//! A YAML document read as a map of top-level keys to loosely typed, positioned values,
//! so the loader can report wrong types itself instead of failing on the first one.

use std::collections::BTreeMap;
use std::fmt;

use rulescope_model::Span;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// Any YAML value, keeping only what a rule needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Loose {
    Null,
    /// A string scalar.
    Scalar(String),
    /// A number or boolean, as Rust prints it; re-read the source text for the exact spelling.
    NonString(String),
    List(Vec<Spanned<Loose>>),
    Map,
}

impl Loose {
    pub fn kind(&self) -> &'static str {
        match self {
            Loose::Null => "null",
            Loose::Scalar(_) => "a string",
            Loose::NonString(_) => "a number or boolean",
            Loose::List(_) => "a list",
            Loose::Map => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
        Loose::deserialize(d)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose::Scalar(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Loose, E> {
        Ok(Loose::Scalar(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Loose, E> {
        Ok(Loose::NonString(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose, E> {
        Ok(Loose::NonString(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
        Ok(Loose::NonString(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose, E> {
        Ok(Loose::NonString(v.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Loose>>()? {
            items.push(item);
        }
        Ok(Loose::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Loose::Map)
    }
}

/// The top-level mapping of one document.
pub type Document = BTreeMap<String, Spanned<Loose>>;

/// The byte span of a value in the document text, when the parser knew it.
pub fn byte_span(value: &Spanned<Loose>) -> Option<Span> {
    let span = value.referenced.span();
    let start = span.byte_offset()?;
    let len = span.byte_len()?;
    Some(Span::from_range(
        usize::try_from(start).ok()?..usize::try_from(start + len).ok()?,
    ))
}
