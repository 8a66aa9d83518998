//! Builds the fixture site and checks what a reader, a browser and a consumer of the exports
//! rely on: every section filled, no injected markup, no dangling link, valid exports.

mod fixture;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rulescope_site::{SiteOptions, build, slug};

fn built() -> (tempfile::TempDir, rulescope_site::SiteStats) {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SiteOptions {
        base_url: Some("https://rules.example/catalog/".into()),
        evaluation: Some(fixture::evaluation()),
        ..SiteOptions::default()
    };
    let stats = build(&fixture::corpus(), dir.path(), &options).expect("site builds");
    (dir, stats)
}

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rule_page(root: &Path, key: &str, ext: &str) -> String {
    read(&root.join("rules").join(format!("{}.{ext}", slug(key))))
}

/// The values of every `name="..."` attribute in `html`.
fn attributes<'h>(html: &'h str, name: &str) -> Vec<&'h str> {
    let needle = format!(" {name}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// Markdown with fenced blocks and code spans removed.
fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let ticks: String = line.chars().take_while(|&c| c == '`').collect();
        match &fence {
            Some(open) if ticks.len() >= open.len() && line.trim_end() == ticks => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                // Drop code spans: text between equal backtick runs.
                let mut rest = line;
                while let Some(start) = rest.find('`') {
                    out.push_str(&rest[..start]);
                    let run = rest[start..].chars().take_while(|&c| c == '`').count();
                    let after = &rest[start + run..];
                    let closing = "`".repeat(run);
                    rest = after.find(&closing).map_or("", |end| &after[end + run..]);
                }
                out.push_str(rest);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn writes_every_page_and_export() {
    let (dir, stats) = built();
    let root = dir.path();
    assert_eq!(stats.rules, 4);
    for path in [
        "index.html",
        "search.html",
        "search-index.js",
        "diagnostics.html",
        "catalog.json",
        "indicators.csv",
        "attack/layer.json",
        "attack/windows-event-log.json",
        "attack/sysmon.json",
        "schema/rule.schema.json",
        "schema/catalog.schema.json",
        "assets/site.css",
        "assets/search.js",
        "rules/1001.2001.html",
        "rules/1001.2001.md",
        "rules/1001.2001.json",
        "techniques/index.html",
        "techniques/t1569.002.html",
        "tactics/execution.html",
        "events/security-auditing-4688.html",
        "formats/splunk.html",
        "data-sources/sysmon.html",
        "macros/get_endpoint_data.html",
        "coverage.html",
        "coverage.json",
    ] {
        assert!(root.join(path).is_file(), "{path} missing");
    }
    let pages = files(root)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .count();
    assert_eq!(stats.pages, pages);
    assert_eq!(stats.files, files(root).len());
}

#[test]
fn rule_page_has_every_section_filled() {
    let (dir, _) = built();
    let html = rule_page(dir.path(), "1001.2001", "html");
    for id in [
        "description",
        "enrichment",
        "attack",
        "references",
        "events",
        "body",
        "stages",
        "indicators",
        "search-terms",
        "selectors",
        "fields",
        "variants",
        "similar",
        "diagnostics",
    ] {
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "section {id} missing"
        );
    }
    // Breadcrumb, title with its data source, the summary.
    assert!(html.contains(">Detection rules</a>"));
    assert!(html.contains("href=\"../formats/splunk.html\">Splunk</a>"));
    assert!(html.contains("Remote Service Runner <span class=\"data-source\">(<a href=\"../data-sources/windows-event-log.html\">Windows Event Log</a>)"));
    // Threat actor with aliases, software, atomic test linking to Atomic Red Team.
    assert!(html.contains("Example Bear</a> <span class=\"aka\">(aka Sample Group, TA000)"));
    assert!(html.contains("DemoLocker</a>"));
    assert!(html.contains("atomics/T1021.002/T1021.002.md"));
    // ATT&CK: tactics in matrix order, ATT&CK link and our technique page.
    let execution = html.find("tactics/execution.html").expect("execution row");
    let lateral = html
        .find("tactics/lateral-movement.html")
        .expect("lateral row");
    assert!(execution < lateral);
    assert!(html.contains("href=\"https://attack.mitre.org/techniques/T1569/002/\""));
    assert!(html.contains("../techniques/t1569.002.html\">System Services: Service Execution</a>"));
    // References: http(s) as links, the rest as text.
    assert!(html.contains("<a href=\"https://example.org/tools/remote-service-runner\""));
    assert!(html.contains("<li>Internal red-team report 2024-07</li>"));
    // Events, with a title the catalog lacks said so.
    assert!(html.contains("Event ID 4688</a></th><td>A new process has been created.</td>"));
    assert!(html.contains("(title not in the event catalog)"));
    // The search term is the real term, not `TERM`, and selectors are apart.
    assert!(!html.contains("<code>TERM</code>"));
    assert!(html.contains("<code>TERM(EventCode=4688)</code>"));
    // Indicator values are shown, with counts linking to the indicator page.
    assert!(html.contains("<code>(?i)remsvc</code>"));
    let remsvc = format!(
        "../indicators/{}.html",
        slug("parent_process_name contains \"remsvc\"")
    );
    assert!(html.contains(&format!(
        "<a href=\"{remsvc}\" title=\"Rules with this\">2</a>"
    )));
    assert!(html.contains("from Target_Name"));
    // Every stage marked in the highlighted query and listed.
    for i in 0..5 {
        assert!(html.contains(&format!("<span class=\"stage\" id=\"q-stage-{i}\">")));
        assert!(html.contains(&format!("href=\"#q-stage-{i}\"")));
    }
    assert!(html.contains("<span class=\"hl-indicator\">"));
    // Variants with their diff, similar rules, diagnostics.
    assert!(
        html.contains("href=\"../rules/1001.2002.html\">Remote Service Runner (Snowflake EDR)</a>")
    );
    assert!(html.contains("<td class=\"diff-add\"><code>psexesvc</code></td>"));
    assert!(html.contains("<td class=\"num\">25%</td>"));
    assert!(html.contains("spl-unknown-macro"));
    assert!(html.contains("help: data-source macros are placeholders"));
}

#[test]
fn hostile_content_is_escaped_everywhere() {
    let (dir, _) = built();
    let mut checked = 0;
    for path in files(dir.path()) {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "html" | "md") {
            continue;
        }
        let text = read(&path);
        // Markdown shows code verbatim: payloads there are text, not markup.
        let text = if ext == "md" {
            outside_code(&text)
        } else {
            text
        };
        for payload in ["<script>alert", "<img src=x", "onerror=alert(1)>", "<svg"] {
            assert!(
                !text.contains(payload),
                "{} carries {payload}",
                path.display()
            );
        }
        let lower = text.to_lowercase();
        assert!(!lower.contains("href=\"javascript:"), "{}", path.display());
        assert!(!lower.contains("](javascript:"), "{}", path.display());
        if ext == "html" {
            // Only our own scripts, by relative path.
            for src in attributes(&text, "src") {
                assert!(src.ends_with(".js") && !src.contains(':'), "{src}");
            }
            assert!(text.matches("<script").count() <= 2);
        }
        checked += 1;
    }
    assert!(checked > 20);
    let hostile = rule_page(dir.path(), fixture::corpus().rules[3].key.as_str(), "html");
    assert!(hostile.contains("Evil &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(hostile.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    // The `javascript:` reference is text; the https one with a payload in its query is a link
    // whose attribute value is escaped.
    assert!(hostile.contains("<li>javascript:alert(1)</li>"));
    assert!(
        hostile.contains("href=\"https://example.net/?q=&quot;&gt;&lt;svg/onload=alert(1)&gt;\"")
    );
}

#[test]
fn every_internal_link_resolves() {
    let (dir, _) = built();
    let root = dir.path().canonicalize().expect("root");
    let mut links = 0;
    for page in files(&root) {
        if page.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = read(&page);
        let ids: BTreeSet<&str> = attributes(&html, "id").into_iter().collect();
        for target in attributes(&html, "href")
            .into_iter()
            .chain(attributes(&html, "src"))
        {
            if target.starts_with("https://") || target.starts_with("http://") {
                continue;
            }
            assert!(!target.contains(':'), "{}: {target}", page.display());
            let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
            if file.is_empty() {
                assert!(ids.contains(fragment), "{}: no #{fragment}", page.display());
                continue;
            }
            let resolved = page
                .parent()
                .expect("page dir")
                .join(file.split('?').next().unwrap_or(file));
            let resolved = resolved
                .canonicalize()
                .unwrap_or_else(|_| panic!("{}: broken link {target}", page.display()));
            assert!(resolved.starts_with(&root), "{target} leaves the site");
            assert!(
                resolved.is_file(),
                "{}: {target} is not a file",
                page.display()
            );
            if !fragment.is_empty() {
                let other = read(&resolved);
                assert!(
                    other.contains(&format!("id=\"{fragment}\"")),
                    "{}: no #{fragment} in {file}",
                    page.display()
                );
            }
            links += 1;
        }
    }
    assert!(links > 500, "only {links} links checked");
}

#[test]
fn pages_are_accessible_by_construction() {
    let (dir, _) = built();
    for page in files(dir.path()) {
        if page.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = read(&page);
        let name = page.display();
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"en\">"),
            "{name}"
        );
        assert!(html.contains("<a class=\"skip\" href=\"#main\">"), "{name}");
        assert_eq!(html.matches("<h1").count(), 1, "{name}: one h1");
        // Headings never skip a level.
        let mut last = 1;
        for (at, _) in html.match_indices("<h") {
            let level = html.as_bytes().get(at + 2).copied().unwrap_or(b'x');
            if level.is_ascii_digit() {
                let level = usize::from(level - b'0');
                assert!(level <= last + 1, "{name}: h{last} then h{level}");
                last = level;
            }
        }
        // Every header cell says what it heads.
        assert_eq!(html.matches("<th>").count(), 0, "{name}");
        assert_eq!(
            html.matches("<th ").count(),
            html.matches("<th scope=\"").count(),
            "{name}"
        );
        // Nothing is loaded from outside the site.
        for src in attributes(&html, "src") {
            assert!(!src.contains("//"), "{name}: {src}");
        }
        assert!(!html.contains("@import") && !html.contains("url(http"));
    }
}

