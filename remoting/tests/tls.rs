//! TLS on a real `Server` (127.0.0.1:0): plain and TLS clients against servers in each of Java's
//! modes (`TlsModeHandler`: disabled, permissive, enforcing), frames of every size over TLS, and
//! the certificate checks of the non-test settings (trusted certificates, client certificates,
//! the refusals that name their key).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use remoting::code::response;
use remoting::server::ShutdownHandle;
use remoting::tls::{ClientTls, ServerTls, TlsMode, TlsSettings};
use remoting::{Client, Command, Connection, Handler, RemotingError, Server};

const ECHO: i32 = 1;
const TIMEOUT: Duration = Duration::from_secs(10);

struct Echo;

impl Handler for Echo {
    async fn handle(&self, _conn: &Connection, req: Command) -> Option<Command> {
        let mut reply = Command::response(response::SUCCESS, None);
        reply.body = req.body.clone();
        Some(reply)
    }
}

async fn serve(settings: &TlsSettings) -> (String, ShutdownHandle) {
    let tls = Arc::new(ServerTls::new(settings).unwrap());
    let server = Server::bind("127.0.0.1:0", Arc::new(Echo))
        .await
        .unwrap()
        .with_tls(tls);
    let addr = server.local_addr().unwrap().to_string();
    let (stop, _) = server.spawn();
    (addr, stop)
}

fn mode(mode: TlsMode) -> TlsSettings {
    TlsSettings {
        mode,
        ..TlsSettings::default()
    }
}

fn tls_client(settings: &TlsSettings) -> Result<Client, remoting::tls::TlsError> {
    Ok(Client::new().with_tls(Some(Arc::new(ClientTls::new(settings)?))))
}

async fn echo(client: &Client, addr: &str, body: Vec<u8>) -> Result<Vec<u8>, RemotingError> {
    let reply = client
        .invoke(addr, Command::request(ECHO).with_body(body), TIMEOUT)
        .await?;
    assert_eq!(reply.code, response::SUCCESS);
    Ok(reply.body.as_ref().map(|b| b.to_vec()).unwrap_or_default())
}

#[tokio::test]
async fn permissive_serves_plain_and_tls_on_one_port() {
    let (addr, stop) = serve(&mode(TlsMode::Permissive)).await;
    let plain = Client::new();
    assert_eq!(
        echo(&plain, &addr, b"plain".to_vec()).await.unwrap(),
        b"plain"
    );
    let tls = tls_client(&TlsSettings::default()).unwrap();
    assert_eq!(echo(&tls, &addr, b"tls".to_vec()).await.unwrap(), b"tls");
    // Frames larger than a TLS record and than the TLS reader's wait buffer, both ways.
    for len in [
        0,
        1,
        16 * 1024 - 1,
        16 * 1024 + 1,
        300 * 1024,
        4 * 1024 * 1024,
    ] {
        let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        assert_eq!(
            echo(&tls, &addr, body.clone()).await.unwrap(),
            body,
            "{len}"
        );
    }
    // Many requests in flight at once on the one TLS connection.
    let calls = (0..200u32).map(|i| {
        let (tls, addr) = (&tls, &addr);
        async move {
            let body = format!("request {i}").into_bytes();
            assert_eq!(echo(tls, addr, body.clone()).await.unwrap(), body);
        }
    });
    futures::future::join_all(calls).await;
    stop.shutdown();
}

#[tokio::test]
async fn enforcing_closes_plain_connections_and_serves_tls() {
    let (addr, stop) = serve(&mode(TlsMode::Enforcing)).await;
    let plain = Client::new();
    let refused = echo(&plain, &addr, b"plain".to_vec()).await;
    assert!(
        matches!(refused, Err(RemotingError::ConnectionClosed)),
        "{refused:?}"
    );
    let tls = tls_client(&TlsSettings::default()).unwrap();
    assert_eq!(echo(&tls, &addr, b"tls".to_vec()).await.unwrap(), b"tls");
    // The server stays up for the next plain attempt, and closes it too.
    assert!(echo(&Client::new(), &addr, b"again".to_vec())
        .await
        .is_err());
    assert_eq!(
        echo(&tls, &addr, b"still".to_vec()).await.unwrap(),
        b"still"
    );
    stop.shutdown();
}

#[tokio::test]
async fn disabled_refuses_tls_handshakes_and_serves_plain() {
    let (addr, stop) = serve(&mode(TlsMode::Disabled)).await;
    let tls = tls_client(&TlsSettings::default()).unwrap();
    let refused = echo(&tls, &addr, b"tls".to_vec()).await;
    assert!(
        matches!(refused, Err(RemotingError::Connect { .. })),
        "{refused:?}"
    );
    assert_eq!(
        echo(&Client::new(), &addr, b"plain".to_vec())
            .await
            .unwrap(),
        b"plain"
    );
    stop.shutdown();
}

