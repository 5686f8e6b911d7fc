//! Why a request was refused, and the one mapping from that to a RocketMQ response code and
//! remark. Handlers return `Result<Command, Reject>`; [`Reject::into_response`] is the only
//! place a refusal becomes a wire response.

use remoting::code::response as rc;
use remoting::{Command, HeaderError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    /// Unknown request code (Java `AdminBrokerProcessor#getUnknownCmdResponse`).
    #[error(" request type {0} not supported")]
    NotSupported(i32),
    /// A required header field is missing or malformed. Java throws
    /// `RemotingCommandException` from `decodeCommandCustomHeader`; the remoting layer answers
    /// SYSTEM_ERROR with the exception text.
    #[error("org.apache.rocketmq.remoting.exception.RemotingCommandException: {0}")]
    Header(HeaderError),
    /// A body that does not parse.
    #[error("{0}")]
    Body(String),
    /// Any refusal with an explicit code and Java's remark.
    #[error("{remark}")]
    Code { code: i32, remark: String },
}

impl Reject {
    pub fn code(code: i32, remark: impl Into<String>) -> Self {
        Reject::Code {
            code,
            remark: remark.into(),
        }
    }
    pub fn system(remark: impl Into<String>) -> Self {
        Self::code(rc::SYSTEM_ERROR, remark)
    }
    pub fn no_permission(remark: impl Into<String>) -> Self {
        Self::code(rc::NO_PERMISSION, remark)
    }
    pub fn illegal(remark: impl Into<String>) -> Self {
        Self::code(rc::MESSAGE_ILLEGAL, remark)
    }

    pub fn response_code(&self) -> i32 {
        match self {
            Reject::NotSupported(_) => rc::REQUEST_CODE_NOT_SUPPORTED,
            Reject::Header(_) | Reject::Body(_) => rc::SYSTEM_ERROR,
            Reject::Code { code, .. } => *code,
        }
    }

    /// The response Java would send for this refusal.
    pub fn into_response(self) -> Command {
        Command::response(self.response_code(), Some(self.to_string()))
    }
}

impl From<HeaderError> for Reject {
    fn from(e: HeaderError) -> Self {
        Reject::Header(e)
    }
}

impl From<remoting::BodyError> for Reject {
    fn from(e: remoting::BodyError) -> Self {
        Reject::Body(format!("decode body failed: {e}"))
    }
}

pub type Reply = Result<Command, Reject>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_codes_and_remarks() {
        let r = Reject::NotSupported(9999).into_response();
        assert_eq!(r.code, rc::REQUEST_CODE_NOT_SUPPORTED);
        assert_eq!(
            r.remark.as_deref(),
            Some(" request type 9999 not supported")
        );
        let h = Reject::from(HeaderError::Missing {
            header: "PullMessageRequestHeader",
            field: "topic",
        })
        .into_response();
        assert_eq!(h.code, rc::SYSTEM_ERROR);
        assert!(h.remark.as_deref().unwrap().contains("<topic>"));
        assert_eq!(Reject::no_permission("x").into_response().code, 16);
    }
}
