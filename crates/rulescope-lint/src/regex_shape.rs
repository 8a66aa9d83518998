//! The shape of a PCRE pattern, enough to spot risky constructs: a small parser into
//! branches of quantified atoms and groups. It does not validate (PCRE does that); on
//! input it does not understand it stops early and reports nothing.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Atom {
    /// Matches one character of a set: `\w`, `\d`, `.`, `[a-z]`, ...
    Class,
    Literal,
    /// Zero-width: `^`, `$`, `\b`, `(?i)`, lookarounds.
    ZeroWidth,
    Group {
        atomic: bool,
        branches: Vec<Vec<Item>>,
    },
    /// Backreferences and escapes this parser does not classify.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Quant {
    min: u32,
    max: Option<u32>,
    possessive: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Item {
    atom: Atom,
    quant: Option<Quant>,
    /// The atom and its quantifier in the pattern.
    range: Range<usize>,
}

impl Item {
    fn unbounded(&self) -> bool {
        self.quant.is_some_and(|q| q.max.is_none() && !q.possessive)
    }

    fn optional(&self) -> bool {
        matches!(self.atom, Atom::ZeroWidth) || self.quant.is_some_and(|q| q.min == 0)
    }
}

struct Parser<'p> {
    pattern: &'p str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.pattern[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, text: &str) -> bool {
        if self.pattern[self.pos..].starts_with(text) {
            self.pos += text.len();
            true
        } else {
            false
        }
    }

    /// Branches up to a `)` (not consumed) or the end.
    fn alternation(&mut self, depth: usize) -> Option<Vec<Vec<Item>>> {
        if depth > 64 {
            return None;
        }
        let mut branches = vec![Vec::new()];
        while let Some(c) = self.peek() {
            match c {
                ')' => break,
                '|' => {
                    self.pos += 1;
                    branches.push(Vec::new());
                }
                _ => {
                    let item = self.item(depth)?;
                    branches.last_mut()?.push(item);
                }
            }
        }
        Some(branches)
    }

    fn item(&mut self, depth: usize) -> Option<Item> {
        let start = self.pos;
        let atom = self.atom(depth)?;
        let quant = if matches!(atom, Atom::ZeroWidth) {
            None
        } else {
            self.quantifier()
        };
        Some(Item {
            atom,
            quant,
            range: start..self.pos,
        })
    }

    fn atom(&mut self, depth: usize) -> Option<Atom> {
        let c = self.bump()?;
        Some(match c {
            '^' | '$' => Atom::ZeroWidth,
            '.' => Atom::Class,
            '[' => {
                self.class_body()?;
                Atom::Class
            }
            '\\' => self.escape()?,
            '(' => self.group(depth)?,
            '*' | '+' | '?' => return None,
            _ => Atom::Literal,
        })
    }

    fn escape(&mut self) -> Option<Atom> {
        let c = self.bump()?;
        Some(match c {
            'w' | 'W' | 'd' | 'D' | 's' | 'S' | 'h' | 'H' | 'v' | 'V' | 'N' | 'R' | 'X' | 'C' => {
                Atom::Class
            }
            'b' | 'B' | 'A' | 'z' | 'Z' | 'G' | 'K' => Atom::ZeroWidth,
            'p' | 'P' => {
                if self.eat("{") {
                    while self.bump()? != '}' {}
                } else {
                    self.bump()?;
                }
                Atom::Class
            }
            'x' => {
                if self.eat("{") {
                    while self.bump()? != '}' {}
                } else {
                    for _ in 0..2 {
                        if self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                            self.pos += 1;
                        }
                    }
                }
                Atom::Literal
            }
            'Q' => {
                // Literal text up to \E.
                match self.pattern[self.pos..].find("\\E") {
                    Some(at) => self.pos += at + 2,
                    None => self.pos = self.pattern.len(),
                }
                Atom::Literal
            }
            '1'..='9' | 'g' | 'k' => Atom::Other,
            _ => Atom::Literal,
        })
    }

    fn class_body(&mut self) -> Option<()> {
        self.eat("^");
        // A `]` first is literal.
        self.eat("]");
        loop {
            match self.bump()? {
                ']' => return Some(()),
                '\\' => {
                    self.bump()?;
                }
                '[' if self.eat(":") => {
                    let end = self.pattern[self.pos..].find(":]")?;
                    self.pos += end + 2;
                }
                _ => {}
            }
        }
    }

    fn group(&mut self, depth: usize) -> Option<Atom> {
        let mut atomic = false;
        let mut zero_width = false;
        if self.eat("?") {
            let rest = &self.pattern[self.pos..];
            if rest.starts_with('#') {
                let end = rest.find(')')?;
                self.pos += end + 1;
                return Some(Atom::ZeroWidth);
            } else if self.eat(">") {
                atomic = true;
            } else if self.eat("=") || self.eat("!") || self.eat("<=") || self.eat("<!") {
                zero_width = true;
            } else if self.eat(":") || self.eat("|") {
            } else if self.eat("P<") || self.eat("<") || self.eat("'") {
                let end = self.pattern[self.pos..].find(['>', '\''])?;
                self.pos += end + 1;
            } else {
                // Inline flags: `(?i)` applies to the rest, `(?i:...)` is a group.
                let end = self.pattern[self.pos..].find([')', ':'])?;
                let closer = self.pattern[self.pos + end..].chars().next()?;
                self.pos += end + 1;
                if closer == ')' {
                    return Some(Atom::ZeroWidth);
                }
            }
        } else if self.eat("*") {
            // Verbs such as (*UTF8).
            let end = self.pattern[self.pos..].find(')')?;
            self.pos += end + 1;
            return Some(Atom::ZeroWidth);
        }
        let branches = self.alternation(depth + 1)?;
        if !self.eat(")") {
            return None;
        }
        Some(if zero_width {
            Atom::ZeroWidth
        } else {
            Atom::Group { atomic, branches }
        })
    }

    fn quantifier(&mut self) -> Option<Quant> {
        let (min, max) = match self.peek()? {
            '*' => (0, None),
            '+' => (1, None),
            '?' => (0, Some(1)),
            '{' => {
                let rest = &self.pattern[self.pos + 1..];
                let end = rest.find('}')?;
                let body = &rest[..end];
                let (min, max) = match body.split_once(',') {
                    Some((a, "")) => (a.trim().parse().ok()?, None),
                    Some((a, b)) => (a.trim().parse().ok()?, Some(b.trim().parse().ok()?)),
                    None => {
                        let n = body.trim().parse().ok()?;
                        (n, Some(n))
                    }
                };
                self.pos += end + 1;
                (min, max)
            }
            _ => return None,
        };
        self.pos += 1;
        let possessive = self.eat("+");
        if !possessive {
            self.eat("?");
        }
        Some(Quant {
            min,
            max,
            possessive,
        })
    }
}

