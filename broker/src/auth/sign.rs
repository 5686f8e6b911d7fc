//! The request signature of ACL 1.0, as Java's `AclClientRPCHook` writes it and
//! `PlainAccessValidator` checks it:
//!
//! ```text
//!   content   = values of the ext fields sorted by name, without Signature and
//!               _UNIQUE_KEY_QUERY, concatenated (UTF-8) ‖ body
//!   Signature = base64(HMAC-SHA1(key = secretKey, content))
//! ```
//! AccessKey and SecurityToken are ext fields like the others, so they are signed too.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use remoting::Command;
use sha1::Sha1;

/// Ext field carrying the account (Java `SessionCredentials.ACCESS_KEY`).
pub const ACCESS_KEY: &str = "AccessKey";
/// Ext field carrying the signature (Java `SessionCredentials.SIGNATURE`).
pub const SIGNATURE: &str = "Signature";
/// Optional signed token (Java `SessionCredentials.SECURITY_TOKEN`).
pub const SECURITY_TOKEN: &str = "SecurityToken";
/// Left out of the signed content by the broker (Java `MixAll.UNIQUE_MSG_QUERY_FLAG`).
const UNIQUE_MSG_QUERY_FLAG: &str = "_UNIQUE_KEY_QUERY";

/// `MQVersion.Version.V4_9_3` ordinal: 5.x auth leaves `_UNIQUE_KEY_QUERY` out of the signed
/// content only for requests of this version or older (`DefaultAuthenticationContextBuilder`).
const V4_9_3: i32 = 399;

/// The ext fields a signature covers, sorted by name (Java's `TreeMap` orders by UTF-16 code
/// units; field names are ASCII, where that is byte order).
fn signed_fields(req: &Command, skip_unique_key: bool) -> Vec<(&str, &str)> {
    let mut fields: Vec<(&str, &str)> = req
        .ext_fields
        .iter()
        .filter(|(k, _)| *k != SIGNATURE && !(skip_unique_key && *k == UNIQUE_MSG_QUERY_FLAG))
        .collect();
    fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
    fields
}

/// The bytes a request's signature covers (Java `AclUtils.combineRequestContent` over the
/// sorted ext fields).
pub fn content(req: &Command) -> Vec<u8> {
    let mut out = Vec::new();
    for (_, v) in signed_fields(req, true) {
        out.extend_from_slice(v.as_bytes());
    }
    out.extend_from_slice(req.body.as_deref().unwrap_or_default());
    out
}

/// The MAC of a request's content, fed piece by piece (the body is not copied).
fn request_mac(req: &Command, secret: &str, skip_unique_key: bool) -> Option<Hmac<Sha1>> {
    // HMAC takes keys of any length: this never fails.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).ok()?;
    for (_, v) in signed_fields(req, skip_unique_key) {
        mac.update(v.as_bytes());
    }
    mac.update(req.body.as_deref().unwrap_or_default());
    Some(mac)
}

