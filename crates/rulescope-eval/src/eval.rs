//! eval/where expressions over a row, with Splunk's null and multivalue rules: a null
//! operand makes a comparison null (not true), comparisons and `match`/`like` on a
//! multivalue field hold when any value does, string functions take the first value.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use rulescope_spl::{BinaryOp, Expr, UnaryOp};

use crate::event::Fields;
use crate::regex::{Regex, RegexError};
use crate::value::{Value, cmp_text, parse_num};

/// The functions [`eval`] implements; anything else makes a rule not evaluable.
pub const FUNCTIONS: &[&str] = &[
    "if",
    "case",
    "coalesce",
    "isnull",
    "isnotnull",
    "null",
    "true",
    "false",
    "match",
    "like",
    "lower",
    "upper",
    "len",
    "substr",
    "replace",
    "tonumber",
    "tostring",
    "round",
    "floor",
    "ceiling",
    "ceil",
    "abs",
    "sqrt",
    "pi",
    "sin",
    "cos",
    "tan",
    "atan",
    "atan2",
    "asin",
    "acos",
    "pow",
    "exp",
    "ln",
    "log",
    "min",
    "max",
    "mvappend",
    "mvcount",
    "mvindex",
    "mvfilter",
    "mvdedup",
    "mvfind",
    "mvjoin",
    "split",
    "trim",
    "ltrim",
    "rtrim",
    "isnum",
    "isstr",
    "typeof",
    "validate",
];

/// Per-rule evaluation context: compiled regexes and the count of regexes that hit PCRE2's
/// match limit.
#[derive(Default)]
pub struct Ctx {
    /// By pattern; hashed with foldhash, as every `match()` call looks its pattern up.
    regexes: RefCell<HashMap<String, Result<Rc<Regex>, String>, foldhash::fast::RandomState>>,
    pub limit_hits: Cell<u64>,
    pub regex_errors: RefCell<Vec<String>>,
}

impl Ctx {
    /// The compiled regex for a pattern; compile errors are remembered and reported once.
    pub fn regex(&self, pattern: &str) -> Option<Rc<Regex>> {
        if let Some(r) = self.regexes.borrow().get(pattern) {
            return r.as_ref().ok().cloned();
        }
        let compiled = Regex::new(pattern).map(Rc::new);
        if let Err(e) = &compiled {
            self.regex_errors.borrow_mut().push(e.clone());
        }
        let out = compiled.as_ref().ok().cloned();
        self.regexes
            .borrow_mut()
            .insert(pattern.to_owned(), compiled);
        out
    }

    /// Runs a regex search, counting a match-limit hit as no match.
    pub fn is_match(&self, re: &Regex, text: &str) -> bool {
        match re.is_match(text) {
            Ok(m) => m,
            Err(RegexError::Limit) => {
                self.limit_hits.set(self.limit_hits.get() + 1);
                false
            }
        }
    }
}

/// Evaluates an expression over a row.
pub fn eval(expr: &Expr, row: &Fields, ctx: &Ctx) -> Value {
    match expr {
        Expr::Field(f) => row.get(&f.name).cloned().unwrap_or(Value::Null),
        Expr::Str(s) => Value::Str(s.value()),
        Expr::Num(w) => parse_num(&w.text).map_or(Value::Null, Value::Num),
        Expr::Paren(e, _) => eval(e, row, ctx),
        Expr::Unary { op, expr, .. } => {
            let v = eval(expr, row, ctx);
            match op {
                UnaryOp::Not | UnaryOp::Bang => match v {
                    Value::Bool(b) => Value::Bool(!b),
                    _ => Value::Null,
                },
                UnaryOp::Neg => v.to_num().map_or(Value::Null, |n| Value::Num(-n)),
                UnaryOp::Plus => v.to_num().map_or(Value::Null, Value::Num),
            }
        }
        Expr::Binary { op, lhs, rhs, .. } => binary(*op, lhs, rhs, row, ctx),
        Expr::In { expr, list, .. } => {
            let v = eval(expr, row, ctx);
            if v.is_null() {
                return Value::Null;
            }
            let hit = list.iter().any(|item| {
                let w = eval(item, row, ctx);
                v.any_text(|a| w.any_text(|b| a == b))
            });
            Value::Bool(hit)
        }
        Expr::Call { name, args, .. } => call(&name.text.to_ascii_lowercase(), args, row, ctx),
        // The planner refuses rules with unexpanded macros or parse errors.
        Expr::Macro(_) | Expr::Error(_) => Value::Null,
    }
}

fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn binary(op: BinaryOp, lhs: &Expr, rhs: &Expr, row: &Fields, ctx: &Ctx) -> Value {
    match op {
        BinaryOp::And => {
            let a = bool_of(&eval(lhs, row, ctx));
            if a == Some(false) {
                return Value::Bool(false);
            }
            match (a, bool_of(&eval(rhs, row, ctx))) {
                (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            }
        }
        BinaryOp::Or => {
            let a = bool_of(&eval(lhs, row, ctx));
            if a == Some(true) {
                return Value::Bool(true);
            }
            match (a, bool_of(&eval(rhs, row, ctx))) {
                (_, Some(true)) => Value::Bool(true),
                (Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            }
        }
        BinaryOp::Xor => match (bool_of(&eval(lhs, row, ctx)), bool_of(&eval(rhs, row, ctx))) {
            (Some(a), Some(b)) => Value::Bool(a ^ b),
            _ => Value::Null,
        },
        _ => {
            let (a, b) = (eval(lhs, row, ctx), eval(rhs, row, ctx));
            arith_or_compare(op, &a, &b, ctx)
        }
    }
}

fn arith_or_compare(op: BinaryOp, a: &Value, b: &Value, _ctx: &Ctx) -> Value {
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    let cmp = |pred: fn(std::cmp::Ordering) -> bool| {
        Value::Bool(a.any_text(|x| b.any_text(|y| pred(compare(x, y)))))
    };
    match op {
        BinaryOp::Eq | BinaryOp::EqEq => cmp(|o| o.is_eq()),
        BinaryOp::Ne => Value::Bool(!a.any_text(|x| b.any_text(|y| compare(x, y).is_eq()))),
        BinaryOp::Lt => cmp(|o| o.is_lt()),
        BinaryOp::Le => cmp(|o| o.is_le()),
        BinaryOp::Gt => cmp(|o| o.is_gt()),
        BinaryOp::Ge => cmp(|o| o.is_ge()),
        BinaryOp::Like => {
            let pattern = b.to_text().unwrap_or_default();
            Value::Bool(a.any_text(|x| like(x, &pattern)))
        }
        BinaryOp::Concat => Value::Str(format!(
            "{}{}",
            a.to_text().unwrap_or_default(),
            b.to_text().unwrap_or_default()
        )),
        BinaryOp::Add => match (a.to_num(), b.to_num()) {
            (Some(x), Some(y)) => Value::Num(x + y),
            // `+` on strings concatenates.
            _ => Value::Str(format!(
                "{}{}",
                a.to_text().unwrap_or_default(),
                b.to_text().unwrap_or_default()
            )),
        },
        BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            match (a.to_num(), b.to_num()) {
                (Some(x), Some(y)) => match op {
                    BinaryOp::Sub => Value::Num(x - y),
                    BinaryOp::Mul => Value::Num(x * y),
                    BinaryOp::Div if y != 0.0 => Value::Num(x / y),
                    BinaryOp::Mod if y != 0.0 => Value::Num(x % y),
                    _ => Value::Null,
                },
                _ => Value::Null,
            }
        }
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => Value::Null,
    }
}

/// Numbers compare numerically, anything else as case-sensitive strings.
fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    cmp_text(a, b)
}

/// SQL LIKE: `%` any run, `_` one character; case-sensitive, whole string.
pub fn like(text: &str, pattern: &str) -> bool {
    let (t, p): (Vec<char>, Vec<char>) = (text.chars().collect(), pattern.chars().collect());
    crate::value::wildcard_match(&p, &t, '%', |p, t| p == '_' || p == t)
}

fn text_arg(args: &[Expr], i: usize, row: &Fields, ctx: &Ctx) -> Option<String> {
    args.get(i).and_then(|e| eval(e, row, ctx).to_text())
}

fn num_arg(args: &[Expr], i: usize, row: &Fields, ctx: &Ctx) -> Option<f64> {
    args.get(i).and_then(|e| eval(e, row, ctx).to_num())
}

fn math(args: &[Expr], row: &Fields, ctx: &Ctx, f: impl Fn(f64) -> f64) -> Value {
    num_arg(args, 0, row, ctx)
        .map(f)
        .filter(|n| n.is_finite())
        .map_or(Value::Null, Value::Num)
}

