//! Appendix C test vectors of the storage spec.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::decode::{check_record, Checked, DelayLevels, StoredMessage};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn hashes_and_crcs() {
    assert_eq!(crc32(b"hello"), 907_060_870);
    assert_eq!(crc32(b"a"), 0x68B7_BE43);
    assert_eq!(crc32(b""), 0);
    assert_eq!(java_hash("TagA"), 2_598_919);
    assert_eq!(
        tags_code(Some("TagA")).to_be_bytes(),
        [0, 0, 0, 0, 0, 0x27, 0xA8, 0x07]
    );
    assert_eq!(java_hash("Hello World"), -862_545_276);
    assert_eq!(
        tags_code(Some("Hello World")).to_be_bytes(),
        [0xFF, 0xFF, 0xFF, 0xFF, 0xCC, 0x96, 0x9A, 0x84]
    );
    assert_eq!(tags_code(None), 0);
    assert_eq!(tags_code(Some("")), 0);
    assert_eq!(java_hash("TopicTest#key1"), -1_655_984_460);
    // Outside the BMP: two UTF-16 units.
    assert_eq!(java_hash("\u{1F600}"), 0xD83D * 31 + 0xDE00);
    assert_eq!(MAGIC_V1, -626_843_481);
    assert_eq!(MAGIC_V2, -626_843_477);
    assert_eq!(MAGIC_BLANK, -875_286_124);
}

