//! The `RemotingCommand` value: one request or response, independent of how it is serialized.
//!
//! Java: `RemotingCommand.java`, `LanguageCode.java`, `SerializeType.java`. The header fields are
//! `code`, `language`, `version`, `opaque`, `flag`, `remark` and `extFields`; the body is the rest
//! of the frame (see [`crate::codec`]).

use std::fmt;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Instant;

use bytes::Bytes;

use crate::error::HeaderError;
pub use crate::ext::ExtFields;
use crate::header::CustomHeader;

/// `flag` bit 0 (Java `RPC_TYPE`): the frame is a response.
pub const FLAG_RESPONSE: i32 = 1;
/// `flag` bit 1 (Java `RPC_ONEWAY`): the request must not be answered.
pub const FLAG_ONEWAY: i32 = 2;

/// `MQVersion.Version.V4_9_8` ordinal, what Java 4.9.8 components send.
pub const VERSION_4_9_8: i32 = 409;
/// `MQVersion.Version.V5_3_3` ordinal, what Java 5.3.3 components send.
pub const VERSION_5_3_3: i32 = 479;
/// Version written into commands we create. Must fit in i16 (Go) and be ≥ 232 (the Java client's
/// SQL92 check on the heartbeat response version), see protocol.md §2.7.
pub const DEFAULT_VERSION: i32 = VERSION_5_3_3;

/// Text bytes a command's ext fields start with when a typed header is written into them: a
/// send's reply (a 32-digit message id, its offsets, transaction id, region and trace flag,
/// laid out as JSON) fits.
const HEADER_TEXT_ROOM: usize = 256;

/// The first names of Java's `MQVersion.Version`, before the regular `V<a>_<b>_<c>_SNAPSHOT`,
/// `V<a>_<b>_<c>` pairs start at ordinal 16 (`V3_0_1_SNAPSHOT`).
const FIRST_VERSIONS: [&str; 16] = [
    "V3_0_0_SNAPSHOT",
    "V3_0_0_ALPHA1",
    "V3_0_0_BETA1",
    "V3_0_0_BETA2",
    "V3_0_0_BETA3",
    "V3_0_0_BETA4",
    "V3_0_0_BETA5",
    "V3_0_0_BETA6_SNAPSHOT",
    "V3_0_0_BETA6",
    "V3_0_0_BETA7_SNAPSHOT",
    "V3_0_0_BETA7",
    "V3_0_0_BETA8_SNAPSHOT",
    "V3_0_0_BETA8",
    "V3_0_0_BETA9_SNAPSHOT",
    "V3_0_0_BETA9",
    "V3_0_0_FINAL",
];

/// Java `MQVersion.getVersionDesc` (`V5_3_3`); below 0 the first name. The enum after its first 16
/// names: 3.0.1–3.0.15, all of 3.1.x and 3.2.x, then 3.3–3.9 without their `.0`, then every
/// version from 4.0.0 to 5.9.9, each as a SNAPSHOT and a release; `HIGHER_VERSION` above.
pub fn version_desc(v: i32) -> String {
    let v = v.max(0) as usize;
    if v < FIRST_VERSIONS.len() {
        return FIRST_VERSIONS[v].to_owned();
    }
    let mut i = v - FIRST_VERSIONS.len();
    let pair = |a: usize, b: usize, c: usize, i: usize| {
        let snapshot = if i % 2 == 0 { "_SNAPSHOT" } else { "" };
        format!("V{a}_{b}_{c}{snapshot}")
    };
    if i < 30 {
        return pair(3, 0, i / 2 + 1, i);
    }
    i -= 30;
    if i < 40 {
        return pair(3, 1 + i / 20, (i % 20) / 2, i);
    }
    i -= 40;
    if i < 7 * 18 {
        return pair(3, 3 + i / 18, (i % 18) / 2 + 1, i);
    }
    i -= 7 * 18;
    if i < 400 {
        return pair(4 + i / 200, (i % 200) / 20, (i % 20) / 2, i);
    }
    "HIGHER_VERSION".into()
}

/// Java's `RemotingCommand.requestId`: one counter per process, starting at 0, wrapping.
static NEXT_OPAQUE: AtomicI32 = AtomicI32::new(0);

