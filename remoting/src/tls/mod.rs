//! TLS as Java's remoting does it (`TlsSystemConfig`, `TlsHelper`, `NettyRemotingServer`'s
//! `TlsModeHandler`, `NettyRemotingClient`), with rustls.
//!
//! A server in `permissive` or `enforcing` mode reads the first byte of each new connection
//! without consuming it: 0x16 (a TLS handshake record) starts a TLS handshake, any other byte a
//! plain connection, which `enforcing` closes. In `disabled` mode nothing is detected: a TLS
//! ClientHello reads as a frame of over 16 MiB and the connection is closed, as Java closes it.
//!
//! ```text
//!   accept ─▶ peek 1 byte ─┬─ 0x16 ──▶ TLS handshake ─▶ Connection over TLS
//!                          └─ other ─▶ permissive: Connection over the socket; enforcing: close
//! ```
//!
//! The settings are the process's, as Java's are static: [`init`] once at start-up (the binaries
//! read them from `JAVA_OPT` and the `tls.config.file` file, see [`settings`]), Java's defaults
//! otherwise (permissive, test mode).

mod context;
pub mod settings;
mod verify;

use std::sync::{Arc, OnceLock};

pub use settings::{ClientAuth, TlsMode, TlsSettings};

/// The first byte of a TLS record carrying a handshake message (Java `TlsModeHandler`'s
/// `HANDSHAKE_MAGIC_CODE`).
pub const HANDSHAKE_MAGIC: u8 = 0x16;

/// A TLS setting that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{key}: cannot read {path}: {source}")]
    File {
        key: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{key} is not set: it is needed when tls.test.mode.enable=false")]
    Missing { key: &'static str },
    #[error("{key}: {path}: {reason}")]
    Pem {
        key: &'static str,
        path: String,
        reason: String,
    },
    #[error("{key}: {reason}")]
    Trust { key: &'static str, reason: String },
    #[error("{key} is not supported: {reason}")]
    Unsupported {
        key: &'static str,
        reason: &'static str,
    },
    #[error("cannot make the test-mode certificate: {0}")]
    SelfSigned(String),
    #[error("TLS: {0}")]
    Rustls(rustls::Error),
}

/// What a server in `permissive` or `enforcing` mode does with a connection, by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// Serve it as a plain connection.
    Plain,
    /// Run the TLS handshake, then serve it.
    Tls,
    /// Close it.
    Refuse,
}

/// Java `TlsModeHandler.channelRead0`.
pub fn detect(mode: TlsMode, first: u8) -> Detected {
    match (first == HANDSHAKE_MAGIC, mode) {
        (true, TlsMode::Disabled) => Detected::Refuse,
        (true, _) => Detected::Tls,
        (false, TlsMode::Enforcing) => Detected::Refuse,
        (false, _) => Detected::Plain,
    }
}

/// A server's TLS: its mode and, unless disabled, the handshake configuration.
pub struct ServerTls {
    mode: TlsMode,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
}

impl ServerTls {
    /// Plain connections only; a TLS handshake is closed (by the frame decoder).
    pub fn disabled() -> ServerTls {
        ServerTls {
            mode: TlsMode::Disabled,
            acceptor: None,
        }
    }

    /// The server side of `settings` (a certificate of its own in test mode).
    pub fn new(settings: &TlsSettings) -> Result<ServerTls, TlsError> {
        if settings.mode == TlsMode::Disabled {
            return Ok(ServerTls::disabled());
        }
        let config = context::server_config(settings)?;
        Ok(ServerTls {
            mode: settings.mode,
            acceptor: Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
        })
    }

    /// A gRPC server's (Java proxy's `tlsTestModeEnable`, `tlsCertPath`, `tlsKeyPath`), in the
    /// process's `tls.server.mode`: its connections are told apart as the remoting servers' are.
    pub fn grpc(test_mode: bool, cert_path: &str, key_path: &str) -> Result<ServerTls, TlsError> {
        let mode = settings().mode;
        if mode == TlsMode::Disabled {
            return Ok(ServerTls::disabled());
        }
        let config = context::grpc_server_config(
            test_mode,
            ("tlsCertPath", cert_path),
            ("tlsKeyPath", key_path),
        )?;
        Ok(ServerTls {
            mode,
            acceptor: Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
        })
    }

    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    /// The acceptor, when connections are to be told apart by their first byte.
    pub(crate) fn detecting(&self) -> Option<&tokio_rustls::TlsAcceptor> {
        self.acceptor.as_ref()
    }
}

/// A client's TLS: every connection it opens starts with a handshake.
#[derive(Clone)]
pub struct ClientTls {
    pub(crate) connector: tokio_rustls::TlsConnector,
}

impl ClientTls {
    /// The client side of `settings` (trusting any server in test mode).
    pub fn new(settings: &TlsSettings) -> Result<ClientTls, TlsError> {
        let config = context::client_config(settings)?;
        Ok(ClientTls {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }
}

static SETTINGS: OnceLock<TlsSettings> = OnceLock::new();
static SERVER: OnceLock<Arc<ServerTls>> = OnceLock::new();

/// Sets the process's settings; only the first call counts. Returns the settings in force.
pub fn init(settings: TlsSettings) -> &'static TlsSettings {
    SETTINGS.get_or_init(|| settings)
}

/// The process's settings ([`init`]), Java's defaults if none were set.
pub fn settings() -> &'static TlsSettings {
    SETTINGS.get_or_init(TlsSettings::default)
}

/// The TLS of every server of this process (one test-mode certificate for all of them).
pub fn server() -> Result<Arc<ServerTls>, TlsError> {
    if let Some(tls) = SERVER.get() {
        return Ok(tls.clone());
    }
    let tls = Arc::new(ServerTls::new(settings())?);
    tracing::info!(mode = tls.mode().name(), "server TLS mode");
    Ok(SERVER.get_or_init(|| tls).clone())
}

/// The TLS of a server's own client when `use_tls` (its `useTLS` key), else none.
pub fn client(use_tls: bool) -> Result<Option<Arc<ClientTls>>, TlsError> {
    if !use_tls {
        return Ok(None);
    }
    Ok(Some(Arc::new(ClientTls::new(settings())?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_byte_decides() {
        use Detected::*;
        assert_eq!(detect(TlsMode::Permissive, 0x16), Tls);
        assert_eq!(detect(TlsMode::Enforcing, 0x16), Tls);
        assert_eq!(detect(TlsMode::Disabled, 0x16), Refuse);
        // A remoting frame starts with its length's high byte (0 below 16 MiB).
        assert_eq!(detect(TlsMode::Permissive, 0x00), Plain);
        assert_eq!(detect(TlsMode::Disabled, 0x00), Plain);
        assert_eq!(detect(TlsMode::Enforcing, 0x00), Refuse);
        assert_eq!(detect(TlsMode::Enforcing, 0x15), Refuse);
    }
}
