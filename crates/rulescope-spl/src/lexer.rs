//! The context-aware lexer. Tokens are byte ranges into the query; the parser asks for the
//! next token in the mode its context needs (search terms and command arguments, or
//! eval/where expressions), so one query text lexes differently in different stages.

/// Lexing context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Base search, `search`, and command arguments: words run until a breaker.
    Search,
    /// eval/where expressions: identifiers, numbers, operators.
    Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tk {
    Word,
    Number,
    Str,
    /// `'field'`
    SingleQuoted,
    Macro,
    LParen,
    RParen,
    /// A whole `[ ... ]` range.
    Bracket,
    RBracket,
    Comma,
    Eq,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Dot,
    Bang,
    /// A byte no rule of the mode accepts.
    Other,
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tok {
    pub kind: Tk,
    pub start: usize,
    pub end: usize,
    /// False for a string, macro, bracket or single-quoted field that runs to the end
    /// of the window unclosed.
    pub closed: bool,
}

/// Scans a `"` string starting at `start`: returns the end (after the closing quote) and
/// whether it was closed. `\` escapes the next byte.
pub(crate) fn scan_string(b: &[u8], start: usize) -> (usize, bool) {
    scan_quoted(b, start, b'"')
}

fn scan_quoted(b: &[u8], start: usize, quote: u8) -> (usize, bool) {
    let mut i = start + 1;
    while let Some(n) = b
        .get(i..)
        .and_then(|rest| rest.iter().position(|&c| c == quote || c == b'\\'))
    {
        i += n;
        if b[i] == quote {
            return (i + 1, true);
        }
        i += 2;
    }
    (b.len(), false)
}

pub(crate) fn is_comment_start(b: &[u8], i: usize) -> bool {
    b.get(i..i + 3) == Some(b"```")
}

/// Scans a ```` ``` ```` comment: the end and whether it was closed.
pub(crate) fn scan_comment(b: &[u8], start: usize) -> (usize, bool) {
    let mut i = start + 3;
    while i < b.len() {
        if is_comment_start(b, i) {
            return (i + 3, true);
        }
        i += 1;
    }
    (b.len(), false)
}

/// Scans a backtick macro: the end (after the closing backtick) and whether it was closed.
pub(crate) fn scan_macro(b: &[u8], start: usize) -> (usize, bool) {
    match b[start + 1..].iter().position(|&c| c == b'`') {
        Some(p) => (start + p + 2, true),
        None => (b.len(), false),
    }
}

/// Scans a `[ ... ]` range with nesting, skipping strings, macros and comments; iterative,
/// so any depth is safe. Returns the end (after `]`) and whether it was closed.
pub(crate) fn scan_bracket(b: &[u8], start: usize) -> (usize, bool) {
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'"' => i = scan_string(b, i).0,
            b'`' if is_comment_start(b, i) => i = scan_comment(b, i).0,
            b'`' => i = scan_macro(b, i).0,
            b'[' => {
                depth += 1;
                i += 1;
            }
            b']' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return (i, true);
                }
            }
            _ => i += 1,
        }
    }
    (b.len(), false)
}

/// A `[` opens a subsearch only where a token may start (after a space or a breaker such as
/// `(`, `=` or a closing quote); inside a word it is a character (`process_[0-9]`). The
/// printer separates tokens with spaces, so this must not depend on spacing alone.
pub(crate) fn opens_bracket(b: &[u8], i: usize) -> bool {
    i == 0 || {
        let prev = b[i - 1];
        prev == b'[' || (SEARCH_BREAK[prev as usize] && prev != b'!')
    }
}

/// Splits `start..end` into stage ranges at `|` outside strings, macros, comments and
/// subsearch brackets. Parentheses never suppress a split, so an unbalanced `(` cannot
/// swallow the rest of the query.
pub(crate) fn split_stages(b: &[u8], start: usize, end: usize) -> Vec<(usize, usize)> {
    let b = &b[..end];
    let mut stages = Vec::with_capacity(8);
    let mut stage_start = start;
    let mut i = start;
    while i < end {
        // Most bytes are plain: skip to the next one that matters.
        match b[i..]
            .iter()
            .position(|&c| matches!(c, b'"' | b'`' | b'[' | b'|'))
        {
            Some(n) => i += n,
            None => break,
        }
        match b[i] {
            b'"' => i = scan_string(b, i).0,
            b'`' if is_comment_start(b, i) => i = scan_comment(b, i).0,
            b'`' => i = scan_macro(b, i).0,
            b'[' if opens_bracket(b, i) => i = scan_bracket(b, i).0,
            b'|' => {
                stages.push((stage_start, i));
                i += 1;
                stage_start = i;
            }
            _ => i += 1,
        }
    }
    stages.push((stage_start, end));
    stages
}

fn is_space(c: u8) -> bool {
    c.is_ascii_whitespace()
}

/// `<<FIELD>>` (foreach templates) at `i`: its length.
fn template_len(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i..i + 2) != Some(b"<<") {
        return None;
    }
    let mut j = i + 2;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    (j > i + 2 && b.get(j..j + 2) == Some(b">>")).then_some(j + 2 - i)
}

/// Bytes that end a search word (`!` only before `=`).
const SEARCH_BREAK: [bool; 256] = {
    let mut t = [false; 256];
    let breakers = b"()|\"`=<>,! \t\n\r\x0c";
    let mut i = 0;
    while i < breakers.len() {
        t[breakers[i] as usize] = true;
        i += 1;
    }
    t
};

