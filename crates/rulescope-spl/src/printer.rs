//! Prints a tree back to canonical SPL: single spaces, ` | ` between stages, `, ` in lists,
//! operators in upper case. Parsing the output gives the same tree (spans aside).

use crate::ast::*;

/// Prints a pipeline as canonical SPL.
pub fn print(pipeline: &Pipeline) -> String {
    let mut out = String::with_capacity(256);
    pipeline_to(&mut out, pipeline);
    out
}

fn pipeline_to(out: &mut String, p: &Pipeline) {
    for (i, stage) in p.stages.iter().enumerate() {
        if stage.piped {
            out.push_str(if i == 0 { "| " } else { " | " });
        } else if i > 0 {
            out.push(' ');
        }
        command(out, &stage.command);
    }
}

fn sep_list<T>(out: &mut String, items: &[T], sep: &str, mut f: impl FnMut(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        f(out, item);
    }
}

fn word(out: &mut String, w: &Word) {
    out.push_str(&w.text);
}

fn space(out: &mut String) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
}

fn string(out: &mut String, s: &StrLit) {
    out.push('"');
    out.push_str(&s.raw);
    out.push('"');
}

pub(crate) fn macro_call(out: &mut String, m: &MacroCall) {
    out.push('`');
    out.push_str(&m.name);
    if let Some(args) = &m.args {
        out.push('(');
        sep_list(out, args, ", ", |o, a| o.push_str(&a.text));
        out.push(')');
    }
    out.push('`');
}

fn field(out: &mut String, f: &FieldName) {
    match f.quote {
        Quote::None => out.push_str(&f.name),
        Quote::Double => {
            out.push('"');
            out.push_str(&f.name);
            out.push('"');
        }
        Quote::Single => {
            out.push('\'');
            out.push_str(&f.name);
            out.push('\'');
        }
    }
}

fn value(out: &mut String, v: &Value) {
    match v {
        Value::Word(w) => word(out, w),
        Value::Str(s) => string(out, s),
        Value::Macro(m) => macro_call(out, m),
        Value::Indexed { kind, text, .. } => indexed(out, *kind, text),
    }
}

fn option(out: &mut String, o: &CmdOption) {
    match o {
        CmdOption::Pair { key, value: v, .. } => {
            word(out, key);
            out.push('=');
            value(out, v);
        }
        CmdOption::Macro(m) => macro_call(out, m),
    }
}

fn options(out: &mut String, opts: &[CmdOption]) {
    for o in opts {
        space(out);
        option(out, o);
    }
}

fn field_item(out: &mut String, f: &FieldItem) {
    match f {
        FieldItem::Field(f) => field(out, f),
        FieldItem::Macro(m) => macro_call(out, m),
    }
}

fn field_items(out: &mut String, items: &[FieldItem]) {
    if !items.is_empty() {
        space(out);
        sep_list(out, items, ", ", field_item);
    }
}

fn subsearch(out: &mut String, s: &Subsearch) {
    out.push_str("[ ");
    pipeline_to(out, &s.pipeline);
    out.push_str(" ]");
}

