//! Tokens for syntax highlighting: the query cut into classified spans that cover it
//! exactly, lexed per stage in the mode the stage's command uses.

use rulescope_model::Span;
use serde::Serialize;

use crate::lexer::{Lexer, Mode, Tk, Tok, is_comment_start, scan_comment, split_stages};
use crate::parser::MAX_DEPTH;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Whitespace,
    Comment,
    Pipe,
    /// A stage's command name.
    Command,
    /// AND, OR, NOT, XOR, LIKE, IN, AS, BY, OUTPUT, ...
    Keyword,
    /// A function name before `(` (eval functions, `TERM`, stats functions).
    Function,
    Word,
    /// A single-quoted field name in eval/where.
    Field,
    String,
    Number,
    Macro,
    Operator,
    /// Parentheses, brackets, commas.
    Punct,
    /// The regex of `rex`/`regex`.
    Regex,
    /// A byte no rule accepts.
    Error,
}

/// Cuts `query` into classified tokens; the spans are in order and cover every byte.
pub fn tokens(query: &str) -> Vec<(TokenKind, Span)> {
    let mut t = Tokens {
        src: query,
        out: Vec::with_capacity(query.len() / 3),
        cursor: 0,
    };
    t.pipeline(0, query.len(), false, 0);
    t.gap(query.len());
    t.out
}

struct Tokens<'a> {
    src: &'a str,
    out: Vec<(TokenKind, Span)>,
    cursor: usize,
}

