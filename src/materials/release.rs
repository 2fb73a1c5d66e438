//! The key-release rule: whether the hub may hand a package key to the box asking for it.
//! Pure: the caller gathers the facts (the plan, the box's registered key, the latest
//! package, the hub clock) and the hub server only carries out the verdict.

use chrono::{DateTime, Utc};

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
}

/// The whole rule, in the order the refusals are reported: the exam, the window rule, the
/// request's signature by the enrolled box key, a published package.
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
    fn release_needs_the_exam_the_window_the_box_signature_and_a_package_in_that_order() {
        let box_key = crate::materials::tests::hub_key();
        let public = crate::keys::ed25519_public_hex(&box_key);
        let stranger = crate::keys::ed25519_public_hex(&crate::materials::tests::hub_key());
        let pending = crate::materials::wrap::key_request(&box_key, "ege-02", "0101", "t").unwrap();
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
        };
        assert_eq!(decide_key_release(base()), Ok(7));
        assert_eq!(decide_key_release(KeyRequestFacts { exam_id: &oge, ..base() }), Err(KeyRefusal::UnknownExam), "path and body disagree");
        assert_eq!(decide_key_release(KeyRequestFacts { window: None, ..base() }), Err(KeyRefusal::UnknownExam));
        assert_eq!(decide_key_release(KeyRequestFacts { box_signing_key: None, ..base() }), Err(KeyRefusal::BadRequestSignature), "not enrolled");
        assert_eq!(decide_key_release(KeyRequestFacts { box_signing_key: Some(stranger.as_str()), ..base() }), Err(KeyRefusal::BadRequestSignature));
        assert_eq!(decide_key_release(KeyRequestFacts { package: None, ..base() }), Err(KeyRefusal::NotPublished));
        let late = KeyRequestFacts { hub_now: t("2027-05-27T04:00:00Z"), box_signing_key: None, package: None, ..base() };
        assert_eq!(decide_key_release(late).unwrap_err().code(), "window_closed", "the window is judged before the signature");
    }
}
