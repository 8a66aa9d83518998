//! SPL semantics over hand-written flat events: search terms and fields, eval/where null
//! and multivalue rules, the streaming and blocking commands, lookups, refusals.

mod common;

use common::*;
use rulescope_eval::{EngineOptions, Event, Status};
use serde_json::json;

fn procs() -> Vec<Event> {
    vec![
        flat(
            json!({"_time": 100, "host": "a", "process_name": "cmd.exe", "process": "cmd.exe /c whoami", "user": "bob", "_raw": "EventCode=4688 New Process Name: C:\\Windows\\cmd.exe whoami"}),
        ),
        flat(
            json!({"_time": 105, "host": "a", "process_name": "PowerShell.exe", "process": "powershell -enc AAAA", "user": "bob", "_raw": "EventCode=4688 powershell.exe -enc"}),
        ),
        flat(
            json!({"_time": 130, "host": "b", "process_name": "cmd.exe", "process": "cmd.exe /c dir", "_raw": "EventCode=4688 cmd.exe dir"}),
        ),
        flat(
            json!({"_time": 131, "host": "b", "process_name": "notepad.exe", "user": "eve", "_raw": "EventCode=4624 logon"}),
        ),
    ]
}

#[test]
fn search_terms_fields_and_precedence() {
    let e = procs();
    // Field values: case-insensitive, wildcards; OR binds tighter than AND in search.
    assert_eq!(run("process_name=POWERSHELL*", &e).row_count(), 1);
    assert_eq!(
        run("TERM(EventCode=4688) process_name=cmd.exe OR user=eve", &e).row_count(),
        2
    );
    assert_eq!(run("host=b NOT user=*", &e).row_count(), 1);
    // `f!=v` needs the field, `NOT f=v` does not.
    assert_eq!(run("user!=bob", &e).row_count(), 1);
    assert_eq!(run("NOT user=bob", &e).row_count(), 2);
    assert_eq!(
        run("process_name IN (notepad.exe, \"cmd*\")", &e).row_count(),
        3
    );
    // Terms match whole segments of _raw; TERM needs major breakers around it.
    assert_eq!(run("whoami", &e).row_count(), 1);
    assert_eq!(run("whoam", &e).row_count(), 0);
    assert_eq!(run("TERM(cmd.exe)", &e).row_count(), 1);
    assert_eq!(run("\"New Process Name:\"", &e).row_count(), 1);
    assert_eq!(run("_time>=130", &e).row_count(), 2);
}

trait Count {
    fn row_count(&self) -> u64;
}

impl Count for rulescope_eval::RuleOutcome {
    fn row_count(&self) -> u64 {
        match &self.status {
            Status::Evaluated { row_count, .. } => *row_count,
            Status::NotEvaluable { reason } => panic!("not evaluable: {reason}"),
        }
    }
}

#[test]
fn where_and_eval_follow_null_and_multivalue_rules() {
    let e = procs();
    // `where` compares case-sensitively; a null operand is not true either way.
    assert_eq!(run("* | where process_name=\"cmd.exe\"", &e).row_count(), 2);
    assert_eq!(run("* | where process_name=\"CMD.EXE\"", &e).row_count(), 0);
    assert_eq!(run("* | where user!=\"bob\"", &e).row_count(), 1);
    assert_eq!(run("* | where isnull(user)", &e).row_count(), 1);
    assert_eq!(run("* | where NOT match(user, \"^b\")", &e).row_count(), 1);
    assert_eq!(
        run("* | where like(process, \"cmd%\") and _time > 100", &e).row_count(),
        1
    );
    let out = run(
        "host=a | eval both=mvappend(process_name, user), n=mvcount(both), up=upper(user), c=coalesce(nothing, host).\"-x\", r=replace(process, \"(\\w+)\\.exe\", \"\\1\") | table both n up c r",
        &e,
    );
    assert_eq!(
        rows(&out)[0],
        [
            "both=cmd.exe|bob",
            "n=2",
            "up=BOB",
            "c=a-x",
            "r=cmd /c whoami"
        ]
    );
    // match() on a multivalue field holds when any value matches.
    let out = run(
        "* | stats values(host) as h by user | eval x=mvappend(h, \"z\") | where match(x, \"^z$\")",
        &e,
    );
    assert_eq!(out.row_count(), 2);
}

#[test]
fn table_bin_stats_and_the_funnel() {
    let out = run(
        "TERM(EventCode=4688) | table _time host process_name | bin span=10s | stats values(*) as * dc(process_name) as dc count by _time, host",
        &procs(),
    );
    assert_eq!(
        rows(&out),
        vec![
            vec![
                "_time=100",
                "host=a",
                "process_name=PowerShell.exe|cmd.exe",
                "dc=2",
                "count=2"
            ],
            vec![
                "_time=130",
                "host=b",
                "process_name=cmd.exe",
                "dc=1",
                "count=1"
            ],
        ]
    );
    assert_eq!(funnel(&out), vec![(4, 3), (3, 3), (3, 3), (3, 2)]);
}

