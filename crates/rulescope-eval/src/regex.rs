//! PCRE2 regexes as Splunk runs them, with a match limit so a pathological pattern on a
//! long event is reported instead of hanging the run.
//!
//! Whether a pattern matches ASCII text is answered by the `regex` crate's finite automata
//! when the pattern keeps to syntax both engines read alike ([`linear_copy`]): a
//! backtracker tries every start of `_raw`, which for `(\w{8}\.exe)|(psexec)` cost more
//! than all other stages of all rules together, while the automata find `.exe` first.
//! Captures and replacements stay with PCRE2.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use pcre2::bytes::{Regex as Pcre, RegexBuilder};
use regex_syntax::ast::{self, Ast, Visitor};
use regex_syntax::hir::{Look, LookSet};

/// PCRE2's match limit for every search (its default is 10,000,000; Splunk's
/// limits.conf `match_limit` defaults to 100,000).
pub const MATCH_LIMIT: u32 = 100_000;

#[derive(Debug)]
pub struct Regex {
    re: Pcre,
    /// The same pattern compiled without UTF mode, for ASCII subjects: PCRE2 checks that a
    /// UTF subject is valid UTF-8 on every search, and those checks of `_raw` cost more than
    /// the searches. On ASCII text both modes match alike. `None` when the pattern needs
    /// UTF mode (a code point above 255).
    ascii: Option<Pcre>,
    /// For `is_match` on ASCII text: the same pattern as finite automata, when it keeps to
    /// the syntax both engines read alike (see [`linear_copy`]). Built once PCRE2 has
    /// searched [`LINEAR_AFTER`] bytes with it: building one costs as much as searching
    /// that much, and building all of the armory's took longer than running them.
    linear: OnceLock<Option<regex::Regex>>,
    /// ASCII bytes PCRE2 has searched for `is_match`.
    searched: AtomicUsize,
    pattern: String,
}

/// How many bytes of ASCII text a pattern is searched with by PCRE2 before its linear copy
/// is built.
const LINEAR_AFTER: usize = 64 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum RegexError {
    /// The search hit the match limit.
    Limit,
}

impl Regex {
    /// Compiles `pattern`; the error is a message naming the pattern.
    pub fn new(pattern: &str) -> Result<Self, String> {
        // `(*LIMIT_MATCH=n)` lowers the limit for this pattern; the crate exposes no setter.
        let limited = format!("(*LIMIT_MATCH={MATCH_LIMIT}){pattern}");
        let build = |utf| {
            RegexBuilder::new()
                .utf(utf)
                .jit_if_available(true)
                .build(&limited)
        };
        let re = build(true).map_err(|e| format!("regex `{pattern}`: {e}"))?;
        Ok(Regex {
            re,
            ascii: build(false).ok(),
            linear: OnceLock::new(),
            searched: AtomicUsize::new(0),
            pattern: pattern.to_owned(),
        })
    }

    /// The linear copy, built now if it is due.
    fn linear_for(&self, text: &str) -> Option<&regex::Regex> {
        if let Some(built) = self.linear.get() {
            return built.as_ref();
        }
        let searched = self.searched.fetch_add(text.len(), Ordering::Relaxed) + text.len();
        (searched >= LINEAR_AFTER)
            .then(|| {
                self.linear
                    .get_or_init(|| linear_copy(&self.pattern))
                    .as_ref()
            })
            .flatten()
    }

    /// What the linear copy answers on ASCII `text`, built now if need be: `None` when the
    /// pattern has none or `text` is not ASCII. For checking the copy against PCRE2.
    pub fn linear_is_match(&self, text: &str) -> Option<bool> {
        let linear = self.linear.get_or_init(|| linear_copy(&self.pattern));
        text.is_ascii()
            .then(|| linear.as_ref().map(|l| l.is_match(text)))
            .flatten()
    }

    /// The compiled pattern to search `text` with.
    fn for_text(&self, text: &str) -> &Pcre {
        self.pcre(text.is_ascii())
    }

