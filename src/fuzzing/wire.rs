//! Targets for what crosses the wire between box and hub: the package manifest and its
//! ciphertext (box side), the bundle manifest and receipt (hub and box), tus headers (hub),
//! the heartbeat report (hub), the key request (hub) and the key release (box).

use base64::Engine;

use super::{changed_copies, fuzz_keys, fuzz_now};
use crate::materials::wrap::{key_request, wrap_for_box, KeyRelease, KeyRequest};
use crate::materials::{decrypt_stream, sign_manifest, verify_cipher_file, verify_manifest, Expectation, SignedManifest};
use crate::monitoring::{self, Arrived, Health, HeartbeatReport, PointInputs, ProgressSample, Schedule, StatusRules, UploadTruth};
use crate::protocol::bundle;
use crate::upload::server::tus::{parse_checksum, parse_metadata};
use crate::upload::server::UploadMetadata;

/// A package manifest as the box reads it from the hub or a mirror, then its checks past the
/// signature (the manifest re-signed by the fuzz hub key), the JSON round trip of a verified
/// manifest, changed bytes never verifying, and ciphertext under a key nobody used refused.
pub fn package_manifest(data: &[u8]) {
    let Ok(signed) = serde_json::from_slice::<SignedManifest>(data) else { return };
    let keys = fuzz_keys();
    let m = &signed.manifest;
    let expect =
        Expectation { hub_public_key: &keys.hub_public, exam_id: &m.exam_id, ppe_code: &m.ppe_code, last_seen_version: None, hub_now: fuzz_now() };
    let as_sent = verify_manifest(&signed, &expect).is_ok();
    let resigned = sign_manifest(m.clone(), &keys.hub);
    let verdict = verify_manifest(&resigned, &expect);
    assert!(!as_sent || verdict.is_ok(), "the same manifest, signed by the same key, judged twice differently");
    if verdict.is_err() {
        return;
    }
    let text = serde_json::to_vec(&resigned).unwrap_or_default();
    let back: Option<SignedManifest> = serde_json::from_slice(&text).ok();
    assert_eq!(back.as_ref(), Some(&resigned), "a verified manifest does not read back as written");
    for changed in changed_copies(&text, data, 4) {
        if let Ok(other) = serde_json::from_slice::<SignedManifest>(&changed) {
            if verify_manifest(&other, &expect).is_ok() {
                assert_eq!(other.manifest, resigned.manifest, "a changed manifest passed the signature check");
            }
        }
    }
    for f in resigned.manifest.files.iter().take(2) {
        let opened = decrypt_stream(&resigned.manifest, f, &[0x5a; 32], data, std::io::sink());
        assert!(opened.is_err(), "bytes never encrypted authenticated as file {:?}", f.name);
        let _ = verify_cipher_file(f, data.len() as u64, &crate::util::sha256_hex(data));
    }
}

/// A bundle manifest as the hub takes it (`POST /v1/uploads/bundles`, or `manifest.json` on
/// media), and a receipt as the box takes it back. A manifest of good shape, signed by the box
/// key, verifies and gets a receipt that verifies; changed bytes never verify.
pub fn bundle_manifest(data: &[u8]) {
    let keys = fuzz_keys();
    let mut held_all = |f: &bundle::ManifestFile| Some((f.size, f.sha256.clone()));
    if let Ok(receipt) = serde_json::from_slice::<bundle::Receipt>(data) {
        let empty = bundle::Manifest {
            format: bundle::MANIFEST_FORMAT.into(),
            exam_id: receipt.receipt.exam_id.clone(),
            ppe_code: receipt.receipt.ppe_code.clone(),
            created_at: String::new(),
            files: Vec::new(),
            counts: Default::default(),
            audit_head: receipt.receipt.audit_head.clone(),
        };
        let _ = crate::upload::verify_receipt(&receipt, &keys.hub_public, &empty);
    }
    let Ok(signed) = serde_json::from_slice::<bundle::SignedManifest>(data) else { return };
    let as_sent = crate::upload::verify_signed_manifest(&signed, Some(&keys.box_public), None, &mut held_all);
    let m = &signed.manifest;
    if m.check_shape().is_err() {
        assert!(as_sent.is_err(), "a manifest of bad shape verified");
        return;
    }
    let again: Option<bundle::Manifest> = serde_json::from_slice(&m.canonical_bytes()).ok();
    assert_eq!(again.as_ref(), Some(m), "the signed bytes of a manifest do not read back as the manifest");
    let resigned = crate::upload::sign_manifest(m.clone(), &keys.box_key);
    let verdict = crate::upload::verify_signed_manifest(&resigned, Some(&keys.box_public), Some(&m.ppe_code), &mut held_all);
    assert!(verdict.is_ok(), "a manifest of good shape, signed by its box, refused: {verdict:?}");
    let receipt = crate::upload::make_receipt(&resigned, "2027-05-27T06:00:00+00:00", "upload", &keys.hub);
    assert!(crate::upload::verify_receipt(&receipt, &keys.hub_public, m).is_ok(), "the hub's own receipt refused by the box");
    let text = serde_json::to_vec(&resigned).unwrap_or_default();
    for changed in changed_copies(&text, data, 4) {
        if let Ok(other) = serde_json::from_slice::<bundle::SignedManifest>(&changed) {
            if crate::upload::verify_signed_manifest(&other, Some(&keys.box_public), None, &mut held_all).is_ok() {
                assert_eq!(&other.manifest, m, "a changed bundle manifest passed the box signature check");
            }
        }
    }
}

