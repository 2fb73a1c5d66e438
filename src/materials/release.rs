//! The key-release rule: whether the hub may hand a package key to the box asking for it.
//! Pure: the caller gathers the facts (the plan, the box's registered key, the latest
//! package, the hub clock) and the hub server only carries out the verdict.

use chrono::{DateTime, Utc};

use crate::gek::{judge_proof, judge_proof_with, ProofFacts, ProofRefusal};
use crate::model::{ExamId, PpeCode};
use crate::protocol::key::KeyRequest;

/// Why a key is not released; the hub logs each one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRefusal {
    OtherExamPoint { caller: PpeCode, asked: PpeCode },
    UnknownExam,
    NotAssigned,
    NotPublished,
    BadRequestSignature,
    TooEarly { opens: DateTime<Utc> },
    TooLate { closed: DateTime<Utc> },
    /// No ГЭК member's proof in the request (the specialist alone asks).
    GekMissing,
    /// The named member has no active credential enrolled by РЦОИ.
    GekUnknown,
    /// The member is not a ГЭК member assigned to this point on the exam's date.
    GekNotAssigned,
    /// The proof's signature does not verify with the member's enrolled credential.
    GekBadProof,
    /// The challenge was used already, expired, or was never issued to this box for this exam.
    GekChallengeUsed,
}

impl From<ProofRefusal> for KeyRefusal {
    fn from(r: ProofRefusal) -> Self {
        match r {
            ProofRefusal::Missing => Self::GekMissing,
            ProofRefusal::Unknown => Self::GekUnknown,
            ProofRefusal::NotAssigned => Self::GekNotAssigned,
            ProofRefusal::BadProof => Self::GekBadProof,
            ProofRefusal::ChallengeUsed => Self::GekChallengeUsed,
        }
    }
}

impl KeyRefusal {
    /// The stable code the hub answers and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OtherExamPoint { .. } => "other_exam_point",
            Self::UnknownExam => "unknown_exam",
            Self::NotAssigned => "not_assigned",
            Self::NotPublished => "not_published",
            Self::BadRequestSignature => "bad_signature",
            Self::TooEarly { .. } => "window_not_open",
            Self::TooLate { .. } => "window_closed",
            Self::GekMissing => "gek_missing",
            Self::GekUnknown => "gek_unknown",
            Self::GekNotAssigned => "gek_not_assigned",
            Self::GekBadProof => "gek_bad_proof",
            Self::GekChallengeUsed => "gek_challenge_used",
        }
    }

    /// Not found (404) rather than forbidden (403).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::UnknownExam | Self::NotPublished)
    }

    /// The reason for the box's operator (Russian).
    pub fn message_ru(&self) -> String {
        match self {
            Self::OtherExamPoint { caller, asked } => format!("ППЭ {caller} запросил ключ от имени ППЭ {asked}"),
            Self::UnknownExam => "экзамен не найден в плане РЦОИ".into(),
            Self::NotAssigned => "ППЭ не назначен на этот экзамен".into(),
            Self::NotPublished => "пакет для этого ППЭ не опубликован".into(),
            Self::BadRequestSignature => "подпись запроса не совпадает с ключом ППЭ".into(),
            Self::TooEarly { opens } => format!("окно выдачи ключей ещё не открыто (откроется {} по времени РЦОИ)", opens.to_rfc3339()),
            Self::TooLate { closed } => format!("окно выдачи ключей закрыто {} по времени РЦОИ", closed.to_rfc3339()),
            Self::GekMissing => "ключ выдаётся только по личному ключу члена ГЭК: `ppe edge activate --exam … --gek-key ФАЙЛ`".into(),
            Self::GekUnknown => "у этого члена ГЭК нет действующего ключа, выпущенного РЦОИ".into(),
            Self::GekNotAssigned => "член ГЭК не назначен в этот ППЭ на дату экзамена".into(),
            Self::GekBadProof => "подпись члена ГЭК не совпадает с ключом, выпущенным РЦОИ".into(),
            Self::GekChallengeUsed => "одноразовый запрос РЦОИ уже использован или устарел: повторите активацию".into(),
        }
    }
}

