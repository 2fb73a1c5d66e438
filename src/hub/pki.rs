//! The hub's small PKI: a CA that issues the hub's server certificate, every box's client
//! certificate (mutual TLS) and every box UI's server certificate (HTTPS on the exam point's
//! LAN). rcgen cannot load a CA certificate back without an X.509 parser,
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
    issue_valid(ca_key_pem, names, common_name, usage, ((2024, 1, 1), (2099, 1, 1)))
}

/// A calendar day (year, month, day), the precision certificate validity needs here.
type Day = (i32, u8, u8);

fn issue_valid(ca_key_pem: &str, names: Vec<String>, common_name: &str, usage: ExtendedKeyUsagePurpose, (from, until): (Day, Day)) -> Result<Issued, PkiError> {
    let ca_key = KeyPair::from_pem(ca_key_pem)?;
    let ca_cert = ca_params().self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let mut p = CertificateParams::new(names)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    p.distinguished_name = dn;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![usage];
    p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    p.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
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

/// How long a box UI's certificate is valid: about a year and a season, within what browsers
/// accept for a server certificate (398 days for public CAs; ours is a private one), so it
/// outlives one exam campaign and is renewed by enrolling the box again.
pub const BOX_UI_CERT_DAYS: i64 = 400;

/// The server certificate of a box's web UI for these host names and IP addresses, valid from
/// the day before `today` (clocks differ) for [`BOX_UI_CERT_DAYS`].
pub fn issue_box_ui(ca_key_pem: &str, ppe_code: &str, hosts: &[String], today: chrono::NaiveDate) -> Result<Issued, PkiError> {
    use chrono::Datelike;
    let day = |d: chrono::NaiveDate| (d.year(), d.month() as u8, d.day() as u8);
    let valid = (day(today - chrono::Duration::days(1)), day(today + chrono::Duration::days(BOX_UI_CERT_DAYS)));
    issue_valid(ca_key_pem, hosts.to_vec(), &format!("ppe {ppe_code} UI"), ExtendedKeyUsagePurpose::ServerAuth, valid)
}

/// The names a box UI's certificate carries unless enrollment names others: the box's own
/// name on the LAN (`ppe-CODE.local`), and this machine (`localhost`, `127.0.0.1`).
pub fn default_box_ui_hosts(ppe_code: &str) -> Vec<String> {
    vec![format!("ppe-{}.local", ppe_code.to_ascii_lowercase()), "localhost".into(), "127.0.0.1".into()]
}

/// Base64 of the SHA-256 of a key's SubjectPublicKeyInfo: the pin a browser can be told to
/// trust for exactly this certificate (Chromium's `--ignore-certificate-errors-spki-list`).
pub fn spki_sha256_base64(key_pem: &str) -> Result<String, PkiError> {
    use base64::Engine;
    let key = KeyPair::from_pem(key_pem)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, &key.public_key_der())))
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
