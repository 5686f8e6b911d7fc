//! Fuzzes the lenient fastjson body reader: never panic, and whatever parses must be written by
//! the fastjson-form writer and read back to the same value.
//! Run: `cargo +nightly fuzz run body` in `remoting/`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use remoting::body::{parse_lenient, to_body_fastjson};

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = parse_lenient(data) {
        let text = to_body_fastjson(&value).expect("a parsed value is writable");
        let again = parse_lenient(&text).expect("written form parses");
        assert_eq!(again, value);
    }
});
