//! The ГЭК member's own credential (DESIGN.md §4 "ГЭК control", DOMAIN.md §7): РЦОИ enrols
//! it on the hub, the point's staff can neither create nor reset it, and the hub releases a
//! package key only against a proof made with it by a ГЭК member assigned to that exam point
//! on the exam's date. Pure rules here: the credential kinds, the exact bytes a proof signs,
//! the assignment rule and the check of a proof; `gek/keyfile.rs` the PIN-protected key file
//! (the CLI's credential), `gek/store.rs` the hub's tables, `gek/ops.rs` the use cases,
//! `gek/cli.rs` `ppe hub gek enroll|list|revoke`.

pub mod cli;
pub mod keyfile;
pub mod ops;
pub mod store;
pub mod webauthn;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Plan, WorkerRole};

/// How long a challenge the hub hands a box stays good for one proof.
pub const CHALLENGE_MINUTES: i64 = 5;

/// The kinds of personal credential a ГЭК member may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// An Ed25519 key in a file sealed under the member's PIN (`ppe hub gek enroll`).
    KeyFile,
    /// A hardware security key (WebAuthn passkey) registered on the dashboard (`gek/webauthn.rs`).
    WebAuthn,
}

impl CredentialKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::KeyFile => "key_file",
            Self::WebAuthn => "webauthn",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "key_file" => Some(Self::KeyFile),
            "webauthn" => Some(Self::WebAuthn),
            _ => None,
        }
    }
}

/// An enrolled credential as the hub keeps it: only the public part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GekCredential {
    pub worker_id: String,
    pub kind: CredentialKind,
    /// Ed25519 public key, lowercase hex (a key file); the webauthn-rs passkey as JSON (a
    /// security key).
    pub public_key: String,
    pub enrolled_by: String,
    pub enrolled_at: String,
    pub revoked_at: Option<String>,
}

const PROOF_DOMAIN: &[u8] = b"ppe-gek-key-release-v1\n";

#[derive(Serialize)]
struct ProofSigned<'a> {
    worker_id: &'a str,
    exam_id: &'a str,
    ppe_code: &'a str,
    challenge: &'a str,
    box_public: &'a str,
}

/// The exact bytes a ГЭК member's credential signs to release one key: domain-separated, and
/// binding the member, the exam, the exam point, the hub's one-time challenge and the box's
/// ephemeral X25519 public key of this very request (so a proof cannot be replayed, moved to
/// another point or exam, or spliced onto a request whose key a proxy holds).
pub fn proof_message(worker_id: &str, exam_id: &str, ppe_code: &str, challenge: &str, box_public: &str) -> Vec<u8> {
    let body = ProofSigned { worker_id, exam_id, ppe_code, challenge, box_public };
    let mut out = PROOF_DOMAIN.to_vec();
    // Field order is the struct's; serde_json writes it deterministically.
    out.extend(serde_json::to_vec(&body).unwrap_or_default());
    out
}

/// A ГЭК member assigned to this exam point on this date: a worker of the plan with the ГЭК
/// role and an assignment (main or reserve) to `ppe_code` on `date` (`ГГГГ.ММ.ДД`).
pub fn is_assigned_gek_member(plan: &Plan, worker_id: &str, ppe_code: &str, date: &str) -> bool {
    is_plan_worker_with_role(plan, worker_id, WorkerRole::GekMember)
        && plan.worker_assignments.iter().any(|a| a.worker_id == worker_id && a.ppe_code == ppe_code && a.date == date)
}

/// The worker is in the plan and holds `role` there.
pub fn is_plan_worker_with_role(plan: &Plan, worker_id: &str, role: WorkerRole) -> bool {
    plan.workers.iter().any(|w| w.worker_id == worker_id && w.roles.contains(&role))
}

/// What the hub found about a presented challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeState {
    /// Issued to this box for this exam, unused and unexpired.
    Fresh,
    /// Already used once, expired, unknown, or issued to another box or exam.
    Spent,
}

