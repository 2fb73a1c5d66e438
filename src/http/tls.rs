//! TLS of both HTTPS servers (the box UI: a server certificate from the hub CA, no client
//! certificates; the hub: client certificates verified against its CA): the rustls config
//! from a certificate and its key, the peer of a connection, its address for the login
//! throttle, and the one rule of when plain HTTP is allowed at all: only on a loopback
//! address. The listener they both run on is `http::listener`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use rustls::server::danger::ClientCertVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A rustls server config from a certificate chain and its key (PEM), ring as the provider,
/// HTTP/1.1 only offered (`http::listener` serves HTTP/1.1: its header read timeout bounds a
/// stalled client). `client_verifier`: `None` asks for no client certificate.
pub fn server_config(cert_pem: &[u8], key_pem: &[u8], client_verifier: Option<Arc<dyn ClientCertVerifier>>) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = CertificateDer::pem_slice_iter(cert_pem).collect::<Result<Vec<_>, _>>().context("server certificate PEM")?;
    if certs.is_empty() {
        anyhow::bail!("server certificate PEM: no certificate in it");
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).context("server key PEM")?;
    let builder = rustls::ServerConfig::builder_with_provider(provider).with_safe_default_protocol_versions()?;
    let builder = match client_verifier {
        Some(v) => builder.with_client_cert_verifier(v),
        None => builder.with_no_client_auth(),
    };
    let mut cfg = builder.with_single_cert(certs, key).context("server certificate and key (does the key belong to the certificate?)")?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Plain HTTP is allowed only where no other machine can reach it: a session cookie and the
/// passwords of the exam point's staff never cross a LAN in clear.
pub fn plain_http_allowed(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// The peer of one TLS connection: address and, if it presented one, its certificate's hash.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub remote: SocketAddr,
    pub cert_sha256: Option<String>,
}

/// Middleware: the TLS peer's address as the web kit's `ClientAddr` (the login throttle
/// counts per address).
pub async fn client_addr(mut req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let addr = req.extensions().get::<axum::extract::ConnectInfo<PeerInfo>>().map(|c| c.0.remote.ip());
    req.extensions_mut().insert(super::ClientAddr(addr));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_allowed_only_on_loopback() {
        for (addr, allowed) in [("127.0.0.1:8080", true), ("[::1]:8080", true), ("127.0.0.2:1", true), ("0.0.0.0:8080", false), ("[::]:8080", false), ("192.168.10.2:8080", false)] {
            assert_eq!(plain_http_allowed(&addr.parse().unwrap()), allowed, "{addr}");
        }
    }

    #[test]
    fn a_certificate_without_its_key_is_refused() {
        let ca = crate::hub::pki::new_ca().unwrap();
        let a = crate::hub::pki::issue_server(&ca.key_pem, &["localhost".into()]).unwrap();
        let b = crate::hub::pki::issue_server(&ca.key_pem, &["localhost".into()]).unwrap();
        assert!(server_config(a.cert_pem.as_bytes(), a.key_pem.as_bytes(), None).is_ok());
        let err = server_config(a.cert_pem.as_bytes(), b.key_pem.as_bytes(), None).unwrap_err();
        assert!(format!("{err:#}").contains("key"), "{err:#}");
        assert!(server_config(b"", a.key_pem.as_bytes(), None).is_err());
    }
}
