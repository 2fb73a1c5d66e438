//! The ГЭК member's key file, the CLI's credential: an Ed25519 key (PKCS#8) sealed with
//! AES-256-GCM under a key derived from the member's PIN by argon2id. The file alone is
//! useless without the PIN and the PIN without the file; the hub keeps only the public key.
//! The worker id and the public key are the AEAD's associated data, so neither can be edited
//! in the file without the PIN failing. Secrets are zeroized when dropped.

use argon2::{Algorithm, Argon2, Params, Version};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::Ed25519KeyPair;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const FORMAT: &str = "ppe-gek-key-v1";
/// Shortest PIN accepted at enrollment.
pub const MIN_PIN_CHARS: usize = 6;
/// argon2id cost: 64 MiB, 3 passes (a guess costs ~0.3 s and 64 MiB on a box or a laptop).
const KDF_MEMORY_KIB: u32 = 64 * 1024;
const KDF_PASSES: u32 = 3;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyFileError {
    #[error("ПИН-код должен быть не короче {MIN_PIN_CHARS} символов")]
    WeakPin,
    #[error("это не файл ключа члена ГЭК ({0})")]
    Malformed(String),
    #[error("неверный ПИН-код или файл ключа изменён")]
    WrongPin,
    #[error("генератор случайных чисел")]
    Random,
}

/// The file as written (JSON); nothing in it is secret without the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GekKeyFile {
    pub format: String,
    pub worker_id: String,
    /// Ed25519 public key, hex (what the hub enrolled).
    pub public_key: String,
    pub kdf: KdfParams,
    pub nonce: String,
    /// The sealed PKCS#8 key, hex.
    pub sealed_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    pub algorithm: String,
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
    pub salt: String,
}

/// An opened key file: who it belongs to and their signing key (in memory only).
pub struct GekSigner {
    pub worker_id: String,
    key: Ed25519KeyPair,
}

impl GekSigner {
    pub fn sign_hex(&self, message: &[u8]) -> String {
        crate::keys::sign_hex(&self.key, message)
    }
    pub fn public_hex(&self) -> String {
        crate::keys::ed25519_public_hex(&self.key)
    }
}

fn derive(pin: &str, kdf: &KdfParams) -> Result<LessSafeKey, KeyFileError> {
    let salt = hex::decode(&kdf.salt).map_err(|_| KeyFileError::Malformed("соль".into()))?;
    // Refuse costs far from ours: a tampered file must not make the box hash for an hour.
    if kdf.algorithm != "argon2id" || !(8 * 1024..=256 * 1024).contains(&kdf.memory_kib) || !(1..=10).contains(&kdf.passes) || !(1..=4).contains(&kdf.lanes) {
        return Err(KeyFileError::Malformed("параметры argon2id".into()));
    }
    let params = Params::new(kdf.memory_kib, kdf.passes, kdf.lanes, Some(32)).map_err(|e| KeyFileError::Malformed(e.to_string()))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password_into(pin.as_bytes(), &salt, &mut *key).map_err(|e| KeyFileError::Malformed(e.to_string()))?;
    let unbound = UnboundKey::new(&AES_256_GCM, &*key).map_err(|_| KeyFileError::Malformed("AES".into()))?;
    Ok(LessSafeKey::new(unbound))
}

fn aad(worker_id: &str, public_key: &str) -> Vec<u8> {
    format!("{FORMAT}\n{worker_id}\n{public_key}").into_bytes()
}

/// Makes a new key for `worker_id` and seals it under `pin`.
pub fn generate(worker_id: &str, pin: &str) -> Result<GekKeyFile, KeyFileError> {
    if pin.chars().count() < MIN_PIN_CHARS {
        return Err(KeyFileError::WeakPin);
    }
    let pkcs8 = Zeroizing::new(crate::keys::generate_ed25519_pkcs8().map_err(|_| KeyFileError::Random)?);
    let pair = crate::keys::ed25519_from_pkcs8(&pkcs8).map_err(|_| KeyFileError::Random)?;
    let public_key = crate::keys::ed25519_public_hex(&pair);
    let rng = SystemRandom::new();
    let (mut salt, mut nonce) = ([0u8; 16], [0u8; 12]);
    rng.fill(&mut salt).and_then(|_| rng.fill(&mut nonce)).map_err(|_| KeyFileError::Random)?;
    let kdf = KdfParams { algorithm: "argon2id".into(), memory_kib: KDF_MEMORY_KIB, passes: KDF_PASSES, lanes: 1, salt: hex::encode(salt) };
    let mut sealed = pkcs8.to_vec();
    derive(pin, &kdf)?
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad(worker_id, &public_key)), &mut sealed)
        .map_err(|_| KeyFileError::Random)?;
    Ok(GekKeyFile { format: FORMAT.into(), worker_id: worker_id.into(), public_key, kdf, nonce: hex::encode(nonce), sealed_key: hex::encode(sealed) })
}

/// Parses a key file's bytes.
pub fn parse(bytes: &[u8]) -> Result<GekKeyFile, KeyFileError> {
    let file: GekKeyFile = serde_json::from_slice(bytes).map_err(|e| KeyFileError::Malformed(e.to_string()))?;
    if file.format != FORMAT {
        return Err(KeyFileError::Malformed(format!("формат {}", file.format)));
    }
    Ok(file)
}

/// Opens a key file with the member's PIN.
pub fn open(file: &GekKeyFile, pin: &str) -> Result<GekSigner, KeyFileError> {
    let nonce: [u8; 12] = hex::decode(&file.nonce).ok().and_then(|n| n.try_into().ok()).ok_or_else(|| KeyFileError::Malformed("nonce".into()))?;
    let mut sealed = Zeroizing::new(hex::decode(&file.sealed_key).map_err(|_| KeyFileError::Malformed("ключ".into()))?);
    let plain = derive(pin, &file.kdf)?
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad(&file.worker_id, &file.public_key)), &mut sealed)
        .map_err(|_| KeyFileError::WrongPin)?;
    let key = crate::keys::ed25519_from_pkcs8(plain).map_err(|_| KeyFileError::Malformed("ключ Ed25519".into()))?;
    if crate::keys::ed25519_public_hex(&key) != file.public_key {
        return Err(KeyFileError::WrongPin);
    }
    Ok(GekSigner { worker_id: file.worker_id.clone(), key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_opens_only_with_its_pin_and_unedited() {
        let file = generate("G1", "123456").unwrap();
        let signer = open(&file, "123456").unwrap();
        assert_eq!(signer.worker_id, "G1");
        assert_eq!(signer.public_hex(), file.public_key);
        let msg = b"m";
        assert!(crate::keys::verify_ed25519(&file.public_key, msg, &signer.sign_hex(msg)));
        assert_eq!(open(&file, "654321").err(), Some(KeyFileError::WrongPin));
        let renamed = GekKeyFile { worker_id: "G2".into(), ..file.clone() };
        assert_eq!(open(&renamed, "123456").err(), Some(KeyFileError::WrongPin), "the worker id is bound");
        let cheap = GekKeyFile { kdf: KdfParams { memory_kib: 1, ..file.kdf.clone() }, ..file.clone() };
        assert!(matches!(open(&cheap, "123456"), Err(KeyFileError::Malformed(_))));
        assert_eq!(generate("G1", "12345").err(), Some(KeyFileError::WeakPin));
        let bytes = serde_json::to_vec(&file).unwrap();
        assert_eq!(parse(&bytes).unwrap(), file);
        assert!(!String::from_utf8_lossy(&bytes).contains("123456"));
        assert!(parse(b"{}").is_err());
    }
}
