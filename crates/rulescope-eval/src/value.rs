//! Field values with Splunk's eval typing: null, strings, numbers, booleans and multivalues.

use std::cmp::Ordering;

use serde::Serialize;

/// A field or expression value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    Str(String),
    Num(f64),
    Bool(bool),
    /// A multivalue field; never empty (an empty one is [`Value::Null`]).
    Multi(Vec<String>),
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_none(),
            Value::Multi(v) => v.serialize(s),
            other => s.serialize_str(&other.to_text().unwrap_or_default()),
        }
    }
}

/// Formats a number as Splunk prints it: integers without a fraction.
pub fn fmt_num(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl Value {
    pub fn str(s: impl Into<String>) -> Self {
        Value::Str(s.into())
    }

    /// A multivalue from a list: null when empty, a plain string for one value.
    pub fn from_list(mut values: Vec<String>) -> Self {
        match values.len() {
            0 => Value::Null,
            1 => Value::Str(values.pop().unwrap_or_default()),
            _ => Value::Multi(values),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The single-value text (the first value of a multivalue); `None` for null.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Str(s) => Some(s.clone()),
            Value::Num(n) => Some(fmt_num(*n)),
            Value::Bool(b) => Some(if *b { "true" } else { "false" }.to_owned()),
            Value::Multi(v) => v.first().cloned(),
        }
    }

    /// Every value as text: one for a single value, none for null.
    pub fn texts(&self) -> Vec<String> {
        match self {
            Value::Multi(v) => v.clone(),
            other => other.to_text().into_iter().collect(),
        }
    }

    /// Calls `f` on each value as text.
    pub fn for_each_text(&self, mut f: impl FnMut(&str)) {
        self.any_text(|t| {
            f(t);
            false
        });
    }

    /// Calls `f` on each value as text until it returns true.
    pub fn any_text(&self, mut f: impl FnMut(&str) -> bool) -> bool {
        match self {
            Value::Null => false,
            Value::Str(s) => f(s),
            Value::Multi(v) => v.iter().any(|s| f(s)),
            other => other.to_text().is_some_and(|t| f(&t)),
        }
    }

    /// The value as a number when it is one or a string that reads as one.
    pub fn to_num(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => parse_num(s),
            Value::Multi(v) => v.first().and_then(|s| parse_num(s)),
            Value::Bool(_) | Value::Null => None,
        }
    }

    /// Truth in `where`: booleans as they are, anything else is not true.
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }
}

/// Reads a number as eval does: decimal, with optional sign, fraction and exponent; hex `0x..`.
pub fn parse_num(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    if t.bytes()
        .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E')
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Orders two texts: numbers first and numerically, then strings lexicographically. A total
/// order, so sorting never sees inconsistent comparisons.
pub fn cmp_text(a: &str, b: &str) -> Ordering {
    match (parse_num(a), parse_num(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// Case-insensitive (ASCII) glob match with `*` wildcards, as search compares field values.
pub fn glob_match_ci(pattern: &[u8], text: &[u8]) -> bool {
    wildcard_match(pattern, text, b'*', |p, t| p.eq_ignore_ascii_case(&t))
}

/// Whole-text match of `pattern`, where `many` stands for any run (possibly empty) and
/// `one(p, t)` says whether pattern item `p` matches text item `t`. Greedy with one
/// backtrack point, so linear in practice and never exponential.
pub fn wildcard_match<T: Copy + PartialEq>(
    pattern: &[T],
    text: &[T],
    many: T,
    one: impl Fn(T, T) -> bool,
) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == many {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && one(pattern[p], text[t]) {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == many)
}

/// Case-sensitive glob for field names (`process_*`). `table` and `stats values(*)` test
/// every field of every row against their patterns, so the usual shapes (`*`, `name*`,
/// `*name`) are answered without walking the pattern.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let Some(star) = pattern.bytes().position(|b| b == b'*') else {
        return pattern == name;
    };
    let (before, after) = (&pattern[..star], &pattern[star + 1..]);
    if !after.as_bytes().contains(&b'*') {
        return name.len() >= before.len() + after.len()
            && name.starts_with(before)
            && name.ends_with(after);
    }
    wildcard_match(pattern.as_bytes(), name.as_bytes(), b'*', |p, t| p == t)
}

/// The text a single `*` in `pattern` stood for in `name` (for `as *` renames); `None`
/// when the pattern does not have exactly one wildcard or does not match.
pub fn wildcard_capture<'a>(pattern: &str, name: &'a str) -> Option<&'a str> {
    let (pre, post) = pattern.split_once('*')?;
    if post.contains('*') || name.len() < pre.len() + post.len() {
        return None;
    }
    name.strip_prefix(pre)?.strip_suffix(post)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The shortcuts for one wildcard answer as the general match does.
        #[test]
        fn field_globs_agree_with_the_general_match(
            pattern in "[ab_*]{0,6}",
            name in "[ab_]{0,6}",
        ) {
            let general = wildcard_match(pattern.as_bytes(), name.as_bytes(), b'*', |p, t| p == t);
            proptest::prop_assert_eq!(glob_match(&pattern, &name), general);
        }
    }

    #[test]
    fn globs_and_numbers() {
        assert!(glob_match_ci(b"*PSEXE*", b"c:\\windows\\psexesvc.exe"));
        assert!(!glob_match_ci(b"cmd.exe", b"cmd.exe2"));
        assert!(glob_match("process_*", "process_name"));
        assert!(!glob_match("process_*", "parent_process"));
        assert_eq!(wildcard_capture("p_*", "p_name"), Some("name"));
        assert_eq!(parse_num("0x1b28"), Some(6952.0));
        assert_eq!(parse_num("12abc"), None);
        assert_eq!(fmt_num(10.0), "10");
        assert_eq!(cmp_text("9", "10"), Ordering::Less);
    }
}
