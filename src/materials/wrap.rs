//! Package-key wrapping: the hub seals a package key to the box so that a TLS-terminating
//! proxy between them learns nothing, and signs the release with its time.
//!
//! ring offers X25519 only as ephemeral keys, so the box makes a fresh X25519 key per request
//! and signs its public half with its enrolled Ed25519 key; the hub verifies that signature
//! against the key it enrolled, agrees with its own ephemeral key, derives an AES-256-GCM key
//! with HKDF-SHA256 over both public keys and the package identity, and seals. Both sides'
//! keys are ephemeral, so a later theft of the box's disk cannot open a recorded release
//! (forward secrecy), and a proxy cannot substitute its own public key (it has no box key).

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::hkdf;
use ring::rand::SystemRandom;
use serde::Serialize;

use super::{canonical_json, MaterialsError};
pub use crate::protocol::key::{KeyRelease, KeyRequest};

const WRAP_SALT: &[u8] = b"ppe-key-wrap-v1";

#[derive(Serialize)]
struct KeyRequestSigned<'a> {
    exam_id: &'a str,
    ppe_code: &'a str,
    box_public: &'a str,
    box_time: &'a str,
}

impl KeyRequest {
    fn signed_bytes(&self) -> Vec<u8> {
        canonical_json(&KeyRequestSigned { exam_id: &self.exam_id, ppe_code: &self.ppe_code, box_public: &self.box_public, box_time: &self.box_time })
    }
    pub fn verify(&self, box_signing_public_hex: &str) -> bool {
        crate::keys::verify_ed25519(box_signing_public_hex, &self.signed_bytes(), &self.signature)
    }
}

impl KeyRelease {
    fn signed_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("signature");
        }
        canonical_json(&v)
    }
}

/// The box's half of a pending request: the ephemeral secret lives only in memory.
pub struct PendingKeyRequest {
    secret: EphemeralPrivateKey,
    pub request: KeyRequest,
}

pub fn key_request(box_key: &ring::signature::Ed25519KeyPair, exam_id: &str, ppe_code: &str, box_time: &str) -> Result<PendingKeyRequest, MaterialsError> {
    let rng = SystemRandom::new();
    let secret = EphemeralPrivateKey::generate(&X25519, &rng).map_err(|_| MaterialsError::BadKey("генератор случайных чисел".into()))?;
    let public = secret.compute_public_key().map_err(|_| MaterialsError::BadKey("открытый ключ X25519".into()))?;
    let mut request = KeyRequest {
        exam_id: exam_id.into(),
        ppe_code: ppe_code.into(),
        box_public: hex::encode(public.as_ref()),
        box_time: box_time.into(),
        signature: String::new(),
        gek: None,
    };
    request.signature = crate::keys::sign_hex(box_key, &request.signed_bytes());
    Ok(PendingKeyRequest { secret, request })
}

fn derive(shared: &[u8], box_public: &[u8], hub_public: &[u8], exam_id: &str, ppe_code: &str, package_id: &str) -> Result<LessSafeKey, MaterialsError> {
    let info_bytes = canonical_json(&serde_json::json!([hex::encode(box_public), hex::encode(hub_public), exam_id, ppe_code, package_id]));
    let info = [info_bytes.as_slice()];
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, WRAP_SALT).extract(shared);
    let okm = prk.expand(&info, &AES_256_GCM).map_err(|_| MaterialsError::BadKey("HKDF".into()))?;
    Ok(LessSafeKey::new(UnboundKey::from(okm)))
}

