//! The enum-valued broker settings, parsed and printed as Java's setters and `toString` do.

use remoting::props::ConfigValue;

/// Declares an enum setting: Rust variant, Java name.
macro_rules! java_enum {
    ($(#[$meta:meta])* $name:ident { $( $variant:ident = $java:literal ),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $( $variant, )* }

        impl $name {
            /// The Java constant's name.
            pub fn java_name(self) -> &'static str {
                match self { $( Self::$variant => $java, )* }
            }

            fn from_java_name(text: &str) -> Result<Self, String> {
                match text {
                    $( $java => Ok(Self::$variant), )*
                    _ => Err(format!("expected {}", [$( $java ),*].join(", "))),
                }
            }
        }
    };
}

java_enum!(
    /// `brokerRole` (Java `BrokerRole`).
    BrokerRole {
        AsyncMaster = "ASYNC_MASTER",
        SyncMaster = "SYNC_MASTER",
        Slave = "SLAVE",
    }
);

java_enum!(
    /// `flushDiskType` (Java `FlushDiskType`).
    FlushDiskType {
        AsyncFlush = "ASYNC_FLUSH",
        SyncFlush = "SYNC_FLUSH",
    }
);

java_enum!(
    /// `defaultMessageRequestMode` (Java `MessageRequestMode`).
    MessageRequestMode {
        Pull = "PULL",
        Pop = "POP",
    }
);

java_enum!(
    /// `metricsExporterType` (Java `MetricsExporterType`).
    MetricsExporterType {
        Disable = "DISABLE",
        OtlpGrpc = "OTLP_GRPC",
        Prom = "PROM",
        Log = "LOG",
    }
);

impl ConfigValue for BrokerRole {
    fn parse_java(text: &str) -> Result<Self, String> {
        Self::from_java_name(text)
    }
    fn render_java(&self) -> Option<String> {
        Some(self.java_name().into())
    }
}

impl ConfigValue for FlushDiskType {
    fn parse_java(text: &str) -> Result<Self, String> {
        Self::from_java_name(text)
    }
    fn render_java(&self) -> Option<String> {
        Some(self.java_name().into())
    }
}

impl ConfigValue for MessageRequestMode {
    fn parse_java(text: &str) -> Result<Self, String> {
        Self::from_java_name(text)
    }
    fn render_java(&self) -> Option<String> {
        Some(self.java_name().into())
    }
}

impl ConfigValue for MetricsExporterType {
    /// Java has a setter for the name and one for the number (`valueOf(int)`: 1, 2, 3, any
    /// other number DISABLE).
    fn parse_java(text: &str) -> Result<Self, String> {
        match text.parse::<i32>() {
            Ok(1) => Ok(Self::OtlpGrpc),
            Ok(2) => Ok(Self::Prom),
            Ok(3) => Ok(Self::Log),
            Ok(_) => Ok(Self::Disable),
            Err(_) => Self::from_java_name(text),
        }
    }
    fn render_java(&self) -> Option<String> {
        Some(self.java_name().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_names_round_trip() {
        assert_eq!(BrokerRole::parse_java("SLAVE"), Ok(BrokerRole::Slave));
        assert_eq!(
            BrokerRole::SyncMaster.render_java().as_deref(),
            Some("SYNC_MASTER")
        );
        assert!(BrokerRole::parse_java("MASTER")
            .unwrap_err()
            .contains("ASYNC_MASTER, SYNC_MASTER, SLAVE"));
        assert_eq!(
            FlushDiskType::parse_java("SYNC_FLUSH"),
            Ok(FlushDiskType::SyncFlush)
        );
        assert_eq!(
            MessageRequestMode::parse_java("POP"),
            Ok(MessageRequestMode::Pop)
        );
        assert!(MessageRequestMode::parse_java("pop").is_err());
    }

    #[test]
    fn metrics_exporter_takes_a_name_or_a_number() {
        assert_eq!(
            MetricsExporterType::parse_java("PROM"),
            Ok(MetricsExporterType::Prom)
        );
        assert_eq!(
            MetricsExporterType::parse_java("1"),
            Ok(MetricsExporterType::OtlpGrpc)
        );
        assert_eq!(
            MetricsExporterType::parse_java("7"),
            Ok(MetricsExporterType::Disable)
        );
        assert!(MetricsExporterType::parse_java("prom").is_err());
    }
}
