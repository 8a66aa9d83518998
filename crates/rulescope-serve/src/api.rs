//! The router: the JSON API under `/api/`, the site's files everywhere else, and the
//! guard every request passes (methods, URI length, body size, headers, JSON errors).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use rulescope_analysis::report::{DataSource, RuleAnalysis};
use rulescope_model::Severity;
use rulescope_site::{Kind, rule_href};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;

use crate::error::{ApiError, JSON, json_response};
use crate::{Live, Snapshot, unix_ms};

/// No endpoint reads a body; anything bigger than this is refused before it is read.
pub const MAX_BODY: usize = 1024;
/// The longest path and query accepted.
pub const MAX_URI: usize = 2048;
/// The longest search query, in characters.
pub const MAX_QUERY: usize = 256;
/// The most items one page of a list may hold.
pub const MAX_LIMIT: usize = 1000;
const DEFAULT_LIMIT: usize = 100;

const ENDPOINTS: &str = "endpoints: /api/status, /api/rules, /api/rules/{id}, /api/search?q=, \
                         /api/indicators, /api/techniques/{id}";

/// The scripts, styles and search of the site are files of the site: no inline code, no
/// other origin. Pages may not be framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

type Shared = State<Arc<Live>>;

pub fn router(live: Arc<Live>) -> Router {
    Router::new()
        .route("/api/status", get(status))
        .route("/api/rules", get(rules))
        .route("/api/rules/{id}", get(rule))
        .route("/api/search", get(search))
        .route("/api/indicators", get(indicators))
        .route("/api/techniques/{id}", get(technique))
        .route("/api", any(unknown_endpoint))
        .route("/api/{*rest}", any(unknown_endpoint))
        .fallback(site_file)
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(middleware::from_fn(guard))
        .with_state(live)
}

/// Refuses what no endpoint accepts before any work, and gives every answer the same
/// headers and every error the same JSON shape (including those of the layers beneath).
async fn guard(request: Request, next: Next) -> Response {
    let mut response = if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let mut response = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {} is not allowed", request.method()),
            "the catalog is read-only: use GET or HEAD",
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        response
    } else if request
        .uri()
        .path_and_query()
        .is_some_and(|p| p.as_str().len() > MAX_URI)
    {
        ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!("the request URI is longer than {MAX_URI} bytes"),
            "shorten the query",
        )
        .into_response()
    } else {
        next.run(request).await
    };
    let status = response.status();
    let is_json = response.headers().get(header::CONTENT_TYPE) == Some(&JSON);
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let mut error = ApiError::new(
            status,
            status.canonical_reason().unwrap_or("error").to_owned(),
            match status {
                StatusCode::PAYLOAD_TOO_LARGE => "requests to this server carry no body",
                _ => "see /api/status, or the README's `serve` section",
            },
        )
        .into_response();
        for name in [header::ALLOW, header::RETRY_AFTER] {
            if let Some(value) = response.headers().get(&name) {
                error.headers_mut().insert(name, value.clone());
            }
        }
        response = error;
    }
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache"));
    response
}

async fn site_file(State(live): Shared, uri: Uri, headers: HeaderMap) -> Response {
    live.current()
        .files
        .respond(uri.path(), &headers)
        .unwrap_or_else(IntoResponse::into_response)
}

async fn unknown_endpoint(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no endpoint {}", uri.path()), ENDPOINTS)
}

async fn status(State(live): Shared) -> Response {
    let snapshot = live.current();
    json_response(
        StatusCode::OK,
        &json!({
            "generation": snapshot.generation(),
            "built_at_unix_ms": unix_ms(snapshot.built_at()),
            "build_ms": snapshot.build_ms(),
            "title": snapshot.title(),
            "rules": snapshot.corpus().rules.len(),
            "files": snapshot.file_count(),
            "last_error": live.last_error(),
        }),
    )
}

/// Parses the query string into `T`; unknown parameters are errors, not silently ignored.
fn params<T: DeserializeOwned>(uri: &Uri, accepted: &str) -> Result<T, ApiError> {
    Query::<T>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(e.body_text(), format!("parameters: {accepted}")))
}