/// Whether a challenge row is good for one proof by `ppe_code` for `exam_id` at `now`.
pub fn challenge_state(row: Option<(&str, &str, DateTime<Utc>, bool)>, ppe_code: &str, exam_id: &str, now: DateTime<Utc>) -> ChallengeState {
    match row {
        Some((ppe, exam, expires, used)) if ppe == ppe_code && exam == exam_id && now < expires && !used => ChallengeState::Fresh,
        _ => ChallengeState::Spent,
    }
}

/// Why a ГЭК proof does not count (the hub answers the code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofRefusal {
    Missing,
    Unknown,
    NotAssigned,
    BadProof,
    ChallengeUsed,
}

/// What the hub knows about the ГЭК member named in a key request.
#[derive(Debug, Clone)]
pub struct ProofFacts<'a> {
    /// The member's active (not revoked) credential, if РЦОИ enrolled one.
    pub credential: Option<&'a GekCredential>,
    /// The member is a ГЭК member assigned to the caller's point on the exam's date.
    pub assigned: bool,
    pub challenge: ChallengeState,
}

/// The proof rule, in the order refusals are reported: a proof at all, an enrolled
/// credential, the assignment, the signature over [`proof_message`], a fresh challenge.
pub fn judge_proof(signed_message: Option<(&[u8], &str)>, facts: &ProofFacts<'_>) -> Result<(), ProofRefusal> {
    let verify = signed_message.map(|(message, signature)| move |c: &GekCredential| c.kind == CredentialKind::KeyFile && crate::keys::verify_ed25519(&c.public_key, message, signature));
    judge_proof_with(verify, facts)
}

