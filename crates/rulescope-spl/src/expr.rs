//! eval/where expressions: a Pratt parser. Precedence, loosest first: XOR, OR, AND, NOT,
//! comparisons (`=`, `==`, `!=`, `<`, ..., LIKE, IN), `+ - .`, `* / %`, prefix `- + !`.
//! Operator words are case-insensitive here, unlike in a search.

use crate::ast::*;
use crate::lexer::{Mode, Tk, Tok};
use crate::parser::{Parser, span};

/// Known eval functions and their argument counts (min, max); `u8::MAX` is "any number".
const FUNCTIONS: &[(&str, u8, u8)] = &[
    ("abs", 1, 1),
    ("acos", 1, 1),
    ("asin", 1, 1),
    ("atan", 1, 1),
    ("atan2", 2, 2),
    ("case", 2, u8::MAX),
    ("ceil", 1, 1),
    ("ceiling", 1, 1),
    ("cidrmatch", 2, 2),
    ("coalesce", 1, u8::MAX),
    ("cos", 1, 1),
    ("exact", 1, 1),
    ("exp", 1, 1),
    ("false", 0, 0),
    ("floor", 1, 1),
    ("if", 3, 3),
    ("in", 2, u8::MAX),
    ("isbool", 1, 1),
    ("isint", 1, 1),
    ("isnotnull", 1, 1),
    ("isnull", 1, 1),
    ("isnum", 1, 1),
    ("isstr", 1, 1),
    ("json_extract", 1, u8::MAX),
    ("len", 1, 1),
    ("like", 2, 2),
    ("ln", 1, 1),
    ("log", 1, 2),
    ("lower", 1, 1),
    ("ltrim", 1, 2),
    ("match", 2, 2),
    ("max", 1, u8::MAX),
    ("md5", 1, 1),
    ("min", 1, u8::MAX),
    ("mvappend", 1, u8::MAX),
    ("mvcount", 1, 1),
    ("mvdedup", 1, 1),
    ("mvfilter", 1, 1),
    ("mvfind", 2, 2),
    ("mvindex", 2, 3),
    ("mvjoin", 2, 2),
    ("mvrange", 2, 3),
    ("mvsort", 1, 1),
    ("mvzip", 2, 3),
    ("now", 0, 0),
    ("null", 0, 0),
    ("nullif", 2, 2),
    ("pi", 0, 0),
    ("pow", 2, 2),
    ("printf", 1, u8::MAX),
    ("random", 0, 0),
    ("relative_time", 2, 2),
    ("replace", 3, 3),
    ("round", 1, 2),
    ("rtrim", 1, 2),
    ("searchmatch", 1, 1),
    ("sha1", 1, 1),
    ("sha256", 1, 1),
    ("sha512", 1, 1),
    ("sigfig", 1, 1),
    ("sin", 1, 1),
    ("spath", 2, 2),
    ("split", 2, 2),
    ("sqrt", 1, 1),
    ("strftime", 2, 2),
    ("strptime", 2, 2),
    ("substr", 2, 3),
    ("tan", 1, 1),
    ("time", 0, 0),
    ("tonumber", 1, 2),
    ("tostring", 1, 2),
    ("trim", 1, 2),
    ("true", 0, 0),
    ("typeof", 1, 1),
    ("upper", 1, 1),
    ("urldecode", 1, 1),
    ("validate", 2, u8::MAX),
];

/// The argument counts of a known eval function.
pub fn function_arity(name: &str) -> Option<(u8, u8)> {
    FUNCTIONS
        .binary_search_by(|(n, _, _)| n.cmp(&name))
        .ok()
        .map(|i| (FUNCTIONS[i].1, FUNCTIONS[i].2))
}

enum Infix {
    Bin(BinaryOp),
    In,
}

