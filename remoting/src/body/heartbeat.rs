//! The Java enums a HEART_BEAT body's `ConsumerData` carries. Java clients write their names;
//! the C++ client (librocketmq 1.x/2.x) writes their ordinals, which fastjson accepts:
//! ```text
//! {"clientID":"…","consumerDataSet":[{"consumeFromWhere":0,"consumeType":1,"groupName":"G",
//!  "messageModel":1,"subscriptionDataSet":[…]}]}
//! ```

java_enum! {
    /// Java `ConsumeType` (5.3.3; 4.9.8 lacks `CONSUME_POP`).
    ConsumeType {
        /// A pull consumer.
        Actively = "CONSUME_ACTIVELY",
        /// A push consumer.
        Passively = "CONSUME_PASSIVELY",
        Pop = "CONSUME_POP",
    }
}

java_enum! {
    /// Java `MessageModel`.
    MessageModel {
        Broadcasting = "BROADCASTING",
        Clustering = "CLUSTERING",
    }
}

java_enum! {
    /// Java `ConsumeFromWhere`, deprecated constants included: they hold their ordinals.
    ConsumeFromWhere {
        LastOffset = "CONSUME_FROM_LAST_OFFSET",
        LastOffsetAndFromMinWhenBootFirst = "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        MinOffset = "CONSUME_FROM_MIN_OFFSET",
        MaxOffset = "CONSUME_FROM_MAX_OFFSET",
        FirstOffset = "CONSUME_FROM_FIRST_OFFSET",
        Timestamp = "CONSUME_FROM_TIMESTAMP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{from_body, to_body};

    #[test]
    fn ordinals_follow_the_java_declarations() {
        let read = |t: &str| from_body::<ConsumeFromWhere>(t.as_bytes()).unwrap();
        let all = [
            ConsumeFromWhere::LastOffset,
            ConsumeFromWhere::LastOffsetAndFromMinWhenBootFirst,
            ConsumeFromWhere::MinOffset,
            ConsumeFromWhere::MaxOffset,
            ConsumeFromWhere::FirstOffset,
            ConsumeFromWhere::Timestamp,
        ];
        for (i, c) in all.into_iter().enumerate() {
            assert_eq!(read(&i.to_string()), c);
            assert_eq!(read(&format!("\"{}\"", c.name())), c);
            assert_eq!(to_body(&c), format!("\"{c}\"").into_bytes());
        }
        assert_eq!(
            from_body::<ConsumeType>(b"1").unwrap(),
            ConsumeType::Passively
        );
        assert_eq!(from_body::<ConsumeType>(b"2").unwrap(), ConsumeType::Pop);
        assert_eq!(
            from_body::<MessageModel>(b"0").unwrap(),
            MessageModel::Broadcasting
        );
        assert_eq!(
            from_body::<MessageModel>(b"1").unwrap(),
            MessageModel::Clustering
        );
        assert_eq!(
            MessageModel::from_name("CLUSTERING"),
            Some(MessageModel::Clustering)
        );
        assert_eq!(MessageModel::from_name("clustering"), None);
    }
}
