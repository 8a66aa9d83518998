//! Parser behaviour on queries written for these tests (ESCU-like styles included).

mod common;

use rulescope_spl::*;

/// A compact rendering of a search expression's structure.
fn shape(e: &SearchExpr) -> String {
    let list = |tag: &str, items: &[SearchExpr]| {
        let inner: Vec<String> = items.iter().map(shape).collect();
        format!("({tag} {})", inner.join(" "))
    };
    match e {
        SearchExpr::And(items, _) => list("and", items),
        SearchExpr::Or(items, _) => list("or", items),
        SearchExpr::Not(i, _) => format!("(not {})", shape(i)),
        SearchExpr::Group(i, _) => shape(i),
        SearchExpr::Term(w) => w.text.clone(),
        SearchExpr::Phrase(s) => format!("{:?}", s.raw),
        SearchExpr::Compare {
            field, op, value, ..
        } => format!("{}{}{}", field.name, op.as_str(), value.text()),
        SearchExpr::In { field, values, .. } => {
            let v: Vec<String> = values.iter().map(Value::text).collect();
            format!("{} in [{}]", field.name, v.join(","))
        }
        SearchExpr::Indexed { kind, text, .. } => format!("{}:{text}", kind.as_str()),
        SearchExpr::Macro(m) => format!("`{}`", m.name),
        SearchExpr::Subsearch(_) => "[sub]".into(),
    }
}

fn expr_shape(e: &Expr) -> String {
    match e {
        Expr::Field(f) => f.name.clone(),
        Expr::Str(s) => format!("{:?}", s.raw),
        Expr::Num(n) => n.text.clone(),
        Expr::Call { name, args, .. } => {
            let a: Vec<String> = args.iter().map(expr_shape).collect();
            format!("{}({})", name.text, a.join(", "))
        }
        Expr::Unary { op, expr, .. } => format!("({op:?} {})", expr_shape(expr)),
        Expr::Binary { op, lhs, rhs, .. } => {
            format!("({} {} {})", op.as_str(), expr_shape(lhs), expr_shape(rhs))
        }
        Expr::In { expr, list, .. } => {
            let a: Vec<String> = list.iter().map(expr_shape).collect();
            format!("(in {} [{}])", expr_shape(expr), a.join(", "))
        }
        Expr::Paren(i, _) => expr_shape(i),
        Expr::Macro(m) => format!("`{}`", m.name),
        Expr::Error(_) => "<error>".into(),
    }
}

fn clean(q: &str) -> Parsed {
    let p = parse(q);
    assert!(p.diagnostics.is_empty(), "{q}\n{:#?}", p.diagnostics);
    p
}

fn base_shape(q: &str) -> String {
    match &clean(q).pipeline.stages[0].command {
        Command::Search(s) => s.expr.as_ref().map(shape).unwrap_or_default(),
        other => panic!("not a search: {other:?}"),
    }
}

fn where_shape(q: &str) -> String {
    let p = clean(&format!("x | where {q}"));
    match &p.pipeline.stages[1].command {
        Command::Where(w) => expr_shape(&w.expr),
        other => panic!("not a where: {other:?}"),
    }
}

fn codes(q: &str) -> Vec<String> {
    parse(q)
        .diagnostics
        .iter()
        .map(|d| d.code.to_string())
        .collect()
}

/// The text of each diagnostic's span.
fn spans(q: &str) -> Vec<String> {
    parse(q)
        .diagnostics
        .iter()
        .map(|d| d.span.map(|s| s.slice(q).to_owned()).unwrap_or_default())
        .collect()
}

fn round_trips(q: &str) {
    let p = clean(q);
    let printed = print(&p.pipeline);
    let again = clean(&printed);
    assert_eq!(
        common::without_spans(&again.pipeline),
        common::without_spans(&p.pipeline),
        "{q}\n{printed}"
    );
}

