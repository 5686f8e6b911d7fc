//! Round trips against the exact frames of protocol.md §1.2 / §2.2, and malformed input.

use bytes::{BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::*;
use crate::command::{Command, ExtFields, LanguageCode, SerializeType};
use crate::error::CodecError;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const JSON_HEADER: &str = r#"{"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":0}"#;

/// protocol.md §1.2, ROCKETMQ header with remark "hi".
const BINARY_FRAME: &str = "0000002f 0100002b 0069 00 0000 00000007 00000000 00000002 6869 \
                            00000014 0005 746f706963 00000009 546f70696354657374";

fn route_request(serialize_type: SerializeType) -> Command {
    let mut cmd = Command::request(105);
    cmd.opaque = 7;
    cmd.version = 0;
    cmd.ext_fields.insert("topic", "TopicTest");
    cmd.serialize_type = serialize_type;
    cmd
}

fn json_frame() -> Vec<u8> {
    let mut frame = unhex("00000085 00000081");
    frame.extend_from_slice(JSON_HEADER.as_bytes());
    frame
}

#[test]
fn json_example_frame_encodes_exactly() {
    assert_eq!(JSON_HEADER.len(), 129);
    let mut out = BytesMut::new();
    encode(&route_request(SerializeType::Json), &mut out);
    assert_eq!(&out[..], &json_frame()[..]);
}

#[test]
fn json_example_frame_decodes() {
    let mut buf = BytesMut::from(&json_frame()[..]);
    let cmd = RemotingCodec.decode(&mut buf).unwrap().unwrap();
    assert!(buf.is_empty());
    assert_eq!(cmd, route_request(SerializeType::Json));
}

#[test]
fn binary_example_frame_round_trips() {
    let mut cmd = route_request(SerializeType::RocketMq);
    cmd.remark = Some("hi".into());
    let mut out = BytesMut::new();
    encode(&cmd, &mut out);
    assert_eq!(&out[..], &unhex(BINARY_FRAME)[..]);
    let decoded = decode_frame(Bytes::from(unhex(BINARY_FRAME)).slice(4..)).unwrap();
    assert_eq!(decoded, cmd);
}

#[test]
fn json_header_keys_are_sorted_and_nulls_omitted() {
    let mut cmd = Command::response(17, Some("No topic route info".to_owned()));
    cmd.opaque = 7;
    cmd.version = 409;
    let mut out = BytesMut::new();
    encode(&cmd, &mut out);
    assert_eq!(
        &out[8..],
        br#"{"code":17,"flag":1,"language":"JAVA","opaque":7,"remark":"No topic route info","serializeTypeCurrentRPC":"JSON","version":409}"#
    );
}

#[test]
fn json_ext_values_escaped_like_fastjson() {
    // protocol.md §2.2: the property separators appear as \u0001 / \u0002 in JSON headers.
    let mut cmd = Command::request(310);
    cmd.ext_fields
        .insert("i", "TAGS\u{1}TagA\u{2}WAIT\u{1}true\"\\\n\u{7f}é");
    let mut out = BytesMut::new();
    encode(&cmd, &mut out);
    let text = std::str::from_utf8(&out[8..]).unwrap();
    assert!(
        text.contains(r#""i":"TAGS\u0001TagA\u0002WAIT\u0001true\"\\\n\u007Fé""#),
        "{text}"
    );
    let back = decode_frame(out.freeze().slice(4..)).unwrap();
    assert_eq!(back.ext("i"), cmd.ext("i"));
}

#[test]
fn json_ext_fields_escaped_when_any_other_field_needs_it() {
    // Escaping is decided once for all fields' text; each field still comes out as fastjson
    // writes it, and a replaced value that needed escapes leaves none behind.
    let mut cmd = Command::request(310);
    cmd.ext_fields.insert("a", "plain");
    cmd.ext_fields.insert("b", "q\"uote");
    cmd.ext_fields.insert("c", "x\u{1}y");
    let text = |cmd: &Command| {
        let mut out = BytesMut::new();
        encode(cmd, &mut out);
        String::from_utf8(out[8..].to_vec()).unwrap()
    };
    let mixed = text(&cmd);
    assert!(
        mixed.contains(r#""extFields":{"a":"plain","b":"q\"uote","c":"x\u0001y"}"#),
        "{mixed}"
    );
    cmd.ext_fields.insert("b", "now plain");
    cmd.ext_fields.insert("c", "too");
    let replaced = text(&cmd);
    assert!(
        replaced.contains(r#""extFields":{"a":"plain","b":"now plain","c":"too"}"#),
        "{replaced}"
    );
}

/// Fields laid out as JSON as they were inserted are copied whole; the header is the one the
/// field-by-field writer gives for the same fields, whatever they hold.
#[test]
fn json_ext_fields_laid_out_write_as_field_by_field() {
    let text = |cmd: &Command| {
        let mut out = BytesMut::new();
        encode(cmd, &mut out);
        String::from_utf8(out[8..].to_vec()).unwrap()
    };
    let many: Vec<(String, String)> = (0..40).map(|i| (format!("k{i}"), i.to_string())).collect();
    let cases: Vec<Vec<(String, String)>> = vec![
        [
            ("msgId", "7F00000100002A9F0000000000000001"),
            ("queueId", "3"),
            ("queueOffset", "17"),
            ("MSG_REGION", "DefaultRegion"),
            ("TRACE_ON", "true"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
        [("a", "q\"uote"), ("b\"", "x"), ("c", "back\\slash")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec(),
        [("a", "x\u{1}y"), ("b", "\u{7f}"), ("c", "é"), ("d", "")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec(),
        many,
    ];
    for fields in cases {
        let mut laid = Command::response(0, None);
        for (k, v) in &fields {
            laid.ext_fields.insert(k, v);
        }
        assert!(laid.ext_fields.json_body().is_some());
        // The same fields, no longer laid out: a value replaced by itself.
        let mut scattered = laid.clone();
        scattered.ext_fields.insert(&fields[0].0, &fields[0].1);
        assert!(scattered.ext_fields.json_body().is_none());
        assert_eq!(text(&laid), text(&scattered), "{fields:?}");
        let back = json::read_header(text(&laid).as_bytes()).unwrap();
        assert_eq!(back.ext_fields, laid.ext_fields);
    }
    // Compaction lays the fields out again.
    let mut cmd = Command::response(0, None);
    cmd.ext_fields.insert("a", "1");
    cmd.ext_fields.insert("b", "2");
    cmd.ext_fields.insert("a", "value 0");
    let mut i = 0;
    while cmd.ext_fields.json_body().is_none() {
        i += 1;
        assert!(i < 10_000, "never compacted");
        cmd.ext_fields.insert("a", format!("value {i}"));
    }
    let expected = format!(r#""extFields":{{"a":"value {i}","b":"2"}}"#);
    assert!(text(&cmd).contains(&expected), "{}", text(&cmd));
    // A removal scatters them; the header still holds the rest.
    cmd.ext_fields.remove("a");
    assert!(cmd.ext_fields.json_body().is_none());
    assert!(text(&cmd).contains(r#""extFields":{"b":"2"}"#));
}

#[test]
fn java_send_v2_header_decodes() {
    let header = r#"{"code":310,"extFields":{"a":"PG","b":"TopicTest","c":"TBW102","d":"4","e":"1","f":"0","g":"1700000000000","h":"0","i":"TAGS\u0001TagA\u0002UNIQ_KEY\u00017F00000100002A9F0000000000000001\u0002WAIT\u0001true","j":"0","k":"false","m":"false","n":"broker-a"},"flag":0,"language":"JAVA","opaque":42,"serializeTypeCurrentRPC":"JSON","version":409}"#;
    let mut frame = (header.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(header.as_bytes());
    frame.extend_from_slice(b"Hello");
    let cmd = decode_frame(Bytes::from(frame)).unwrap();
    assert_eq!((cmd.code, cmd.opaque, cmd.version), (310, 42, 409));
    assert_eq!(
        cmd.ext("i"),
        Some("TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}7F00000100002A9F0000000000000001\u{2}WAIT\u{1}true")
    );
    assert_eq!(cmd.body.as_deref(), Some(&b"Hello"[..]));
}

#[test]
fn go_and_cpp_json_headers_decode() {
    // Go: struct order, remark "", empty-string ext values, no serializeTypeCurrentRPC.
    let go = br#"{"code":105,"language":"GO","version":317,"opaque":3,"flag":0,"remark":"","extFields":{"topic":"T","bname":""}}"#;
    let cmd = json::read_header(go).unwrap();
    assert_eq!(
        (cmd.language, cmd.version, cmd.remark.as_deref()),
        (LanguageCode::Go, 317, Some(""))
    );
    assert_eq!(cmd.ext("bname"), Some(""));
    // C++: numbers as ext values, trailing newline.
    let cpp = b"{\"code\":10,\"language\":\"CPP\",\"version\":333,\"opaque\":1,\"flag\":0,\"remark\":\"\",\"extFields\":{\"queueId\":0,\"batch\":false,\"x\":1.5,\"n\":null,\"topic\":\"T\"}}\n";
    let cmd = json::read_header(cpp).unwrap();
    let ext: Vec<_> = cmd.ext_fields.iter().collect();
    assert_eq!(
        ext,
        [
            ("queueId", "0"),
            ("batch", "false"),
            ("x", "1.5"),
            ("topic", "T")
        ]
    );
}

#[test]
fn json_header_leniency() {
    let cmd =
        json::read_header(br#"{"code":"105","language":7,"opaque":"9","extra":[1]}"#).unwrap();
    assert_eq!(
        (cmd.code, cmd.opaque, cmd.language),
        (105, 9, LanguageCode::Other)
    );
    let cmd =
        json::read_header(br#"{"code":1,"language":"KLINGON","extFields":null,"remark":null}"#)
            .unwrap();
    assert_eq!(cmd.language, LanguageCode::Unknown);
    assert!(cmd.ext_fields.is_empty() && cmd.remark.is_none());
    let cmd = json::read_header(br#"{code:105,language:'java',extFields:{topic:'T'}}"#).unwrap();
    assert_eq!(
        (cmd.code, cmd.language, cmd.ext("topic")),
        (105, LanguageCode::Java, Some("T"))
    );
    assert!(json::read_header(br#"{"code":1}x"#).is_err());
    assert!(json::read_header(br#"[1]"#).is_err());
    assert!(json::read_header(br#"{"code":99999999999}"#).is_err());
}

#[test]
fn binary_quirks_duplicates_and_empty_strings() {
    let mut h = BytesMut::new();
    h.put_i16(10);
    h.put_u8(99); // unknown language
    h.put_i16(317);
    h.put_i32(5);
    h.put_i32(0);
    h.put_i32(0); // no remark
    let mut ext = BytesMut::new();
    for (k, v) in [("a", "1"), ("b", "x"), ("a", "2"), ("b", "")] {
        ext.put_i16(k.len() as i16);
        ext.put_slice(k.as_bytes());
        ext.put_i32(v.len() as i32);
        ext.put_slice(v.as_bytes());
    }
    h.put_i32(ext.len() as i32);
    h.put_slice(&ext);
    let cmd = binary::read_header(&h).unwrap();
    assert_eq!(cmd.language, LanguageCode::Unknown);
    assert_eq!(
        cmd.ext_fields,
        [("a", "2")].into_iter().collect::<ExtFields>()
    );
}

#[test]
fn binary_header_errors() {
    let good = unhex(BINARY_FRAME);
    let header = &good[8..];
    for cut in 0..header.len() {
        if cut < binary::FIXED_LEN + 2 {
            assert!(binary::read_header(&header[..cut]).is_err(), "cut {cut}");
        }
    }
    let mut bad = header.to_vec();
    bad[13..17].copy_from_slice(&1000i32.to_be_bytes()); // remark longer than the header
    assert!(matches!(
        binary::read_header(&bad),
        Err(CodecError::BinaryHeader(_))
    ));
    let mut bad = header.to_vec();
    bad[13..17].copy_from_slice(&(-1i32).to_be_bytes());
    assert!(binary::read_header(&bad).is_err());
}

#[test]
fn length_limits_follow_netty() {
    let mut max_ok = BytesMut::new();
    max_ok.put_u32(MAX_FRAME_LENGTH as u32);
    assert!(
        RemotingCodec.decode(&mut max_ok).unwrap().is_none(),
        "16 777 212 is accepted"
    );
    let mut too_big = BytesMut::new();
    too_big.put_u32(MAX_FRAME_LENGTH as u32 + 1);
    assert!(matches!(
        RemotingCodec.decode(&mut too_big),
        Err(CodecError::FrameTooLarge { .. })
    ));
    let mut negative = BytesMut::from(&[0xff, 0xff, 0xff, 0xff][..]);
    assert!(RemotingCodec.decode(&mut negative).is_err());
    let mut tiny = BytesMut::from(&[0, 0, 0, 2, 0, 0][..]);
    assert!(matches!(
        RemotingCodec.decode(&mut tiny),
        Err(CodecError::FrameTooShort(2))
    ));
}

#[test]
fn truncated_frames_need_more() {
    let frame = json_frame();
    for cut in 0..frame.len() {
        let mut buf = BytesMut::from(&frame[..cut]);
        assert!(
            RemotingCodec.decode(&mut buf).unwrap().is_none(),
            "cut {cut}"
        );
        assert_eq!(buf.len(), cut, "nothing consumed");
    }
}

#[test]
fn header_length_and_type_errors() {
    // header length larger than the frame
    let frame = unhex("00000008 000000ff 7b7d0000");
    assert!(matches!(
        decode_frame(Bytes::from(frame).slice(4..)),
        Err(CodecError::HeaderLength { .. })
    ));
    let frame = unhex("00000006 05000002 7b7d");
    assert!(matches!(
        decode_frame(Bytes::from(frame).slice(4..)),
        Err(CodecError::UnknownSerializeType(5))
    ));
    let frame = unhex("00000006 00000002 7b7b");
    assert!(matches!(
        decode_frame(Bytes::from(frame).slice(4..)),
        Err(CodecError::JsonHeader(_))
    ));
}

#[test]
fn body_is_a_slice_of_the_frame() {
    let mut cmd = route_request(SerializeType::RocketMq).with_body(&b"payload"[..]);
    cmd.opaque = 1;
    let mut buf = BytesMut::new();
    RemotingCodec.encode(cmd.clone(), &mut buf).unwrap();
    let frame = buf.clone().freeze();
    let decoded = decode_frame(frame.slice(4..)).unwrap();
    let body = decoded.body.clone().unwrap();
    assert_eq!(&body[..], b"payload");
    let frame_range = frame.as_ptr() as usize..frame.as_ptr() as usize + frame.len();
    assert!(
        frame_range.contains(&(body.as_ptr() as usize)),
        "body points into the frame"
    );
}

#[test]
fn a_body_in_parts_is_one_body_on_the_wire() {
    let parts = vec![
        Bytes::from_static(b"first "),
        Bytes::new(),
        Bytes::from_static(b"second"),
    ];
    for ser in [SerializeType::Json, SerializeType::RocketMq] {
        let cmd = route_request(ser).with_body_parts(parts.clone());
        assert_eq!(cmd.body_rest.len(), 1, "empty parts are dropped");
        assert_eq!(cmd.body_len(), 12);
        let mut buf = BytesMut::new();
        RemotingCodec.encode(cmd, &mut buf).unwrap();
        let decoded = decode_frame(buf.freeze().slice(4..)).unwrap();
        assert_eq!(decoded.body.as_deref().unwrap(), b"first second");
        assert!(decoded.body_rest.is_empty());
    }
    let one = route_request(SerializeType::Json).with_body_parts(vec![Bytes::from_static(b"x")]);
    assert!(one.body_rest.is_empty());
    assert_eq!(
        one.with_body(&b"y"[..]).body_len(),
        1,
        "with_body replaces every part"
    );
}

#[test]
fn pipelined_frames_split_cleanly() {
    let mut buf = BytesMut::new();
    for i in 0..3 {
        let mut cmd = route_request(if i % 2 == 0 {
            SerializeType::Json
        } else {
            SerializeType::RocketMq
        });
        cmd.opaque = i;
        encode(&cmd, &mut buf);
    }
    let all = decode_all(&buf);
    let opaques: Vec<_> = all.iter().map(|r| r.as_ref().unwrap().opaque).collect();
    assert_eq!(opaques, [0, 1, 2]);
}

#[test]
fn encoder_refuses_oversize_frames() {
    let cmd = Command::request(10).with_body(vec![0u8; MAX_FRAME_LENGTH]);
    let mut buf = BytesMut::new();
    assert!(RemotingCodec.encode(cmd, &mut buf).is_err());
    assert!(buf.is_empty());
}

/// The fuzz target's entry point over pseudo-random inputs and mutations of valid frames.
#[test]
fn random_bytes_never_panic() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let valid = [json_frame(), unhex(BINARY_FRAME)];
    for round in 0..20_000 {
        let mut data = if round % 2 == 0 {
            valid[(round / 2) % 2].clone()
        } else {
            (0..next() % 64).map(|_| next() as u8).collect()
        };
        for _ in 0..(next() % 4) {
            if !data.is_empty() {
                let at = next() as usize % data.len();
                data[at] = next() as u8;
            }
        }
        let _ = decode_all(&data);
    }
}

/// A peer may fill a 16 MiB header with keys; decoding must stay linear (a quadratic ext map
/// would stall the connection's reader for minutes).
#[test]
fn header_full_of_keys_decodes_in_linear_time() {
    let n = 100_000;
    let mut json = String::from(r#"{"code":1,"extFields":{"#);
    for i in 0..n {
        json.push_str(&format!(r#""k{i}":"v","#));
    }
    json.push_str(r#""last":null}}"#);
    let mut bin = BytesMut::new();
    for i in 0..n {
        let k = format!("k{}", i % (n / 2)); // every key twice: last wins
        bin.put_i16(k.len() as i16);
        bin.put_slice(k.as_bytes());
        bin.put_i32(1);
        bin.put_u8(b'v');
    }
    let mut header = BytesMut::from(&[0u8; binary::FIXED_LEN - 4][..]);
    header.put_i32(bin.len() as i32);
    header.put_slice(&bin);
    let started = std::time::Instant::now();
    assert_eq!(
        json::read_header(json.as_bytes()).unwrap().ext_fields.len(),
        n
    );
    assert_eq!(
        binary::read_header(&header).unwrap().ext_fields.len(),
        n / 2
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn json_header_numbers_at_the_edges_of_int() {
    for n in [0, 7, -1, 10, -10, 99, 1000, i32::MAX, i32::MIN] {
        let mut cmd = route_request(SerializeType::Json);
        (cmd.code, cmd.flag, cmd.opaque, cmd.version) = (n, n, n, n);
        let mut out = BytesMut::new();
        json::write_header(&cmd, &mut out);
        let text = std::str::from_utf8(&out).unwrap();
        for key in ["code", "flag", "opaque", "version"] {
            assert!(text.contains(&format!("\"{key}\":{n}")), "{text}");
        }
        let back = json::read_header(&out).unwrap();
        assert_eq!(
            (back.code, back.flag, back.opaque, back.version),
            (n, n, n, n)
        );
    }
}