    /// The byte-mode copy for ASCII text when there is one, else the UTF pattern.
    fn pcre(&self, ascii_text: bool) -> &Pcre {
        match &self.ascii {
            Some(ascii) if ascii_text => ascii,
            _ => &self.re,
        }
    }

    /// Whether the pattern matches anywhere in `text`. On ASCII text with a linear copy, no
    /// search can hit the match limit: where PCRE2 would have, the true answer is given.
    pub fn is_match(&self, text: &str) -> Result<bool, RegexError> {
        // Checked once: each check reads all of `_raw`.
        let ascii = text.is_ascii();
        if ascii && let Some(linear) = self.linear_for(text) {
            return Ok(linear.is_match(text));
        }
        self.pcre(ascii)
            .is_match(text.as_bytes())
            .map_err(|_| RegexError::Limit)
    }

    /// Named groups and their first match (`max` matches when `max` > 1, 0 for all).
    pub fn captures(
        &self,
        text: &str,
        max: usize,
    ) -> Result<Vec<(String, Vec<String>)>, RegexError> {
        let names: Vec<(usize, String)> = self
            .re
            .capture_names()
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.clone().map(|n| (i, n)))
            .collect();
        let mut out: Vec<(String, Vec<String>)> =
            names.iter().map(|(_, n)| (n.clone(), Vec::new())).collect();
        let re = self.for_text(text);
        for (count, caps) in re.captures_iter(text.as_bytes()).enumerate() {
            if max != 0 && count >= max {
                break;
            }
            let caps = caps.map_err(|_| RegexError::Limit)?;
            for (slot, (i, _)) in names.iter().enumerate() {
                if let Some(m) = caps.get(*i) {
                    out[slot]
                        .1
                        .push(String::from_utf8_lossy(m.as_bytes()).into_owned());
                }
            }
        }
        Ok(out)
    }

    /// Replaces every match; `\1`..`\9` in the replacement stand for groups.
    pub fn replace_all(&self, text: &str, replacement: &str) -> Result<String, RegexError> {
        self.replace(text, replacement, usize::MAX)
    }

    /// Replaces up to `limit` matches.
    pub fn replace(
        &self,
        text: &str,
        replacement: &str,
        limit: usize,
    ) -> Result<String, RegexError> {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in self
            .for_text(text)
            .captures_iter(text.as_bytes())
            .take(limit)
        {
            let caps = caps.map_err(|_| RegexError::Limit)?;
            let Some(whole) = caps.get(0) else { continue };
            out.push_str(&text[last..whole.start()]);
            let mut chars = replacement.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\\'
                    && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
                {
                    chars.next();
                    if let Some(g) = caps.get(d as usize) {
                        out.push_str(&String::from_utf8_lossy(g.as_bytes()));
                    }
                } else {
                    out.push(c);
                }
            }
            last = whole.end();
        }
        out.push_str(&text[last..]);
        Ok(out)
    }
}

/// The pattern for the `regex` crate, when both engines give the same `is_match` on every
/// ASCII text: it parses there (no backreferences, lookaround, `\Q`, octal, ...) and uses
/// none of what the two read differently. Left out: `$` and the multi-line anchors (PCRE
/// lets `$` match before a final newline, and multi-line `^` not after one), `\v` (vertical
/// tab there, any vertical space in PCRE), nested classes and class set operations (plain
/// characters in PCRE), the `x` flag, the `regex` crate's own flags and word-edge
/// assertions, and counted repetitions written with spaces or without a minimum. Unicode
/// classes and case folding differ only outside ASCII, where PCRE2 answers.
fn linear_copy(pattern: &str) -> Option<regex::Regex> {
    let pattern = &literal_angles(pattern);
    let ast = ast::parse::Parser::new().parse(pattern).ok()?;
    ast::visit(&ast, SharedSyntax { pattern }).ok()?;
    let hir = regex_syntax::hir::translate::Translator::new()
        .translate(pattern, &ast)
        .ok()?;
    let allowed = LookSet::empty()
        .insert(Look::Start)
        .insert(Look::WordAscii)
        .insert(Look::WordAsciiNegate)
        .insert(Look::WordUnicode)
        .insert(Look::WordUnicodeNegate);
    if !hir.properties().look_set().subtract(allowed).is_empty() {
        return None;
    }
    regex::Regex::new(pattern).ok()
}