fn search_word_byte(b: &[u8], i: usize) -> bool {
    let c = b[i];
    !SEARCH_BREAK[c as usize] || (c == b'!' && b.get(i + 1) != Some(&b'='))
}

fn ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'{' | b'}' | b'@' | b'$') || c >= 0x80
}

/// A lexer over one window of the query.
#[derive(Clone, Debug)]
pub(crate) struct Lexer<'a> {
    pub b: &'a [u8],
    pub pos: usize,
    pub end: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(b: &'a [u8], pos: usize, end: usize) -> Self {
        Self { b, pos, end }
    }

    /// Skips whitespace and comments.
    pub fn skip_trivia(&mut self) {
        let b = &self.b[..self.end];
        while self.pos < self.end {
            if is_space(b[self.pos]) {
                self.pos += 1;
            } else if is_comment_start(b, self.pos) {
                self.pos = scan_comment(b, self.pos).0;
            } else {
                break;
            }
        }
    }

    /// The next token in `mode`, consuming it.
    pub fn next(&mut self, mode: Mode) -> Tok {
        self.skip_trivia();
        let tok = self.lex_at(self.pos, mode);
        self.pos = tok.end;
        tok
    }

    fn lex_at(&self, start: usize, mode: Mode) -> Tok {
        let b = &self.b[..self.end];
        let tok = |kind, end| Tok {
            kind,
            start,
            end,
            closed: true,
        };
        let Some(&c) = b.get(start) else {
            return tok(Tk::Eof, start);
        };
        let next = b.get(start + 1).copied();
        match c {
            b'"' => {
                let (end, closed) = scan_string(b, start);
                Tok {
                    kind: Tk::Str,
                    start,
                    end,
                    closed,
                }
            }
            b'`' => {
                let (end, closed) = scan_macro(b, start);
                Tok {
                    kind: Tk::Macro,
                    start,
                    end,
                    closed,
                }
            }
            b'(' => tok(Tk::LParen, start + 1),
            b')' => tok(Tk::RParen, start + 1),
            b'[' if mode == Mode::Search && opens_bracket(b, start) => {
                let (end, closed) = scan_bracket(b, start);
                Tok {
                    kind: Tk::Bracket,
                    start,
                    end,
                    closed,
                }
            }
            b']' => tok(Tk::RBracket, start + 1),
            b',' => tok(Tk::Comma, start + 1),
            b'=' if next == Some(b'=') => tok(Tk::EqEq, start + 2),
            b'=' => tok(Tk::Eq, start + 1),
            b'!' if next == Some(b'=') => tok(Tk::Ne, start + 2),
            b'<' | b'>' if template_len(b, start).is_some() => self.word(start, mode),
            b'<' if next == Some(b'=') => tok(Tk::Le, start + 2),
            b'<' if next == Some(b'>') && mode == Mode::Expr => tok(Tk::Ne, start + 2),
            b'<' => tok(Tk::Lt, start + 1),
            b'>' if next == Some(b'=') => tok(Tk::Ge, start + 2),
            b'>' => tok(Tk::Gt, start + 1),
            _ if mode == Mode::Search => self.word(start, mode),
            b'\'' => {
                let (end, closed) = scan_quoted(b, start, b'\'');
                Tok {
                    kind: Tk::SingleQuoted,
                    start,
                    end,
                    closed,
                }
            }
            b'!' => tok(Tk::Bang, start + 1),
            b'+' => tok(Tk::Plus, start + 1),
            b'-' => tok(Tk::Minus, start + 1),
            b'*' => tok(Tk::Star, start + 1),
            b'/' => tok(Tk::Slash, start + 1),
            b'%' => tok(Tk::Percent, start + 1),
            b'.' if next.is_some_and(|n| n.is_ascii_digit()) => self.number(start),
            b'.' => tok(Tk::Dot, start + 1),
            c if c.is_ascii_digit() => self.number(start),
            c if ident_byte(c) => self.word(start, mode),
            _ => tok(Tk::Other, start + utf8_len(c)),
        }
    }

    fn word(&self, start: usize, mode: Mode) -> Tok {
        let b = &self.b[..self.end];
        let mut i = start;
        while i < b.len() {
            if let Some(n) = template_len(b, i) {
                i += n;
                continue;
            }
            let ok = match mode {
                Mode::Search => search_word_byte(b, i),
                // A dot joins two identifier parts (`a.b`); alone it concatenates.
                Mode::Expr => {
                    ident_byte(b[i])
                        || (b[i] == b'.'
                            && i > start
                            && b.get(i + 1).is_some_and(|&n| ident_byte(n)))
                }
            };
            if !ok {
                break;
            }
            i += 1;
        }
        Tok {
            kind: Tk::Word,
            start,
            end: i.max(start + 1),
            closed: true,
        }
    }

    fn number(&self, start: usize) -> Tok {
        let b = &self.b[..self.end];
        let digits = |mut i: usize| {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            i
        };
        let mut i = digits(start);
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i = digits(i + 1);
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
            if b.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
                i = digits(i + 1 + sign);
            }
        }
        // `5m`, `3des`: a word that starts with digits.
        if b.get(i).is_some_and(|&c| ident_byte(c)) {
            return self.word(start, Mode::Expr);
        }
        Tok {
            kind: Tk::Number,
            start,
            end: i,
            closed: true,
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}
