//! The hub's small PKI: a CA that issues the hub's server certificate, every box's client
//! certificate (mutual TLS) and every box UI's server certificate (HTTPS on the exam point's
//! LAN). rcgen cannot load a CA certificate back without an X.509 parser,
//! so the CA certificate is rebuilt from fixed parameters and the stored CA key: the subject
//! and key identifier are the same, which is all an issued certificate refers to.
//!
//! Lifetimes: the CA [`CA_LIFETIME_DAYS`] (≈ 10 years: boxes pin it, replacing it means
//! enrolling every box again), every leaf (the hub's server certificate, a box's client
//! certificate) [`LEAF_LIFETIME_DAYS`] (398, the CA/Browser Forum's limit), both starting
//! [`BACKDATE_DAYS`] back so a box whose clock runs a few days slow still accepts them.
//! Renewal: `ppe hub cert server` and `ppe hub cert box` (`hub::rotate`, docs/security.md).

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("сертификат: {0}")]
    Rcgen(#[from] rcgen::Error),
}

/// A certificate and its key, PEM.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
}

const CA_COMMON_NAME: &str = "ppe hub CA";

pub const CA_LIFETIME_DAYS: u64 = 3652;
pub const LEAF_LIFETIME_DAYS: u64 = 398;
pub const BACKDATE_DAYS: u64 = 7;

/// Valid from a week ago (by the real clock: peers check with theirs, not a simulated one)
/// for `days` from today.
fn validity(p: &mut CertificateParams, days: u64) {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let midnight = rcgen::date_time_ymd(today.year(), today.month() as u8, today.day() as u8);
    let day = std::time::Duration::from_secs(86_400);
    p.not_before = midnight - day * BACKDATE_DAYS as u32;
    p.not_after = midnight + day * days as u32;
}

/// The CA's name and usages; its validity is set once, in [`new_ca`] (an issued certificate
/// does not carry its issuer's).
fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_COMMON_NAME);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    p
}

/// A fresh CA (key and self-signed certificate).
pub fn new_ca() -> Result<Issued, PkiError> {
    let key = KeyPair::generate()?;
    let mut p = ca_params();
    validity(&mut p, CA_LIFETIME_DAYS);
    let cert = p.self_signed(&key)?;
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
    validity(&mut p, LEAF_LIFETIME_DAYS);
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

/// The server certificate of a box's web UI (HTTPS on the exam point's LAN) for these host
/// names and IP addresses; a leaf like the others ([`LEAF_LIFETIME_DAYS`]), renewed by
/// enrolling the box again.
pub fn issue_box_ui(ca_key_pem: &str, ppe_code: &str, hosts: &[String]) -> Result<Issued, PkiError> {
    issue(ca_key_pem, hosts.to_vec(), &format!("ppe {ppe_code} UI"), ExtendedKeyUsagePurpose::ServerAuth)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// (notBefore, notAfter) of a DER certificate: the first two UTCTimes (tag 0x17, 13
    /// characters `YYMMDDHHMMSSZ`) are its validity; names here carry none.
    fn validity_of(der: &[u8]) -> (chrono::NaiveDate, chrono::NaiveDate) {
        let times: Vec<chrono::NaiveDate> = der
            .windows(15)
            .filter(|w| w[0] == 0x17 && w[1] == 13 && w[14] == b'Z')
            .filter_map(|w| chrono::NaiveDate::parse_from_str(&format!("20{}", std::str::from_utf8(&w[2..8]).ok()?), "%Y%m%d").ok())
            .collect();
        assert!(times.len() >= 2, "no UTCTime validity in the certificate");
        (times[0], times[1])
    }

    #[test]
    fn leaf_certificates_live_398_days_and_the_ca_ten_years() {
        let today = chrono::Utc::now().date_naive();
        let days = |d: u64| chrono::Duration::days(d as i64);
        let ca = new_ca().unwrap();
        assert_eq!(validity_of(&ca.cert_der), (today - days(BACKDATE_DAYS), today + days(CA_LIFETIME_DAYS)));
        let server = issue_server(&ca.key_pem, &["localhost".into()]).unwrap();
        assert_eq!(validity_of(&server.cert_der), (today - days(BACKDATE_DAYS), today + days(LEAF_LIFETIME_DAYS)));
        let client = issue_box(&ca.key_pem, "0101").unwrap();
        assert_eq!(validity_of(&client.cert_der), (today - days(BACKDATE_DAYS), today + days(LEAF_LIFETIME_DAYS)));
        assert!(LEAF_LIFETIME_DAYS <= 398 && CA_LIFETIME_DAYS <= 3653, "nothing lives until 2099 any more");
    }
}
