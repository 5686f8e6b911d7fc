//! Why a server refuses a request, and the one place that turns a refusal into Java's answer.
//!
//! The NameServer and the controller answer every request through a dispatch table whose
//! handlers return [`Reply`]`<E>`, `E` being the server's own error type.

use std::fmt::Display;

use crate::code::response;
use crate::command::Command;
use crate::error::HeaderError;

/// Why a request is refused.
#[derive(Debug)]
pub enum Reject<E> {
    /// A required header field is missing or malformed.
    Header(HeaderError),
    /// The body or another input is malformed, or an operation failed.
    Failed(E),
    /// A Java-defined answer: code and remark.
    Code(i32, String),
}

/// What a handler returns.
pub type Reply<E> = Result<Command, Reject<E>>;

impl<E> From<HeaderError> for Reject<E> {
    fn from(e: HeaderError) -> Self {
        Reject::Header(e)
    }
}

impl<E: Display> Reject<E> {
    /// `REQUEST_CODE_NOT_SUPPORTED` with Java 5.x's remark.
    pub fn not_supported(code: i32) -> Self {
        Reject::Code(
            response::REQUEST_CODE_NOT_SUPPORTED,
            format!(" request type {code} not supported"),
        )
    }

    /// Java's response to this refusal of a request with code `request`. Header and body
    /// failures are `SYSTEM_ERROR` with the exception text, as Java's `NettyRemotingAbstract`
    /// answers a `RemotingCommandException` (`UtilAll.exceptionSimpleDesc`), minus the Java
    /// stack frame; they are logged, Java-defined answers only at debug level (they are
    /// routine: clients probe retry topics, brokers ask for ids they do not have yet).
    pub fn into_response(self, request: i32) -> Command {
        let (code, remark) = match self {
            Reject::Header(e) => {
                tracing::warn!(request, error = %e, "bad request header");
                (
                    response::SYSTEM_ERROR,
                    format!("org.apache.rocketmq.remoting.exception.RemotingCommandException: {e}"),
                )
            }
            Reject::Failed(e) => {
                tracing::warn!(request, error = %e, "request failed");
                (response::SYSTEM_ERROR, e.to_string())
            }
            Reject::Code(code, remark) => {
                tracing::debug!(request, code, %remark, "request answered with an error code");
                (code, remark)
            }
        };
        Command::response(code, remark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_answers_java_code_and_remark() {
        let header = Reject::<String>::from(HeaderError::Missing {
            header: "GetKVConfigRequestHeader",
            field: "key",
        })
        .into_response(101);
        assert_eq!(header.code, response::SYSTEM_ERROR);
        assert_eq!(
            header.remark.as_deref(),
            Some(
                "org.apache.rocketmq.remoting.exception.RemotingCommandException: \
                 the custom field <key> is null (GetKVConfigRequestHeader)"
            )
        );
        let failed = Reject::Failed("disk full".to_string()).into_response(101);
        assert_eq!(failed.code, response::SYSTEM_ERROR);
        assert_eq!(failed.remark.as_deref(), Some("disk full"));
        let unknown = Reject::<String>::not_supported(77777).into_response(77777);
        assert_eq!(unknown.code, response::REQUEST_CODE_NOT_SUPPORTED);
        assert_eq!(
            unknown.remark.as_deref(),
            Some(" request type 77777 not supported")
        );
    }
}