#[test]
fn an_empty_corpus_builds_a_site_that_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = rulescope_analysis::report::CorpusAnalysis {
        rules: Vec::new(),
        indicators: Vec::new(),
        search_terms: Vec::new(),
        selectors: Vec::new(),
        load_diagnostics: Vec::new(),
        attack: Default::default(),
    };
    let stats = build(&empty, dir.path(), &SiteOptions::default()).expect("builds");
    assert_eq!(stats.rules, 0);
    let home = read(&dir.path().join("index.html"));
    assert!(home.contains("<dt>Rules</dt><dd>0</dd>"));
    assert!(home.contains("No rule has a finding."));
    let techniques = read(&dir.path().join("techniques/index.html"));
    assert!(techniques.contains("None in this corpus."));
}

#[test]
fn an_unwritable_output_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("taken");
    std::fs::write(&file, "not a directory").expect("write");
    let error = build(&fixture::corpus(), &file, &SiteOptions::default())
        .expect_err("a file is no output directory");
    assert!(
        matches!(error, rulescope_site::SiteError::Io { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("taken"), "{error}");
}

/// The corpus matrix follows the ATT&CK the analysis used: every tactic has a column, in
/// its order, and lists the techniques no rule covers, itself or through a sub-technique.
#[test]
fn the_matrix_lists_uncovered_techniques_under_their_tactic() {
    let (dir, _) = built();
    let html = read(&dir.path().join("techniques/index.html"));
    let columns: Vec<&str> = html.split("<section class=\"tactic\"").skip(1).collect();
    let tactic = |c: &str| {
        let heading = c.split("</h3>").next().unwrap_or("");
        let text: String = heading
            .split('<')
            .filter_map(|part| part.split_once('>').map(|(_, text)| text))
            .collect();
        text.split_whitespace()
            .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let names: Vec<String> = columns.iter().map(|c| tactic(c)).collect();
    // ATT&CK's order first; tactics the catalog does not know follow.
    assert_eq!(
        names[..4],
        [
            "Initial Access",
            "Execution",
            "Discovery",
            "Lateral Movement"
        ]
    );
    assert!(
        !columns[2].contains("tactics/discovery.html"),
        "no page, no link"
    );
    let gaps = |name: &str| -> String {
        let column = columns.iter().find(|c| tactic(c) == name).expect("column");
        column
            .split("<details class=\"gaps\">")
            .nth(1)
            .unwrap_or("")
            .to_owned()
    };
    assert!(gaps("Execution").contains("T1059"));
    assert!(
        !gaps("Execution").contains("T1569"),
        "covered through T1569.002"
    );
    assert!(gaps("Lateral Movement").contains("T1570"));
    assert!(!gaps("Lateral Movement").contains("T1021"));
    assert!(gaps("Discovery").contains("1 without rules"));
    assert!(gaps("Initial Access").is_empty(), "T1190 is covered");
    // Entry pages show only what their rules cover.
    let source = read(&dir.path().join("data-sources/sysmon.html"));
    assert!(!source.contains("without rules"));
}

/// Built with recorded events, rule pages say whether the rule fires and where a silent one
/// lost its events; the coverage page lists technique → files → rules.
#[test]
fn verdicts_on_rule_pages_and_the_coverage_page() {
    let (dir, _) = built();
    let fired = rule_page(dir.path(), "1001.2001", "html");
    assert!(fired.contains("<strong>Fires</strong> on 1 of 2 event files, 1 of them recorded for one of its own techniques."), "{fired}");
    assert!(
        fired.contains(
            "<code>TA0008-Lateral Movement/T1021.002-SMB Admin Shares/remsvc.evtx</code>"
        )
    );
    assert!(fired.contains("<td>cmd.exe\n&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
    let silent = rule_page(dir.path(), "1002.3001", "html");
    assert!(silent.contains("<strong>Silent</strong> on all 2 event files: every event was lost at <code>`get_endpoint_data` `get_endpoint_data_sysmon` ...</code>."));
    assert!(silent.contains("2 regex matches hit PCRE2's match limit"));
    let hostile = rule_page(dir.path(), fixture::corpus().rules[3].key.as_str(), "html");
    assert!(
        hostile.contains("<strong>Not evaluable</strong>: unsupported command: &quot;&gt;&lt;img")
    );
    // SQL rules are not run, and say so.
    let sql = rule_page(dir.path(), "1001.2002", "html");
    assert!(sql.contains("Not run: the evaluator runs Splunk rules only."));

    let coverage = read(&dir.path().join("coverage.html"));
    assert!(coverage.contains("<dt>Techniques detected by their own rules</dt><dd>1 of 1</dd>"));
    assert!(coverage.contains("<a href=\"rules/1001.2001.html\">1001.2001</a>"));
    // No rule names T1021.002 itself, so it has no page to link to; ATT&CK still names it.
    assert!(coverage.contains("-h\">T1021.002 Remote Services: SMB/Windows Admin Shares</h2>"));
    assert!(coverage.contains("<code>other/&lt;script&gt;alert(1)&lt;/script&gt;.evtx</code>"));
    let json: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("coverage.json"))).expect("coverage.json");
    assert_eq!(json["rules"][0]["status"], "evaluated");
    assert_eq!(json["rules"][0]["fired_on"][0]["technique_match"], true);
    let home = read(&dir.path().join("index.html"));
    assert!(home.contains(
        "<dt>Recorded techniques detected</dt><dd><a href=\"coverage.html\">1 of 1</a></dd>"
    ));
}