impl<'a> Parser<'a> {
    /// A full expression, recovering from tokens that do not continue it (reported) until
    /// the end of the window or one of `stops`.
    pub fn expr_top(&mut self, stops: &[Tk]) -> Expr {
        let mut e = self.expr(0);
        loop {
            let t = self.peek(Mode::Expr);
            if t.kind == Tk::Eof || stops.contains(&t.kind) {
                return e;
            }
            self.bump(t);
            let text = self.text(t);
            match t.kind {
                Tk::RParen => self.unexpected(t),
                Tk::Word
                    if ["contains", "startswith", "endswith", "matches"]
                        .iter()
                        .any(|w| text.eq_ignore_ascii_case(w)) =>
                {
                    self.error(
                        "spl-unknown-operator",
                        format!("`{text}` is not an SPL operator"),
                        span(t.start, t.end),
                    )
                    .help =
                        Some(r#"use `like(field, "%text%")` or `match(field, "regex")`"#.into());
                    self.skip_operand();
                }
                Tk::Comma => {
                    self.error(
                        "spl-unexpected-token",
                        "unexpected `,`",
                        span(t.start, t.end),
                    );
                }
                _ => {
                    let text = text.to_owned();
                    self.error(
                        "spl-expected-operator",
                        format!("expected an operator before `{text}`"),
                        span(t.start, t.end),
                    );
                }
            }
            e = self.expr_infix(e, 0);
        }
    }

    /// Skips the operand after a reported bad operator, when there is one.
    fn skip_operand(&mut self) {
        let t = self.peek(Mode::Expr);
        if matches!(
            t.kind,
            Tk::Word
                | Tk::Number
                | Tk::Str
                | Tk::SingleQuoted
                | Tk::LParen
                | Tk::Macro
                | Tk::Minus
                | Tk::Bang
        ) && self.infix_op(t).is_none()
        {
            self.expr(PREFIX_BP);
        }
    }

    pub fn expr(&mut self, min_bp: u8) -> Expr {
        let at = self.peek(Mode::Expr).start;
        if !self.enter(at) {
            return Expr::Error(span(at, at));
        }
        let lhs = self.expr_prefix();
        let e = self.expr_infix(lhs, min_bp);
        self.exit();
        e
    }

    fn expr_infix(&mut self, mut lhs: Expr, min_bp: u8) -> Expr {
        loop {
            let t = self.peek(Mode::Expr);
            let Some((op, len)) = self.infix_op(t) else {
                return lhs;
            };
            let bp = match op {
                Infix::Bin(op) => op.precedence(),
                Infix::In => IN_BP,
            };
            if bp < min_bp {
                return lhs;
            }
            if len < t.end - t.start {
                self.glued(t, len);
            }
            self.lx.pos = t.start + len;
            lhs = match op {
                Infix::Bin(op) => {
                    let rhs = self.expr(bp + 1);
                    let s = lhs.span().to(rhs.span());
                    Expr::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                        span: s,
                    }
                }
                Infix::In => {
                    let open = self.peek(Mode::Expr);
                    self.bump(open);
                    let list = self.expr_args(open.start);
                    let s = lhs.span().to(span(t.start, self.lx.pos));
                    Expr::In {
                        expr: Box::new(lhs),
                        list,
                        span: s,
                    }
                }
            };
        }
    }

    /// The operator at `t`, and how many of its bytes it takes (less than the token for an
    /// operator glued to a function name, `ANDmatch(`).
    fn infix_op(&self, t: Tok) -> Option<(Infix, usize)> {
        let op = match t.kind {
            Tk::Eq => BinaryOp::Eq,
            Tk::EqEq => BinaryOp::EqEq,
            Tk::Ne => BinaryOp::Ne,
            Tk::Lt => BinaryOp::Lt,
            Tk::Le => BinaryOp::Le,
            Tk::Gt => BinaryOp::Gt,
            Tk::Ge => BinaryOp::Ge,
            Tk::Plus => BinaryOp::Add,
            Tk::Minus => BinaryOp::Sub,
            Tk::Star => BinaryOp::Mul,
            Tk::Slash => BinaryOp::Div,
            Tk::Percent => BinaryOp::Mod,
            Tk::Dot => BinaryOp::Concat,
            Tk::Word => {
                let text = self.text(t);
                let len = text.len();
                let word = |op| Some((Infix::Bin(op), len));
                let is = |w: &str| text.eq_ignore_ascii_case(w);
                return match () {
                    _ if is("and") => word(BinaryOp::And),
                    _ if is("or") => word(BinaryOp::Or),
                    _ if is("xor") => word(BinaryOp::Xor),
                    _ if is("like") => word(BinaryOp::Like),
                    _ if is("in") && self.peek_after(t).kind == Tk::LParen => {
                        Some((Infix::In, len))
                    }
                    _ => {
                        let (op, n) = self.glued_operator(t, &["AND", "OR", "XOR"])?;
                        let op = match op {
                            "AND" => BinaryOp::And,
                            "OR" => BinaryOp::Or,
                            _ => BinaryOp::Xor,
                        };
                        Some((Infix::Bin(op), n))
                    }
                };
            }
            _ => return None,
        };
        Some((Infix::Bin(op), t.end - t.start))
    }

    fn peek_after(&self, t: Tok) -> Tok {
        let mut lx = self.lx.clone();
        lx.pos = t.end;
        lx.next(Mode::Expr)
    }

