//! Normalising predicate values so that the same thing written different ways compares
//! equal: case folded where matching ignores case, edge wildcards turned into
//! contains / starts with / ends with, and regexes reduced to the literal fragments they
//! look for (exact regexes almost never repeat across rules; their fragments do).
//!
//! SPL `process="*cmd.exe*"`, SQL `process ilike '%cmd.exe%'` and a raw term `cmd.exe` all
//! give the needle `cmd.exe`; the first two give the key `process contains "cmd.exe"`.

use rulescope_model::analysis::PredicateKind;

/// The normalised forms of one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normalized {
    /// Equal keys count together in the corpus index.
    pub key: String,
    /// Lower-cased literal fragments the value looks for, for cross-rule matching.
    pub needles: Vec<String>,
}

/// Fragments shorter than this say too little to match rules on.
const MIN_NEEDLE: usize = 3;

/// Normalises one value of a predicate on `field`.
pub fn value(
    field: &str,
    kind: PredicateKind,
    value: &str,
    negated: bool,
    case_sensitive: bool,
) -> Normalized {
    let field = field.to_ascii_lowercase();
    let folded = if case_sensitive {
        value.to_owned()
    } else {
        value.to_lowercase()
    };
    let (op, text, needles) = match kind {
        PredicateKind::Eq
        | PredicateKind::In
        | PredicateKind::Term
        | PredicateKind::RawContains => {
            let default_op = match kind {
                PredicateKind::RawContains => "contains",
                PredicateKind::Term => "term",
                _ => "eq",
            };
            pattern(&folded, '*', default_op)
        }
        PredicateKind::Wildcard => pattern(&folded, '*', "eq"),
        // `_` matches any one character in LIKE, but rule authors write it for the literal
        // underscore of names like `send_factor_verify_push`; read as such, SQL and SPL
        // values meet.
        PredicateKind::Like => pattern(&folded, '%', "eq"),
        PredicateKind::Ne => ("ne", folded.clone(), literal_needles(&folded)),
        PredicateKind::Prefix => ("starts_with", folded.clone(), literal_needles(&folded)),
        PredicateKind::RegexMatch | PredicateKind::Match => {
            let fragments = regex_fragments(value);
            ("regex", value.to_owned(), fragments)
        }
        PredicateKind::Cidr => ("cidr", folded.clone(), Vec::new()),
        PredicateKind::Lt => ("lt", folded.clone(), Vec::new()),
        PredicateKind::Le => ("le", folded.clone(), Vec::new()),
        PredicateKind::Gt => ("gt", folded.clone(), Vec::new()),
        PredicateKind::Ge => ("ge", folded.clone(), Vec::new()),
        PredicateKind::Exists => ("exists", String::new(), Vec::new()),
        PredicateKind::NotExists => ("not_exists", String::new(), Vec::new()),
    };
    let not = if negated { "not " } else { "" };
    let key = if text.is_empty() {
        format!("{not}{field} {op}")
    } else {
        format!("{not}{field} {op} {text:?}")
    };
    Normalized { key, needles }
}

/// A value with `many` wildcards (`*` or `%`) at its edges becomes contains / starts_with /
/// ends_with / `default_op`; wildcards inside keep it a pattern.
fn pattern(
    text: &str,
    many: char,
    default_op: &'static str,
) -> (&'static str, String, Vec<String>) {
    let leading = text.starts_with(many);
    let trailing = text.len() > 1 && text.ends_with(many);
    let inner = text.trim_start_matches(many).trim_end_matches(many);
    let inner_is_literal = !inner.contains(many);
    if inner.is_empty() {
        return ("exists", String::new(), Vec::new());
    }
    let op = match (leading, trailing, inner_is_literal) {
        (false, false, true) => default_op,
        (true, true, true) => "contains",
        (false, true, true) => "starts_with",
        (true, false, true) => "ends_with",
        (_, _, false) => "pattern",
    };
    let text = if inner_is_literal {
        inner.to_owned()
    } else {
        text.to_owned()
    };
    let needles = text.split(many).flat_map(literal_needles).collect();
    (op, text, needles)
}