/// tus headers as the hub reads them: the first line is `Upload-Metadata`, the second
/// `Upload-Checksum` (only bytes an HTTP header value can hold reach the parsers). What parses
/// re-encodes (as the box's client writes it) to the same pairs and digest.
pub fn tus_headers(data: &[u8]) {
    let header_bytes = |s: &[u8]| s.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
    let mut lines = data.splitn(3, |&b| b == b'\n');
    let (meta, checksum) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);
    if let Some(meta) = std::str::from_utf8(meta).ok().filter(|_| header_bytes(meta)) {
        if let Ok(pairs) = parse_metadata(meta) {
            let header: Vec<String> =
                pairs.iter().map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k} {}", b64(v.as_bytes())) }).collect();
            let header = header.join(",");
            assert_eq!(parse_metadata(&header).ok().as_ref(), Some(&pairs), "Upload-Metadata {header:?} does not read back");
            let _ = UploadMetadata::from_pairs(pairs);
        }
    }
    if let Some(checksum) = std::str::from_utf8(checksum).ok().filter(|_| header_bytes(checksum)) {
        if let Ok(digest) = parse_checksum(checksum) {
            assert_eq!(parse_checksum(&format!("sha256 {}", b64(&digest))).ok(), Some(digest), "Upload-Checksum does not read back");
        }
        let _ = checksum.trim().parse::<u64>();
    }
}

/// A heartbeat report as the hub reads it, its shape checks, and the dashboard's judgement of
/// a report that passed them (never "done" without a verified upload).
pub fn heartbeat(data: &[u8]) {
    let Ok(report) = serde_json::from_slice::<HeartbeatReport>(data) else { return };
    let text = serde_json::to_vec(&report).unwrap_or_default();
    let again = serde_json::from_slice::<HeartbeatReport>(&text).ok();
    assert_eq!(again.map(|r| serde_json::to_vec(&r).unwrap_or_default()), Some(text), "a report does not read back as written");
    let Ok(box_time) = report.check() else { return };
    let now = fuzz_now();
    let _ = monitoring::clock_offset_ms(box_time, now);
    let schedule = Schedule {
        window_open: now - chrono::Duration::hours(1),
        start: now,
        end: now + chrono::Duration::hours(4),
        deadline: now + chrono::Duration::hours(5),
    };
    let arrived = Arrived { report: report.clone(), received_at: now - chrono::Duration::seconds(10) };
    let samples = [ProgressSample::of(&report, now - chrono::Duration::seconds(60)), ProgressSample::of(&report, now)];
    for truth in [UploadTruth::HubRecords, UploadTruth::BoxReports] {
        let delivered = monitoring::delivered(Some(&report), truth, None);
        let input = PointInputs { schedule, latest: Some(&arrived), last_progress_at: Some(now), samples: &samples, delivered: &delivered };
        let status = monitoring::point_status(&input, &StatusRules::default(), now);
        assert!(delivered.verified || status.health != Health::Done, "a point judged done without a verified upload");
        let _ = monitoring::files::files_row(Some(&report), truth, None, None);
    }
    let _ = monitoring::made_progress(Some(&report), &report);
}

/// A key request as the hub reads it (signature, then wrapping to its X25519 key) and a key
/// release as the box reads it: a release for another request never opens, and a real release
/// with a byte changed opens only when nothing signed changed.
pub fn key_release(data: &[u8]) {
    let keys = fuzz_keys();
    let hub_time = "2027-05-27T06:00:00Z";
    if let Ok(request) = serde_json::from_slice::<KeyRequest>(data) {
        let _ = request.verify(&keys.box_public);
        let _ = wrap_for_box(&keys.hub, &request, "fuzz-package", 1, &[7; 32], hub_time);
    }
    let Ok(pending) = key_request(&keys.box_key, "ege-02", "0101", hub_time) else { return };
    if let Ok(release) = serde_json::from_slice::<KeyRelease>(data) {
        assert!(pending.open(&release, &keys.hub_public).is_err(), "a release for another request opened");
    }
    let Ok(pending) = key_request(&keys.box_key, "ege-02", "0101", hub_time) else { return };
    let Ok(real) = wrap_for_box(&keys.hub, &pending.request, "p1", 3, &[42; 32], hub_time) else { return };
    let text = serde_json::to_vec(&real).unwrap_or_default();
    let Some(changed) = changed_copies(&text, data, 1).pop() else { return };
    if let Ok(other) = serde_json::from_slice::<KeyRelease>(&changed) {
        if let Ok(key) = pending.open(&other, &keys.hub_public) {
            assert_eq!((key, &other), ([42; 32], &real), "a changed key release opened");
        }
    }
}
