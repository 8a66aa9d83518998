//! Models of hand-written Snowflake detection queries, snapshotted and reviewed by hand.

use proptest::prelude::*;
use rulescope_sql::parse;

/// The model as JSON, each span replaced by the text it covers, so a review sees what
/// every span points at.
fn model(query: &str) -> serde_json::Value {
    let mut value = serde_json::to_value(parse(query).model).unwrap_or_default();
    show_spans(&mut value, query);
    value
}

fn show_spans(value: &mut serde_json::Value, query: &str) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let range = (key == "span")
                    .then(|| Some(v["start"].as_u64()? as usize..v["end"].as_u64()? as usize))
                    .flatten();
                match range {
                    Some(range) => *v = query.get(range).unwrap_or("<bad span>").into(),
                    None => show_spans(v, query),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| show_spans(v, query)),
        _ => {}
    }
}

#[test]
fn edr_process_ilike_rule() {
    insta::assert_yaml_snapshot!(model(
        r"select * from crowdstrikefdr_process
          where event_time > dateadd(hour, -2, sysdate())
            and event_platform = 'Win'
            and (process_path ilike '%\\certutil.exe' or process_path ilike '%\\bitsadmin.exe')
            and process ilike any ('%urlcache%', '%/transfer%')
            and not regexp_like(process, '.*\\s-verifyctl\\s.*', 'i')
            and parent_process_name not like 'explorer.exe'"
    ));
}

#[test]
fn cloudtrail_rule() {
    insta::assert_yaml_snapshot!(model(
        "select * from awscloudtrail
         where event_time >= dateadd(minute, -30, current_timestamp())
           and event_source = 'iam.amazonaws.com'
           and event_name in ('CreateAccessKey', 'CreateLoginProfile')
           and user_identity:type::string <> 'AWSService'
           and error_code is null
           and 0 < array_size(resources)"
    ));
}

#[test]
fn okta_rule_with_cte_aggregate_and_output() {
    insta::assert_yaml_snapshot!(model(
        "with logins as (
           select actor_alternate_id as user_name, outcome_result as result, client_ip
           from okta
           where event_time > dateadd(hour, -1, sysdate()) and event_type = 'user.session.start'
         )
         select user_name, count(*) as failures from logins
         where result = 'FAILURE' and lower(client_ip) not like '10.%'
         group by user_name
         having count(*) > 10
         order by failures desc
         limit 20"
    ));
}

#[test]
fn query_history_rule_with_string_functions() {
    insta::assert_yaml_snapshot!(model(
        r"select query_text, user_name from snowflake.account_usage.query_history
          where start_time between $earliest$ and $latest$
            and contains(query_text, 'GRANT OWNERSHIP')
            and not startswith(lower(user_name), 'svc_')
            and endswith(query_text, ';')
            and rlike(query_text, '.*to\\s+role\\s+accountadmin.*', 'i')
            and array_contains('ACCOUNTADMIN'::variant, roles)"
    ));
}

#[test]
fn derived_table_and_or_escape() {
    insta::assert_yaml_snapshot!(model(
        "select * from (select process as cmd, process_path from crowdstrikefdr_process) p
         where event_time > dateadd(hour, -2, sysdate()) and cmd ilike '%sekurlsa%' or cmd ilike '%lsadump%'"
    ));
}

#[test]
fn failed_parse_keeps_the_table_and_the_conditions_that_parse() {
    insta::assert_yaml_snapshot!(model(
        "select * from okta.public.system_log where event_time > dateadd(hour, -2, sysdate())
         and event_type = = 'x' and (actor ilike '%admin%' or actor ilike '%root%')"
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary text never panics, and every span lies on the text's char boundaries.
    #[test]
    fn arbitrary_text_never_panics(query in "\\PC{0,200}") {
        check(&query);
    }

    /// Text made of SQL pieces reaches the parser's and the mapper's deeper paths.
    #[test]
    fn sql_like_text_never_panics(pieces in proptest::collection::vec(prop_oneof![
        Just("select"), Just("*"), Just("from"), Just("t"), Just("where"), Just("and"),
        Just("or"), Just("not"), Just("("), Just(")"), Just(","), Just("ilike"), Just("like"),
        Just("any"), Just("in"), Just("is"), Just("null"), Just("="), Just(">"), Just("'a\\\\\\nb'"),
        Just("'x'"), Just("$latest$"), Just("$earliest$"), Just("regexp_like(a, 'r', 'i')"),
        Just("contains"), Just("dateadd(hour, -2, sysdate())"), Just("event_time"),
        Just("whereevent_time"), Just("with c as"), Just("group by"), Just("between"),
        Just("1"), Just("$$d$$"), Just("'unterminated"), Just("\""), Just("é"),
    ], 0..40)) {
        check(&pieces.join(" "));
    }
}

fn check(query: &str) {
    let parsed = parse(query);
    let spans = parsed
        .diagnostics()
        .iter()
        .filter_map(|d| d.span)
        .chain(parsed.model.predicates.iter().map(|p| p.span))
        .chain(parsed.model.stages.iter().map(|s| s.span))
        .chain(parsed.model.tables.iter().map(|t| t.span));
    for span in spans {
        assert!(span.start <= span.end, "{query:?}: {span:?}");
        assert!(query.get(span.range()).is_some(), "{query:?}: {span:?}");
    }
}
