//! Golden frames written by Java's own `RemotingCommand.encode()` (rocketmq-remoting 4.9.8 with
//! fastjson 1.2.69 and 5.3.3 with fastjson 1.2.83 produce identical bytes): a SEND_MESSAGE_V2-coded
//! request with every escaping edge in one ext value, in JSON and ROCKETMQ form, and a JSON
//! response with a negative opaque and language GO.

use bytes::{Bytes, BytesMut};

use super::*;
use crate::command::{Command, LanguageCode, SerializeType};

const JAVA_JSON_REQUEST: &str = "000000f7000000ee7b22636f6465223a3331302c226578744669656c6473223a7b2269223a22544147535c7530303031546167415c7530303032574149545c7530303031747275655c225c5c5c6e5c745c75303030305c75303030425c75303037465c7530303946c2a0c3a95c75323032385c75323032395c7530303835efbbbf2fe4b8adf09f9880227d2c22666c6167223a302c226c616e6775616765223a224a415641222c226f7061717565223a34322c2272656d61726b223a22725c753030303778222c2273657269616c697a655479706543757272656e74525043223a224a534f4e222c2276657273696f6e223a3430397d48656c6c6f";
const JAVA_BINARY_REQUEST: &str = "0000005b0100005201360001990000002a00000000000000037207780000003a0001690000003354414753015461674102574149540174727565225c0a09000b7fc29fc2a0c3a9e280a8e280a9c285efbbbf2fe4b8adf09f988048656c6c6f";
const JAVA_JSON_RESPONSE: &str = "000000610000005d7b22636f6465223a31372c22666c6167223a312c226c616e6775616765223a22474f222c226f7061717565223a2d352c2273657269616c697a655479706543757272656e74525043223a224a534f4e222c2276657273696f6e223a307d";

/// The ext value: separators, quote, backslash, newline, tab, NUL, VT, DEL, U+009F, NBSP, é,
/// U+2028, U+2029, U+0085, BOM, slash, a CJK character and an astral-plane emoji.
const TRICKY: &str = "TAGS\u{1}TagA\u{2}WAIT\u{1}true\"\\\n\t\u{0}\u{b}\u{7f}\u{9f}\u{a0}\u{e9}\u{2028}\u{2029}\u{85}\u{feff}/\u{4e2d}\u{1f600}";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn java_request(serialize_type: SerializeType) -> Command {
    let mut cmd = Command::request(310)
        .with_ext("i", TRICKY)
        .with_remark("r\u{7}x")
        .with_body(&b"Hello"[..]);
    cmd.opaque = 42;
    cmd.version = 409;
    cmd.serialize_type = serialize_type;
    cmd
}

fn assert_same_frame(cmd: &Command, java_hex: &str) {
    let mut out = BytesMut::new();
    encode(cmd, &mut out);
    let java = unhex(java_hex);
    assert_eq!(
        String::from_utf8_lossy(&out[8..]),
        String::from_utf8_lossy(&java[8..]),
        "header text"
    );
    assert_eq!(&out[..], &java[..]);
    let decoded = decode_frame(Bytes::from(java).slice(4..)).unwrap();
    assert_eq!(&decoded, cmd);
}

#[test]
fn json_request_matches_java_byte_for_byte() {
    assert_same_frame(&java_request(SerializeType::Json), JAVA_JSON_REQUEST);
}

#[test]
fn binary_request_matches_java_byte_for_byte() {
    assert_same_frame(&java_request(SerializeType::RocketMq), JAVA_BINARY_REQUEST);
}

#[test]
fn json_response_matches_java_byte_for_byte() {
    let mut resp = Command::response(17, None);
    resp.opaque = -5;
    resp.version = 0;
    resp.language = LanguageCode::Go;
    assert_same_frame(&resp, JAVA_JSON_RESPONSE);
}