/// `limit` and `offset` of a list: whole numbers, `limit` from 1 to [`MAX_LIMIT`].
fn paging(limit: Option<&str>, offset: Option<&str>) -> Result<(usize, usize), ApiError> {
    let number = |name: &str, text: &str| {
        text.parse::<usize>()
            .ok()
            .filter(|_| text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                ApiError::bad_request(
                    format!("{name}={text:?} is not a whole number"),
                    format!(
                        "limit is 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}), offset 0 or more"
                    ),
                )
            })
    };
    let limit = limit.map_or(Ok(DEFAULT_LIMIT), |l| number("limit", l))?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            format!("limit={limit} is out of range"),
            format!("limit is 1 to {MAX_LIMIT}; page with offset"),
        ));
    }
    let offset = offset.map_or(Ok(0), |o| number("offset", o))?;
    Ok((limit, offset))
}

/// One page of a list: the list's length and the items from `offset`, at most `limit`.
fn page<T>(items: impl Iterator<Item = T>, limit: usize, offset: usize) -> (usize, Vec<T>) {
    let mut total = 0;
    let mut kept = Vec::new();
    for item in items {
        if total >= offset && kept.len() < limit {
            kept.push(item);
        }
        total += 1;
    }
    (total, kept)
}

/// A rule as lists show it.
#[derive(Serialize)]
struct RuleSummary<'a> {
    key: &'a str,
    id: &'a str,
    title: &'a str,
    display_title: &'a str,
    use_case: &'a str,
    format: &'a str,
    data_source: &'a DataSource,
    data_categories: &'a [String],
    techniques: Vec<&'a str>,
    path: &'a str,
    /// The rule's page.
    url: String,
    /// Where `/api/rules/{id}` answers with this rule (and no other).
    api: String,
    counts: Counts,
}

#[derive(Serialize)]
struct Counts {
    indicators: usize,
    search_terms: usize,
    selectors: usize,
    events: usize,
    errors: usize,
    warnings: usize,
}

fn summary<'a>(snapshot: &Snapshot, rule: &'a RuleAnalysis) -> RuleSummary<'a> {
    let count = |severity| {
        rule.diagnostics
            .iter()
            .filter(|d| d.diagnostic.severity == severity)
            .count()
    };
    let mut techniques: Vec<&str> = Vec::new();
    for id in rule.attack.iter().filter_map(|a| a.technique_id.as_deref()) {
        if !techniques.contains(&id) {
            techniques.push(id);
        }
    }
    RuleSummary {
        key: &rule.key,
        id: &rule.id,
        title: &rule.title,
        display_title: &rule.display_title,
        use_case: &rule.use_case,
        format: rule.logic_format.as_str(),
        data_source: &rule.data_source,
        data_categories: &rule.data_categories,
        techniques,
        path: &rule.path,
        url: format!("/{}", rule_href(&rule.key)),
        api: api_url(snapshot, rule),
        counts: Counts {
            indicators: rule.indicators.len(),
            search_terms: rule.search_terms.len(),
            selectors: rule.selectors.len(),
            events: rule.events.len(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
        },
    }
}

/// The key names one rule unless it is also an id several rules share; then the path says which.
fn api_url(snapshot: &Snapshot, rule: &RuleAnalysis) -> String {
    let base = format!("/api/rules/{}", encode(&rule.key));
    if snapshot.id_is_shared(&rule.key) {
        format!("{base}?path={}", encode(&rule.path))
    } else {
        base
    }
}

/// Percent-encodes all but unreserved characters and `/`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesParams {
    format: Option<String>,
    technique: Option<String>,
    data_source: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

