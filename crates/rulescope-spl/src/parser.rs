//! The recursive-descent parser: pipelines, stages, the search language and the shared
//! pieces (macros, values, options, field lists). Typed commands live in `commands.rs`,
//! eval/where expressions in `expr.rs`.

use std::cell::Cell;

use rulescope_model::{Diagnostic, Span};

use crate::ast::*;
use crate::lexer::{Lexer, Mode, Tk, Tok, split_stages};

/// Nesting deeper than this (parentheses, brackets, calls, subsearches, prefix operators)
/// is reported, not followed: the parser's recursion and the tree's depth stay bounded.
/// Unoptimised builds spend about 10 KiB of stack per level, so 64 levels fit in 1 MiB,
/// half the stack of a test or rayon thread; real queries nest a handful of levels.
pub(crate) const MAX_DEPTH: u32 = 64;

/// Where a token was peeked: position, window end, mode.
type PeekKey = (usize, usize, Mode);

pub(crate) struct Parser<'a> {
    pub src: &'a str,
    pub lx: Lexer<'a>,
    pub diags: Vec<Diagnostic>,
    depth: u32,
    /// Set once the depth limit is hit in a stage: the rest of the stage is skipped, and the
    /// enclosing levels must not each report their now-unclosed parenthesis.
    bailed: bool,
    /// One unclosed `[` per top-level stage is reported: the brackets inside it are
    /// unclosed for the same reason.
    bracket_reported: bool,
    /// In `tstats ... where <search> by ...` the search stops at `by`.
    pub stop_at_by: bool,
    peeked: Cell<Option<(PeekKey, Tok)>>,
}