/// `\<` and `\>` are plain `<` and `>` to PCRE2 but word edges to the `regex` crate, and
/// detection regexes escape them often (`\>{1,2}` for redirection): written as hex escapes,
/// both read them as the characters.
fn literal_angles(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('<') => out.push_str(r"\x3C"),
            Some('>') => out.push_str(r"\x3E"),
            Some(next) => {
                out.push(c);
                out.push(next);
            }
            None => out.push(c),
        }
    }
    out
}

/// Refuses the syntax that PCRE2 and the `regex` crate both accept but read differently.
struct SharedSyntax<'p> {
    pattern: &'p str,
}

impl SharedSyntax<'_> {
    /// The pattern text of a span.
    fn written(&self, span: ast::Span) -> &str {
        self.pattern
            .get(span.start.offset..span.end.offset)
            .unwrap_or("")
    }
}

impl Visitor for SharedSyntax<'_> {
    type Output = ();
    type Err = ();

    fn finish(self) -> Result<(), ()> {
        Ok(())
    }

    fn visit_pre(&mut self, ast: &Ast) -> Result<(), ()> {
        let flags_ok = |flags: &ast::Flags| {
            flags.items.iter().all(|item| {
                matches!(
                    item.kind,
                    ast::FlagsItemKind::Negation
                        | ast::FlagsItemKind::Flag(
                            ast::Flag::CaseInsensitive
                                | ast::Flag::DotMatchesNewLine
                                | ast::Flag::MultiLine
                        )
                )
            })
        };
        let ok = match ast {
            Ast::Flags(set) => flags_ok(&set.flags),
            Ast::Group(group) => match &group.kind {
                ast::GroupKind::NonCapturing(flags) => flags_ok(flags),
                _ => true,
            },
            // `--`, `&&` and `~~` are set operations to the `regex` crate, even where its
            // parser reads them otherwise (`[--a]`); to PCRE2, characters and ranges. A `]`
            // inside a class, first or escaped, starts ranges the two read differently
            // (`[^]-a+]`).
            Ast::ClassBracketed(class) => {
                let written = self.written(class.span);
                let inside = written
                    .get(1..written.len().saturating_sub(1))
                    .unwrap_or("");
                !["--", "&&", "~~"].iter().any(|op| written.contains(op)) && !inside.contains(']')
            }
            Ast::Literal(lit) => !matches!(
                lit.kind,
                ast::LiteralKind::Special(ast::SpecialLiteralKind::VerticalTab)
            ),
            // A quantifier on a quantifier is possessive to PCRE2 (`a?+`, `a++`), a repeated
            // repetition to the `regex` crate.
            Ast::Repetition(rep) if matches!(*rep.ast, Ast::Repetition(_)) => false,
            Ast::Repetition(rep) => match rep.op.kind {
                ast::RepetitionKind::Range(_) => {
                    let written = self.written(rep.op.span);
                    let inner = written.trim_start_matches('{');
                    inner.starts_with(|c: char| c.is_ascii_digit())
                        && !written.contains(char::is_whitespace)
                }
                _ => true,
            },
            _ => true,
        };
        ok.then_some(()).ok_or(())
    }

    fn visit_class_set_item_pre(&mut self, item: &ast::ClassSetItem) -> Result<(), ()> {
        match item {
            ast::ClassSetItem::Bracketed(_) => Err(()),
            ast::ClassSetItem::Literal(lit)
                if matches!(
                    lit.kind,
                    ast::LiteralKind::Special(ast::SpecialLiteralKind::VerticalTab)
                ) =>
            {
                Err(())
            }
            _ => Ok(()),
        }
    }

    fn visit_class_set_binary_op_pre(&mut self, _op: &ast::ClassSetBinaryOp) -> Result<(), ()> {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_limit_is_reported_not_hung() {
        let re = Regex::new("(a+)+$").expect("compiles");
        let subject = format!("{}b", "a".repeat(40));
        assert_eq!(re.is_match(&subject), Err(RegexError::Limit));
        assert_eq!(re.is_match("aaa"), Ok(true));
    }

    #[test]
    fn ascii_and_utf_subjects_match_alike() {
        // Caseless and negated classes, on ASCII text (the byte-mode pattern) and on text
        // with a two-byte character (the UTF one), where `.` must take the whole character.
        let re = Regex::new(r"(?i)^c.d\\[^x]+\.EXE$").expect("compiles");
        assert!(re.ascii.is_some());
        assert_eq!(re.is_match(r"C:D\cmd.exe"), Ok(true));
        assert_eq!(re.is_match(r"cxd\x.exe"), Ok(false));
        assert_eq!(re.is_match("c\u{e9}d\\\u{e9}.exe"), Ok(true));
        let one = Regex::new(r"(.)x").expect("compiles");
        assert_eq!(
            one.replace_all("ax \u{e9}x", r"[\1]"),
            Ok("[a] [\u{e9}]".into())
        );
        // A code point above 255 needs UTF mode; the pattern still works on ASCII text.
        let wide = Regex::new(r"a\x{2603}?b").expect("compiles");
        assert!(wide.ascii.is_none());
        assert_eq!(wide.is_match("ab"), Ok(true));
    }

    #[test]
    fn only_syntax_both_engines_read_alike_gets_a_linear_copy() {
        for shared in [
            r"(?i)(\w{8}\.exe)|(psexec)",
            r"[abc]x",
            r"^cmd\s+/c",
            r"\bnet\b",
            r"a{2,3}b{2}c{1,}",
            r"(?i:x)(?-i)y",
            r"(?<name>\d+)\/\;",
            r"\x5c\x{41}\pL",
            r"\<a\>{1,2}[\>]\\<",
        ] {
            assert!(linear_copy(shared).is_some(), "{shared}");
        }
        for differs in [
            r"abc$",
            r"(?m)^a",
            r"a\vb",
            r"[a\v]",
            r"[a[b]]",
            r"[a-z&&[^b]]",
            r"[--a]",
            r"[^]-a+]x",
            r"[\]-a@+]x",
            r"a?+as",
            r"a++",
            r"a{2}+",
            r"[a&&b]",
            r"[a~~b]",
            r"(?x)a b",
            r"(?U)a+",
            r"a{,3}",
            r"a{1, 3}",
            r"(a)\1",
            r"(?=a)",
            r"\Qa\E",
            r"\b{start}a",
            r"a\z",
        ] {
            assert!(linear_copy(differs).is_none(), "{differs}");
        }
    }

    #[test]
    fn linear_copies_answer_as_pcre_does_on_ascii() {
        let texts = [
            "",
            "a",
            "C:\\Windows\\PSEXESVC.exe",
            "cmd.exe /c whoami > out.txt",
            "net  use \\\\host\\c$",
            "abc\n",
            "line one\nline two\n",
            "powershell -enc AAAA; x:,y",
            "<a>> b \\<",
        ];
        for pattern in [
            r"(?i)(\w{8}\.exe)|(psexec)",
            r"^cmd\s+/c",
            r"\bnet\b\s+use",
            r"(?i)\\\\[a-z]+\\c\$",
            r"(?s)one.line",
            r"one.line",
            r"\s(\>(\>)?|Out\-File)\s.{1,}\.\w{2,5}",
            r"(\s+|\;|\:\,|\d+|\|)?(\>{1,2})",
            r"(?i)^\w{1,2}\.exe",
            r"\<a\>{1,2}",
            r"\\<",
        ] {
            let re = Regex::new(pattern).expect("compiles");
            let pcre = re.ascii.as_ref().expect("byte mode");
            for text in texts {
                let expected = pcre.is_match(text.as_bytes()).ok();
                assert_eq!(re.linear_is_match(text), expected, "{pattern} on {text:?}");
            }
        }
        // Past LINEAR_AFTER bytes, `is_match` itself answers with the copy.
        let re = Regex::new(r"(?i)(\w{8}\.exe)|(psexec)").expect("compiles");
        let long = "x".repeat(LINEAR_AFTER);
        assert_eq!(re.is_match(&long), Ok(false));
        assert!(re.linear.get().is_some_and(Option::is_some));
        for text in texts {
            let expected = re
                .re
                .is_match(text.as_bytes())
                .map_err(|_| RegexError::Limit);
            assert_eq!(re.is_match(text), expected, "{text:?}");
        }
    }

    #[test]
    fn named_groups_and_replace() {
        let re = Regex::new(r"(?<exe>\w+)\.exe").expect("compiles");
        let caps = re.captures("run a.exe and b.exe", 0).expect("no limit");
        assert_eq!(
            caps,
            vec![("exe".to_owned(), vec!["a".to_owned(), "b".to_owned()])]
        );
        let re = Regex::new(r"(\w)\.exe").expect("compiles");
        assert_eq!(re.replace_all("a.exe", r"\1!").expect("ok"), "a!");
    }

    /// The quoted strings of every armory SPL query, read as regexes: the ones with a linear
    /// copy must answer as PCRE2 does on the `_raw` and field values of recorded events.
    #[test]
    fn armory_regexes_answer_alike_on_recorded_events() {
        let Some(shared) =
            crate::test_data::shared_with("EVTX-to-MITRE-Attack/TA0008-Lateral Movement")
        else {
            return;
        };
        let events_dir = shared.join("datasets/EVTX-to-MITRE-Attack/TA0008-Lateral Movement");
        let mut texts = std::collections::BTreeSet::new();
        let mut stats = crate::InputStats::default();
        for file in crate::input::discover(&[events_dir]).iter().take(6) {
            crate::input::read_file(file, crate::Rendering::Xml, &mut stats, &mut |e| {
                for (_, v) in e.fields.iter() {
                    texts.extend(v.texts());
                }
            });
        }
        assert!(texts.len() > 500, "{} texts", texts.len());
        let report = rulescope_load::load_paths(&[shared.join("corpus/armory")]);
        let patterns: std::collections::BTreeSet<String> = report
            .rules
            .iter()
            .flat_map(|r| quoted_strings(&r.logic))
            .collect();
        let (mut linear, mut compared) = (0, 0);
        for pattern in &patterns {
            let Ok(re) = Regex::new(pattern) else {
                continue;
            };
            let (Some(_), Some(pcre)) = (re.linear_is_match(""), &re.ascii) else {
                continue;
            };
            linear += 1;
            for text in texts.iter().filter(|t| t.is_ascii()) {
                if let Ok(expected) = pcre.is_match(text.as_bytes()) {
                    let got = re.linear_is_match(text);
                    assert_eq!(got, Some(expected), "{pattern} on {text:?}");
                    compared += 1;
                }
            }
        }
        assert!(
            linear > 1000,
            "{linear} of {} patterns with a linear copy",
            patterns.len()
        );
        eprintln!("{linear} patterns, {compared} comparisons");
    }

    /// The contents of SPL's double-quoted strings, with `\"` and `\\` unescaped.
    fn quoted_strings(logic: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut chars = logic.chars();
        while chars.by_ref().any(|c| c == '"') {
            let mut text = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some(n @ ('"' | '\\')) => text.push(n),
                        Some(n) => {
                            text.push(c);
                            text.push(n);
                        }
                        None => {}
                    },
                    c => text.push(c),
                }
            }
            out.push(text);
        }
        out
    }
}
