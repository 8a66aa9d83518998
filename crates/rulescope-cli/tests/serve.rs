//! `rulescope serve` as a user runs it: the real binary on a free port, pages and the API
//! over real TCP, and a rebuild after a rule file is edited.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Kills the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 GET: the status code and the body.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("headers end");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    (status, body.to_owned())
}

fn json(addr: &str, path: &str) -> Value {
    let (status, body) = get(addr, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

#[test]
fn serve_answers_over_tcp_and_rebuilds_when_a_rule_changes() {
    let corpus = tempfile::tempdir().expect("temp dir");
    let endpoint = Path::new(&support::examples("armory")).join("detections/endpoint");
    for rule in ["crontab_modified_unix", "certutil_remote_download"] {
        support::copy_tree(&endpoint.join(rule), &corpus.path().join(rule));
    }
    let child = Command::new(env!("CARGO_BIN_EXE_rulescope"))
        .args(["serve", "--port", "0"])
        .arg(corpus.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("rulescope serve starts");
    let mut server = Server(child);
    let stdout = server.0.stdout.take().expect("stdout");
    let line = BufReader::new(stdout)
        .lines()
        .map(|l| l.expect("stdout line"))
        .find(|l| l.contains("http://"))
        .expect("the server prints its URL");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("host:port")
        .to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");

    let (status, page) = get(&addr, "/rules/90005.90051.html");
    assert_eq!(status, 200);
    assert!(page.contains("Crontab Modified From A Shell"));
    let rules = json(&addr, "/api/rules");
    assert_eq!(rules["total"], 4);
    assert_eq!(json(&addr, "/api/status")["generation"], 1);

    let file = corpus
        .path()
        .join("crontab_modified_unix/crontab_modified_unix-splunk-unix.yml");
    let text = std::fs::read_to_string(&file).expect("rule");
    let edited = text.replace(
        "title: Crontab Modified From A Shell",
        "title: Crontab Edited While Served",
    );
    assert_ne!(text, edited);
    std::fs::write(&file, edited).expect("edit");

    // A wait for the rebuild, not a timing assertion: the deadline is only there to end a
    // test whose server never rebuilds.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rule = json(&addr, "/api/rules/90005.90051");
        if rule["title"] == "Crontab Edited While Served" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no rebuild within 30 s: {}",
            json(&addr, "/api/status")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(json(&addr, "/api/status")["generation"].as_u64() >= Some(2));
    let (_, page) = get(&addr, "/rules/90005.90051.html");
    assert!(page.contains("Crontab Edited While Served"));
}
