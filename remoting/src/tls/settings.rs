//! The TLS keys of Java's `TlsSystemConfig`, declared once, and where they are read from.
//!
//! Java reads them as system properties (`-Dtls.server.mode=enforcing`, which the distribution's
//! `bin/runserver.sh`/`bin/runbroker.sh` pass from the `JAVA_OPT` and `JAVA_OPT_EXT` environment
//! variables), then `TlsHelper.buildSslContext` lets the properties file named by
//! `tls.config.file` (default `/etc/rocketmq/tls.properties`) override every key but
//! `tls.server.mode`, `tls.enable` and `tls.config.file` itself. Thrust reads the same two
//! places in the same order: the `-Dtls.*=value` words of `$JAVA_OPT` then `$JAVA_OPT_EXT` (a
//! later word wins, as on a java command line), then the file.

use std::collections::BTreeMap;

use super::TlsError;

/// Java `TlsMode`: how a server treats TLS and plain connections on one port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// A TLS handshake is refused (the connection is closed); plain connections are served.
    Disabled,
    /// Both: a first byte 0x16 starts TLS, anything else is a plain connection.
    Permissive,
    /// Only TLS: a plain connection is closed.
    Enforcing,
}

impl TlsMode {
    /// Java `TlsMode.parse`: the exact lower-case name, anything else is permissive.
    pub fn parse(text: &str) -> TlsMode {
        match text {
            "disabled" => TlsMode::Disabled,
            "enforcing" => TlsMode::Enforcing,
            _ => TlsMode::Permissive,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TlsMode::Disabled => "disabled",
            TlsMode::Permissive => "permissive",
            TlsMode::Enforcing => "enforcing",
        }
    }
}

/// Java `Boolean.parseBoolean`.
fn java_bool(text: &str) -> bool {
    text.eq_ignore_ascii_case("true")
}

