//! The upload of an exam day to the hub: the signed bundle manifest, the hub's receipt, the
//! checks both sides run on them, and the rate/ETA arithmetic the box shows against the
//! deadline. Pure; the network and disk are in the parts below.
//!
//! - `bundle`: builds a bundle folder on the box (pages, record of the day, signed manifest).
//! - `tus_client`: the box's tus 1.0.0 client with resume, checksums and backoff.
//! - `server`: the hub's tus 1.0.0 server and the bundle finalize endpoint (axum router).
//! - `ops`: the use cases (send a bundle, keep the receipt, export, import from media);
//!   `store`: SQL of both sides; `cli`: `ppe edge upload|export`, `ppe hub import`.
//!
//! The manifest and receipt shapes travel, so they are defined in `protocol::bundle`.

pub mod bundle;
pub mod cli;
pub mod group_commit;
pub mod ops;
pub mod server;
pub mod store;
pub mod stream;
pub mod tus_client;

use std::time::Duration;

use serde::Serialize;

pub use crate::protocol::bundle::{
    AuditHead, Manifest, ManifestFile, Receipt, ReceiptBody, ReceiptFile, SignedManifest, MANIFEST_FORMAT, RECEIPT_FORMAT,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("формат описи `{0}` не поддерживается (ожидается {MANIFEST_FORMAT})")]
    ManifestFormat(String),
    /// A field of the wrong shape (named, its value never echoed).
    #[error("поле описи `{0}` заполнено неверно")]
    Malformed(&'static str),
    #[error("экзамена {0} нет в плане РЦОИ")]
    ExamNotInPlan(String),
    #[error("ППЭ {ppe_code} не назначен на экзамен {exam_id}")]
    NotAssigned { exam_id: String, ppe_code: String },
    #[error("в описи недопустимое имя файла `{0}`")]
    UnsafeFileName(String),
    #[error("в описи файл `{0}` указан дважды")]
    DuplicateFile(String),
    #[error("у ППЭ {0} нет зарегистрированного ключа станции (сначала ppe hub enroll)")]
    UnknownBox(String),
    #[error("подпись ППЭ под описью не сходится: опись изменена или подписана другим ключом")]
    BadBoxSignature,
    #[error("опись ППЭ {manifest}, а станция предъявила сертификат ППЭ {identity}")]
    WrongExamPoint { manifest: String, identity: String },
    #[error("файла `{name}` нет в РЦОИ")]
    MissingFile { name: String },
    /// What the hub found is kept for the caller's own use, never put in the message.
    #[error("файл `{name}`: размер не совпадает с описью ({expected})")]
    SizeMismatch { name: String, expected: u64, found: u64 },
    #[error("файл `{name}`: SHA-256 не совпадает с описью — файл изменён")]
    HashMismatch { name: String, expected: String, found: String },
    #[error("подпись РЦОИ под квитанцией не сходится")]
    BadReceiptSignature,
    #[error("квитанция выдана на другой пакет ({0})")]
    ReceiptForAnotherBundle(String),
    /// The key by phone: an offline activation the hub cannot match to a code it disclosed.
    #[error("{0}")]
    PhoneActivation(String),
}

