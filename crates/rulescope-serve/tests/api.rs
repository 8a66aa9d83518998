//! The router driven in-process against the example corpus plus fixture rules of our own:
//! every endpoint's shape and values, filters and paging, ambiguous ids, refused paths,
//! oversized requests, methods, and rebuilds.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use rulescope_analysis::{CorpusAnalysis, analyze_paths};
use rulescope_serve::{Live, Rebuild, router};
use rulescope_site::{SearchIndex, SiteOptions};
use serde_json::Value;
use tower::ServiceExt;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/armory")
}

fn rule_file(id: &str, title: &str) -> String {
    format!(
        "id: '{id}'\ntitle: {title}\ndescription: 'A fixture rule.'\nlogic_format: Splunk\n\
         logic: '`get_endpoint_data` process_name=\"fixture.exe\" | table host'\n\
         techniques:\n- execution:command and scripting interpreter\ntechnique_id:\n- T1059\n\
         data_category:\n- Windows event logs\nreferences:\n- https://example.invalid/\n"
    )
}

/// The examples and a fixture directory with two files sharing the id `77777.1`.
struct Fixture {
    _dir: tempfile::TempDir,
    paths: Vec<PathBuf>,
    live: Arc<Live>,
}

fn rebuild_from(paths: Vec<PathBuf>) -> Rebuild {
    Arc::new(move || Ok((analyze_paths(&paths), SiteOptions::default())))
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        for (file, title) in [
            ("a.yml", "Fixture Duplicate A"),
            ("b.yml", "Fixture Duplicate B"),
        ] {
            std::fs::write(dir.path().join(file), rule_file("77777.1", title)).expect("write");
        }
        let paths = vec![examples(), dir.path().to_path_buf()];
        let live = Live::new(rebuild_from(paths.clone())).expect("first build");
        Fixture {
            _dir: dir,
            paths,
            live,
        }
    })
}

fn corpus() -> CorpusAnalysis {
    analyze_paths(&fixture().paths)
}

async fn request(live: &Arc<Live>, request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
    let response = router(live.clone())
        .oneshot(request)
        .await
        .expect("answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, headers, body)
}

async fn get(uri: &str) -> (StatusCode, HeaderMap, Bytes) {
    get_from(&fixture().live, uri).await
}

async fn get_from(live: &Arc<Live>, uri: &str) -> (StatusCode, HeaderMap, Bytes) {
    let req = Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("request");
    request(live, req).await
}

/// A JSON answer: its status and body, after checking the content type.
async fn json(uri: &str) -> (StatusCode, Value) {
    let (status, headers, body) = get(uri).await;
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/json",
        "{uri}: {status}"
    );
    (status, serde_json::from_slice(&body).expect("JSON body"))
}

/// Checks the error shape and returns the message.
fn error_message(body: &Value, status: StatusCode) -> String {
    let error = &body["error"];
    assert_eq!(error["status"], status.as_u16(), "{body}");
    assert!(!error["hint"].as_str().expect("hint").is_empty(), "{body}");
    error["message"].as_str().expect("message").to_owned()
}

/// Each URI answers with its status and a JSON error body.
async fn json_errors(cases: &[(&str, StatusCode)]) {
    for &(uri, status) in cases {
        let (got, body) = json(uri).await;
        assert_eq!(got, status, "{uri}");
        error_message(&body, status);
    }
}

fn keys(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|r| r["key"].as_str().expect("key"))
        .collect()
}