/// Java's `isNullOrEmpty` in `TlsHelper`: an empty path is no path.
fn path(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

macro_rules! tls_keys {
    ($( $(#[$meta:meta])* $field:ident : $ty:ty = $key:literal, $default:expr, file: $file:literal, $parse:expr; )*) => {
        /// Every key of Java's `TlsSystemConfig` with its value (Java's default unless set).
        #[derive(Clone, Debug, PartialEq)]
        pub struct TlsSettings {
            $( $(#[$meta])* pub $field: $ty, )*
        }

        impl Default for TlsSettings {
            fn default() -> Self {
                TlsSettings { $( $field: $default, )* }
            }
        }

        impl TlsSettings {
            /// Every key, and whether the `tls.config.file` file may set it.
            pub const KEYS: &'static [(&'static str, bool)] = &[ $( ($key, $file), )* ];

            /// Sets `key` from its text; `false` for a key that is not a TLS key.
            fn set(&mut self, key: &str, text: &str) -> bool {
                match key {
                    $( $key => { self.$field = ($parse)(text); true } )*
                    _ => false,
                }
            }
        }
    };
}

tls_keys! {
    /// `tls.server.mode` (not read from the file).
    mode: TlsMode = "tls.server.mode", TlsMode::Permissive, file: false, TlsMode::parse;
    /// `tls.enable`: whether clients use TLS; unset, a server's own client follows the mode
    /// (Java `NettyClientConfig.useTLS` defaults to `tlsMode == ENFORCING`).
    enable: Option<bool> = "tls.enable", None, file: false, |t: &str| Some(java_bool(t));
    config_file: String = "tls.config.file", "/etc/rocketmq/tls.properties".to_string(), file: false, str::to_string;
    /// Test mode: the server makes a self-signed certificate, the client trusts any.
    test_mode: bool = "tls.test.mode.enable", true, file: true, java_bool;
    /// `none`, `optional` or `require` (any case; anything else is `none`, as Java's parse).
    server_need_client_auth: String = "tls.server.need.client.auth", "none".to_string(), file: true, str::to_string;
    server_key_path: Option<String> = "tls.server.keyPath", None, file: true, path;
    server_key_password: Option<String> = "tls.server.keyPassword", None, file: true, path;
    server_cert_path: Option<String> = "tls.server.certPath", None, file: true, path;
    server_auth_client: bool = "tls.server.authClient", false, file: true, java_bool;
    server_trust_cert_path: Option<String> = "tls.server.trustCertPath", None, file: true, path;
    client_key_path: Option<String> = "tls.client.keyPath", None, file: true, path;
    client_key_password: Option<String> = "tls.client.keyPassword", None, file: true, path;
    client_cert_path: Option<String> = "tls.client.certPath", None, file: true, path;
    client_auth_server: bool = "tls.client.authServer", false, file: true, java_bool;
    client_trust_cert_path: Option<String> = "tls.client.trustCertPath", None, file: true, path;
}

/// Java `ClientAuth` as `TlsHelper.parseClientAuthMode` reads `tls.server.need.client.auth`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    None,
    Optional,
    Require,
}

impl TlsSettings {
    /// The settings of this process: the `-Dtls.*` words of `$JAVA_OPT` and `$JAVA_OPT_EXT`,
    /// then the `tls.config.file` file if it exists.
    pub fn from_env() -> Result<TlsSettings, TlsError> {
        let mut settings = TlsSettings::from_java_opts(&crate::java_opts::from_env());
        settings.read_config_file()?;
        Ok(settings)
    }

    /// The settings the `-Dkey=value` words of `opts` give ([`crate::java_opts`]).
    pub fn from_java_opts(opts: &str) -> TlsSettings {
        let mut settings = TlsSettings::default();
        for (key, value) in crate::java_opts::properties(opts) {
            settings.set(key, value);
        }
        settings
    }

    /// Java `TlsHelper.extractTlsConfigFromFile`: a missing or unreadable file is skipped; the
    /// keys it may set override the system properties.
    pub fn read_config_file(&mut self) -> Result<(), TlsError> {
        let file = std::path::Path::new(&self.config_file);
        if !file.is_file() {
            tracing::info!(file = %self.config_file, "TLS config file does not exist, skipped");
            return Ok(());
        }
        let text = std::fs::read_to_string(file).map_err(|source| TlsError::File {
            key: "tls.config.file",
            path: self.config_file.clone(),
            source,
        })?;
        self.apply_file(&crate::props::parse(&text));
        Ok(())
    }

    /// Applies the entries of a `tls.config.file` file (the last entry of a key wins).
    pub fn apply_file(&mut self, entries: &[(String, String)]) {
        let entries: BTreeMap<&str, &str> = entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for (key, value) in entries {
            match Self::KEYS.iter().find(|(k, _)| *k == key) {
                Some((_, true)) => {
                    self.set(key, value);
                }
                Some((_, false)) => tracing::warn!(
                    key,
                    file = %self.config_file,
                    "ignored in the TLS config file, as by Java: only a -D option sets it"
                ),
                None => {
                    tracing::warn!(key, file = %self.config_file, "unknown TLS config key, ignored")
                }
            }
        }
    }

    /// Whether a server's own client (the broker's connections to NameServers and controllers,
    /// the controller's to brokers) uses TLS when its config file does not say (`useTLS`):
    /// Java `NettyClientConfig.useTLS` = `tls.enable`, else `tls.server.mode == enforcing`.
    pub fn client_default(&self) -> bool {
        self.enable.unwrap_or(self.mode == TlsMode::Enforcing)
    }

    pub fn client_auth(&self) -> ClientAuth {
        match self
            .server_need_client_auth
            .trim()
            .to_ascii_uppercase()
            .as_str()
        {
            "OPTIONAL" => ClientAuth::Optional,
            "REQUIRE" => ClientAuth::Require,
            _ => ClientAuth::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_defaults() {
        let s = TlsSettings::default();
        assert_eq!(s.mode, TlsMode::Permissive);
        assert!(s.test_mode);
        assert_eq!(s.config_file, "/etc/rocketmq/tls.properties");
        assert!(!s.client_default());
        assert_eq!(s.client_auth(), ClientAuth::None);
    }

    #[test]
    fn java_opts_words() {
        let s = TlsSettings::from_java_opts(
            " -server -Xms1g -Dtls.server.mode=enforcing -Dother=1 -Dtls.test.mode.enable=FALSE \
             -Dtls.server.certPath=/a -Dtls.server.certPath=/b -Dtls.server.keyPath=",
        );
        assert_eq!(s.mode, TlsMode::Enforcing);
        assert!(!s.test_mode);
        assert_eq!(s.server_cert_path.as_deref(), Some("/b"));
        assert_eq!(s.server_key_path, None);
        // Unset tls.enable follows the mode.
        assert!(s.client_default());
        let s = TlsSettings::from_java_opts("-Dtls.server.mode=enforcing -Dtls.enable=false");
        assert!(!s.client_default());
        // Java's parse: an unknown or upper-case name is permissive.
        assert_eq!(
            TlsSettings::from_java_opts("-Dtls.server.mode=ENFORCING").mode,
            TlsMode::Permissive
        );
    }

    #[test]
    fn file_overrides_all_but_mode_and_enable() {
        let mut s =
            TlsSettings::from_java_opts("-Dtls.server.mode=disabled -Dtls.server.keyPath=/k");
        s.apply_file(&crate::props::parse(
            "tls.server.mode=enforcing\ntls.enable=true\ntls.server.keyPath=/file/k\n\
             tls.test.mode.enable=false\ntls.server.need.client.auth=Require\n",
        ));
        assert_eq!(s.mode, TlsMode::Disabled);
        assert_eq!(s.enable, None);
        assert_eq!(s.server_key_path.as_deref(), Some("/file/k"));
        assert!(!s.test_mode);
        assert_eq!(s.client_auth(), ClientAuth::Require);
    }
}
