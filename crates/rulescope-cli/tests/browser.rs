//! The built site in a real browser: Debian's headless Chromium loads pages from `file://`,
//! runs their scripts, and prints the resulting DOM and the console. `.ci/run` installs
//! Chromium; elsewhere these tests skip with one line when it is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn chromium() -> Option<&'static Path> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists())
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The page's DOM after its scripts ran, and what the console printed.
fn load(page: &Path, query: &str) -> (String, String) {
    let chromium = chromium().expect("checked by the caller");
    let profile = tempfile::tempdir().expect("profile dir");
    let url = format!("file://{}{query}", page.display());
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", &url])
        .output()
        .expect("chromium runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Console errors and uncaught exceptions in Chromium's log.
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("ERROR") || l.contains("Uncaught")))
        .collect()
}

/// Builds the site for `paths` once per set of paths.
fn build(paths: &[PathBuf], out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_rulescope"))
        .arg("build")
        .args(paths)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .status()
        .expect("rulescope build runs");
    assert!(status.success(), "rulescope build failed");
}

/// The site of the example corpus plus a rule whose every field carries script payloads.
fn example_site() -> Option<&'static Path> {
    chromium().or_else(|| {
        eprintln!("skipping: chromium not installed (apt-get install chromium)");
        None
    })?;
    static SITE: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = SITE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("site dir");
        build(
            &[
                repo("examples/armory"),
                repo("crates/rulescope-cli/tests/fixtures/hostile"),
            ],
            dir.path(),
        );
        dir
    });
    Some(dir.path())
}

#[test]
fn hostile_rule_content_never_runs() {
    let Some(site) = example_site() else { return };
    for page in ["rules/99999.99901.html", "index.html", "search.html"] {
        let (dom, log) = load(&site.join(page), "");
        assert!(dom.contains("</html>"), "{page}: no DOM\n{log}");
        // The payloads are shown as text (`setAttribute("data-pwned", ...)`); one that ran
        // would have set the attribute.
        assert!(
            !dom.contains("data-pwned="),
            "{page}: a payload ran:\n{dom}"
        );
        assert!(
            !dom.contains("href=\"javascript:"),
            "{page}: javascript: link"
        );
        assert!(
            !dom.to_ascii_lowercase().contains("href=\"javascript:"),
            "{page}: javascript: link"
        );
        assert!(!dom.contains("href=\"data:"), "{page}: data: link");
    }
    // Searching for the payload shows it as text, not markup.
    let (dom, _) = load(&site.join("search.html"), "?q=hostile");
    assert!(dom.contains("99999.99901"), "{dom}");
    assert!(!dom.contains("data-pwned=\""), "{dom}");
}

#[test]
fn search_finds_rules_by_id_title_technique_and_indicator() {
    let Some(site) = example_site() else { return };
    let cases = [
        ("90002.90021", "Certutil Downloading a Remote File"),
        ("certutil", "Certutil Downloading a Remote File"),
        ("T1105", "Certutil Downloading a Remote File"),
        ("urlcache", "Certutil Downloading a Remote File"),
        ("ConsoleLogin", "AWS Console Login Without MFA"),
    ];
    for (query, expected) in cases {
        let (dom, log) = load(&site.join("search.html"), &format!("?q={query}"));
        let results = dom.split("id=\"results\"").nth(1).unwrap_or_default();
        assert!(
            results.contains(expected),
            "search {query:?} misses {expected:?}:\n{results}"
        );
        assert!(
            console_errors(&log).is_empty(),
            "{:?}",
            console_errors(&log)
        );
    }
}

#[test]
fn pages_load_without_console_errors() {
    let Some(site) = example_site() else { return };
    for page in [
        "index.html",
        "search.html",
        "rules/90001.90011.html",
        "rules/90002.90023.html",
    ] {
        let (dom, log) = load(&site.join(page), "");
        assert!(dom.contains("<main"), "{page}: no main\n{log}");
        assert!(
            console_errors(&log).is_empty(),
            "{page}: {:?}",
            console_errors(&log)
        );
    }
}

/// The page of the reference rule shows every section with the right values, and, built
/// with the recorded PsExec attacks under the classic rendering, that it fires on them.
#[test]
fn impacket_psexec_page_in_the_browser() {
    if chromium().is_none() {
        eprintln!("skipping: chromium not installed (apt-get install chromium)");
        return;
    }
    let shared = repo("../shared");
    if !shared.join("corpus/armory").is_dir() {
        eprintln!("skipping: ../shared/corpus/armory not found");
        return;
    }
    let dir = tempfile::tempdir().expect("site dir");
    let status = Command::new(env!("CARGO_BIN_EXE_rulescope"))
        .arg("build")
        .arg(shared.join("corpus/armory"))
        .arg("--attack")
        .arg(shared.join("data/attack-enterprise.json"))
        .arg("--event-catalog")
        .arg(shared.join("data/windows-events.csv"))
        .arg("--events")
        .arg(shared.join(
            "datasets/EVTX-to-MITRE-Attack/TA0008-Lateral Movement/T1021.002-SMB Windows Admin Shares",
        ))
        .args(["--rendering", "classic"])
        .arg("--out")
        .arg(dir.path())
        .arg("-q")
        .status()
        .expect("rulescope build runs");
    assert!(status.success());
    let (dom, log) = load(&dir.path().join("rules/5398.5498.html"), "");
    assert!(
        console_errors(&log).is_empty(),
        "{:?}",
        console_errors(&log)
    );
    for expected in [
        "Impacket PSexec (Windows Event Log)",
        "Impackets psexec.py enables users to execute commands",
        "APT28",
        "LockBit",
        "T1021.002",
        "T1569.002",
        "System Services: Service Execution",
        "Remote Services",
        "Security-Auditing",
        "4688",
        "A new process has been created.",
        "A network share object was checked to see whether client can be granted desired access.",
        "https://github.com/SecureAuthCorp/impacket/blob/master/examples/psexec.py",
        "parent_process_name",
        "Relative_Target_Name",
        "EventCode=4688",
        "&lt;EventID&gt;4688&lt;",
        "psexec",
    ] {
        assert!(dom.contains(expected), "the page lacks {expected:?}");
    }
    for section in [
        "id=\"attack\"",
        "id=\"references\"",
        "id=\"events\"",
        "id=\"body\"",
        "id=\"stages\"",
        "id=\"indicators\"",
        "id=\"search-terms\"",
    ] {
        assert!(
            dom.contains(section),
            "the page lacks the section {section}"
        );
    }
    // The search term is the indexed term, never the word TERM.
    let terms = dom.split("id=\"search-terms\"").nth(1).unwrap_or_default();
    let terms = terms.split("</section>").next().unwrap_or_default();
    assert!(!terms.contains(">TERM<"), "{terms}");
    // `Relative_Target_Name` exists in the classic rendering only: there the rule fires on
    // the PsExec recording (checked by hand in rulescope-eval's tests/psexec.rs).
    let verdict = dom.split("id=\"verdict\"").nth(1).unwrap_or_default();
    let verdict = verdict.split("</section>").next().unwrap_or_default();
    assert!(verdict.contains("<strong>Fires</strong>"), "{verdict}");
    assert!(verdict.contains("PSexec"), "{verdict}");
    let (dom, log) = load(&dir.path().join("coverage.html"), "");
    assert!(dom.contains("T1021.002"), "{dom}");
    assert!(
        console_errors(&log).is_empty(),
        "{:?}",
        console_errors(&log)
    );
}
