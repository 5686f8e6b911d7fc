//! RocketMQ request and response codes with Java's numbers and names (4.9.8 ∪ 5.3.3).

pub mod request;
pub mod response;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_numbers() {
        assert_eq!(
            request::name(request::SEND_MESSAGE_V2),
            Some("SEND_MESSAGE_V2")
        );
        assert_eq!(request::SEND_MESSAGE_V2, 310);
        assert_eq!(
            request::name(request::GET_ROUTEINFO_BY_TOPIC),
            Some("GET_ROUTEINFO_BY_TOPIC")
        );
        assert_eq!(request::POP_MESSAGE, 200_050);
        assert_eq!(request::name(9999), None);
        assert_eq!(
            response::name(response::TOPIC_NOT_EXIST),
            Some("TOPIC_NOT_EXIST")
        );
        assert_eq!(response::name(response::RPC_TIME_OUT), Some("RPC_TIME_OUT"));
    }

    #[test]
    fn shared_numbers_resolve_to_the_5x_name() {
        assert_eq!(
            response::UPDATE_AND_CREATE_ACL_CONFIG_FAILED,
            response::POLLING_FULL
        );
        assert_eq!(response::name(209), Some("POLLING_FULL"));
        assert_eq!(response::name(211), Some("BROKER_NOT_EXIST"));
    }

    #[test]
    fn every_4_9_8_only_request_code_is_present() {
        for code in [
            request::UPDATE_AND_CREATE_ACL_CONFIG,
            request::DELETE_ACL_CONFIG,
            request::GET_BROKER_CLUSTER_ACL_INFO,
            request::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
        ] {
            assert!(request::name(code).is_some(), "{code}");
        }
    }
}