fn command(out: &mut String, c: &Command) {
    match c {
        Command::Search(s) => {
            if let Some(k) = &s.keyword {
                word(out, k);
            }
            if let Some(e) = &s.expr {
                space(out);
                search_expr(out, e);
            }
        }
        Command::Where(w) => {
            out.push_str("where ");
            expr(out, &w.expr);
        }
        Command::Eval(e) => {
            out.push_str("eval ");
            sep_list(out, &e.assignments, ", ", |o, a| {
                field(o, &a.field);
                o.push_str(" = ");
                expr(o, &a.value);
            });
        }
        Command::Stats(s) => {
            word(out, &s.name);
            options(out, &s.options);
            aggregations(out, &s.aggregations);
            by(out, &s.by, &s.by_options);
        }
        Command::Tstats(t) => {
            out.push_str("tstats");
            options(out, &t.options);
            aggregations(out, &t.aggregations);
            if let Some(f) = &t.from {
                out.push_str(if t.from_datamodel {
                    " from datamodel="
                } else {
                    " from "
                });
                value(out, f);
            }
            if let Some(w) = &t.where_ {
                out.push_str(" where ");
                search_expr(out, w);
            }
            by(out, &t.by, &t.by_options);
        }
        Command::Fields(f) => {
            word(out, &f.name);
            if let Some(sign) = f.sign {
                out.push(' ');
                out.push(sign);
            }
            field_items(out, &f.fields);
        }
        Command::Rename(r) => {
            out.push_str("rename ");
            sep_list(out, &r.pairs, ", ", |o, p| {
                field(o, &p.from);
                o.push_str(" AS ");
                field(o, &p.to);
            });
        }
        Command::Bin(b) => {
            word(out, &b.name);
            options(out, &b.options);
            if let Some(f) = &b.field {
                space(out);
                field(out, f);
            }
            if let Some(a) = &b.alias {
                out.push_str(" AS ");
                field(out, a);
            }
        }
        Command::Rex(r) => {
            out.push_str("rex");
            options(out, &r.options);
            space(out);
            out.push_str(&r.pattern.raw);
        }
        Command::Regex(r) => {
            out.push_str("regex ");
            if let Some(f) = &r.field {
                field(out, f);
                out.push_str(if r.negated { "!=" } else { "=" });
            }
            out.push_str(&r.pattern.raw);
        }
        Command::Lookup(l) => {
            out.push_str("lookup");
            options(out, &l.options);
            space(out);
            word(out, &l.table);
            lookup_fields(out, &l.inputs);
            if let Some((kw, fields)) = &l.output {
                space(out);
                word(out, kw);
                lookup_fields(out, fields);
            }
        }
        Command::Inputlookup(i) => {
            out.push_str("inputlookup");
            options(out, &i.options);
            space(out);
            value(out, &i.table);
            if let Some(w) = &i.where_ {
                out.push_str(" where ");
                search_expr(out, w);
            }
        }
        Command::Sort(s) => {
            out.push_str("sort");
            if let Some(c) = &s.count {
                space(out);
                word(out, c);
            }
            space(out);
            sep_list(out, &s.keys, ", ", |o, k| {
                if let Some(sign) = k.sign {
                    o.push(sign);
                }
                match &k.func {
                    Some(f) => {
                        word(o, f);
                        o.push('(');
                        field(o, &k.field);
                        o.push(')');
                    }
                    None => field(o, &k.field),
                }
            });
            if let Some(d) = &s.desc {
                space(out);
                word(out, d);
            }
        }
        Command::Convert(c) => {
            out.push_str("convert");
            options(out, &c.options);
            space(out);
            sep_list(out, &c.conversions, ", ", |o, c| {
                word(o, &c.func);
                o.push('(');
                field(o, &c.field);
                o.push(')');
                if let Some(a) = &c.alias {
                    o.push_str(" AS ");
                    field(o, a);
                }
            });
        }
        Command::Join(j) => {
            word(out, &j.name);
            options(out, &j.options);
            field_items(out, &j.fields);
            if let Some(s) = &j.subsearch {
                space(out);
                subsearch(out, s);
            }
        }
        Command::Foreach(f) => {
            out.push_str("foreach");
            field_items(out, &f.fields);
            options(out, &f.options);
            space(out);
            subsearch(out, &f.body);
        }
        Command::Args(a) => {
            word(out, &a.name);
            if let Some(c) = &a.count {
                space(out);
                word(out, c);
            }
            options(out, &a.options);
            field_items(out, &a.fields);
            if !a.by.is_empty() {
                out.push_str(" by");
                field_items(out, &a.by);
            }
        }
        Command::Macro(m) => macro_call(out, m),
        Command::Generic(g) => {
            word(out, &g.name);
            generic_args(out, &g.args);
        }
    }
}

fn generic_args(out: &mut String, args: &[GenericArg]) {
    for a in args {
        if !matches!(a, GenericArg::Comma(_)) {
            space(out);
        }
        match a {
            GenericArg::Word(w) | GenericArg::Operator(w) => word(out, w),
            GenericArg::Str(s) => string(out, s),
            GenericArg::Macro(m) => macro_call(out, m),
            GenericArg::Option(o) => option(out, o),
            GenericArg::Group(items, _) => {
                out.push('(');
                let start = out.len();
                generic_args(out, items);
                // The group's first item need not be separated from `(`.
                if out[start..].starts_with(' ') {
                    out.remove(start);
                }
                out.push(')');
            }
            GenericArg::Subsearch(s) => subsearch(out, s),
            GenericArg::Comma(_) => out.push(','),
        }
    }
}