async fn rules(State(live): Shared, uri: Uri) -> Result<Response, ApiError> {
    let p: RulesParams = params(&uri, "format, technique, data_source, limit, offset")?;
    let (limit, offset) = paging(p.limit.as_deref(), p.offset.as_deref())?;
    let technique = p.technique.as_deref().map(technique_id).transpose()?;
    let snapshot = live.current();
    let matching = snapshot.corpus().rules.iter().filter(|rule| {
        p.format
            .as_deref()
            .is_none_or(|f| rule.logic_format.as_str().eq_ignore_ascii_case(f))
            && p.data_source.as_deref().is_none_or(|d| {
                rule.data_source.key.eq_ignore_ascii_case(d)
                    || rule.data_source.label.eq_ignore_ascii_case(d)
            })
            && technique.as_deref().is_none_or(|t| {
                rule.attack
                    .iter()
                    .filter_map(|a| a.technique_id.as_deref())
                    .any(|id| covers(t, id))
            })
    });
    let (total, matching) = page(matching, limit, offset);
    let items: Vec<_> = matching
        .into_iter()
        .map(|r| summary(&snapshot, r))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"total": total, "offset": offset, "limit": limit, "rules": items}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleParams {
    path: Option<String>,
}

/// `{id}` is a rule's id or key. An id several rules share answers 300 Multiple Choices with
/// the candidates (key, path, page, and the `api` URL that names each one) unless `?path=`
/// picks one.
async fn rule(State(live): Shared, Path(id): Path<String>, uri: Uri) -> Result<Response, ApiError> {
    let p: RuleParams = params(&uri, "path (to pick one of the rules sharing an id)")?;
    let snapshot = live.current();
    let rules = &snapshot.corpus().rules;
    let mut candidates: Vec<usize> = match snapshot.by_id.get(&id) {
        Some(shared) => shared.clone(),
        None => snapshot.by_key.get(&id).copied().into_iter().collect(),
    };
    if let Some(path) = &p.path {
        candidates.retain(|&i| rules.get(i).is_some_and(|r| &r.path == path));
    }
    match candidates.as_slice() {
        [] => Err(ApiError::not_found(
            match &p.path {
                Some(path) => format!("no rule {id} at {path}"),
                None => format!("no rule with id or key {id}"),
            },
            format!(
                "GET /api/rules lists every rule; /api/search?q={} searches",
                encode(&id)
            ),
        )),
        [one] => snapshot
            .rule_json(*one)
            .map(|json| ([(header::CONTENT_TYPE, JSON)], json.clone()).into_response())
            .ok_or_else(|| ApiError::not_found(format!("no export for rule {id}"), ENDPOINTS)),
        many => {
            let list: Vec<_> = many
                .iter()
                .filter_map(|&i| rules.get(i))
                .map(|r| {
                    json!({
                        "key": r.key,
                        "path": r.path,
                        "display_title": r.display_title,
                        "url": format!("/{}", rule_href(&r.key)),
                        "api": api_url(&snapshot, r),
                    })
                })
                .collect();
            Err(ApiError::new(
                StatusCode::MULTIPLE_CHOICES,
                format!("{} rules share the id {id}", many.len()),
                "ask for one by its candidate's `api` URL (its key, or the id with ?path=)",
            )
            .with("candidates", list.into()))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

#[derive(Serialize)]
struct SearchResult<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    detail: &'a str,
    url: String,
    score: u32,
}

/// The site's search (the same documents and ranking as `search.html`), paged.
async fn search(State(live): Shared, uri: Uri) -> Result<Response, ApiError> {
    let p: SearchParams = params(&uri, "q, type, limit, offset")?;
    let (limit, offset) = paging(p.limit.as_deref(), p.offset.as_deref())?;
    let q = p.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(ApiError::bad_request(
            "q is empty",
            "search words go in q: /api/search?q=psexec",
        ));
    }
    if q.chars().count() > MAX_QUERY {
        return Err(ApiError::bad_request(
            format!("q is longer than {MAX_QUERY} characters"),
            "search for fewer, shorter words",
        ));
    }
    let snapshot = live.current();
    let hits = snapshot.search.search(&q);
    let results = hits.iter().filter(|h| {
        p.kind.as_deref().is_none_or(|k| {
            h.doc
                .kind
                .eq_ignore_ascii_case(k.replace(['-', '_'], " ").trim())
        })
    });
    let (total, results) = page(results, limit, offset);
    let results: Vec<_> = results
        .into_iter()
        .map(|h| SearchResult {
            kind: h.doc.kind,
            title: &h.doc.title,
            detail: &h.doc.detail,
            url: format!("/{}", h.doc.href),
            score: h.score,
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"query": q, "total": total, "offset": offset, "limit": limit, "results": results}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorParams {
    field: Option<String>,
    q: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

#[derive(Serialize)]
struct Indicator<'a> {
    key: &'a str,
    field: &'a str,
    rules: usize,
    use_cases: usize,
    rule_keys: &'a [String],
    url: String,
}

/// The corpus's indicators, most shared (by use cases) first.
async fn indicators(State(live): Shared, uri: Uri) -> Result<Response, ApiError> {
    let p: IndicatorParams = params(&uri, "field, q, limit, offset")?;
    let (limit, offset) = paging(p.limit.as_deref(), p.offset.as_deref())?;
    if p.q
        .as_deref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY)
    {
        return Err(ApiError::bad_request(
            format!("q is longer than {MAX_QUERY} characters"),
            "filter by a shorter part of the indicator",
        ));
    }
    let needle = p.q.as_deref().map(str::to_lowercase);
    let snapshot = live.current();
    let matching = snapshot
        .corpus()
        .indicators
        .iter()
        .filter(|e| {
            p.field
                .as_deref()
                .is_none_or(|f| e.field.eq_ignore_ascii_case(f))
                && needle
                    .as_deref()
                    .is_none_or(|n| e.key.to_lowercase().contains(n))
        })
        .map(|e| Indicator {
            key: &e.key,
            field: &e.field,
            rules: e.rules.len(),
            use_cases: e.use_cases,
            rule_keys: &e.rules,
            url: format!("/{}", Kind::Indicator.href(&e.key)),
        });
    let (total, matching) = page(matching, limit, offset);
    Ok(json_response(
        StatusCode::OK,
        &json!({"total": total, "offset": offset, "limit": limit, "indicators": matching}),
    ))
}

/// `T1234` or `T1234.567`, any case, as ATT&CK spells it; else a 400.
fn technique_id(text: &str) -> Result<String, ApiError> {
    let id = text.to_ascii_uppercase();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let valid = match id.strip_prefix('T').map(|rest| rest.split_once('.')) {
        Some(Some((main, sub))) => digits(main, 4) && digits(sub, 3),
        Some(None) => digits(&id[1..], 4),
        None => false,
    };
    if valid {
        Ok(id)
    } else {
        Err(ApiError::bad_request(
            format!("{text:?} is not an ATT&CK technique id"),
            "technique ids look like T1059 or T1569.002",
        ))
    }
}

/// Whether asking for technique `asked` finds a rule tagged `tagged`: the technique itself,
/// or one of its sub-techniques when `asked` is a parent.
fn covers(asked: &str, tagged: &str) -> bool {
    tagged.eq_ignore_ascii_case(asked)
        || (!asked.contains('.')
            && tagged
                .get(..asked.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(asked))
            && tagged.as_bytes().get(asked.len()) == Some(&b'.'))
}

/// A technique: its name and tactics as the rules give them, its page, the rules tagged
/// with it and, for a parent, its sub-techniques the corpus covers.
async fn technique(State(live): Shared, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = technique_id(&id)?;
    let snapshot = live.current();
    let corpus = snapshot.corpus();
    let mut name = None;
    let mut attack_url = None;
    let mut tactics: Vec<(&str, Option<&str>)> = Vec::new();
    let mut rules = Vec::new();
    let mut subs: Vec<(&str, &str, usize)> = Vec::new();
    for rule in &corpus.rules {
        let mut tagged = false;
        // A rule tags a technique once per tactic; it counts once.
        let mut counted: Vec<&str> = Vec::new();
        for row in &rule.attack {
            let Some(row_id) = row.technique_id.as_deref() else {
                continue;
            };
            if row_id.eq_ignore_ascii_case(&id) {
                tagged = true;
                name.get_or_insert(row.technique_name.as_str());
                attack_url = attack_url.or(row.url.as_deref());
                let tactic = (row.tactic_name.as_str(), row.tactic_id.as_deref());
                if !tactics.contains(&tactic) {
                    tactics.push(tactic);
                }
            } else if covers(&id, row_id) && !counted.contains(&row_id) {
                counted.push(row_id);
                match subs.iter_mut().find(|s| s.0 == row_id) {
                    Some(sub) => sub.2 += 1,
                    None => subs.push((row_id, &row.technique_name, 1)),
                }
            }
        }
        if tagged {
            rules.push(summary(&snapshot, rule));
        }
    }
    // The ATT&CK the analysis used knows techniques no rule covers: those are gaps, not
    // unknowns.
    let known = corpus.attack.techniques.iter().find(|t| t.id == id);
    let covered = !rules.is_empty() || !subs.is_empty();
    if !covered && known.is_none() {
        return Err(ApiError::not_found(
            format!("no rule covers {id}"),
            "/techniques/index.html shows the ATT&CK matrix of the corpus",
        ));
    }
    if let Some(known) = known {
        name = name.or(Some(known.name.as_str()));
        attack_url = attack_url.or(Some(known.url.as_str()));
        if tactics.is_empty() {
            tactics = corpus
                .attack
                .tactics
                .iter()
                .filter(|t| known.tactics.contains(&t.shortname))
                .map(|t| (t.name.as_str(), Some(t.id.as_str())))
                .collect();
        }
    }
    subs.sort_unstable();
    let tactics: Vec<_> = tactics
        .into_iter()
        .map(|(name, id)| json!({"name": name, "id": id}))
        .collect();
    let subs: Vec<_> = subs
        .into_iter()
        .map(|(sub, name, count)| {
            json!({"id": sub, "name": name, "rules": count, "api": format!("/api/techniques/{sub}")})
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "id": id,
            "name": name,
            "tactics": tactics,
            "covered": covered,
            // Only techniques some rule names have a page.
            "url": (!rules.is_empty()).then(|| format!("/{}", Kind::Technique.href(&id))),
            "attack_url": attack_url,
            "rules": rules,
            "sub_techniques": subs,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_are_checked_and_parents_cover_their_subs() {
        assert_eq!(technique_id("t1569.002").ok().as_deref(), Some("T1569.002"));
        assert_eq!(technique_id("T1059").ok().as_deref(), Some("T1059"));
        for bad in [
            "T15",
            "T1569.02",
            "1569",
            "T1569.002.1",
            "Tabcd",
            "",
            "T1569.",
            "T١٥٦٩",
        ] {
            assert!(technique_id(bad).is_err(), "{bad}");
        }
        assert!(covers("T1569", "T1569.002"));
        assert!(covers("T1569.002", "t1569.002"));
        assert!(!covers("T1569", "T15690"));
        assert!(!covers("T1569.002", "T1569"));
    }

    #[test]
    fn paging_takes_whole_numbers_in_range() {
        assert_eq!(paging(None, None).ok(), Some((DEFAULT_LIMIT, 0)));
        assert_eq!(paging(Some("5"), Some("10")).ok(), Some((5, 10)));
        for (limit, offset) in [
            (Some("0"), None),
            (Some("-1"), None),
            (Some("+5"), None),
            (Some("1001"), None),
            (Some("ten"), None),
            (None, Some("1e3")),
            (None, Some("99999999999999999999999")),
        ] {
            assert!(paging(limit, offset).is_err(), "{limit:?} {offset:?}");
        }
    }

    #[test]
    fn encoding_keeps_paths_readable() {
        assert_eq!(encode("detections/a b/x.yml"), "detections/a%20b/x.yml");
        assert_eq!(encode("a&b=c?"), "a%26b%3Dc%3F");
    }
}
