//! Finalize: a box's signed bundle manifest checked against what the hub holds (over tus, or
//! from media), and the hub's signed receipt. Idempotent: the same manifest again gets the
//! receipt already issued. Every refusal and acceptance leaves an audit entry.

use super::blobs::sha256_reader;
use super::core::{CoreError, UploadCore};
use super::meta::AuditNote;
use super::UploadServerState;
use crate::context::BoxIdentity;
use crate::upload::store::HubBundleRow;
use crate::upload::{make_receipt, verify_signed_manifest, HeldFile, ManifestFile, Receipt, SignedManifest};

impl UploadCore {
    /// What the hub holds for a manifest file: the blob with that hash, its size and hash.
    /// The hash is recomputed from the bytes stored, never taken from a name.
    pub fn held(state: &UploadServerState, f: &ManifestFile) -> HeldFile {
        let len = state.blobs.stat(&f.sha256).ok()??;
        let mut bytes = state.blobs.open(&f.sha256, None).ok()?;
        let (sha, _) = sha256_reader(&mut bytes).ok()?;
        Some((len, sha))
    }

    /// Verifies a signed manifest against what arrived and answers with a signed receipt.
    pub fn finalize(state: &UploadServerState, signed: &SignedManifest, identity: Option<&BoxIdentity>) -> Result<Receipt, CoreError> {
        let m = &signed.manifest;
        let mut held = |f: &ManifestFile| -> HeldFile {
            // What arrived over tus under this name is what the box sent; fall back to content.
            match state.meta.upload_latest_completed(&m.exam_id, &m.ppe_code, &f.name).ok().flatten() {
                Some(row) => row.stored_sha256.map(|sha| (row.upload_length, sha)),
                None => Self::held(state, f),
            }
        };
        Self::finalize_with(state, signed, identity, "upload", &mut held)
    }

    /// As [`Self::finalize`], with the caller saying what it holds (media: the files on it).
    pub fn finalize_with(
        state: &UploadServerState,
        signed: &SignedManifest,
        identity: Option<&BoxIdentity>,
        via: &str,
        held: &mut dyn FnMut(&ManifestFile) -> HeldFile,
    ) -> Result<Receipt, CoreError> {
        let m = &signed.manifest;
        let public = state.meta.box_key(&m.ppe_code)?;
        let verdict = verify_signed_manifest(signed, public.as_deref(), identity.map(|i| i.ppe_code.as_str()), held);
        let now = state.clock.now_rfc3339();
        let actor = format!("box:{}", m.ppe_code);
        if let Err(e) = verdict {
            let note = AuditNote {
                actor,
                action: "upload.bundle_refused",
                object: m.exam_id.clone(),
                details: serde_json::json!({"ppe_code": m.ppe_code, "reason": e.code(), "detail": e.to_string()}),
            };
            state.meta.audit(&note, &now)?;
            return Err(CoreError::Refused(e));
        }
        let issued = |row: &HubBundleRow| serde_json::from_str::<Receipt>(&row.receipt_json).ok();
        // Idempotent: the same manifest again gets the receipt already issued.
        if let Some(existing) = state.meta.bundle_get(&m.exam_id, &m.ppe_code, &m.sha256())?.as_ref().and_then(issued) {
            return Ok(existing);
        }
        let receipt = make_receipt(signed, &now, via, &state.hub_key);
        let receipt_json = serde_json::to_string(&receipt).map_err(|e| CoreError::Storage(e.to_string()))?;
        let row = HubBundleRow {
            exam_id: m.exam_id.clone(),
            ppe_code: m.ppe_code.clone(),
            manifest_sha256: receipt.receipt.manifest_sha256.clone(),
            via: via.to_string(),
            file_count: receipt.receipt.file_count,
            total_bytes: receipt.receipt.total_bytes,
            received_at: now.clone(),
            receipt_json,
        };
        let note = AuditNote {
            actor,
            action: "upload.bundle_accepted",
            object: m.exam_id.clone(),
            details: serde_json::json!({
                "ppe_code": m.ppe_code, "manifest_sha256": receipt.receipt.manifest_sha256,
                "files": receipt.receipt.file_count, "bytes": receipt.receipt.total_bytes, "via": via,
                "box_audit_head": m.audit_head.hash,
            }),
        };
        // Accepted meanwhile by a request for the same manifest: that receipt stands.
        match state.meta.bundle_accept(&row, &note)?.as_ref().and_then(issued) {
            Some(first) => Ok(first),
            None => Ok(receipt),
        }
    }
}