fn parse(pattern: &str) -> Option<Vec<Vec<Item>>> {
    let mut parser = Parser { pattern, pos: 0 };
    let branches = parser.alternation(0)?;
    (parser.pos == pattern.len()).then_some(branches)
}

/// Named capture groups, in order: the fields `rex` creates.
pub(crate) fn group_names(pattern: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = pattern;
    while let Some(at) = rest.find("(?") {
        rest = &rest[at + 2..];
        let after = rest.strip_prefix('P').unwrap_or(rest);
        if let Some(body) = after.strip_prefix('<').or_else(|| after.strip_prefix('\''))
            && !body.starts_with(['=', '!'])
            && let Some(end) = body.find(['>', '\''])
        {
            let name = &body[..end];
            if !name.is_empty()
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// A group repeated without bound whose body, apart from optional parts, is itself an
/// unbounded repeat (`(a+)+`, `(.*)*`, `(\w+\s?)+`): the byte range of the repeated group.
pub(crate) fn catastrophic(pattern: &str) -> Option<Range<usize>> {
    fn search(branches: &[Vec<Item>]) -> Option<Range<usize>> {
        for item in branches.iter().flatten() {
            if let Atom::Group { atomic, branches } = &item.atom {
                if !atomic && item.unbounded() && branches.iter().any(|b| ambiguous(b)) {
                    return Some(item.range.clone());
                }
                if !atomic && let Some(found) = search(branches) {
                    return Some(found);
                }
            }
        }
        None
    }
    /// One unbounded item and nothing else mandatory.
    fn ambiguous(branch: &[Item]) -> bool {
        let unbounded: Vec<&Item> = branch.iter().filter(|i| i.unbounded()).collect();
        match unbounded.as_slice() {
            [one] => branch.iter().all(|i| std::ptr::eq(i, *one) || i.optional()),
            _ => false,
        }
    }
    search(&parse(pattern)?)
}

/// A character class with a counted repeat at the very start of a branch, with nothing
/// before it in the pattern and literal text after it (`\w{8}\.exe`): the class and its
/// count, which also match the tail of any longer run.
pub(crate) fn unanchored_count(pattern: &str) -> Option<Range<usize>> {
    /// Looks at the first items of each branch (inline flags skipped), entering leading
    /// groups.
    fn search(pattern: &str, branches: &[Vec<Item>]) -> Option<Range<usize>> {
        for branch in branches {
            let mut items = branch
                .iter()
                .skip_while(|i| is_flags(&pattern[i.range.clone()]));
            let Some(first) = items.next() else {
                continue;
            };
            match (&first.atom, first.quant) {
                (Atom::Class, Some(q))
                    if q.min >= 2
                        && q.max.is_some()
                        && !q.possessive
                        && items.next().is_some_and(|next| next.atom == Atom::Literal) =>
                {
                    return Some(first.range.clone());
                }
                (Atom::Group { branches, .. }, None) => {
                    if let Some(found) = search(pattern, branches) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }
    search(pattern, &parse(pattern)?)
}

/// `(?i)`, `(?s-m)`: inline flags, which match nothing.
fn is_flags(text: &str) -> bool {
    text.strip_prefix("(?")
        .and_then(|t| t.strip_suffix(')'))
        .is_some_and(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphabetic() || c == '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_unbounded_repeats_are_catastrophic() {
        for bad in ["(a+)+", "(.*)*", r"(\w+\s?)+$", r"x(?:\d+)*y", r"((ab)*)+"] {
            assert!(catastrophic(bad).is_some(), "{bad}");
        }
        for fine in [
            r"(\s+\w+)*",
            r"(?>a+)+",
            r"(a++)+",
            r"(abc)+",
            r"\w+\s+",
            r"(a|b)*c",
        ] {
            assert_eq!(catastrophic(fine), None, "{fine}");
        }
        assert_eq!(catastrophic("x(a+)+y"), Some(1..6));
    }

    #[test]
    fn counted_classes_without_a_left_anchor() {
        let p = r"(?i)(\w{8}\.exe)|(psexec)";
        assert_eq!(unanchored_count(p).map(|r| &p[r]), Some(r"\w{8}"));
        assert_eq!(
            unanchored_count(r"[a-z]{3,5}\.dll").map(|r| r.len()),
            Some(10)
        );
        for fine in [
            r"\\\w{8}\.exe",
            r"^\w{8}\.exe",
            r"\b\w{8}\.exe",
            r"\w+\.exe",
            r"\d{4}",
            r"a\w{8}",
        ] {
            assert_eq!(unanchored_count(fine), None, "{fine}");
        }
    }

    #[test]
    fn names_of_groups() {
        assert_eq!(
            group_names(r"(?<a>x)(?<=y)(?P<b>z)(?'c'w)(?<a>v)"),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn odd_input_gives_nothing() {
        assert_eq!(catastrophic("(a+"), None);
        assert_eq!(unanchored_count("[abc"), None);
        assert_eq!(catastrophic(r"\Q(a+)+\E"), None);
    }
}