impl Tokens<'_> {
    fn push(&mut self, kind: TokenKind, start: usize, end: usize) {
        self.gap(start);
        if end > start {
            self.out.push((kind, Span::from_range(start..end)));
            self.cursor = end;
        }
    }

    /// Whitespace and comments up to `to`.
    fn gap(&mut self, to: usize) {
        let b = self.src.as_bytes();
        while self.cursor < to {
            let s = self.cursor;
            let (kind, e) = if is_comment_start(b, s) {
                (TokenKind::Comment, scan_comment(b, s).0.min(to))
            } else if b[s].is_ascii_whitespace() {
                let n = b[s..to]
                    .iter()
                    .take_while(|c| c.is_ascii_whitespace())
                    .count();
                (TokenKind::Whitespace, s + n)
            } else {
                (TokenKind::Error, to)
            };
            self.out.push((kind, Span::from_range(s..e)));
            self.cursor = e;
        }
    }

    fn pipeline(&mut self, start: usize, end: usize, first_is_command: bool, depth: u32) {
        let ranges = split_stages(self.src.as_bytes(), start, end);
        for (i, &(s, e)) in ranges.iter().enumerate() {
            if i > 0 {
                self.push(TokenKind::Pipe, s - 1, s);
            }
            self.stage(s, e, i > 0 || first_is_command, depth);
        }
    }

    fn stage(&mut self, start: usize, end: usize, command: bool, depth: u32) {
        let mut lx = Lexer::new(self.src.as_bytes(), start, end);
        let mut mode = Mode::Search;
        let mut raw_after_options = false;
        let mut name_is_regex = false;
        let first = lx.clone().next(Mode::Search);
        let explicit_search = first.kind == Tk::Word
            && self.src[first.start..first.end].eq_ignore_ascii_case("search");
        if (command || explicit_search) && first.kind == Tk::Word {
            let name_len = self.src[first.start..first.end]
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                .count();
            let name = self.src[first.start..first.start + name_len].to_ascii_lowercase();
            self.push(TokenKind::Command, first.start, first.start + name_len);
            lx.pos = first.start + name_len;
            match name.as_str() {
                "where" | "eval" => mode = Mode::Expr,
                "rex" => raw_after_options = true,
                "regex" => {
                    raw_after_options = true;
                    name_is_regex = true;
                }
                _ => {}
            }
        }
        loop {
            let t = lx.next(mode);
            if t.kind == Tk::Eof {
                break;
            }
            if raw_after_options {
                let eq = lx.clone().next(Mode::Search);
                let option =
                    t.kind == Tk::Word && matches!(eq.kind, Tk::Eq | Tk::Ne) && eq.start == t.end;
                if !option {
                    let raw_end = self.src[t.start..end].trim_ascii_end().len() + t.start;
                    self.push(TokenKind::Regex, t.start, raw_end);
                    break;
                }
                self.push(TokenKind::Word, t.start, t.end);
                let eq = lx.next(Mode::Search);
                self.push(TokenKind::Operator, eq.start, eq.end);
                // `regex field="..."`: the value is the pattern; rex options take a value.
                if name_is_regex {
                    continue;
                }
                let value = lx.next(Mode::Search);
                let kind = self.classify(value, &lx, mode);
                self.push(kind, value.start, value.end);
                continue;
            }
            if t.kind == Tk::Bracket && depth < MAX_DEPTH {
                self.push(TokenKind::Punct, t.start, t.start + 1);
                let inner_end = if t.closed { t.end - 1 } else { t.end };
                self.pipeline(t.start + 1, inner_end, false, depth + 1);
                if t.closed {
                    self.push(TokenKind::Punct, t.end - 1, t.end);
                }
                continue;
            }
            let kind = self.classify(t, &lx, mode);
            self.push(kind, t.start, t.end);
        }
    }

    fn classify(&self, t: Tok, lx: &Lexer<'_>, mode: Mode) -> TokenKind {
        match t.kind {
            Tk::Word => {
                let text = &self.src[t.start..t.end];
                let next = lx.clone().next(mode);
                let keyword = match mode {
                    Mode::Search => {
                        matches!(text, "AND" | "OR" | "NOT")
                            || ["as", "by", "output", "outputnew", "where", "from", "IN"]
                                .iter()
                                .any(|k| text.eq_ignore_ascii_case(k))
                    }
                    Mode::Expr => ["and", "or", "not", "xor", "like", "in"]
                        .iter()
                        .any(|k| text.eq_ignore_ascii_case(k)),
                };
                if keyword {
                    TokenKind::Keyword
                } else if next.kind == Tk::LParen && (mode == Mode::Expr || next.start == t.end) {
                    TokenKind::Function
                } else {
                    TokenKind::Word
                }
            }
            Tk::Number => TokenKind::Number,
            Tk::Str => TokenKind::String,
            Tk::SingleQuoted => TokenKind::Field,
            Tk::Macro => TokenKind::Macro,
            Tk::LParen | Tk::RParen | Tk::Bracket | Tk::RBracket | Tk::Comma => TokenKind::Punct,
            Tk::Other | Tk::Eof => TokenKind::Error,
            _ => TokenKind::Operator,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_cover_the_query_and_follow_stage_modes() {
        let q = "`m` a=1 OR \"x\" ``` c|d ``` | where match(f, \"(?i)a\") and n>2 | rex field=f \"(?<x>.)\" | stats count by h [ search y ]";
        let toks = tokens(q);
        let mut at = 0;
        for (_, s) in &toks {
            assert_eq!(s.start as usize, at, "gap or overlap at {at}: {toks:?}");
            at = s.end as usize;
        }
        assert_eq!(at, q.len());
        let kind_of = |text: &str| {
            toks.iter()
                .find(|(_, s)| s.slice(q) == text)
                .map(|(k, _)| *k)
        };
        assert_eq!(kind_of("`m`"), Some(TokenKind::Macro));
        assert_eq!(kind_of("OR"), Some(TokenKind::Keyword));
        assert_eq!(kind_of("``` c|d ```"), Some(TokenKind::Comment));
        assert_eq!(kind_of("where"), Some(TokenKind::Command));
        assert_eq!(kind_of("match"), Some(TokenKind::Function));
        assert_eq!(kind_of("and"), Some(TokenKind::Keyword));
        assert_eq!(kind_of("2"), Some(TokenKind::Number));
        assert_eq!(kind_of("\"(?<x>.)\""), Some(TokenKind::Regex));
        assert_eq!(kind_of("search"), Some(TokenKind::Command));
        assert_eq!(
            toks.iter().filter(|(k, _)| *k == TokenKind::Pipe).count(),
            3
        );
    }
}
