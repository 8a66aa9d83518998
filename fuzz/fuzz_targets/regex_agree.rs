//! A pattern and an ASCII text (split at the first zero byte): wherever rulescope's `Regex`
//! has a finite-automata copy for `is_match`, its answer must be PCRE2's, compiled here as
//! Splunk would (UTF mode, the same match limit); so must `is_match` itself. Searches where
//! PCRE2 hits its limit are not compared: there the copy gives the true answer on purpose.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rulescope_eval::regex::{MATCH_LIMIT, Regex};

fuzz_target!(|data: &[u8]| {
    let (pattern, text) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(pattern) = std::str::from_utf8(pattern) else { return };
    let text: String = text.iter().map(|&b| char::from(b & 0x7f)).collect();
    let Ok(ours) = Regex::new(pattern) else { return };
    let Ok(pcre) = pcre2::bytes::RegexBuilder::new()
        .utf(true)
        .build(&format!("(*LIMIT_MATCH={MATCH_LIMIT}){pattern}"))
    else {
        return;
    };
    let Ok(expected) = pcre.is_match(text.as_bytes()) else { return };
    if let Some(linear) = ours.linear_is_match(&text) {
        assert_eq!(linear, expected, "pattern {pattern:?} on {text:?}");
    }
    if let Ok(got) = ours.is_match(&text) {
        assert_eq!(got, expected, "pattern {pattern:?} on {text:?}");
    }
});