#[test]
fn search_or_binds_tighter_than_and() {
    assert_eq!(base_shape("a b OR c"), "(and a (or b c))");
    assert_eq!(base_shape("a OR b AND c"), "(and (or a b) c)");
    assert_eq!(base_shape("NOT a OR b c"), "(and (or (not a) b) c)");
    assert_eq!(base_shape("(a b) OR c"), "(or (and a b) c)");
    assert_eq!(base_shape("a or b and c not d"), "(and a or b and c not d)");
}

#[test]
fn search_terms_and_comparisons() {
    assert_eq!(
        base_shape(
            r#"index=main sourcetype="Win:Sec" EventCode!=4688 count>=5 "a \"quoted\" phrase" cmd*.exe"#
        ),
        r#"(and index=main sourcetype=Win:Sec EventCode!=4688 count>=5 "a \\\"quoted\\\" phrase" cmd*.exe)"#
    );
    assert_eq!(
        base_shape(r#""userIdentity.type"=IAMUser requestParameters.items{}.name=x"#),
        "(and userIdentity.type=IAMUser requestParameters.items{}.name=x)"
    );
    assert_eq!(
        base_shape(
            r#"event_type IN ("childproc", "proc") src IN(10.0.0.0/8,::1) TERM(EventCode=1) PREFIX(user=) CASE(Admin)"#
        ),
        "(and event_type in [childproc,proc] src in [10.0.0.0/8,::1] TERM:EventCode=1 PREFIX:user= CASE:Admin)"
    );
    assert_eq!(
        base_shape("earliest=-24h@h latest=now index=*"),
        "(and earliest=-24h@h latest=now index=*)"
    );
}

#[test]
fn macros_stand_anywhere() {
    let p = clean(
        r#"`get_data` `group_events("host", 5)` a=`val` | table `fields_eoi` a, b | stats count by _time, host `hec_collect`"#,
    );
    let stages = &p.pipeline.stages;
    assert_eq!(stages.len(), 4);
    match &stages[0].command {
        Command::Search(s) => assert_eq!(
            s.expr.as_ref().map(shape).unwrap_or_default(),
            "(and `get_data` `group_events` a=val)"
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&stages[1].command, Command::Fields(f) if matches!(f.fields[0], FieldItem::Macro(_)))
    );
    assert!(matches!(&stages[2].command, Command::Stats(s) if s.by.len() == 2));
    assert!(matches!(&stages[3].command, Command::Macro(m) if m.name == "hec_collect"));
    assert!(!stages[3].piped);
    let calls = macro_calls(&p.pipeline);
    let names: Vec<&str> = calls.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "get_data",
            "group_events",
            "val",
            "fields_eoi",
            "hec_collect"
        ]
    );
    let args: Vec<&str> = calls[1]
        .args
        .iter()
        .flatten()
        .map(|a| a.text.as_str())
        .collect();
    assert_eq!(args, ["\"host\"", "5"]);
}

#[test]
fn escu_style_tstats() {
    let q = "| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime \
             from datamodel=Endpoint.Processes where Processes.process_name=cmd.exe Processes.process IN (\"*/c*\", \"*/k*\") \
             `process_filter(\"a\", 2)` by Processes.dest Processes.user span=1h \
             | `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)` | `cmd_detection_filter`";
    let p = clean(q);
    assert_eq!(p.pipeline.stages.len(), 4);
    let Command::Tstats(t) = &p.pipeline.stages[0].command else {
        panic!("{:?}", p.pipeline.stages[0]);
    };
    assert!(p.pipeline.stages[0].piped);
    assert!(
        matches!(&t.options[0], CmdOption::Macro(m) if m.name == "security_content_summariesonly")
    );
    assert_eq!(t.aggregations.len(), 3);
    assert_eq!(
        t.aggregations[1].alias.as_ref().map(|a| a.name.as_str()),
        Some("firstTime")
    );
    assert!(t.from_datamodel);
    assert_eq!(
        t.from.as_ref().map(Value::text).as_deref(),
        Some("Endpoint.Processes")
    );
    assert_eq!(
        t.where_.as_ref().map(shape).as_deref(),
        Some(
            "(and Processes.process_name=cmd.exe Processes.process in [*/c*,*/k*] `process_filter`)"
        )
    );
    assert_eq!(t.by.len(), 2);
    assert_eq!(t.by_options.len(), 1);
    assert!(
        p.pipeline.stages[1..]
            .iter()
            .all(|s| matches!(s.command, Command::Macro(_)))
    );
    round_trips(q);
}

