//! rustls configurations built from [`TlsSettings`] as Java's `TlsHelper.buildSslContext` builds
//! its `SslContext`s: test mode (a self-signed server certificate, a client that trusts any),
//! else the PEM certificate chain and PKCS#8 key files, client authentication `none`,
//! `optional` or `require`, and trust in the given certificates or in any.
//!
//! What Java can do and Thrust cannot is refused here, naming the key: an encrypted key
//! (`tls.server.keyPassword`, `tls.client.keyPassword`) and checking a peer against the JVM's
//! own CA store (`authClient`/`authServer` true without a trust path).

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use super::settings::{ClientAuth, TlsSettings};
use super::verify::{AnyClientCert, AnyServerCert, ChainOnly};
use super::TlsError;

/// rustls's *ring* provider. rustls 0.23.48 deprecates it for lacking post-quantum key exchange,
/// which only its aws-lc-rs provider has; that one builds a C library with cmake, and the JDK
/// and Netty TLS stacks of Java's clients offer no post-quantum group to agree on anyway.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server side (`buildSslContext(false)`).
pub(super) fn server_config(s: &TlsSettings) -> Result<ServerConfig, TlsError> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rustls)?;
    if s.test_mode {
        // Java's test mode ignores the configured files and makes a certificate of its own.
        if s.server_cert_path.is_some() || s.server_key_path.is_some() {
            tracing::warn!(
                "tls.test.mode.enable=true: tls.server.certPath/keyPath are not used, as by Java"
            );
        }
        let (cert, key) = self_signed()?;
        return builder
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .map_err(TlsError::Rustls);
    }
    refuse_password("tls.server.keyPassword", &s.server_key_password)?;
    let certs = read_certs("tls.server.certPath", s.server_cert_path.as_deref())?;
    let key = read_key("tls.server.keyPath", s.server_key_path.as_deref())?;
    let auth = s.client_auth();
    let builder = match auth {
        ClientAuth::None => builder.with_no_client_auth(),
        _ if s.server_auth_client => {
            let roots = roots(
                "tls.server.trustCertPath",
                s.server_trust_cert_path.as_deref(),
            )?;
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
            let verifier = if auth == ClientAuth::Optional {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            builder.with_client_cert_verifier(verifier.build().map_err(|e| TlsError::Trust {
                key: "tls.server.trustCertPath",
                reason: e.to_string(),
            })?)
        }
        _ => builder.with_client_cert_verifier(Arc::new(AnyClientCert {
            algorithms: provider.signature_verification_algorithms,
            mandatory: auth == ClientAuth::Require,
        })),
    };
    builder
        .with_single_cert(certs, key)
        .map_err(TlsError::Rustls)
}

/// The client side (`buildSslContext(true)`).
pub(super) fn client_config(s: &TlsSettings) -> Result<ClientConfig, TlsError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rustls)?
        .dangerous();
    if s.test_mode {
        return Ok(builder
            .with_custom_certificate_verifier(Arc::new(AnyServerCert(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth());
    }
    refuse_password("tls.client.keyPassword", &s.client_key_password)?;
    let builder = if s.client_auth_server {
        let roots = roots(
            "tls.client.trustCertPath",
            s.client_trust_cert_path.as_deref(),
        )?;
        let chain = WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| TlsError::Trust {
                key: "tls.client.trustCertPath",
                reason: e.to_string(),
            })?;
        builder.with_custom_certificate_verifier(Arc::new(ChainOnly(chain)))
    } else {
        builder.with_custom_certificate_verifier(Arc::new(AnyServerCert(
            provider.signature_verification_algorithms,
        )))
    };
    match (&s.client_cert_path, &s.client_key_path) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (cert, key) => {
            let certs = read_certs("tls.client.certPath", cert.as_deref())?;
            let key = read_key("tls.client.keyPath", key.as_deref())?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(TlsError::Rustls)
        }
    }
}

/// A gRPC server's side (Java proxy's `ProxyAndTlsProtocolNegotiator.loadSslContext`): its own
/// certificate in test mode, else the PEM files `cert` and `key` (each named by its config key);
/// no client certificate asked; HTTP/2 agreed by ALPN, which gRPC clients require.
pub(super) fn grpc_server_config(
    test_mode: bool,
    cert: (&'static str, &str),
    key: (&'static str, &str),
) -> Result<ServerConfig, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rustls)?
        .with_no_client_auth();
    let (certs, private) = if test_mode {
        let (c, k) = self_signed()?;
        (vec![c], k)
    } else {
        (
            read_certs(cert.0, Some(cert.1))?,
            read_key(key.0, Some(key.1))?,
        )
    };
    let mut config = builder
        .with_single_cert(certs, private)
        .map_err(TlsError::Rustls)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Netty's `SelfSignedCertificate`: a fresh key and certificate for `localhost`.
fn self_signed() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .map_err(|e| TlsError::SelfSigned(e.to_string()))?;
    let key = PrivatePkcs8KeyDer::from(made.key_pair.serialize_der());
    Ok((made.cert.der().clone(), key.into()))
}

fn refuse_password(key: &'static str, value: &Option<String>) -> Result<(), TlsError> {
    match value {
        Some(_) => Err(TlsError::Unsupported {
            key,
            reason: "encrypted private keys are not supported; decrypt the key into an \
                     unencrypted PKCS#8 PEM file (openssl pkcs8 -topk8 -nocrypt) and unset the \
                     password",
        }),
        None => Ok(()),
    }
}

fn required<'a>(key: &'static str, path: Option<&'a str>) -> Result<&'a str, TlsError> {
    path.ok_or(TlsError::Missing { key })
}

/// A PEM certificate chain (`X.509 certificate chain in PEM format`).
fn read_certs(
    key: &'static str,
    path: Option<&str>,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let path = required(key, path)?;
    let bad = |reason: String| TlsError::Pem {
        key,
        path: path.to_string(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

/// A PEM private key: PKCS#8 as Java reads it (PKCS#1 and SEC1 keys are read too).
fn read_key(key: &'static str, path: Option<&str>) -> Result<PrivateKeyDer<'static>, TlsError> {
    let path = required(key, path)?;
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Pem {
        key,
        path: path.to_string(),
        reason: e.to_string(),
    })
}

/// The trusted certificates; Java would fall back to the JVM's CA store without a path, which
/// Thrust does not have.
fn roots(key: &'static str, path: Option<&str>) -> Result<Arc<RootCertStore>, TlsError> {
    if path.is_none() {
        return Err(TlsError::Unsupported {
            key,
            reason: "checking peers against the JVM's default CA store is not supported; name \
                     the trusted certificates' PEM file",
        });
    }
    let mut roots = RootCertStore::empty();
    for cert in read_certs(key, path)? {
        roots.add(cert).map_err(|e| TlsError::Trust {
            key,
            reason: e.to_string(),
        })?;
    }
    Ok(Arc::new(roots))
}
