//! TLS of the box's UI on the exam point's LAN (a server certificate from the hub CA, no
//! client certificates): loading a certificate and its key, a listener that completes
//! handshakes in their own tasks (the shape of `hub::server::TlsListener`, which the hub's
//! box-facing server keeps with its client certificates and limits), the peer's address for
//! the login throttle, and the one rule of when plain HTTP is allowed at all: only on a
//! loopback address.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::connect_info::Connected;
use rustls::server::danger::ClientCertVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};

/// A rustls server config from a certificate chain and its key (PEM), ring as the provider,
/// HTTP/2 and HTTP/1.1 offered. `client_verifier`: `None` asks for no client certificate.
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
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
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

/// A listener that hands axum connections whose TLS handshake is already complete.
/// Handshakes run in their own tasks so a slow or hostile client cannot stall the others.
pub struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<(tokio_rustls::server::TlsStream<TcpStream>, PeerInfo)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(listener: TcpListener, tls: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        tokio::spawn(async move {
            loop {
                let (tcp, remote) = match listener.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(std::time::Duration::from_secs(15), acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let cert_sha256 = tls.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| crate::util::sha256_hex(c.as_ref()));
                            let _ = tx.send((tls, PeerInfo { remote, cert_sha256 })).await;
                        }
                        Ok(Err(e)) => tracing::warn!(peer = %remote, "TLS handshake refused: {e}"),
                        Err(_) => tracing::warn!(peer = %remote, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { rx, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = PeerInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(x) => x,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(PeerInfo { remote: self.local, cert_sha256: None })
    }
}

impl Connected<axum::serve::IncomingStream<'_, TlsListener>> for PeerInfo {
    fn connect_info(stream: axum::serve::IncomingStream<'_, TlsListener>) -> Self {
        stream.remote_addr().clone()
    }
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