impl UploadError {
    /// A stable code for JSON answers and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ManifestFormat(_) => "manifest_format",
            Self::Malformed(_) => "malformed_manifest",
            Self::ExamNotInPlan(_) => "exam_not_in_plan",
            Self::NotAssigned { .. } => "not_assigned",
            Self::UnsafeFileName(_) => "unsafe_file_name",
            Self::DuplicateFile(_) => "duplicate_file",
            Self::UnknownBox(_) => "unknown_box",
            Self::BadBoxSignature => "bad_box_signature",
            Self::WrongExamPoint { .. } => "wrong_exam_point",
            Self::MissingFile { .. } => "missing_file",
            Self::SizeMismatch { .. } => "size_mismatch",
            Self::HashMismatch { .. } => "hash_mismatch",
            Self::BadReceiptSignature => "bad_receipt_signature",
            Self::ReceiptForAnotherBundle(_) => "receipt_for_another_bundle",
            Self::PhoneActivation(_) => "phone_activation_unconfirmed",
        }
    }

    /// The operator's text (Russian).
    pub fn message_ru(&self) -> String {
        match self {
            Self::ManifestFormat(f) => format!("неизвестный формат пакета выгрузки «{f}»"),
            Self::Malformed(field) => format!("опись выгрузки повреждена: недопустимое значение поля «{field}»"),
            Self::ExamNotInPlan(e) => format!("экзамена {e} нет в плане РЦОИ: квитанция не выдаётся"),
            Self::NotAssigned { exam_id, ppe_code } => format!("ППЭ {ppe_code} не назначен на экзамен {exam_id}: квитанция не выдаётся"),
            Self::UnsafeFileName(n) => format!("недопустимое имя файла в описи: «{n}»"),
            Self::DuplicateFile(n) => format!("файл «{n}» указан в описи дважды"),
            Self::UnknownBox(p) => format!("для ППЭ {p} не зарегистрирован ключ станции: выполните регистрацию станции"),
            Self::BadBoxSignature => "подпись станции ППЭ под описью не сходится: опись изменена или подписана чужим ключом".into(),
            Self::WrongExamPoint { manifest, identity } => {
                format!("опись относится к ППЭ {manifest}, а станция подключилась как ППЭ {identity}")
            }
            Self::MissingFile { name } => format!("файл «{name}» не получен РЦОИ"),
            Self::SizeMismatch { name, expected, .. } => format!("файл «{name}»: размер не совпадает с описью ({expected} байт)"),
            Self::HashMismatch { name, .. } => format!("файл «{name}» изменён: контрольная сумма не совпадает с описью"),
            Self::BadReceiptSignature => "подпись РЦОИ под квитанцией не сходится".into(),
            Self::ReceiptForAnotherBundle(_) => "квитанция выдана на другой пакет".into(),
            Self::PhoneActivation(reason) => reason.clone(),
        }
    }
}