fn lookup_fields(out: &mut String, fields: &[LookupField]) {
    if fields.is_empty() {
        return;
    }
    space(out);
    sep_list(out, fields, ", ", |o, f| {
        field(o, &f.field);
        if let Some(a) = &f.alias {
            o.push_str(" AS ");
            field(o, a);
        }
    });
}

fn aggregations(out: &mut String, aggs: &[Aggregation]) {
    if aggs.is_empty() {
        return;
    }
    space(out);
    sep_list(out, aggs, ", ", |o, a| {
        word(o, &a.func);
        if let Some(args) = &a.args {
            o.push('(');
            sep_list(o, args, ", ", |o, arg| match arg {
                AggArg::Field(f) => field(o, f),
                AggArg::Eval(e, _) => {
                    o.push_str("eval(");
                    expr(o, e);
                    o.push(')');
                }
            });
            o.push(')');
        }
        if let Some(alias) = &a.alias {
            o.push_str(" AS ");
            field(o, alias);
        }
    });
}

fn by(out: &mut String, fields: &[FieldItem], opts: &[CmdOption]) {
    if !fields.is_empty() {
        out.push_str(" by");
        field_items(out, fields);
    }
    options(out, opts);
}

fn indexed(out: &mut String, kind: IndexedKind, text: &str) {
    out.push_str(kind.as_str());
    out.push('(');
    out.push_str(text);
    out.push(')');
}

/// Writes a search expression.
pub(crate) fn search_expr(out: &mut String, e: &SearchExpr) {
    match e {
        SearchExpr::And(items, _) => sep_list(out, items, " ", search_expr),
        SearchExpr::Or(items, _) => sep_list(out, items, " OR ", search_expr),
        SearchExpr::Not(inner, _) => {
            out.push_str("NOT ");
            search_expr(out, inner);
        }
        SearchExpr::Group(inner, _) => {
            out.push('(');
            search_expr(out, inner);
            out.push(')');
        }
        SearchExpr::Term(w) => word(out, w),
        SearchExpr::Phrase(s) => string(out, s),
        SearchExpr::Compare {
            field: f,
            op,
            value: v,
            ..
        } => {
            field(out, f);
            out.push_str(op.as_str());
            value(out, v);
        }
        SearchExpr::In {
            field: f, values, ..
        } => {
            field(out, f);
            out.push_str(" IN (");
            sep_list(out, values, ", ", value);
            out.push(')');
        }
        SearchExpr::Indexed { kind, text, .. } => indexed(out, *kind, text),
        SearchExpr::Macro(m) => macro_call(out, m),
        SearchExpr::Subsearch(s) => subsearch(out, s),
    }
}

/// Writes an eval/where expression.
pub(crate) fn expr(out: &mut String, e: &Expr) {
    match e {
        Expr::Field(f) => field(out, f),
        Expr::Str(s) => string(out, s),
        Expr::Num(w) => word(out, w),
        Expr::Call { name, args, .. } => {
            word(out, name);
            out.push('(');
            sep_list(out, args, ", ", expr);
            out.push(')');
        }
        Expr::Unary {
            op, expr: inner, ..
        } => {
            out.push_str(match op {
                UnaryOp::Not => "NOT ",
                UnaryOp::Bang => "!",
                UnaryOp::Neg => "-",
                UnaryOp::Plus => "+",
            });
            expr(out, inner);
        }
        Expr::Binary { op, lhs, rhs, .. } => {
            expr(out, lhs);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            expr(out, rhs);
        }
        Expr::In {
            expr: inner, list, ..
        } => {
            expr(out, inner);
            out.push_str(" IN (");
            sep_list(out, list, ", ", expr);
            out.push(')');
        }
        Expr::Paren(inner, _) => {
            out.push('(');
            expr(out, inner);
            out.push(')');
        }
        Expr::Macro(m) => macro_call(out, m),
        Expr::Error(_) => {}
    }
}