/// The window rule: the caller asks for itself, its exam point is assigned to the exam, and
/// the hub's clock is inside the materials window `[open, close)`.
pub fn judge_key_request(caller: &PpeCode, asked: &PpeCode, assigned: bool, window: (DateTime<Utc>, DateTime<Utc>), hub_now: DateTime<Utc>) -> Result<(), KeyRefusal> {
    if caller != asked {
        return Err(KeyRefusal::OtherExamPoint { caller: caller.clone(), asked: asked.clone() });
    }
    if !assigned {
        return Err(KeyRefusal::NotAssigned);
    }
    if hub_now < window.0 {
        return Err(KeyRefusal::TooEarly { opens: window.0 });
    }
    if hub_now >= window.1 {
        return Err(KeyRefusal::TooLate { closed: window.1 });
    }
    Ok(())
}

/// What the hub knows when a box asks for a key.
pub struct KeyRequestFacts<'a, P> {
    /// The exam point proven by the caller's client certificate.
    pub caller: &'a PpeCode,
    /// The exam of the request's path.
    pub exam_id: &'a ExamId,
    pub request: &'a KeyRequest,
    /// The exam's materials window, `None` if the plan has no such exam (or no window).
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The caller's exam point is assigned to the exam in the plan.
    pub assigned: bool,
    /// The caller's registered signing key (hex), if it is enrolled.
    pub box_signing_key: Option<&'a str>,
    /// The latest package published for the exam and the caller.
    pub package: Option<P>,
    pub hub_now: DateTime<Utc>,
    /// What the hub knows of the ГЭК member the request's proof names.
    pub gek: ProofFacts<'a>,
    /// A security key's assertion in the proof verified (`gek::webauthn::verify_assertion`,
    /// over a challenge bound to this member and this request's `box_public`).
    pub security_key_verified: bool,
    /// The package asked for: a КИМ key needs a ГЭК member's proof, a documents key does not
    /// (its window is the documents' own, `PackageKind::window`).
    pub kind: crate::materials::PackageKind,
}

