//! Finalize: a box's signed bundle manifest checked against what the hub holds (over tus, or
//! from media), and the hub's signed receipt. Idempotent: the same manifest again gets the
//! receipt already issued. Every refusal and acceptance leaves an audit entry, in the name of
//! the box that asked (its certificate), never of the exam point a manifest claims.
//!
//! The order of the checks: the manifest's shape (before any field is used), the plan (the
//! exam exists and is assigned to that exam point), the box's signature, then each file by its
//! content hash among that box's own completed uploads. Refusals answer a fixed text: what the
//! hub found (a size, a hash) is never echoed back.

use super::core::{CoreError, UploadCore};
use super::meta::AuditNote;
use super::UploadServerState;
use crate::context::BoxIdentity;
use crate::upload::store::HubBundleRow;
use crate::upload::{make_receipt, verify_signed_manifest, HeldFile, ManifestFile, Receipt, SignedManifest, UploadError};

impl UploadCore {
    /// Verifies a signed manifest from an enrolled box against that box's uploads and answers
    /// with a signed receipt. A manifest file is held when one of that box's own completed
    /// uploads for the exam has its content hash (the hash of the bytes stored, checked at
    /// completion) and its blob is still there: never another box's upload, never a name.
    pub fn finalize(state: &UploadServerState, signed: &SignedManifest, identity: &BoxIdentity) -> Result<Receipt, CoreError> {
        let mut by_content = std::collections::HashMap::new();
        // No field is used before its shape is checked (a malformed manifest is refused below).
        let rows = if signed.manifest.check_shape().is_ok() { state.meta.uploads_for_point(&signed.manifest.exam_id, &identity.ppe_code)? } else { Vec::new() };
        for row in rows {
            if let (Some(_), Some(sha)) = (&row.completed_at, &row.stored_sha256) {
                by_content.entry(sha.clone()).or_insert(row.upload_length);
            }
        }
        let mut held = |f: &ManifestFile| -> HeldFile {
            let length = *by_content.get(&f.sha256)?;
            let on_disk = state.blobs.stat(&f.sha256).ok()??;
            (on_disk == length).then(|| (length, f.sha256.clone()))
        };
        Self::finalize_with(state, signed, Some(identity), "upload", &mut held)
    }

    /// As [`Self::finalize`], with the caller saying what it holds (media: the files on it;
    /// `identity` `None`).
    pub fn finalize_with(
        state: &UploadServerState,
        signed: &SignedManifest,
        identity: Option<&BoxIdentity>,
        via: &str,
        held: &mut dyn FnMut(&ManifestFile) -> HeldFile,
    ) -> Result<Receipt, CoreError> {
        let m = &signed.manifest;
        let now = state.clock.now_rfc3339();
        // Who a refusal is recorded for: the certificate's exam point, or the media (a manifest
        // that did not verify names nobody).
        let refused_by = identity.map_or_else(|| "media".to_string(), |id| format!("box:{}", id.ppe_code));
        let refuse = |e: UploadError, shaped: bool| -> Result<Receipt, CoreError> {
            let object = if shaped { m.exam_id.clone() } else { "-".to_string() };
            let mut details = serde_json::json!({"reason": e.code(), "detail": e.to_string()});
            if shaped {
                details["ppe_code"] = serde_json::json!(m.ppe_code);
            }
            state.meta.audit(&AuditNote { actor: refused_by.clone(), action: "upload.bundle_refused", object, details }, &now)?;
            Err(CoreError::Refused(e))
        };
        if let Err(e) = m.check_shape() {
            return refuse(e, false);
        }
        if let Some(id) = identity {
            if id.ppe_code != m.ppe_code {
                return refuse(UploadError::WrongExamPoint { manifest: m.ppe_code.clone(), identity: id.ppe_code.clone() }, true);
            }
        }
        match state.meta.exam_point_assignment(&m.exam_id, &m.ppe_code)? {
            None => return refuse(UploadError::ExamNotInPlan(m.exam_id.clone()), true),
            Some(false) => return refuse(UploadError::NotAssigned { exam_id: m.exam_id.clone(), ppe_code: m.ppe_code.clone() }, true),
            Some(true) => {}
        }
        let public = state.meta.box_key(&m.ppe_code)?;
        if let Err(e) = verify_signed_manifest(signed, public.as_deref(), identity.map(|i| i.ppe_code.as_str()), held) {
            return refuse(e, true);
        }
        // The key by phone: each offline activation answers a code this hub disclosed.
        let disclosed = || state.meta.phone_disclosures(&m.exam_id, &m.ppe_code).map_err(|e| e.to_string());
        if let Err(reason) = crate::materials::phone_code::bundle::check_on_hub(signed, public.as_deref(), disclosed) {
            return refuse(UploadError::PhoneActivation(reason), true);
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
            // Signed by that exam point's key (and, over the network, sent with its certificate).
            actor: format!("box:{}", m.ppe_code),
            action: "upload.bundle_accepted",
            object: m.exam_id.clone(),
            details: serde_json::json!({
                "ppe_code": m.ppe_code, "manifest_sha256": receipt.receipt.manifest_sha256,
                "files": receipt.receipt.file_count, "bytes": receipt.receipt.total_bytes, "via": via,
                "box_audit_head": m.audit_head.hash,
            }),
        };
        crate::util::crash_point("finalize.receipt_signed");
        // Accepted meanwhile by a request for the same manifest: that receipt stands.
        match state.meta.bundle_accept(&row, &note)?.as_ref().and_then(issued) {
            Some(first) => Ok(first),
            None => Ok(receipt),
        }
    }
}