#[test]
fn escu_style_searches_parse_clean_and_round_trip() {
    let queries = [
        "`sysmon` EventCode=1 ``` encoded | powershell ``` (CommandLine=\"*-enc*\" OR CommandLine=\"*-EncodedCommand*\") \
         | rename \"Image\" as process_path, ParentImage AS parent_path | table _time host process_path",
        "| inputlookup append=t malicious_domains.csv where domain=\"*.ru\" | lookup local=t dnslookup clienthost as domain OUTPUTNEW clientip AS ip \
         | dedup 1 ip | sort - count, +num(ip) | head 10 | tail 5",
        "search index=web [ | inputlookup bad_ips.csv | fields src_ip | format ] | stats dc(dest) as dests, count by src_ip | sort -dests",
        "index=proxy | eval len=len(url), domain=lower(replace(url, \"^https?://([^/]+).*\", \"\\1\")), \
         score=if(len > 100 AND like(url, \"%.php%\"), 10, 0) . \"x\", 'odd field'=-1.5e3 \
         | where score>5 OR NOT isnull(domain) xor domain IN (\"a\", \"b\") | where x LIKE \"a%\" and !match(y, \"^z\")",
        "index=a | fillnull value=0 score | spath input=json path=a.b{}.c output=x | mvexpand x | makemv delim=\",\" tags \
         | convert ctime(firstTime) AS first, ctime(lastTime) | transaction host maxspan=5m | timechart span=1h count by host \
         | top limit=5 user by host | rare src | makeresults count=1 | collect index=summary | return 5 src_ip",
        "index=a | join type=left user [ search index=b | stats count by user ] | append [ | makeresults | eval x=1 ] \
         | foreach *_count [ eval <<FIELD>> = <<FIELD>> * 2 ] | appendpipe [ stats count | eval note=\"total\" ]",
        "index=a | rex field=_raw \"(?<user>\\w+)@(?<domain>\\S+)\" max_match=0 | rex mode=sed field=x \"s/a|b/c/g\" \
         | regex user!=\"^svc_\" | regex \"(?i)evil\" | bin _time span=5m | bucket span=1h t AS hour",
        "index=a | eventstats sum(eval(if(x>1, 1, 0))) as big, c by host | streamstats time_window=1h current=f count by user \
         | stats values(*) as * by _time, host | where big > 0",
        "index=a | iplocation prefix=\"src_\" src_ip | fields - _raw, junk_* | fields + a b | table user src_*",
        "| makeresults | eval t=strftime(now(), \"%Y\"), r=relative_time(now(), \"-1d@d\"), s=substr(\"abc\", 1, 2), n=tonumber(\"5\", 10) \
         | where cidrmatch(\"10.0.0.0/8\", ip) AND searchmatch(\"x\") AND mvcount(split(a, \",\")) > mvindex(b, 0)",
        "index=a NOT (user=SYSTEM OR user=\"LOCAL SERVICE\") | mycustomcmd opt=1 (a b) \"c\" , d | chart count over a by b",
    ];
    for q in queries {
        round_trips(q);
    }
}

