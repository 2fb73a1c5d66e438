//! Key material on disk, one format for every key: Ed25519 keys as PKCS#8 v2 DER (ring's
//! own format), X25519 secrets as 32 raw bytes, public keys as lowercase hex. Secret files are
//! written 0600 and atomically.

use std::path::Path;

use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("файл ключа {path}: {reason}")]
    File { path: String, reason: String },
    #[error("сбой генератора случайных чисел")]
    Random,
    #[error("открытый ключ — не 32 байта в шестнадцатеричной записи")]
    BadPublicKey,
}

pub fn generate_ed25519_pkcs8() -> Result<Vec<u8>, KeyError> {
    Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map(|d| d.as_ref().to_vec()).map_err(|_| KeyError::Random)
}

pub fn ed25519_from_pkcs8(der: &[u8]) -> Result<Ed25519KeyPair, KeyError> {
    Ed25519KeyPair::from_pkcs8(der).map_err(|e| KeyError::File { path: "<memory>".into(), reason: format!("not an Ed25519 PKCS#8 key: {e}") })
}

/// Reads an Ed25519 key pair from a PKCS#8 DER file.
pub fn load_ed25519(path: &Path) -> Result<Ed25519KeyPair, KeyError> {
    let shown = path.display().to_string();
    let der = std::fs::read(path).map_err(|e| KeyError::File { path: shown.clone(), reason: e.to_string() })?;
    Ed25519KeyPair::from_pkcs8(&der).map_err(|e| KeyError::File { path: shown, reason: format!("not an Ed25519 PKCS#8 key: {e}") })
}

/// Writes secret bytes with mode 0600.
pub fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| KeyError::File { path: dir.display().to_string(), reason: e.to_string() })?;
    }
    crate::util::write_atomic_mode(path, bytes, Some(0o600)).map_err(|e| KeyError::File { path: path.display().to_string(), reason: e.to_string() })
}

pub fn ed25519_public_hex(pair: &Ed25519KeyPair) -> String {
    hex::encode(pair.public_key().as_ref())
}

pub fn sign_hex(pair: &Ed25519KeyPair, message: &[u8]) -> String {
    hex::encode(pair.sign(message).as_ref())
}

/// Verifies a hex signature with a hex public key.
pub fn verify_ed25519(public_hex: &str, message: &[u8], signature_hex: &str) -> bool {
    let (Ok(public), Ok(sig)) = (hex::decode(public_hex.trim()), hex::decode(signature_hex.trim())) else { return false };
    public.len() == 32 && UnparsedPublicKey::new(&ED25519, public).verify(message, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip_and_tamper_fails() {
        let pair = ed25519_from_pkcs8(&generate_ed25519_pkcs8().unwrap()).unwrap();
        let public = ed25519_public_hex(&pair);
        let sig = sign_hex(&pair, b"manifest");
        assert!(verify_ed25519(&public, b"manifest", &sig));
        assert!(!verify_ed25519(&public, b"manifesT", &sig));
        assert!(!verify_ed25519("00", b"manifest", &sig));
    }

    #[test]
    fn secret_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k/signing.pk8");
        write_secret(&p, &generate_ed25519_pkcs8().unwrap()).unwrap();
        assert!(load_ed25519(&p).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&p, b"junk").unwrap();
        assert!(load_ed25519(&p).unwrap_err().to_string().contains("signing.pk8"));
    }
}
