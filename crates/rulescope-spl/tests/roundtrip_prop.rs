//! Property: for generated trees, `parse(print(tree)) == tree` up to spans, with no
//! diagnostics. The generators only build trees the parser can produce: a child that binds
//! looser than its place needs is wrapped in parentheses.

mod common;

use proptest::prelude::*;
use rulescope_spl::*;

fn sp() -> Span {
    Span::default()
}

fn word(text: String) -> Word {
    Word { text, span: sp() }
}

const RESERVED: &[&str] = &[
    "and", "or", "not", "xor", "like", "in", "search", "as", "by", "true", "false",
];

fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,6}".prop_filter("reserved", |s| !RESERVED.contains(&s.as_str()))
}

fn str_lit() -> impl Strategy<Value = StrLit> {
    "[a-zA-Z0-9 ._%*|()\\[\\]-]{0,8}".prop_map(|raw| StrLit { raw, span: sp() })
}

fn field(quote: Quote) -> impl Strategy<Value = FieldName> {
    ident().prop_map(move |name| FieldName {
        name,
        quote,
        span: sp(),
    })
}

fn macro_call() -> impl Strategy<Value = MacroCall> {
    (
        "[a-z_]{1,8}",
        prop::option::of(prop::collection::vec(
            "[a-z0-9]{1,4}|\"[a-z ,]{0,4}\"",
            0..3,
        )),
    )
        .prop_map(|(name, args)| MacroCall {
            name,
            args: args.map(|a| {
                a.into_iter()
                    .map(|text| MacroArg { text, span: sp() })
                    .collect()
            }),
            span: sp(),
        })
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-z0-9*./:-]{1,6}".prop_map(|t| Value::Word(word(t))),
        str_lit().prop_map(Value::Str),
        macro_call().prop_map(Value::Macro),
    ]
}

fn search_leaf() -> impl Strategy<Value = SearchExpr> {
    let op = prop_oneof![
        Just(CompareOp::Eq),
        Just(CompareOp::Ne),
        Just(CompareOp::Lt),
        Just(CompareOp::Le),
        Just(CompareOp::Gt),
        Just(CompareOp::Ge),
    ];
    prop_oneof![
        "[a-z0-9_*.]{1,6}"
            .prop_filter("reserved", |s| !RESERVED.contains(&s.as_str()))
            .prop_map(|t| SearchExpr::Term(word(t))),
        str_lit().prop_map(SearchExpr::Phrase),
        (field(Quote::None), op, value()).prop_map(|(field, op, value)| SearchExpr::Compare {
            field,
            op,
            value,
            span: sp()
        }),
        (field(Quote::Double), prop::collection::vec(value(), 1..3)).prop_map(|(field, values)| {
            SearchExpr::In {
                field,
                values,
                span: sp(),
            }
        }),
        "[a-zA-Z0-9=<>._-]{1,6}".prop_map(|text| SearchExpr::Indexed {
            kind: IndexedKind::Term,
            text,
            span: sp()
        }),
        macro_call().prop_map(SearchExpr::Macro),
    ]
}

fn group(e: SearchExpr) -> SearchExpr {
    SearchExpr::Group(Box::new(e), sp())
}

/// Wraps `e` in parentheses unless it can stand where `ok` says.
fn search_item(e: SearchExpr, ok: fn(&SearchExpr) -> bool) -> SearchExpr {
    if ok(&e) { e } else { group(e) }
}

fn search_expr() -> impl Strategy<Value = SearchExpr> {
    search_leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|items| SearchExpr::And(
                items
                    .into_iter()
                    .map(|e| search_item(e, |e| !matches!(e, SearchExpr::And(..))))
                    .collect(),
                sp()
            )),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|items| SearchExpr::Or(
                items
                    .into_iter()
                    .map(|e| search_item(e, |e| !matches!(
                        e,
                        SearchExpr::And(..) | SearchExpr::Or(..)
                    )))
                    .collect(),
                sp()
            )),
            inner.clone().prop_map(|e| SearchExpr::Not(
                Box::new(search_item(e, |e| !matches!(
                    e,
                    SearchExpr::And(..) | SearchExpr::Or(..)
                ))),
                sp()
            )),
            inner.prop_map(group),
        ]
    })
}

fn paren(e: Expr) -> Expr {
    Expr::Paren(Box::new(e), sp())
}

/// The binding power an expression needs around it; leaves and calls bind tightest.
fn bp(e: &Expr) -> u8 {
    match e {
        Expr::Binary { op, .. } => op.precedence(),
        Expr::In { .. } => 5,
        Expr::Unary {
            op: UnaryOp::Not, ..
        } => 4,
        _ => u8::MAX,
    }
}

/// A trailing `NOT` swallows every operator binding at least this tightly after it.
fn open_right(e: &Expr) -> Option<u8> {
    match e {
        Expr::Unary {
            op: UnaryOp::Not, ..
        } => Some(4),
        Expr::Unary { expr, .. } => open_right(expr),
        Expr::Binary { rhs, .. } => open_right(rhs),
        _ => None,
    }
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    let p = op.precedence();
    let lhs = if bp(&lhs) < p || open_right(&lhs).is_some_and(|k| k <= p) {
        paren(lhs)
    } else {
        lhs
    };
    let rhs = if bp(&rhs) <= p { paren(rhs) } else { rhs };
    Expr::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
        span: sp(),
    }
}

