//! The offline activations travel in the signed bundle: the box attaches its records to the
//! signed manifest ([`attach`], signed apart and bound to the manifest's hash, so the manifest's
//! own bytes and every older hub's check stay as they were), and the hub checks them against
//! the disclosures it recorded ([`check_on_hub`]) before it issues a receipt.

use ring::signature::Ed25519KeyPair;

use super::store as pstore;
use super::Disclosure;
use crate::protocol::bundle::{
    is_code, OfflineActivation, OfflineActivations, SignedManifest, MAX_CODE_LEN, MAX_OFFLINE_ACTIVATIONS, OFFLINE_ACTIVATIONS_FORMAT,
};
use crate::store::Connection;

/// The manifest with the exam's offline activations attached (none: as it was).
pub fn attach(conn: &Connection, mut signed: SignedManifest, box_key: &Ed25519KeyPair) -> crate::store::SqlResult<SignedManifest> {
    let rows = pstore::activations_for_exam(conn, &signed.manifest.exam_id)?;
    signed.offline_activations = (!rows.is_empty()).then(|| {
        let activations = rows
            .into_iter()
            .map(|r| OfflineActivation {
                exam_id: r.exam_id,
                package_id: r.package_id,
                version: r.version,
                typed_by: r.typed_by,
                worker_id: r.worker_id,
                code_hub_time: r.code_hub_time,
                box_time: r.box_time,
            })
            .collect();
        let mut a = OfflineActivations {
            format: OFFLINE_ACTIVATIONS_FORMAT.into(),
            manifest_sha256: signed.manifest.sha256(),
            activations,
            box_signature_hex: String::new(),
        };
        a.box_signature_hex = crate::keys::sign_hex(box_key, &a.signed_bytes());
        a
    });
    Ok(signed)
}

fn same_instant(a: &str, b: &str) -> bool {
    matches!((crate::clock::parse_now(a), crate::clock::parse_now(b)), (Ok(x), Ok(y)) if x == y)
}

/// The hub's check of a bundle's offline activations (Russian reason on refusal): the format,
/// the bound manifest, the box's signature, and each activation answering a code the hub
/// disclosed to that point for that package at that hub time. `disclosures` is asked only
/// when there are activations to check.
pub fn check_on_hub(
    signed: &SignedManifest,
    box_public_hex: Option<&str>,
    disclosures: impl FnOnce() -> Result<Vec<Disclosure>, String>,
) -> Result<(), String> {
    let Some(a) = &signed.offline_activations else {
        return Ok(());
    };
    let m = &signed.manifest;
    if a.format != OFFLINE_ACTIVATIONS_FORMAT {
        return Err("запись об активации ключа по телефону в неизвестном формате".into());
    }
    if a.activations.is_empty() || a.activations.len() > MAX_OFFLINE_ACTIVATIONS {
        return Err("запись об активации ключа по телефону повреждена".into());
    }
    if a.manifest_sha256 != m.sha256() {
        return Err("запись об активации ключа по телефону относится к другой описи".into());
    }
    if !box_public_hex.is_some_and(|k| crate::keys::verify_ed25519(k, &a.signed_bytes(), &a.box_signature_hex)) {
        return Err("подпись ППЭ под записью об активации ключа по телефону не сходится".into());
    }
    let known = disclosures()?;
    for act in &a.activations {
        let shaped = act.exam_id == m.exam_id && is_code(&act.package_id) && act.code_hub_time.len() <= MAX_CODE_LEN;
        if !shaped || !known.iter().any(|d| d.package_id == act.package_id && same_instant(&d.hub_time, &act.code_hub_time)) {
            return Err(
                "ППЭ активировал ключ по коду, которого РЦОИ не выдавал этому ППЭ для этого пакета: квитанция не выдаётся, обратитесь в РЦОИ".into(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::bundle::{AuditHead, Manifest};

    fn signed_with(box_key: &Ed25519KeyPair, code_hub_time: &str) -> SignedManifest {
        let manifest = Manifest {
            format: crate::protocol::bundle::MANIFEST_FORMAT.into(),
            exam_id: "ege-02".into(),
            ppe_code: "0101".into(),
            created_at: "2027-05-27T09:00:00Z".into(),
            files: Vec::new(),
            counts: Default::default(),
            audit_head: AuditHead { seq: 1, hash: "0".repeat(64) },
        };
        let activation = OfflineActivation {
            exam_id: "ege-02".into(),
            package_id: "pkg-1".into(),
            version: 1,
            typed_by: "gek1".into(),
            worker_id: None,
            code_hub_time: code_hub_time.into(),
            box_time: "2026-01-01T00:00:00Z".into(),
        };
        let mut a = OfflineActivations {
            format: OFFLINE_ACTIVATIONS_FORMAT.into(),
            manifest_sha256: manifest.sha256(),
            activations: vec![activation],
            box_signature_hex: String::new(),
        };
        a.box_signature_hex = crate::keys::sign_hex(box_key, &a.signed_bytes());
        SignedManifest { manifest, box_signature_hex: String::new(), offline_activations: Some(a) }
    }

    fn disclosed() -> Result<Vec<Disclosure>, String> {
        Ok(vec![Disclosure {
            package_id: "pkg-1".into(),
            hub_time: "2027-05-27T02:31:00+00:00".into(),
            gek_worker_id: "G1".into(),
            operator_login: "op".into(),
        }])
    }

    #[test]
    fn the_hub_accepts_an_activation_it_disclosed_and_refuses_any_other() {
        let key = crate::materials::tests::hub_key();
        let public = crate::keys::ed25519_public_hex(&key);
        let good = signed_with(&key, "2027-05-27T02:31:00Z");
        assert_eq!(check_on_hub(&good, Some(&public), disclosed), Ok(()));
        let none = SignedManifest { offline_activations: None, ..good.clone() };
        assert_eq!(check_on_hub(&none, Some(&public), || Err("not asked".into())), Ok(()), "no activations: nothing asked");
        let later = signed_with(&key, "2027-05-27T02:32:00Z");
        assert!(check_on_hub(&later, Some(&public), disclosed).unwrap_err().contains("не выдавал"));
        assert!(check_on_hub(&good, Some(&public), || Ok(Vec::new())).unwrap_err().contains("не выдавал"), "nothing disclosed");
        let other_key = crate::keys::ed25519_public_hex(&crate::materials::tests::hub_key());
        assert!(check_on_hub(&good, Some(&other_key), disclosed).unwrap_err().contains("подпись"));
        let mut moved = good.clone();
        moved.manifest.created_at = "2027-05-27T09:00:01Z".into();
        assert!(check_on_hub(&moved, Some(&public), disclosed).unwrap_err().contains("другой описи"));
        // The manifest's own bytes do not change with the attachment (older hubs verify them).
        assert_eq!(serde_json::to_vec(&good.manifest).unwrap(), good.manifest.canonical_bytes());
        let old_hub: serde_json::Value = serde_json::from_slice(&serde_json::to_vec(&good).unwrap()).unwrap();
        assert!(old_hub["manifest"].get("offline_activations").is_none());
    }
}