/// The ASCII path's four-units-a-step fold against Java's one-unit `31·h + c`, at every length
/// up to 40, from zero and from a carried hash, on all byte values 0..=127.
#[test]
fn java_hash_quads_match_unit_steps() {
    let unit = |h: i32, s: &str| {
        s.encode_utf16()
            .fold(h, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
    };
    let all: String = (0u8..=127).map(char::from).collect();
    for start in 0..all.len() {
        for len in 0..=40.min(all.len() - start) {
            let s = &all[start..start + len];
            assert_eq!(java_hash(s), unit(0, s), "{s:?}");
            assert_eq!(java_hash_from(-1_655_984_460, s), unit(-1_655_984_460, s));
        }
    }
    let long = "7F0000010C3D18B4AAC2586F0D2A0000".repeat(5);
    assert_eq!(java_hash(&long), unit(0, &long));
}

fn vector_message() -> NewMessage {
    NewMessage {
        topic: "TopicTest".into(),
        queue_id: 3,
        flag: 0,
        body: Bytes::from_static(b"hello"),
        properties: "KEYS\u{1}key1\u{2}TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}7F0000010C3D18B4AAC2586F0D2A0000\u{2}WAIT\u{1}true\u{2}".into(),
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: "10.0.0.5:53422".parse().unwrap(),
        store_host: "10.0.0.1:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

#[test]
fn complete_v1_record() {
    let msg = vector_message();
    let (len, v2) = record_len(&msg, 4 << 20).unwrap();
    assert_eq!((len, v2), (177, false));
    let mut buf = vec![0u8; len];
    let p = Placement {
        queue_offset: 42,
        physical_offset: 1_073_745_920,
        store_timestamp: 1_700_000_000_123,
        body_crc: crc32(&msg.body),
    };
    encode(&mut buf, &msg, v2, &p);
    let mut expected = hex(
        "000000B1 DAA320A7 3610A686 00000003 00000000 000000000000002A 0000000040001000 00000000
         0000018BCFE56800 0A000005 0000D0AE 0000018BCFE5687B 0A000001 00002A9F 00000000
         0000000000000000 00000005 68656C6C6F 09 546F706963546573 74 0048",
    );
    expected.extend_from_slice(msg.properties.as_bytes());
    assert_eq!(buf, expected);

    let delays = DelayLevels::parse("1s 5s").unwrap();
    let Checked::Message(info) = check_record(&buf, true, &delays) else {
        panic!("not a message")
    };
    assert_eq!(info.size, 177);
    assert_eq!(info.queue_offset, 42);
    assert_eq!(info.tags_code, 2_598_919);
    assert_eq!(info.keys, Some("key1"));
    assert_eq!(info.uniq_key, Some("7F0000010C3D18B4AAC2586F0D2A0000"));
    assert_eq!(
        offset_msg_id(&msg.store_host, 1_073_745_920),
        "0A00000100002A9F0000000040001000"
    );
    assert_eq!(
        decode_offset_msg_id("0a00000100002a9f0000000040001000"),
        Some((msg.store_host, 1_073_745_920))
    );

    let sm = StoredMessage::decode(&Bytes::from(buf.clone())).unwrap();
    assert_eq!(sm.topic, "TopicTest");
    assert_eq!(&sm.body[..], b"hello");
    assert_eq!(sm.born_host, msg.born_host);
    assert_eq!(sm.properties, msg.properties);

    // A flipped body byte fails the CRC; without the check it passes.
    buf[88] ^= 1;
    assert!(matches!(
        check_record(&buf, true, &delays),
        Checked::Bad { .. }
    ));
    assert!(matches!(
        check_record(&buf, false, &delays),
        Checked::Message(_)
    ));
}

#[test]
fn protocol_example_record() {
    // protocol.md §6.5: 100-byte record, topic T, properties TAGS=A (no trailing separator).
    let msg = NewMessage {
        topic: "T".into(),
        queue_id: 1,
        flag: 0,
        body: Bytes::from_static(b"hi"),
        properties: "TAGS\u{1}A".into(),
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: "10.0.0.2:50000".parse().unwrap(),
        store_host: "10.0.0.1:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    };
    let (len, v2) = record_len(&msg, 1024).unwrap();
    let mut buf = vec![0u8; len];
    let p = Placement {
        queue_offset: 5,
        physical_offset: 0x1000,
        store_timestamp: 1_700_000_000_100,
        body_crc: crc32(b"hi"),
    };
    encode(&mut buf, &msg, v2, &p);
    let expected = hex(
        "00000064 daa320a7 58932aac 00000001 00000000 0000000000000005 0000000000001000 00000000
         0000018bcfe56800 0a000002 0000c350 0000018bcfe56864 0a000001 00002a9f 00000000 0000000000000000
         00000002 6869 01 54 0006 54414753 01 41",
    );
    assert_eq!(buf, expected);
}

#[test]
fn ipv6_and_v2_and_blank() {
    let mut msg = vector_message();
    msg.born_host = "[::1]:1234".parse().unwrap();
    msg.store_host = "[fe80::1]:10911".parse().unwrap();
    msg.topic = "x".repeat(200);
    let (len, v2) = record_len(&msg, 4 << 20).unwrap();
    assert!(v2);
    assert_eq!(len, 74 + 20 + 20 + 5 + 2 + 200 + msg.properties.len());
    let mut buf = vec![0u8; len];
    encode(
        &mut buf,
        &msg,
        v2,
        &Placement {
            queue_offset: 1,
            physical_offset: 2,
            store_timestamp: 3,
            body_crc: crc32(b"hello"),
        },
    );
    let sm = StoredMessage::decode(&Bytes::from(buf.clone())).unwrap();
    assert_eq!(
        sm.sys_flag & (sysflag::BORNHOST_V6 | sysflag::STOREHOST_V6),
        0x30
    );
    assert_eq!(sm.store_host, msg.store_host);
    assert_eq!(sm.topic.len(), 200);
    let delays = DelayLevels::parse("1s").unwrap();
    assert!(matches!(
        check_record(&buf, true, &delays),
        Checked::Message(_)
    ));
    assert_eq!(
        check_record(&encode_blank(4000), true, &delays),
        Checked::Blank
    );
    assert!(matches!(
        check_record(&[0u8; 64], true, &delays),
        Checked::Bad { .. }
    ));
    // Truncated record: declared size larger than what is left.
    assert!(matches!(
        check_record(&buf[..len - 1], true, &delays),
        Checked::Bad { .. }
    ));
}

#[test]
fn limits() {
    let mut msg = vector_message();
    msg.body = Bytes::from(vec![0u8; 11]);
    assert!(matches!(
        record_len(&msg, 10),
        Err(StoreError::MessageIllegal(_))
    ));
    msg.body = Bytes::new();
    msg.properties = "a".repeat(40_000);
    assert!(matches!(
        record_len(&msg, 10),
        Err(StoreError::MessageIllegal(_))
    ));
}

#[test]
fn schedule_topic_tags_code_is_delivery_time() {
    let delays =
        DelayLevels::parse("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h").unwrap();
    let p = "DELAY\u{1}3\u{2}TAGS\u{1}TagA\u{2}";
    assert_eq!(
        crate::decode::cq_tags_code("SCHEDULE_TOPIC_XXXX", p, 1000, &delays),
        11_000
    );
    assert_eq!(
        crate::decode::cq_tags_code("SCHEDULE_TOPIC_XXXX", "DELAY\u{1}99\u{2}", 0, &delays),
        7_200_000
    );
    assert_eq!(
        crate::decode::cq_tags_code("TopicTest", p, 1000, &delays),
        2_598_919
    );
}

#[test]
fn hex_ids_match_a_plain_formatting() {
    // Every byte value, in an order that puts each beside others.
    let raw: Vec<u8> = (0..=255u8).map(|i| i.wrapping_mul(37)).collect();
    for n in [0, 1, 16, 32, 33, 70, 256] {
        let plain: String = raw[..n].iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(upper_hex(&raw[..n]), plain);
    }
    let v6: SocketAddr = "[2001:db8::7]:10911".parse().unwrap();
    let id = offset_msg_id(&v6, 0x0102_0304_0506_0708);
    assert_eq!(
        id,
        "20010DB800000000000000000000000700002A9F0102030405060708"
    );
    assert_eq!(decode_offset_msg_id(&id), Some((v6, 0x0102_0304_0506_0708)));
    let mut two = String::new();
    push_offset_msg_id(&mut two, &v6, 1);
    push_offset_msg_id(&mut two, &v6, 2);
    assert_eq!(two.len(), 2 * id.len());
}
