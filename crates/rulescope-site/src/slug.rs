//! File names for pages: one pure function from a name to a file stem, so the page that
//! defines an entry and every page that links to it agree without sharing state.

/// The longest name kept verbatim, and the longest readable prefix kept before a hash.
const MAX_PLAIN: usize = 80;
const MAX_PREFIX: usize = 48;

/// A file stem for `name` that is safe in a URL and on any file system.
///
/// Names made only of `[a-z0-9._-]` (not starting with `.`) stay as they are. Anything else
/// becomes a lower-case readable prefix plus a hash of the whole name: upper case is hashed
/// too, so `Image` and `image` never collide on a case-insensitive file system.
pub fn slug(name: &str) -> String {
    let plain = !name.is_empty()
        && name.len() <= MAX_PLAIN
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'));
    if plain {
        return name.to_owned();
    }
    let mut prefix = String::with_capacity(MAX_PREFIX + 14);
    let mut last_dash = true;
    for c in name.chars() {
        if prefix.len() >= MAX_PREFIX {
            break;
        }
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            prefix.push(c);
            last_dash = false;
        } else if !last_dash {
            prefix.push('-');
            last_dash = true;
        }
    }
    if !prefix.is_empty() && !prefix.ends_with('-') {
        prefix.push('-');
    }
    prefix.push_str(&format!("{:012x}", fnv1a(name.as_bytes()) >> 16));
    prefix
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_stay() {
        assert_eq!(slug("5398.5498"), "5398.5498");
        assert_eq!(slug("t1569.002"), "t1569.002");
        assert_eq!(slug("5398.5498-2"), "5398.5498-2");
    }

    #[test]
    fn odd_names_are_safe_distinct_and_stable() {
        let odd = [
            "Image",
            "image ",
            "..",
            ".hidden",
            "",
            "a/b",
            "a|b$c–d",
            "<script>alert(1)</script>",
            "process_name contains \"psexec\"",
        ];
        let slugs: Vec<String> = odd.iter().map(|n| slug(n)).collect();
        for s in &slugs {
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{s}"
            );
            assert!(!s.is_empty() && !s.starts_with('.'));
        }
        let mut unique = slugs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), odd.len(), "{slugs:?}");
        assert_eq!(slug("Image"), slugs[0]);
        assert!(slugs[8].starts_with("process-name-contains-psexec-"));
    }

    #[test]
    fn long_names_are_bounded() {
        let long = "x".repeat(500);
        assert!(slug(&long).len() <= MAX_PREFIX + 13);
        assert_ne!(slug(&long), slug(&"x".repeat(501)));
    }
}