#[test]
fn eventstats_streamstats_dedup_sort_head_fillnull_rex_rename() {
    let e = procs();
    let out = run(
        "* | eventstats count as n by host | where n > 1 | table host n",
        &e,
    );
    assert_eq!(rows(&out).len(), 4);
    let out = run(
        "* | streamstats count as seen by host | table host seen",
        &e,
    );
    assert_eq!(rows(&out)[3], ["host=b", "seen=2"]);
    let out = run(
        "* | streamstats window=1 current=f values(_time) as prev | table prev",
        &e,
    );
    assert_eq!(rows(&out)[1], ["prev=100"]);
    assert_eq!(run("* | dedup host", &e).row_count(), 2);
    let out = run("* | sort - _time | head 1 | table _time", &e);
    assert_eq!(rows(&out), vec![vec!["_time=131"]]);
    let out = run("host=b | fillnull value=none user | table user", &e);
    assert_eq!(rows(&out), vec![vec!["user=none"], vec!["user=eve"]]);
    let out = run(
        "host=a | rex field=process \"(?<exe>\\w+) (?<arg>\\S+)\" | rename exe as binary | table binary arg",
        &e,
    );
    assert_eq!(rows(&out)[1], ["binary=powershell", "arg=-enc"]);
    let out = run(
        "host=a | rex field=process mode=sed \"s/ .*//\" | table process",
        &e,
    );
    assert_eq!(rows(&out)[0], ["process=cmd.exe"]);
    let out = run("* | stats count", &[]);
    assert_eq!(rows(&out), vec![vec!["count=0"]]);
}

#[test]
fn lookups_from_csv_and_missing_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("owners.csv"),
        "host,owner\na,alice\nb,bert\n",
    )
    .expect("write");
    let options = EngineOptions {
        lookups: Some(dir.path().to_owned()),
        ..EngineOptions::default()
    };
    let outs = run_with(
        &[
            "* | dedup host | lookup owners host OUTPUT owner as who | table host who",
            "* | lookup dnslookup clientip as src_ip OUTPUT clienthost",
        ],
        &procs(),
        &options,
    );
    assert_eq!(
        rows(&outs[0]),
        vec![vec!["host=a", "who=alice"], vec!["host=b", "who=bert"]]
    );
    assert!(
        reason(&outs[1]).contains("lookup `dnslookup` not found"),
        "{}",
        reason(&outs[1])
    );
}

#[test]
fn unsupported_commands_functions_and_macros_are_refused() {
    let outs = run_with(
        &[
            "* | iplocation src_ip",
            "* | eval t=strftime(_time, \"%F\")",
            "`undefined_macro` | table host",
            "* | transaction host",
            "`get_endpoint_data` `get_endpoint_data_winevent` * | table host `hec_collect`",
        ],
        &procs(),
        &EngineOptions::default(),
    );
    assert_eq!(reason(&outs[0]), "not supported: iplocation");
    assert_eq!(reason(&outs[1]), "not supported: function strftime()");
    assert_eq!(reason(&outs[2]), "macro `undefined_macro` is not defined");
    assert_eq!(reason(&outs[3]), "not supported: transaction");
    // Default macros: the winevent selector wants a Windows sourcetype; hec_collect is a no-op.
    assert_eq!(outs[4].row_count(), 0);
}

#[test]
fn a_regex_over_the_match_limit_is_reported_and_the_run_goes_on() {
    let long = format!("{}b", "a".repeat(64));
    let e = vec![
        flat(json!({"x": long, "_raw": "r"})),
        flat(json!({"x": "aaa", "_raw": "r"})),
    ];
    let out = run("* | regex x=\"(a+)+$\"", &e);
    match &out.status {
        Status::Evaluated {
            regex_limit_hits,
            row_count,
            ..
        } => {
            assert_eq!(*regex_limit_hits, 1);
            assert_eq!(*row_count, 1);
        }
        Status::NotEvaluable { reason } => panic!("{reason}"),
    }
}

#[test]
fn user_macros_override_the_defaults() {
    let options = EngineOptions {
        macros_conf: Some("[get_endpoint_data_winevent]\ndefinition = host=b\n".into()),
        ..EngineOptions::default()
    };
    let out = run_with(
        &["`get_endpoint_data_winevent` | stats count"],
        &procs(),
        &options,
    );
    assert_eq!(rows(&out[0]), vec![vec!["count=2"]]);
}

#[test]
fn files_read_at_once_reach_the_rules_in_file_order() {
    // Five files, read by several threads: the rows of an order-keeping rule must come out
    // in file order, and each file's unreadable line must be counted against that file.
    let dir = tempfile::tempdir().expect("temp dir");
    for n in 1..=5 {
        let lines = format!(
            "{{\"n\": \"{n}a\", \"_raw\": \"event\"}}\nnot json\n{{\"n\": \"{n}b\", \"_raw\": \"event\"}}\n"
        );
        std::fs::write(dir.path().join(format!("{n}.jsonl")), lines).expect("write");
    }
    let spec = rulescope_eval::RuleSpec {
        id: "order".into(),
        logic: "event | streamstats count | table n count".into(),
        ..Default::default()
    };
    let engine = rulescope_eval::Engine::from_specs(&[spec], &EngineOptions::default());
    let mut started = Vec::new();
    let run = engine.run_paths(&[dir.path().to_owned()], &mut |p| {
        if let rulescope_eval::Progress::File { index, .. } = p {
            started.push(index);
        }
    });
    assert_eq!(started, vec![0, 1, 2, 3, 4]);
    let expected: Vec<Vec<String>> = (1..=5)
        .flat_map(|n| [format!("{n}a"), format!("{n}b")])
        .enumerate()
        .map(|(i, n)| vec![format!("n={n}"), format!("count={}", i + 1)])
        .collect();
    assert_eq!(rows(&run.rules[0]), expected);
    assert_eq!((run.input.files, run.input.events), (5, 10));
    let skipped: Vec<String> = run
        .input
        .skipped
        .iter()
        .map(|s| {
            s.path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        skipped,
        ["1.jsonl", "2.jsonl", "3.jsonl", "4.jsonl", "5.jsonl"]
    );
}