/// Hub side: seals `package_key` to the request's public key and signs the release.
pub fn wrap_for_box(
    hub_key: &ring::signature::Ed25519KeyPair,
    request: &KeyRequest,
    package_id: &str,
    version: u64,
    package_key: &[u8; 32],
    hub_time: &str,
) -> Result<KeyRelease, MaterialsError> {
    let rng = SystemRandom::new();
    let box_public = hex::decode(&request.box_public).map_err(|_| MaterialsError::BadKey("открытый ключ ящика не hex".into()))?;
    let secret = EphemeralPrivateKey::generate(&X25519, &rng).map_err(|_| MaterialsError::BadKey("генератор случайных чисел".into()))?;
    let hub_public = secret.compute_public_key().map_err(|_| MaterialsError::BadKey("открытый ключ X25519".into()))?;
    let hub_public_bytes = hub_public.as_ref().to_vec();
    let aead = agreement::agree_ephemeral(secret, &UnparsedPublicKey::new(&X25519, &box_public), |shared| {
        derive(shared, &box_public, &hub_public_bytes, &request.exam_id, &request.ppe_code, package_id)
    })
    .map_err(|_| MaterialsError::BadKey("согласование X25519".into()))??;
    let mut sealed = package_key.to_vec();
    // The derived key is used exactly once, so a fixed nonce is safe.
    aead.seal_in_place_append_tag(Nonce::assume_unique_for_key([0; 12]), Aad::from(package_id.as_bytes()), &mut sealed)
        .map_err(|_| MaterialsError::BadKey("запечатывание".into()))?;
    let mut release = KeyRelease {
        exam_id: request.exam_id.clone(),
        ppe_code: request.ppe_code.clone(),
        package_id: package_id.into(),
        version,
        box_public: request.box_public.clone(),
        hub_public: hex::encode(&hub_public_bytes),
        wrapped_key: hex::encode(sealed),
        hub_time: hub_time.into(),
        signature: String::new(),
    };
    release.signature = crate::keys::sign_hex(hub_key, &release.signed_bytes());
    Ok(release)
}

impl PendingKeyRequest {
    /// The bytes a ГЭК member signs to release the key to this very request.
    pub fn gek_proof_message(&self, worker_id: &str, challenge: &str) -> Vec<u8> {
        crate::gek::proof_message(worker_id, &self.request.exam_id, &self.request.ppe_code, challenge, &self.request.box_public)
    }

    /// Box side: checks the hub's signature and that the release answers this very request,
    /// then opens the package key.
    pub fn open(self, release: &KeyRelease, hub_public_key_hex: &str) -> Result<[u8; 32], MaterialsError> {
        if !crate::keys::verify_ed25519(hub_public_key_hex, &release.signed_bytes(), &release.signature) {
            return Err(MaterialsError::BadKey("подпись РЦОИ под выдачей ключа неверна".into()));
        }
        if release.box_public != self.request.box_public || release.exam_id != self.request.exam_id || release.ppe_code != self.request.ppe_code {
            return Err(MaterialsError::BadKey("ответ РЦОИ относится к другому запросу".into()));
        }
        let box_public = hex::decode(&release.box_public).map_err(|_| MaterialsError::BadKey("hex".into()))?;
        let hub_public = hex::decode(&release.hub_public).map_err(|_| MaterialsError::BadKey("hex".into()))?;
        let mut sealed = hex::decode(&release.wrapped_key).map_err(|_| MaterialsError::BadKey("hex".into()))?;
        let aead = agreement::agree_ephemeral(self.secret, &UnparsedPublicKey::new(&X25519, &hub_public), |shared| {
            derive(shared, &box_public, &hub_public, &release.exam_id, &release.ppe_code, &release.package_id)
        })
        .map_err(|_| MaterialsError::BadKey("согласование X25519".into()))??;
        let key = aead
            .open_in_place(Nonce::assume_unique_for_key([0; 12]), Aad::from(release.package_id.as_bytes()), &mut sealed)
            .map_err(|_| MaterialsError::BadKey("ключ не раскрывается".into()))?;
        key.try_into().map_err(|_| MaterialsError::BadKey("ключ не 32 байта".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_round_trip_and_proxy_substitution_fails() {
        let hub = crate::materials::tests::hub_key();
        let boxk = crate::materials::tests::hub_key();
        let hub_pub = crate::keys::ed25519_public_hex(&hub);
        let box_pub = crate::keys::ed25519_public_hex(&boxk);
        let pending = key_request(&boxk, "ege-02", "0101", "2027-05-27T02:00:00Z").unwrap();
        assert!(pending.request.verify(&box_pub));
        let release = wrap_for_box(&hub, &pending.request, "p1", 1, &[42; 32], "2027-05-27T02:00:01Z").unwrap();
        assert_eq!(pending.open(&release, &hub_pub).unwrap(), [42; 32]);

        // A proxy replacing the box's public key breaks the box's signature.
        let pending = key_request(&boxk, "ege-02", "0101", "t").unwrap();
        let proxy = key_request(&hub, "ege-02", "0101", "t").unwrap();
        let mut forged = pending.request.clone();
        forged.box_public = proxy.request.box_public.clone();
        assert!(!forged.verify(&box_pub));
        // A release for another request is refused.
        let other = wrap_for_box(&hub, &proxy.request, "p1", 1, &[1; 32], "t").unwrap();
        assert!(pending.open(&other, &hub_pub).is_err());
    }
}