/// A CA, a server and a client certificate signed by it, and an unrelated CA, as PEM files.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(label: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!(
            "thrust-tls-{label}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca.self_signed(&ca_key).unwrap();
        write_pem(&dir.join("ca.pem"), "CERTIFICATE", ca.der());
        for (name, host) in [("server", "broker.example"), ("client", "client.example")] {
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = rcgen::CertificateParams::new(vec![host.to_string()])
                .unwrap()
                .signed_by(&key, &ca, &ca_key)
                .unwrap();
            write_pem(&dir.join(format!("{name}.pem")), "CERTIFICATE", cert.der());
            write_pem(
                &dir.join(format!("{name}.key")),
                "PRIVATE KEY",
                &key.serialize_der(),
            );
        }
        let other_key = rcgen::KeyPair::generate().unwrap();
        let mut other = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        other.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let other = other.self_signed(&other_key).unwrap();
        write_pem(&dir.join("other-ca.pem"), "CERTIFICATE", other.der());
        Pki { dir }
    }

    fn path(&self, file: &str) -> Option<String> {
        Some(self.dir.join(file).display().to_string())
    }

    /// Non-test server settings with this PKI's server certificate.
    fn server(&self, mode: TlsMode) -> TlsSettings {
        TlsSettings {
            mode,
            test_mode: false,
            server_cert_path: self.path("server.pem"),
            server_key_path: self.path("server.key"),
            ..TlsSettings::default()
        }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write_pem(path: &Path, label: &str, der: &[u8]) {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    std::fs::write(path, pem).unwrap();
}

#[tokio::test]
async fn client_checks_the_server_chain_against_its_trust_file_not_the_host_name() {
    let pki = Pki::new("trust");
    let (addr, stop) = serve(&pki.server(TlsMode::Enforcing)).await;
    let trusting = |file: &str| TlsSettings {
        test_mode: false,
        client_auth_server: true,
        client_trust_cert_path: pki.path(file),
        ..TlsSettings::default()
    };
    // Issued for broker.example, reached as 127.0.0.1: Java checks no host name either.
    let ok = tls_client(&trusting("ca.pem")).unwrap();
    assert_eq!(echo(&ok, &addr, b"x".to_vec()).await.unwrap(), b"x");
    let wrong = tls_client(&trusting("other-ca.pem")).unwrap();
    assert!(echo(&wrong, &addr, b"x".to_vec()).await.is_err());
    // authServer=false trusts any server, as Java's InsecureTrustManagerFactory.
    let any = tls_client(&TlsSettings {
        test_mode: false,
        ..TlsSettings::default()
    })
    .unwrap();
    assert_eq!(echo(&any, &addr, b"y".to_vec()).await.unwrap(), b"y");
    stop.shutdown();
}

#[tokio::test]
async fn required_client_certificates() {
    let pki = Pki::new("clientauth");
    let server = |auth_client: bool| TlsSettings {
        server_need_client_auth: "require".into(),
        server_auth_client: auth_client,
        server_trust_cert_path: pki.path("ca.pem"),
        ..pki.server(TlsMode::Enforcing)
    };
    let with_cert = tls_client(&TlsSettings {
        test_mode: false,
        client_cert_path: pki.path("client.pem"),
        client_key_path: pki.path("client.key"),
        ..TlsSettings::default()
    })
    .unwrap();
    for auth_client in [false, true] {
        let (addr, stop) = serve(&server(auth_client)).await;
        let without = tls_client(&TlsSettings::default()).unwrap();
        assert!(
            echo(&without, &addr, b"x".to_vec()).await.is_err(),
            "authClient={auth_client}"
        );
        assert_eq!(
            echo(&with_cert, &addr, b"x".to_vec()).await.unwrap(),
            b"x",
            "authClient={auth_client}"
        );
        stop.shutdown();
    }
}

#[test]
fn refusals_name_their_key() {
    let pki = Pki::new("refusals");
    let refusal = |settings: TlsSettings| ServerTls::new(&settings).err().unwrap().to_string();
    let msg = refusal(TlsSettings {
        server_key_password: Some("secret".into()),
        ..pki.server(TlsMode::Permissive)
    });
    assert!(
        msg.starts_with("tls.server.keyPassword is not supported"),
        "{msg}"
    );
    assert!(!msg.contains("secret"), "{msg}");
    let msg = refusal(TlsSettings {
        server_cert_path: None,
        ..pki.server(TlsMode::Enforcing)
    });
    assert!(msg.starts_with("tls.server.certPath is not set"), "{msg}");
    let msg = refusal(TlsSettings {
        server_need_client_auth: "optional".into(),
        server_auth_client: true,
        ..pki.server(TlsMode::Enforcing)
    });
    assert!(
        msg.starts_with("tls.server.trustCertPath is not supported"),
        "{msg}"
    );
    let msg = refusal(TlsSettings {
        server_key_path: pki.path("missing.key"),
        ..pki.server(TlsMode::Enforcing)
    });
    assert!(msg.starts_with("tls.server.keyPath: "), "{msg}");
    // Disabled builds nothing, so nothing is refused; test mode ignores the files, as Java.
    assert!(ServerTls::new(&TlsSettings {
        server_key_password: Some("x".into()),
        ..pki.server(TlsMode::Disabled)
    })
    .is_ok());
    assert!(ServerTls::new(&TlsSettings {
        test_mode: true,
        server_cert_path: pki.path("missing.pem"),
        ..mode(TlsMode::Enforcing)
    })
    .is_ok());
    let client = ClientTls::new(&TlsSettings {
        test_mode: false,
        client_key_password: Some("secret".into()),
        ..TlsSettings::default()
    });
    let msg = client.err().unwrap().to_string();
    assert!(
        msg.starts_with("tls.client.keyPassword is not supported"),
        "{msg}"
    );
}