fn literal_needles(text: &str) -> Vec<String> {
    let trimmed = text.trim();
    if trimmed.chars().count() >= MIN_NEEDLE {
        vec![trimmed.to_lowercase()]
    } else {
        Vec::new()
    }
}

/// The literal runs of a PCRE pattern, lower-cased, from every branch: what the regex
/// looks for. A character made optional by `?`, `*` or `{0,..}` ends a run without joining
/// it; classes, `.`, anchors and groups end runs.
pub fn regex_fragments(pattern: &str) -> Vec<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut fragments: Vec<String> = Vec::new();
    let mut run = String::new();
    let mut i = 0;
    let flush = |run: &mut String, fragments: &mut Vec<String>| {
        let lower = run.to_lowercase();
        if lower.chars().count() >= MIN_NEEDLE && !fragments.contains(&lower) {
            fragments.push(lower);
        }
        run.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        // What the next token is: a literal character (with how many source chars it spans).
        let literal: Option<(char, usize)> = match c {
            '\\' => match chars.get(i + 1) {
                Some('x') => hex_escape(&chars, i + 2).map(|(ch, len)| (ch, 2 + len)),
                Some('Q') => {
                    // \Q...\E: everything literal.
                    let end = find_seq(&chars, i + 2, &['\\', 'E']).unwrap_or(chars.len());
                    run.extend(&chars[i + 2..end]);
                    i = (end + 2).min(chars.len());
                    continue;
                }
                Some(n) if n.is_ascii_alphanumeric() => None,
                Some(n) => Some((*n, 2)),
                None => None,
            },
            '(' => {
                // Skip group syntax: (?i) (?: (?<name> (?= ...; keep going inside the group.
                flush(&mut run, &mut fragments);
                i += group_prefix_len(&chars, i);
                continue;
            }
            '[' => {
                flush(&mut run, &mut fragments);
                i = class_end(&chars, i);
                skip_quantifier(&chars, &mut i);
                continue;
            }
            '.' | '^' | '$' | '|' | ')' => None,
            '*' | '+' | '?' | '{' => None,
            other => Some((other, 1)),
        };
        match literal {
            Some((ch, len)) => {
                i += len;
                match chars.get(i) {
                    Some('?' | '*') => {
                        flush(&mut run, &mut fragments);
                        skip_quantifier(&chars, &mut i);
                    }
                    Some('{') if chars.get(i + 1) == Some(&'0') => {
                        flush(&mut run, &mut fragments);
                        skip_quantifier(&chars, &mut i);
                    }
                    Some('+' | '{') => {
                        run.push(ch);
                        flush(&mut run, &mut fragments);
                        skip_quantifier(&chars, &mut i);
                    }
                    _ => run.push(ch),
                }
            }
            None => {
                flush(&mut run, &mut fragments);
                i += if c == '\\' { 2 } else { 1 };
                skip_quantifier(&chars, &mut i);
            }
        }
    }
    flush(&mut run, &mut fragments);
    fragments
}

fn hex_escape(chars: &[char], at: usize) -> Option<(char, usize)> {
    if chars.get(at) == Some(&'{') {
        let end = chars[at..].iter().position(|&c| c == '}')? + at;
        let digits: String = chars[at + 1..end].iter().collect();
        let ch = char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?;
        return Some((ch, end - at + 1));
    }
    let digits: String = chars.get(at..at + 2)?.iter().collect();
    let ch = char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?;
    Some((ch, 2))
}

fn find_seq(chars: &[char], from: usize, seq: &[char]) -> Option<usize> {
    (from..chars.len()).find(|&i| chars[i..].starts_with(seq))
}