#[test]
fn typed_forms_and_generic_fallback() {
    let p = clean(
        "x | chart count over a by b | mycmd a=1 (b c) | dedup host sortby -_time | stats count by host span=1h",
    );
    let names: Vec<(String, bool)> = p
        .pipeline
        .stages
        .iter()
        .map(|s| (s.command.name(), s.command.is_typed()))
        .collect();
    assert_eq!(
        names,
        [
            ("search".into(), true),
            ("chart".into(), false),
            ("mycmd".into(), false),
            ("dedup".into(), false),
            ("stats".into(), true)
        ]
    );
}

#[test]
fn where_precedence_and_operators() {
    assert_eq!(
        where_shape("a=1 OR b=2 AND c=3"),
        "(OR (= a 1) (AND (= b 2) (= c 3)))"
    );
    assert_eq!(
        where_shape("a=1 or b=2 and not c=3"),
        "(OR (= a 1) (AND (= b 2) (Not (= c 3))))"
    );
    assert_eq!(
        where_shape("x + 2 * 3 . \"s\" >= 4"),
        "(>= (. (+ x (* 2 3)) \"s\") 4)"
    );
    assert_eq!(
        where_shape("!match(a, \"x\") AND b IN (1, 2)"),
        "(AND (Bang match(a, \"x\")) (in b [1, 2]))"
    );
    assert_eq!(
        where_shape("match (process, \"x\")"),
        "match(process, \"x\")"
    );
    assert_eq!(
        where_shape("'a.b'==-1 XOR 'c d' != <<FIELD>>"),
        "(XOR (== a.b (Neg 1)) (!= c d <<FIELD>>))"
    );
    assert_eq!(where_shape("a like \"%x%\""), "(LIKE a \"%x%\")");
    assert_eq!(
        where_shape("a OR b XOR c AND d"),
        "(XOR (OR a b) (AND c d))"
    );
}

#[test]
fn malformed_where_clauses_get_precise_diagnostics() {
    let q = "x | where (match(a, \"1\") ANDmatch(b, \"2\")) ORmatch(c, \"3\")";
    assert_eq!(codes(q), ["spl-glued-operator", "spl-glued-operator"]);
    assert_eq!(spans(q), ["ANDmatch", "ORmatch"]);
    let p = parse(q);
    let Command::Where(w) = &p.pipeline.stages[1].command else {
        panic!()
    };
    assert_eq!(
        expr_shape(&w.expr),
        "(OR (AND match(a, \"1\") match(b, \"2\")) match(c, \"3\"))"
    );

    let q = "x | where a=1 and process contains \"dscl\" and b=2";
    assert_eq!(codes(q), ["spl-unknown-operator"]);
    assert_eq!(spans(q), ["contains"]);

    let q = "x | where a=1 and !match(b, \"x\")) or c=2 | table a";
    assert_eq!(codes(q), ["spl-unmatched-close-paren"]);
    assert_eq!(
        parse(q).pipeline.stages.len(),
        3,
        "resumes at the next pipe"
    );

    let q = "x | where match(event_type = \"(?i)^s$\") | eval y=if(a, b)";
    assert_eq!(codes(q), ["spl-function-arity", "spl-function-arity"]);
    assert_eq!(spans(q), ["match(event_type = \"(?i)^s$\")", "if(a, b)"]);

    let q = "x | where (a=1 | stats count";
    assert_eq!(codes(q), ["spl-unclosed-paren"]);
    assert_eq!(spans(q), ["("]);
    assert!(matches!(
        parse(q).pipeline.stages[2].command,
        Command::Stats(_)
    ));

    assert_eq!(
        codes("x | where"),
        ["spl-missing-argument", "spl-expected-expression"]
    );
    assert_eq!(codes("x | eval = 1"), ["spl-expected-assignment"]);
    assert_eq!(codes("x | eval a == 1"), ["spl-expected-assignment"]);
}

