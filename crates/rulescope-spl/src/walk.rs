//! Walking a tree: a [`Visitor`] is called for every stage, search expression, eval/where
//! expression and macro call, subsearches included, in source order.

use crate::ast::*;

/// Callbacks for [`walk`]; each does nothing by default. `'p` is the tree's lifetime, so a
/// visitor may keep references to the nodes it sees.
pub trait Visitor<'p> {
    fn stage(&mut self, _stage: &'p Stage) {}
    fn search_expr(&mut self, _expr: &'p SearchExpr) {}
    fn expr(&mut self, _expr: &'p Expr) {}
    fn macro_call(&mut self, _call: &'p MacroCall) {}
}

/// Visits every node of `pipeline`.
pub fn walk<'p>(pipeline: &'p Pipeline, v: &mut impl Visitor<'p>) {
    for stage in &pipeline.stages {
        v.stage(stage);
        command(&stage.command, v);
    }
}

/// Every macro call in the tree, in source order.
pub fn macro_calls(pipeline: &Pipeline) -> Vec<&MacroCall> {
    struct Collect<'p>(Vec<&'p MacroCall>);
    impl<'p> Visitor<'p> for Collect<'p> {
        fn macro_call(&mut self, call: &'p MacroCall) {
            self.0.push(call);
        }
    }
    let mut c = Collect(Vec::new());
    walk(pipeline, &mut c);
    c.0
}

/// A direct child of a command.
enum Child<'p> {
    Pipeline(&'p Pipeline),
    Search(&'p SearchExpr),
    Expr(&'p Expr),
    Macro(&'p MacroCall),
}

fn options_children<'p>(opts: &'p [CmdOption], f: &mut impl FnMut(Child<'p>)) {
    for o in opts {
        match o {
            CmdOption::Macro(m)
            | CmdOption::Pair {
                value: Value::Macro(m),
                ..
            } => f(Child::Macro(m)),
            CmdOption::Pair { .. } => {}
        }
    }
}

fn fields_children<'p>(items: &'p [FieldItem], f: &mut impl FnMut(Child<'p>)) {
    for i in items {
        if let FieldItem::Macro(m) = i {
            f(Child::Macro(m));
        }
    }
}

fn aggs_children<'p>(aggs: &'p [Aggregation], f: &mut impl FnMut(Child<'p>)) {
    for a in aggs {
        for arg in a.args.iter().flatten() {
            if let AggArg::Eval(e, _) = arg {
                f(Child::Expr(e));
            }
        }
    }
}

fn generic_children<'p>(args: &'p [GenericArg], f: &mut impl FnMut(Child<'p>)) {
    for a in args {
        match a {
            GenericArg::Macro(m) => f(Child::Macro(m)),
            GenericArg::Option(o) => options_children(std::slice::from_ref(o), f),
            GenericArg::Group(items, _) => generic_children(items, f),
            GenericArg::Subsearch(s) => f(Child::Pipeline(&s.pipeline)),
            _ => {}
        }
    }
}

/// Calls `f` for each direct child of a command (not for the command's own macro).
fn children<'p>(c: &'p Command, f: &mut impl FnMut(Child<'p>)) {
    match c {
        Command::Search(s) => {
            if let Some(e) = &s.expr {
                f(Child::Search(e));
            }
        }
        Command::Where(w) => f(Child::Expr(&w.expr)),
        Command::Eval(e) => e.assignments.iter().for_each(|a| f(Child::Expr(&a.value))),
        Command::Stats(s) => {
            options_children(&s.options, f);
            aggs_children(&s.aggregations, f);
            fields_children(&s.by, f);
            options_children(&s.by_options, f);
        }
        Command::Tstats(t) => {
            options_children(&t.options, f);
            aggs_children(&t.aggregations, f);
            if let Some(Value::Macro(m)) = &t.from {
                f(Child::Macro(m));
            }
            if let Some(w) = &t.where_ {
                f(Child::Search(w));
            }
            fields_children(&t.by, f);
            options_children(&t.by_options, f);
        }
        Command::Fields(c) => fields_children(&c.fields, f),
        Command::Bin(b) => options_children(&b.options, f),
        Command::Rex(r) => options_children(&r.options, f),
        Command::Lookup(l) => options_children(&l.options, f),
        Command::Inputlookup(i) => {
            options_children(&i.options, f);
            if let Some(w) = &i.where_ {
                f(Child::Search(w));
            }
        }
        Command::Convert(c) => options_children(&c.options, f),
        Command::Join(j) => {
            options_children(&j.options, f);
            fields_children(&j.fields, f);
            if let Some(s) = &j.subsearch {
                f(Child::Pipeline(&s.pipeline));
            }
        }
        Command::Foreach(fe) => {
            fields_children(&fe.fields, f);
            options_children(&fe.options, f);
            f(Child::Pipeline(&fe.body.pipeline));
        }
        Command::Args(a) => {
            options_children(&a.options, f);
            fields_children(&a.fields, f);
            fields_children(&a.by, f);
        }
        Command::Generic(g) => generic_children(&g.args, f),
        Command::Macro(_) | Command::Rename(_) | Command::Regex(_) | Command::Sort(_) => {}
    }
}

fn command<'p>(c: &'p Command, v: &mut impl Visitor<'p>) {
    if let Command::Macro(m) = c {
        v.macro_call(m);
    }
    children(c, &mut |child| match child {
        Child::Pipeline(p) => walk(p, v),
        Child::Search(e) => search_expr(e, v),
        Child::Expr(e) => expr(e, v),
        Child::Macro(m) => v.macro_call(m),
    });
}

fn search_expr<'p>(e: &'p SearchExpr, v: &mut impl Visitor<'p>) {
    v.search_expr(e);
    match e {
        SearchExpr::And(items, _) | SearchExpr::Or(items, _) => {
            items.iter().for_each(|i| search_expr(i, v))
        }
        SearchExpr::Not(i, _) | SearchExpr::Group(i, _) => search_expr(i, v),
        SearchExpr::Macro(m) => v.macro_call(m),
        SearchExpr::Compare {
            value: Value::Macro(m),
            ..
        } => v.macro_call(m),
        SearchExpr::In { values, .. } => values.iter().for_each(|val| {
            if let Value::Macro(m) = val {
                v.macro_call(m);
            }
        }),
        SearchExpr::Subsearch(s) => walk(&s.pipeline, v),
        _ => {}
    }
}

fn expr<'p>(e: &'p Expr, v: &mut impl Visitor<'p>) {
    v.expr(e);
    match e {
        Expr::Macro(m) => v.macro_call(m),
        Expr::Call { args, .. } => args.iter().for_each(|a| expr(a, v)),
        Expr::Unary { expr: inner, .. } | Expr::Paren(inner, _) => expr(inner, v),
        Expr::Binary { lhs, rhs, .. } => {
            expr(lhs, v);
            expr(rhs, v);
        }
        Expr::In {
            expr: inner, list, ..
        } => {
            expr(inner, v);
            list.iter().for_each(|a| expr(a, v));
        }
        _ => {}
    }
}
