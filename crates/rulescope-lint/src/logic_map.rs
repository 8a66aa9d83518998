//! Maps byte offsets in a rule's logic (the YAML scalar's value) back to byte offsets in
//! the file, through the scalar's quoting and line folding.
//!
//! YAML turns the written scalar into its value by: dropping the quotes; in single-quoted
//! scalars reading `''` as `'`; in double-quoted ones resolving `\` escapes; and folding
//! each line break with the whitespace around it into one space (or into `n - 1` line
//! breaks when `n` breaks follow each other). The map replays those steps over the file
//! text and keeps, for every byte of the value, the file bytes it came from. It is only
//! trusted when replaying gives back exactly the rule's logic; otherwise every offset maps
//! to the start of the scalar.

use rulescope_model::{Rule, Span};

/// Logic offsets → file offsets for one rule.
#[derive(Clone, Debug)]
pub struct LogicMap {
    /// For each byte of the logic, the file range it came from; empty when unmapped.
    ranges: Vec<(u32, u32)>,
    /// The scalar's file span (quotes included), the fallback location.
    scalar: Option<Span>,
    style: Style,
}

/// How the scalar is written, which decides how an edit must be escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// Unknown or not replayable (block scalars): offsets fall back to the scalar start.
    Opaque,
}

impl LogicMap {
    pub fn new(rule: &Rule) -> Self {
        let scalar = rule.source.logic_span;
        let unmapped = Self {
            ranges: Vec::new(),
            scalar,
            style: Style::Opaque,
        };
        let Some(span) = scalar else {
            return unmapped;
        };
        let text = &rule.source.text;
        let Some(written) = text.get(span.range()) else {
            return unmapped;
        };
        let (style, replayed) = match written.as_bytes().first() {
            Some(b'\'') => (Style::SingleQuoted, replay(written, Style::SingleQuoted)),
            Some(b'"') => (Style::DoubleQuoted, replay(written, Style::DoubleQuoted)),
            Some(b'|' | b'>') | None => return unmapped,
            Some(_) => (Style::Plain, replay(written, Style::Plain)),
        };
        match replayed {
            Some((value, ranges)) if value == rule.logic => Self {
                ranges: ranges
                    .into_iter()
                    .map(|(a, b)| (a + span.start, b + span.start))
                    .collect(),
                scalar,
                style,
            },
            _ => unmapped,
        }
    }

    /// Whether offsets map exactly (the replayed scalar equals the logic).
    pub fn is_exact(&self) -> bool {
        self.style != Style::Opaque
    }

    /// The file span of a logic span; the scalar's start when the map is not exact.
    pub fn to_file(&self, span: Span) -> Option<Span> {
        if !self.is_exact() {
            return self.scalar.map(|s| Span::new(s.start, s.start));
        }
        let start = self.start_of(span.start as usize)?;
        let end = if span.end <= span.start {
            start
        } else {
            self.ranges.get(span.end as usize - 1)?.1
        };
        Some(Span::new(start, end.max(start)))
    }

    /// The file offset a logic offset starts at (the end of the scalar's content for the
    /// logic's end).
    fn start_of(&self, offset: usize) -> Option<u32> {
        match self.ranges.get(offset) {
            Some(&(start, _)) => Some(start),
            None if offset == self.ranges.len() => {
                Some(self.ranges.last().map_or(self.scalar?.start, |r| r.1))
            }
            None => None,
        }
    }

    /// `text` as it must be written inside this scalar to read back as `text`; `None` when
    /// the scalar's style cannot take it (a plain scalar and `: `, say).
    pub fn escape(&self, text: &str) -> Option<String> {
        match self.style {
            Style::SingleQuoted => Some(text.replace('\'', "''")),
            Style::DoubleQuoted => Some(text.replace('\\', "\\\\").replace('"', "\\\"")),
            Style::Plain => (!text.contains(": ") && !text.contains(" #") && !text.contains('\n'))
                .then(|| text.to_owned()),
            Style::Opaque => None,
        }
    }
}