#[tokio::test]
async fn pages_are_byte_identical_to_the_build_and_carry_safe_headers() {
    let out = tempfile::tempdir().expect("temp dir");
    rulescope_site::build(&corpus(), out.path(), &SiteOptions::default()).expect("build");
    for (uri, file, kind) in [
        ("/", "index.html", "text/html; charset=utf-8"),
        (
            "/rules/90005.90051.html",
            "rules/90005.90051.html",
            "text/html; charset=utf-8",
        ),
        (
            "/rules/90005.90051.json",
            "rules/90005.90051.json",
            "application/json",
        ),
        (
            "/techniques/",
            "techniques/index.html",
            "text/html; charset=utf-8",
        ),
        (
            "/search-index.js",
            "search-index.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/assets/site.css",
            "assets/site.css",
            "text/css; charset=utf-8",
        ),
        (
            "/indicators.csv",
            "indicators.csv",
            "text/csv; charset=utf-8",
        ),
    ] {
        let (status, headers, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers[header::CONTENT_TYPE], kind, "{uri}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let csp = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp");
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        let written = std::fs::read(out.path().join(file)).expect("built file");
        assert!(body == written, "{uri} differs from the build");
    }
    // The policy allows only the site's own files: no page may rely on inline code or styles.
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                let html = std::fs::read_to_string(&path).expect("page");
                for tag in html.match_indices("<script").map(|(i, _)| &html[i..]) {
                    let open = &tag[..tag.find('>').expect("tag ends")];
                    assert!(
                        open.contains(" src=\""),
                        "{}: inline script",
                        path.display()
                    );
                }
                for inline in [
                    "<style",
                    " style=\"",
                    " onclick=",
                    " onload=",
                    "javascript:",
                ] {
                    assert!(!html.contains(inline), "{}: {inline}", path.display());
                }
            }
        }
    }
    // A directory without its slash is redirected, so its relative links resolve.
    let (status, headers, _) = get("/techniques").await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(headers[header::LOCATION], "/techniques/");
    // A page asked for again with its ETag is not sent again.
    let (_, headers, _) = get("/rules/90005.90051.html").await;
    let req = Request::builder()
        .uri("/rules/90005.90051.html")
        .header(header::IF_NONE_MATCH, headers[header::ETAG].clone())
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = request(&fixture().live, req).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
}

#[tokio::test]
async fn paths_outside_the_site_are_refused() {
    for uri in [
        "/../Cargo.toml",
        "/rules/../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/rules/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "//etc/passwd",
        "/rules/..%5c..%5cCargo.toml",
        "/rules%5c..%5c..%5cCargo.toml",
        "/%c0%ae%c0%ae/etc/passwd",
        "/C:/Windows/win.ini",
        "/rules/no-such-rule.html",
    ] {
        let (status, body) = json(uri).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{uri}: {status}"
        );
        error_message(&body, status);
    }
}

