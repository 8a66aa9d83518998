//! The built site held in memory: every file read once after a build, served from a map.
//! No request touches the file system, so no path can reach outside the site (`..`,
//! encoded dots, absolute paths, backslashes and symlinks all miss the map), and a page
//! costs a lookup.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::path::Path;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

pub struct SiteFiles {
    files: HashMap<String, SiteFile>,
}

struct SiteFile {
    body: Bytes,
    content_type: HeaderValue,
    /// A hash of the content: pages that a rebuild left unchanged stay cached.
    etag: HeaderValue,
}

impl SiteFiles {
    /// Reads every regular file under `root`, keyed by its `/`-separated relative path.
    /// Symlinks are skipped: the site builder writes none.
    pub fn load(root: &Path) -> std::io::Result<Self> {
        let mut files = HashMap::new();
        let mut stack = vec![(root.to_path_buf(), String::new())];
        while let Some((dir, prefix)) = stack.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                let key = format!("{prefix}{name}");
                if kind.is_dir() {
                    stack.push((entry.path(), format!("{key}/")));
                } else if kind.is_file() {
                    let body = Bytes::from(std::fs::read(entry.path())?);
                    let mut hasher = DefaultHasher::new();
                    hasher.write(&body);
                    let etag = HeaderValue::try_from(format!("\"{:016x}\"", hasher.finish()))
                        .map_err(std::io::Error::other)?;
                    let file = SiteFile {
                        content_type: HeaderValue::from_static(content_type(&name)),
                        etag,
                        body,
                    };
                    files.insert(key, file);
                }
            }
        }
        Ok(Self { files })
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// A file's bytes, by its path relative to the site root.
    pub fn get(&self, path: &str) -> Option<&Bytes> {
        self.files.get(path).map(|f| &f.body)
    }

    /// The answer to a GET of `uri_path` (still percent-encoded, as the request had it).
    pub fn respond(&self, uri_path: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
        let path = site_path(uri_path)?;
        let Some(file) = self.files.get(&path) else {
            // A directory asked for without its slash: its page's relative links need one.
            if self.files.contains_key(&format!("{path}/index.html")) {
                let location =
                    HeaderValue::try_from(format!("/{path}/")).map_err(|_| not_found(uri_path))?;
                return Ok((
                    StatusCode::PERMANENT_REDIRECT,
                    [(header::LOCATION, location)],
                )
                    .into_response());
            }
            return Err(not_found(uri_path));
        };
        let cached = headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|tags| tags.as_bytes() == file.etag.as_bytes());
        let mut response = if cached {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut response = Response::new(Body::from(file.body.clone()));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, file.content_type.clone());
            response
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, file.etag.clone());
        // Revalidate every time: a rebuild may change any page.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        Ok(response)
    }
}

fn not_found(path: &str) -> ApiError {
    ApiError::not_found(
        format!("no page at {path}"),
        "start from / (the catalog's home) or /search.html",
    )
}

/// The site-relative file a request path names: percent-decoded, `index.html` for a
/// directory. Anything that could step outside the site is refused rather than normalised.
pub fn site_path(uri_path: &str) -> Result<String, ApiError> {
    let refuse = |why: &str| {
        ApiError::bad_request(
            format!("refused path {uri_path}: {why}"),
            "ask for a page of the site, e.g. /index.html or /rules/<key>.html",
        )
    };
    let decoded = percent_decode(uri_path).ok_or_else(|| refuse("bad percent-encoding"))?;
    let Some(relative) = decoded.strip_prefix('/') else {
        return Err(refuse("not an absolute path"));
    };
    if relative.contains(['\\', '\0', ':']) {
        return Err(refuse("backslash, colon or NUL"));
    }
    let mut path = relative.to_owned();
    if path.is_empty() || path.ends_with('/') {
        path.push_str("index.html");
    }
    if path.split('/').any(|s| matches!(s, "" | "." | "..")) {
        return Err(refuse("empty, `.` or `..` segment"));
    }
    Ok(path)
}

/// `%XX` decoding, or `None` when an escape is malformed or the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("csv") => "text/csv; charset=utf-8",
        Some("md") => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_inside_the_site_or_not_at_all() {
        assert_eq!(site_path("/").ok().as_deref(), Some("index.html"));
        assert_eq!(
            site_path("/rules/5398.5498.html").ok().as_deref(),
            Some("rules/5398.5498.html")
        );
        assert_eq!(
            site_path("/techniques/").ok().as_deref(),
            Some("techniques/index.html")
        );
        assert_eq!(
            site_path("/fields/a%20b.html").ok().as_deref(),
            Some("fields/a b.html")
        );
        for bad in [
            "/../etc/passwd",
            "/rules/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/rules/%2e%2e%2f%2e%2e%2fetc/passwd",
            "//etc/passwd",
            "/rules/..%5c..%5cwindows",
            "/rules\\..\\secret",
            "/C:/Windows/win.ini",
            "/./index.html",
            "/%00",
            "/%zz",
            "/%c0%ae%c0%ae/etc/passwd",
            "relative",
        ] {
            assert!(site_path(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(all(test, unix))]
mod symlink_tests {
    use super::*;

    #[test]
    fn symlinks_in_the_site_are_not_served() {
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::write(outside.path().join("secret.txt"), "secret").expect("write");
        let site = tempfile::tempdir().expect("temp dir");
        std::fs::write(site.path().join("index.html"), "<p>home</p>").expect("write");
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            site.path().join("leak.html"),
        )
        .expect("symlink");
        std::os::unix::fs::symlink(outside.path(), site.path().join("out")).expect("symlink");
        let files = SiteFiles::load(site.path()).expect("loads");
        assert_eq!(files.len(), 1);
        assert!(files.get("index.html").is_some());
        let headers = HeaderMap::new();
        for path in ["/leak.html", "/out/secret.txt"] {
            let error = files.respond(path, &headers).expect_err("refused");
            assert_eq!(
                error.into_response().status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
    }
}