/// Length of `(`, `(?:`, `(?i)`, `(?<name>`, `(?P<name>`, `(?=`, ... at `at`. A flag group
/// such as `(?i)` is consumed whole.
fn group_prefix_len(chars: &[char], at: usize) -> usize {
    if chars.get(at + 1) != Some(&'?') {
        return 1;
    }
    match chars.get(at + 2) {
        Some(':' | '=' | '!' | '>' | '|') => 3,
        Some('<') if matches!(chars.get(at + 3), Some('=' | '!')) => 4,
        Some('<') | Some('P') | Some('\'') => chars[at..]
            .iter()
            .position(|&c| c == '>' || (c == '\'' && chars.get(at + 2) == Some(&'\'')))
            .map_or(chars.len() - at, |p| p + 1),
        _ => chars[at..]
            .iter()
            .position(|&c| c == ')' || c == ':')
            .map_or(chars.len() - at, |p| p + 1),
    }
}

/// The index after the character class starting at `at`.
fn class_end(chars: &[char], at: usize) -> usize {
    let mut i = at + 1;
    if chars.get(i) == Some(&'^') {
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        i += 1;
    }
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            ']' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

fn skip_quantifier(chars: &[char], i: &mut usize) {
    match chars.get(*i) {
        Some('*' | '+' | '?') => *i += 1,
        Some('{') => {
            if let Some(end) = chars[*i..].iter().position(|&c| c == '}') {
                let body: String = chars[*i + 1..*i + end].iter().collect();
                if body.chars().all(|c| c.is_ascii_digit() || c == ',') {
                    *i += end + 1;
                }
            }
        }
        _ => return,
    }
    // Lazy or possessive suffix.
    if matches!(chars.get(*i), Some('?' | '+')) {
        *i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(field: &str, kind: PredicateKind, v: &str, cs: bool) -> String {
        value(field, kind, v, false, cs).key
    }

    #[test]
    fn wildcards_and_like_patterns_meet_in_one_key() {
        let spl = key("process", PredicateKind::Wildcard, "*CMD.exe*", false);
        let sql = key("process", PredicateKind::Like, "%cmd.exe%", false);
        assert_eq!(spl, "process contains \"cmd.exe\"");
        assert_eq!(spl, sql);
        assert_eq!(
            key("process_path", PredicateKind::Like, "%\\cmd.exe", false),
            "process_path ends_with \"\\\\cmd.exe\""
        );
        assert_eq!(
            key("user", PredicateKind::Eq, "SYSTEM", false),
            "user eq \"system\""
        );
        assert_eq!(
            key("user", PredicateKind::Eq, "SYSTEM", true),
            "user eq \"SYSTEM\""
        );
        assert_eq!(
            key("p", PredicateKind::Wildcard, "a*b", false),
            "p pattern \"a*b\""
        );
        assert_eq!(key("p", PredicateKind::Wildcard, "*", false), "p exists");
        assert_eq!(
            value("p", PredicateKind::Eq, "x", true, false).key,
            "not p eq \"x\""
        );
    }

    #[test]
    fn regex_fragments_are_the_literal_runs() {
        assert_eq!(
            regex_fragments(r"(?i)(\w{8}\.exe)|(psexec)"),
            [".exe", "psexec"]
        );
        assert_eq!(regex_fragments(r".*del\s.*"), ["del"]);
        assert_eq!(regex_fragments(r"(?i)rundll32\.exe"), ["rundll32.exe"]);
        assert_eq!(regex_fragments(r"\x5cWindows\x5cTemp"), ["\\windows\\temp"]);
        assert_eq!(regex_fragments(r"colou?r[s]+ abc"), ["colo", " abc"]);
        assert_eq!(regex_fragments(r"(?<name>abcd)(?:efg)"), ["abcd", "efg"]);
        assert_eq!(regex_fragments(r"\Qa.b*c\E"), ["a.b*c"]);
        assert_eq!(regex_fragments(r"https?://"), ["http", "://"]);
        assert!(regex_fragments(r"^\d+$").is_empty());
    }

    #[test]
    fn fragments_survive_hostile_patterns() {
        for pattern in [
            "(", "[", "\\", "(?", "(?<", "\\x", "\\x{zz", "a{", "{1,2}", "\\Q", "(?P<n",
        ] {
            let _ = regex_fragments(pattern);
        }
    }
}