impl Manifest {
    /// Structural checks that need no keys or files.
    /// Every field is checked for shape before any is used (a hash never becomes a path, a
    /// size never an allocation); a malformed field is named, its value never echoed.
    pub fn check_shape(&self) -> Result<(), UploadError> {
        use crate::protocol::bundle::{is_code, is_sha256_hex, MAX_CODE_LEN, MAX_COUNTS, MAX_FILES, MAX_FILE_SIZE};
        let malformed = |field: &'static str| Err(UploadError::Malformed(field));
        if self.format != MANIFEST_FORMAT {
            if self.format.len() > MAX_CODE_LEN || !is_code(&self.format) {
                return malformed("format");
            }
            return Err(UploadError::ManifestFormat(self.format.clone()));
        }
        if !is_code(&self.exam_id) {
            return malformed("exam_id");
        }
        if !is_code(&self.ppe_code) {
            return malformed("ppe_code");
        }
        if self.created_at.len() > MAX_CODE_LEN || chrono::DateTime::parse_from_rfc3339(&self.created_at).is_err() {
            return malformed("created_at");
        }
        if self.files.len() > MAX_FILES {
            return malformed("files");
        }
        if self.counts.len() > MAX_COUNTS || !self.counts.keys().all(|k| is_code(k)) {
            return malformed("counts");
        }
        if self.audit_head.seq < 0 || !is_sha256_hex(&self.audit_head.hash) {
            return malformed("audit_head");
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in &self.files {
            // Too long or not printable: not repeated back, not written to the audit.
            if f.name.len() > 200 || f.name.chars().any(char::is_control) {
                return malformed("files.name");
            }
            if !is_safe_file_name(&f.name) {
                return Err(UploadError::UnsafeFileName(f.name.clone()));
            }
            if !is_code(&f.kind) {
                return malformed("files.kind");
            }
            if !is_sha256_hex(&f.sha256) {
                return malformed("files.sha256");
            }
            if f.size > MAX_FILE_SIZE {
                return malformed("files.size");
            }
            // A participant's own file names them (and only such files do).
            let own = crate::protocol::bundle::PARTICIPANT_FILE_KINDS.contains(&f.kind.as_str());
            if own != f.participant_id.is_some() || f.participant_id.as_deref().is_some_and(|p| !is_code(p)) {
                return malformed("files.participant_id");
            }
            if !seen.insert(f.name.as_str()) {
                return Err(UploadError::DuplicateFile(f.name.clone()));
            }
        }
        Ok(())
    }
}

/// A bundle file name: one path component of plain characters.
pub fn is_safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name != "."
        && name != ".."
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub fn sign_manifest(manifest: Manifest, box_key: &ring::signature::Ed25519KeyPair) -> SignedManifest {
    let box_signature_hex = crate::keys::sign_hex(box_key, &manifest.canonical_bytes());
    SignedManifest { manifest, box_signature_hex, offline_activations: None }
}

/// What the hub knows about one file it holds: its size and SHA-256, or nothing.
pub type HeldFile = Option<(u64, String)>;

/// The hub's verdict on a signed manifest, given the box's registered key, the identity the
/// request came with (mTLS; `None` for media), and a lookup of what the hub holds by hash.
pub fn verify_signed_manifest(
    signed: &SignedManifest,
    box_public_hex: Option<&str>,
    identity_ppe_code: Option<&str>,
    held: &mut dyn FnMut(&ManifestFile) -> HeldFile,
) -> Result<(), UploadError> {
    let m = &signed.manifest;
    m.check_shape()?;
    if let Some(identity) = identity_ppe_code {
        if identity != m.ppe_code {
            return Err(UploadError::WrongExamPoint { manifest: m.ppe_code.clone(), identity: identity.to_string() });
        }
    }
    let public = box_public_hex.ok_or_else(|| UploadError::UnknownBox(m.ppe_code.clone()))?;
    if !crate::keys::verify_ed25519(public, &m.canonical_bytes(), &signed.box_signature_hex) {
        return Err(UploadError::BadBoxSignature);
    }
    for f in &m.files {
        match held(f) {
            None => return Err(UploadError::MissingFile { name: f.name.clone() }),
            Some((size, _)) if size != f.size => return Err(UploadError::SizeMismatch { name: f.name.clone(), expected: f.size, found: size }),
            Some((_, hash)) if hash != f.sha256 => {
                return Err(UploadError::HashMismatch { name: f.name.clone(), expected: f.sha256.clone(), found: hash })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The receipt the hub signs for a verified manifest.
pub fn make_receipt(signed: &SignedManifest, received_at: &str, via: &str, hub_key: &ring::signature::Ed25519KeyPair) -> Receipt {
    let m = &signed.manifest;
    let receipt = ReceiptBody {
        format: RECEIPT_FORMAT.into(),
        exam_id: m.exam_id.clone(),
        ppe_code: m.ppe_code.clone(),
        manifest_sha256: m.sha256(),
        file_count: m.files.len() as u64,
        total_bytes: m.total_bytes(),
        audit_head: m.audit_head.clone(),
        received_at: received_at.to_string(),
        via: via.to_string(),
        participant_files: m
            .files
            .iter()
            .filter_map(|f| {
                let participant_id = f.participant_id.clone()?;
                Some(ReceiptFile { name: f.name.clone(), kind: f.kind.clone(), participant_id, sha256: f.sha256.clone(), size: f.size })
            })
            .collect(),
    };
    let hub_signature_hex = crate::keys::sign_hex(hub_key, &receipt.signed_bytes());
    Receipt { receipt, hub_signature_hex }
}

/// The box's check of a receipt: the pinned hub key signed it, and it is for this manifest.
pub fn verify_receipt(receipt: &Receipt, hub_public_hex: &str, manifest: &Manifest) -> Result<(), UploadError> {
    if !crate::keys::verify_ed25519(hub_public_hex, &receipt.receipt.signed_bytes(), &receipt.hub_signature_hex) {
        return Err(UploadError::BadReceiptSignature);
    }
    if receipt.receipt.manifest_sha256 != manifest.sha256() {
        return Err(UploadError::ReceiptForAnotherBundle(receipt.receipt.manifest_sha256.clone()));
    }
    Ok(())
}

/// Measured throughput over a sliding window, and the estimate against the deadline.
#[derive(Debug, Clone)]
pub struct RateMeter {
    window: Duration,
    /// (elapsed since start, cumulative bytes)
    samples: std::collections::VecDeque<(Duration, u64)>,
}

/// What the box shows while uploading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadEstimate {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub bytes_per_second: f64,
    /// `None` until a rate is measured.
    pub eta_seconds: Option<f64>,
    pub seconds_to_deadline: f64,
    /// The estimate of completion passes the deadline (or nothing moves and time runs out).
    pub alarm: bool,
}

impl RateMeter {
    pub fn new(window: Duration) -> Self {
        Self { window, samples: Default::default() }
    }

    /// A meter for a run that starts with `done` bytes already acknowledged: the rate counts
    /// from the run's start, so the time the first acknowledged bytes took is not left out
    /// (measured from the first acknowledgement, bytes that arrived together, as parallel
    /// files do, looked like a burst of speed and the ETA came out several times too short).
    pub fn starting_with(window: Duration, done: u64) -> Self {
        let mut meter = Self::new(window);
        meter.record(Duration::ZERO, done);
        meter
    }

    /// Records that `cumulative_bytes` were done `elapsed` after the start.
    pub fn record(&mut self, elapsed: Duration, cumulative_bytes: u64) {
        self.samples.push_back((elapsed, cumulative_bytes));
        // The last sample at or before the window's edge stays: it says what was done then.
        let edge = elapsed.saturating_sub(self.window);
        while self.samples.len() > 2 && self.samples.get(1).is_some_and(|(t, _)| *t <= edge) {
            self.samples.pop_front();
        }
    }

    /// Bytes per second over the last `window` (from the start while the run is shorter):
    /// acknowledged bytes are a step function of time, so the window starts at its edge with
    /// what was done then, not at the first sample inside it.
    pub fn bytes_per_second(&self) -> f64 {
        match (self.samples.front(), self.samples.back()) {
            (Some((t0, b0)), Some((t1, b1))) => {
                let from = (*t0).max(t1.saturating_sub(self.window));
                if *t1 > from {
                    (b1.saturating_sub(*b0)) as f64 / (*t1 - from).as_secs_f64()
                } else {
                    0.0
                }
            }
            _ => 0.0,
        }
    }

    /// The estimate given the total and the seconds left to the deadline.
    pub fn estimate(&self, bytes_total: u64, seconds_to_deadline: f64) -> UploadEstimate {
        let bytes_done = self.samples.back().map(|s| s.1).unwrap_or(0);
        let rate = self.bytes_per_second();
        let remaining = bytes_total.saturating_sub(bytes_done) as f64;
        let eta_seconds = if remaining == 0.0 {
            Some(0.0)
        } else if rate > 0.0 {
            Some(remaining / rate)
        } else {
            None
        };
        let alarm = match eta_seconds {
            Some(eta) => eta > seconds_to_deadline,
            None => seconds_to_deadline <= 0.0,
        };
        UploadEstimate { bytes_done, bytes_total, bytes_per_second: rate, eta_seconds, seconds_to_deadline, alarm }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn key() -> ring::signature::Ed25519KeyPair {
        crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap()
    }

    fn manifest() -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.into(),
            exam_id: "ege-02".into(),
            ppe_code: "0101".into(),
            created_at: "2027-05-27T08:00:00Z".into(),
            files: vec![
                ManifestFile { name: "a.pnm".into(), kind: "page".into(), sha256: "aa".repeat(32), size: 3, participant_id: None },
                ManifestFile { name: "record.json".into(), kind: "record".into(), sha256: "bb".repeat(32), size: 5, participant_id: None },
            ],
            counts: BTreeMap::from([("pages".to_string(), 1)]),
            audit_head: AuditHead { seq: 4, hash: "cc".repeat(32) },
        }
    }

    fn holds_all(f: &ManifestFile) -> HeldFile {
        Some((f.size, f.sha256.clone()))
    }

    #[test]
    fn signed_manifest_verifies_and_every_tamper_is_named() {
        let k = key();
        let public = crate::keys::ed25519_public_hex(&k);
        let signed = sign_manifest(manifest(), &k);
        assert_eq!(verify_signed_manifest(&signed, Some(&public), Some("0101"), &mut holds_all), Ok(()));

        let mut altered = signed.clone();
        altered.manifest.counts.insert("pages".into(), 2);
        assert_eq!(verify_signed_manifest(&altered, Some(&public), None, &mut holds_all), Err(UploadError::BadBoxSignature));

        assert_eq!(verify_signed_manifest(&signed, Some(&public), Some("0202"), &mut holds_all).unwrap_err().code(), "wrong_exam_point");
        assert_eq!(verify_signed_manifest(&signed, None, None, &mut holds_all).unwrap_err().code(), "unknown_box");
        let mut missing = |f: &ManifestFile| if f.name == "a.pnm" { None } else { holds_all(f) };
        assert_eq!(verify_signed_manifest(&signed, Some(&public), None, &mut missing).unwrap_err().code(), "missing_file");
        let mut changed = |f: &ManifestFile| Some((f.size, "ff".to_string()));
        assert_eq!(verify_signed_manifest(&signed, Some(&public), None, &mut changed).unwrap_err().code(), "hash_mismatch");
        let mut shorter = |f: &ManifestFile| Some((f.size - 1, f.sha256.clone()));
        assert_eq!(verify_signed_manifest(&signed, Some(&public), None, &mut shorter).unwrap_err().code(), "size_mismatch");
    }

    #[test]
    fn unsafe_names_and_duplicates_are_refused() {
        for bad in ["../x", "a/b", ".hidden", "", "..", "имя"] {
            let mut m = manifest();
            m.files[0].name = bad.into();
            assert_eq!(m.check_shape().unwrap_err().code(), "unsafe_file_name", "{bad}");
        }
        let mut m = manifest();
        m.files[1].name = "a.pnm".into();
        assert_eq!(m.check_shape().unwrap_err().code(), "duplicate_file");
    }

    #[test]
    fn every_manifest_field_of_the_wrong_shape_is_refused_by_name_without_its_value() {
        type Tamper = fn(&mut Manifest);
        let cases: [(&str, Tamper); 14] = [
            ("files.name", |m| m.files[0].name = "a".repeat(201)),
            ("files.name", |m| m.files[0].name = "a\u{1b}[2J".into()),
            ("files.sha256", |m| m.files[0].sha256 = "../../keys/ca.key".into()),
            ("files.sha256", |m| m.files[0].sha256 = "/dev/zero".into()),
            ("files.sha256", |m| m.files[0].sha256 = "AA".repeat(32)),
            ("files.sha256", |m| m.files[0].sha256 = "aa".repeat(33)),
            ("files.size", |m| m.files[0].size = u64::MAX),
            ("files.kind", |m| m.files[0].kind = "page/../x".into()),
            ("exam_id", |m| m.exam_id = "../ege".into()),
            ("ppe_code", |m| m.ppe_code = String::new()),
            ("created_at", |m| m.created_at = "yesterday".into()),
            ("audit_head", |m| m.audit_head.hash = "cc".into()),
            ("counts", |m| {
                m.counts.insert("a b".into(), 1);
            }),
            ("format", |m| m.format = "x\n".repeat(40)),
        ];
        assert_eq!(manifest().check_shape(), Ok(()));
        for (field, tamper) in cases {
            let mut m = manifest();
            tamper(&mut m);
            let e = m.check_shape().unwrap_err();
            assert_eq!(e, UploadError::Malformed(field), "{field}");
            assert!(!e.to_string().contains("..") && !e.message_ru().contains(".."), "no value echoed: {e}");
        }
        let mut size = manifest();
        size.files[0].size = crate::protocol::bundle::MAX_FILE_SIZE;
        assert_eq!(size.check_shape(), Ok(()), "the limit itself is allowed");
    }

    #[test]
    fn a_participants_recording_names_them_is_verified_like_a_page_and_listed_on_the_receipt() {
        let (k, hub) = (key(), key());
        let public = crate::keys::ed25519_public_hex(&k);
        let recording = ManifestFile {
            name: format!("{}.wav", "dd".repeat(32)),
            kind: "recording".into(),
            sha256: "dd".repeat(32),
            size: 7,
            participant_id: Some("P0000001".into()),
        };
        let mut m = manifest();
        m.files.push(recording.clone());
        assert_eq!(m.check_shape(), Ok(()));
        let signed = sign_manifest(m.clone(), &k);
        assert_eq!(verify_signed_manifest(&signed, Some(&public), None, &mut holds_all), Ok(()));
        let mut without_it = |f: &ManifestFile| if f.kind == "recording" { None } else { holds_all(f) };
        assert_eq!(verify_signed_manifest(&signed, Some(&public), None, &mut without_it).unwrap_err().code(), "missing_file");
        let mut cut = |f: &ManifestFile| if f.kind == "recording" { Some((f.size - 1, f.sha256.clone())) } else { holds_all(f) };
        assert_eq!(verify_signed_manifest(&signed, Some(&public), None, &mut cut).unwrap_err().code(), "size_mismatch");
        let receipt = make_receipt(&signed, "2027-05-27T09:00:00Z", "upload", &hub);
        assert_eq!(receipt.receipt.participant_files.len(), 1);
        assert_eq!(receipt.receipt.participant_files[0].sha256, recording.sha256);
        assert_eq!(receipt.receipt.participant_files[0].participant_id, "P0000001");
        assert_eq!(verify_receipt(&receipt, &crate::keys::ed25519_public_hex(&hub), &signed.manifest), Ok(()));
        // A participant's file must name them, and only such files name anyone.
        type Tamper = fn(&mut ManifestFile);
        let cases: [Tamper; 3] = [|f| f.participant_id = None, |f| f.participant_id = Some("../P1".into()), |f| f.kind = "page".into()];
        for tamper in cases {
            let mut bad = m.clone();
            tamper(bad.files.last_mut().unwrap());
            assert_eq!(bad.check_shape(), Err(UploadError::Malformed("files.participant_id")));
        }
        // Manifests and receipts without participants' files sign the bytes they always did.
        let plain = serde_json::to_string(&manifest()).unwrap();
        assert!(!plain.contains("participant_id"), "{plain}");
        let plain_receipt = make_receipt(&sign_manifest(manifest(), &k), "2027-05-27T09:00:00Z", "upload", &hub);
        assert!(!String::from_utf8(plain_receipt.receipt.signed_bytes()).unwrap().contains("participant_files"));
    }

    #[test]
    fn a_size_or_hash_mismatch_never_names_what_the_hub_found() {
        let e = UploadError::SizeMismatch { name: "a.pnm".into(), expected: 3, found: 4096 };
        let h = UploadError::HashMismatch { name: "a.pnm".into(), expected: "aa".repeat(32), found: "ff".repeat(32) };
        for text in [e.to_string(), e.message_ru(), h.to_string(), h.message_ru()] {
            assert!(!text.contains("4096") && !text.contains("ffff"), "{text}");
        }
    }

    #[test]
    fn receipt_verifies_only_with_hub_key_and_for_its_manifest() {
        let hub = key();
        let signed = sign_manifest(manifest(), &key());
        let receipt = make_receipt(&signed, "2027-05-27T09:00:00Z", "upload", &hub);
        let hub_public = crate::keys::ed25519_public_hex(&hub);
        assert_eq!(verify_receipt(&receipt, &hub_public, &signed.manifest), Ok(()));
        assert_eq!(receipt.receipt.total_bytes, 8);
        assert_eq!(verify_receipt(&receipt, &crate::keys::ed25519_public_hex(&key()), &signed.manifest), Err(UploadError::BadReceiptSignature));
        let mut other = manifest();
        other.created_at = "later".into();
        assert_eq!(verify_receipt(&receipt, &hub_public, &other).unwrap_err().code(), "receipt_for_another_bundle");
    }

    #[test]
    fn rate_and_eta_raise_the_alarm_when_the_estimate_passes_the_deadline() {
        let mut m = RateMeter::new(Duration::from_secs(30));
        m.record(Duration::from_secs(0), 0);
        m.record(Duration::from_secs(10), 1000);
        let e = m.estimate(11_000, 200.0);
        assert!((e.bytes_per_second - 100.0).abs() < 1e-9);
        assert_eq!(e.eta_seconds, Some(100.0));
        assert!(!e.alarm);
        assert!(m.estimate(11_000, 50.0).alarm);
        // No measured rate: alarm only once the deadline has passed.
        let idle = RateMeter::new(Duration::from_secs(30));
        assert!(!idle.estimate(10, 5.0).alarm);
        assert!(idle.estimate(10, 0.0).alarm);
        // Old samples leave the window, so the rate follows the link.
        m.record(Duration::from_secs(100), 1000);
        m.record(Duration::from_secs(110), 1000);
        assert_eq!(m.bytes_per_second(), 0.0);
    }

    #[test]
    fn bytes_acknowledged_together_are_not_a_burst_of_speed() {
        // Eight files of 10 kB share a 1 kB/s link and are acknowledged within a second, 80 s
        // after the start: the rate is 1 kB/s, not 70 kB per second between the first and the
        // last acknowledgement.
        let mut m = RateMeter::starting_with(Duration::from_secs(300), 0);
        for i in 0..8u64 {
            m.record(Duration::from_millis(80_000 + i * 100), (i + 1) * 10_000);
        }
        let rate = m.bytes_per_second();
        assert!((rate - 80_000.0 / 80.7).abs() < 1.0, "{rate}");
        assert!((m.estimate(160_000, 1e9).eta_seconds.unwrap() - 80.7).abs() < 0.5);
        // Bytes already there when the run began are not this run's progress.
        let mut resumed = RateMeter::starting_with(Duration::from_secs(30), 500_000);
        resumed.record(Duration::from_secs(10), 510_000);
        assert!((resumed.bytes_per_second() - 1000.0).abs() < 1e-9);
        // Past the window, the rate is what arrived in the window's last seconds, counted from
        // its edge (the bytes done then), not from the first sample inside it.
        let mut w = RateMeter::starting_with(Duration::from_secs(10), 0);
        w.record(Duration::from_secs(5), 5_000);
        w.record(Duration::from_secs(19), 5_000);
        w.record(Duration::from_secs(20), 8_000);
        assert!((w.bytes_per_second() - 300.0).abs() < 1e-9, "{}", w.bytes_per_second());
    }
}

/// The box's receipt store, as the retention wipe's proof that РЦОИ holds the exam's data:
/// personal data may go only once a hub-signed receipt for this exam point is stored.
pub struct HeldReceipts;

impl crate::retention::ReceiptCheck for HeldReceipts {
    fn receipt_status(&self, conn: &crate::store::Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<crate::retention::ReceiptStatus> {
        use crate::retention::ReceiptStatus;
        let Some((_, json)) = store::receipt_latest(conn, exam_id)? else { return Ok(ReceiptStatus::Missing) };
        let receipt: Receipt = serde_json::from_str(&json)?;
        Ok(if receipt.receipt.ppe_code == ppe_code && receipt.receipt.exam_id == exam_id { ReceiptStatus::Held } else { ReceiptStatus::Missing })
    }
}