    /// `ANDmatch(`: an upper-case operator word glued to a known function call.
    fn glued_operator(&self, t: Tok, ops: &[&'static str]) -> Option<(&'static str, usize)> {
        let text = self.text(t);
        let op = *ops.iter().find(|op| text.starts_with(**op))?;
        let rest = &text[op.len()..];
        if function_arity(rest).is_none() || self.peek_after(t).kind != Tk::LParen {
            return None;
        }
        Some((op, op.len()))
    }

    fn glued(&mut self, t: Tok, len: usize) {
        let text = self.text(t);
        let (op, rest) = text.split_at(len);
        self.error(
            "spl-glued-operator",
            format!("operator `{op}` is glued to `{rest}`"),
            span(t.start, t.end),
        )
        .help = Some(format!("insert a space: `{op} {rest}(`"));
    }

    fn expr_prefix(&mut self) -> Expr {
        let t = self.peek(Mode::Expr);
        let whole = span(t.start, t.end);
        match t.kind {
            Tk::Number => {
                self.bump(t);
                Expr::Num(self.word(t))
            }
            Tk::Str => {
                self.bump(t);
                Expr::Str(self.str_lit(t))
            }
            Tk::SingleQuoted => {
                self.bump(t);
                if !t.closed {
                    self.error(
                        "spl-unterminated-field",
                        "single-quoted field name is never closed",
                        span(t.start, t.start + 1),
                    );
                }
                let end = if t.closed { t.end - 1 } else { t.end };
                Expr::Field(FieldName {
                    name: self.src.get(t.start + 1..end).unwrap_or("").to_owned(),
                    quote: Quote::Single,
                    span: whole,
                })
            }
            Tk::Macro => {
                self.bump(t);
                Expr::Macro(self.macro_call(t))
            }
            Tk::LParen => {
                self.bump(t);
                let inner = self.expr_top(&[Tk::RParen]);
                let close = self.peek(Mode::Expr);
                if close.kind == Tk::RParen {
                    self.bump(close);
                } else {
                    self.unclosed_paren(t.start);
                }
                Expr::Paren(Box::new(inner), span(t.start, self.lx.pos))
            }
            Tk::Minus | Tk::Plus | Tk::Bang => {
                self.bump(t);
                let op = match t.kind {
                    Tk::Minus => UnaryOp::Neg,
                    Tk::Plus => UnaryOp::Plus,
                    _ => UnaryOp::Bang,
                };
                self.unary(op, t, PREFIX_BP)
            }
            Tk::Word => {
                let text = self.text(t);
                if text.eq_ignore_ascii_case("not") {
                    self.bump(t);
                    return self.unary(UnaryOp::Not, t, NOT_OPERAND_BP);
                }
                if let Some((_, len)) = self.glued_operator(t, &["NOT"]) {
                    self.glued(t, len);
                    self.lx.pos = t.start + len;
                    return self.unary(UnaryOp::Not, t, NOT_OPERAND_BP);
                }
                self.bump(t);
                let next = self.peek(Mode::Expr);
                if next.kind == Tk::LParen {
                    self.bump(next);
                    let args = self.expr_args(next.start);
                    let call_span = span(t.start, self.lx.pos);
                    self.check_arity(text, args.len(), call_span);
                    return Expr::Call {
                        name: self.word(t),
                        args,
                        span: call_span,
                    };
                }
                Expr::Field(FieldName {
                    name: text.to_owned(),
                    quote: Quote::None,
                    span: whole,
                })
            }
            _ => {
                let found = if t.kind == Tk::Eof {
                    "the end of the expression".to_owned()
                } else {
                    format!("`{}`", self.text(t))
                };
                let at = if t.kind == Tk::Eof {
                    span(t.start.saturating_sub(1), t.start)
                } else {
                    whole
                };
                self.error(
                    "spl-expected-expression",
                    format!("expected an expression, found {found}"),
                    at,
                );
                if !matches!(t.kind, Tk::Eof | Tk::RParen | Tk::Comma) {
                    self.bump(t);
                }
                Expr::Error(at)
            }
        }
    }

    fn unary(&mut self, op: UnaryOp, t: Tok, bp: u8) -> Expr {
        let operand = self.expr(bp);
        let s = span(t.start, t.end).to(operand.span());
        Expr::Unary {
            op,
            expr: Box::new(operand),
            span: s,
        }
    }

    /// Comma-separated arguments after the `(` at `open`, through the `)`.
    fn expr_args(&mut self, open: usize) -> Vec<Expr> {
        let mut args = Vec::new();
        if !self.enter(open) {
            return args;
        }
        if self.peek(Mode::Expr).kind == Tk::RParen {
            let t = self.peek(Mode::Expr);
            self.bump(t);
            self.exit();
            return args;
        }
        loop {
            args.push(self.expr_top(&[Tk::RParen, Tk::Comma]));
            let t = self.peek(Mode::Expr);
            match t.kind {
                Tk::Comma => self.bump(t),
                Tk::RParen => {
                    self.bump(t);
                    break;
                }
                _ => {
                    self.unclosed_paren(open);
                    break;
                }
            }
        }
        self.exit();
        args
    }

    fn check_arity(&mut self, name: &str, found: usize, at: rulescope_model::Span) {
        let Some((min, max)) = function_arity(name) else {
            return;
        };
        if found < usize::from(min) || (max != u8::MAX && found > usize::from(max)) {
            let expected = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, u8::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            let plural = if expected == "1" { "" } else { "s" };
            self.error(
                "spl-function-arity",
                format!("`{name}()` takes {expected} argument{plural}, found {found}"),
                at,
            )
            .help = Some(arity_help(name));
        }
    }
}

fn arity_help(name: &str) -> String {
    match name {
        "match" => r#"write `match(field, "regex")`"#.into(),
        "like" => r#"write `like(field, "pattern%")`"#.into(),
        "if" => "write `if(condition, then, else)`".into(),
        _ => format!("check the arguments of `{name}()`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_table_is_sorted_for_binary_search() {
        assert!(FUNCTIONS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(function_arity("match"), Some((2, 2)));
        assert_eq!(function_arity("nosuch"), None);
    }
}