/// [`judge_proof`] with the credential's own check: `verify` says whether the presented proof
/// is good for the enrolled credential (a signature for a key file, an assertion already
/// verified by `gek::webauthn` for a security key); `None` when the request carries no proof.
pub fn judge_proof_with(verify: Option<impl FnOnce(&GekCredential) -> bool>, facts: &ProofFacts<'_>) -> Result<(), ProofRefusal> {
    let verify = verify.ok_or(ProofRefusal::Missing)?;
    let credential = facts.credential.filter(|c| c.revoked_at.is_none()).ok_or(ProofRefusal::Unknown)?;
    if !facts.assigned {
        return Err(ProofRefusal::NotAssigned);
    }
    if !verify(credential) {
        return Err(ProofRefusal::BadProof);
    }
    if facts.challenge != ChallengeState::Fresh {
        return Err(ProofRefusal::ChallengeUsed);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Worker, WorkerAssignment};

    fn t(s: &str) -> DateTime<Utc> {
        crate::clock::parse_now(s).unwrap()
    }

    pub(crate) fn plan() -> Plan {
        let worker = |id: &str, role| Worker {
            worker_id: id.into(),
            surname: "Иванова".into(),
            name: "Анна".into(),
            patronymic: String::new(),
            birth_year: 1980,
            phone: String::new(),
            email: String::new(),
            snils: String::new(),
            doc_type: crate::model::DocType::PassportRf,
            doc_series: String::new(),
            doc_number: "000001".into(),
            workplace: String::new(),
            workplace_school_code: String::new(),
            position: String::new(),
            specializations: Vec::new(),
            roles: vec![role],
            forbidden_subjects: Vec::new(),
        };
        Plan {
            workers: vec![worker("G1", WorkerRole::GekMember), worker("T1", WorkerRole::TechSpecialist)],
            worker_assignments: vec![
                WorkerAssignment { worker_id: "G1".into(), ppe_code: "0101".into(), date: "2027.05.27".into(), reserve: false },
                WorkerAssignment { worker_id: "T1".into(), ppe_code: "0101".into(), date: "2027.05.27".into(), reserve: false },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn only_a_gek_member_assigned_to_this_point_on_this_date_counts() {
        let p = plan();
        assert!(is_assigned_gek_member(&p, "G1", "0101", "2027.05.27"));
        assert!(!is_assigned_gek_member(&p, "G1", "0102", "2027.05.27"), "another point");
        assert!(!is_assigned_gek_member(&p, "G1", "0101", "2027.05.28"), "another date");
        assert!(!is_assigned_gek_member(&p, "T1", "0101", "2027.05.27"), "not a ГЭК member");
        assert!(!is_assigned_gek_member(&p, "X9", "0101", "2027.05.27"), "not in the plan");
    }

    #[test]
    fn the_proof_message_binds_every_field_and_is_domain_separated() {
        let base = proof_message("G1", "ege-02", "0101", "c1", "b1");
        assert!(base.starts_with(PROOF_DOMAIN));
        for other in [
            proof_message("G2", "ege-02", "0101", "c1", "b1"),
            proof_message("G1", "ege-03", "0101", "c1", "b1"),
            proof_message("G1", "ege-02", "0102", "c1", "b1"),
            proof_message("G1", "ege-02", "0101", "c2", "b1"),
            proof_message("G1", "ege-02", "0101", "c1", "b2"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn challenges_are_good_once_for_their_box_and_exam_until_they_expire() {
        let exp = t("2027-05-27T02:05:00Z");
        let now = t("2027-05-27T02:01:00Z");
        assert_eq!(challenge_state(Some(("0101", "ege-02", exp, false)), "0101", "ege-02", now), ChallengeState::Fresh);
        assert_eq!(challenge_state(Some(("0101", "ege-02", exp, true)), "0101", "ege-02", now), ChallengeState::Spent, "used");
        assert_eq!(challenge_state(Some(("0101", "ege-02", exp, false)), "0101", "ege-02", exp), ChallengeState::Spent, "expired");
        assert_eq!(challenge_state(Some(("0102", "ege-02", exp, false)), "0101", "ege-02", now), ChallengeState::Spent, "another box's");
        assert_eq!(challenge_state(Some(("0101", "oge-01", exp, false)), "0101", "ege-02", now), ChallengeState::Spent, "another exam's");
        assert_eq!(challenge_state(None, "0101", "ege-02", now), ChallengeState::Spent, "never issued");
    }

    #[test]
    fn a_proof_needs_an_enrolled_assigned_member_a_good_signature_and_a_fresh_challenge() {
        let member = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
        let stranger = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
        let cred = GekCredential {
            worker_id: "G1".into(),
            kind: CredentialKind::KeyFile,
            public_key: crate::keys::ed25519_public_hex(&member),
            enrolled_by: "rcoi".into(),
            enrolled_at: "t".into(),
            revoked_at: None,
        };
        let revoked = GekCredential { revoked_at: Some("t".into()), ..cred.clone() };
        let msg = proof_message("G1", "ege-02", "0101", "c1", "b1");
        let good = crate::keys::sign_hex(&member, &msg);
        let forged = crate::keys::sign_hex(&stranger, &msg);
        let facts = ProofFacts { credential: Some(&cred), assigned: true, challenge: ChallengeState::Fresh };
        assert_eq!(judge_proof(Some((&msg, &good)), &facts), Ok(()));
        assert_eq!(judge_proof(None, &facts), Err(ProofRefusal::Missing));
        assert_eq!(judge_proof(Some((&msg, &good)), &ProofFacts { credential: None, ..facts.clone() }), Err(ProofRefusal::Unknown));
        assert_eq!(judge_proof(Some((&msg, &good)), &ProofFacts { credential: Some(&revoked), ..facts.clone() }), Err(ProofRefusal::Unknown));
        assert_eq!(judge_proof(Some((&msg, &good)), &ProofFacts { assigned: false, ..facts.clone() }), Err(ProofRefusal::NotAssigned));
        assert_eq!(judge_proof(Some((&msg, &forged)), &facts), Err(ProofRefusal::BadProof));
        assert_eq!(judge_proof(Some((&msg, &good)), &ProofFacts { challenge: ChallengeState::Spent, ..facts.clone() }), Err(ProofRefusal::ChallengeUsed));
    }
}