pub(crate) fn span(start: usize, end: usize) -> Span {
    Span::from_range(start..end)
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a str) -> Self {
        Self {
            src,
            lx: Lexer::new(src.as_bytes(), 0, src.len()),
            diags: Vec::new(),
            depth: 0,
            bailed: false,
            bracket_reported: false,
            stop_at_by: false,
            peeked: Cell::new(None),
        }
    }

    // ---- token plumbing -------------------------------------------------------------

    /// The next token, without consuming it. The parser peeks the same token several times
    /// as it tries alternatives, so the last answer is cached by position and mode.
    pub fn peek(&self, mode: Mode) -> Tok {
        let key = (self.lx.pos, self.lx.end, mode);
        if let Some((k, tok)) = self.peeked.get()
            && k == key
        {
            return tok;
        }
        let tok = self.lx.clone().next(mode);
        self.peeked.set(Some((key, tok)));
        tok
    }

    /// The token after the next one.
    pub fn peek2(&self, mode: Mode) -> (Tok, Tok) {
        let a = self.peek(mode);
        let mut lx = self.lx.clone();
        lx.pos = a.end;
        (a, lx.next(mode))
    }

    /// Consumes the next token if it is of `kind`; `None` (nothing consumed) otherwise.
    pub fn eat(&mut self, kind: Tk, mode: Mode) -> Option<Tok> {
        let tok = self.peek(mode);
        (tok.kind == kind).then(|| {
            self.bump(tok);
            tok
        })
    }

    pub fn bump(&mut self, tok: Tok) {
        self.lx.pos = tok.end;
    }

    pub fn text(&self, tok: Tok) -> &'a str {
        self.src.get(tok.start..tok.end).unwrap_or("")
    }

    pub fn word(&self, tok: Tok) -> Word {
        Word {
            text: self.text(tok).to_owned(),
            span: span(tok.start, tok.end),
        }
    }

    /// The next token is a word equal to `kw`, ignoring case.
    pub fn at_keyword(&self, kw: &str) -> bool {
        let t = self.peek(Mode::Search);
        t.kind == Tk::Word && self.text(t).eq_ignore_ascii_case(kw)
    }

    pub fn at_end(&self) -> bool {
        self.peek(Mode::Search).kind == Tk::Eof
    }

    pub fn error(
        &mut self,
        code: &'static str,
        msg: impl Into<String>,
        at: Span,
    ) -> &mut Diagnostic {
        self.report(Diagnostic::error(code, msg), at)
    }

    pub fn warning(
        &mut self,
        code: &'static str,
        msg: impl Into<String>,
        at: Span,
    ) -> &mut Diagnostic {
        self.report(Diagnostic::warning(code, msg), at)
    }

    /// Records a diagnostic with its span kept inside the text and never empty (a problem
    /// at the very end points at the last character).
    fn report(&mut self, d: Diagnostic, at: Span) -> &mut Diagnostic {
        // Snap to character boundaries: spans may be built one byte past a token start.
        let end = self.src.ceil_char_boundary(at.end as usize);
        let mut start = self.src.floor_char_boundary((at.start as usize).min(end));
        if start == end {
            start = self.src.floor_char_boundary(end.saturating_sub(1));
        }
        self.diags.push(d.with_span(span(start, end.max(start))));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// Enters one nesting level; false (with a diagnostic, once per stage) past the limit,
    /// after which the rest of the stage is skipped.
    pub fn enter(&mut self, at: usize) -> bool {
        if self.bailed {
            self.lx.pos = self.lx.end;
            return false;
        }
        if self.depth >= MAX_DEPTH {
            self.bailed = true;
            self.error(
                "spl-nesting-too-deep",
                format!("nesting deeper than {MAX_DEPTH} levels"),
                span(at, at + 1),
            )
            .help = Some("the rest of this stage is skipped".into());
            self.lx.pos = self.lx.end;
            return false;
        }
        self.depth += 1;
        true
    }

    pub fn exit(&mut self) {
        self.depth -= 1;
    }

    /// Reports an unclosed `(` unless the stage was abandoned at the depth limit.
    pub fn unclosed_paren(&mut self, open: usize) {
        if !self.bailed {
            self.error(
                "spl-unclosed-paren",
                "this `(` is never closed",
                span(open, open + 1),
            )
            .help = Some("add the missing `)` before the end of the stage".into());
        }
    }

    /// Runs `f` with the lexer confined to `start..end`, then restores the outer window.
    pub fn in_window<T>(&mut self, start: usize, end: usize, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = (self.lx.pos, self.lx.end);
        self.lx.pos = start;
        self.lx.end = end;
        let out = f(self);
        (self.lx.pos, self.lx.end) = saved;
        out
    }

    // ---- pipelines and stages -------------------------------------------------------

    /// Parses `start..end` as a pipeline. `first_is_command`: the first stage names a
    /// command even without a leading pipe (foreach and appendpipe templates).
    pub fn pipeline(&mut self, start: usize, end: usize, first_is_command: bool) -> Pipeline {
        let b = self.src.as_bytes();
        let ranges = split_stages(b, start, end);
        let mut stages = Vec::with_capacity(ranges.len());
        let trimmed = |s: usize, e: usize| {
            let t = self.src.get(s..e).unwrap_or("");
            let lead = t.len() - t.trim_ascii_start().len();
            let tail = t.len() - t.trim_ascii_end().len();
            (s + lead, (e - tail).max(s + lead))
        };
        let leading_pipe = ranges.len() > 1 && {
            let (s, e) = trimmed(ranges[0].0, ranges[0].1);
            s == e
        };
        for (i, &(s, e)) in ranges.iter().enumerate() {
            if i == 0 && leading_pipe {
                continue;
            }
            let (s, e) = trimmed(s, e);
            if s == e {
                if ranges.len() > 1 {
                    let pipe = if i == 0 { ranges[0].1 } else { ranges[i].0 - 1 };
                    self.error(
                        "spl-empty-stage",
                        "empty stage between pipes",
                        span(pipe, pipe + 1),
                    )
                    .help = Some("remove the extra `|`".into());
                }
                continue;
            }
            self.depth_reset_for_stage();
            let piped = i > 0 || leading_pipe;
            if i == 0 && !leading_pipe && !first_is_command {
                let command = self.in_window(s, e, |p| p.base_search());
                stages.push(Stage {
                    piped: false,
                    command,
                    span: span(s, e),
                });
            } else {
                self.in_window(s, e, |p| p.command_stage(piped, &mut stages));
            }
        }
        let (s, e) = trimmed(start, end);
        Pipeline {
            stages,
            span: span(s, e),
        }
    }

    fn depth_reset_for_stage(&mut self) {
        // A subsearch's stages run inside the outer nesting; only a top-level stage resets.
        if self.depth == 0 {
            self.bailed = false;
            self.bracket_reported = false;
        }
    }

    fn base_search(&mut self) -> Command {
        let t = self.peek(Mode::Search);
        // `search` is the command only as a word of its own: `search=1` is a comparison.
        let standalone = self
            .src
            .as_bytes()
            .get(t.end)
            .is_none_or(|c| c.is_ascii_whitespace())
            || t.end >= self.lx.end;
        let keyword = (t.kind == Tk::Word
            && standalone
            && self.text(t).eq_ignore_ascii_case("search"))
        .then(|| {
            self.bump(t);
            self.word(t)
        });
        let mark = self.diags.len();
        let expr = self.search_seq(false);
        self.stray_leading_quote(t, mark);
        Command::Search(SearchCommand { keyword, expr })
    }

    /// A query that opens with `"` right before a macro has a stray quote: every later
    /// quote pairs wrongly, so the one useful diagnostic points at that first quote.
    fn stray_leading_quote(&mut self, first: Tok, mark: usize) {
        let starts_macro =
            first.kind == Tk::Str && self.src.as_bytes().get(first.start + 1) == Some(&b'`');
        if starts_macro
            && self.diags[mark..]
                .iter()
                .any(|d| d.code == "spl-unterminated-string")
        {
            self.diags.truncate(mark);
            self.error("spl-stray-quote", "stray `\"` before the first macro", span(first.start, first.start + 1))
                .help = Some("remove it: every later quote pairs with the wrong one, and the last string never closes".into());
        }
    }

    /// Parses one command stage (the lexer window is the stage), pushing it and any
    /// macros that trail it without a pipe.
    fn command_stage(&mut self, piped: bool, out: &mut Vec<Stage>) {
        let start = self.lx.pos;
        let end = self.lx.end;
        let t = self.peek(Mode::Search);
        if t.kind == Tk::Eof {
            // Only a comment: the stage does nothing.
            return;
        }
        if t.kind == Tk::Macro {
            self.bump(t);
            let m = self.macro_call(t);
            out.push(Stage {
                piped,
                command: Command::Macro(m),
                span: span(t.start, t.end),
            });
            self.lx.skip_trivia();
            if self.lx.pos < end {
                let rest = self.lx.pos;
                self.in_window(rest, end, |p| p.command_stage(false, out));
            }
            return;
        }
        let text = self.text(t);
        let valid =
            t.kind == Tk::Word && text.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
        if !valid {
            self.error(
                "spl-expected-command",
                "expected a command name",
                span(t.start, t.end.max(t.start + 1)),
            )
            .help = Some("a stage starts with a command such as `where`, `eval` or `stats`".into());
            // A malformed name is kept as written, so the stage prints back the same.
            let name = if t.kind == Tk::Word {
                self.bump(t);
                self.word(t)
            } else {
                Word {
                    text: String::new(),
                    span: span(t.start, t.start),
                }
            };
            let command = Command::Generic(GenericCommand {
                name,
                args: self.generic_args(),
            });
            out.push(Stage {
                piped,
                command,
                span: span(start, end),
            });
            return;
        }
        self.bump(t);
        let name = self.word(t);
        // Command names are short: lower-case them on the stack, not in a new String.
        let mut buf = [0u8; 24];
        let lower_owned;
        let lower: &str = match buf.get_mut(..name.text.len()) {
            Some(dst) => {
                dst.copy_from_slice(name.text.as_bytes());
                dst.make_ascii_lowercase();
                std::str::from_utf8(dst).unwrap_or_default()
            }
            None => {
                lower_owned = name.text.to_ascii_lowercase();
                &lower_owned
            }
        };
        let after_name = self.lx.pos;
        let content_end = if lower == "search" {
            end
        } else {
            self.trailing_macros_start(after_name, end)
        };
        let command = self.in_window(after_name, content_end, |p| p.command(lower, name));
        out.push(Stage {
            piped,
            command,
            span: span(start, content_end),
        });
        let mut lx = Lexer::new(self.src.as_bytes(), content_end, end);
        loop {
            let m = lx.next(Mode::Search);
            if m.kind != Tk::Macro {
                break;
            }
            let call = self.macro_call(m);
            out.push(Stage {
                piped: false,
                command: Command::Macro(call),
                span: span(m.start, m.end),
            });
        }
    }

    /// Where the macros that end a stage begin (or `end` when the last token is not a macro,
    /// when macros are the stage's only arguments, as in ``table `fields_macro` ``, or when
    /// the token before them awaits an operand, as in ``where a OR `m` ``).
    fn trailing_macros_start(&self, from: usize, end: usize) -> usize {
        if !self.src.get(from..end).is_some_and(|t| t.contains('`')) {
            return end;
        }
        let mut lx = Lexer::new(self.src.as_bytes(), from, end);
        let mut last_other: Option<Tok> = None;
        let mut saw_macro_after = false;
        loop {
            let t = lx.next(Mode::Search);
            match t.kind {
                Tk::Eof => break,
                Tk::Macro => saw_macro_after = true,
                _ => {
                    last_other = Some(t);
                    saw_macro_after = false;
                }
            }
        }
        match last_other {
            Some(t) if saw_macro_after && !self.awaits_operand(t) => t.end,
            _ => end,
        }
    }

    fn awaits_operand(&self, t: Tok) -> bool {
        const WORDS: &[&str] = &[
            "and",
            "or",
            "not",
            "xor",
            "like",
            "in",
            "by",
            "as",
            "output",
            "outputnew",
            "where",
            "from",
        ];
        match t.kind {
            Tk::Word => {
                let text = self.text(t);
                WORDS.iter().any(|w| text.eq_ignore_ascii_case(w))
                    || text.ends_with(['+', '-', '*', '/', '%', '.', '!'])
            }
            Tk::Str | Tk::RParen | Tk::Bracket | Tk::RBracket => false,
            _ => true,
        }
    }

    /// Parses a command in the current window; typed forms fall back to the generic form
    /// (dropping their diagnostics) when the arguments do not fit.
    fn command(&mut self, lower: &str, name: Word) -> Command {
        let start = self.lx.pos;
        let mark = self.diags.len();
        if let Some(cmd) = self.typed_command(lower, &name) {
            return cmd;
        }
        self.lx.pos = start;
        self.diags.truncate(mark);
        Command::Generic(GenericCommand {
            name,
            args: self.generic_args(),
        })
    }

    // ---- macros ---------------------------------------------------------------------

    /// Reads a macro token's name and arguments, reporting malformed calls.
    pub fn macro_call(&mut self, t: Tok) -> MacroCall {
        let whole = span(t.start, t.end);
        let inner_end = if t.closed { t.end - 1 } else { t.end };
        if !t.closed {
            self.error(
                "spl-unterminated-macro",
                "macro call without a closing backtick",
                span(t.start, t.start + 1),
            )
            .help = Some("close the macro with `` ` ``".into());
        }
        let inner_start = t.start + 1;
        let inner = self.src.get(inner_start..inner_end).unwrap_or("");
        let Some(open) = inner.find('(') else {
            let name = inner.trim();
            if name.is_empty() {
                self.error("spl-empty-macro", "empty macro name", whole);
            }
            return MacroCall {
                name: name.to_owned(),
                args: None,
                span: whole,
            };
        };
        let name = inner[..open].trim().to_owned();
        if name.is_empty() {
            self.error("spl-empty-macro", "empty macro name", whole);
        }
        let b = inner.as_bytes();
        let base = inner_start;
        let mut args = Vec::new();
        let mut arg_start = open + 1;
        let mut depth = 0u32;
        let mut i = open + 1;
        let mut closed_at = None;
        let push = |args: &mut Vec<MacroArg>, s: usize, e: usize| {
            let raw = &inner[s..e];
            let lead = raw.len() - raw.trim_start().len();
            let text = raw.trim();
            args.push(MacroArg {
                text: text.to_owned(),
                span: span(base + s + lead, base + s + lead + text.len()),
            });
        };
        while i < b.len() {
            match b[i] {
                b'"' => {
                    let (e, closed) = crate::lexer::scan_string(b, i);
                    if !closed {
                        self.error(
                            "spl-macro-unterminated-string",
                            "unterminated string in macro arguments",
                            span(base + i, base + i + 1),
                        )
                        .help = Some("close the quoted argument with `\"`".into());
                        let stop = inner.trim_end().strip_suffix(')').map_or(b.len(), str::len);
                        push(&mut args, arg_start, stop.max(arg_start));
                        return MacroCall {
                            name,
                            args: Some(args),
                            span: whole,
                        };
                    }
                    i = e;
                    continue;
                }
                b'(' => depth += 1,
                b')' if depth > 0 => depth -= 1,
                b')' => {
                    closed_at = Some(i);
                    break;
                }
                b',' if depth == 0 => {
                    push(&mut args, arg_start, i);
                    arg_start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        match closed_at {
            Some(close) => {
                // `m()` and `m( )` have no argument; `m(a,)` has an empty second one.
                if !args.is_empty() || !inner[open + 1..close].trim().is_empty() {
                    push(&mut args, arg_start, close);
                }
                if !inner[close + 1..].trim().is_empty() {
                    self.error(
                        "spl-macro-trailing-text",
                        "text after the macro's argument list",
                        span(base + close + 1, inner_end),
                    );
                }
            }
            None => {
                push(&mut args, arg_start, b.len());
                self.error(
                    "spl-unclosed-macro-args",
                    "the macro's argument list is never closed",
                    span(base + open, base + open + 1),
                )
                .help = Some(format!(
                    "add `)` before the closing backtick: `{name}(...)`"
                ));
            }
        }
        MacroCall {
            name,
            args: Some(args),
            span: whole,
        }
    }

    // ---- shared pieces --------------------------------------------------------------

    pub fn str_lit(&mut self, t: Tok) -> StrLit {
        let end = if t.closed { t.end - 1 } else { t.end };
        if !t.closed {
            self.error("spl-unterminated-string", "string is never closed", span(t.start, t.start + 1))
                .help = Some(
                "close it with `\"`; if it looks closed, an earlier stray `\"` may have taken its quote".into(),
            );
        }
        StrLit {
            raw: self.src.get(t.start + 1..end).unwrap_or("").to_owned(),
            span: span(t.start, t.end),
        }
    }

    /// A value token (word, string or macro), consumed; `None` (untouched) otherwise.
    pub fn value(&mut self) -> Option<Value> {
        let t = self.peek(Mode::Search);
        let v = match t.kind {
            Tk::Word => Value::Word(self.word(t)),
            Tk::Str => {
                self.bump(t);
                return Some(Value::Str(self.str_lit(t)));
            }
            Tk::Macro => {
                self.bump(t);
                return Some(Value::Macro(self.macro_call(t)));
            }
            _ => return None,
        };
        self.bump(t);
        Some(v)
    }

    /// A field name token (word or double-quoted), consumed.
    pub fn field_name(&mut self) -> Option<FieldName> {
        let t = self.peek(Mode::Search);
        let f = match t.kind {
            Tk::Word => FieldName {
                name: self.text(t).to_owned(),
                quote: Quote::None,
                span: span(t.start, t.end),
            },
            Tk::Str => {
                let s = self.str_lit(t);
                FieldName {
                    name: s.raw,
                    quote: Quote::Double,
                    span: s.span,
                }
            }
            _ => return None,
        };
        self.bump(t);
        Some(f)
    }

    /// The next tokens are `word=` (glued), the start of a `key=value` option.
    pub fn at_option(&self) -> bool {
        let (a, b) = self.peek2(Mode::Search);
        a.kind == Tk::Word && b.kind == Tk::Eq && b.start == a.end
    }

    /// Parses `key=value`; call after [`Self::at_option`].
    pub fn option(&mut self) -> Option<CmdOption> {
        let (k, eq) = self.peek2(Mode::Search);
        self.bump(eq);
        let key = self.word(k);
        let value = self.value()?;
        let span = key.span.to(value.span());
        Some(CmdOption::Pair { key, value, span })
    }

    /// Options (`key=value`, and macros when `macros`) while they come.
    pub fn options(&mut self, macros: bool) -> Option<Vec<CmdOption>> {
        let mut out = Vec::new();
        loop {
            if self.at_option() {
                out.push(self.option()?);
                continue;
            }
            let t = self.peek(Mode::Search);
            if macros && t.kind == Tk::Macro {
                self.bump(t);
                out.push(CmdOption::Macro(self.macro_call(t)));
                continue;
            }
            return Some(out);
        }
    }

    /// A field list (commas or spaces between entries), stopping at an option, at one of
    /// the `stop` keywords or at anything that is not a field or a macro.
    pub fn field_list(&mut self, stop: &[&str]) -> Vec<FieldItem> {
        let mut out = Vec::with_capacity(8);
        loop {
            let t = self.peek(Mode::Search);
            match t.kind {
                Tk::Comma => self.bump(t),
                Tk::Macro => {
                    self.bump(t);
                    out.push(FieldItem::Macro(self.macro_call(t)));
                }
                Tk::Word | Tk::Str => {
                    if self.at_option()
                        || (t.kind == Tk::Word
                            && stop.iter().any(|s| self.text(t).eq_ignore_ascii_case(s)))
                    {
                        return out;
                    }
                    if let Some(f) = self.field_name() {
                        out.push(FieldItem::Field(f));
                    }
                }
                _ => return out,
            }
        }
    }

    /// `[ ... ]` at token `t`: parsed as a pipeline.
    pub fn subsearch(&mut self, t: Tok, first_is_command: bool) -> Subsearch {
        self.bump(t);
        let whole = span(t.start, t.end);
        if !t.closed && !std::mem::replace(&mut self.bracket_reported, true) {
            self.error(
                "spl-unclosed-bracket",
                "this `[` is never closed",
                span(t.start, t.start + 1),
            )
            .help = Some("add the missing `]`".into());
        }
        let inner_end = if t.closed { t.end - 1 } else { t.end };
        if !self.enter(t.start) {
            return Subsearch {
                pipeline: Pipeline::default(),
                span: whole,
            };
        }
        let pipeline = self.in_window(t.start + 1, inner_end, |p| {
            p.pipeline(t.start + 1, inner_end, first_is_command)
        });
        self.exit();
        Subsearch {
            pipeline,
            span: whole,
        }
    }

    // ---- generic commands -----------------------------------------------------------

    pub fn generic_args(&mut self) -> Vec<GenericArg> {
        let mut out = Vec::new();
        while let Some(arg) = self.generic_arg(false) {
            out.push(arg);
        }
        out
    }

    fn generic_arg(&mut self, in_group: bool) -> Option<GenericArg> {
        loop {
            let t = self.peek(Mode::Search);
            return Some(match t.kind {
                Tk::Eof => return None,
                Tk::RParen if in_group => return None,
                Tk::Word if self.at_option() => {
                    let mark = self.lx.pos;
                    match self.option() {
                        Some(o) => GenericArg::Option(o),
                        None => {
                            self.lx.pos = mark;
                            self.bump(t);
                            GenericArg::Word(self.word(t))
                        }
                    }
                }
                Tk::Word => {
                    self.bump(t);
                    GenericArg::Word(self.word(t))
                }
                Tk::Str => {
                    self.bump(t);
                    GenericArg::Str(self.str_lit(t))
                }
                Tk::Macro => {
                    self.bump(t);
                    GenericArg::Macro(self.macro_call(t))
                }
                Tk::Bracket => GenericArg::Subsearch(self.subsearch(t, false)),
                Tk::Comma => {
                    self.bump(t);
                    GenericArg::Comma(span(t.start, t.end))
                }
                Tk::LParen => {
                    if !self.enter(t.start) {
                        return None;
                    }
                    self.bump(t);
                    let mut items = Vec::new();
                    while let Some(a) = self.generic_arg(true) {
                        items.push(a);
                    }
                    let close = self.peek(Mode::Search);
                    if close.kind == Tk::RParen {
                        self.bump(close);
                    } else {
                        self.unclosed_paren(t.start);
                    }
                    self.exit();
                    GenericArg::Group(items, span(t.start, self.lx.pos))
                }
                Tk::Eq | Tk::EqEq | Tk::Ne | Tk::Lt | Tk::Le | Tk::Gt | Tk::Ge => {
                    self.bump(t);
                    GenericArg::Operator(self.word(t))
                }
                _ => {
                    self.bump(t);
                    self.unexpected(t);
                    continue;
                }
            });
        }
    }

    /// Reports a token that has no place where it stands.
    pub fn unexpected(&mut self, t: Tok) {
        let at = span(t.start, t.end);
        match t.kind {
            Tk::RParen => {
                self.error(
                    "spl-unmatched-close-paren",
                    "this `)` has no matching `(`",
                    at,
                )
                .help = Some("remove it, or add the missing `(` earlier".into());
            }
            Tk::RBracket => {
                self.error(
                    "spl-unmatched-close-bracket",
                    "this `]` has no matching `[`",
                    at,
                );
            }
            _ => {
                let text = self.text(t).to_owned();
                self.error("spl-unexpected-token", format!("unexpected `{text}`"), at);
            }
        }
    }

    // ---- the search language --------------------------------------------------------

    fn is_op_word(&self, t: Tok, op: &str) -> bool {
        t.kind == Tk::Word && self.text(t) == op
    }

    /// A sequence of terms joined by AND (implicit or written); `in_group` stops at `)`.
    pub fn search_seq(&mut self, in_group: bool) -> Option<SearchExpr> {
        let mut items = Vec::with_capacity(8);
        loop {
            let t = self.peek(Mode::Search);
            match t.kind {
                Tk::Eof => break,
                Tk::RParen if in_group => break,
                Tk::RParen | Tk::RBracket => {
                    self.bump(t);
                    self.unexpected(t);
                    // `a) OR b`: the OR still joins the term before the stray `)`.
                    if self.is_op_word(self.peek(Mode::Search), "OR")
                        && let Some(last) = items.pop()
                    {
                        items.push(self.search_or_from(last));
                    }
                    continue;
                }
                Tk::Comma => {
                    self.bump(t);
                    self.stray_comma(t);
                    continue;
                }
                Tk::Word if self.stop_at_by && self.text(t).eq_ignore_ascii_case("by") => break,
                Tk::Word if self.is_op_word(t, "AND") || self.is_op_word(t, "OR") => {
                    self.bump(t);
                    let at_end = matches!(self.peek(Mode::Search).kind, Tk::Eof | Tk::RParen);
                    if items.is_empty() || self.is_op_word(t, "OR") || at_end {
                        self.dangling(t);
                    }
                    continue;
                }
                _ => {}
            }
            match self.search_or() {
                Some(e) => items.push(e),
                None => {
                    if self.lx.pos >= self.lx.end {
                        break;
                    }
                }
            }
        }
        combine(items, SearchExpr::And)
    }

    fn dangling(&mut self, t: Tok) {
        let op = self.text(t).to_owned();
        self.error(
            "spl-dangling-operator",
            format!("`{op}` needs a term on both sides"),
            span(t.start, t.end),
        );
    }

    fn search_or(&mut self) -> Option<SearchExpr> {
        let first = self.search_not()?;
        Some(self.search_or_from(first))
    }

    /// Continues an OR chain after `first`. A comma before `OR` is reported and skipped.
    fn search_or_from(&mut self, first: SearchExpr) -> SearchExpr {
        let mut items = vec![first];
        loop {
            let (mut t, after) = self.peek2(Mode::Search);
            if t.kind == Tk::Comma && self.is_op_word(after, "OR") {
                self.bump(t);
                self.stray_comma(t);
                t = after;
            }
            if !self.is_op_word(t, "OR") {
                break;
            }
            self.bump(t);
            match self.search_not() {
                Some(e) => items.push(e),
                None => self.dangling(t),
            }
        }
        if items.len() == 1 {
            return items.swap_remove(0);
        }
        let s = items[0].span().to(items[items.len() - 1].span());
        SearchExpr::Or(items, s)
    }

    fn stray_comma(&mut self, t: Tok) {
        self.warning(
            "spl-stray-comma",
            "a comma between search terms is ignored",
            span(t.start, t.end),
        )
        .help = Some("remove it; search terms are separated by spaces, AND or OR".into());
    }

    fn search_not(&mut self) -> Option<SearchExpr> {
        let mut nots = Vec::new();
        loop {
            let t = self.peek(Mode::Search);
            if !self.is_op_word(t, "NOT") {
                break;
            }
            if !self.enter(t.start) {
                for _ in 0..nots.len() {
                    self.exit();
                }
                return None;
            }
            self.bump(t);
            nots.push(t);
        }
        let atom = self.search_atom();
        for _ in 0..nots.len() {
            self.exit();
        }
        let Some(mut e) = atom else {
            if let Some(&t) = nots.last() {
                self.dangling(t);
            }
            return None;
        };
        for t in nots.into_iter().rev() {
            let s = span(t.start, t.end).to(e.span());
            e = SearchExpr::Not(Box::new(e), s);
        }
        Some(e)
    }

    /// One term; `None` without consuming at `)`, `OR`, `AND` or the end.
    fn search_atom(&mut self) -> Option<SearchExpr> {
        let t = self.peek(Mode::Search);
        match t.kind {
            Tk::Eof | Tk::RParen | Tk::Comma => None,
            Tk::Word if self.is_op_word(t, "OR") || self.is_op_word(t, "AND") => None,
            Tk::Word if self.stop_at_by && self.text(t).eq_ignore_ascii_case("by") => None,
            Tk::Word => {
                self.bump(t);
                let next = self.peek(Mode::Search);
                let text = self.text(t);
                if next.kind == Tk::LParen && next.start == t.end {
                    if let Some(kind) = self.indexed_kind(t) {
                        let (text, span) = self.indexed(kind, t);
                        return Some(SearchExpr::Indexed { kind, text, span });
                    }
                    if !text.eq_ignore_ascii_case("IN") {
                        self.unknown_search_function(t);
                    }
                }
                let field = || FieldName {
                    name: text.to_owned(),
                    quote: Quote::None,
                    span: span(t.start, t.end),
                };
                self.search_predicate(field)
                    .or_else(|| Some(SearchExpr::Term(self.word(t))))
            }
            Tk::Str => {
                self.bump(t);
                let s = self.str_lit(t);
                let field = || FieldName {
                    name: s.raw.clone(),
                    quote: Quote::Double,
                    span: s.span,
                };
                self.search_predicate(field).or(Some(SearchExpr::Phrase(s)))
            }
            Tk::Macro => {
                self.bump(t);
                Some(SearchExpr::Macro(self.macro_call(t)))
            }
            Tk::LParen => {
                if !self.enter(t.start) {
                    return None;
                }
                self.bump(t);
                let inner = self.search_seq(true);
                let close = self.peek(Mode::Search);
                if close.kind == Tk::RParen {
                    self.bump(close);
                } else {
                    self.unclosed_paren(t.start);
                }
                self.exit();
                let whole = span(t.start, self.lx.pos.max(t.end));
                let inner = inner.unwrap_or_else(|| {
                    self.warning("spl-empty-group", "empty parentheses", whole);
                    SearchExpr::And(Vec::new(), whole)
                });
                Some(SearchExpr::Group(Box::new(inner), whole))
            }
            Tk::Bracket => Some(SearchExpr::Subsearch(Box::new(self.subsearch(t, false)))),
            _ => {
                self.bump(t);
                if matches!(
                    t.kind,
                    Tk::Eq | Tk::Ne | Tk::Lt | Tk::Le | Tk::Gt | Tk::Ge | Tk::EqEq
                ) {
                    let op = self.text(t).to_owned();
                    self.error(
                        "spl-missing-field",
                        format!("`{op}` without a field name before it"),
                        span(t.start, t.end),
                    );
                } else {
                    self.unexpected(t);
                }
                None
            }
        }
    }

    /// `TERM`, `PREFIX` or `CASE` glued to a `(`.
    fn indexed_kind(&self, t: Tok) -> Option<IndexedKind> {
        if self.src.as_bytes().get(t.end) != Some(&b'(') {
            return None;
        }
        match self.text(t) {
            "TERM" => Some(IndexedKind::Term),
            "PREFIX" => Some(IndexedKind::Prefix),
            "CASE" => Some(IndexedKind::Case),
            _ => None,
        }
    }

    fn unknown_search_function(&mut self, t: Tok) {
        let text = self.text(t).to_owned();
        let hint = ["TERM", "PREFIX", "CASE"]
            .into_iter()
            .find(|k| text.len() > k.len() && text.ends_with(k))
            .map_or_else(
                || "search terms do not take arguments; put a space before `(`".to_owned(),
                |k| format!("did you mean `{k}(`?"),
            );
        self.error(
            "spl-unknown-search-function",
            format!("`{text}(` is not a search function"),
            span(t.start, t.end),
        )
        .help = Some(hint);
    }

    /// After a field (word or quoted): `=value`, `!=value`, `<value`, ..., or `IN (...)`.
    fn search_predicate(&mut self, field: impl FnOnce() -> FieldName) -> Option<SearchExpr> {
        let (op_tok, after) = self.peek2(Mode::Search);
        let op = match op_tok.kind {
            Tk::Eq => CompareOp::Eq,
            Tk::Ne => CompareOp::Ne,
            Tk::Lt => CompareOp::Lt,
            Tk::Le => CompareOp::Le,
            Tk::Gt => CompareOp::Gt,
            Tk::Ge => CompareOp::Ge,
            Tk::Word
                if after.kind == Tk::LParen && self.text(op_tok).eq_ignore_ascii_case("IN") =>
            {
                self.bump(after);
                let field = field();
                let values = self.search_in_list(after.start);
                let s = field.span.to(span(after.start, self.lx.pos));
                return Some(SearchExpr::In {
                    field,
                    values,
                    span: s,
                });
            }
            _ => return None,
        };
        self.bump(op_tok);
        let field = field();
        let value = self.value().unwrap_or_else(|| {
            self.error(
                "spl-missing-value",
                format!("`{}` without a value after it", op.as_str()),
                span(op_tok.start, op_tok.end),
            )
            .help =
                Some("write the value right after the operator, quoted if it holds spaces".into());
            Value::Word(Word {
                text: String::new(),
                span: span(op_tok.end, op_tok.end),
            })
        });
        let s = field
            .span
            .to(value.span())
            .to(span(op_tok.start, op_tok.end));
        Some(SearchExpr::Compare {
            field,
            op,
            value,
            span: s,
        })
    }

    /// The values of `IN (...)`, after the `(` at `open`.
    fn search_in_list(&mut self, open: usize) -> Vec<Value> {
        let mut values = Vec::new();
        loop {
            let t = self.peek(Mode::Search);
            match t.kind {
                Tk::Comma => self.bump(t),
                Tk::RParen => {
                    self.bump(t);
                    return values;
                }
                Tk::Word if let Some(kind) = self.indexed_kind(t) => {
                    self.bump(t);
                    let (text, span) = self.indexed(kind, t);
                    values.push(Value::Indexed { kind, text, span });
                }
                Tk::Word | Tk::Str | Tk::Macro => {
                    if let Some(v) = self.value() {
                        values.push(v);
                    }
                }
                Tk::Eof => {
                    self.unclosed_paren(open);
                    return values;
                }
                _ => {
                    self.bump(t);
                    self.unexpected(t);
                }
            }
        }
    }

    /// `TERM(...)` and friends: the text up to `)` as written; a space before `)` means the
    /// parenthesis was forgotten.
    fn indexed(&mut self, kind: IndexedKind, name: Tok) -> (String, Span) {
        let b = self.src.as_bytes();
        let open = name.end;
        let content_start = open + 1;
        let end = self.lx.end;
        let mut i = content_start;
        if b.get(i) == Some(&b'"') {
            i = crate::lexer::scan_string(&b[..end], i).0;
        }
        while i < end && b[i] != b')' && !b[i].is_ascii_whitespace() && b[i] != b'(' {
            i += 1;
        }
        // `TERM(BEGIN RSA)`: a space, but the `)` comes before any `(` or quote.
        let spaced = i < end && b[i].is_ascii_whitespace() && {
            let rest = &b[i..end];
            let close = rest.iter().position(|&c| c == b')');
            let other = rest.iter().position(|&c| matches!(c, b'(' | b'"' | b'`'));
            close.is_some_and(|c| other.is_none_or(|o| c < o))
        };
        if spaced {
            while b[i] != b')' {
                i += 1;
            }
        }
        let text = self.src.get(content_start..i).unwrap_or("").to_owned();
        let closed = i < end && b[i] == b')';
        let stop = if closed { i + 1 } else { i };
        self.lx.pos = stop;
        if spaced {
            self.warning(
                "spl-term-with-space",
                format!(
                    "`{}(...)` holds a space, so it can never match one indexed term",
                    kind.as_str()
                ),
                span(name.start, stop),
            )
            .help = Some(format!("search the phrase instead: \"{text}\""));
        } else if !closed {
            self.error(
                "spl-unclosed-term",
                format!("`{}(` is not closed before the next term", kind.as_str()),
                span(name.start, i),
            )
            .help = Some(format!(
                "close it right after the term: `{}({text})`",
                kind.as_str()
            ));
        } else if text.is_empty() {
            self.error(
                "spl-empty-term",
                format!("empty `{}()`", kind.as_str()),
                span(name.start, stop),
            );
        }
        (text, span(name.start, stop))
    }
}

/// One item stays itself; several are joined by `make`.
fn combine(
    mut items: Vec<SearchExpr>,
    make: fn(Vec<SearchExpr>, Span) -> SearchExpr,
) -> Option<SearchExpr> {
    match items.len() {
        0 => None,
        1 => items.pop(),
        _ => {
            let s = items[0].span().to(items[items.len() - 1].span());
            Some(make(items, s))
        }
    }
}