fn call(name: &str, args: &[Expr], row: &Fields, ctx: &Ctx) -> Value {
    let arg = |i: usize| args.get(i).map_or(Value::Null, |e| eval(e, row, ctx));
    match name {
        "if" => match bool_of(&arg(0)) {
            Some(true) => arg(1),
            _ => arg(2),
        },
        "case" => {
            for pair in args.chunks(2) {
                if let [cond, value] = pair
                    && eval(cond, row, ctx).is_true()
                {
                    return eval(value, row, ctx);
                }
            }
            Value::Null
        }
        "coalesce" => args
            .iter()
            .map(|e| eval(e, row, ctx))
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null),
        "isnull" => Value::Bool(arg(0).is_null()),
        "isnotnull" => Value::Bool(!arg(0).is_null()),
        "null" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "isnum" => Value::Bool(matches!(arg(0), Value::Num(_))),
        "isstr" => Value::Bool(matches!(arg(0), Value::Str(_) | Value::Multi(_))),
        "typeof" => Value::str(match arg(0) {
            Value::Null => "Invalid",
            Value::Num(_) => "Number",
            Value::Bool(_) => "Boolean",
            _ => "String",
        }),
        "validate" => {
            for pair in args.chunks(2) {
                if let [cond, value] = pair
                    && !eval(cond, row, ctx).is_true()
                {
                    return eval(value, row, ctx);
                }
            }
            Value::Null
        }
        "match" => {
            let (v, pattern) = (arg(0), text_arg(args, 1, row, ctx));
            match (v.is_null(), pattern.and_then(|p| ctx.regex(&p))) {
                (false, Some(re)) => Value::Bool(v.any_text(|t| ctx.is_match(&re, t))),
                _ => Value::Null,
            }
        }
        "like" => {
            let (v, pattern) = (arg(0), text_arg(args, 1, row, ctx));
            match pattern {
                Some(p) if !v.is_null() => Value::Bool(v.any_text(|t| like(t, &p))),
                _ => Value::Null,
            }
        }
        "lower" | "upper" | "trim" | "ltrim" | "rtrim" | "len" => {
            let Some(t) = text_arg(args, 0, row, ctx) else {
                return Value::Null;
            };
            let chars = text_arg(args, 1, row, ctx);
            let strip = |c: char| match &chars {
                Some(set) => set.contains(c),
                None => c.is_whitespace(),
            };
            match name {
                "lower" => Value::Str(t.to_lowercase()),
                "upper" => Value::Str(t.to_uppercase()),
                "trim" => Value::str(t.trim_matches(strip)),
                "ltrim" => Value::str(t.trim_start_matches(strip)),
                "rtrim" => Value::str(t.trim_end_matches(strip)),
                _ => Value::Num(t.chars().count() as f64),
            }
        }
        "substr" => {
            let (Some(t), Some(start)) = (text_arg(args, 0, row, ctx), num_arg(args, 1, row, ctx))
            else {
                return Value::Null;
            };
            let chars: Vec<char> = t.chars().collect();
            let len = chars.len() as i64;
            // 1-based; a negative start counts from the end.
            let from = if start < 0.0 {
                (len + start as i64).max(0)
            } else {
                (start as i64 - 1).max(0)
            };
            let count = num_arg(args, 2, row, ctx).map_or(len, |n| n.max(0.0) as i64);
            let from = from.min(len) as usize;
            let to = (from as i64 + count).min(len) as usize;
            Value::Str(chars[from..to].iter().collect())
        }
        "replace" => {
            let (Some(t), Some(p), Some(r)) = (
                text_arg(args, 0, row, ctx),
                text_arg(args, 1, row, ctx),
                text_arg(args, 2, row, ctx),
            ) else {
                return Value::Null;
            };
            match ctx.regex(&p) {
                Some(re) => match re.replace_all(&t, &r) {
                    Ok(s) => Value::Str(s),
                    Err(RegexError::Limit) => {
                        ctx.limit_hits.set(ctx.limit_hits.get() + 1);
                        Value::Str(t)
                    }
                },
                None => Value::Null,
            }
        }
        "tonumber" => {
            let Some(t) = text_arg(args, 0, row, ctx) else {
                return Value::Null;
            };
            let base = num_arg(args, 1, row, ctx).unwrap_or(10.0) as u32;
            if base == 10 {
                parse_num(&t).map_or(Value::Null, Value::Num)
            } else {
                let digits = t.trim().trim_start_matches("0x").trim_start_matches("0X");
                i64::from_str_radix(digits, base.clamp(2, 36))
                    .map_or(Value::Null, |n| Value::Num(n as f64))
            }
        }
        "tostring" => match (arg(0), text_arg(args, 1, row, ctx).as_deref()) {
            (Value::Num(n), Some("hex")) => Value::Str(format!("0x{:x}", n as i64)),
            (v, _) => v.to_text().map_or(Value::Null, Value::Str),
        },
        "round" => {
            let digits = num_arg(args, 1, row, ctx).unwrap_or(0.0) as i32;
            let scale = 10f64.powi(digits);
            math(args, row, ctx, |n| (n * scale).round() / scale)
        }
        "floor" => math(args, row, ctx, f64::floor),
        "ceiling" | "ceil" => math(args, row, ctx, f64::ceil),
        "abs" => math(args, row, ctx, f64::abs),
        "sqrt" => math(args, row, ctx, f64::sqrt),
        "sin" => math(args, row, ctx, f64::sin),
        "cos" => math(args, row, ctx, f64::cos),
        "tan" => math(args, row, ctx, f64::tan),
        "atan" => math(args, row, ctx, f64::atan),
        "asin" => math(args, row, ctx, f64::asin),
        "acos" => math(args, row, ctx, f64::acos),
        "exp" => math(args, row, ctx, f64::exp),
        "ln" => math(args, row, ctx, f64::ln),
        "log" => {
            let base = num_arg(args, 1, row, ctx).unwrap_or(10.0);
            math(args, row, ctx, |n| n.log(base))
        }
        "pi" => Value::Num(std::f64::consts::PI),
        "atan2" | "pow" => match (num_arg(args, 0, row, ctx), num_arg(args, 1, row, ctx)) {
            (Some(a), Some(b)) => {
                let n = if name == "pow" { a.powf(b) } else { a.atan2(b) };
                if n.is_finite() {
                    Value::Num(n)
                } else {
                    Value::Null
                }
            }
            _ => Value::Null,
        },
        "min" | "max" => {
            let all: Vec<String> = args
                .iter()
                .flat_map(|e| eval(e, row, ctx).texts())
                .collect();
            let pick = if name == "min" {
                all.into_iter().min_by(|a, b| cmp_text(a, b))
            } else {
                all.into_iter().max_by(|a, b| cmp_text(a, b))
            };
            pick.map_or(Value::Null, |t| {
                parse_num(&t).map_or(Value::Str(t), Value::Num)
            })
        }
        "mvappend" => Value::from_list(
            args.iter()
                .flat_map(|e| eval(e, row, ctx).texts())
                .collect(),
        ),
        "mvcount" => match arg(0) {
            Value::Null => Value::Null,
            v => Value::Num(v.texts().len() as f64),
        },
        "mvindex" => {
            let values = arg(0).texts();
            let len = values.len() as i64;
            let fix = |i: f64| if i < 0.0 { len + i as i64 } else { i as i64 };
            let Some(start) = num_arg(args, 1, row, ctx).map(fix) else {
                return Value::Null;
            };
            let end = num_arg(args, 2, row, ctx).map_or(start, fix);
            if start < 0 || start >= len || end < start {
                return Value::Null;
            }
            Value::from_list(values[start as usize..=(end.min(len - 1)) as usize].to_vec())
        }
        "mvfilter" => mvfilter(args, row, ctx),
        "mvdedup" => {
            let mut seen = std::collections::HashSet::new();
            Value::from_list(
                arg(0)
                    .texts()
                    .into_iter()
                    .filter(|v| seen.insert(v.clone()))
                    .collect(),
            )
        }
        "mvfind" => {
            let (values, pattern) = (arg(0).texts(), text_arg(args, 1, row, ctx));
            match pattern.and_then(|p| ctx.regex(&p)) {
                Some(re) => values
                    .iter()
                    .position(|v| ctx.is_match(&re, v))
                    .map_or(Value::Null, |i| Value::Num(i as f64)),
                None => Value::Null,
            }
        }
        "mvjoin" => {
            let sep = text_arg(args, 1, row, ctx).unwrap_or_default();
            match arg(0) {
                Value::Null => Value::Null,
                v => Value::Str(v.texts().join(&sep)),
            }
        }
        "split" => {
            let (Some(t), Some(sep)) = (text_arg(args, 0, row, ctx), text_arg(args, 1, row, ctx))
            else {
                return Value::Null;
            };
            if sep.is_empty() {
                return Value::from_list(t.chars().map(String::from).collect());
            }
            Value::from_list(t.split(sep.as_str()).map(str::to_owned).collect())
        }
        _ => Value::Null,
    }
}

/// `mvfilter(expr)`: keeps the values of the one field `expr` names for which it is true.
fn mvfilter(args: &[Expr], row: &Fields, ctx: &Ctx) -> Value {
    let Some(expr) = args.first() else {
        return Value::Null;
    };
    let Some(field) = first_field(expr) else {
        return Value::Null;
    };
    let values = row.get(&field).map(Value::texts).unwrap_or_default();
    let mut scratch = row.clone();
    let kept = values
        .into_iter()
        .filter(|v| {
            scratch.insert(field.clone(), Value::Str(v.clone()));
            eval(expr, &scratch, ctx).is_true()
        })
        .collect();
    Value::from_list(kept)
}

fn first_field(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Field(f) => Some(f.name.clone()),
        Expr::Call { args, .. } => args.iter().find_map(first_field),
        Expr::Unary { expr, .. } | Expr::Paren(expr, _) => first_field(expr),
        Expr::Binary { lhs, rhs, .. } => first_field(lhs).or_else(|| first_field(rhs)),
        Expr::In { expr, .. } => first_field(expr),
        _ => None,
    }
}