/// Replays YAML's reading of a flow scalar: the value and, per value byte, the range of
/// `written` it came from. `None` when the text is not a well-formed scalar of the style.
fn replay(written: &str, style: Style) -> Option<(String, Vec<(u32, u32)>)> {
    let bytes = written.as_bytes();
    let (mut i, end) = match style {
        Style::SingleQuoted | Style::DoubleQuoted => (1, written.len().checked_sub(1)?),
        _ => (0, written.len()),
    };
    let mut value = String::with_capacity(written.len());
    let mut ranges: Vec<(u32, u32)> = Vec::with_capacity(written.len());
    let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    while i < end {
        let b = bytes[i];
        if b == b'\n'
            || b == b'\r'
            || ((b == b' ' || b == b'\t') && only_space_to_break(bytes, i, end))
        {
            // A line break with the whitespace around it: trailing blanks before it are
            // dropped, one break folds to a space, n breaks to n - 1 newlines, and the
            // next line's indentation is dropped.
            let from = i;
            let mut breaks = 0;
            while i < end && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
                if bytes[i] == b'\n' {
                    breaks += 1;
                }
                i += 1;
            }
            if breaks == 0 {
                // A lone carriage return: not a layout rulescope replays.
                return None;
            }
            if breaks == 1 {
                value.push(' ');
                ranges.push((at(from), at(i)));
            } else {
                for _ in 1..breaks {
                    value.push('\n');
                    ranges.push((at(from), at(i)));
                }
            }
            continue;
        }
        match (style, b) {
            (Style::SingleQuoted, b'\'') => {
                if bytes.get(i + 1) != Some(&b'\'') {
                    return None;
                }
                value.push('\'');
                ranges.push((at(i), at(i + 2)));
                i += 2;
            }
            (Style::DoubleQuoted, b'\\') => {
                let (decoded, len) = double_quoted_escape(&written[i..])?;
                let start = value.len();
                if let Some(c) = decoded {
                    value.push(c);
                }
                for _ in start..value.len() {
                    ranges.push((at(i), at(i + len)));
                }
                i += len;
            }
            _ => {
                let c = written[i..].chars().next()?;
                for k in 0..c.len_utf8() {
                    ranges.push((at(i + k), at(i + k + 1)));
                }
                value.push(c);
                i += c.len_utf8();
            }
        }
    }
    Some((value, ranges))
}

/// Whether only blanks stand between `i` and the next line break (before `end`).
fn only_space_to_break(bytes: &[u8], i: usize, end: usize) -> bool {
    bytes[i..end]
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t'))
        .is_some_and(|b| matches!(b, b'\n' | b'\r'))
}