#[test]
fn malformed_searches_get_precise_diagnostics() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "a zTERM(EventCode=1) b",
            &["spl-unknown-search-function"],
            &["zTERM"],
        ),
        (
            "(TERM(Mount OR TERM(m)) | table a",
            &["spl-unclosed-term"],
            &["TERM(Mount"],
        ),
        ("a (b OR c | table a", &["spl-unclosed-paren"], &["("]),
        ("a b) OR c", &["spl-unmatched-close-paren"], &[")"]),
        ("\"a\", OR \"b\"", &["spl-stray-comma"], &[","]),
        ("a OR", &["spl-dangling-operator"], &["OR"]),
        ("a = ", &["spl-missing-value"], &["="]),
        ("\"`m` a \"b\" | table x", &["spl-stray-quote"], &["\""]),
        ("`m(a, b` x", &["spl-unclosed-macro-args"], &["("]),
        ("`m(\"a,1)` x", &["spl-macro-unterminated-string"], &["\""]),
        ("`m x", &["spl-unterminated-macro"], &["`"]),
        ("a [ search b", &["spl-unclosed-bracket"], &["["]),
        ("a | | b", &["spl-empty-stage"], &["|"]),
        ("a | regex auid=^\\d+", &["spl-unquoted-regex"], &["^\\d+"]),
        (
            "a | regex uri_path-\"(?i)x\"",
            &["spl-regex-bad-operator"],
            &["-"],
        ),
        ("a | rex field=x", &["spl-missing-argument"], &["rex"]),
        (
            "TERM(BEGIN RSA) x",
            &["spl-term-with-space"],
            &["TERM(BEGIN RSA)"],
        ),
        ("a \"unterminated", &["spl-unterminated-string"], &["\""]),
        // Found by fuzzing: a name glued to `[` is not a command followed by a subsearch.
        (
            "a | s[x y | stats count",
            &["spl-expected-command"],
            &["s[x"],
        ),
        // Problems at the very end point at the last character.
        ("x | eval a=1,", &["spl-expected-assignment"], &[","]),
        ("a | ``` only a comment", &[], &[]),
        // Found by fuzzing: a vertical tab is a word character, as in the lexer, not space.
        ("\u{b}x a | rex \"y\"\u{b}", &[], &[]),
    ];
    for (q, want_codes, want_spans) in cases {
        assert_eq!(codes(q), *want_codes, "{q}");
        assert_eq!(spans(q), *want_spans, "{q}");
    }
}

