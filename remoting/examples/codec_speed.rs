//! Rough timing of header encode/decode (not a benchmark suite): `cargo run --release --example codec_speed -p remoting`.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use remoting::codec::{decode_frame, encode};
use remoting::{Command, SerializeType};

fn main() {
    let mut cmd = Command::request(310).with_body(vec![b'x'; 128]);
    for (k, v) in [
        ("a", "PG"),
        ("b", "TopicTest"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "1"),
        ("f", "0"),
        ("g", "1700000000000"),
        ("h", "0"),
        (
            "i",
            "TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}7F00000100002A9F0000000000000001\u{2}WAIT\u{1}true",
        ),
        ("j", "0"),
        ("k", "false"),
        ("m", "false"),
        ("n", "broker-a"),
    ] {
        cmd.ext_fields.insert(k, v);
    }
    for st in [SerializeType::Json, SerializeType::RocketMq] {
        cmd.serialize_type = st;
        let mut buf = BytesMut::new();
        encode(&cmd, &mut buf);
        let frame = buf.freeze().slice(4..);
        let n = 200_000;
        let t = Instant::now();
        for _ in 0..n {
            let mut b = BytesMut::with_capacity(512);
            encode(&cmd, &mut b);
            std::hint::black_box(b);
        }
        let enc = t.elapsed() / n;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(decode_frame(Bytes::clone(&frame)).ok());
        }
        let dec = t.elapsed() / n;
        println!("{st:?}: encode {enc:?}, decode {dec:?} per frame");
    }
}