/// Java `AclUtils.calSignature`: base64 of HMAC-SHA1 over `data` keyed by the UTF-8 secret.
pub fn signature(data: &[u8], secret: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(data);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The `Signature` `AclClientRPCHook` puts on `req` (whose ext fields already hold `AccessKey`).
pub fn sign(req: &Command, secret: &str) -> String {
    request_mac(req, secret, true)
        .map_or_else(String::new, |m| STANDARD.encode(m.finalize().into_bytes()))
}

/// Java 5.x `AclClientRPCHook.doBeforeRequest`: adds `AccessKey` and the `Signature` over every
/// ext field (the broker's own requests under `innerClientAuthenticationCredentials`).
pub fn sign_request(req: &mut Command, access_key: &str, secret: &str) {
    req.ext_fields.insert(ACCESS_KEY, access_key);
    let s = request_mac(req, secret, false)
        .map_or_else(String::new, |m| STANDARD.encode(m.finalize().into_bytes()));
    req.ext_fields.insert(SIGNATURE, s);
}

/// Whether the request's `Signature` is its signature under `secret`. Java compares the base64
/// text; the bytes are compared here in constant time, and a non-canonical text fails as in Java.
pub fn verify(req: &Command, secret: &str) -> bool {
    verify_content(req, secret, true)
}

/// [`verify`] as 5.x auth checks it (`DefaultAuthenticationHandler`, the user's password as the
/// secret): `_UNIQUE_KEY_QUERY` is signed unless the request is from 4.9.3 or older.
pub fn verify_v2(req: &Command, password: &str) -> bool {
    verify_content(req, password, req.version <= V4_9_3)
}

fn verify_content(req: &Command, secret: &str, skip_unique_key: bool) -> bool {
    let Some(given) = req.ext(SIGNATURE) else {
        return false;
    };
    let mac = request_mac(req, secret, skip_unique_key);
    let (Some(mac), Ok(raw)) = (mac, STANDARD.decode(given)) else {
        return false;
    };
    STANDARD.encode(&raw) == given && mac.verify_slice(&raw).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    // Vectors from the rocketmq-acl 4.9.7 jar: a one-off Java program printed
    // `AclUtils.calSignature(data.getBytes(UTF_8), key)` and, for the request below, the ext
    // fields `AclClientRPCHook.doBeforeRequest` added.
    #[test]
    fn signatures_match_java() {
        assert_eq!(signature(b"", "12345678"), "beQgVA0KNM4WtCe68fj2DEn3WWU=");
        assert_eq!(
            signature(b"RocketMQtopicA", "12345678"),
            "Xz7hbuQTTlO6bHQAeJAlb9On2jw="
        );
        assert_eq!(
            signature("abc\u{e9}\u{4e2d}".as_bytes(), "key\u{e9}"),
            "zUyHv5zQMuOQsjzFnfqTcc37Uec="
        );
    }

    #[test]
    fn request_content_matches_java_client_hook() {
        // RemotingCommand code 10, ext {topic=T, producerGroup=G, a=1}, body "hello body",
        // signed by AclClientRPCHook(SessionCredentials("RocketMQ", "12345678", "tok")).
        let mut req = Command::request(10)
            .with_ext("topic", "T")
            .with_ext("producerGroup", "G")
            .with_ext("a", "1")
            .with_ext(ACCESS_KEY, "RocketMQ")
            .with_ext(SECURITY_TOKEN, "tok")
            .with_ext(SIGNATURE, "63XKfROnpJg3Xgm9p1zUx6jAwQ0=");
        req.body = Some(Bytes::from_static(b"hello body"));
        let c = content(&req);
        assert_eq!(c, b"RocketMQtok1GThello body");
        assert_eq!(sign(&req, "12345678"), "63XKfROnpJg3Xgm9p1zUx6jAwQ0=");
        assert!(verify(&req, "12345678"));
        assert!(!verify(&req, "12345679"));
        req.ext_fields.insert(UNIQUE_MSG_QUERY_FLAG, "true");
        assert_eq!(content(&req), c);
        assert!(verify(&req, "12345678"));
        req.ext_fields.remove(SIGNATURE);
        assert!(!verify(&req, "12345678"));
    }

    #[test]
    fn v2_signs_the_unique_key_flag_after_4_9_3() {
        let mut req = Command::request(12)
            .with_ext("topic", "T")
            .with_ext(UNIQUE_MSG_QUERY_FLAG, "true")
            .with_ext(ACCESS_KEY, "user1");
        req.version = 479;
        // AclClientRPCHook signs every ext field; the 5.3.3 client sends version 479.
        let mut all = Vec::new();
        for (_, v) in signed_fields(&req, false) {
            all.extend_from_slice(v.as_bytes());
        }
        req.ext_fields
            .insert(SIGNATURE, signature(&all, "pw123456"));
        assert!(verify_v2(&req, "pw123456"));
        assert!(!verify_v2(&req, "pw1234567"));
        req.version = 399;
        assert!(
            !verify_v2(&req, "pw123456"),
            "4.9.3 and older: the flag is not signed"
        );
        let again = sign(&req, "pw123456");
        req.ext_fields.insert(SIGNATURE, again);
        assert!(verify_v2(&req, "pw123456"));
    }
}