#[test]
fn rex_and_regex_keep_the_raw_pattern() {
    let p = clean(
        r#"x | rex field=_raw (?<r>"(?i)a b") | rex field=f "(?<x>[a-z]+\.dmp")| regex f!="a|b" | rex mode=sed s/\.\w{3}$//g"#,
    );
    let Command::Rex(r) = &p.pipeline.stages[1].command else {
        panic!()
    };
    assert_eq!(r.pattern.raw, r#"(?<r>"(?i)a b")"#);
    assert_eq!(r.pattern.quoted_value(), None);
    let Command::Rex(r) = &p.pipeline.stages[2].command else {
        panic!()
    };
    assert_eq!(r.pattern.raw, r#""(?<x>[a-z]+\.dmp")"#);
    let Command::Regex(g) = &p.pipeline.stages[3].command else {
        panic!()
    };
    assert!(g.negated);
    assert_eq!(g.pattern.quoted_value().as_deref(), Some("a|b"));
    let Command::Rex(r) = &p.pipeline.stages[4].command else {
        panic!()
    };
    assert_eq!(r.pattern.raw, r"s/\.\w{3}$//g");
}

#[test]
fn subsearches_comments_and_leading_pipes() {
    let p = clean(
        "| makeresults ``` a | b ``` | join x [ search idx=1 [ search y | head 1 ] | fields x ]",
    );
    assert_eq!(p.pipeline.stages.len(), 2);
    assert!(p.pipeline.stages[0].piped);
    let Command::Join(j) = &p.pipeline.stages[1].command else {
        panic!()
    };
    let sub = j.subsearch.as_ref().map(|s| s.pipeline.stages.len());
    assert_eq!(sub, Some(2));
    // Found by fuzzing: after a closing quote, `[` opens a subsearch whether or not a space
    // separates them, so the printer's spacing cannot change the tree.
    for q in [
        "a \"b\"[search c] d",
        "a \"b\" [search c] d",
        "a (b)[search c]",
    ] {
        let p = clean(q);
        let Command::Search(s) = &p.pipeline.stages[0].command else {
            panic!()
        };
        assert!(
            s.expr
                .as_ref()
                .map(shape)
                .unwrap_or_default()
                .contains("[sub]"),
            "{q}"
        );
        round_trips(q);
    }
    assert_eq!(base_shape("process_[0-9]x"), "process_[0-9]x");
    let p = clean("x | foreach old_* [ rex field=<<FIELD>> mode=sed \"s/(\\\\,|\\\\])//g\"]");
    let Command::Foreach(f) = &p.pipeline.stages[1].command else {
        panic!()
    };
    assert!(matches!(f.body.pipeline.stages[0].command, Command::Rex(_)));
}

#[test]
fn empty_and_whitespace_queries() {
    assert!(clean("").pipeline.stages.is_empty());
    assert!(clean("   ").pipeline.stages.is_empty());
    round_trips("\u{b}x a | rex \"y\"\u{b}");
    assert_eq!(base_shape("\u{b}x a"), "(and \u{b}x a)");
}

#[test]
fn deep_nesting_is_reported_not_followed() {
    let n = 100_000;
    let cases = [
        "(".repeat(n),
        format!("{}a{}", "(".repeat(n), ")".repeat(n)),
        "[".repeat(n),
        format!("x {}", "[ search ".repeat(n)),
        format!("x | where {}", "f(".repeat(n)),
        format!("x | where {}1", "(".repeat(n)),
        format!("x | eval a = {}1", "-".repeat(n)),
        format!("x | where {}a", "NOT ".repeat(n)),
        format!("{}a", "NOT ".repeat(n)),
        format!("x | mycmd {}", "(".repeat(n)),
    ];
    for q in &cases {
        let p = parse(q);
        let deep = p
            .diagnostics
            .iter()
            .filter(|d| d.code == "spl-nesting-too-deep")
            .count();
        assert!(
            deep >= 1,
            "{}: {:?}",
            &q[..20],
            p.diagnostics.iter().map(|d| &d.code).collect::<Vec<_>>()
        );
        assert!(
            p.diagnostics.len() < 10,
            "{}: {} diagnostics",
            &q[..20],
            p.diagnostics.len()
        );
        let _ = print(&p.pipeline);
        let _ = dump_tree(&p, q);
        assert!(tokens(q).len() <= q.len());
    }
}

#[test]
fn macro_expansion_keeps_origins() {
    let mut table = MacroTable::new();
    table.add_conf("[get_data]\ndefinition = index=main sourcetype=x\n[flt(1)]\nargs = f\ndefinition = where isnotnull($f$) AND (\n");
    let q = "`get_data` a | `flt(user)` | table a";
    let p = parse_with(
        q,
        &ParseOptions {
            macros: Some(&table),
        },
    );
    assert_eq!(
        p.source(q),
        "index=main sourcetype=x a | where isnotnull(user) AND ( | table a"
    );
    assert_eq!(
        spans_of(&p, q),
        ["`flt(user)`"; 2],
        "diagnostics map back to the macro call"
    );
    let codes: Vec<&str> = p.diagnostics.iter().map(|d| d.code.as_ref()).collect();
    assert_eq!(codes, ["spl-expected-expression", "spl-unclosed-paren"]);
    let Command::Search(s) = &p.pipeline.stages[0].command else {
        panic!()
    };
    assert_eq!(
        s.expr.as_ref().map(shape).as_deref(),
        Some("(and index=main sourcetype=x a)")
    );
    let a = s.expr.as_ref().and_then(|e| match e {
        SearchExpr::And(items, _) => items.last().map(SearchExpr::span),
        _ => None,
    });
    assert_eq!(a.map(|s| p.tree_span_to_query(s).slice(q)), Some("a"));
    let origin = p.expansion.as_ref().and_then(|e| e.origin_at(0)).cloned();
    assert!(matches!(origin, Some(Origin::Macro { path, .. }) if path == ["get_data"]));

    let mut yaml = MacroTable::new();
    yaml.add_yaml("name: m\ndefinition: stats count by $f$\narguments:\n- f\n")
        .map_err(|d| d.message)
        .ok();
    let p = parse_with(
        "x | `m(host)`",
        &ParseOptions {
            macros: Some(&yaml),
        },
    );
    assert!(matches!(p.pipeline.stages[1].command, Command::Stats(_)));
}

fn spans_of(p: &Parsed, q: &str) -> Vec<String> {
    p.diagnostics
        .iter()
        .map(|d| d.span.map(|s| s.slice(q).to_owned()).unwrap_or_default())
        .collect()
}

#[test]
fn dump_json_and_rendering() {
    let q = "`m` a=1 | where b>2";
    let p = clean(q);
    let dump = dump_tree(&p, q);
    assert!(dump.starts_with("Pipeline @0..19"), "{dump}");
    assert!(
        dump.contains("\n    - piped=true @10..19 \"where b>2\"\n      command Where\n"),
        "{dump}"
    );
    assert!(dump.contains("Compare op=\"eq\" @4..7 \"a=1\""), "{dump}");
    let json = serde_json::to_value(&p).unwrap_or_default();
    assert_eq!(
        json["pipeline"]["stages"][1]["command"]["Where"]["expr"]["Binary"]["op"],
        "gt"
    );
    let bad = "a | where x contains 1";
    let rendered = parse(bad).diagnostics[0]
        .clone()
        .locate("q.spl", bad)
        .render(false);
    assert!(
        rendered.contains("error[spl-unknown-operator]"),
        "{rendered}"
    );
    assert!(rendered.contains("q.spl:1:13"), "{rendered}");
}

#[test]
fn stats_classify_stages() {
    let mut stats = ParseStats::default();
    stats.add(&parse("a | stats count | mycmd x"));
    stats.add(&parse("a | where (b"));
    stats.add(&parse(""));
    assert_eq!(
        (
            stats.queries,
            stats.clean,
            stats.with_diagnostics,
            stats.failed
        ),
        (3, 1, 1, 1)
    );
    let get = |n: &str| stats.commands.get(n).cloned().unwrap_or_default();
    assert_eq!(get("stats").typed, 1);
    assert_eq!(get("mycmd").generic, 1);
    assert_eq!(get("where").failed, 1);
    assert_eq!(stats.diagnostic_codes.get("spl-unclosed-paren"), Some(&1));
}

#[test]
fn without_spans_sees_real_differences() {
    assert_ne!(
        common::without_spans(&parse("a b").pipeline),
        common::without_spans(&parse("a c").pipeline)
    );
    assert_eq!(
        common::without_spans(&parse("a  b").pipeline),
        common::without_spans(&parse("a b").pipeline)
    );
}

#[test]
fn style_fixtures_parse_clean_and_round_trip() {
    let text = include_str!("fixtures/styles.spl");
    let queries: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(queries.len() >= 25);
    for q in queries {
        round_trips(q);
        let p = parse(q);
        let generic: Vec<String> = p
            .pipeline
            .stages
            .iter()
            .filter(|s| !s.command.is_typed())
            .map(|s| s.command.name())
            .collect();
        let allowed = ["mycustomcommand", "chart"];
        assert!(
            generic.iter().all(|g| allowed.contains(&g.as_str())),
            "{q}: generic {generic:?}"
        );
    }
}