fn expr_leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        field(Quote::None).prop_map(Expr::Field),
        "[a-z .]{1,6}".prop_map(|name| Expr::Field(FieldName {
            name,
            quote: Quote::Single,
            span: sp()
        })),
        str_lit().prop_map(Expr::Str),
        "[0-9]{1,4}(\\.[0-9]{1,2})?".prop_map(|t| Expr::Num(word(t))),
        macro_call().prop_map(Expr::Macro),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let ops = [
        BinaryOp::Or,
        BinaryOp::Xor,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::EqEq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Like,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Mod,
        BinaryOp::Concat,
    ];
    expr_leaf().prop_recursive(5, 32, 3, move |inner| {
        prop_oneof![
            (
                prop::sample::select(ops.to_vec()),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, l, r)| binary(op, l, r)),
            (
                prop_oneof![Just(UnaryOp::Not), Just(UnaryOp::Bang), Just(UnaryOp::Neg)],
                inner.clone()
            )
                .prop_map(|(op, e)| {
                    let need = if op == UnaryOp::Not { 4 } else { 8 };
                    let e = if bp(&e) < need { paren(e) } else { e };
                    Expr::Unary {
                        op,
                        expr: Box::new(e),
                        span: sp(),
                    }
                }),
            ("zz[a-z]{1,3}", prop::collection::vec(inner.clone(), 0..3)).prop_map(
                |(name, args)| Expr::Call {
                    name: word(name),
                    args,
                    span: sp()
                }
            ),
            (inner.clone(), prop::collection::vec(inner.clone(), 1..3)).prop_map(|(e, list)| {
                let e = if bp(&e) < 5 || open_right(&e).is_some() {
                    paren(e)
                } else {
                    e
                };
                Expr::In {
                    expr: Box::new(e),
                    list,
                    span: sp(),
                }
            }),
            inner.prop_map(paren),
        ]
    })
}

fn stage(piped: bool, command: Command) -> Stage {
    Stage {
        piped,
        command,
        span: sp(),
    }
}

fn pipeline() -> impl Strategy<Value = Pipeline> {
    let field_items = prop::collection::vec(
        prop_oneof![
            field(Quote::None).prop_map(FieldItem::Field),
            field(Quote::Double).prop_map(FieldItem::Field),
        ],
        1..4,
    );
    let agg = (
        prop::sample::select(vec!["values", "dc", "count", "sum"]),
        prop::option::of(field(Quote::None)),
    )
        .prop_map(|(func, alias)| Aggregation {
            func: word(func.into()),
            args: Some(vec![AggArg::Field(FieldName {
                name: "*".into(),
                quote: Quote::None,
                span: sp(),
            })]),
            alias,
            span: sp(),
        });
    (
        search_expr(),
        expr(),
        prop::collection::vec((field(Quote::None), expr()), 1..3),
        field_items.clone(),
        prop::collection::vec(agg, 1..3),
        field_items,
        macro_call(),
    )
        .prop_map(|(search, cond, assigns, table, aggs, by, mac)| Pipeline {
            stages: vec![
                stage(
                    false,
                    Command::Search(SearchCommand {
                        keyword: None,
                        expr: Some(search),
                    }),
                ),
                stage(true, Command::Where(WhereCommand { expr: cond })),
                stage(
                    true,
                    Command::Eval(EvalCommand {
                        assignments: assigns
                            .into_iter()
                            .map(|(field, value)| Assignment {
                                field,
                                value,
                                span: sp(),
                            })
                            .collect(),
                    }),
                ),
                stage(
                    true,
                    Command::Fields(FieldsCommand {
                        name: word("table".into()),
                        sign: None,
                        fields: table,
                    }),
                ),
                stage(
                    true,
                    Command::Stats(StatsCommand {
                        name: word("stats".into()),
                        options: Vec::new(),
                        aggregations: aggs,
                        by,
                        by_options: Vec::new(),
                    }),
                ),
                stage(false, Command::Macro(mac)),
            ],
            span: sp(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_trees_parse_back_to_themselves(tree in pipeline()) {
        let printed = print(&tree);
        let parsed = parse(&printed);
        prop_assert!(parsed.diagnostics.is_empty(), "{printed}\n{:?}", parsed.diagnostics);
        prop_assert_eq!(common::without_spans(&parsed.pipeline), common::without_spans(&tree), "{}", printed);
    }

    #[test]
    fn arbitrary_text_never_panics_and_spans_stay_inside(text in "[ -~é中\\n\\x0b]{0,80}") {
        let parsed = parse(&text);
        for d in &parsed.diagnostics {
            let s = d.span.unwrap_or_default();
            prop_assert!(s.start < s.end && s.end as usize <= text.len(), "{:?} {}", s, d.code);
            prop_assert!(text.is_char_boundary(s.start as usize) && text.is_char_boundary(s.end as usize));
        }
        let toks = tokens(&text);
        prop_assert!(toks.iter().all(|(_, s)| text.is_char_boundary(s.start as usize) && text.is_char_boundary(s.end as usize)));
        let covered: u32 = toks.iter().map(|(_, s)| s.len()).sum();
        prop_assert_eq!(covered as usize, text.len());
        let _ = print(&parsed.pipeline);
    }
}