/// A fresh request id (`RemotingCommand.createNewRequestId`).
pub fn next_opaque() -> i32 {
    NEXT_OPAQUE.fetch_add(1, Ordering::Relaxed)
}

/// How the header of a frame is serialized (`SerializeType.java`): the high byte of the
/// header-length word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SerializeType {
    #[default]
    Json,
    RocketMq,
}

impl SerializeType {
    pub fn code(self) -> u8 {
        match self {
            SerializeType::Json => 0,
            SerializeType::RocketMq => 1,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(SerializeType::Json),
            1 => Some(SerializeType::RocketMq),
            _ => None,
        }
    }

    /// The name Java writes in `serializeTypeCurrentRPC`.
    pub fn name(self) -> &'static str {
        match self {
            SerializeType::Json => "JSON",
            SerializeType::RocketMq => "ROCKETMQ",
        }
    }

    /// From Java's enum name (exact, as `SerializeType.valueOf`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "JSON" => Some(SerializeType::Json),
            "ROCKETMQ" => Some(SerializeType::RocketMq),
            _ => None,
        }
    }

    /// The process-wide type for commands this process originates (Java
    /// `serializeTypeConfigInThisServer`): env `ROCKETMQ_SERIALIZE_TYPE` (`JSON` or `ROCKETMQ`),
    /// JSON by default. Read once. Java refuses to start on an invalid value; here it is logged and
    /// JSON is used.
    pub fn configured() -> Self {
        static CONFIGURED: std::sync::OnceLock<SerializeType> = std::sync::OnceLock::new();
        *CONFIGURED.get_or_init(|| {
            let raw = std::env::var(SERIALIZE_TYPE_ENV).unwrap_or_default();
            let raw = raw.trim();
            if raw.is_empty() {
                return SerializeType::Json;
            }
            SerializeType::from_name(raw).unwrap_or_else(|| {
                tracing::warn!(value = raw, "invalid {SERIALIZE_TYPE_ENV}; using JSON");
                SerializeType::Json
            })
        })
    }
}

/// Environment variable choosing [`SerializeType::configured`] (Java `SERIALIZE_TYPE_ENV`).
pub const SERIALIZE_TYPE_ENV: &str = "ROCKETMQ_SERIALIZE_TYPE";

/// The sender's implementation language (`LanguageCode.java`). JSON headers carry the name, binary
/// headers the code. Java turns a name or code it does not know into `null` and carries on;
/// [`LanguageCode::Unknown`] is that `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LanguageCode {
    #[default]
    Java,
    Cpp,
    Dotnet,
    Python,
    Delphi,
    Erlang,
    Ruby,
    Other,
    Http,
    Go,
    Php,
    Oms,
    /// Since Java 4.9.4.
    Rust,
    /// 5.x only.
    NodeJs,
    /// A name or code this table does not know (Java: `null`).
    Unknown,
}

const LANGUAGES: [(LanguageCode, u8, &str); 14] = [
    (LanguageCode::Java, 0, "JAVA"),
    (LanguageCode::Cpp, 1, "CPP"),
    (LanguageCode::Dotnet, 2, "DOTNET"),
    (LanguageCode::Python, 3, "PYTHON"),
    (LanguageCode::Delphi, 4, "DELPHI"),
    (LanguageCode::Erlang, 5, "ERLANG"),
    (LanguageCode::Ruby, 6, "RUBY"),
    (LanguageCode::Other, 7, "OTHER"),
    (LanguageCode::Http, 8, "HTTP"),
    (LanguageCode::Go, 9, "GO"),
    (LanguageCode::Php, 10, "PHP"),
    (LanguageCode::Oms, 11, "OMS"),
    (LanguageCode::Rust, 12, "RUST"),
    (LanguageCode::NodeJs, 13, "NODE_JS"),
];

impl LanguageCode {
    /// Java's byte code; `None` for [`LanguageCode::Unknown`].
    pub fn code(self) -> Option<u8> {
        LANGUAGES
            .iter()
            .find(|(l, _, _)| *l == self)
            .map(|(_, c, _)| *c)
    }

