//! The hub's small PKI: a CA that issues the hub's server certificate and every box's client
//! certificate (mutual TLS). rcgen cannot load a CA certificate back without an X.509 parser,
//! so the CA certificate is rebuilt from fixed parameters and the stored CA key: the subject
//! and key identifier are the same, which is all an issued certificate refers to.

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
}

/// A certificate and its key, PEM.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
}

const CA_COMMON_NAME: &str = "ppe hub CA";

fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_COMMON_NAME);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2099, 1, 1);
    p
}

/// A fresh CA (key and self-signed certificate).
pub fn new_ca() -> Result<Issued, PkiError> {
    let key = KeyPair::generate()?;
    let cert = ca_params().self_signed(&key)?;
    Ok(Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem(), cert_der: cert.der().to_vec() })
}

fn issue(ca_key_pem: &str, names: Vec<String>, common_name: &str, usage: ExtendedKeyUsagePurpose) -> Result<Issued, PkiError> {
    let ca_key = KeyPair::from_pem(ca_key_pem)?;
    let ca_cert = ca_params().self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let mut p = CertificateParams::new(names)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    p.distinguished_name = dn;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![usage];
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let cert = p.signed_by(&key, &ca_cert, &ca_key)?;
    Ok(Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem(), cert_der: cert.der().to_vec() })
}

/// The hub's server certificate for the given host names / IP addresses.
pub fn issue_server(ca_key_pem: &str, hosts: &[String]) -> Result<Issued, PkiError> {
    issue(ca_key_pem, hosts.to_vec(), "ppe hub", ExtendedKeyUsagePurpose::ServerAuth)
}

/// A box's client certificate: CN and SAN carry the exam point code.
pub fn issue_box(ca_key_pem: &str, ppe_code: &str) -> Result<Issued, PkiError> {
    issue(ca_key_pem, vec![format!("ppe-{ppe_code}.box.invalid")], &format!("ppe {ppe_code}"), ExtendedKeyUsagePurpose::ClientAuth)
}

/// SHA-256 of a certificate's DER, the key under which the hub knows a box.
pub fn cert_fingerprint(der: &[u8]) -> String {
    crate::util::sha256_hex(der)
}

/// DER of the first certificate in a PEM text.
pub fn first_cert_der(pem: &str) -> Option<Vec<u8>> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()).next()?.ok().map(|c| c.as_ref().to_vec())
}