#[tokio::test]
async fn the_rule_list_filters_and_pages() {
    let corpus = corpus();
    let (status, body) = json("/api/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], corpus.rules.len());
    assert_eq!(body["total"], 15);
    let all = keys(&body["rules"]);
    let crontab = body["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["key"] == "90005.90051")
        .expect("crontab rule");
    assert_eq!(crontab["title"], "Crontab Modified From A Shell");
    assert_eq!(crontab["format"], "splunk");
    assert_eq!(crontab["techniques"], serde_json::json!(["T1053.003"]));
    assert_eq!(crontab["url"], "/rules/90005.90051.html");
    assert_eq!(crontab["api"], "/api/rules/90005.90051");
    assert!(crontab["counts"]["indicators"].as_u64().expect("count") > 0);
    assert!(crontab["data_source"]["label"].is_string());

    let (_, page) = json("/api/rules?limit=2&offset=1").await;
    assert_eq!(page["total"], 15);
    assert_eq!(keys(&page["rules"]), all[1..3]);
    let (_, past) = json("/api/rules?offset=100").await;
    assert_eq!(past["rules"], serde_json::json!([]));

    let snowflake = corpus
        .rules
        .iter()
        .filter(|r| r.logic_format.as_str() == "snowflake")
        .count();
    let (_, body) = json("/api/rules?format=Snowflake&limit=1000").await;
    assert_eq!(body["total"], snowflake);
    assert!(snowflake > 0 && snowflake < 15);
    // A parent technique finds its sub-techniques' rules.
    let (_, body) = json("/api/rules?technique=t1053").await;
    assert_eq!(keys(&body["rules"]), ["90005.90051"]);
    let source = &crontab["data_source"]["key"].as_str().expect("key");
    let (_, body) = json(&format!("/api/rules?data_source={source}")).await;
    assert!(keys(&body["rules"]).contains(&"90005.90051"));

    for (uri, needle) in [
        ("/api/rules?limit=abc", "limit"),
        ("/api/rules?limit=0", "limit"),
        ("/api/rules?limit=-5", "limit"),
        ("/api/rules?offset=1.5", "offset"),
        ("/api/rules?limit=100000", "limit"),
        ("/api/rules?technique=not-a-technique", "technique"),
        ("/api/rules?colour=blue", "colour"),
    ] {
        let (status, body) = json(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            error_message(&body, status).contains(needle),
            "{uri}: {body}"
        );
    }
}

#[tokio::test]
async fn a_rule_is_its_json_export_and_shared_ids_offer_choices() {
    let (status, headers, body) = get("/api/rules/90005.90051").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let (_, _, export) = get("/rules/90005.90051.json").await;
    assert_eq!(body, export);
    let rule: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(rule["title"], "Crontab Modified From A Shell");
    assert!(rule["indicators"].as_array().is_some_and(|i| !i.is_empty()));

    let (status, body) = json("/api/rules/77777.1").await;
    assert_eq!(status, StatusCode::MULTIPLE_CHOICES);
    assert!(error_message(&body, status).contains("2 rules share the id 77777.1"));
    assert_eq!(keys(&body["candidates"]), ["77777.1", "77777.1-2"]);
    let mut titles = Vec::new();
    for candidate in body["candidates"].as_array().expect("candidates") {
        let api = candidate["api"].as_str().expect("api");
        let (status, rule) = json(api).await;
        assert_eq!(status, StatusCode::OK, "{api}");
        assert_eq!(rule["key"], candidate["key"]);
        assert_eq!(rule["path"], candidate["path"]);
        titles.push(rule["title"].as_str().expect("title").to_owned());
    }
    assert_eq!(titles, ["Fixture Duplicate A", "Fixture Duplicate B"]);
    // The key of a later duplicate names it alone; the list links each rule unambiguously.
    let (status, rule) = json("/api/rules/77777.1-2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rule["title"], "Fixture Duplicate B");
    let (_, list) = json("/api/rules?technique=T1059").await;
    let apis: Vec<&str> = list["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["api"].as_str())
        .collect();
    assert!(apis.contains(&"/api/rules/77777.1?path=a.yml"), "{apis:?}");
    assert!(apis.contains(&"/api/rules/77777.1-2"), "{apis:?}");

    json_errors(&[
        ("/api/rules/nope", StatusCode::NOT_FOUND),
        ("/api/rules/77777.1?path=c.yml", StatusCode::NOT_FOUND),
        ("/api/rules/90005.90051?colour=red", StatusCode::BAD_REQUEST),
        ("/api/rules/", StatusCode::NOT_FOUND),
    ])
    .await;
}

#[tokio::test]
async fn search_ranks_as_the_site_does() {
    let index = SearchIndex::new(&corpus());
    for query in ["certutil", "T1053", "admin share", "okta mfa"] {
        let (status, body) = json(&format!("/api/search?q={}", query.replace(' ', "+"))).await;
        assert_eq!(status, StatusCode::OK);
        let expected: Vec<(String, u64)> = index
            .search(query)
            .iter()
            .take(100)
            .map(|h| (format!("/{}", h.doc.href), u64::from(h.score)))
            .collect();
        assert!(!expected.is_empty(), "{query}");
        let got: Vec<(String, u64)> = body["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                (
                    r["url"].as_str().expect("url").to_owned(),
                    r["score"].as_u64().expect("score"),
                )
            })
            .collect();
        assert_eq!(got, expected, "{query}");
        assert_eq!(body["total"], index.search(query).len());
    }
    let (_, body) = json("/api/search?q=certutil&type=rule&limit=2").await;
    assert_eq!(body["results"].as_array().expect("results").len(), 2);
    assert_eq!(body["results"][0]["type"], "Rule");
    assert!(
        body["results"][0]["title"]
            .as_str()
            .expect("title")
            .contains("Certutil")
    );
    let (_, body) = json("/api/search?q=T1053&type=technique").await;
    assert_eq!(body["results"][0]["url"], "/techniques/t1053.003.html");

    let long = "a".repeat(300);
    for uri in [
        "/api/search",
        "/api/search?q=",
        "/api/search?q=+++",
        &format!("/api/search?q={long}"),
        "/api/search?q=x&limit=nope",
        "/api/search?query=x",
    ] {
        let (status, body) = json(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        error_message(&body, status);
    }
}

#[tokio::test]
async fn indicators_come_with_corpus_counts() {
    let corpus = corpus();
    let (status, body) = json("/api/indicators?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], corpus.indicators.len());
    let first = &body["indicators"][0];
    let expected = &corpus.indicators[0];
    assert_eq!(first["key"], expected.key.as_str());
    assert_eq!(first["field"], expected.field.as_str());
    assert_eq!(first["rules"], expected.rules.len());
    assert_eq!(first["use_cases"], expected.use_cases);
    assert!(
        first["url"]
            .as_str()
            .expect("url")
            .starts_with("/indicators/")
    );
    let (status, _, _) = get(first["url"].as_str().expect("url")).await;
    assert_eq!(status, StatusCode::OK);

    let field = expected.field.as_str();
    let by_field = corpus
        .indicators
        .iter()
        .filter(|i| i.field == field)
        .count();
    let (_, body) = json(&format!("/api/indicators?field={}", field.to_uppercase())).await;
    assert_eq!(body["total"], by_field);
    let (_, body) = json("/api/indicators?q=CERTUTIL").await;
    let found = body["indicators"].as_array().expect("list");
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|i| i["key"].as_str().is_some_and(|k| k.contains("certutil")))
    );
    let (_, body) = json("/api/indicators?limit=1&offset=1").await;
    assert_eq!(
        body["indicators"][0]["key"],
        corpus.indicators[1].key.as_str()
    );
    let (status, body) = json("/api/indicators?limit=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    error_message(&body, status);
}

#[tokio::test]
async fn techniques_list_their_rules() {
    let (status, body) = json("/api/techniques/t1053.003").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], "T1053.003");
    assert_eq!(keys(&body["rules"]), ["90005.90051"]);
    assert_eq!(body["url"], "/techniques/t1053.003.html");
    let tactics: Vec<&str> = body["tactics"]
        .as_array()
        .expect("tactics")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(tactics.len(), 2, "{tactics:?}");
    assert!(body["name"].as_str().is_some_and(|n| !n.is_empty()));

    let (status, body) = json("/api/techniques/T1053").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["rules"], serde_json::json!([]));
    assert_eq!(body["covered"], true);
    assert_eq!(
        body["url"],
        Value::Null,
        "no rule names T1053 itself: no page"
    );
    assert_eq!(body["sub_techniques"][0]["id"], "T1053.003");
    assert_eq!(body["sub_techniques"][0]["rules"], 1);

    json_errors(&[
        ("/api/techniques/T9999", StatusCode::NOT_FOUND),
        ("/api/techniques/T9999.999", StatusCode::NOT_FOUND),
        ("/api/techniques/powershell", StatusCode::BAD_REQUEST),
        ("/api/techniques/T1053.3", StatusCode::BAD_REQUEST),
        ("/api/techniques/", StatusCode::NOT_FOUND),
    ])
    .await;
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let (status, body) = json("/api/nothing/here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error_message(&body, status).contains("/api/nothing/here"));

    let live = &fixture().live;
    for (method, uri) in [
        (Method::POST, "/api/rules"),
        (Method::PUT, "/rules/90005.90051.html"),
        (Method::DELETE, "/api/rules/90005.90051"),
        (Method::OPTIONS, "/"),
    ] {
        let req = Request::builder()
            .method(method.clone())
            .uri(uri)
            .body(Body::from("{}"))
            .expect("request");
        let (status, headers, body) = request(live, req).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert_eq!(headers[header::ALLOW], "GET, HEAD");
        error_message(&serde_json::from_slice(&body).expect("JSON"), status);
    }
    let head = Request::builder()
        .method(Method::HEAD)
        .uri("/api/status")
        .body(Body::empty())
        .expect("request");
    assert_eq!(request(live, head).await.0, StatusCode::OK);

    let big = Request::builder()
        .uri("/api/rules")
        .header(header::CONTENT_LENGTH, 64 * 1024)
        .body(Body::from(vec![b'x'; 64 * 1024]))
        .expect("request");
    let (status, headers, body) = request(live, big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    error_message(&serde_json::from_slice(&body).expect("JSON"), status);

    let (status, body) = json(&format!("/api/search?q={}", "a".repeat(5000))).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    error_message(&body, status);
}

#[tokio::test]
async fn rebuilds_swap_the_catalog_and_failures_keep_the_old_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("rule.yml");
    std::fs::write(&file, rule_file("88888.1", "Before The Edit")).expect("write");
    let fail = Arc::new(AtomicBool::new(false));
    let paths = vec![dir.path().to_path_buf()];
    let failing = fail.clone();
    let rebuild: Rebuild = Arc::new(move || {
        if failing.load(Ordering::SeqCst) {
            anyhow::bail!("the corpus is unreadable");
        }
        Ok((analyze_paths(&paths), SiteOptions::default()))
    });
    let live = Live::new(rebuild).expect("first build");
    let title = |body: &Bytes| -> Value {
        serde_json::from_slice::<Value>(body).expect("JSON")["title"].clone()
    };
    let status = |live: Arc<Live>| async move {
        let (_, _, body) = get_from(&live, "/api/status").await;
        serde_json::from_slice::<Value>(&body).expect("JSON")
    };
    let before = status(live.clone()).await;
    assert_eq!(before["generation"], 1);
    assert_eq!(before["rules"], 1);
    assert_eq!(before["last_error"], Value::Null);
    assert!(before["built_at_unix_ms"].as_u64().is_some_and(|t| t > 0));

    let old = live.current();
    std::fs::write(&file, rule_file("88888.1", "After The Edit")).expect("write");
    std::fs::write(dir.path().join("new.yml"), rule_file("88888.2", "Added")).expect("write");
    live.rebuild().expect("rebuilds");
    let (_, _, body) = get_from(&live, "/api/rules/88888.1").await;
    assert_eq!(title(&body), "After The Edit");
    let after = status(live.clone()).await;
    assert_eq!(after["generation"], 2);
    assert_eq!(after["rules"], 2);
    // A request that started before the swap keeps the catalog it started with.
    assert_eq!(old.generation(), 1);
    assert!(
        old.rule_json(0)
            .is_some_and(|j| title(j) == "Before The Edit")
    );

    fail.store(true, Ordering::SeqCst);
    assert!(live.rebuild().is_err());
    let failed = status(live.clone()).await;
    assert_eq!(failed["generation"], 2);
    assert!(
        failed["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("unreadable"))
    );
    let (status_code, _, body) = get_from(&live, "/api/rules/88888.1").await;
    assert_eq!(status_code, StatusCode::OK);
    assert_eq!(title(&body), "After The Edit");

    fail.store(false, Ordering::SeqCst);
    live.rebuild().expect("rebuilds again");
    let recovered = status(live.clone()).await;
    assert_eq!(recovered["generation"], 3);
    assert_eq!(recovered["last_error"], Value::Null);
}

/// With ATT&CK data, a technique no rule covers is a known gap: 200, no rules, its name and
/// tactics from ATT&CK. An id ATT&CK does not know stays a 404.
#[tokio::test]
async fn uncovered_techniques_of_the_attack_data_are_gaps() {
    use rulescope_analysis::report::{AttackTactic, AttackTechnique};
    let paths = vec![examples()];
    let rebuild: Rebuild = Arc::new(move || {
        let mut corpus = analyze_paths(&paths);
        corpus.attack.tactics.push(AttackTactic {
            id: "TA0043".into(),
            shortname: "reconnaissance".into(),
            name: "Reconnaissance".into(),
        });
        corpus.attack.techniques.push(AttackTechnique {
            id: "T1595".into(),
            name: "Active Scanning".into(),
            parent_id: None,
            tactics: vec!["reconnaissance".into()],
            url: "https://attack.mitre.org/techniques/T1595/".into(),
        });
        Ok((corpus, SiteOptions::default()))
    });
    let live = Live::new(rebuild).expect("build");
    let (status, _, body) = get_from(&live, "/api/techniques/t1595").await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["covered"], false);
    assert_eq!(body["name"], "Active Scanning");
    assert_eq!(body["tactics"][0]["id"], "TA0043");
    assert_eq!(body["rules"], serde_json::json!([]));
    assert_eq!(body["url"], Value::Null);
    let (status, _, _) = get_from(&live, "/api/techniques/T9999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