    /// Java's enum name; `None` for [`LanguageCode::Unknown`].
    pub fn name(self) -> Option<&'static str> {
        LANGUAGES
            .iter()
            .find(|(l, _, _)| *l == self)
            .map(|(_, _, n)| *n)
    }

    /// From a binary header byte (or a JSON ordinal, which equals the code).
    pub fn from_code(code: i64) -> Self {
        LANGUAGES
            .iter()
            .find(|(_, c, _)| i64::from(*c) == code)
            .map_or(LanguageCode::Unknown, |(l, _, _)| *l)
    }

    /// From a JSON name; case-insensitive as fastjson's enum deserializer.
    pub fn from_name(name: &str) -> Self {
        LANGUAGES
            .iter()
            .find(|(_, _, n)| n.eq_ignore_ascii_case(name))
            .map_or(LanguageCode::Unknown, |(l, _, _)| *l)
    }
}

/// One request or response (Java `RemotingCommand`): its [`Fields`], boxed. A command moves by
/// value through every layer of its handling (decoder, reader, handler, the layers around it,
/// reply queue, writer), some forty moves for a send and its reply; boxed, each moves a pointer
/// instead of 192 bytes with a call to `memcpy`.
#[derive(Clone, PartialEq)]
pub struct Command(Box<Fields>);

impl std::ops::Deref for Command {
    type Target = Fields;

    fn deref(&self) -> &Fields {
        &self.0
    }
}

impl std::ops::DerefMut for Command {
    fn deref_mut(&mut self) -> &mut Fields {
        &mut self.0
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a [`Command`] holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    /// Request code ([`crate::code::request`]) or response code ([`crate::code::response`]).
    pub code: i32,
    pub language: LanguageCode,
    pub version: i32,
    pub opaque: i32,
    /// Bit 0 response ([`FLAG_RESPONSE`]), bit 1 oneway ([`FLAG_ONEWAY`]).
    pub flag: i32,
    pub remark: Option<String>,
    pub ext_fields: ExtFields,
    /// The frame's body: a slice of the received frame, never copied. `None` when empty.
    pub body: Option<Bytes>,
    /// Further parts of the body, sent after `body` as they are ([`Command::with_body_parts`]):
    /// a PULL response's records, each a view of the CommitLog, reach the socket without being
    /// gathered into one buffer first. Empty on every decoded command.
    pub body_rest: Vec<Bytes>,
    /// The serialization the frame arrived in; a reply is written the same way.
    pub serialize_type: SerializeType,
    /// When the read that completed the frame returned (Java's `processTimer`, started as the
    /// frame is decoded): set by a server's reader, `None` on commands built here. Not on the
    /// wire.
    pub received: Option<Instant>,
}

impl Command {
    fn new(code: i32, opaque: i32, flag: i32) -> Self {
        Command(Box::new(Fields {
            code,
            language: LanguageCode::Java,
            version: DEFAULT_VERSION,
            opaque,
            flag,
            remark: None,
            ext_fields: ExtFields::new(),
            body: None,
            body_rest: Vec::new(),
            serialize_type: SerializeType::configured(),
            received: None,
        }))
    }

    /// A two-way request with a fresh opaque, in the process's configured serialization.
    pub fn request(code: i32) -> Self {
        Command::new(code, next_opaque(), 0)
    }

    /// Marks a request oneway.
    pub fn oneway(mut self) -> Self {
        self.flag |= FLAG_ONEWAY;
        self
    }

    /// A response; the server copies the request's opaque and serialize type into it (replies
    /// mirror the request, as Java 4.9.8's main path does; C++ clients read only JSON).
    pub fn response(code: i32, remark: impl Into<Option<String>>) -> Self {
        let mut cmd = Command::new(code, 0, FLAG_RESPONSE);
        cmd.remark = remark.into();
        cmd
    }

    /// Sets the body; an empty body is the same as none on the wire.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        self.body = (!body.is_empty()).then_some(body);
        self.body_rest.clear();
        self
    }