/// One `\` escape of a double-quoted scalar: its character (none for an escaped line
/// break) and its length in bytes.
fn double_quoted_escape(text: &str) -> Option<(Option<char>, usize)> {
    let next = text[1..].chars().next()?;
    let simple = match next {
        '0' => Some('\0'),
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        't' | '\t' => Some('\t'),
        'n' => Some('\n'),
        'v' => Some('\x0b'),
        'f' => Some('\x0c'),
        'r' => Some('\r'),
        'e' => Some('\x1b'),
        ' ' => Some(' '),
        '"' => Some('"'),
        '/' => Some('/'),
        '\\' => Some('\\'),
        'N' => Some('\u{85}'),
        '_' => Some('\u{a0}'),
        'L' => Some('\u{2028}'),
        'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((Some(c), 2));
    }
    let digits = match next {
        'x' => 2,
        'u' => 4,
        'U' => 8,
        '\n' => {
            // An escaped line break joins the lines without a space; the next line's
            // indentation goes too.
            let rest = &text[2..];
            let indent = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            return Some((None, 2 + indent));
        }
        _ => return None,
    };
    let hex = text.get(2..2 + digits)?;
    let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    Some((Some(c), 2 + digits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rulescope_model::rule::RuleSource;
    use rulescope_model::{LogicFormat, Rule};
    use std::sync::Arc;

    /// A rule whose logic is `value`, written in `file` at the first occurrence of `scalar`.
    fn rule(file: &str, scalar: &str, value: &str) -> Rule {
        let start = file.find(scalar).expect("scalar in file");
        Rule {
            id: "1.1".into(),
            use_case: "1".into(),
            title: String::new(),
            description: String::new(),
            logic_format: LogicFormat::Splunk,
            logic: value.into(),
            techniques: Vec::new(),
            technique_ids: Vec::new(),
            data_categories: Vec::new(),
            references: Vec::new(),
            source: RuleSource {
                path: "a.yml".into(),
                relative_path: "a.yml".into(),
                text: Arc::from(file),
                logic_span: Some(Span::from_range(start..start + scalar.len())),
            },
        }
    }

    /// Every logic character maps to itself in the file, or a folded space to a break.
    fn assert_faithful(rule: &Rule, map: &LogicMap) {
        assert!(map.is_exact());
        let file = &rule.source.text;
        for (i, c) in rule.logic.char_indices() {
            let span = map
                .to_file(Span::from_range(i..i + c.len_utf8()))
                .expect("mapped");
            let written = &file[span.range()];
            let ok = match c {
                '\'' => written == "'" || written == "''",
                ' ' | '\n' => written == " " || written.contains('\n'),
                _ => written == c.to_string(),
            };
            assert!(ok, "logic {c:?} at {i} maps to {written:?}");
        }
    }

    #[test]
    fn single_quoted_with_escapes_and_folding() {
        let scalar = "'`m` \"it''s\"\n  OR  x=1  \n\n    | table a'";
        let file = format!("id: '1.1'\nlogic: {scalar}\nother: 1\n");
        let r = rule(&file, scalar, "`m` \"it's\" OR  x=1\n| table a");
        let map = LogicMap::new(&r);
        assert_faithful(&r, &map);
        // `OR` sits on the second line of the file, after two spaces of indentation.
        let or = r.logic.find("OR").expect("OR");
        let span = map.to_file(Span::from_range(or..or + 2)).expect("mapped");
        assert_eq!(&file[span.range()], "OR");
        // The `''` escape is one logic byte and two file bytes.
        let quote = r.logic.find('\'').expect("quote");
        let span = map
            .to_file(Span::from_range(quote..quote + 1))
            .expect("mapped");
        assert_eq!(&file[span.range()], "''");
        assert_eq!(map.escape("it's").as_deref(), Some("it''s"));
    }

    #[test]
    fn plain_scalar_folds_lines() {
        let scalar = "`m` a=1\n  OR b=2 é\n  | stats count";
        let file = format!("logic: {scalar}\n");
        let r = rule(&file, scalar, "`m` a=1 OR b=2 é | stats count");
        let map = LogicMap::new(&r);
        assert_faithful(&r, &map);
        let end = map
            .to_file(Span::from_range(r.logic.len()..r.logic.len()))
            .expect("end");
        assert_eq!(end.start as usize, file.len() - 1);
        assert_eq!(map.escape("a: b"), None);
    }

    #[test]
    fn double_quoted_escapes() {
        let scalar = r#""a \"b\" \x41\
   c""#;
        let file = format!("logic: {scalar}\n");
        let r = rule(&file, scalar, "a \"b\" Ac");
        let map = LogicMap::new(&r);
        assert!(map.is_exact());
        let a = r.logic.find('A').expect("A");
        let span = map.to_file(Span::from_range(a..a + 1)).expect("mapped");
        assert_eq!(&file[span.range()], r"\x41");
    }

    #[test]
    fn a_scalar_that_does_not_replay_maps_to_its_start() {
        let scalar = "'abc'";
        let file = format!("logic: {scalar}\n");
        let r = rule(&file, scalar, "something else");
        let map = LogicMap::new(&r);
        assert!(!map.is_exact());
        assert_eq!(map.to_file(Span::new(3, 5)), Some(Span::new(7, 7)));
        assert_eq!(map.escape("x"), None);
    }
}