/// The whole rule, in the order the refusals are reported: the exam, the window rule, the
/// request's signature by the enrolled box key, the ГЭК member's proof (`gek::judge_proof`:
/// present, enrolled, assigned, signed over this request, a fresh challenge), a published
/// package.
pub fn decide_key_release<P>(facts: KeyRequestFacts<'_, P>) -> Result<P, KeyRefusal> {
    if facts.request.exam_id != *facts.exam_id {
        return Err(KeyRefusal::UnknownExam);
    }
    let window = facts.window.ok_or(KeyRefusal::UnknownExam)?;
    judge_key_request(facts.caller, &facts.request.ppe_code, facts.assigned, window, facts.hub_now)?;
    let key = facts.box_signing_key.ok_or(KeyRefusal::BadRequestSignature)?;
    if !facts.request.verify(key) {
        return Err(KeyRefusal::BadRequestSignature);
    }
    let request = facts.request;
    if !facts.kind.needs_gek() {
        return facts.package.ok_or(KeyRefusal::NotPublished);
    }
    if request.gek.as_ref().is_some_and(|p| p.webauthn.is_some()) {
        let verified = facts.security_key_verified;
        judge_proof_with(Some(|c: &crate::gek::GekCredential| c.kind == crate::gek::CredentialKind::WebAuthn && verified), &facts.gek)?;
    } else {
        let proof = request.gek.as_ref().map(|p| (crate::gek::proof_message(&p.worker_id, &request.exam_id, &request.ppe_code, &p.challenge, &request.box_public), p.signature.as_str()));
        judge_proof(proof.as_ref().map(|(m, s)| (m.as_slice(), *s)), &facts.gek)?;
    }
    facts.package.ok_or(KeyRefusal::NotPublished)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        crate::materials::parse_time(s).unwrap()
    }

    #[test]
    fn key_is_judged_by_caller_assignment_and_hub_window() {
        let w = (t("2027-05-27T02:00:00Z"), t("2027-05-27T04:00:00Z"));
        let (a, b) = (PpeCode::from("0101"), PpeCode::from("0202"));
        assert!(judge_key_request(&a, &a, true, w, t("2027-05-27T02:00:00Z")).is_ok());
        assert!(matches!(judge_key_request(&a, &a, true, w, t("2027-05-27T01:59:59Z")), Err(KeyRefusal::TooEarly { .. })));
        assert!(matches!(judge_key_request(&a, &a, true, w, t("2027-05-27T04:00:00Z")), Err(KeyRefusal::TooLate { .. })));
        assert!(matches!(judge_key_request(&a, &a, false, w, t("2027-05-27T03:00:00Z")), Err(KeyRefusal::NotAssigned)));
        assert!(matches!(judge_key_request(&a, &b, true, w, t("2027-05-27T03:00:00Z")), Err(KeyRefusal::OtherExamPoint { .. })));
    }

    #[test]
    fn release_needs_the_exam_the_window_the_box_signature_a_gek_proof_and_a_package_in_that_order() {
        let box_key = crate::materials::tests::hub_key();
        let public = crate::keys::ed25519_public_hex(&box_key);
        let stranger = crate::keys::ed25519_public_hex(&crate::materials::tests::hub_key());
        let mut pending = crate::materials::wrap::key_request(&box_key, "ege-02", "0101", "t").unwrap();
        let member = crate::materials::tests::hub_key();
        let credential = crate::gek::GekCredential {
            worker_id: "G1".into(),
            kind: crate::gek::CredentialKind::KeyFile,
            public_key: crate::keys::ed25519_public_hex(&member),
            enrolled_by: "rcoi".into(),
            enrolled_at: "t".into(),
            revoked_at: None,
        };
        let signature = crate::keys::sign_hex(&member, &pending.gek_proof_message("G1", "c1"));
        let unproven = pending.request.clone();
        pending.request.gek = Some(crate::protocol::key::GekProof { worker_id: "G1".into(), challenge: "c1".into(), signature, webauthn: None });
        let mut moved = pending.request.clone();
        moved.gek.as_mut().unwrap().challenge = "c2".into();
        let fresh = ProofFacts { credential: Some(&credential), assigned: true, challenge: crate::gek::ChallengeState::Fresh };
        let (caller, ege, oge) = (PpeCode::from("0101"), ExamId::from("ege-02"), ExamId::from("oge-01"));
        let base = || KeyRequestFacts {
            caller: &caller,
            exam_id: &ege,
            request: &pending.request,
            window: Some((t("2027-05-27T02:00:00Z"), t("2027-05-27T04:00:00Z"))),
            assigned: true,
            box_signing_key: Some(public.as_str()),
            package: Some(7u32),
            hub_now: t("2027-05-27T03:00:00Z"),
            gek: fresh.clone(),
            security_key_verified: false,
            kind: crate::materials::PackageKind::Kim,
        };
        assert_eq!(decide_key_release(base()), Ok(7));
        assert_eq!(decide_key_release(KeyRequestFacts { exam_id: &oge, ..base() }), Err(KeyRefusal::UnknownExam), "path and body disagree");
        assert_eq!(decide_key_release(KeyRequestFacts { window: None, ..base() }), Err(KeyRefusal::UnknownExam));
        assert_eq!(decide_key_release(KeyRequestFacts { box_signing_key: None, ..base() }), Err(KeyRefusal::BadRequestSignature), "not enrolled");
        assert_eq!(decide_key_release(KeyRequestFacts { box_signing_key: Some(stranger.as_str()), ..base() }), Err(KeyRefusal::BadRequestSignature));
        assert_eq!(decide_key_release(KeyRequestFacts { package: None, ..base() }), Err(KeyRefusal::NotPublished));
        assert_eq!(decide_key_release(KeyRequestFacts { request: &unproven, ..base() }), Err(KeyRefusal::GekMissing), "the specialist alone");
        assert_eq!(decide_key_release(KeyRequestFacts { request: &moved, ..base() }), Err(KeyRefusal::GekBadProof), "a proof over another challenge");
        assert_eq!(decide_key_release(KeyRequestFacts { gek: ProofFacts { assigned: false, ..fresh.clone() }, ..base() }).unwrap_err().code(), "gek_not_assigned");
        assert_eq!(decide_key_release(KeyRequestFacts { gek: ProofFacts { credential: None, ..fresh.clone() }, ..base() }).unwrap_err().code(), "gek_unknown");
        let spent = ProofFacts { challenge: crate::gek::ChallengeState::Spent, ..fresh.clone() };
        assert_eq!(decide_key_release(KeyRequestFacts { gek: spent, ..base() }).unwrap_err().code(), "gek_challenge_used");
        assert_eq!(decide_key_release(KeyRequestFacts { request: &unproven, package: None, ..base() }), Err(KeyRefusal::GekMissing), "the proof is judged before the package");
        // A security key's proof counts only verified, and only against a security key.
        let mut tapped = pending.request.clone();
        tapped.gek = Some(crate::protocol::key::GekProof { worker_id: "G1".into(), challenge: "c1".into(), signature: String::new(), webauthn: Some("{}".into()) });
        let passkey = crate::gek::GekCredential { kind: crate::gek::CredentialKind::WebAuthn, ..credential.clone() };
        let with_key = ProofFacts { credential: Some(&passkey), ..fresh.clone() };
        assert_eq!(decide_key_release(KeyRequestFacts { request: &tapped, gek: with_key.clone(), security_key_verified: true, ..base() }), Ok(7));
        assert_eq!(decide_key_release(KeyRequestFacts { request: &tapped, gek: with_key.clone(), ..base() }).unwrap_err().code(), "gek_bad_proof", "not verified");
        assert_eq!(decide_key_release(KeyRequestFacts { request: &tapped, security_key_verified: true, ..base() }).unwrap_err().code(), "gek_bad_proof", "a key file is no security key");
        let spent = ProofFacts { challenge: crate::gek::ChallengeState::Spent, ..with_key };
        assert_eq!(decide_key_release(KeyRequestFacts { request: &tapped, gek: spent, security_key_verified: true, ..base() }).unwrap_err().code(), "gek_challenge_used", "replayed");
        let late = KeyRequestFacts { hub_now: t("2027-05-27T04:00:00Z"), box_signing_key: None, package: None, ..base() };
        assert_eq!(decide_key_release(late).unwrap_err().code(), "window_closed", "the window is judged before the signature");
    }

    #[test]
    fn a_documents_key_needs_no_gek_member_but_its_own_window_the_assignment_and_the_box_signature() {
        use crate::materials::PackageKind::Documents;
        let box_key = crate::materials::tests::hub_key();
        let public = crate::keys::ed25519_public_hex(&box_key);
        let scope = ExamId::from("is-9~documents");
        let pending = crate::materials::wrap::key_request(&box_key, &scope, "0101", "t").unwrap();
        let caller = PpeCode::from("0101");
        let none = ProofFacts { credential: None, assigned: false, challenge: crate::gek::ChallengeState::Spent };
        let base = |now: &str| KeyRequestFacts {
            caller: &caller,
            exam_id: &scope,
            request: &pending.request,
            window: Some((t("2024-02-07T03:00:00Z"), t("2024-02-14T10:30:00Z"))),
            assigned: true,
            box_signing_key: Some(public.as_str()),
            package: Some(1u32),
            hub_now: t(now),
            gek: none.clone(),
            security_key_verified: false,
            kind: Documents,
        };
        assert_eq!(decide_key_release(base("2024-02-07T02:59:59Z")).unwrap_err().code(), "window_not_open", "before its moment");
        assert_eq!(decide_key_release(base("2024-02-07T03:00:00Z")), Ok(1), "from its moment, without a ГЭК member");
        assert_eq!(decide_key_release(base("2024-02-14T10:30:00Z")).unwrap_err().code(), "window_closed", "not after the exam's end");
        assert_eq!(decide_key_release(KeyRequestFacts { assigned: false, ..base("2024-02-08T00:00:00Z") }), Err(KeyRefusal::NotAssigned));
        assert_eq!(decide_key_release(KeyRequestFacts { box_signing_key: None, ..base("2024-02-08T00:00:00Z") }), Err(KeyRefusal::BadRequestSignature));
        assert_eq!(decide_key_release(KeyRequestFacts { package: None, ..base("2024-02-08T00:00:00Z") }), Err(KeyRefusal::NotPublished));
        let kim = KeyRequestFacts { kind: crate::materials::PackageKind::Kim, ..base("2024-02-08T00:00:00Z") };
        assert_eq!(decide_key_release(kim), Err(KeyRefusal::GekMissing), "the same request for a КИМ key needs the member");
    }
}
