//! Any bytes: the JSON extractor never panics, and on valid JSON it gives the event that
//! extracting from the parsed `serde_json::Value` gives.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rulescope_eval::{Rendering, event};

fuzz_target!(|data: &[u8]| {
    let value = serde_json::from_slice::<serde_json::Value>(data).ok();
    for rendering in [Rendering::Xml, Rendering::Classic] {
        let from_text = event::from_json_bytes(data, rendering);
        let from_value = value.as_ref().and_then(|v| event::from_json(v, rendering));
        assert_eq!(from_text.is_some(), from_value.is_some());
        if let (Some(a), Some(b)) = (from_text, from_value) {
            assert!(a.fields.iter().eq(b.fields.iter()));
            assert_eq!(a.raw_lower, b.raw_lower);
        }
    }
});