    /// Sets a body made of `parts` back to back, which are not copied into one buffer.
    pub fn with_body_parts(mut self, parts: Vec<Bytes>) -> Self {
        let mut parts = parts.into_iter().filter(|p| !p.is_empty());
        self.body = parts.next();
        self.body_rest = parts.collect();
        self
    }

    /// The body's length, all parts.
    pub fn body_len(&self) -> usize {
        self.body.as_ref().map_or(0, Bytes::len)
            + self.body_rest.iter().map(Bytes::len).sum::<usize>()
    }

    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    /// Adds one ext field (e.g. `MSG_REGION` next to a typed header).
    pub fn with_ext(mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.ext_fields.insert(key, value);
        self
    }

    /// Flattens a typed header into the ext fields (Java `makeCustomHeaderToNet`).
    pub fn with_header<H: CustomHeader>(mut self, header: &H) -> Self {
        if self.ext_fields.is_empty() {
            // Room for a header's fields and the few a handler adds next to them: growing from
            // nothing takes four reallocations.
            self.ext_fields = ExtFields::with_text_capacity(HEADER_TEXT_ROOM);
        }
        header.to_ext(&mut self.ext_fields);
        self
    }

    /// Reads a typed header from the ext fields; the error names the missing or malformed field.
    pub fn decode_header<H: CustomHeader>(&self) -> Result<H, HeaderError> {
        H::from_ext(&self.ext_fields)
    }

    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    pub fn ext(&self, key: &str) -> Option<&str> {
        self.ext_fields.get(key)
    }

    /// Turns `self` (a response built by a handler) into the reply to `request`: same opaque,
    /// response flag, same serialization (Java 4.9.8 `NettyRemotingAbstract.processRequestCommand`).
    pub fn into_reply_to(mut self, request: &Command) -> Self {
        self.opaque = request.opaque;
        self.flag |= FLAG_RESPONSE;
        self.serialize_type = request.serialize_type;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_names_and_codes() {
        assert_eq!(LanguageCode::from_name("JAVA"), LanguageCode::Java);
        assert_eq!(LanguageCode::from_name("java"), LanguageCode::Java);
        assert_eq!(LanguageCode::from_name("NODE_JS"), LanguageCode::NodeJs);
        assert_eq!(LanguageCode::from_name("COBOL"), LanguageCode::Unknown);
        assert_eq!(LanguageCode::from_code(9), LanguageCode::Go);
        assert_eq!(LanguageCode::from_code(127), LanguageCode::Unknown);
        assert_eq!(LanguageCode::Rust.code(), Some(12));
        assert_eq!(LanguageCode::Unknown.name(), None);
    }

    #[test]
    fn versions_as_java_names_them() {
        assert_eq!(version_desc(VERSION_5_3_3), "V5_3_3");
        assert_eq!(version_desc(VERSION_4_9_8), "V4_9_8");
        assert_eq!(version_desc(0), "V3_0_0_SNAPSHOT");
        assert_eq!(version_desc(15), "V3_0_0_FINAL");
        assert_eq!(version_desc(16), "V3_0_1_SNAPSHOT");
        assert_eq!(version_desc(45), "V3_0_15");
        assert_eq!(version_desc(46), "V3_1_0_SNAPSHOT");
        assert_eq!(version_desc(85), "V3_2_9");
        assert_eq!(version_desc(86), "V3_3_1_SNAPSHOT");
        assert_eq!(version_desc(211), "V3_9_9");
        assert_eq!(version_desc(212), "V4_0_0_SNAPSHOT");
        assert_eq!(version_desc(611), "V5_9_9");
        assert_eq!(version_desc(612), "HIGHER_VERSION");
        assert_eq!(version_desc(5000), "HIGHER_VERSION");
    }

    #[test]
    fn flags_and_reply() {
        let req = Command::request(105).oneway();
        assert!(req.is_oneway() && !req.is_response());
        let a = Command::request(105);
        let b = Command::request(105);
        assert_ne!(a.opaque, b.opaque);
        let reply = Command::response(0, None).into_reply_to(&a);
        assert!(reply.is_response());
        assert_eq!(reply.opaque, a.opaque);
        assert_eq!(Command::request(1).with_body(Vec::new()).body, None);
    }
}
