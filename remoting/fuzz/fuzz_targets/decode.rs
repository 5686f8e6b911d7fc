//! Fuzzes the frame splitter and both header decoders: any byte string must decode to commands
//! or an error, never panic, and whatever decodes must survive an encode/decode round trip.
//! Run: `cargo +nightly fuzz run decode` in `remoting/`.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use remoting::codec::{decode_all, encode, MAX_FRAME_LENGTH};

fuzz_target!(|data: &[u8]| {
    for cmd in decode_all(data).into_iter().flatten() {
        let mut buf = BytesMut::new();
        encode(&cmd, &mut buf);
        if buf.len() - 4 > MAX_FRAME_LENGTH {
            continue; // escaping can grow a JSON header past the cap; the encoder refuses those
        }
        let again = decode_all(&buf);
        assert!(
            matches!(again.first(), Some(Ok(_))),
            "re-encoded command does not decode"
        );
    }
});
